import Foundation
import Testing
@testable import SweepKit
@testable import SweepReport

/// The trials a report's heavy plots draw when a sweep has too many to draw one by one.
@Suite struct PlotSampleTests {
    private let ranking = TrialRanking(metric: SweepMetric(name: .validationAccuracy, maximize: true))

    @Test func everyTrialIsDrawnWhileTheyFitTheLimit() {
        let trials = ReportFixtures.manyTrials(2_000)
        #expect(PlotSample.numbers(of: trials, ranking: ranking, limit: 2_000) == nil)
        #expect(PlotSample.numbers(of: trials, ranking: ranking, limit: 1_999) != nil)
    }

    @Test func aSampleOfTenThousandTrialsKeepsTheBestEveryNewBestAndEveryStatus() throws {
        let trials = ReportFixtures.manyTrials(10_000)
        let numbers = try #require(PlotSample.numbers(of: trials, ranking: ranking, limit: 2_000))
        let drawn = Set(numbers)
        #expect(numbers == numbers.sorted())
        #expect(drawn.count == numbers.count)
        // At most the limit, give or take the trials that must be kept (best 50, new bests, statuses).
        #expect(numbers.count <= 2_000)
        #expect(numbers.count >= 1_900)
        let best = try #require(ranking.best(of: trials))
        #expect(drawn.contains(best.number))
        // The 50 best by the ranking (limit / 20 = 100, at most 50).
        let ranked = ranking.ranked(trials.filter(ranking.hasFiniteMetric))
        #expect(ranked.prefix(50).allSatisfy { drawn.contains($0.number) })
        #expect(PlotSample.best(50, of: trials, ranking: ranking).map(\.number) == ranked.prefix(50).map(\.number))
        #expect(PlotSample.improvements(of: trials, ranking: ranking).allSatisfy { drawn.contains($0.trial) })
        let statuses = Set(trials.filter { drawn.contains($0.number) }.map(\.status))
        #expect(statuses == [.complete, .pruned, .diverged, .failed, .running])
        // The even spread keeps roughly each status's share: pruned trials are 1 in 101.
        let pruned = trials.filter { drawn.contains($0.number) && $0.status == .pruned }.count
        #expect((10...40).contains(pruned))
    }

    @Test func theBestSoFarStepsOnlyWhenAFiniteCompleteValueImprovesInTheGoalsDirection() {
        let trials = [
            ReportFixtures.trial(1, [:], accuracy: 0.5),
            ReportFixtures.trial(2, [:], accuracy: 0.4),
            ReportFixtures.trial(3, [:], accuracy: .nan),
            // A pruned trial's value is not a final result, and a diverged trial's is no result.
            ReportFixtures.trial(4, [:], accuracy: 0.99, status: .pruned),
            ReportFixtures.trial(5, [:], accuracy: 0.98, status: .diverged),
            ReportFixtures.trial(6, [:], accuracy: 0.7),
            ReportFixtures.trial(7, [:], accuracy: 0.7),
        ]
        #expect(PlotSample.improvements(of: trials, ranking: ranking) == [BestStep(trial: 1, value: 0.5), BestStep(trial: 6, value: 0.7)])
        let lossRanking = TrialRanking(metric: SweepMetric(name: .validationAccuracy, maximize: false))
        #expect(PlotSample.improvements(of: trials, ranking: lossRanking).map(\.trial) == [1, 2])
    }
}
