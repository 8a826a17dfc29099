import Datasets
import Foundation
import NeuralNet

/// Where the rows come from and how they are split and scaled.
///
/// JSON: `"data": "builtin:phone-price"` or `{"source": "path.csv", "target": "price_range",
/// "task": "multiclass", "test_fraction": 0.2, "validation_fraction": 0.1, "split_seed": 88,
/// "folds": 5, "standardize": true}`.
public struct DataConfiguration: Codable, Sendable, Hashable {
    public var source: String = "builtin:phone-price"
    public var target: String?
    public var task: TaskKind?
    public var testFraction: Double = 0.2
    public var validationFraction: Double = 0.1
    public var splitSeed: UInt64 = 88
    /// k-fold cross-validation over the non-test rows instead of one validation part.
    public var folds: Int?
    public var standardize: Bool = true
    /// Z-scores for a regression target, fitted on the training rows (`TargetScale`); nil: on.
    /// Optional so that configurations written before it keep their JSON.
    public var standardizeTarget: Bool?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case source, target, task, testFraction = "test_fraction", validationFraction = "validation_fraction"
        case splitSeed = "split_seed", folds, standardize, standardizeTarget = "standardize_target"
    }

    static let keys = [
        "source", "target", "task", "test_fraction", "validation_fraction", "split_seed", "folds", "standardize",
        "standardize_target",
    ]

    /// Reads a data section, recording every problem.
    static func read(_ value: JSONValue, path: String, problems: inout [ConfigurationProblem]) -> DataConfiguration {
        var data = DataConfiguration()
        if case .string(let source) = value {
            data.source = source
            return data
        }
        guard var reader = ObjectReader(value, path: path, problems: &problems) else { return data }
        if let source = reader.string("source", problems: &problems) { data.source = source }
        else if !reader.has("source") { problems.append(.init(path: reader.childPath("source"), message: "is required: a CSV path or builtin:phone-price")) }
        data.target = reader.string("target", problems: &problems)
        if let task = reader.string("task", problems: &problems) {
            if let kind = TaskKind(rawValue: task) { data.task = kind }
            else { problems.append(.init(path: reader.childPath("task"), message: "unknown task '\(task)'; known tasks: \(TaskKind.allCases.map(\.rawValue).joined(separator: ", "))")) }
        }
        if let fraction = reader.number("test_fraction", problems: &problems, where: { $0 >= 0 && $0 < 1 }, rule: "must be in [0, 1)") { data.testFraction = fraction }
        if let fraction = reader.number("validation_fraction", problems: &problems, where: { $0 >= 0 && $0 < 1 }, rule: "must be in [0, 1)") { data.validationFraction = fraction }
        if let seed = reader.integer("split_seed", problems: &problems, where: { $0 >= 0 }, rule: "must be zero or positive") { data.splitSeed = UInt64(seed) }
        data.folds = reader.integer("folds", problems: &problems, where: { $0 >= 2 }, rule: "k-fold needs at least 2 folds")
        if let flag = reader.bool("standardize", problems: &problems) { data.standardize = flag }
        if let flag = reader.bool("standardize_target", problems: &problems) { data.standardizeTarget = flag ? nil : false }
        if data.testFraction == 0, data.folds == nil {
            problems.append(.init(path: "\(path).test_fraction", message: "0 keeps no rows back, which needs k-fold scoring: set data.folds (the cross-validated metric is then the estimate, and the final model trains on every row), or keep a test part above 0"))
        }
        if data.testFraction + data.validationFraction >= 1 {
            problems.append(.init(path: path, message: "test_fraction + validation_fraction must leave rows to train on (sum is \((data.testFraction + data.validationFraction).compactDescription))"))
        }
        reader.reportUnknownKeys(known: keys, problems: &problems)
        return data
    }
}

/// The largest finite Float, as a Double: the bound of every setting the engine keeps as Float.
let largestFloat = Double(Float.greatestFiniteMagnitude)

/// Early stopping: stop when `metric` has not improved for `patience` epochs and restore the
/// best epoch's weights.
public struct EarlyStopping: Codable, Sendable, Hashable {
    public var patience: Int
    public var metric: MetricName

    public init(patience: Int, metric: MetricName = .validationLoss) {
        self.patience = patience
        self.metric = metric
    }
}

/// Everything one training run needs: data, network, loss, optimizer, schedule and loop settings.
/// The same flat JSON object is a `sweep train` config and, after a sweep fills in its
/// parameters, one trial's configuration.
public struct TrainingConfiguration: Codable, Sendable, Hashable {
    public var data = DataConfiguration()
    public var hiddenLayers: [Int] = [128, 256]
    public var activation: Activation = .relu
    public var negativeSlope: Float = 0.01
    public var initializer: Initializer = .kaimingNormal
    public var dropout: Float = 0
    public var batchNorm = false
    /// nil: cross_entropy for multiclass, bce_with_logits for binary, mse for regression.
    public var loss: Loss?
    public var optimizer = OptimizerConfiguration(kind: .adam)
    public var schedule: LearningRateSchedule = .none
    public var batchSize = 32
    public var epochs = 50
    public var earlyStopping: EarlyStopping?
    public var seed: UInt64 = 0
    /// How many seeds each fold is trained with (nil: one); `Trainer` derives repeat r's seed
    /// from `seed` and r. Optional so that configurations without repeats keep their JSON.
    public var repeats: Int?

    public init() {}

    /// The number of seeds each fold is trained with.
    public var repeatCount: Int { repeats ?? 1 }

    enum CodingKeys: String, CodingKey {
        case data, hiddenLayers = "hidden_layers", activation, negativeSlope = "negative_slope", initializer
        case dropout, batchNorm = "batch_norm", loss, optimizer, schedule, batchSize = "batch_size", epochs
        case earlyStopping = "early_stopping", seed, repeats
    }

    /// Every key a configuration object may hold. `lr`, `weight_decay`, `momentum` and
    /// `patience` are shorthands that override the optimizer's and early stopping's options.
    public static let keys = [
        "data", "hidden_layers", "activation", "negative_slope", "initializer", "dropout", "batch_norm", "loss",
        "optimizer", "lr", "weight_decay", "momentum", "schedule", "batch_size", "epochs", "patience",
        "early_stopping_metric", "seed", "repeats",
    ]

    /// Reads a configuration object, recording every problem with its JSON path.
    public static func read(_ value: JSONValue, path: String = "$", problems: inout [ConfigurationProblem]) -> TrainingConfiguration {
        var configuration = TrainingConfiguration()
        guard var reader = ObjectReader(value, path: path, problems: &problems) else { return configuration }
        if let data = reader.value("data") {
            configuration.data = DataConfiguration.read(data, path: reader.childPath("data"), problems: &problems)
        }
        if let layers = reader.value("hidden_layers") {
            configuration.hiddenLayers = readWidths(layers, path: reader.childPath("hidden_layers"), problems: &problems)
        }
        if let name = reader.string("activation", problems: &problems) {
            if let activation = Activation(rawValue: name) { configuration.activation = activation }
            else { problems.append(.init(path: reader.childPath("activation"), message: NeuralNetError.unknownName(kind: "activation", name: name, known: Activation.allCases.map(\.rawValue)).description)) }
        }
        if let slope = reader.number("negative_slope", problems: &problems, where: { $0 >= 0 && $0 < 1 }, rule: "must be in [0, 1)") {
            configuration.negativeSlope = Float(slope)
        }
        if let initializer = reader.value("initializer"),
            checkEngineValue(initializer, path: reader.childPath("initializer"), kind: "initializer", options: ["a", "b", "mean", "std", "val", "gain"], problems: &problems),
            let decoded = decodeEngineValue(Initializer.self, from: initializer, path: reader.childPath("initializer"), problems: &problems) {
            configuration.initializer = decoded
        }
        if let p = reader.number("dropout", problems: &problems, where: { $0 >= 0 && $0 < 1 }, rule: "dropout p must be in [0, 1)") {
            // The engine computes in Float, which rounds 0.9999999999 up to 1.
            if Float(p) < 1 {
                configuration.dropout = Float(p)
            } else {
                problems.append(.init(path: reader.childPath("dropout"), message: "dropout p must be in [0, 1), got \(p.compactDescription), which is 1 as a 32-bit float (the largest below 1 is 0.99999994)"))
            }
        }
        if let flag = reader.bool("batch_norm", problems: &problems) { configuration.batchNorm = flag }
        if let name = reader.string("loss", problems: &problems) {
            if let loss = Loss(rawValue: name) { configuration.loss = loss }
            else { problems.append(.init(path: reader.childPath("loss"), message: NeuralNetError.unknownName(kind: "loss", name: name, known: Loss.allCases.map(\.rawValue)).description)) }
        }
        if let optimizer = reader.value("optimizer") {
            let optimizerPath = reader.childPath("optimizer")
            let objectForm: JSONValue
            if case .string(let name) = optimizer { objectForm = .object(["name": .string(name)]) } else { objectForm = optimizer }
            let options = OptimizerKind.allCases.flatMap(\.optionNames).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
            if checkEngineValue(optimizer, path: optimizerPath, kind: "optimizer", names: OptimizerKind.allCases.map(\.rawValue), options: options, problems: &problems),
                let decoded = decodeEngineValue(OptimizerConfiguration.self, from: objectForm, path: optimizerPath, problems: &problems),
                takesItsOptions(decoded.kind, in: optimizer, path: optimizerPath, problems: &problems) {
                configuration.optimizer = decoded
            }
        }
        // The engine computes in Float: a larger number would become infinity, which the
        // optimizer would then refuse at another path.
        if let rate = reader.number("lr", problems: &problems, where: { $0 > 0 && $0 <= largestFloat }, rule: "lr must be a positive number no larger than 3.4e38 (the largest 32-bit float)") {
            configuration.optimizer.learningRate = Float(rate)
        }
        if let decay = reader.number("weight_decay", problems: &problems, where: { $0 >= 0 && $0 <= largestFloat }, rule: "weight_decay must be zero or positive, no larger than 3.4e38 (the largest 32-bit float)") {
            configuration.optimizer.weightDecay = Float(decay)
        }
        if let momentum = reader.number("momentum", problems: &problems, where: { $0 >= 0 && $0 < 1 }, rule: "momentum must be in [0, 1)") {
            configuration.optimizer.momentum = Float(momentum)
        }
        do {
            try configuration.optimizer.validate()
        } catch {
            problems.append(.init(path: reader.childPath("optimizer"), message: error.description))
        }
        if let schedule = reader.value("schedule"),
            checkEngineValue(
                schedule, path: reader.childPath("schedule"), kind: "schedule",
                options: ["step_size", "gamma", "milestones", "T_max", "eta_min", "start_factor", "end_factor", "total_iters"], problems: &problems),
            let decoded = decodeEngineValue(LearningRateSchedule.self, from: schedule, path: reader.childPath("schedule"), problems: &problems) {
            configuration.schedule = decoded
        }
        if let size = reader.integer("batch_size", problems: &problems, where: { $0 >= 1 }, rule: "batch_size must be at least 1") {
            configuration.batchSize = size
        }
        if let count = reader.integer("epochs", problems: &problems, where: { $0 >= 1 && $0 <= maximumEpochs }, rule: "epochs must be from 1 to \(maximumEpochs.formatted())") {
            configuration.epochs = count
        }
        let patience = reader.integer("patience", problems: &problems, where: { $0 >= 1 && $0 <= maximumEpochs }, rule: "patience must be from 1 to \(maximumEpochs.formatted()) epochs")
        var stoppingMetric = MetricName.validationLoss
        if let name = reader.string("early_stopping_metric", problems: &problems) {
            if let metric = MetricName(rawValue: name), metric.isValidationMetric { stoppingMetric = metric }
            else { problems.append(.init(path: reader.childPath("early_stopping_metric"), message: "unknown metric '\(name)'; early stopping watches one of \(MetricName.validationMetrics.map(\.rawValue).joined(separator: ", "))")) }
        }
        if let patience { configuration.earlyStopping = EarlyStopping(patience: patience, metric: stoppingMetric) }
        if let seed = reader.integer("seed", problems: &problems, where: { $0 >= 0 }, rule: "seed must be zero or positive") {
            configuration.seed = UInt64(seed)
        }
        if let count = reader.integer("repeats", problems: &problems, where: { $0 >= 1 && $0 <= 100 }, rule: "repeats must be between 1 and 100") {
            configuration.repeats = count == 1 ? nil : count
        }
        reader.reportUnknownKeys(known: keys, problems: &problems)
        if configuration.earlyStopping != nil, configuration.data.validationFraction == 0, configuration.data.folds == nil {
            problems.append(.init(path: "\(path).patience", message: "early stopping needs validation rows; set data.validation_fraction above 0"))
        }
        return configuration
    }

    /// Whether an optimizer object holds only options its optimizer takes, recording a problem for
    /// each other one (`{"name": "adam", "momentum": 0.9}`), which it would otherwise train
    /// without. The shorthands `lr`, `weight_decay` and `momentum` beside the object are not
    /// checked here: a sweep may search `momentum` over several optimizers, and those without
    /// momentum leave it out.
    static func takesItsOptions(_ kind: OptimizerKind, in optimizer: JSONValue, path: String, problems: inout [ConfigurationProblem]) -> Bool {
        guard case .object(let members) = optimizer else { return true }
        // A key no optimizer takes is reported as unknown already, with a "did you mean".
        let known = Set(OptimizerKind.allCases.flatMap(\.optionNames))
        let refused = members.keys.sorted().filter { known.contains($0) && !kind.optionNames.contains($0) }
        for key in refused {
            var message = "\(kind.rawValue) takes no option '\(key)'; its options are \(kind.optionNames.joined(separator: ", "))"
            if key == "momentum", kind == .adam || kind == .adamw {
                message += " (Adam's momentum is its first beta: \"betas\": [0.9, 0.999] by default)"
            }
            problems.append(.init(path: "\(path).\(key)", message: message))
        }
        return refused.isEmpty
    }

    /// The most epochs a configuration trains: each is a row in the results database and a line
    /// of `sweep train`'s output, and counts of epochs times fits must stay far from overflow.
    public static let maximumEpochs = 1_000_000
    /// The widest hidden layer. Whether a whole network fits the machine is `MemoryEstimate`'s
    /// question; this bound only keeps one number from being absurd on its own.
    public static let maximumLayerWidth = 1_000_000
    /// The most hidden layers: far deeper than a plain MLP without residual connections trains.
    public static let maximumDepth = 1_000

    static func readWidths(_ value: JSONValue, path: String, problems: inout [ConfigurationProblem]) -> [Int] {
        guard case .array(let items) = value else {
            problems.append(.init(path: path, message: "must be a list of layer widths such as [128, 256], got \(value.kindDescriptionWithValue)"))
            return []
        }
        guard items.count <= maximumDepth else {
            problems.append(.init(path: path, message: "a network has at most \(maximumDepth.formatted()) hidden layers, got \(items.count.formatted())"))
            return []
        }
        var widths: [Int] = []
        for (index, item) in items.enumerated() {
            if case .number(let number) = item, number == number.rounded(), number >= 1, number <= Double(maximumLayerWidth) {
                widths.append(Int(number))
            } else {
                let got = if case .number = item { item.shortText } else { item.kindDescriptionWithValue }
                problems.append(.init(path: "\(path)[\(index)]", message: "a layer width must be a positive whole number, got \(got); the widest layer allowed is \(maximumLayerWidth.formatted()) (whether the whole network fits in memory is checked before training)"))
            }
        }
        return widths
    }

    /// Parses and validates a configuration file's text.
    public static func parse(_ data: Data, source: String) throws(ConfigurationError) -> TrainingConfiguration {
        let json = try JSONValue.parse(data, source: source)
        var problems: [ConfigurationProblem] = []
        let configuration = read(json, problems: &problems)
        guard problems.isEmpty else { throw ConfigurationError(source: source, problems: problems) }
        return configuration
    }

    /// The canonical JSON form, as stored with each trial.
    public var canonicalJSON: String {
        (try? CanonicalJSONEncoder().text(self)) ?? "{}"
    }
}
