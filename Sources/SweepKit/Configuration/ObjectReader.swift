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

    mutating func number(_ key: String, problems: inout [ConfigurationProblem], where valid: (Double) -> Bool = { _ in true }, rule: String = "") -> Double? {
        guard let found = value(key) else { return nil }
        guard case .number(let number) = found else {
            problems.append(.init(path: childPath(key), message: "must be a number, got \(found.kindDescription)"))
            return nil
        }
        guard valid(number) else {
            problems.append(.init(path: childPath(key), message: "\(rule), got \(number.compactDescription)"))
            return nil
        }
        return number
    }

    mutating func integer(_ key: String, problems: inout [ConfigurationProblem], where valid: (Int) -> Bool = { _ in true }, rule: String = "") -> Int? {
        guard let found = value(key) else { return nil }
        guard case .number(let number) = found, number == number.rounded(), abs(number) <= 9_007_199_254_740_992 else {
            problems.append(.init(path: childPath(key), message: "must be a whole number, got \(found.shortText)"))
            return nil
        }
        guard valid(Int(number)) else {
            problems.append(.init(path: childPath(key), message: "\(rule), got \(Int(number))"))
            return nil
        }
        return Int(number)
    }

    mutating func bool(_ key: String, problems: inout [ConfigurationProblem]) -> Bool? {
        guard let found = value(key) else { return nil }
        guard case .bool(let flag) = found else {
            problems.append(.init(path: childPath(key), message: "must be true or false, got \(found.shortText)"))
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
        let where_ = context.codingPath.map(\.stringValue).filter { !$0.isEmpty }.joined(separator: ".")
        problems.append(.init(path: where_.isEmpty ? path : "\(path).\(where_)", message: "must be \(readableType(expected))"))
    } catch let DecodingError.dataCorrupted(context) {
        problems.append(.init(path: path, message: context.debugDescription))
    } catch {
        problems.append(.init(path: path, message: "\(error)"))
    }
    return nil
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
