import Foundation
import NeuralNet

/// One searched setting: a list of values, or (random search only) a distribution.
///
/// - uniform(min, max): U(min, max)
/// - log_uniform(min, max): exp(U(ln min, ln max)); min and max are the values themselves
/// - int_uniform(min, max): a whole number in [min, max], each equally likely
/// - q_uniform(min, max, q): round(U(min, max)/q)·q
public enum SearchParameter: Sendable, Hashable {
    case values([JSONValue])
    case uniform(minimum: Double, maximum: Double)
    case logUniform(minimum: Double, maximum: Double)
    case integerUniform(minimum: Int, maximum: Int)
    case quantizedUniform(minimum: Double, maximum: Double, quantum: Double)

    public static let distributionNames = ["uniform", "log_uniform", "int_uniform", "q_uniform"]

    public var isEnumerable: Bool {
        if case .values = self { return true }
        return false
    }

    /// One draw. Lists are sampled uniformly.
    func sample(using generator: inout SplitMix64) -> JSONValue {
        switch self {
        case .values(let values):
            return values[generator.nextIndex(below: values.count)]
        case .uniform(let minimum, let maximum):
            return .number(minimum + (maximum - minimum) * generator.nextUnitDouble())
        case .logUniform(let minimum, let maximum):
            let exponent = Foundation.log(minimum) + (Foundation.log(maximum) - Foundation.log(minimum)) * generator.nextUnitDouble()
            return .number(Foundation.exp(exponent))
        case .integerUniform(let minimum, let maximum):
            return .number(Double(minimum + generator.nextIndex(below: maximum - minimum + 1)))
        case .quantizedUniform(let minimum, let maximum, let quantum):
            let raw = minimum + (maximum - minimum) * generator.nextUnitDouble()
            // Rounding to the quantum, then cleaning the float noise of the multiplication.
            let stepped = (raw / quantum).rounded() * quantum
            return .number(Double(String(format: "%.12g", stepped)) ?? stepped)
        }
    }

    /// Values that stand for the whole range when checking a spec: the list, or the bounds.
    var representativeValues: [JSONValue] {
        switch self {
        case .values(let values): values
        case .uniform(let minimum, let maximum), .logUniform(let minimum, let maximum),
            .quantizedUniform(let minimum, let maximum, _):
            [.number(minimum), .number(maximum)]
        case .integerUniform(let minimum, let maximum): [.number(Double(minimum)), .number(Double(maximum))]
        }
    }

    /// Reads `{"values": [...]}` or `{"distribution": "...", "min": a, "max": b, "q": c}`.
    static func read(_ value: JSONValue, path: String, problems: inout [ConfigurationProblem]) -> SearchParameter? {
        guard var reader = ObjectReader(value, path: path, problems: &problems) else { return nil }
        if reader.has("values") {
            defer { reader.reportUnknownKeys(known: ["values"], problems: &problems) }
            guard case .array(let values)? = reader.value("values") else {
                problems.append(.init(path: reader.childPath("values"), message: "must be a list of values to try"))
                return nil
            }
            guard !values.isEmpty else {
                problems.append(.init(path: reader.childPath("values"), message: "is empty; list at least one value"))
                return nil
            }
            return .values(values)
        }
        guard let name = reader.string("distribution", problems: &problems) else {
            if !reader.has("distribution") {
                problems.append(.init(path: path, message: "needs \"values\": [...] or a \"distribution\" (\(distributionNames.joined(separator: ", "))) with min and max"))
            }
            reader.reportUnknownKeys(known: ["values", "distribution", "min", "max", "q"], problems: &problems)
            return nil
        }
        let known = name == "q_uniform" ? ["distribution", "min", "max", "q"] : ["distribution", "min", "max"]
        defer { reader.reportUnknownKeys(known: known, problems: &problems) }
        let problemCount = problems.count
        let minimum = reader.number("min", problems: &problems)
        let maximum = reader.number("max", problems: &problems)
        for (key, found) in [("min", minimum), ("max", maximum)] where found == nil && problems.count == problemCount {
            problems.append(.init(path: reader.childPath(key), message: "is required for a \(name) distribution"))
        }
        guard let minimum, let maximum else { return nil }
        guard minimum < maximum else {
            problems.append(.init(path: path, message: "min (\(minimum.compactDescription)) must be below max (\(maximum.compactDescription))"))
            return nil
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
            guard minimum == minimum.rounded(), maximum == maximum.rounded() else {
                problems.append(.init(path: path, message: "int_uniform needs whole-number min and max"))
                return nil
            }
            return .integerUniform(minimum: Int(minimum), maximum: Int(maximum))
        case "q_uniform":
            guard let quantum = reader.number("q", problems: &problems, where: { $0 > 0 }, rule: "q must be positive") else {
                if !reader.has("q") { problems.append(.init(path: reader.childPath("q"), message: "is required for q_uniform (the step between values)")) }
                return nil
            }
            return .quantizedUniform(minimum: minimum, maximum: maximum, quantum: quantum)
        default:
            problems.append(.init(path: reader.childPath("distribution"), message: "unknown distribution '\(name)'; known distributions: \(distributionNames.joined(separator: ", "))"))
            return nil
        }
    }
}

/// How the trials are chosen.
public enum SearchMethod: Sendable, Hashable {
    /// Every combination of the listed values.
    case grid
    /// `trials` independent draws; trial n's draw depends only on the sweep seed and n.
    case random(trials: Int)
}
