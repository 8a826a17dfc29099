import Datasets
import Foundation

/// The averages of a sweep's best 1, 2, …, K trials, scored as the trials were: on each fold's
/// validation rows, by the models that fold trained, then averaged over the fits. So an ensemble
/// is ranked beside the single trials on the same rows, and never on the test rows (choosing K by
/// the test metric would make it no test).
///
/// The fold models are not stored; each member's are trained again (`scoringFitModels`), which
/// gives the fits the sweep trained. The average of one trial is that trial, and its
/// cross-validated metric is the one the sweep stored.
public struct EnsembleRanking: Sendable {
    public struct Row: Sendable {
        /// The members, best first: the best `members.count` trials.
        public var members: [Int]
        /// The averaged predictions' mean over the fits: `accuracy` (classification) or `rmse`
        /// and `mae` (regression).
        public var validation: [String: Double]
    }

    /// One row per ensemble size, 1 … K.
    public let rows: [Row]
    /// The metric that ranks them: `accuracy`, or `rmse` for regression.
    public let metric: String
    public let maximize: Bool
    /// Fits per member: folds × repeats.
    public let fits: Int

    /// The best row (ties go to fewer members).
    public var best: Row? {
        rows.enumerated().min { first, second in
            let a = first.element.validation[metric] ?? .nan, b = second.element.validation[metric] ?? .nan
            if a == b { return first.offset < second.offset }
            return maximize ? a > b : a < b
        }?.element
    }

    /// Ranks the averages of the best 1 … `count` trials of `trials` (as `TrialRanking` orders
    /// them by the sweep's metric) on `data`, the sweep's data prepared by its spec (`split`).
    /// `threads` fits train at once.
    public init(
        trials: [TrialRecord], rankedBy sweepMetric: SweepMetric, upTo count: Int, data: PreparedData, split: DataConfiguration, threads: Int
    ) throws {
        precondition(count >= 1, "ensembles of up to \(count) trials")
        let ranked = TrialRanking(metric: sweepMetric).rankedWithFiniteMetric(trials)
        guard ranked.count >= 1 else {
            throw EnsembleError.mismatched("the sweep has no complete trial with a finite \(sweepMetric.name.rawValue) to average")
        }
        // Each member's fit models, trained again (throws for a trial scored by one fit).
        let foldEnsembles = try ranked.prefix(count).map { try Ensemble.folds(of: $0, data: data, threads: threads) }
        let (dataset, folds) = try Ensemble.rawFolds(split: split, task: data.task)
        let validationSets = folds.map { dataset.subset(rows: $0.validation.rowIndices) }

        let fitCount = foldEnsembles[0].members.count
        metric = data.task.isClassification ? "accuracy" : "rmse"
        maximize = data.task.isClassification
        fits = fitCount
        var rows: [Row] = []
        for size in 1...foldEnsembles.count {
            var sums: [String: Double] = [:]
            for fit in 0..<fitCount {
                let members = foldEnsembles.prefix(size).map { $0.members[fit] }
                let scores = try Ensemble(members: members).score(on: validationSets[fit % validationSets.count])
                for (name, value) in scores { sums[name, default: 0] += value }
            }
            rows.append(Row(members: ranked.prefix(size).map(\.number), validation: sums.mapValues { $0 / Double(fitCount) }))
        }
        self.rows = rows
    }
}
