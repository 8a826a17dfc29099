import Datasets
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
}

/// How trials are chosen: the spec's `method`.
public enum SearchMethod: String, Sendable, Hashable, CaseIterable {
    /// Every combination of the listed values.
    case grid
    /// Independent draws; trial n's depends only on the sweep seed and n.
    case random
    /// The Tree-structured Parzen Estimator, learning from the finished trials.
    case tpe
}

/// A validated sweep specification (JSON):
///
/// ```json
/// { "name": "phone-price",
///   "data": {"source": "builtin:phone-price", "test_fraction": 0.2, "validation_fraction": 0.1},
///   "method": "tpe", "trials": 60, "sampler": {"lag": 8, "startup_trials": 10},
///   "seed": 0, "repeats": 1,
///   "metric": {"name": "validation_accuracy", "goal": "maximize"},
///   "fixed": {"epochs": 30},
///   "parameters": {"optimizer": {"values": ["sgd", "adam"]},
///                  "momentum": {"values": [0.8, 0.9], "when": {"optimizer": ["sgd"]}},
///                  "lr": {"distribution": "log_uniform", "min": 1e-4, "max": 1e-1}},
///   "enqueue": [{"optimizer": "adam", "lr": 0.001}] }
/// ```
/// `fixed` and each parameter name a training setting (see `TrainingConfiguration.keys`). Every
/// problem in the file is collected, with its JSON path, before anything trains.
///
/// Trials are made one at a time as workers ask for them (`proposal(for:history:)`): first the
/// enqueued configurations, then the sampler's proposals, until `trials` (random, TPE) or the
/// last grid combination.
public struct SweepSpec: Sendable {
    public let name: String
    public let data: DataConfiguration
    public let method: SearchMethod
    /// How many trials a random or TPE sweep runs (enqueued ones included); nil for a grid.
    public let trials: Int?
    public let seed: UInt64
    public let metric: SweepMetric
    public let fixed: [String: JSONValue]
    public let space: SearchSpace
    /// Trial n learns from (and, with a pruner, is judged against) trials n − lag − 1 and lower
    /// only, so a sweep is the same for any `--jobs` up to lag + 1.
    public let lag: Int
    public let tpe: TPEOptions
    /// Configurations that run first, in order (settings they leave out are drawn at random).
    public let enqueued: [[String: JSONValue]]
    /// Each configuration is trained with this many seeds (times its folds); its metric is the mean.
    public let repeats: Int
    public let sampler: any Sampler
    /// Whether the spec names no metric: the default then follows the task, which for data
    /// without a `task` is known only once the data is read (`resolvingDefaultMetric`).
    public let metricIsDefault: Bool
    /// Stops hopeless trials early (`"pruner"`); nil: every trial trains all its epochs and fits.
    public let pruner: PrunerList?
    /// The spec's canonical JSON, stored with the sweep to detect a changed spec on re-run.
    public let canonicalJSON: String
    /// The plans made while the spec was checked, which its trials start with.
    let checkedPlans = CheckedPlans()

    static let keys = [
        "name", "description", "data", "method", "trials", "seed", "metric", "fixed", "parameters", "sampler",
        "enqueue", "repeats", "pruner",
    ]
    public static let maximumTrials = 100_000
    public static let defaultLag = 8

    /// The ranking of this sweep's trials.
    public var ranking: TrialRanking { TrialRanking(metric: metric) }

    /// The fits that score each trial: its folds (one without k-fold) times its repeats.
    public var scoringFits: Int { (data.folds ?? 1) * repeats }

    /// Every fit a trial trains: its scoring fits, and with k-fold the final fit on all non-test
    /// rows (`Trainer.fitCount`).
    public var fitsPerTrial: Int { scoringFits + (data.folds == nil ? 0 : 1) }

    /// Whether trial n must wait for trials 1 … n − lag − 1 to end before it starts: when its
    /// proposal or its pruning depends on their results.
    public var followsLag: Bool { sampler.learnsFromResults || pruner != nil }

    /// How many trials the sweep has in all when it is done: `trials`, or for a grid its
    /// combinations plus the enqueued configurations that are not among them.
    public var trialCount: Int {
        if let trials { return trials }
        guard let grid = sampler as? GridSampler else { return enqueued.count }
        let taken = Set(enqueued.map { space.point(of: .object($0)) })
        return enqueued.count + grid.remaining(given: taken)
    }

    /// Parses and validates spec text; the error lists every problem with its JSON path.
    public static func parse(_ text: Data, source: String) throws(ConfigurationError) -> SweepSpec {
        try parse(text, source: source, checkingRules: true)
    }

    /// The spec a stored sweep ran with, read to show or export its results: as `parse`, but
    /// without the rules a spec must pass to run: the training configurations it makes (its
    /// fixed settings, each value, enqueued configurations, every combination) and its lists
    /// (no value twice, at most `SearchParameter.maximumListedValues`). Each trial is stored
    /// with the configuration it trained with, and a rule made stricter since the sweep ran (an
    /// optimizer option now refused, a value listed twice) would otherwise lock its results away.
    public static func parseStored(_ text: Data, source: String) throws(ConfigurationError) -> SweepSpec {
        try parse(text, source: source, checkingRules: false)
    }

    private static func parse(_ text: Data, source: String, checkingRules: Bool) throws(ConfigurationError) -> SweepSpec {
        let json = try JSONValue.parse(text, source: source)
        var problems: [ConfigurationProblem] = []
        guard let spec = read(json, checkingRules: checkingRules, problems: &problems), problems.isEmpty else {
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

    /// This spec with its default metric set for `task`: validation RMSE for regression,
    /// validation accuracy for classification, written into the spec so that the stored spec
    /// says what ranked the trials. A spec that names its metric is returned as it is.
    public func resolvingDefaultMetric(for task: TaskKind) throws(ConfigurationError) -> SweepSpec {
        guard metricIsDefault else { return self }
        let name: MetricName = task == .regression ? .validationRMSE : .validationAccuracy
        guard name != metric.name, case .object(var members) = try JSONValue.parse(Data(canonicalJSON.utf8), source: self.name) else {
            return self
        }
        var metricMembers: [String: JSONValue] = [:]
        if case .object(let given)? = members["metric"] { metricMembers = given }
        metricMembers["name"] = .string(name.rawValue)
        members["metric"] = .object(metricMembers)
        return try Self.parse(Data(JSONValue.object(members).canonicalText.utf8), source: self.name)
    }

    // MARK: Trials

    /// Trial `number`'s parameters: an enqueued configuration, or the sampler's proposal; nil
    /// when the sweep has no trial of that number.
    public func proposal(for number: Int, history: SearchHistory) -> [String: JSONValue]? {
        if let trials, number > trials { return nil }
        if number <= enqueued.count {
            let given = enqueued[number - 1]
            var generator = RandomSampler.generator(seed: seed, trial: number)
            var parameters = space.parameters(for: space.randomPoint(using: &generator, fixing: space.point(of: .object(given))))
            parameters.merge(given) { _, enqueued in enqueued }
            return parameters
        }
        return sampler.propose(trial: number, seed: seed, history: history).map(space.parameters(for:))
    }

    /// The seed of trial `number`: from the sweep seed and the number, or with repeats the same
    /// for every trial, so that repeat r of two configurations trains with the same seed and
    /// their difference is measured on common ground (a paired comparison).
    public func trialSeed(_ number: Int) -> UInt64 {
        let stream: UInt64 = repeats > 1 ? 0x5EED_0000 : 0x5EED_0000 + UInt64(number)
        return SplitMix64.derived(seed: seed, stream: stream).state % (1 << 53)
    }

    /// The trial of `number` with these parameters: the fixed settings, the parameters, the data
    /// and the trial's seed as one training configuration. Throws the problems of a combination
    /// that cannot train (each parameter was checked on its own when the spec was read).
    public func plan(number: Int, parameters: [String: JSONValue]) throws(ConfigurationError) -> TrialPlan {
        if let checked = checkedPlans.plan(number: number, parameters: parameters) { return checked }
        var settings = fixed.merging(parameters) { _, new in new }
        settings["data"] = dataJSON
        settings["seed"] = .number(Double(trialSeed(number)))
        if repeats > 1 { settings["repeats"] = .number(Double(repeats)) }
        var problems: [ConfigurationProblem] = []
        let configuration = TrainingConfiguration.read(.object(settings), path: "$", problems: &problems)
        guard problems.isEmpty else { throw ConfigurationError(source: "trial \(number)", problems: problems) }
        return TrialPlan(
            number: number, parameters: .object(parameters), configurationJSON: configuration.canonicalJSON,
            seed: configuration.seed, configuration: configuration)
    }

    /// The first trial's configuration with every layer list at its greatest depth and width:
    /// the largest network the space allows, whose memory must fit. Nil without layer lists.
    public func widestConfiguration() -> TrainingConfiguration? {
        guard !space.layerLists.isEmpty, var parameters = proposal(for: 1, history: .empty) else { return nil }
        func largest(_ parameter: SearchParameter) -> Int {
            parameter.representativeValues.compactMap { value -> Int? in
                if case .number(let number) = value { return Int(number) }
                return nil
            }.max() ?? 0
        }
        for (name, list) in space.layerLists {
            let width = list.widths.first.map { largest($0.parameter) } ?? 0
            parameters[name] = .array(Array(repeating: .number(Double(width)), count: largest(list.depth.parameter)))
        }
        return try? plan(number: 1, parameters: parameters).configuration
    }

    /// The data settings as every trial's configuration holds them, made once: encoding them
    /// again for every trial was most of the time it took to plan one.
    let dataJSON: JSONValue

    private static func json(of data: DataConfiguration) -> JSONValue {
        (try? JSONEncoder().encode(data)).flatMap { try? JSONDecoder().decode(JSONValue.self, from: $0) } ?? .null
    }

    /// The first `limit` trials as a sweep with no finished trial would make them: every trial
    /// of a grid or random sweep, TPE's random start. For `sweep validate` and tests.
    public func previewPlans(limit: Int = maximumTrials) -> [TrialPlan] {
        var history = SearchHistory.empty
        var plans: [TrialPlan] = []
        var number = 1
        while plans.count < limit, let parameters = proposal(for: number, history: history),
            let plan = try? plan(number: number, parameters: parameters) {
            history.taken.insert(space.point(of: plan.parameters))
            plans.append(plan)
            number += 1
        }
        return plans
    }

    /// What is checked before a sweep runs, each with how to name it in a message: a grid's every
    /// combination; for random and TPE the first `draws` trials (TPE's random start), then the
    /// first trial again with each value, or bound, of every setting put in its place, so that
    /// a value drawn rarely or late is checked as well. A 100,000-trial random spec is checked
    /// in a moment, not by drawing every trial.
    func proposalsToCheck(draws: Int) -> [(label: String, number: Int, parameters: [String: JSONValue])] {
        var history = SearchHistory.empty
        var proposals: [(label: String, number: Int, parameters: [String: JSONValue])] = []
        var number = 1
        let limit = method == .grid ? Self.maximumTrials : min(trials ?? 0, draws)
        while number <= limit, let parameters = proposal(for: number, history: history) {
            history.taken.insert(space.point(of: .object(parameters)))
            proposals.append(("trial \(number)", number, parameters))
            number += 1
        }
        guard method != .grid, let first = proposals.first else { return proposals }
        for dimension in space.dimensions where dimension.isTopLevel {
            for value in dimension.parameter.representativeValues where first.parameters[dimension.name] != value {
                var substituted = first.parameters
                substituted[dimension.name] = value
                // Through the space and back: what the new value makes inapplicable (a
                // conditional parameter under it, or the value itself) is left out.
                let parameters = space.parameters(for: space.point(of: .object(substituted)))
                guard parameters[dimension.name] == value else { continue }
                proposals.append(("\(dimension.name) \(value.shortText) (in trial \(first.number)'s settings)", first.number, parameters))
            }
        }
        return proposals
    }

    /// The plans `proposalsToCheck` names that make a configuration, checked against the data
    /// before a sweep runs (the loss against the task, the memory of `jobs` trials).
    public func plansToCheck(draws: Int = 1_000) -> [(label: String, plan: TrialPlan)] {
        proposalsToCheck(draws: draws).compactMap { proposal in
            (try? plan(number: proposal.number, parameters: proposal.parameters)).map { (proposal.label, $0) }
        }
    }

    // MARK: Reading

    static func read(_ json: JSONValue, checkingRules: Bool = true, problems: inout [ConfigurationProblem]) -> SweepSpec? {
        guard var reader = ObjectReader(json, path: "$", problems: &problems) else { return nil }
        // A file for sweep train given as a spec: one problem, not one per setting it holds.
        let trainingSettings = TrainingConfiguration.keys.filter { !keys.contains($0) }
        if !reader.has("name"), !reader.has("parameters"), trainingSettings.contains(where: reader.has) {
            problems.append(.init(
                path: "$",
                message: "is a training configuration (sweep train FILE trains it), not a sweep spec: a spec has a \"name\", its \"data\", the \"parameters\" to search and the settings every trial shares under \"fixed\" (as sweeps/phone-price.json)"))
            return nil
        }
        let name = reader.string("name", problems: &problems)
        if let name, let problem = nameProblem(name) {
            problems.append(.init(path: "$.name", message: problem))
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

        let methodName = reader.string("method", problems: &problems) ?? "grid"
        let method = SearchMethod(rawValue: methodName)
        if method == nil {
            problems.append(.init(path: "$.method", message: "unknown method '\(methodName)'; use \"grid\", \"random\" or \"tpe\""))
        }
        let trials = reader.integer("trials", problems: &problems, where: { $0 >= 1 && $0 <= maximumTrials }, rule: "must be between 1 and \(maximumTrials)")
        if method == .grid, trials != nil {
            problems.append(.init(path: "$.trials", message: "applies to random and TPE search only; a grid runs every combination (stop early with sweep run --trials N)"))
        }
        if method == .random || method == .tpe, trials == nil, !reader.has("trials") {
            problems.append(.init(path: "$.trials", message: "is required for \(methodName) search: how many trials to run"))
        }
        let seed = UInt64(reader.integer("seed", problems: &problems, where: { $0 >= 0 }, rule: "must be zero or positive") ?? 0)
        let repeats = reader.integer("repeats", problems: &problems, where: { $0 >= 1 && $0 <= 100 }, rule: "must be between 1 and 100") ?? 1

        var lag = defaultLag
        var tpe = TPEOptions()
        if let value = reader.value("sampler"), var samplerReader = ObjectReader(value, path: "$.sampler", problems: &problems) {
            if let found = samplerReader.integer("lag", problems: &problems, where: { $0 >= 0 && $0 <= 10_000 }, rule: "lag must be between 0 and 10000") {
                lag = found
            }
            if method == .tpe {
                tpe = TPEOptions.read(&samplerReader, problems: &problems)
            } else {
                for key in TPEOptions.keys where samplerReader.has(key) {
                    _ = samplerReader.value(key)
                    problems.append(.init(path: "$.sampler.\(key)", message: "is a TPE option; it applies with \"method\": \"tpe\" only"))
                }
            }
            samplerReader.reportUnknownKeys(known: ["lag"] + TPEOptions.keys, problems: &problems)
        }

        let metric = readMetric(reader.value("metric"), data: data, problems: &problems)

        var fixed: [String: JSONValue] = [:]
        if let value = reader.value("fixed") {
            if case .object(let members) = value { fixed = members }
            else { problems.append(.init(path: "$.fixed", message: "must be an object of training settings, got \(value.kindDescription)")) }
        }
        for key in ["data", "seed", "repeats"] where fixed[key] != nil {
            let message = switch key {
            case "data": "set data at the top level of the spec"
            case "seed": "set the sweep's top-level seed; each trial's seed derives from it"
            default: "set repeats at the top level of the spec"
            }
            problems.append(.init(path: "$.fixed.\(key)", message: message))
            fixed[key] = nil
        }

        let space = SearchSpace.read(
            reader.value("parameters"), enumerable: method == .grid, settings: searchableSettings, fixed: fixed, problems: &problems)
        let enqueued = readEnqueued(
            reader.value("enqueue"), space: space, fixed: fixed, checkingRules: checkingRules, problems: &problems)
        let pruner = reader.value("pruner").flatMap {
            PrunerList.read($0, path: "$.pruner", folds: data.folds, repeats: repeats, problems: &problems)
        }
        for key in trainingSettings where reader.has(key) {
            _ = reader.value(key)
            problems.append(.init(path: "$.\(key)", message: "is a training setting, which a spec sets under \"fixed\" (every trial) or \"parameters\" (searched)"))
        }
        reader.reportUnknownKeys(known: keys, problems: &problems)

        if checkingRules {
            let listProblems = SearchSpace.listProblems(in: json["parameters"])
            problems += listProblems.values.sorted { $0.path < $1.path }
            checkSettings(fixed: fixed, space: space, skipping: Set(listProblems.keys), problems: &problems)
        }
        guard problems.isEmpty, let name, let method else { return nil }

        let sampler: any Sampler
        switch method {
        case .grid:
            guard let points = space.gridPoints(limit: maximumTrials + 1), points.count <= maximumTrials else {
                problems.append(.init(path: "$.parameters", message: "the grid has more than \(maximumTrials) combinations; list fewer values or use random or TPE search"))
                return nil
            }
            sampler = GridSampler(space: space, points: points)
        case .random:
            sampler = RandomSampler(space: space)
        case .tpe:
            sampler = TPESampler(space: space, options: tpe)
        }
        let spec = SweepSpec(
            name: name, data: data, method: method, trials: trials, seed: seed, metric: metric, fixed: fixed,
            space: space, lag: lag, tpe: tpe, enqueued: enqueued, repeats: repeats, sampler: sampler,
            metricIsDefault: json["metric"].map { !$0.isString && $0["name"] == nil } ?? true, pruner: pruner,
            canonicalJSON: json.canonicalText, dataJSON: Self.json(of: data))
        if let trials, enqueued.count > trials {
            problems.append(.init(path: "$.enqueue", message: "lists \(enqueued.count) configurations, more than the \(trials) trials of the sweep; raise trials"))
        }
        if checkingRules { spec.checkCombinations(problems: &problems) }
        return problems.isEmpty ? spec : nil
    }

    /// The longest sweep name: it is part of the run lock's file name, which the file system
    /// limits to 255 bytes with the database's name in front.
    public static let maximumNameLength = 100

    /// Why `name` cannot name a sweep, or nil. It must start with an ASCII letter or digit, so
    /// that it never reads as a command-line option (`-h`), and hold only ASCII letters, digits,
    /// '.', '_' and '-'.
    public static func nameProblem(_ name: String) -> String? {
        let shown = name.count > 40 ? String(name.prefix(37)) + "..." : name
        func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
            ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
        }
        guard let first = name.unicodeScalars.first, isAlphanumeric(first) else {
            return name.isEmpty
                ? "must not be empty: a name for the sweep, e.g. \"phone-price\""
                : name.hasPrefix("-")
                    ? "must start with a letter or digit (a name such as '\(shown)' reads as a command-line option), got '\(shown)'"
                    : "must start with an ASCII letter or digit, and hold only ASCII letters, digits, '.', '_' and '-' (it names files beside the database), got '\(shown)'"
        }
        if let bad = name.unicodeScalars.first(where: { !isAlphanumeric($0) && !"._-".unicodeScalars.contains($0) }) {
            return "may hold only ASCII letters, digits, '.', '_' and '-', got '\(shown)' (with '\(bad)')"
        }
        if name.count > maximumNameLength {
            return "is \(name.count) characters long; at most \(maximumNameLength) are allowed"
        }
        return nil
    }

    /// Settings a spec may search: every training setting but the data, the seed and repeats.
    static var searchableSettings: [String] {
        TrainingConfiguration.keys.filter { !["data", "seed", "repeats"].contains($0) }
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

    /// An enqueued configuration's settings whose "when" it makes false itself (momentum with
    /// optimizer adam): the trial would have carried and shown a setting its sweep does not
    /// search for it. A condition on a parent it leaves to the sampler cannot be told here.
    private static func inapplicable(_ configuration: [String: JSONValue], in space: SearchSpace, path: String) -> [ConfigurationProblem] {
        let point = space.point(of: .object(configuration))
        return space.dimensions.compactMap { dimension in
            guard dimension.isTopLevel, configuration[dimension.name] != nil, !dimension.conditions.isEmpty,
                  dimension.conditions.allSatisfy({ point[$0.parent] != nil }), !space.isActive(dimension, in: point),
                  let unmet = dimension.conditions.first(where: { !$0.coordinates.contains(point[$0.parent]!) }),
                  let parent = space.dimension(named: unmet.parent)
            else { return nil }
            let allowed = unmet.coordinates.sorted().map { parent.parameter.value(at: $0).shortText }.joined(separator: ", ")
            let given = parent.parameter.value(at: point[unmet.parent]!).shortText
            return ConfigurationProblem(
                path: "\(path).\(dimension.name)",
                message: "'\(dimension.name)' is searched only when \(unmet.parent) is \(allowed), and this configuration sets \(unmet.parent) to \(given); remove '\(dimension.name)', or set \(unmet.parent) to one of those")
        }
    }

    /// `[{"setting": value, ...}, ...]`: each a searched setting with a value it may take.
    private static func readEnqueued(
        _ value: JSONValue?, space: SearchSpace, fixed: [String: JSONValue], checkingRules: Bool,
        problems: inout [ConfigurationProblem]
    ) -> [[String: JSONValue]] {
        guard let value else { return [] }
        guard case .array(let items) = value else {
            problems.append(.init(path: "$.enqueue", message: "must be a list of configurations, e.g. [{\"optimizer\": \"adam\", \"lr\": 0.001}]"))
            return []
        }
        guard items.count <= maximumTrials else {
            problems.append(.init(path: "$.enqueue", message: "lists \(items.count) configurations; at most \(maximumTrials)"))
            return []
        }
        let searched = space.settingNames
        var enqueued: [[String: JSONValue]] = []
        for (index, item) in items.enumerated() {
            let path = "$.enqueue[\(index)]"
            guard case .object(let members) = item else {
                problems.append(.init(path: path, message: "must be an object of searched settings, got \(item.kindDescription)"))
                continue
            }
            var accepted: [String: JSONValue] = [:]
            for key in members.keys.sorted() {
                guard searched.contains(key) else {
                    let message = fixed[key] != nil
                        ? "'\(key)' is fixed for every trial; an enqueued configuration sets searched parameters only"
                        : "'\(key)' is not a searched parameter" + (searched.isEmpty ? "" : "; searched: \(searched.joined(separator: ", "))")
                    problems.append(.init(path: "\(path).\(key)", message: message))
                    continue
                }
                accepted[key] = members[key]
            }
            enqueued.append(accepted)
            // Stored sweeps, read without the rules of the day, stay readable.
            guard checkingRules else { continue }
            problems += inapplicable(accepted, in: space, path: path)
            var settings = fixed.merging(accepted) { _, new in new }
            settings["data"] = nil
            var found: [ConfigurationProblem] = []
            _ = TrainingConfiguration.read(.object(settings), path: path, problems: &found)
            problems += found.filter { problem in accepted.keys.contains { problem.path.hasPrefix("\(path).\($0)") } }
        }
        return enqueued
    }

    /// Checks the fixed settings alone, then each parameter value over them, attributing every
    /// problem to the place in the spec that caused it. `skipping`: the spec paths of lists
    /// refused already (`SearchSpace.listProblems(in:)`), whose values are not checked one by one.
    private static func checkSettings(
        fixed: [String: JSONValue], space: SearchSpace, skipping refused: Set<String>, problems: inout [ConfigurationProblem]
    ) {
        var fixedProblems: [ConfigurationProblem] = []
        _ = TrainingConfiguration.read(.object(fixed), path: "$.fixed", problems: &fixedProblems)
        problems += fixedProblems
        for dimension in space.dimensions {
            let owner = String(dimension.name.prefix { $0 != "." })
            let isLayerWidth = dimension.name.contains(".width_")
            guard dimension.isTopLevel || isLayerWidth else { continue }
            guard !isLayerWidth || dimension.name.hasSuffix(".width_1"), !refused.contains(specPath(of: dimension.name)) else { continue }
            for (index, value) in dimension.parameter.representativeValues.enumerated() {
                var settings = fixed
                settings[owner] = isLayerWidth ? .array([value]) : value
                var found: [ConfigurationProblem] = []
                _ = TrainingConfiguration.read(.object(settings), path: "$", problems: &found)
                let base = specPath(of: dimension.name)
                let location: String
                if case .values = dimension.parameter { location = "\(base).values[\(index)]" } else { location = "\(base).\(index == 0 ? "min" : "max")" }
                for problem in found where problem.path == "$.\(owner)" || problem.path.hasPrefix("$.\(owner).") || problem.path.hasPrefix("$.\(owner)[") {
                    let suffix = isLayerWidth ? "" : String(problem.path.dropFirst("$.\(owner)".count))
                    problems.append(.init(path: location + suffix, message: problem.message))
                }
            }
        }
    }

    /// Every combination a grid or random sweep will train (TPE: its random start) must be a
    /// configuration that trains; the same problem in many trials is reported once.
    private func checkCombinations(problems: inout [ConfigurationProblem]) {
        // Each problem once, in the order first found, with the trials (or substituted values) that have it.
        var found: [(problem: ConfigurationProblem, numbers: [Int], values: [String])] = []
        let draws = method == .tpe ? enqueued.count + tpe.startupTrials + lag : 1_000
        for proposal in proposalsToCheck(draws: draws) {
            do {
                let plan = try plan(number: proposal.number, parameters: proposal.parameters)
                // The trial itself, not one of its settings substituted: the sweep starts with it.
                if proposal.label.hasPrefix("trial ") { checkedPlans.keep(plan) }
            } catch {
                for problem in error.problems {
                    let index = found.firstIndex { $0.problem == problem } ?? { found.append((problem, [], [])); return found.count - 1 }()
                    if proposal.label.hasPrefix("trial ") { found[index].numbers.append(proposal.number) } else { found[index].values.append(proposal.label) }
                }
            }
        }
        for (problem, numbers, values) in found {
            var places: [String] = []
            if !numbers.isEmpty {
                places.append("trial " + numbers.prefix(5).map(String.init).joined(separator: ", ") + (numbers.count > 5 ? ", … (\(numbers.count) trials)" : ""))
            }
            if let value = values.first { places.append(value) }
            let where_ = problem.path == "$" ? "" : " at \(problem.path)"
            problems.append(.init(path: "$ (\(places.joined(separator: "; ")))", message: "the combined settings\(where_): \(problem.message)"))
        }
    }

}
