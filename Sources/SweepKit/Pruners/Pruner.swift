import Foundation

/// Decides whether a running trial is hopeless, as Optuna's `BasePruner` does, but from a fixed
/// reference: the trials numbered n − lag − 1 and lower, all ended when trial n starts. A
/// decision therefore depends only on the sweep seed and those trials, and a pruned sweep is the
/// same for any `--jobs` up to lag + 1 and after a kill and resume.
///
/// Values are oriented as losses (lower is better: a maximised metric is negated), NaN where
/// there is none. A trial's fits are its folds (× repeats): fit f of one trial is compared with
/// fit f of the others, on the same rows.
public protocol Pruner: Sendable {
    /// Whether fit `fit` of a trial should stop after `epoch` (1-based), given its intermediate
    /// values for epochs 1 … epoch (`values`).
    func shouldPrune(fit: Int, epoch: Int, values: [Double], reference: PruningReference) -> Bool

    /// Whether a cross-validated trial should skip its remaining fits, given the final values of
    /// the fits it has finished, in order (fits 0 ..< values.count).
    func shouldSkipFits(afterFits values: [Double], reference: PruningReference) -> Bool
}

extension Pruner {
    public func shouldPrune(fit: Int, epoch: Int, values: [Double], reference: PruningReference) -> Bool { false }
    public func shouldSkipFits(afterFits values: [Double], reference: PruningReference) -> Bool { false }
}

/// The ended trials a decision may look at, each with its learning curves.
public struct PruningReference: Sendable {
    public struct Trial: Sendable, Hashable {
        public var number: Int
        /// complete, pruned, diverged or failed.
        public var status: TrialStatus
        /// Per fit, the intermediate value of each epoch it ran (index e − 1 for epoch e).
        public var curves: [[Double]]
        /// Per scoring fit, its final value (a complete trial's; empty otherwise).
        public var fitValues: [Double]

        public init(number: Int, status: TrialStatus, curves: [[Double]], fitValues: [Double]) {
            self.number = number
            self.status = status
            self.curves = curves
            self.fitValues = fitValues
        }

        /// The value fit `fit` reported at `epoch`, if it got that far.
        public func value(fit: Int, epoch: Int) -> Double? {
            guard fit < curves.count, epoch >= 1, epoch <= curves[fit].count else { return nil }
            return curves[fit][epoch - 1]
        }
    }

    /// In trial number order.
    public var trials: [Trial]
    /// The best complete trial by the sweep's ranking, if any.
    public var best: Trial?

    public init(trials: [Trial], best: Trial?) {
        self.trials = trials
        self.best = best
    }

    public static let empty = PruningReference(trials: [], best: nil)

    public var completeTrials: [Trial] { trials.filter { $0.status == .complete } }
}

/// The pruners of a spec (`"pruner"`: one object or a list), asked in turn: the first that says
/// stop stops the trial.
public struct PrunerList: Pruner {
    public let pruners: [any Pruner]
    /// The spec's names, for messages.
    public let names: [String]

    public func shouldPrune(fit: Int, epoch: Int, values: [Double], reference: PruningReference) -> Bool {
        pruners.contains { $0.shouldPrune(fit: fit, epoch: epoch, values: values, reference: reference) }
    }

    public func shouldSkipFits(afterFits values: [Double], reference: PruningReference) -> Bool {
        pruners.contains { $0.shouldSkipFits(afterFits: values, reference: reference) }
    }

    /// Whether any pruner judges whole fits: the fits of a trial then run one after another.
    public let judgesFits: Bool

    static let names = ["median", "asha", "folds"]

    /// Reads `"pruner": {"name": ..., options}` or a list of them; `folds` and `repeats` are the
    /// spec's (the folds pruner needs several fits per trial).
    static func read(_ value: JSONValue, path: String, folds: Int?, repeats: Int, problems: inout [ConfigurationProblem]) -> PrunerList? {
        let items: [(JSONValue, String)]
        if case .array(let list) = value {
            guard !list.isEmpty else {
                problems.append(.init(path: path, message: "is an empty list; name a pruner, e.g. {\"name\": \"median\"}"))
                return nil
            }
            items = list.enumerated().map { ($0.element, "\(path)[\($0.offset)]") }
        } else {
            items = [(value, path)]
        }
        var pruners: [any Pruner] = []
        var names: [String] = []
        var judgesFits = false
        for (item, itemPath) in items {
            guard var reader = ObjectReader(item, path: itemPath, problems: &problems) else { continue }
            guard let name = reader.string("name", problems: &problems) else {
                if !reader.has("name") {
                    problems.append(.init(path: reader.childPath("name"), message: "is required: one of \(Self.names.joined(separator: ", "))"))
                }
                continue
            }
            let pruner: (any Pruner)?
            switch name {
            case "median": pruner = MedianPruner.read(&reader, problems: &problems)
            case "asha": pruner = SuccessiveHalvingPruner.read(&reader, problems: &problems)
            case "folds":
                if folds == nil && repeats < 2 {
                    problems.append(.init(path: reader.childPath("name"), message: "the folds pruner compares a trial's folds (or repeats) with the best trial's; set data.folds or repeats"))
                    continue
                }
                pruner = FoldPruner.read(&reader, folds: folds, problems: &problems)
                judgesFits = true
            default:
                var message = "unknown pruner '\(name)'"
                if let suggestion = closestName(to: name, among: Self.names) { message += "; did you mean '\(suggestion)'?" }
                else { message += "; known pruners: \(Self.names.joined(separator: ", "))" }
                problems.append(.init(path: reader.childPath("name"), message: message))
                continue
            }
            if let pruner {
                pruners.append(pruner)
                names.append(name)
            }
        }
        guard !pruners.isEmpty else { return nil }
        return PrunerList(pruners: pruners, names: names, judgesFits: judgesFits)
    }
}

extension SweepMetric {
    /// The value a fit reports after `epoch` for pruning, oriented as a loss: the epoch's
    /// validation accuracy or RMSE when the sweep ranks by that, its validation loss for
    /// `validation_loss` and `validation_mae` (the epoch records have no MAE), its training loss
    /// for `train_loss`. NaN when the epoch has none.
    public func intermediateValue(of epoch: EpochRecord) -> Double {
        let value: Double? = switch name {
        case .validationAccuracy, .validationRMSE: epoch.validationMetric
        case .trainLoss: epoch.trainLoss
        default: epoch.validationLoss
        }
        guard let value else { return .nan }
        return maximize ? -value : value
    }
}

/// Judges one fit of a trial, epoch by epoch, for the sweep's pruner.
struct PruningMonitor: EpochMonitor {
    let pruner: any Pruner
    let reference: PruningReference
    let fit: Int
    let metric: SweepMetric
    private var values: [Double] = []

    init(pruner: any Pruner, reference: PruningReference, fit: Int, metric: SweepMetric) {
        self.pruner = pruner
        self.reference = reference
        self.fit = fit
        self.metric = metric
    }

    mutating func judge(_ epoch: EpochRecord, validation: Evaluation) -> EpochVerdict {
        values.append(metric.intermediateValue(of: epoch))
        return pruner.shouldPrune(fit: fit, epoch: epoch.epoch, values: values, reference: reference) ? .prune : .proceed
    }
}
