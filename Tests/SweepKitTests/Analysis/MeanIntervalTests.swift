import Foundation
import Testing
@testable import SweepKit

/// The corrected resampled t interval and the corrected paired t test, on examples worked by hand.
/// t quantiles are scipy.stats.t.ppf(0.975, ν) (SciPy 1.17.1): ν = 3: 3.1824463052837078,
/// ν = 4: 2.7764451051977934, ν = 5: 2.5705818356363146.
@Suite("Confidence intervals and paired comparisons")
struct MeanIntervalTests {
    @Test func fiveFoldIntervalWidensTheNaiveOneByTheTrainingOverlap() throws {
        // Values 0.80, 0.82, 0.84, 0.86, 0.88: mean 0.84; squared deviations 0.0016, 0.0004, 0,
        // 0.0004, 0.0016 sum to 0.004, so s² = 0.004/4 = 0.001. 5-fold: n_test/n_train = 1/4, and
        // SE = √((1/5 + 1/4)·0.001) = √0.00045 = 0.0212132034. Half-width 2.7764451052 × SE =
        // 0.0588972948: [0.7811027052, 0.8988972948]. (Naive: SE = √(0.001/5) = 0.0141421356.)
        let design = ResamplingDesign(folds: 5, repeats: 1)
        #expect(design.fitCount == 5)
        #expect(design.testTrainRatio == 0.25)
        let interval = try #require(MeanInterval.ofFits([0.80, 0.82, 0.84, 0.86, 0.88], design: design))
        #expect(abs(interval.mean - 0.84) < 1e-12)
        #expect(abs(interval.standardError - 0.0212132034) < 1e-9)
        #expect(abs(interval.halfWidth - 0.0588972948) < 1e-9)
        #expect(abs(interval.lower - 0.7811027052) < 1e-9)
        #expect(abs(interval.upper - 0.8988972948) < 1e-9)
        #expect(interval.degreesOfFreedom == 4)
        #expect(interval.sampleCount == 5)
    }

    @Test func repeatsOnOneValidationSplitGetThePlainTInterval() throws {
        // Values 0.90, 0.92, 0.91, 0.93: mean 0.915; squared deviations 0.000225, 0.000025,
        // 0.000025, 0.000225 sum to 0.0005, s² = 0.0005/3; SE = √(s²/4) = 0.0064549722.
        // Half-width 3.1824463053 × SE = 0.0205426026 (scipy.stats.t.interval(0.95, 3, loc=0.915,
        // scale=SE) gives [0.8944573974, 0.9355426026]).
        let design = ResamplingDesign(folds: nil, repeats: 4)
        #expect(design.testTrainRatio == 0)
        let interval = try #require(MeanInterval.ofFits([0.90, 0.92, 0.91, 0.93], design: design))
        #expect(abs(interval.standardError - 0.0064549722) < 1e-9)
        #expect(abs(interval.lower - 0.8944573974) < 1e-9)
        #expect(abs(interval.upper - 0.9355426026) < 1e-9)
    }

    @Test func repeatedTwoFoldCrossValidationCountsEveryFitAndTheFullOverlap() throws {
        // 2 folds × 3 repeats: J = 6 values 0.70, 0.74, 0.72, 0.76, 0.71, 0.73, mean 0.7266667;
        // deviations² sum to 0.0023333, s² = 0.00046667. n_test/n_train = 1/(2−1) = 1, so
        // SE = √((1/6 + 1)·s²) = 0.0233333 and the half-width is 2.5705818356 × SE = 0.0599802428.
        let design = ResamplingDesign(folds: 2, repeats: 3)
        #expect(design.fitCount == 6)
        let interval = try #require(MeanInterval.ofFits([0.70, 0.74, 0.72, 0.76, 0.71, 0.73], design: design))
        #expect(abs(interval.standardError - 0.0233333333) < 1e-9)
        #expect(abs(interval.halfWidth - 0.0599802428) < 1e-9)
        #expect(interval.degreesOfFreedom == 5)
    }

    @Test func aSingleFitOrANonFiniteValueHasNoInterval() {
        #expect(MeanInterval.ofFits([0.9], design: ResamplingDesign(folds: nil, repeats: 1)) == nil)
        #expect(MeanInterval.ofFits([], design: ResamplingDesign(folds: 4, repeats: 1)) == nil)
        #expect(MeanInterval.ofFits([0.9, .nan, 0.8], design: ResamplingDesign(folds: 3, repeats: 1)) == nil)
    }

    @Test func identicalValuesGiveAZeroWidthInterval() throws {
        let interval = try #require(MeanInterval.studentT([0.5, 0.5, 0.5]))
        #expect(interval.lower == 0.5 && interval.upper == 0.5)
    }

    @Test func theCorrectionCanMakeADifferenceNotSignificant() throws {
        // Best 0.90, 0.92, 0.88, 0.91, 0.89; candidate 0.89, 0.90, 0.88, 0.89, 0.88 (5-fold).
        // d = −0.01, −0.02, 0, −0.02, −0.01: d̄ = −0.012; deviations 0.002, −0.008, 0.012, −0.008,
        // 0.002, squares sum 0.00028, s² = 0.00007. Corrected SE = √((1/5 + 1/4)·0.00007) =
        // 0.0056124861, t = −2.1380899353, p = 2·sf(2.138, 4) = 0.0993006832; interval
        // −0.012 ± 2.7764451052·SE = [−0.0275827595, 0.0035827595] holds 0. Uncorrected, it would
        // be significant: scipy.stats.ttest_rel(candidate, best) gives t = −3.2071, p = 0.0327.
        let comparison = try #require(PairedComparison(
            candidate: [0.89, 0.90, 0.88, 0.89, 0.88], reference: [0.90, 0.92, 0.88, 0.91, 0.89], testTrainRatio: 0.25))
        #expect(abs(comparison.meanDifference + 0.012) < 1e-12)
        #expect(abs(comparison.difference.standardError - 0.0056124861) < 1e-9)
        #expect(abs(comparison.tStatistic + 2.1380899353) < 1e-8)
        #expect(abs(comparison.pValue - 0.0993006832) < 1e-9)
        #expect(abs(comparison.difference.lower + 0.0275827595) < 1e-9)
        #expect(abs(comparison.difference.upper - 0.0035827595) < 1e-9)
        #expect(!comparison.isSignificant)
        #expect(!comparison.isSignificantlyWorse(maximize: true))
    }

    @Test func aConsistentlyWorseCandidateIsSignificantlyWorse() throws {
        // Candidate 0.85, 0.86, 0.84, 0.85, 0.83 against the same best: d = −0.05, −0.06, −0.04,
        // −0.06, −0.06, d̄ = −0.054, s² = 0.00008, SE = √(0.45·0.00008) = 0.006, t = −9,
        // p = 2·sf(9, 4) = 0.0008438325; interval [−0.0706586706, −0.0373413294].
        let comparison = try #require(PairedComparison(
            candidate: [0.85, 0.86, 0.84, 0.85, 0.83], reference: [0.90, 0.92, 0.88, 0.91, 0.89], testTrainRatio: 0.25))
        #expect(abs(comparison.tStatistic + 9) < 1e-9)
        #expect(abs(comparison.pValue - 0.0008438325) < 1e-10)
        #expect(abs(comparison.difference.upper + 0.0373413294) < 1e-9)
        #expect(comparison.isSignificant)
        #expect(comparison.isSignificantlyWorse(maximize: true))
        // For a metric to minimize, the same numbers say the candidate is better, not worse.
        #expect(!comparison.isSignificantlyWorse(maximize: false))
    }

    @Test func withoutTheCorrectionItIsScipysPairedTTest() throws {
        // scipy.stats.ttest_rel([0.89, 0.92, 0.90, 0.90], [0.91, 0.93, 0.92, 0.90]):
        // statistic −2.6111648393, pvalue 0.0796049808, confidence_interval(0.95) =
        // (−0.0277348018, 0.0027348018).
        let comparison = try #require(PairedComparison(
            candidate: [0.89, 0.92, 0.90, 0.90], reference: [0.91, 0.93, 0.92, 0.90], testTrainRatio: 0))
        #expect(abs(comparison.tStatistic + 2.6111648393) < 1e-9)
        #expect(abs(comparison.pValue - 0.0796049808) < 1e-9)
        #expect(abs(comparison.difference.lower + 0.0277348018) < 1e-9)
        #expect(abs(comparison.difference.upper - 0.0027348018) < 1e-9)
    }

    @Test func fitsThatCannotBePairedAreNotCompared() {
        #expect(PairedComparison(candidate: [0.9, 0.8, 0.7], reference: [0.9, 0.8], testTrainRatio: 0.5) == nil)
        #expect(PairedComparison(candidate: [0.9], reference: [0.8], testTrainRatio: 0) == nil)
        #expect(PairedComparison(candidate: [0.9, .infinity], reference: [0.8, 0.7], testTrainRatio: 0) == nil)
    }

    @Test func equalDifferencesOnEveryFitAreCertain() throws {
        let same = try #require(PairedComparison(candidate: [0.8, 0.7, 0.9], reference: [0.8, 0.7, 0.9], testTrainRatio: 0.5))
        #expect(same.tStatistic == 0 && same.pValue == 1 && !same.isSignificant)
        // Binary fractions, so that every difference is exactly −0.25.
        let shifted = try #require(PairedComparison(candidate: [0.5, 0.25, 0.75], reference: [0.75, 0.5, 1.0], testTrainRatio: 0.5))
        #expect(shifted.tStatistic == -.infinity && shifted.pValue == 0)
        #expect(shifted.isSignificantlyWorse(maximize: true))
    }
}

@Suite("A sweep's intervals and comparisons with its best trial")
struct SweepUncertaintyTests {
    private let ranking = TrialRanking(metric: AnalysisFixtures.accuracy)
    private let fiveFold = ResamplingDesign(folds: 5, repeats: 1)

    @Test func marksTheTrialsThatAreNotSignificantlyWorseThanTheBest() throws {
        // The fits of the two worked examples above, plus the best's: trial 2 is the best (mean
        // 0.90), trial 1 is not significantly worse (p = 0.099), trial 3 is (p = 0.00084).
        let trials = [
            AnalysisFixtures.trial(1, fits: [0.89, 0.90, 0.88, 0.89, 0.88]),
            AnalysisFixtures.trial(2, fits: [0.90, 0.92, 0.88, 0.91, 0.89]),
            AnalysisFixtures.trial(3, fits: [0.85, 0.86, 0.84, 0.85, 0.83]),
        ]
        let analysis = SweepUncertainty(trials: trials, ranking: ranking, design: fiveFold)
        #expect(analysis.bestTrial == 2)
        #expect(analysis.trials.map(\.trial) == [2, 1, 3])
        let best = try #require(analysis.uncertainty(ofTrial: 2))
        #expect(best.isBest && best.comparisonWithBest == nil && best.isNotSignificantlyWorseThanBest == true)
        let close = try #require(analysis.uncertainty(ofTrial: 1))
        #expect(close.isNotSignificantlyWorseThanBest == true)
        #expect(abs((close.comparisonWithBest?.pValue ?? 0) - 0.0993006832) < 1e-9)
        let worse = try #require(analysis.uncertainty(ofTrial: 3))
        #expect(worse.isNotSignificantlyWorseThanBest == false)
        // Trial 3's own interval: values 0.85, 0.86, 0.84, 0.85, 0.83, mean 0.846, s² = 0.00013,
        // SE = √(0.45 · 0.00013) = 0.0076485293, half-width 2.7764451052 × SE = 0.0212357217.
        #expect(abs((worse.interval?.halfWidth ?? 0) - 0.0212357217) < 1e-9)
    }

    @Test func trialsWithAnotherFitCountOrASingleFitAreNotCompared() throws {
        let trials = [
            AnalysisFixtures.trial(1, fits: [0.90, 0.92, 0.88, 0.91, 0.89]),
            AnalysisFixtures.trial(2, fits: [0.85, 0.86, 0.84]),
            AnalysisFixtures.trial(3, [:], 0.80),
            AnalysisFixtures.trial(4, [:], .nan, status: .complete),
            AnalysisFixtures.trial(5, [:], nil, status: .diverged),
        ]
        let analysis = SweepUncertainty(trials: trials, ranking: ranking, design: fiveFold)
        #expect(analysis.trials.map(\.trial) == [1, 2, 3])
        let shorter = try #require(analysis.uncertainty(ofTrial: 2))
        #expect(shorter.comparisonWithBest == nil && shorter.isNotSignificantlyWorseThanBest == nil)
        #expect(shorter.interval != nil)
        let single = try #require(analysis.uncertainty(ofTrial: 3))
        #expect(single.interval == nil && single.comparisonWithBest == nil && single.fitValues.isEmpty)
        #expect(analysis.uncertainty(ofTrial: 4) == nil)
    }

    @Test func aMetricToMinimizeComparesInItsOwnDirection() throws {
        // Losses: the best is the lowest (trial 1); trial 2's loss is higher on every fold by
        // 0.05 ± 0.01, significantly worse; trial 3's differences −0.01, +0.02, −0.02, +0.01,
        // 0.00 average 0, not worse.
        let loss = TrialRanking(metric: AnalysisFixtures.loss)
        let best = [0.30, 0.32, 0.28, 0.31, 0.29]
        let trials = [
            AnalysisFixtures.trial(1, fits: best, metric: AnalysisFixtures.loss),
            AnalysisFixtures.trial(2, fits: [0.35, 0.38, 0.33, 0.35, 0.34], metric: AnalysisFixtures.loss),
            AnalysisFixtures.trial(3, fits: [0.29, 0.34, 0.26, 0.32, 0.29], metric: AnalysisFixtures.loss),
        ]
        let analysis = SweepUncertainty(trials: trials, ranking: loss, design: fiveFold)
        #expect(analysis.bestTrial == 1)
        #expect(analysis.uncertainty(ofTrial: 2)?.isNotSignificantlyWorseThanBest == false)
        #expect(analysis.uncertainty(ofTrial: 3)?.isNotSignificantlyWorseThanBest == true)
    }

    @Test func theDesignComesFromTheSpec() throws {
        let spec = try SweepFixtures.spec("""
            {"name": "cv", "data": {"source": "builtin:phone-price", "folds": 4}, "repeats": 3,
             "parameters": {"lr": {"values": [0.01, 0.1]}}}
            """)
        let design = ResamplingDesign(spec: spec)
        #expect(design == ResamplingDesign(folds: 4, repeats: 3))
        #expect(design.fitCount == 12)
        #expect(abs(design.testTrainRatio - 1.0 / 3) < 1e-15)
        // A spec's ranking and design, with no trials yet: nothing to show.
        let empty = SweepUncertainty(trials: [], spec: spec)
        #expect(empty.design == design && empty.metric == "validation_accuracy" && empty.maximize)
        #expect(empty.bestTrial == nil && empty.trials.isEmpty)
    }
}
