import Foundation
import NeuralNet

/// One searched setting's values: a list, or (random and TPE search) a distribution. These are
/// Optuna's distributions under the names hyperopt and W&B give them:
///
/// - values: one of the listed JSON values (`CategoricalDistribution`)
/// - uniform(min, max): U(min, max) (`FloatDistribution`)
/// - log_uniform(min, max): exp(U(ln min, ln max)); min and max are the values themselves
///   (`FloatDistribution(log=True)`)
/// - int_uniform(min, max): a whole number in [min, max], each equally likely (`IntDistribution`)
/// - int_log_uniform(min, max): round(exp(U(ln(min − ½), ln(max + ½)))), a whole number whose
///   logarithm is about uniform, as for layer widths (`IntDistribution(log=True)`)
/// - q_uniform(min, max, q): round(U(min, max)/q)·q
///
/// A sampler works on a parameter's *coordinate*: the index of the value for a list, the number
/// itself for a distribution. `value(at:)` and `coordinate(of:)` convert.
public enum SearchParameter: Sendable, Hashable {
    case values([JSONValue])
    case uniform(minimum: Double, maximum: Double)
    case logUniform(minimum: Double, maximum: Double)
    case integerUniform(minimum: Int, maximum: Int)
    case integerLogUniform(minimum: Int, maximum: Int)
    case quantizedUniform(minimum: Double, maximum: Double, quantum: Double)

    public static let distributionNames = ["uniform", "log_uniform", "int_uniform", "int_log_uniform", "q_uniform"]

    public var isEnumerable: Bool {
        if case .values = self { return true }
        return false
    }

    /// How many values a list holds (nil for a distribution).
    public var choiceCount: Int? {
        if case .values(let values) = self { return values.count }
        return nil
    }

    /// One draw's coordinate. Lists are sampled uniformly.
    public func sampleCoordinate(using generator: inout SplitMix64) -> Double {
        switch self {
        case .values(let values):
            return Double(generator.nextIndex(below: values.count))
        case .uniform(let minimum, let maximum):
            return minimum + (maximum - minimum) * generator.nextUnitDouble()
        case .logUniform(let minimum, let maximum):
            let exponent = Foundation.log(minimum) + (Foundation.log(maximum) - Foundation.log(minimum)) * generator.nextUnitDouble()
            return Foundation.exp(exponent)
        case .integerUniform(let minimum, let maximum):
            return Double(minimum + generator.nextIndex(below: maximum - minimum + 1))
        case .integerLogUniform(let minimum, let maximum):
            let low = Foundation.log(Double(minimum) - 0.5), high = Foundation.log(Double(maximum) + 0.5)
            let drawn = Foundation.exp(low + (high - low) * generator.nextUnitDouble()).rounded()
            return min(max(drawn, Double(minimum)), Double(maximum))
        case .quantizedUniform(let minimum, let maximum, let quantum):
            return quantized(minimum + (maximum - minimum) * generator.nextUnitDouble(), quantum: quantum)
        }
    }

    /// The JSON value at a coordinate: the listed value at that index, or the number.
    public func value(at coordinate: Double) -> JSONValue {
        switch self {
        case .values(let values):
            return values[min(max(Int(coordinate), 0), values.count - 1)]
        case .integerUniform, .integerLogUniform:
            return .number(coordinate.rounded())
        case .quantizedUniform(_, _, let quantum):
            return .number(quantized(coordinate, quantum: quantum))
        case .uniform, .logUniform:
            return .number(coordinate)
        }
    }

    /// The coordinate of a value, or nil when the parameter cannot take it (a value missing from
    /// the list, a number outside the range or off its steps): an enqueued trial's value, say.
    public func coordinate(of value: JSONValue) -> Double? {
        switch self {
        case .values(let values):
            // Equal values have equal canonical texts (numbers are compared as numbers, strings
            // as Swift compares them), without writing either out.
            return values.firstIndex(of: value).map(Double.init)
        case .uniform(let minimum, let maximum), .logUniform(let minimum, let maximum):
            guard case .number(let number) = value, number >= minimum, number <= maximum else { return nil }
            return number
        case .integerUniform(let minimum, let maximum), .integerLogUniform(let minimum, let maximum):
            guard case .number(let number) = value, number == number.rounded(),
                number >= Double(minimum), number <= Double(maximum)
            else { return nil }
            return number
        case .quantizedUniform(let minimum, let maximum, let quantum):
            guard case .number(let number) = value else { return nil }
            let range = steppedRange(minimum: minimum, maximum: maximum, quantum: quantum)
            guard number >= range.low - quantum / 2, number <= range.high + quantum / 2,
                quantized(number, quantum: quantum) == number
            else { return nil }
            return number
        }
    }

    /// The smallest and largest values a q_uniform draw gives: round(min/q)·q and round(max/q)·q.
    public func steppedRange(minimum: Double, maximum: Double, quantum: Double) -> (low: Double, high: Double) {
        (quantized(minimum, quantum: quantum), quantized(maximum, quantum: quantum))
    }

    /// Values that stand for the whole range when checking a spec: the list, or the bounds.
    var representativeValues: [JSONValue] {
        switch self {
        case .values(let values): values
        case .uniform(let minimum, let maximum), .logUniform(let minimum, let maximum),
            .quantizedUniform(let minimum, let maximum, _):
            [.number(minimum), .number(maximum)]
        case .integerUniform(let minimum, let maximum), .integerLogUniform(let minimum, let maximum):
            [.number(Double(minimum)), .number(Double(maximum))]
        }
    }

    /// A short form for `sweep validate` and messages: the values (the first ten and the last of
    /// a longer list), or the distribution with its bounds.
    public var summary: String {
        switch self {
        case .values(let values) where values.count > 12:
            values.prefix(10).map(\.shortText).joined(separator: ", ") + ", …, \(values[values.count - 1].shortText) (\(values.count.formatted()) values)"
        case .values(let values): values.map(\.shortText).joined(separator: ", ")
        case .uniform(let minimum, let maximum): "uniform(\(minimum.compactDescription), \(maximum.compactDescription))"
        case .logUniform(let minimum, let maximum): "log_uniform(\(minimum.compactDescription), \(maximum.compactDescription))"
        case .integerUniform(let minimum, let maximum): "int_uniform(\(minimum), \(maximum))"
        case .integerLogUniform(let minimum, let maximum): "int_log_uniform(\(minimum), \(maximum))"
        case .quantizedUniform(let minimum, let maximum, let quantum):
            "q_uniform(\(minimum.compactDescription), \(maximum.compactDescription), q=\(quantum.compactDescription))"
        }
    }

    /// The most values a list may hold: as many as the trials a sweep may run. Each is checked as
    /// a configuration before the sweep starts, so a longer list only costs time and memory.
    public static let maximumListedValues = 100_000

    /// What a new spec may not list at `path` (`…values`): more than `maximumListedValues`
    /// values, or a value twice; nil for a good list.
    ///
    /// Both rules came after sweeps were stored with such lists, so `SweepSpec.parseStored` does
    /// not apply them: a stored sweep is read with the list it ran with (each value once).
    static func listProblem(of values: [JSONValue], path: String) -> ConfigurationProblem? {
        guard values.count <= maximumListedValues else {
            return .init(path: path, message: "holds \(values.count.formatted()) values; a list may hold at most \(maximumListedValues.formatted()), the most trials a sweep runs: use a distribution (\(distributionNames.joined(separator: ", "))) for a range")
        }
        // A value listed twice is one point of the space: a grid took the second for the first
        // and proposed it without end. The first repeat is enough to say so.
        var firstIndexes: [JSONValue: Int] = [:]
        for (index, value) in values.enumerated() {
            if let first = firstIndexes[value] {
                return .init(path: path + "[\(index)]", message: "repeats values[\(first)] (\(value.shortText)); list each value once")
            }
            firstIndexes[value] = index
        }
        return nil
    }

    /// The keys a parameter object may hold besides "values" or "distribution".
    static let optionKeys = ["min", "max", "q", "when"]

    /// Reads `{"values": [...]}` or `{"distribution": "...", "min": a, "max": b, "q": c}`;
    /// `extraKeys` are keys the caller reads itself ("when").
    static func read(_ value: JSONValue, path: String, extraKeys: [String] = [], problems: inout [ConfigurationProblem]) -> SearchParameter? {
        guard var reader = ObjectReader(value, path: path, problems: &problems) else { return nil }
        for key in extraKeys { _ = reader.value(key) }
        if reader.has("values") {
            defer { reader.reportUnknownKeys(known: ["values"] + extraKeys, problems: &problems) }
            guard case .array(let values)? = reader.value("values") else {
                problems.append(.init(path: reader.childPath("values"), message: "must be a list of values to try"))
                return nil
            }
            guard !values.isEmpty else {
                problems.append(.init(path: reader.childPath("values"), message: "is empty; list at least one value"))
                return nil
            }
            // How long the list is and whether a value repeats are rules for a new spec
            // (`listProblem(of:path:)`), not for reading one: a sweep stored before them keeps
            // its list, each value once, since a repeat is the same point of the space.
            var seen = Set<JSONValue>()
            return .values(values.filter { seen.insert($0).inserted })
        }
        guard let name = reader.string("distribution", problems: &problems) else {
            if !reader.has("distribution") {
                // Bounds without a distribution: the way other tools spell a log scale ("log":
                // true) is the usual cause, so the fix names the distribution to write.
                let bounds = ["min", "max"].filter { reader.has($0) }
                let bounded = !bounds.isEmpty
                let logScale = bounded && reader.value("log") == .bool(true)
                let message = bounded
                    ? "gives \(bounds.joined(separator: " and ")) but no \"distribution\" to draw from: add \"distribution\": \"\(logScale ? "log_uniform" : "uniform")\"\(logScale ? " in place of \"log\": true" : "") (known distributions: \(distributionNames.joined(separator: ", "))), or list \"values\": [...] to try"
                    : "needs \"values\": [...] or a \"distribution\" (\(distributionNames.joined(separator: ", "))) with min and max"
                problems.append(.init(path: path, message: message))
            }
            for key in ["min", "max", "q"] { _ = reader.value(key) }
            reader.reportUnknownKeys(known: ["values", "distribution", "min", "max", "q"] + extraKeys, problems: &problems)
            return nil
        }
        let known = (name == "q_uniform" ? ["distribution", "min", "max", "q"] : ["distribution", "min", "max"]) + extraKeys
        defer { reader.reportUnknownKeys(known: known, problems: &problems) }
        let problemCount = problems.count
        let minimum = reader.number("min", problems: &problems)
        let maximum = reader.number("max", problems: &problems)
        for (key, found) in [("min", minimum), ("max", maximum)] where found == nil && problems.count == problemCount {
            problems.append(.init(path: reader.childPath(key), message: "is required for a \(name) distribution"))
        }
        guard let minimum, let maximum else { return nil }
        guard minimum.isFinite, maximum.isFinite else {
            problems.append(.init(path: path, message: "min and max must be finite numbers"))
            return nil
        }
        guard minimum < maximum else {
            problems.append(.init(path: path, message: "min (\(minimum.compactDescription)) must be below max (\(maximum.compactDescription))"))
            return nil
        }
        func wholeBounds() -> (Int, Int)? {
            guard minimum == minimum.rounded(), maximum == maximum.rounded() else {
                problems.append(.init(path: path, message: "\(name) needs whole-number min and max"))
                return nil
            }
            let large = [("min", minimum), ("max", maximum)].filter { abs($0.1) >= 1e15 }
            for (key, bound) in large {
                problems.append(.init(path: reader.childPath(key), message: "\(name) bounds must be below 10^15 in size, got \(bound.compactDescription)"))
            }
            return large.isEmpty ? (Int(minimum), Int(maximum)) : nil
        }
        switch name {
        case "uniform":
            return .uniform(minimum: minimum, maximum: maximum)
        case "log_uniform":
            guard minimum > 0 else {
                problems.append(.init(path: reader.childPath("min"), message: "log_uniform needs min > 0 (the bounds are the values themselves, not their logarithms), got \(minimum.compactDescription)"))
                return nil
            }
            return .logUniform(minimum: minimum, maximum: maximum)
        case "int_uniform":
            return wholeBounds().map { .integerUniform(minimum: $0.0, maximum: $0.1) }
        case "int_log_uniform":
            guard let (low, high) = wholeBounds() else { return nil }
            guard low >= 1 else {
                problems.append(.init(path: reader.childPath("min"), message: "int_log_uniform needs min ≥ 1 (the bounds are the values themselves), got \(low)"))
                return nil
            }
            return .integerLogUniform(minimum: low, maximum: high)
        case "q_uniform":
            guard let quantum = reader.number("q", problems: &problems, where: { $0 > 0 && $0.isFinite }, rule: "q must be a positive number") else {
                if !reader.has("q") { problems.append(.init(path: reader.childPath("q"), message: "is required for q_uniform (the step between values)")) }
                return nil
            }
            guard (maximum - minimum) / quantum <= 1e9 else {
                problems.append(.init(path: reader.childPath("q"), message: "q_uniform allows at most 1e9 steps between min and max; use a larger q or uniform"))
                return nil
            }
            return .quantizedUniform(minimum: minimum, maximum: maximum, quantum: quantum)
        default:
            problems.append(.init(path: reader.childPath("distribution"), message: "unknown distribution '\(name)'; known distributions: \(distributionNames.joined(separator: ", "))"))
            return nil
        }
    }
}

/// round(x/q)·q, with the float noise of the multiplication cleaned (0.30000000000000004 → 0.3).
func quantized(_ x: Double, quantum: Double) -> Double {
    let stepped = (x / quantum).rounded() * quantum
    return Double(String(format: "%.12g", stepped)) ?? stepped
}
