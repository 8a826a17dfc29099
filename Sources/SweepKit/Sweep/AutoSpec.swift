import Datasets
import Foundation

/// The sweep `sweep auto` runs on a CSV it has never seen: a search space sized from the data,
/// written as an ordinary spec so that the run can be reproduced (`sweep run SPEC`) and grown.
///
/// - Scoring: k-fold cross-validation (5 folds up to 5,000 rows, 3 beyond) over every row
///   (`test_fraction` 0), so the final fit of each trial trains on all of them and the
///   cross-validated metric is the estimate; with early stopping it trains for the epochs the
///   folds stopped at.
/// - Search: TPE (Optuna's default sampler, the project's best search: BENCHMARKS.md) over depth
///   0–3 (depth 0 is a linear model: logistic or linear regression, `weight_decay` its L2
///   penalty), each hidden layer's width on a log scale, and for networks only (depth 1–3)
///   activation, batch norm and dropout; optimizer (momentum for SGD only), learning rate and
///   weight decay on log scales, and batch size; for three or more classes, the loss too
///   (`losses`: cross-entropy or ordinal). The configurations of `enqueued` run first.
/// - Trials: as many as the budget allows, up to `trialCount`.
/// - Epochs: up to 200 with early stopping on the validation loss (patience 15), and trials
///   pruned by the median rule (after 10 epochs) and by the fold rule (their first folds clearly
///   worse than the best trial's: the others are skipped).
public struct AutoSpec: Sendable {
    public var name: String
    public var source: String
    public var target: String
    public var task: TaskKind
    public var rowCount: Int
    public var featureCount: Int

    public init(name: String, source: String, target: String, task: TaskKind, rowCount: Int, featureCount: Int) {
        self.name = name
        self.source = source
        self.target = target
        self.task = task
        self.rowCount = rowCount
        self.featureCount = featureCount
    }

    /// The trials the spec asks for: more than a budget of minutes reaches (a small set runs some
    /// 25 trials a second on 2 cores), and few enough that checking the spec's random start,
    /// which `sweep run` draws for every trial before training, takes about a second.
    public static let trialCount = 10_000

    /// Folds: 5 up to 5,000 rows, else 3 (each fold is a whole fit); never more than the rows allow.
    public var folds: Int { rowCount <= 5000 ? 5 : 3 }

    /// The widest hidden layer searched: 512 from 2,000 rows on, 256 below, so that a small set
    /// does not spend its budget on networks it cannot feed.
    public var maximumWidth: Int { rowCount >= 2000 ? 512 : 256 }

    /// Batch sizes: 16 to 128, the smallest only for sets under 1,000 rows, 256 from 10,000 rows.
    public var batchSizes: [Int] {
        (rowCount < 1000 ? [16] : []) + [32, 64, 128] + (rowCount >= 10_000 ? [256] : [])
    }

    /// A sweep name from a file name: its stem, characters outside ASCII letters, digits, `.`,
    /// `_`, `-` replaced by `-`, prefixed `auto-`. A stem with other characters than ASCII ones
    /// ends with 8 hex digits of its own (FNV-1a of its UTF-8): `日本.csv` and `中国.csv` were
    /// both `auto---`, and the second was refused as the first's data changed.
    public static func name(forSource source: String) -> String {
        let stem = (URL(fileURLWithPath: source).deletingPathExtension().lastPathComponent)
        let cleaned = String(stem.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-") ? $0 : "-" })
        let name = "auto-" + (cleaned.isEmpty ? "data" : String(cleaned.prefix(60)))
        guard !stem.allSatisfy(\.isASCII) else { return name }
        var hash: UInt32 = 2_166_136_261
        for byte in stem.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return name + "-" + String(format: "%08x", hash)
    }

    /// The losses searched: for three or more classes, cross-entropy (a softmax output) and the
    /// ordinal loss (CORAL: one score and thresholds, for classes whose numbering is an order,
    /// such as price ranges or ratings); cross-validation tells which the data has. Nil (the
    /// task's default loss) otherwise.
    public var losses: [String]? { task == .multiclass ? ["cross_entropy", "ordinal"] : nil }

    /// Configurations known to be sound on small tabular data, tried first: a linear model and
    /// one tanh layer, and with ordered classes possible, a linear ordinal model.
    var enqueued: [[String: Any]] {
        var linear: [String: Any] = [
            "hidden_layers": [], "optimizer": "adam", "lr": 0.01, "weight_decay": 0.0001, "batch_size": 32,
        ]
        var tanh: [String: Any] = [
            "hidden_layers": [32], "activation": "tanh", "batch_norm": false, "optimizer": "adam", "lr": 0.005,
            "weight_decay": 0.0001, "dropout": 0.1, "batch_size": 64,
        ]
        guard losses != nil else { return [linear, tanh] }
        linear["loss"] = "cross_entropy"
        tanh["loss"] = "cross_entropy"
        var ordinal = linear
        ordinal["loss"] = "ordinal"
        return [linear, tanh, ordinal]
    }

    /// The condition of the settings that act on hidden layers only (activation, batch norm,
    /// dropout): a linear model (depth 0) neither samples them nor shows them, so that TPE does
    /// not learn from values that changed nothing, and two linear trials differing only there are
    /// not the same model trained twice.
    static var hasHiddenLayers: [String: Any] { ["hidden_layers.depth": depths.filter { $0 > 0 }] }

    /// The depths searched: 0 (a linear model) to 3 hidden layers.
    static let depths = [0, 1, 2, 3]

    /// The spec as JSON text (keys sorted, indented), which `SweepSpec.parse` reads.
    public func json() -> String {
        var parameters: [String: Any] = [
            "hidden_layers": [
                "depth": ["values": Self.depths],
                "width": ["distribution": "int_log_uniform", "min": 16, "max": maximumWidth] as [String: Any],
            ],
            "activation": ["values": ["relu", "tanh", "leaky_relu"], "when": Self.hasHiddenLayers] as [String: Any],
            "batch_norm": ["values": [false, true], "when": Self.hasHiddenLayers] as [String: Any],
            "optimizer": ["values": ["adam", "adamw", "sgd"]],
            "momentum": ["values": [0.8, 0.9, 0.95], "when": ["optimizer": ["sgd"]]] as [String: Any],
            "lr": ["distribution": "log_uniform", "min": 0.0003, "max": 0.1] as [String: Any],
            "weight_decay": ["distribution": "log_uniform", "min": 1e-6, "max": 0.03] as [String: Any],
            "dropout": ["distribution": "q_uniform", "min": 0, "max": 0.5, "q": 0.05, "when": Self.hasHiddenLayers] as [String: Any],
            "batch_size": ["values": batchSizes],
        ]
        if let losses { parameters["loss"] = ["values": losses] }
        let spec: [String: Any] = [
            "name": name,
            "description": "Written by sweep auto for \(rowCount) rows of \(featureCount) features, task \(task.rawValue): TPE over linear models and networks of 1-3 hidden layers, scored by \(folds)-fold cross-validation; every row trains the final model. Run it again with sweep run to continue or grow it.",
            "data": [
                "source": source, "target": target, "task": task.rawValue, "test_fraction": 0, "folds": folds,
                "split_seed": 88, "standardize": true,
            ] as [String: Any],
            "method": "tpe",
            "trials": Self.trialCount,
            "seed": 0,
            "sampler": ["lag": 4, "startup_trials": 12],
            "pruner": [["name": "median", "startup_trials": 8, "warmup_epochs": 10], ["name": "folds"]],
            "fixed": ["epochs": 200, "patience": 15, "initializer": "kaiming_uniform"] as [String: Any],
            "parameters": parameters,
            "enqueue": enqueued,
        ]
        let data = try! JSONSerialization.data(withJSONObject: spec, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// One line per decision, for the command to print.
    public var summary: [String] {
        [
            "\(rowCount) rows, \(featureCount) features, target '\(target)': \(task.rawValue)",
            "scoring: \(folds)-fold cross-validation over every row; each trial's final model trains on all of them",
            "search: TPE over linear models (depth 0) and 1-3 hidden layers of 16-\(maximumWidth) units (their activation, batch norm and dropout), optimizer, learning rate and weight decay (log scale), batch size \(batchSizes.map(String.init).joined(separator: "/"))"
                + (losses == nil ? "" : ", and the loss: cross-entropy, or ordinal for classes in order"),
            "training: up to 200 epochs, early stopping (patience 15); median and fold pruning stop hopeless trials",
        ]
    }
}
