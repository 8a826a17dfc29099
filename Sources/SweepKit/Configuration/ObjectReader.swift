import Foundation
import NeuralNet

/// Reads the members of one JSON object by name and type, recording a problem with its JSON path
/// for every missing, mistyped, out-of-range or unknown member instead of stopping at the first.
struct ObjectReader {
    let path: String
    private let members: [String: JSONValue]
    private var consumed: Set<String> = []

    /// A reader over `value`, or nil with a problem recorded when it is not an object.
    init?(_ value: JSONValue, path: String, problems: inout [ConfigurationProblem]) {
        guard case .object(let members) = value else {
            problems.append(.init(path: path, message: "must be an object, got \(value.kindDescription)"))
            return nil
        }
        self.path = path
        self.members = members
    }

    func childPath(_ key: String) -> String { "\(path).\(key)" }

    func has(_ key: String) -> Bool { members[key] != nil && members[key] != .null }

    mutating func value(_ key: String) -> JSONValue? {
        consumed.insert(key)
        guard let found = members[key], found != .null else { return nil }
        return found
    }

    mutating func number(_ key: String, problems: inout [ConfigurationProblem], where valid: (Double) -> Bool = { _ in true }, rule: @autoclosure () -> String = "") -> Double? {
        guard let found = value(key) else { return nil }
        guard case .number(let number) = found else {
            problems.append(.init(path: childPath(key), message: "must be a number, got \(found.kindDescriptionWithValue)"))
            return nil
        }
        guard valid(number) else {
            problems.append(.init(path: childPath(key), message: "\(rule()), got \(number.compactDescription)"))
            return nil
        }
        return number
    }

    mutating func integer(_ key: String, problems: inout [ConfigurationProblem], where valid: (Int) -> Bool = { _ in true }, rule: @autoclosure () -> String = "") -> Int? {
        guard let found = value(key) else { return nil }
        guard case .number(let number) = found else {
            problems.append(.init(path: childPath(key), message: "must be a whole number, got \(found.kindDescriptionWithValue)"))
            return nil
        }
        guard number == number.rounded() else {
            problems.append(.init(path: childPath(key), message: "must be a whole number, got \(found.shortText)"))
            return nil
        }
        // Beyond 2^53 a JSON number no longer holds every whole number, so the value read may
        // not be the one written.
        guard abs(number) <= 9_007_199_254_740_992 else {
            let bound = "at most 2^53 = 9007199254740992 in size (the largest whole number JSON keeps exactly)"
            problems.append(.init(path: childPath(key), message: "\(rule().isEmpty ? "must be \(bound)" : "\(rule()), \(bound)"), got \(number.compactDescription)"))
            return nil
        }
        guard valid(Int(number)) else {
            problems.append(.init(path: childPath(key), message: "\(rule()), got \(Int(number))"))
            return nil
        }
        return Int(number)
    }

    mutating func bool(_ key: String, problems: inout [ConfigurationProblem]) -> Bool? {
        guard let found = value(key) else { return nil }
        guard case .bool(let flag) = found else {
            problems.append(.init(path: childPath(key), message: "must be true or false, got \(found.kindDescriptionWithValue)"))
            return nil
        }
        return flag
    }

    mutating func string(_ key: String, problems: inout [ConfigurationProblem]) -> String? {
        guard let found = value(key) else { return nil }
        guard case .string(let text) = found else {
            problems.append(.init(path: childPath(key), message: "must be a string, got \(found.kindDescription)"))
            return nil
        }
        return text
    }

    /// Records every member that was never read, suggesting the closest known name.
    func reportUnknownKeys(known: [String], problems: inout [ConfigurationProblem]) {
        for key in members.keys.sorted() where !consumed.contains(key) {
            var message = "unknown setting '\(key)'"
            if let suggestion = closestName(to: key, among: known) {
                message += "; did you mean '\(suggestion)'?"
            } else {
                message += "; known settings: \(known.sorted().joined(separator: ", "))"
            }
            problems.append(.init(path: childPath(key), message: message))
        }
    }
}

/// The known name within edit distance 2 of `name`, if any.
func closestName(to name: String, among known: [String]) -> String? {
    let scored = known.map { ($0, editDistance(name.lowercased(), $0.lowercased())) }
    guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, name.count / 3) else { return nil }
    return best.0
}

private func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}

/// Checks the form every engine value (initializer, optimizer, schedule) shares before it is
/// decoded: a bare name, or an object with "name" and options. Records a problem for any other
/// kind of value, for a name outside `names` (when given) and for every option outside
/// `options`, suggesting the closest, since the decoders would ignore it silently. Returns
/// whether decoding is worth trying.
func checkEngineValue(
    _ value: JSONValue, path: String, kind: String, names: [String]? = nil, options: [String],
    problems: inout [ConfigurationProblem]
) -> Bool {
    let name: String?
    switch value {
    case .string(let bare):
        name = bare
    case .object(let members):
        if case .string(let named)? = members["name"] { name = named } else { name = nil }
        for key in members.keys.sorted() where key != "name" && !options.contains(key) {
            var message = "unknown \(kind) option '\(key)'"
            if let suggestion = closestName(to: key, among: options) {
                message += "; did you mean '\(suggestion)'?"
            } else {
                message += "; known options: \(options.joined(separator: ", "))"
            }
            problems.append(.init(path: "\(path).\(key)", message: message))
        }
    default:
        problems.append(.init(path: path, message: "must be a name or an object with \"name\" and options, got \(value.kindDescription)"))
        return false
    }
    if let names, let name, !names.contains(name) {
        problems.append(.init(path: path, message: NeuralNetError.unknownName(kind: kind, name: name, known: names).description))
        return false
    }
    return true
}

/// Decodes an engine value (initializer, schedule, optimizer) from JSON through its Codable
/// form, turning decoding failures into one readable problem.
func decodeEngineValue<T: Decodable>(_ type: T.Type, from value: JSONValue, path: String, problems: inout [ConfigurationProblem]) -> T? {
    // The engine keeps its options as Float; a larger number fails to decode with only "not
    // valid JSON", so it is reported here at its own path.
    let oversized = numbersBeyondFloat(in: value, path: path)
    guard oversized.isEmpty else {
        problems += oversized
        return nil
    }
    // The quick way decodes every valid value; what it refuses goes the JSON way, which
    // describes the problem.
    if let decoded = try? JSONValueDecoder().decode(T.self, from: value) { return decoded }
    do {
        let data = try JSONEncoder().encode(value)
        return try JSONDecoder().decode(T.self, from: data)
    } catch let error as NeuralNetError {
        problems.append(.init(path: path, message: error.description))
    } catch let DecodingError.keyNotFound(key, context) {
        // Foundation's own "No value associated with key CodingKeys(...)" says nothing more.
        let generic = context.debugDescription.isEmpty || context.debugDescription.hasPrefix("No value associated")
        let detail = generic ? "" : " (\(context.debugDescription))"
        problems.append(.init(path: path, message: "missing '\(key.stringValue)'\(detail)"))
    } catch let DecodingError.typeMismatch(expected, context) {
        let keys = context.codingPath.map(\.stringValue).filter { !$0.isEmpty }
        let where_ = keys.joined(separator: ".")
        // The value found there, when the path leads through objects to it.
        var found: JSONValue? = value
        for key in keys { found = found?[key] }
        let got = found.map { ", got \($0.kindDescriptionWithValue)" } ?? ""
        problems.append(.init(path: where_.isEmpty ? path : "\(path).\(where_)", message: "must be \(readableType(expected))\(got)"))
    } catch let DecodingError.dataCorrupted(context) {
        // Foundation says only "not valid JSON", with no path, when a number does not fit the
        // option's type; the options that take whole numbers of epochs are the usual cause.
        let wholeNumberProblems = fractionalEpochCounts(in: value, path: path)
        problems += wholeNumberProblems.isEmpty ? [.init(path: path, message: context.debugDescription)] : wholeNumberProblems
    } catch {
        problems.append(.init(path: path, message: "\(error)"))
    }
    return nil
}

/// A problem for every number in `value` whose magnitude a Float cannot hold.
private func numbersBeyondFloat(in value: JSONValue, path: String) -> [ConfigurationProblem] {
    switch value {
    case .number(let number) where abs(number) > largestFloat:
        return [.init(path: path, message: "is too large: numbers here must be within ±3.4e38 (the engine computes in 32-bit floats), got \(number.compactDescription)")]
    case .array(let items):
        return items.enumerated().flatMap { numbersBeyondFloat(in: $1, path: "\(path)[\($0)]") }
    case .object(let members):
        return members.keys.sorted().flatMap { numbersBeyondFloat(in: members[$0]!, path: "\(path).\($0)") }
    default:
        return []
    }
}

/// A problem for every number given to a schedule option that counts epochs (`step_size`,
/// `milestones`, `T_max`, `total_iters`) and is not a whole number a configuration allows.
private func fractionalEpochCounts(in value: JSONValue, path: String) -> [ConfigurationProblem] {
    guard case .object(let members) = value else { return [] }
    var problems: [ConfigurationProblem] = []
    let limit = Double(TrainingConfiguration.maximumEpochs)
    for key in ["step_size", "milestones", "T_max", "total_iters"] {
        let items: [(String, JSONValue)] = switch members[key] {
        case .array(let list)?: list.enumerated().map { ("\(path).\(key)[\($0)]", $1) }
        case let single?: [("\(path).\(key)", single)]
        case nil: []
        }
        for (itemPath, item) in items {
            guard case .number(let number) = item, number != number.rounded() || abs(number) > limit else { continue }
            let message = number != number.rounded()
                ? "must be a whole number of epochs, got \(number.compactDescription)"
                : "is too large for a count of epochs (a run trains at most \(TrainingConfiguration.maximumEpochs.formatted())), got \(number.compactDescription)"
            problems.append(.init(path: itemPath, message: message))
        }
    }
    return problems
}

private func readableType(_ type: Any.Type) -> String {
    switch type {
    case is String.Type: "a string"
    case is Int.Type: "a whole number"
    case is Float.Type, is Double.Type: "a number"
    case is Bool.Type: "true or false"
    default: "a \(type)"
    }
}
