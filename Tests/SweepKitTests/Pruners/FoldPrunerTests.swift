import Foundation
import Testing
@testable import SweepKit

/// The folds pruner's one-sided corrected paired t test on hand-worked references. With two
/// finished folds the test has one degree of freedom, whose t distribution is Cauchy's:
/// P(T > t) = 1/2 − atan(t)/π, which gives the expected p-values independently.
@Suite struct FoldPrunerTests {
    /// 4-fold: n_test/n_train = 1/3. The best trial's fold losses (negated accuracies).
    static let best = PruningReference.Trial(number: 1, status: .complete, curves: [], fitValues: [-0.90, -0.92, -0.88, -0.91])
    static let reference = PruningReference(trials: [best], best: best)

    private func pruner(threshold: Double = 0.1, startup: Int = 2) -> FoldPruner {
        var pruner = FoldPruner(testTrainRatio: 1.0 / 3)
        pruner.pThreshold = threshold
        pruner.startupFolds = startup
        return pruner
    }

    /// p for fold values `values` against the best, by the formulas written out.
    private func cauchyP(_ values: [Double]) -> Double {
        let d = zip(values, Self.best.fitValues).map { $0 - $1 }
        let mean = (d[0] + d[1]) / 2
        let variance = (d[0] - mean) * (d[0] - mean) + (d[1] - mean) * (d[1] - mean)
        let t = mean / ((1.0 / 2 + 1.0 / 3) * variance).squareRoot()
        return 0.5 - atan(t) / Double.pi
    }

    @Test func twoFoldsConsistentlyWorseThanTheBestStopTheTrial() {
        // d = (0.10, 0.09): t = 0.095 / √(5/6 · 5e-5) = 14.72, p = 0.0216.
        let values = [-0.80, -0.83]
        let p = cauchyP(values)
        #expect(abs(p - 0.0216) < 0.0005)
        #expect(pruner().shouldSkipFits(afterFits: values, reference: Self.reference))
        // The threshold decides: just above p stops, just below does not.
        #expect(pruner(threshold: p + 0.001).shouldSkipFits(afterFits: values, reference: Self.reference))
        #expect(!pruner(threshold: p - 0.001).shouldSkipFits(afterFits: values, reference: Self.reference))
    }

    @Test func foldsThatDisagreeKeepTheTrial() {
        // d = (0.10, −0.03): t = 0.417, p = 0.374.
        let values = [-0.80, -0.95]
        #expect(abs(cauchyP(values) - 0.374) < 0.001)
        #expect(!pruner().shouldSkipFits(afterFits: values, reference: Self.reference))
    }

    @Test func aTrialNoWorseSoFarThanTheBestsResultIsKept() {
        // Its mean, −0.94, beats the best trial's −0.9025 even though fold 1 is worse.
        #expect(!pruner(threshold: 0.99).shouldSkipFits(afterFits: [-0.89, -0.99], reference: Self.reference))
    }

    @Test func fewerFoldsThanTheStartupOrNoBestTrialKeepTheTrial() {
        #expect(!pruner().shouldSkipFits(afterFits: [-0.5], reference: Self.reference))
        #expect(!pruner(startup: 3).shouldSkipFits(afterFits: [-0.80, -0.83], reference: Self.reference))
        #expect(!pruner().shouldSkipFits(afterFits: [-0.80, -0.83], reference: .empty))
        #expect(!pruner().shouldSkipFits(afterFits: [-0.80, .nan], reference: Self.reference))
    }

    @Test func aSpecNeedsFoldsOrRepeatsForIt() {
        let problems = SweepFixtures.problems(#"{"name": "f", "data": "builtin:phone-price", "pruner": {"name": "folds"}}"#)
        #expect(problems.contains { $0.path == "$.pruner.name" && $0.message.contains("set data.folds or repeats") }, "\(problems)")
        #expect(SweepFixtures.problems(#"{"name": "f", "data": {"source": "builtin:phone-price", "folds": 4}, "pruner": {"name": "folds", "p_threshold": 0.05}}"#).isEmpty)
    }
}
