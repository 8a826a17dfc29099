import Foundation
import SweepKit
import Testing
@testable import sweep

/// The leaderboard's epochs column: per fit, not added up, and how far a pruned trial got.
@Suite struct LeaderboardTableTests {
    private func table(_ counts: [Int: [Int: Int]], scoringFits: Int = 4) -> LeaderboardTable {
        let board = Leaderboard(trials: [], metric: SweepMetric(name: .validationAccuracy, maximize: true))
        return LeaderboardTable(board: board, testMetric: .testAccuracy, epochCounts: counts, scoringFits: scoringFits)
    }

    private func trial(_ number: Int, _ status: TrialStatus, epochs: Int = 40, divergedEpoch: Int? = nil, epochsRun: Int = 1) -> TrialRecord {
        var configuration = TrainingConfiguration()
        configuration.epochs = epochs
        return TrialRecord(
            plan: TrialPlan(number: number, parameters: .object([:]), configurationJSON: configuration.canonicalJSON, seed: 0),
            status: status, epochsRun: epochsRun, divergedEpoch: divergedEpoch)
    }

    /// A sweep that keeps no test rows (test_fraction 0, as sweep auto's) has no test column, whose
    /// every cell would be "-"; one with test rows has it after the metric.
    @Test func theTestColumnIsThereOnlyWhenTheSweepKeepsTestRows() throws {
        let spec = { (data: String) in
            try SweepSpec.parse(Data(#"{"name": "t", "data": \#(data), "parameters": {"lr": {"values": [0.01, 0.1]}}}"#.utf8), source: "spec.json")
        }
        let everyRow = try spec(#"{"source": "builtin:phone-price?rows=200", "test_fraction": 0, "folds": 3}"#)
        let tested = try spec(#""builtin:phone-price?rows=200""#)
        #expect(testColumn(for: everyRow) == nil)
        #expect(testColumn(for: tested) == .testAccuracy)
        let board = Leaderboard(trials: [trial(1, .complete)], metric: SweepMetric(name: .validationAccuracy, maximize: true))
        let without = LeaderboardTable(board: board, testMetric: nil, epochCounts: [:], scoringFits: 3)
        #expect(without.header == ["rank", "trial", "status", "validation_accuracy", "epochs", "train_seconds"])
        #expect(without.cells(try #require(board.entries.first)).count == without.header.count)
        let with = LeaderboardTable(board: board, testMetric: .testAccuracy, epochCounts: [:], scoringFits: 1)
        #expect(with.header == ["rank", "trial", "status", "validation_accuracy", "test_accuracy", "epochs", "train_seconds"])
    }

    /// CSV is for programs: every searched setting and metric in full. Rounded to four digits,
    /// 0.0100001 and 0.0100002 both read 0.01 (an RMSE of 1.4e-7, 0.0000), and a setting all
    /// trials shared had no column.
    @Test func theCSVHoldsEverySettingInFullAndTheTableWhatVaries() throws {
        var first = trial(1, .complete), second = trial(2, .complete)
        first.plan.parameters = .object(["lr": .number(0.0100001), "optimizer": .string("adam"), "schedule": .object(["name": .string("step"), "gamma": .number(0.123456)])])
        second.plan.parameters = .object(["lr": .number(0.0100002), "optimizer": .string("adam"), "schedule": .object(["name": .string("step"), "gamma": .number(0.123456)])])
        first.metrics = ["validation_accuracy": 0.512345678]
        second.metrics = ["validation_accuracy": 0.25]
        let board = Leaderboard(trials: [first, second], metric: SweepMetric(name: .validationAccuracy, maximize: true))
        let table = LeaderboardTable(board: board, testMetric: nil, epochCounts: [:], scoringFits: 1)

        let rows = csvRows(table.csv(top: nil))
        #expect(rows[0] == ["rank", "trial", "status", "lr", "optimizer", "schedule", "validation_accuracy", "epochs", "train_seconds"])
        #expect(rows[1][3...6] == ["0.0100001", "adam", "step(gamma=0.123456)", "0.512345678"])
        #expect(rows[2][3] == "0.0100002")
        #expect(table.header == ["rank", "trial", "status", "lr", "validation_accuracy", "epochs", "train_seconds"])
        #expect(table.cells(try #require(board.entries.first))[3...4] == ["0.01", "0.5123"])
    }

    /// The log line of a finished trial (output not a terminal): one space between its words, also
    /// when it has no metric and no error to show.
    @Test func aTrialsLogLineHasNoEmptyWord() {
        var record = trial(3, .interrupted)
        record.trainSeconds = 22.8
        record.plan.parameters = .object(["lr": .number(0.01)])
        #expect(SweepProgress.logLine(record, position: 4, total: 10, metricName: "validation_accuracy") == "[4/10] trial 3 interrupted (22.8s) lr=0.01")
        record.status = .complete
        record.metrics = ["validation_accuracy": 0.75]
        #expect(SweepProgress.logLine(record, position: 5, total: 10, metricName: "validation_accuracy")
            == "[5/10] trial 3 complete validation_accuracy 0.7500 (22.8s) lr=0.01")
        record.status = .failed
        record.errorMessage = "out of memory"
        #expect(SweepProgress.logLine(record, position: 6, total: 10, metricName: "validation_accuracy").hasPrefix("[6/10] trial 3 failed out of memory (22.8s)"))
    }

    @Test func aCrossValidatedTrialShowsTheEpochsOfEachFitNotTheirSum() {
        // 4 folds and the final fit (fold 0), 40 epochs each: 200 in all, 40 per fit.
        let counts = [1: [0: 40, 1: 40, 2: 40, 3: 40, 4: 40]]
        #expect(table(counts).epochsText(trial(1, .complete)) == "40")
        #expect(table(counts).fitEpochs(trial(1, .complete)) == [40, 40, 40, 40])
    }

    @Test func earlyStoppingShowsTheRangeOfEpochsRun() {
        let counts = [1: [0: 40, 1: 12, 2: 20, 3: 15, 4: 11]]
        #expect(table(counts).epochsText(trial(1, .complete)) == "11–20")
    }

    @Test func aPrunedTrialShowsWhereItStopped() {
        // Fit 1 ran all 40 epochs, fit 2 was stopped in its 7th.
        #expect(table([1: [1: 40, 2: 7]]).epochsText(trial(1, .pruned)) == "7/40 in fit 2")
        // Two whole fits, then the rest skipped.
        #expect(table([1: [1: 40, 2: 40]]).epochsText(trial(1, .pruned)) == "2 of 4 fits")
    }

    @Test func aDivergedTrialShowsTheEpochAndFitItDivergedIn() {
        // The loss became NaN in training in epoch 1: no epoch is stored, and 0 epochs ran whole.
        #expect(table([:], scoringFits: 1).epochsText(trial(1, .diverged, divergedEpoch: 1, epochsRun: 0)) == "1/40 in fit 1")
        // In epoch 7 of fit 1: epochs 1 to 6 are stored.
        #expect(table([1: [1: 6]], scoringFits: 1).epochsText(trial(1, .diverged, divergedEpoch: 7, epochsRun: 6)) == "7/40 in fit 1")
        // Its validation loss became infinite in epoch 7 of fit 2: that epoch is stored too.
        #expect(table([1: [1: 40, 2: 7]]).epochsText(trial(1, .diverged, divergedEpoch: 7, epochsRun: 47)) == "7/40 in fit 2")
        // In epoch 1 of fit 3, after two whole fits; in epoch 1 of the final fit, after all four.
        #expect(table([1: [1: 40, 2: 40]]).epochsText(trial(1, .diverged, divergedEpoch: 1, epochsRun: 80)) == "1/40 in fit 3")
        #expect(table([1: [1: 40, 2: 40, 3: 40, 4: 40]]).epochsText(trial(1, .diverged, divergedEpoch: 1)) == "1/40 in the final fit")
        // Fits of one epoch: a stored epoch 1 may be fit 2's own (diverged when validated) or a
        // whole fit 2 before fit 3 diverged, so the fit is not named.
        #expect(table([1: [1: 1, 2: 1]]).epochsText(trial(1, .diverged, epochs: 1, divergedEpoch: 1)) == "1/1")
    }

    @Test func aTrialWithoutEpochRowsFallsBackToItsTotal() {
        #expect(table([:]).epochsText(trial(1, .failed)) == "1")
    }
}
