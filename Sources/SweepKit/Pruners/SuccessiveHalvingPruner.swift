import Foundation

/// Asynchronous successive halving (ASHA; Optuna's `SuccessiveHalvingPruner`): a fit that reaches
/// a rung goes on only if its value there is among the best 1/η of the values every reference
/// trial had at that rung (itself included).
///
/// Rung k completes at epoch `min_epochs` · η^(`min_early_stopping_rate` + k) (Optuna counts
/// steps from 0, so its rung comes one report later). Promotion follows Optuna: with c competing
/// values, the trial goes on if its value is no worse than the ⌊c/η⌋-th best (the best when
/// c < η), and `bootstrap_count` values must be in before any trial goes on. A reference trial
/// competes at a rung when its fit ran that far: it passed the rung. A NaN value is pruned.
/// Li et al., "A System for Massively Parallel Hyperparameter Tuning", MLSys 2020.
public struct SuccessiveHalvingPruner: Pruner {
    public var minEpochs = 1
    public var reductionFactor = 4
    public var minEarlyStoppingRate = 0
    public var bootstrapCount = 0

    public init() {}

    /// The epoch that completes rung `rung`.
    public func rungEpoch(_ rung: Int) -> Int {
        var epoch = minEpochs
        for _ in 0..<(minEarlyStoppingRate + rung) {
            let (next, overflow) = epoch.multipliedReportingOverflow(by: reductionFactor)
            if overflow { return .max }
            epoch = next
        }
        return epoch
    }

    public func shouldPrune(fit: Int, epoch: Int, values: [Double], reference: PruningReference) -> Bool {
        guard let value = values.last else { return false }
        var rung = 0
        while rungEpoch(rung) < epoch { rung += 1 }
        guard rungEpoch(rung) == epoch else { return false }
        if value.isNaN { return true }
        let competing = reference.trials.compactMap { $0.value(fit: fit, epoch: epoch) }.filter { !$0.isNaN } + [value]
        if competing.count <= bootstrapCount { return true }
        let sorted = competing.sorted()
        let promotable = max(competing.count / reductionFactor - 1, 0)
        return value > sorted[promotable]
    }

    static func read(_ reader: inout ObjectReader, problems: inout [ConfigurationProblem]) -> SuccessiveHalvingPruner {
        var pruner = SuccessiveHalvingPruner()
        if let count = reader.integer("min_epochs", problems: &problems, where: { $0 >= 1 }, rule: "min_epochs must be at least 1") { pruner.minEpochs = count }
        if let factor = reader.integer("reduction_factor", problems: &problems, where: { $0 >= 2 && $0 <= 100 }, rule: "reduction_factor must be between 2 and 100") { pruner.reductionFactor = factor }
        if let rate = reader.integer("min_early_stopping_rate", problems: &problems, where: { $0 >= 0 && $0 <= 30 }, rule: "min_early_stopping_rate must be between 0 and 30") { pruner.minEarlyStoppingRate = rate }
        if let count = reader.integer("bootstrap_count", problems: &problems, where: { $0 >= 0 }, rule: "bootstrap_count must be zero or more") { pruner.bootstrapCount = count }
        reader.reportUnknownKeys(known: ["name", "min_epochs", "reduction_factor", "min_early_stopping_rate", "bootstrap_count"], problems: &problems)
        return pruner
    }
}
