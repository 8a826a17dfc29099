import Foundation
import NeuralNet

/// The metric that ranks trials and whether larger is better.
public struct SweepMetric: Sendable, Hashable {
    public var name: MetricName
    public var maximize: Bool

    public init(name: MetricName, maximize: Bool) {
        self.name = name
        self.maximize = maximize
    }

    /// Whether `candidate` ranks above `incumbent`; non-finite values never do.
    public func isBetter(_ candidate: Double?, than incumbent: Double?) -> Bool {
        guard let candidate, candidate.isFinite else { return false }
        guard let incumbent, incumbent.isFinite else { return true }
        return maximize ? candidate > incumbent : candidate < incumbent
    }
}

/// A validated sweep specification (JSON):
///
/// ```json
/// { "name": "phone-price",
///   "data": {"source": "builtin:phone-price", "test_fraction": 0.2, "validation_fraction": 0.1},
///   "method": "grid",                      // or "random" with "trials": 40
///   "seed": 0,
///   "metric": {"name": "validation_accuracy", "goal": "maximize"},
///   "fixed": {"hidden_layers": [64], "epochs": 30},
///   "parameters": {"optimizer": {"values": ["sgd", "adam"]},
///                  "lr": {"distribution": "log_uniform", "min": 1e-4, "max": 1e-1}} }
/// ```
/// `fixed` and each parameter name a training setting (see `TrainingConfiguration.keys`). Every
/// problem in the file is collected, with its JSON path, before anything trains.
public struct SweepSpec: Sendable {
    public let name: String
    public let data: DataConfiguration
    public let method: SearchMethod
    public let seed: UInt64
    public let metric: SweepMetric
    public let fixed: [String: JSONValue]
    /// Searched settings in name order, the order trials enumerate and sample them in.
    public let parameters: [(name: String, space: SearchParameter)]
    /// The spec's canonical JSON, stored with the sweep to detect a changed spec on re-run.
    public let canonicalJSON: String
    /// The trials, in number order.
    public let plans: [TrialPlan]

    static let keys = ["name", "description", "data", "method", "trials", "seed", "metric", "fixed", "parameters"]
    static let maximumTrials = 100_000

    public var trialCount: Int { plans.count }

    /// Parses and validates spec text; the error lists every problem with its JSON path.
    public static func parse(_ text: Data, source: String) throws(ConfigurationError) -> SweepSpec {
        let json = try JSONValue.parse(text, source: source)
        var problems: [ConfigurationProblem] = []
        guard let spec = read(json, problems: &problems), problems.isEmpty else {
            throw ConfigurationError(source: source, problems: problems)
        }
        return spec
    }

    /// The spec text with `data.source` set to `source` (the `--data` override).
    public static func replacingDataSource(in text: Data, with dataSource: String, source: String) throws(ConfigurationError) -> Data {
        guard case .object(var members) = try JSONValue.parse(text, source: source) else { return text }
        switch members["data"] {
        case .object(var data)?:
            data["source"] = .string(dataSource)
            members["data"] = .object(data)
        default:
            members["data"] = .string(dataSource)
        }
        return Data(JSONValue.object(members).canonicalText.utf8)
    }

    static func read(_ json: JSONValue, problems: inout [ConfigurationProblem]) -> SweepSpec? {
        guard var reader = ObjectReader(json, path: "$", problems: &problems) else { return nil }
        let name = reader.string("name", problems: &problems)
        if let name {
            let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "._-"))
            if name.isEmpty || name.unicodeScalars.contains(where: { !allowed.contains($0) }) {
                problems.append(.init(path: "$.name", message: "must be a non-empty name of letters, digits, '.', '_' or '-', got '\(name)'"))
            }
        } else if !reader.has("name") {
            problems.append(.init(path: "$.name", message: "is required: a name for the sweep, e.g. \"phone-price\""))
        }
        _ = reader.string("description", problems: &problems)

        var data = DataConfiguration()
        if let value = reader.value("data") {
            data = DataConfiguration.read(value, path: "$.data", problems: &problems)
        } else {
            problems.append(.init(path: "$.data", message: "is required: a CSV path or \"builtin:phone-price\""))
        }

        var method = SearchMethod.grid
        let methodName = reader.string("method", problems: &problems) ?? "grid"
        let trials = reader.integer("trials", problems: &problems, where: { $0 >= 1 && $0 <= maximumTrials }, rule: "must be between 1 and \(maximumTrials)")
        switch methodName {
        case "grid":
            if trials != nil { problems.append(.init(path: "$.trials", message: "applies to random search only; a grid runs every combination")) }
        case "random":
            if let trials { method = .random(trials: trials) }
            else if !reader.has("trials") { problems.append(.init(path: "$.trials", message: "is required for random search: how many trials to draw")) }
        default:
            problems.append(.init(path: "$.method", message: "unknown method '\(methodName)'; use \"grid\" or \"random\""))
        }
        let seed = UInt64(reader.integer("seed", problems: &problems, where: { $0 >= 0 }, rule: "must be zero or positive") ?? 0)

        let metric = readMetric(reader.value("metric"), data: data, problems: &problems)

        var fixed: [String: JSONValue] = [:]
        if let value = reader.value("fixed") {
            if case .object(let members) = value { fixed = members }
            else { problems.append(.init(path: "$.fixed", message: "must be an object of training settings, got \(value.kindDescription)")) }
        }
        for key in ["data", "seed"] where fixed[key] != nil {
            problems.append(.init(path: "$.fixed.\(key)", message: key == "data" ? "set data at the top level of the spec" : "set the sweep's top-level seed; each trial's seed derives from it"))
            fixed[key] = nil
        }

        var parameters: [(name: String, space: SearchParameter)] = []
        switch reader.value("parameters") {
        case .object(let members)?:
            for key in members.keys.sorted() {
                let path = "$.parameters.\(key)"
                guard TrainingConfiguration.keys.contains(key), key != "data", key != "seed" else {
                    var message = "'\(key)' is not a searchable setting"
                    if let suggestion = closestName(to: key, among: TrainingConfiguration.keys) { message += "; did you mean '\(suggestion)'?" }
                    else { message += "; searchable settings: \(TrainingConfiguration.keys.filter { $0 != "data" && $0 != "seed" }.joined(separator: ", "))" }
                    problems.append(.init(path: path, message: message))
                    continue
                }
                if fixed[key] != nil {
                    problems.append(.init(path: path, message: "'\(key)' is both fixed and searched; remove it from one of them"))
                }
                guard let space = SearchParameter.read(members[key]!, path: path, problems: &problems) else { continue }
                if method == .grid, !space.isEnumerable {
                    problems.append(.init(path: path, message: "a grid cannot enumerate a continuous distribution; list the values instead, e.g. {\"values\": [0.001, 0.01, 0.1]}, or use \"method\": \"random\""))
                    continue
                }
                parameters.append((key, space))
            }
        case nil:
            break
        case let other?:
            problems.append(.init(path: "$.parameters", message: "must be an object mapping settings to {\"values\": [...]} or a distribution, got \(other.kindDescription)"))
        }
        reader.reportUnknownKeys(known: keys, problems: &problems)

        checkSettings(fixed: fixed, data: data, parameters: parameters, problems: &problems)
        guard problems.isEmpty, let name else { return nil }

        if method == .grid {
            let count = parameters.reduce(1.0) { total, parameter in
                if case .values(let values) = parameter.space { return total * Double(values.count) }
                return total
            }
            if count > Double(maximumTrials) {
                problems.append(.init(path: "$.parameters", message: "the grid has \(Int(count)) combinations, more than \(maximumTrials); list fewer values or use random search"))
                return nil
            }
        }
        let plans = makePlans(method: method, seed: seed, data: data, fixed: fixed, parameters: parameters, problems: &problems)
        guard problems.isEmpty else { return nil }
        return SweepSpec(
            name: name, data: data, method: method, seed: seed, metric: metric, fixed: fixed,
            parameters: parameters, canonicalJSON: json.canonicalText, plans: plans)
    }

    private static func readMetric(_ value: JSONValue?, data: DataConfiguration, problems: inout [ConfigurationProblem]) -> SweepMetric {
        let defaultName: MetricName = data.task == .regression ? .validationRMSE : .validationAccuracy
        var name = defaultName
        var goal: String?
        switch value {
        case nil:
            break
        case .string(let text)?:
            if let found = MetricName(rawValue: text) { name = found }
            else { problems.append(.init(path: "$.metric", message: unknownMetricMessage(text))) }
        case let object?:
            if var reader = ObjectReader(object, path: "$.metric", problems: &problems) {
                if let text = reader.string("name", problems: &problems) {
                    if let found = MetricName(rawValue: text) { name = found }
                    else { problems.append(.init(path: "$.metric.name", message: unknownMetricMessage(text))) }
                }
                goal = reader.string("goal", problems: &problems)
                if let goal, goal != "maximize", goal != "minimize" {
                    problems.append(.init(path: "$.metric.goal", message: "must be \"maximize\" or \"minimize\", got '\(goal)'"))
                }
                reader.reportUnknownKeys(known: ["name", "goal"], problems: &problems)
            }
        }
        if name.isValidationMetric, data.validationFraction == 0, data.folds == nil {
            problems.append(.init(path: "$.metric", message: "\(name.rawValue) needs validation rows; set data.validation_fraction above 0 or data.folds"))
        }
        if name.rawValue.hasPrefix("test_") {
            problems.append(.init(path: "$.metric", message: "ranking by a test metric would leak the test rows into model selection; rank by a validation metric"))
        }
        let maximize = goal.map { $0 == "maximize" } ?? name.prefersLarger
        return SweepMetric(name: name, maximize: maximize)
    }

    private static func unknownMetricMessage(_ text: String) -> String {
        let known = MetricName.validationMetrics.map(\.rawValue) + [MetricName.trainLoss.rawValue]
        return "unknown metric '\(text)'; known metrics: \(known.joined(separator: ", "))"
    }

    /// Checks the fixed settings alone, then each parameter value over them, attributing every
    /// problem to the place in the spec that caused it.
    private static func checkSettings(
        fixed: [String: JSONValue], data: DataConfiguration, parameters: [(name: String, space: SearchParameter)],
        problems: inout [ConfigurationProblem]
    ) {
        var fixedProblems: [ConfigurationProblem] = []
        _ = TrainingConfiguration.read(.object(fixed), path: "$.fixed", problems: &fixedProblems)
        problems += fixedProblems
        for (name, space) in parameters {
            for (index, value) in space.representativeValues.enumerated() {
                var settings = fixed
                settings[name] = value
                var found: [ConfigurationProblem] = []
                _ = TrainingConfiguration.read(.object(settings), path: "$", problems: &found)
                let location: String
                if case .values = space { location = "$.parameters.\(name).values[\(index)]" } else { location = "$.parameters.\(name).\(index == 0 ? "min" : "max")" }
                for problem in found where problem.path == "$.\(name)" || problem.path.hasPrefix("$.\(name).") || problem.path.hasPrefix("$.\(name)[") {
                    let suffix = problem.path.dropFirst("$.\(name)".count)
                    problems.append(.init(path: location + suffix, message: problem.message))
                }
            }
        }
    }

    private static func makePlans(
        method: SearchMethod, seed: UInt64, data: DataConfiguration, fixed: [String: JSONValue],
        parameters: [(name: String, space: SearchParameter)], problems: inout [ConfigurationProblem]
    ) -> [TrialPlan] {
        var assignments: [[String: JSONValue]] = []
        switch method {
        case .grid:
            assignments = [[:]]
            for (name, space) in parameters {
                guard case .values(let values) = space else { continue }
                assignments = assignments.flatMap { partial in
                    values.map { value in partial.merging([name: value]) { _, new in new } }
                }
            }
        case .random(let trials):
            for number in 1...trials {
                var generator = SplitMix64.derived(seed: seed, stream: UInt64(number))
                var assignment: [String: JSONValue] = [:]
                for (name, space) in parameters { assignment[name] = space.sample(using: &generator) }
                assignments.append(assignment)
            }
        }
        let dataJSON = (try? JSONEncoder().encode(data)).flatMap { try? JSONDecoder().decode(JSONValue.self, from: $0) } ?? .null
        var plans: [TrialPlan] = []
        // The same problem usually repeats in many trials; report it once with the trials it hits.
        var trialsByProblem: [ConfigurationProblem: [Int]] = [:]
        for (offset, assignment) in assignments.enumerated() {
            let number = offset + 1
            let trialSeed = SplitMix64.derived(seed: seed, stream: 0x5EED_0000 + UInt64(number)).state
            var settings = fixed.merging(assignment) { _, new in new }
            settings["data"] = dataJSON
            settings["seed"] = .number(Double(trialSeed % (1 << 53)))
            var found: [ConfigurationProblem] = []
            let configuration = TrainingConfiguration.read(.object(settings), path: "$", problems: &found)
            for problem in found { trialsByProblem[problem, default: []].append(number) }
            plans.append(TrialPlan(
                number: number, parameters: .object(assignment), configurationJSON: configuration.canonicalJSON,
                seed: configuration.seed, configuration: configuration))
        }
        for (problem, numbers) in trialsByProblem.sorted(by: { $0.value[0] < $1.value[0] }) {
            let listed = numbers.prefix(5).map(String.init).joined(separator: ", ") + (numbers.count > 5 ? ", … (\(numbers.count) trials)" : "")
            let where_ = problem.path == "$" ? "" : " at \(problem.path)"
            problems.append(.init(path: "$ (trial \(listed))", message: "the combined settings\(where_): \(problem.message)"))
        }
        return plans
    }
}
