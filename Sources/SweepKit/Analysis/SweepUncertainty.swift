import Foundation

/// One trial's noise: the interval of its metric over its scoring fits and how it compares with
/// the best trial on the same fits.
public struct TrialUncertainty: Sendable, Hashable, Codable {
    public let trial: Int
    /// The trial's metric as stored (the mean over its fits).
    public let mean: Double
    /// The metric of each scoring fit, in fit order; empty for a single fit.
    public let fitValues: [Double]
    /// mean ± the 95% (or chosen level's) interval; nil for a single fit or a non-finite fit value.
    public let interval: MeanInterval?
    /// This trial minus the best trial, fit by fit; nil for the best trial itself and for trials
    /// that cannot be paired with it (another fit count, a non-finite fit value, a single fit).
    public let comparisonWithBest: PairedComparison?
    public let isBest: Bool
    /// True for the best trial and for trials whose difference from it is not significant in the
    /// bad direction; false for trials significantly worse; nil when not compared.
    public let isNotSignificantlyWorseThanBest: Bool?
}

/// The intervals of a sweep's complete trials and the paired comparison of each with the best,
/// for a leaderboard that marks the trials it cannot tell from the best.
///
/// Each trial's interval is `MeanInterval.ofFits` over its `foldMetrics` for the sweep's metric:
/// the corrected resampled t for k-fold (× repeats), the plain t for repeats on one validation
/// split. Each trial with as many fits as the best is compared with it by `PairedComparison`
/// (same fold and repeat seed at the same index) and is "not significantly worse" when the
/// two-sided interval of its difference does not lie wholly on the bad side of 0, at the 5% level
/// for a 95% interval.
public struct SweepUncertainty: Sendable, Hashable, Codable {
    public let metric: String
    public let maximize: Bool
    public let design: ResamplingDesign
    public let level: Double
    /// The trial the others are compared with: the ranking's best complete trial.
    public let bestTrial: Int?
    /// The complete trials with a finite metric, best first.
    public let trials: [TrialUncertainty]

    public init(trials records: [TrialRecord], ranking: TrialRanking, design: ResamplingDesign, level: Double = 0.95) {
        let metricName = ranking.metric.name.rawValue
        metric = metricName
        maximize = ranking.metric.maximize
        self.design = design
        self.level = level
        let best = ranking.best(of: records)
        bestTrial = best?.number
        let bestValues = best.map { Self.fitValues(of: $0, metric: metricName) } ?? []
        trials = ranking.ranked(records.filter(ranking.hasFiniteMetric)).map { record in
            let values = Self.fitValues(of: record, metric: metricName)
            let isBest = record.number == best?.number
            let comparison = isBest ? nil : PairedComparison(
                candidate: values, reference: bestValues, testTrainRatio: design.testTrainRatio, level: level)
            let notWorse: Bool? = isBest ? true : comparison.map { !$0.isSignificantlyWorse(maximize: ranking.metric.maximize) }
            return TrialUncertainty(
                trial: record.number, mean: record.metrics[metricName] ?? .nan, fitValues: values,
                interval: MeanInterval.ofFits(values, design: design, level: level),
                comparisonWithBest: comparison, isBest: isBest, isNotSignificantlyWorseThanBest: notWorse)
        }
    }

    /// The intervals and comparisons of a sweep's trials, by its ranking and resampling design.
    public init(trials: [TrialRecord], spec: SweepSpec, level: Double = 0.95) {
        self.init(trials: trials, ranking: spec.ranking, design: ResamplingDesign(spec: spec), level: level)
    }

    /// The entry of trial `number`, if it is complete with a finite metric.
    public func uncertainty(ofTrial number: Int) -> TrialUncertainty? {
        trials.first { $0.trial == number }
    }

    /// A fit's value of the metric, NaN where a fit lacks it (which rules out its interval).
    static func fitValues(of record: TrialRecord, metric: String) -> [Double] {
        record.foldMetrics.map { $0[metric] ?? .nan }
    }
}
