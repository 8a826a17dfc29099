import Foundation

/// The median stopping rule (Optuna's `MedianPruner`, a `PercentilePruner` at 50): stop a fit
/// whose best value so far is worse than the median of the complete reference trials' values at
/// the same fit and epoch.
///
/// Optuna's rules, with its epochs counted from 1 (its steps from 0): no pruning before
/// `startup_trials` complete trials, nor during the first `warmup_epochs` epochs; checks every
/// `interval` epochs from there; a percentile needs at least `min_trials` values at that epoch; a
/// fit whose values are all NaN is pruned. The percentile interpolates linearly between ranks
/// (numpy's `nanpercentile`). Golovin et al., "Google Vizier", KDD 2017.
public struct MedianPruner: Pruner {
    public var startupTrials = 5
    public var warmupEpochs = 0
    public var interval = 1
    public var minTrials = 1
    /// 50 for the median; the share of trials kept (lower: more pruning).
    public var percentile = 50.0

    public init() {}

    public func shouldPrune(fit: Int, epoch: Int, values: [Double], reference: PruningReference) -> Bool {
        let complete = reference.completeTrials
        guard !complete.isEmpty, complete.count >= startupTrials else { return false }
        let step = epoch - 1
        guard step >= warmupEpochs, (step - warmupEpochs) % interval == 0 else { return false }
        let finite = values.filter { !$0.isNaN }
        guard let best = finite.min() else { return true }
        let others = complete.compactMap { $0.value(fit: fit, epoch: epoch) }
        guard others.count >= minTrials, let threshold = Self.percentile(others, percentile) else { return false }
        return best > threshold
    }

    /// numpy's `nanpercentile` with linear interpolation: NaN values are left out; nil when none is left.
    static func percentile(_ values: [Double], _ q: Double) -> Double? {
        let sorted = values.filter { !$0.isNaN }.sorted()
        guard !sorted.isEmpty else { return nil }
        let position = q / 100 * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down)), upper = Int(position.rounded(.up))
        let fraction = position - Double(lower)
        if lower == upper { return sorted[lower] }
        return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction
    }

    static func read(_ reader: inout ObjectReader, problems: inout [ConfigurationProblem]) -> MedianPruner {
        var pruner = MedianPruner()
        if let count = reader.integer("startup_trials", problems: &problems, where: { $0 >= 0 }, rule: "startup_trials must be zero or more") { pruner.startupTrials = count }
        if let count = reader.integer("warmup_epochs", problems: &problems, where: { $0 >= 0 }, rule: "warmup_epochs must be zero or more") { pruner.warmupEpochs = count }
        if let count = reader.integer("interval", problems: &problems, where: { $0 >= 1 }, rule: "interval must be at least 1 epoch") { pruner.interval = count }
        if let count = reader.integer("min_trials", problems: &problems, where: { $0 >= 1 }, rule: "min_trials must be at least 1") { pruner.minTrials = count }
        if let value = reader.number("percentile", problems: &problems, where: { $0 >= 0 && $0 <= 100 }, rule: "percentile must be between 0 and 100") { pruner.percentile = value }
        reader.reportUnknownKeys(known: ["name", "startup_trials", "warmup_epochs", "interval", "min_trials", "percentile"], problems: &problems)
        return pruner
    }
}
