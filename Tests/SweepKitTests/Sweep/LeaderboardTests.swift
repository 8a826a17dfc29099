import Foundation
import Testing
@testable import SweepKit

@Suite("Leaderboard ranking")
struct LeaderboardTests {
    private let accuracy = SweepMetric(name: .validationAccuracy, maximize: true)
    private let loss = SweepMetric(name: .validationLoss, maximize: false)

    private func record(_ number: Int, _ status: TrialStatus, _ metric: SweepMetric, _ value: Double?) -> TrialRecord {
        var record = SweepFixtures.record(number, status)
        if let value { record.metrics[metric.name.rawValue] = value }
        return record
    }

    @Test func completeTrialsRankHighestMetricFirstWhenMaximizing() {
        let trials = [record(1, .complete, accuracy, 0.5), record(2, .complete, accuracy, 0.9), record(3, .complete, accuracy, 0.7)]
        let board = Leaderboard(trials: trials, metric: accuracy)
        #expect(board.entries.map(\.trial.number) == [2, 3, 1])
        #expect(board.entries.map(\.rank) == [1, 2, 3])
        #expect(board.best?.number == 2)
    }

    @Test func completeTrialsRankLowestMetricFirstWhenMinimizing() {
        let trials = [record(1, .complete, loss, 0.5), record(2, .complete, loss, 0.9), record(3, .complete, loss, 0.2)]
        let board = Leaderboard(trials: trials, metric: loss)
        #expect(board.entries.map(\.trial.number) == [3, 1, 2])
        #expect(board.best?.number == 3)
    }

    @Test func brokenTrialsRankBelowCompleteOnesInStatusOrder() {
        // A diverged or failed trial may carry a "better" number; it still ranks below every complete one.
        let trials = [
            record(1, .pending, accuracy, nil), record(2, .interrupted, accuracy, 0.99), record(3, .failed, accuracy, 0.98),
            record(4, .diverged, accuracy, 0.97), record(5, .complete, accuracy, 0.1), record(6, .running, accuracy, nil),
            record(7, .complete, accuracy, 0.2),
        ]
        let board = Leaderboard(trials: trials, metric: accuracy)
        #expect(board.entries.map(\.trial.status) == [.complete, .complete, .diverged, .failed, .interrupted, .running, .pending])
        #expect(board.entries.map(\.trial.number) == [7, 5, 4, 3, 2, 6, 1])
        #expect(board.best?.number == 7)
    }

    @Test func nanMetricNeverRanksFirst() {
        for metric in [accuracy, loss] {
            let trials = [record(1, .complete, metric, .nan), record(2, .complete, metric, 0.4), record(3, .complete, metric, .nan), record(4, .complete, metric, 0.6)]
            let board = Leaderboard(trials: trials, metric: metric)
            #expect(board.entries.suffix(2).map(\.trial.number) == [1, 3], "NaN trials should come last for \(metric.name)")
            #expect(board.best?.metrics[metric.name.rawValue]?.isFinite == true)
        }
    }

    @Test func infiniteMetricNeverRanksFirst() {
        let trials = [record(1, .complete, loss, -.infinity), record(2, .complete, loss, 0.4)]
        #expect(Leaderboard(trials: trials, metric: loss).entries.first?.trial.number == 2)
    }

    @Test func sweepWithOnlyNaNMetricsHasNoBestTrial() {
        let trials = [record(1, .complete, accuracy, .nan), record(2, .diverged, accuracy, .nan)]
        #expect(Leaderboard(trials: trials, metric: accuracy).best == nil)
    }

    /// Why there is no best trial decides the advice: wait or resume, or change the settings.
    @Test func aSweepWithoutABestTrialSaysWhetherItsTrialsAreUnfinishedOrAllEndedBadly() {
        #expect(Leaderboard(trials: [], metric: accuracy).shortfall == .noTrials)
        let unfinished = [record(1, .diverged, accuracy, nil), record(2, .pending, accuracy, nil), record(3, .interrupted, accuracy, nil)]
        #expect(Leaderboard(trials: unfinished, metric: accuracy).shortfall == .unfinished(remaining: 2, total: 3))
        let ended = [
            record(1, .diverged, accuracy, nil), record(2, .failed, accuracy, nil), record(3, .diverged, accuracy, nil),
            record(4, .complete, accuracy, .nan), record(5, .pruned, accuracy, 0.9),
        ]
        #expect(Leaderboard(trials: ended, metric: accuracy).shortfall == .noneUsable(endings: [.diverged: 2, .failed: 1, .complete: 1, .pruned: 1]))
        #expect(Leaderboard(trials: ended + [record(6, .complete, accuracy, 0.5)], metric: accuracy).shortfall == nil)
    }

    @Test func tiedTrialsRankByTrialNumber() {
        let trials = [record(3, .complete, accuracy, 0.5), record(1, .complete, accuracy, 0.5), record(2, .complete, accuracy, 0.5)]
        #expect(Leaderboard(trials: trials, metric: accuracy).entries.map(\.trial.number) == [1, 2, 3])
    }

    @Test func onlyParametersWhoseValuesDifferAreVarying() {
        let trials = [
            SweepFixtures.record(1, .complete, metric: 0.5, parameters: ["lr": .number(0.1), "optimizer": .string("adam"), "dropout": .number(0)]),
            SweepFixtures.record(2, .complete, metric: 0.6, parameters: ["lr": .number(0.01), "optimizer": .string("adam"), "dropout": .number(0.2)]),
            SweepFixtures.record(3, .failed, parameters: ["lr": .number(0.1), "optimizer": .string("adam"), "dropout": .number(0)]),
        ]
        #expect(Leaderboard(trials: trials, metric: accuracy).varyingParameters == ["dropout", "lr"])
    }

    @Test func aConditionalParameterWithOneValueVariesWhenSomeTrialsDoNotCarryIt() {
        let trials = [
            SweepFixtures.record(1, .complete, metric: 0.5, parameters: ["hidden_layers": .array([.number(32)])]),
            SweepFixtures.record(2, .complete, metric: 0.6, parameters: ["hidden_layers": .array([]), "lr": .number(0.03)]),
            SweepFixtures.record(3, .complete, metric: 0.6, parameters: ["hidden_layers": .array([]), "lr": .number(0.03)]),
        ]
        #expect(Leaderboard(trials: trials, metric: accuracy).varyingParameters == ["hidden_layers", "lr"])
        // Carried by every trial with the same value: not a column.
        #expect(Leaderboard(trials: Array(trials.dropFirst()), metric: accuracy).varyingParameters == [])
    }

    @Test func objectValuedParametersVaryByTheirWholeValue() {
        let sgd: JSONValue = .object(["name": .string("sgd"), "lr": .number(0.1)])
        let sgdSlower: JSONValue = .object(["lr": .number(0.01), "name": .string("sgd")])
        let trials = [
            SweepFixtures.record(1, .complete, metric: 0.5, parameters: ["optimizer": sgd]),
            SweepFixtures.record(2, .complete, metric: 0.6, parameters: ["optimizer": sgdSlower]),
        ]
        #expect(Leaderboard(trials: trials, metric: accuracy).varyingParameters == ["optimizer"])
    }

    @Test func emptySweepHasAnEmptyLeaderboard() {
        let board = Leaderboard(trials: [], metric: accuracy)
        #expect(board.entries.isEmpty)
        #expect(board.best == nil)
        #expect(board.varyingParameters.isEmpty)
    }
}
