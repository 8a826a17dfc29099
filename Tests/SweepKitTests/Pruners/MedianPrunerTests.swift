import Foundation
import Testing
@testable import SweepKit

/// Decisions of the median rule on hand-built references, against Optuna's documented rules
/// (optuna/pruners/_percentile.py: startup trials, warm-up steps, intervals, n_min_trials, NaN).
@Suite struct MedianPrunerTests {
    /// Complete trials with one fit each: trial i's curve is `curves[i]` (losses).
    static func reference(_ curves: [[Double]], statuses: [TrialStatus]? = nil) -> PruningReference {
        let trials = curves.enumerated().map { index, curve in
            PruningReference.Trial(number: index + 1, status: statuses?[index] ?? .complete, curves: [curve], fitValues: [curve.last ?? .nan])
        }
        return PruningReference(trials: trials, best: nil)
    }

    /// Five complete trials; at epoch 3 their losses are 0.1, 0.2, 0.3, 0.4, 0.5 (median 0.3).
    static let five = reference((1...5).map { i in [1.0, 0.5, Double(i) / 10, 0.05] })

    private func pruner(startup: Int = 5, warmup: Int = 0, interval: Int = 1, minTrials: Int = 1) -> MedianPruner {
        var pruner = MedianPruner()
        pruner.startupTrials = startup
        pruner.warmupEpochs = warmup
        pruner.interval = interval
        pruner.minTrials = minTrials
        return pruner
    }

    @Test func aFitWhoseBestValueIsWorseThanTheMedianIsPruned() {
        // Best so far 0.35 > median 0.3: pruned; 0.3 itself is not worse: kept (Optuna prunes on >).
        #expect(pruner().shouldPrune(fit: 0, epoch: 3, values: [0.9, 0.6, 0.35], reference: Self.five))
        #expect(!pruner().shouldPrune(fit: 0, epoch: 3, values: [0.9, 0.6, 0.3], reference: Self.five))
        // The best value over the epochs counts, not the last: 0.25 at epoch 2.
        #expect(!pruner().shouldPrune(fit: 0, epoch: 3, values: [0.9, 0.25, 0.4], reference: Self.five))
    }

    @Test func theMedianInterpolatesBetweenTheMiddleValues() {
        // Four trials at epoch 3: 0.1, 0.2, 0.3, 0.4 → numpy's median 0.25.
        let four = Self.reference((1...4).map { i in [1.0, 0.5, Double(i) / 10] })
        #expect(pruner(startup: 4).shouldPrune(fit: 0, epoch: 3, values: [1, 1, 0.26], reference: four))
        #expect(!pruner(startup: 4).shouldPrune(fit: 0, epoch: 3, values: [1, 1, 0.25], reference: four))
        #expect(MedianPruner.percentile([0.4, 0.1, .nan, 0.3, 0.2], 50) == 0.25)
        #expect(MedianPruner.percentile([3, 1, 2], 25) == 1.5)
    }

    @Test func nothingIsPrunedBeforeTheStartupTrialsComplete() {
        // Four complete trials and a pruned one: four < 5.
        let reference = Self.reference((1...5).map { _ in [0.1, 0.1, 0.1] }, statuses: [.complete, .complete, .complete, .complete, .pruned])
        #expect(!pruner().shouldPrune(fit: 0, epoch: 3, values: [9, 9, 9], reference: reference))
        #expect(pruner(startup: 4).shouldPrune(fit: 0, epoch: 3, values: [9, 9, 9], reference: reference))
    }

    @Test func warmUpEpochsAndIntervalsFollowOptunasSteps() {
        let bad: [Double] = [9, 9, 9, 9]
        // Warm-up 2: steps 0 and 1 (epochs 1 and 2) are never judged; step 2 (epoch 3) is.
        #expect(!pruner(warmup: 2).shouldPrune(fit: 0, epoch: 2, values: Array(bad.prefix(2)), reference: Self.five))
        #expect(pruner(warmup: 2).shouldPrune(fit: 0, epoch: 3, values: Array(bad.prefix(3)), reference: Self.five))
        // Interval 2 after warm-up 1: steps 1, 3, … (epochs 2 and 4) are judged, epoch 3 is not.
        #expect(pruner(warmup: 1, interval: 2).shouldPrune(fit: 0, epoch: 2, values: Array(bad.prefix(2)), reference: Self.five))
        #expect(!pruner(warmup: 1, interval: 2).shouldPrune(fit: 0, epoch: 3, values: Array(bad.prefix(3)), reference: Self.five))
        #expect(pruner(warmup: 1, interval: 2).shouldPrune(fit: 0, epoch: 4, values: bad, reference: Self.five))
    }

    @Test func tooFewValuesAtThatEpochKeepTheFit() {
        // Only two of the trials ran five epochs.
        let reference = Self.reference([[0.1, 0.1, 0.1, 0.1, 0.1], [0.1, 0.1, 0.1, 0.1, 0.1], [0.1], [0.1], [0.1]])
        let bad: [Double] = [9, 9, 9, 9, 9]
        #expect(pruner(minTrials: 2).shouldPrune(fit: 0, epoch: 5, values: bad, reference: reference))
        #expect(!pruner(minTrials: 3).shouldPrune(fit: 0, epoch: 5, values: bad, reference: reference))
    }

    @Test func aFitWithOnlyNaNValuesIsPruned() {
        #expect(pruner().shouldPrune(fit: 0, epoch: 3, values: [.nan, .nan, .nan], reference: Self.five))
    }

    @Test func eachFitIsComparedWithTheSameFitOfTheOthers() {
        // Fit 1 of the reference trials is far better than their fit 0.
        let trials = (1...5).map { number in
            PruningReference.Trial(number: number, status: .complete, curves: [[0.9], [0.1]], fitValues: [0.9, 0.1])
        }
        let reference = PruningReference(trials: trials, best: nil)
        #expect(!pruner().shouldPrune(fit: 0, epoch: 1, values: [0.5], reference: reference))
        #expect(pruner().shouldPrune(fit: 1, epoch: 1, values: [0.5], reference: reference))
    }
}
