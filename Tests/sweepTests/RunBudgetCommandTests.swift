import Foundation
import SweepStore
import Testing
@testable import sweep

/// `sweep run --trials` and `--timeout`, and sweeps grown by editing their spec.
@Suite("Budgets and growing sweeps on the command line")
struct RunBudgetCommandTests {
    /// The commands a message suggests are pasted into a shell: a path with a space was two words.
    @Test func suggestedCommandsQuoteWhatAShellWouldSplit() async throws {
        #expect(shellWord("sweeps/auto-data.json") == "sweeps/auto-data.json")
        #expect(shellWord("my model.safetensors") == "'my model.safetensors'")
        #expect(shellWord("it's.csv") == #"'it'\''s.csv'"#)
        #expect(shellWord("") == "''")
        let directory = try ScratchDirectory()
        let spec = try directory.write("my spec.json", SmallSpecs.slowRandom(name: "spaced", epochs: 1, trials: 3))
        let run = try await sweep("run", spec, "--db", directory.path("my results.sqlite"), "--trials", "1", in: directory)
        #expect(run.standardOutput.contains("rerun `sweep run '\(spec)' --db '\(directory.path("my results.sqlite"))' --trials 1` to continue"), "\(run)")
    }

    @Test func aTrialBudgetStopsTheRunAndTheSameCommandContinuesIt() async throws {
        let directory = try ScratchDirectory()
        let spec = try directory.write("budget.json", SmallSpecs.slowRandom(name: "budget", epochs: 1, trials: 6))
        let database = directory.path("results.sqlite")

        let first = try await sweep("run", spec, "--db", database, "--trials", "2", in: directory)
        #expect(first.status == 0, "\(first)")
        #expect(first.standardOutput.contains("stopped by --trials with 4 trials to go: rerun `sweep run \(spec) --db \(database) --trials 2` to continue"), "\(first)")
        let listing = try await sweep("list", "--db", database, in: directory)
        #expect(listing.standardOutput.contains("2 trials: 2 complete"), "\(listing)")

        let second = try await sweep("run", spec, "--db", database, in: directory)
        #expect(second.status == 0, "\(second)")
        #expect(second.standardOutput.contains("(resuming: 2 already finished), 4 to run"), "\(second)")
        #expect(!second.standardOutput.contains("stopped by"))

        // A larger "trials" continues the sweep without --restart.
        try directory.write("budget.json", SmallSpecs.slowRandom(name: "budget", epochs: 1, trials: 8))
        let grown = try await sweep("run", spec, "--db", database, in: directory)
        #expect(grown.status == 0, "\(grown)")
        #expect(grown.standardOutput.contains("8 trials (resuming: 6 already finished), 2 to run"), "\(grown)")
        #expect(try SQLiteResultStore(path: database).trials(sweep: "budget").map(\.status.rawValue) == Array(repeating: "complete", count: 8))

        // A smaller one is another sweep, and says why.
        try directory.write("budget.json", SmallSpecs.slowRandom(name: "budget", epochs: 1, trials: 3))
        let shrunk = try await sweep("run", spec, "--db", database, in: directory)
        #expect(shrunk.isCleanFailure, "\(shrunk)")
        #expect(shrunk.standardError.contains("asks for 3 trials where the stored sweep has 8"), "\(shrunk)")
    }

    @Test func aTimeoutStartsNoTrialAfterItAndSaysHowManyRemain() async throws {
        let directory = try ScratchDirectory()
        let spec = try directory.write("timeout.json", SmallSpecs.slowRandom(name: "timeout", epochs: 1, trials: 40))
        let database = directory.path("results.sqlite")
        // A millisecond passes before the workers ask for their first trial or soon after.
        let result = try await sweep("run", spec, "--db", database, "--timeout", "0.001", in: directory)
        #expect(result.status == 0, "\(result)")
        #expect(result.standardOutput.contains("stopped by --timeout with"), "\(result)")
        let stored = try SQLiteResultStore(path: database).trials(sweep: "timeout")
        #expect(stored.count < 40 && stored.allSatisfy { $0.status == .complete })
    }

    /// Trials running at the timeout finish, so a run ends after it: its summary says by how much
    /// (how much depends on the machine, so only that it is a duration of zero or more).
    @Test func aRunThatEndsPastItsTimeoutSaysByHowMuch() async throws {
        let directory = try ScratchDirectory()
        let spec = try directory.write("late.json", SmallSpecs.slowRandom(name: "late", epochs: 1, trials: 40))
        let result = try await sweep("run", spec, "--db", "results.sqlite", "--timeout", "0.001", in: directory)
        #expect(result.status == 0, "\(result)")
        let sentence = try #require(
            result.standardOutput.firstMatch(of: /no trial started after --timeout 0.001; the running trials finished (\d+m\d\ds|\d+h\d\dm|(\d+\.\d)s) after it\n/),
            "\(result)")
        if let seconds = sentence.output.2 { #expect(try #require(Double(seconds)) >= 0) }
        // The command that continues it keeps the limit: the sweep may have thousands of trials.
        #expect(result.standardOutput.contains("to go: rerun `sweep run \(spec) --db results.sqlite --timeout 0.001` to continue"), "\(result)")
    }

    @Test(arguments: [
        ("5x", "--timeout must be a duration"), ("0", "--timeout must be longer than 0, got '0'"), ("0s", "--timeout must be longer than 0, got '0s'"),
        ("-1m", "--timeout must be a duration"), ("500ms", "--timeout counts in s, m, h or d, not milliseconds"),
    ])
    func aBadTimeoutIsRefused(value: String, message: String) async throws {
        let directory = try ScratchDirectory()
        let spec = try directory.write("t.json", SmallSpecs.grid())
        let result = try await sweep("run", spec, "--timeout", value, in: directory)
        #expect(result.isCleanFailure, "\(result)")
        #expect(result.standardError.contains(message), "\(result)")
    }

    @Test func durationsReadAsAPersonWritesThem() {
        #expect(parseDuration("90s") == 90)
        #expect(parseDuration("10m") == 600)
        #expect(parseDuration("1h30m") == 5400)
        #expect(parseDuration("2.5") == 2.5)
        #expect(parseDuration("m") == nil)
    }

    @Test func aDurationBeyondEveryClockIsWrittenOutNotTrappedOn() {
        // sweep auto --budget 1e300 printed its budget through Int(seconds), which traps above Int.max.
        #expect(formatDuration(125.7) == "2m05s")
        #expect(formatDuration(5400) == "1h30m")
        #expect(formatDuration(1e18) == "277777777777777h46m")
        let forever = formatDuration(1e300)
        #expect(forever.count > 290 && forever.hasSuffix("m"), "\(forever)")
    }
}

/// A spec that names neither task nor metric takes the metric the data's inferred task calls for.
@Suite("The default metric follows the inferred task")
struct DefaultMetricCommandTests {
    @Test func aRegressionTargetIsRankedByRMSEWithoutBeingAskedTo() async throws {
        let directory = try ScratchDirectory()
        var lines = ["x1,x2,progression"]
        for row in 0..<200 {
            let a = Double(row % 13) / 13, b = Double(row % 7) / 7
            lines.append("\(a),\(b),\(150 + 80 * a - 40 * b)")
        }
        let data = try directory.write("regression.csv", lines.joined(separator: "\n") + "\n")
        let spec = try directory.write("spec.json", """
            {"name": "progression", "data": "\(data)", "fixed": {"hidden_layers": [4], "epochs": 2},
             "parameters": {"lr": {"values": [0.01, 0.1]}}}
            """)
        let validated = try await sweep("validate", spec, in: directory)
        #expect(validated.status == 0, "\(validated)")
        #expect(validated.standardOutput.contains("ranked by validation_rmse (minimize)"), "\(validated)")
        let database = directory.path("r.sqlite")
        #expect(try await sweep("run", spec, "--db", database, in: directory).status == 0)
        let board = try await sweep("leaderboard", "--db", database, in: directory)
        #expect(board.standardOutput.contains("ranked by validation_rmse (lower is better)"), "\(board)")
        // Run again: the stored spec, with its metric written in, is the same sweep.
        let again = try await sweep("run", spec, "--db", database, in: directory)
        #expect(again.status == 0 && again.standardOutput.contains("resuming: 2 already finished"), "\(again)")

        // The target was learnt as z-scores: the exported model carries the scale, and predict
        // gives values in the target's units, with the leaderboard's test RMSE.
        let model = directory.path("best.safetensors")
        #expect(try await sweep("export", "--db", database, "-o", model, in: directory).status == 0)
        let predicted = try await sweep("predict", model, data, "--part", "test", in: directory)
        #expect(predicted.status == 0, "\(predicted)")
        let csv = csvRows(try await sweep("leaderboard", "--db", database, "--format", "csv", in: directory).standardOutput)
        let column = try #require(csv.first?.firstIndex(of: "test_rmse"))
        let boardRMSE = try #require(Double(csv[1][column]))
        let predictedRMSE = try #require(predicted.standardError.split(separator: " ").drop { $0 != "rmse" }.dropFirst().first.flatMap { Double($0) })
        #expect(abs(predictedRMSE - boardRMSE) < 1e-4, "\(predicted.standardError) vs \(boardRMSE)")
        let predictions = csvRows(predicted.standardOutput).dropFirst().compactMap { Double($0[1]) }
        // Predictions of 150 + 80a − 40b for a, b in [0, 1): in the target's range, not z-scores.
        #expect(!predictions.isEmpty && predictions.reduce(0, +) / Double(predictions.count) > 100)
    }
}

/// `sweep validate` refuses a space whose largest network cannot fit in memory.
@Suite("Memory of the largest trial")
struct LargestTrialCommandTests {
    @Test func aLayerListTooWideForTheMachineIsRefusedBeforeAnythingTrains() async throws {
        let directory = try ScratchDirectory()
        let spec = try directory.write("huge.json", """
            {"name": "huge", "data": "builtin:phone-price?rows=400", "method": "random", "trials": 3, "fixed": {"epochs": 1},
             "parameters": {"hidden_layers": {"depth": {"values": [1, 2]}, "width": {"distribution": "int_log_uniform", "min": 8, "max": 200000}}}}
            """)
        for arguments in [["validate", spec], ["run", spec, "--db", directory.path("r.sqlite")]] {
            let result = try await SweepProcess(arguments, in: directory).wait()
            #expect(result.isCleanFailure, "\(result)")
            #expect(result.standardError.contains("the largest network the parameters allow (2 layers of 200000)"), "\(result)")
        }
    }
}
