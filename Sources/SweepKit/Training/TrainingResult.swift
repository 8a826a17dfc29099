import Datasets
import NeuralNet

/// One epoch of one fold, as it is printed, stored and plotted.
public struct EpochRecord: Codable, Sendable, Hashable {
    /// 1-based fold number (1 for a plain split).
    public var fold: Int
    /// 1-based epoch number.
    public var epoch: Int
    public var trainLoss: Double
    /// Accuracy (classification) or RMSE (regression) on the training batches, in train mode.
    public var trainMetric: Double?
    public var validationLoss: Double?
    public var validationMetric: Double?
    public var learningRate: Double
    public var seconds: Double

    public init(
        fold: Int, epoch: Int, trainLoss: Double, trainMetric: Double?, validationLoss: Double?,
        validationMetric: Double?, learningRate: Double, seconds: Double
    ) {
        self.fold = fold
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.trainMetric = trainMetric
        self.validationLoss = validationLoss
        self.validationMetric = validationMetric
        self.learningRate = learningRate
        self.seconds = seconds
    }
}

extension [EpochRecord] {
    /// In (fold, epoch) order, the order stores keep. Fits deliver their epochs in order, so
    /// this rarely sorts.
    public var inFoldOrder: [EpochRecord] {
        let ordered = zip(self, dropFirst()).allSatisfy { ($0.fold, $0.epoch) <= ($1.fold, $1.epoch) }
        return ordered ? self : sorted { ($0.fold, $0.epoch) < ($1.fold, $1.epoch) }
    }

    /// The first (fold, epoch) that occurs twice, which no store accepts.
    public var firstDuplicate: (fold: Int, epoch: Int)? {
        var seen = Set<EpochKey>(minimumCapacity: count)
        return first { !seen.insert(EpochKey(fold: $0.fold, epoch: $0.epoch)).inserted }.map { ($0.fold, $0.epoch) }
    }
}

private struct EpochKey: Hashable {
    var fold: Int
    var epoch: Int
}

/// How a run ended.
public enum TrainingStatus: String, Codable, Sendable {
    /// Every epoch ran, or early stopping ended it.
    case complete
    /// The loss became NaN or infinite; `divergedEpoch` says when.
    case diverged
    /// Stopped from outside (Ctrl-C, SIGTERM) before it finished.
    case interrupted
    /// Stopped by a sweep's pruner: hopeless compared with the trials before it.
    case pruned
}

/// Everything needed to run a trained network again: its shape, weights and the data
/// transformation it was trained with. This is what is stored and exported.
public struct TrainedModel: Codable, Sendable {
    public var network: NetworkDescription
    public var tensors: [NamedTensor]
    public var task: TaskKind
    public var featureNames: [String]
    public var targetName: String
    public var classLabels: [String]
    public var standardizer: Standardizer?
    /// A regression target's z-scores: the network's outputs are y' and predictions
    /// y = y' · σ + μ. Nil for classification, an unscaled target, or models saved before.
    public var targetScale: TargetScale? = nil

    /// A network output as a prediction in the target's units.
    public func prediction(fromOutput output: Float) -> Float {
        targetScale?.restored(output) ?? output
    }

    /// Rebuilds the network with these weights, in evaluation mode.
    public func makeNetwork() throws(NeuralNetError) -> Network {
        let built = try Network(network, seed: 0)
        try built.load(tensors)
        built.eval()
        return built
    }
}

/// The outcome of training one configuration (over every fold).
public struct TrainingResult: Sendable {
    public var status: TrainingStatus
    public var epochs: [EpochRecord]
    /// The final validation evaluation of each scoring fit (fold × repeat, in fit order) of a
    /// complete run: the spread behind the mean in `validation`.
    public var foldValidations: [Evaluation] = []
    /// The epoch whose weights the model holds when early stopping restored them, else the
    /// epoch with the best validation metric.
    public var bestEpoch: Int?
    public var divergedEpoch: Int?
    /// Final validation evaluation (mean over folds for k-fold); nil without validation rows.
    public var validation: Evaluation?
    /// The best validation headline metric seen over the epochs (mean over folds).
    public var bestValidationMetric: Double?
    /// Test evaluation of the final model (mean over folds for k-fold).
    public var test: Evaluation?
    public var trainSeconds: Double
    /// nil when the run diverged or was interrupted.
    public var model: TrainedModel?

    /// The value of a named metric, if this run has it.
    public func value(of metric: MetricName) -> Double? {
        switch metric {
        case .trainLoss: epochs.last?.trainLoss
        case .validationLoss: validation?.loss
        case .validationAccuracy: validation?.accuracy
        case .validationRMSE: validation?.rmse
        case .validationMAE: validation?.mae
        case .testLoss: test?.loss
        case .testAccuracy: test?.accuracy
        case .testRMSE: test?.rmse
        case .testMAE: test?.mae
        }
    }
}

/// What a running training reports as it goes, for progress bars and logs.
public enum TrainingEvent: Sendable {
    case batch(fold: Int, epoch: Int, batch: Int, batchCount: Int)
    case epoch(EpochRecord)
}
