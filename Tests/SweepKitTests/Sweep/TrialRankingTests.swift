import Foundation
import Testing
@testable import SweepKit

/// The one order of trials, on hand-built records.
@Suite struct TrialRankingTests {
    private func trial(
        _ number: Int, _ status: TrialStatus = .complete, accuracy: Double? = nil, loss: Double? = nil, epochs: Int? = nil
    ) -> TrialRecord {
        var record = SweepFixtures.record(number, status, metric: accuracy)
        record.metrics[MetricName.validationLoss.rawValue] = loss
        record.epochsRun = epochs
        return record
    }

    private let accuracy = TrialRanking(metric: SweepMetric(name: .validationAccuracy, maximize: true))

    @Test func statusComesFirstSoABrokenTrialIsNeverBest() {
        let trials = [
            trial(1, .pending), trial(2, .running), trial(3, .interrupted), trial(4, .failed),
            trial(5, .diverged, accuracy: 0.99), trial(6, .pruned, accuracy: 0.98), trial(7, accuracy: 0.1),
        ]
        #expect(accuracy.ranked(trials.shuffled()).map(\.number) == [7, 6, 5, 4, 3, 2, 1])
        #expect(accuracy.best(of: trials)?.number == 7)
    }

    @Test func theGoalSetsTheDirection() {
        let trials = [trial(1, accuracy: 0.5), trial(2, accuracy: 0.9), trial(3, accuracy: 0.7)]
        #expect(accuracy.ranked(trials).map(\.number) == [2, 3, 1])
        // The spec may ask to minimise any metric, accuracy included.
        let minimised = TrialRanking(metric: SweepMetric(name: .validationAccuracy, maximize: false))
        #expect(minimised.ranked(trials).map(\.number) == [1, 3, 2])
        let loss = TrialRanking(metric: SweepMetric(name: .validationLoss, maximize: false))
        #expect(loss.ranked([trial(1, loss: 0.3), trial(2, loss: 0.1), trial(3, loss: 0.2)]).map(\.number) == [2, 3, 1])
    }

    @Test func tiesGoToTheLowerValidationLossThenTheLowerTrialNumber() {
        let trials = [
            trial(1, accuracy: 0.8, loss: 0.5), trial(2, accuracy: 0.8, loss: 0.4), trial(3, accuracy: 0.8, loss: .nan),
            trial(4, accuracy: 0.8, loss: 0.4), trial(5, accuracy: 0.8),
        ]
        // 2 and 4 tie on both: the lower number first; NaN and missing losses after finite ones.
        #expect(accuracy.ranked(trials).map(\.number) == [2, 4, 1, 3, 5])
    }

    @Test func nonFiniteOrMissingMetricsComeAfterFiniteOnes() {
        let trials = [trial(1, accuracy: .nan), trial(2, accuracy: 0.2), trial(3), trial(4, accuracy: .infinity), trial(5, accuracy: 0.1)]
        #expect(accuracy.ranked(trials).map(\.number) == [2, 5, 1, 3, 4])
        #expect(accuracy.best(of: [trial(1, accuracy: .nan), trial(2)]) == nil)
    }

    @Test func prunedTrialsThatGotFurtherRankFirst() {
        let trials = [
            trial(1, .pruned, accuracy: 0.9, epochs: 5), trial(2, .pruned, accuracy: 0.5, epochs: 20),
            trial(3, .pruned, accuracy: 0.7, epochs: 20),
        ]
        #expect(accuracy.ranked(trials).map(\.number) == [3, 2, 1])
    }

    @Test func keptWeightsAreTheBestCompleteTrialsAndIncludeTheExportedOne() {
        let trials = [
            trial(1, accuracy: 0.7, loss: 0.3), trial(2, accuracy: 0.7, loss: 0.2), trial(3, .diverged, accuracy: 0.9),
            trial(4, accuracy: .nan), trial(5, .pruned, accuracy: 0.8),
        ]
        // A tie on accuracy: trial 2's lower loss puts it first, and it is the one exported.
        #expect(accuracy.best(1, of: trials) == [2])
        #expect(accuracy.best(of: trials)?.number == 2)
        // Complete trials only, those without a finite metric last.
        #expect(accuracy.best(5, of: trials) == [2, 1, 4])
        #expect(accuracy.best(0, of: trials) == [])
    }

    @Test func samplersSeeTheMetricAsALossToMinimise() {
        #expect(accuracy.loss(of: trial(1, accuracy: 0.8)) == -0.8)
        let loss = TrialRanking(metric: SweepMetric(name: .validationLoss, maximize: false))
        #expect(loss.loss(of: trial(1, loss: 0.25)) == 0.25)
        #expect(accuracy.loss(of: trial(1, .diverged, accuracy: .nan)).isNaN)
    }
}
