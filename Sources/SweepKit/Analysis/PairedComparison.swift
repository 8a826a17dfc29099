import Foundation

/// The corrected paired t test of two configurations scored on the same fits (fit j of both is
/// the same fold of the same repeat, so it saw the same rows and, with repeats, the same seed):
///
///     d_j = candidate_j − reference_j,   d̄ = mean of d,   s² = sample variance of d,
///     t = d̄ / √((1/J + n_test/n_train) · s²),   ν = J − 1,   p = 2 · P(T_ν > |t|)
///
/// Nadeau & Bengio (2003), with Bouckaert & Frank's (2004) J = R·k fits of R × k-fold
/// cross-validation; with n_test/n_train = 0 it is the ordinary paired t test
/// (`scipy.stats.ttest_rel`). The interval of the difference is d̄ ± t_{ν, (1+level)/2} · SE.
public struct PairedComparison: Sendable, Hashable, Codable {
    /// The mean difference (candidate − reference) and its interval.
    public let difference: MeanInterval
    /// d̄ / SE: ±infinity when every difference is the same non-zero number (JSON then needs a
    /// `nonConformingFloatEncodingStrategy`), 0 when all are 0.
    public let tStatistic: Double
    /// The two-sided p-value of "no difference".
    public let pValue: Double

    /// Compares the fit values of `candidate` with those of `reference`, index by index; nil when
    /// the counts differ, there are fewer than two fits, or any value is not finite.
    public init?(candidate: [Double], reference: [Double], testTrainRatio: Double, level: Double = 0.95) {
        guard candidate.count == reference.count,
            let difference = MeanInterval.correctedResampledT(
                zip(candidate, reference).map { $0 - $1 }, testTrainRatio: testTrainRatio, level: level)
        else { return nil }
        self.difference = difference
        if difference.standardError > 0 {
            tStatistic = difference.mean / difference.standardError
            pValue = min(1, 2 * StudentT(degreesOfFreedom: Double(difference.degreesOfFreedom)).survivalProbability(abs(tStatistic)))
        } else {
            tStatistic = difference.mean == 0 ? 0 : (difference.mean > 0 ? .infinity : -.infinity)
            pValue = difference.mean == 0 ? 1 : 0
        }
    }

    public var meanDifference: Double { difference.mean }
    public var fitCount: Int { difference.sampleCount }

    /// Whether the interval of the difference excludes 0 (p < 1 − level).
    public var isSignificant: Bool { !difference.contains(0) }

    /// Whether the candidate is significantly worse than the reference: the whole interval of the
    /// difference lies on the bad side of 0 (below it when larger is better).
    public func isSignificantlyWorse(maximize: Bool) -> Bool {
        maximize ? difference.upper < 0 : difference.lower > 0
    }
}
