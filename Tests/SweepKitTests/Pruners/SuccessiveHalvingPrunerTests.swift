import Foundation
import Testing
@testable import SweepKit

/// Asynchronous successive halving on hand-built references, against Optuna's rules
/// (optuna/pruners/_successive_halving.py: rungs at r·η^(s+k), promotion of the top ⌊c/η⌋).
@Suite struct SuccessiveHalvingPrunerTests {
    private func pruner(minEpochs: Int = 1, factor: Int = 2, rate: Int = 0, bootstrap: Int = 0) -> SuccessiveHalvingPruner {
        var pruner = SuccessiveHalvingPruner()
        pruner.minEpochs = minEpochs
        pruner.reductionFactor = factor
        pruner.minEarlyStoppingRate = rate
        pruner.bootstrapCount = bootstrap
        return pruner
    }

    /// Reference trials whose fit 0 ran `lengths[i]` epochs at a constant value `values[i]`.
    private func reference(_ values: [Double], lengths: [Int]? = nil, status: TrialStatus = .complete) -> PruningReference {
        PruningReference(trials: values.enumerated().map { index, value in
            PruningReference.Trial(
                number: index + 1, status: status, curves: [Array(repeating: value, count: lengths?[index] ?? 8)], fitValues: [value])
        }, best: nil)
    }

    @Test func rungsCompleteAtMinEpochsTimesTheFactorsPowers() {
        #expect((0..<4).map(pruner(minEpochs: 2, factor: 3).rungEpoch) == [2, 6, 18, 54])
        #expect((0..<2).map(pruner(minEpochs: 1, factor: 4, rate: 1).rungEpoch) == [4, 16])
    }

    @Test func onlyRungEpochsAreJudged() {
        let reference = reference([0.1, 0.1, 0.1])
        // η = 2, r = 1: rungs at epochs 1, 2, 4, 8. Epoch 3 is between rungs.
        #expect(!pruner().shouldPrune(fit: 0, epoch: 3, values: [9, 9, 9], reference: reference))
        #expect(pruner().shouldPrune(fit: 0, epoch: 4, values: [9, 9, 9, 9], reference: reference))
    }

    @Test func aTrialGoesOnWhenItIsAmongTheBestFractionOfItsRung() {
        // Competing at epoch 2 with η = 2: 0.1, 0.2, 0.3 and the trial's own value; c = 4, so the
        // trial must be no worse than the 2nd best (index ⌊4/2⌋ − 1 = 1).
        let reference = reference([0.1, 0.2, 0.3])
        #expect(!pruner().shouldPrune(fit: 0, epoch: 2, values: [1, 0.15], reference: reference))
        #expect(!pruner().shouldPrune(fit: 0, epoch: 2, values: [1, 0.2], reference: reference))  // a tie goes on
        #expect(pruner().shouldPrune(fit: 0, epoch: 2, values: [1, 0.25], reference: reference))
    }

    @Test func withFewerCompetitorsThanTheFactorOnlyTheBestGoesOn() {
        // c = 2 < η = 4: Optuna promotes the best only.
        let reference = reference([0.3])
        #expect(!pruner(factor: 4).shouldPrune(fit: 0, epoch: 1, values: [0.2], reference: reference))
        #expect(pruner(factor: 4).shouldPrune(fit: 0, epoch: 1, values: [0.4], reference: reference))
    }

    @Test func trialsPrunedBeforeTheRungDoNotCompeteThere() {
        // Two trials stopped after epoch 1; only one reached epoch 4.
        let reference = reference([0.01, 0.02, 0.5], lengths: [1, 1, 8], status: .pruned)
        // At epoch 4: competitors 0.5 and the trial's 0.4; c = 2, index 0: 0.4 is the best.
        #expect(!pruner().shouldPrune(fit: 0, epoch: 4, values: [1, 1, 1, 0.4], reference: reference))
    }

    @Test func bootstrapHoldsBackPromotionUntilEnoughValuesAreIn() {
        // Optuna prunes while the competing values (the trial's included) are at most bootstrap_count.
        let reference = reference([0.3])
        #expect(pruner(bootstrap: 2).shouldPrune(fit: 0, epoch: 1, values: [0.1], reference: reference))
        #expect(!pruner(bootstrap: 1).shouldPrune(fit: 0, epoch: 1, values: [0.1], reference: reference))
    }

    @Test func aNaNValueAtARungIsPruned() {
        #expect(pruner().shouldPrune(fit: 0, epoch: 1, values: [.nan], reference: reference([])))
    }
}
