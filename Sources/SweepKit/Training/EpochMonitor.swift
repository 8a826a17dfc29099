import Foundation

/// What a monitor says once an epoch is validated.
public enum EpochVerdict: Sendable, Hashable {
    /// Go on.
    case proceed
    /// Go on; this epoch is the best so far, so keep its weights to restore when the fit ends.
    case best
    /// Stop and restore the best epoch's weights: the fit completes (early stopping).
    case stop
    /// Stop: the fit is hopeless and ends pruned, without a model.
    case prune
}

/// Watches a fit epoch by epoch and answers whether it goes on: the seam between the training
/// loop and the policies that end a fit early. Early stopping is one (`EarlyStoppingMonitor`); a
/// sweep's pruner is another. The loop asks every monitor after each validated epoch and acts on
/// the first answer that is not `.proceed` (`.best` is acted on and the others still asked).
public protocol EpochMonitor {
    mutating func judge(_ epoch: EpochRecord, validation: Evaluation) -> EpochVerdict
}

/// Early stopping: stop when `metric` has not improved for `patience` epochs, and restore the
/// best epoch's weights (as Keras' `EarlyStopping(restore_best_weights=True)`; PyTorch has no
/// built-in equivalent). An epoch improves only when strictly better: a tie is not progress.
public struct EarlyStoppingMonitor: EpochMonitor {
    public let metric: MetricName
    public let patience: Int
    private var bestValue: Double?
    private var epochsWithoutImprovement = 0

    public init(_ settings: EarlyStopping) {
        metric = settings.metric
        patience = settings.patience
    }

    public mutating func judge(_ epoch: EpochRecord, validation: Evaluation) -> EpochVerdict {
        let value = metric.value(in: validation) ?? .nan
        if metric.isBetter(value, than: bestValue) {
            bestValue = value
            epochsWithoutImprovement = 0
            return .best
        }
        epochsWithoutImprovement += 1
        return epochsWithoutImprovement >= patience ? .stop : .proceed
    }
}
