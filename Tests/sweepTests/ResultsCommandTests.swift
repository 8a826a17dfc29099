import Foundation
import SweepStore
import Testing

/// Whole command lines over a finished sweep: run, leaderboard, export and predict.
@Suite("sweep run, leaderboard, export and predict")
struct ResultsCommandTests {
    /// Leaderboard CSV rows keyed by trial number, without the timing column.
    private func leaderboardByTrial(_ csv: String) throws -> (header: [String], rows: [String: [String]]) {
        let rows = csvRows(csv)
        let header = try #require(rows.first)
        let trialColumn = try #require(header.firstIndex(of: "trial"))
        let timing = try #require(header.firstIndex(of: "train_seconds"))
        var byTrial: [String: [String]] = [:]
        for row in rows.dropFirst() {
            var cells = row
            cells.remove(at: timing)
            byTrial[row[trialColumn]] = cells
        }
        var kept = header
        kept.remove(at: timing)
        return (kept, byTrial)
    }

    @Test func oneJobAndTwoJobsGiveIdenticalLeaderboards() async throws {
        let directory = try ScratchDirectory()
        let spec = try directory.write("grid.json", SmallSpecs.grid())
        let serial = try await sweep("run", spec, "--db", directory.path("one.sqlite"), "--jobs", "1", in: directory)
        let parallel = try await sweep("run", spec, "--db", directory.path("two.sqlite"), "--jobs", "2", in: directory)
        #expect(serial.status == 0, "\(serial)")
        #expect(parallel.status == 0, "\(parallel)")

        let first = try await sweep("leaderboard", "cli-grid", "--db", directory.path("one.sqlite"), "--format", "csv", in: directory)
        let second = try await sweep("leaderboard", "cli-grid", "--db", directory.path("two.sqlite"), "--format", "csv", in: directory)
        #expect(first.status == 0 && second.status == 0)
        let one = try leaderboardByTrial(first.standardOutput)
        let two = try leaderboardByTrial(second.standardOutput)
        #expect(one.header == ["rank", "trial", "status", "activation", "lr", "optimizer", "validation_accuracy", "test_accuracy", "epochs"])
        #expect(one.rows.count == 8)
        #expect(one.rows == two.rows)
        #expect(one.rows.values.allSatisfy { $0[2] == "complete" && $0.last == "3" })
    }

    @Test func exportedBestModelPredictsTheLeaderboardTestAccuracy() async throws {
        let directory = try ScratchDirectory()
        let spec = try directory.write("grid.json", SmallSpecs.grid(name: "round-trip"))
        let database = directory.path("results.sqlite")
        let run = try await sweep("run", spec, "--db", database, "--jobs", "2", in: directory)
        #expect(run.status == 0, "\(run)")

        let board = try await sweep("leaderboard", "round-trip", "--db", database, "--format", "csv", in: directory)
        let rows = csvRows(board.standardOutput)
        let header = try #require(rows.first)
        let best = try #require(rows.dropFirst().first)
        let bestTrial = best[try #require(header.firstIndex(of: "trial"))]
        let testAccuracy = best[try #require(header.firstIndex(of: "test_accuracy"))]

        let model = directory.path("best.safetensors")
        let export = try await sweep("export", "round-trip", "--db", database, "-o", model, in: directory)
        #expect(export.status == 0, "\(export)")
        #expect(export.standardOutput.contains("sweep 'round-trip' trial \(bestTrial),"), "\(export)")
        #expect(export.standardOutput.contains("test_accuracy \(testAccuracy)"))

        let predict = try await sweep("predict", model, SmallSpecs.data, "--part", "test", in: directory)
        #expect(predict.status == 0, "\(predict)")
        // 400 rows with a test fraction of 0.2: 80 test rows, one prediction line each after the header.
        #expect(predict.standardOutput.split(separator: "\n").count == 81)
        #expect(predict.standardError.contains("accuracy on '\(SmallSpecs.data)': \(testAccuracy) ("), "\(predict)")
    }

    /// A sweep that keeps no test rows (as sweep auto's): the export says so rather than
    /// "test_accuracy -", and its PyTorch check is the one that works without them, on other rows.
    @Test func exportOfAModelWithoutTestRowsSaysSoAndHowToCheckItOnOtherRows() async throws {
        let directory = try ScratchDirectory()
        let spec = try directory.write("every-row.json", """
            {"name": "every-row", "data": {"source": "\(SmallSpecs.data)", "test_fraction": 0, "folds": 2}, "seed": 4,
             "fixed": {"hidden_layers": [8], "epochs": 2, "batch_size": 16}, "parameters": {"lr": {"values": [0.01, 0.05]}}}
            """)
        let database = directory.path("results.sqlite")
        let run = try await sweep("run", spec, "--db", database, in: directory)
        #expect(run.status == 0, "\(run)")
        let model = directory.path("m.safetensors")
        let export = try await sweep("export", "every-row", "--db", database, "-o", model, in: directory)
        #expect(export.status == 0, "\(export)")
        let said = export.standardOutput
        #expect(said.contains(", no test rows\n"), "\(said)")
        #expect(!said.contains("test_accuracy -"), "\(said)")
        #expect(said.contains("check it in PyTorch on rows it did not train on: sweep predict \(model) HOLDOUT.csv, then tools/.venv/bin/python tools/check_export.py \(model) --all-rows --data HOLDOUT.csv --expect FIGURE"), "\(said)")

        // With test rows, the test figure and the plain check, as before.
        let withTest = try directory.write("grid.json", SmallSpecs.grid(name: "with-test"))
        #expect(try await sweep("run", withTest, "--db", database, in: directory).status == 0)
        let tested = try await sweep("export", "with-test", "--db", database, "-o", model, in: directory)
        #expect(tested.standardOutput.contains(", test_accuracy 0."), "\(tested)")
        #expect(tested.standardOutput.contains("check it in PyTorch: tools/.venv/bin/python tools/check_export.py \(model) --data <the CSV>"), "\(tested)")
    }

    /// `sweep bench` times the same sweep with its results in memory, to tell storing from the
    /// rest: it must train the same trials and leave nothing on disk.
    @Test func resultsInMemoryRankTheSameTrialsAndWriteNothing() async throws {
        let directory = try ScratchDirectory()
        let spec = try directory.write("grid.json", SmallSpecs.grid(name: "in-memory"))
        let stored = try await sweep("run", spec, "--db", directory.path("stored.sqlite"), "--jobs", "2", "--quiet", in: directory)
        let database = directory.path("never.sqlite")
        let memory = try await sweep(
            "run", spec, "--db", database, "--jobs", "2", "--quiet", "--results-in-memory", in: directory)
        #expect(stored.status == 0, "\(stored)")
        #expect(memory.status == 0, "\(memory)")

        // The summary's leaderboard (all --quiet prints), less the timing column: the same trials,
        // ranked the same.
        func board(_ output: String) -> [String] {
            output.split(separator: "\n").filter { $0.contains(" complete ") }.map { line in
                line.split(separator: " ", omittingEmptySubsequences: true).dropLast().joined(separator: " ")
            }
        }
        #expect(!board(stored.standardOutput).isEmpty)
        #expect(board(memory.standardOutput) == board(stored.standardOutput), "\(memory)")
        #expect(memory.standardOutput.contains("best: trial"))
        // Nothing to export from: the hint is left out.
        #expect(!memory.standardOutput.contains("export it with"), "\(memory)")
        let left = try FileManager.default.contentsOfDirectory(atPath: directory.url.path)
        #expect(!left.contains { $0.hasPrefix("never.sqlite") }, "\(left)")
    }

    @Test func exportOfAChosenTrialWritesThatTrial() async throws {
        let directory = try ScratchDirectory()
        let spec = try directory.write("grid.json", SmallSpecs.grid(name: "chosen"))
        let database = directory.path("results.sqlite")
        #expect(try await sweep("run", spec, "--db", database, "--jobs", "2", in: directory).status == 0)
        let export = try await sweep("export", "chosen", "--db", database, "--trial", "5", "-o", directory.path("five.safetensors"), in: directory)
        #expect(export.status == 0, "\(export)")
        #expect(export.standardOutput.contains("trial 5,"))
        #expect(FileManager.default.fileExists(atPath: directory.path("five.safetensors")))
    }

    @Test func listShowsTheSweepWithItsTrialCounts() async throws {
        let directory = try ScratchDirectory()
        let spec = try directory.write("grid.json", SmallSpecs.grid(name: "listed"))
        let database = directory.path("results.sqlite")
        #expect(try await sweep("run", spec, "--db", database, "--jobs", "2", in: directory).status == 0)
        let list = try await sweep("list", "--db", database, in: directory)
        #expect(list.status == 0, "\(list)")
        #expect(list.standardOutput.contains("listed  complete"))
        #expect(list.standardOutput.contains("8 trials: 8 complete"))
    }

    @Test func changedSpecUnderTheSameNameIsRefusedUntilRestart() async throws {
        let directory = try ScratchDirectory()
        let database = directory.path("results.sqlite")
        let spec = try directory.write("grid.json", SmallSpecs.grid(name: "changing"))
        #expect(try await sweep("run", spec, "--db", database, "--jobs", "2", in: directory).status == 0)
        try directory.write("grid.json", SmallSpecs.grid(name: "changing", epochs: 2))
        let refused = try await sweep("run", spec, "--db", database, "--jobs", "2", in: directory)
        #expect(refused.isCleanFailure, "\(refused)")
        #expect(refused.standardError.contains("already exists with a different spec"))
        #expect(refused.standardError.contains("--restart"))
        let restarted = try await sweep("run", spec, "--db", database, "--jobs", "2", "--restart", in: directory)
        #expect(restarted.status == 0, "\(restarted)")
        let board = try await sweep("leaderboard", "changing", "--db", database, "--format", "csv", in: directory)
        // The epochs column of every row now says 2.
        #expect(csvRows(board.standardOutput).dropFirst().allSatisfy { $0[$0.count - 2] == "2" }, "\(board)")
    }
}

extension ResultsCommandTests {
    @Test func divergedTrialsRankLastAndTheSweepStillSucceeds() async throws {
        let directory = try ScratchDirectory()
        // Plain SGD with a learning rate of a million overflows in the first epoch.
        let spec = try directory.write("diverging.json", """
            {"name": "diverging", "data": "\(SmallSpecs.data)", "fixed": {"hidden_layers": [8], "epochs": 2, "optimizer": "sgd"},
             "parameters": {"lr": {"values": [1e6, 0.05, 1e7, 0.01]}}}
            """)
        let database = directory.path("results.sqlite")
        let run = try await sweep("run", spec, "--db", database, "--jobs", "2", in: directory)
        #expect(run.status == 0, "\(run)")
        #expect(run.standardOutput.contains("4 trials (2 complete, 2 diverged)"), "\(run)")

        let board = try await sweep("leaderboard", "diverging", "--db", database, "--format", "csv", in: directory)
        let rows = csvRows(board.standardOutput).dropFirst()
        #expect(rows.map { $0[2] } == ["complete", "complete", "diverged", "diverged"], "\(board)")
        #expect(Set(rows.prefix(2).map { $0[1] }) == ["2", "4"])
        // Where each diverged, not the 0 whole epochs it ran.
        #expect(rows.suffix(2).map { $0[$0.count - 2] } == ["1/2 in fit 1", "1/2 in fit 1"], "\(board)")

        let export = try await sweep("export", "diverging", "--db", database, "-o", directory.path("best.safetensors"), in: directory)
        #expect(export.status == 0, "\(export)")
        #expect(export.standardOutput.contains("trial \(rows.first?[1] ?? "?"),"))

        let diverged = try await sweep("export", "diverging", "--db", database, "--trial", "1", "-o", directory.path("x.safetensors"), in: directory)
        #expect(diverged.isCleanFailure, "\(diverged)")
        #expect(diverged.standardError.contains("trial 1 is diverged, not complete"))
    }

    /// Trials that tie exactly (a ReLU's unused negative slope is all they differ in, and with
    /// repeats every trial trains with the same seeds), ranked with a minimising goal: the one
    /// weight kept is the one export picks.
    @Test func keptWeightsAndExportAgreeOnTiesAndGoals() async throws {
        let directory = try ScratchDirectory()
        let spec = try directory.write("ties.json", """
            {"name": "ties", "data": "builtin:phone-price?rows=400", "seed": 3, "repeats": 2,
             "metric": {"name": "validation_accuracy", "goal": "minimize"},
             "fixed": {"hidden_layers": [8], "epochs": 2, "activation": "relu"},
             "parameters": {"negative_slope": {"values": [0.01, 0.2]}, "lr": {"values": [0.01, 0.05]}}}
            """)
        let database = directory.path("results.sqlite")
        let run = try await sweep("run", spec, "--db", database, "--jobs", "2", "--keep-weights", "1", in: directory)
        #expect(run.status == 0, "\(run)")
        let board = csvRows(try await sweep("leaderboard", "ties", "--db", database, "--format", "csv", in: directory).standardOutput)
        let ranked = board.dropFirst().map { $0[1] }
        let store = try SQLiteResultStore(path: database)
        let trials = try store.trials(sweep: "ties")
        // Trials 1 and 2 (and 3 and 4) differ only in the slope: the same metrics exactly.
        #expect(trials[0].metrics == trials[1].metrics && trials[2].metrics == trials[3].metrics)
        #expect(trials[0].metrics != trials[2].metrics)
        let withWeights = try trials.map(\.number).filter { try store.model(sweep: "ties", trial: $0) != nil }
        #expect(withWeights == [Int(ranked[0])!], "kept \(withWeights), ranked \(ranked)")
        // Of a tied pair, the lower trial number ranks first.
        #expect(["1", "3"].contains(ranked[0]))

        let export = try await sweep("export", "ties", "--db", database, "-o", directory.path("best.safetensors"), in: directory)
        #expect(export.status == 0, "\(export)")
        #expect(export.standardOutput.contains("trial \(ranked[0]),"), "\(export)")
    }

    @Test func exportOfATrialWhoseWeightsWereDroppedSaysWhy() async throws {
        let directory = try ScratchDirectory()
        let spec = try directory.write("grid.json", SmallSpecs.grid(name: "kept"))
        let database = directory.path("results.sqlite")
        #expect(try await sweep("run", spec, "--db", database, "--jobs", "2", "--keep-weights", "1", in: directory).status == 0)
        let board = csvRows(try await sweep("leaderboard", "kept", "--db", database, "--format", "csv", in: directory).standardOutput)
        let secondBest = try #require(board.dropFirst(2).first?[1])

        let dropped = try await sweep("export", "kept", "--db", database, "--trial", secondBest, "-o", directory.path("x.safetensors"), in: directory)
        #expect(dropped.isCleanFailure, "\(dropped)")
        #expect(dropped.standardError.contains("weights are not stored: the sweep kept only the best trials' weights"), "\(dropped)")
        let best = try await sweep("export", "kept", "--db", database, "-o", directory.path("best.safetensors"), in: directory)
        #expect(best.status == 0, "\(best)")
    }
}

/// Mistakes on the command line end with a non-zero status and a helpful message, never a trap.
@Suite("Bad command-line input")
struct BadInputCommandTests {
    /// A database with one finished two-trial sweep named "tiny".
    private func tinyDatabase(in directory: ScratchDirectory) async throws -> String {
        let spec = try directory.write("tiny.json", #"{"name": "tiny", "data": "builtin:phone-price?rows=400", "fixed": {"hidden_layers": [8], "epochs": 2}, "parameters": {"lr": {"values": [0.01, 0.1]}}}"#)
        let database = directory.path("tiny.sqlite")
        let run = try await sweep("run", spec, "--db", database, "--jobs", "2", in: directory)
        #expect(run.status == 0, "\(run)")
        return database
    }

    /// A CSV without some of the model's columns is refused with every missing column named,
    /// also when it has a single column (which the CSV reader alone refuses as having no feature).
    @Test func predictNamesEveryMissingColumn() async throws {
        let directory = try ScratchDirectory()
        let database = try await tinyDatabase(in: directory)
        let model = directory.path("tiny.safetensors")
        let export = try await sweep("export", "tiny", "--db", database, "-o", model, in: directory)
        #expect(export.status == 0, "\(export)")

        let two = try directory.write("two.csv", "ram,battery_power,colour\n2000,1500,1\n1000,900,2\n")
        let some = try await sweep("predict", model, two, in: directory)
        #expect(some.isCleanFailure, "\(some)")
        #expect(some.standardError.contains("lacks 18 of the model's 20 feature columns: 'blue', 'clock_speed'"), "\(some)")
        #expect(some.standardError.contains("'wifi'"), "\(some)")
        let missingPart = some.standardError.components(separatedBy: "Its columns:")[0]
        #expect(!missingPart.contains("'ram'") && !missingPart.contains("'battery_power'"), "\(some)")
        #expect(some.standardError.contains("Its columns: 'ram', 'battery_power', 'colour'"), "\(some)")

        let one = try directory.write("one.csv", "battery_power\n1500\n")
        let single = try await sweep("predict", model, one, in: directory)
        #expect(single.isCleanFailure, "\(single)")
        #expect(single.standardError.contains("lacks 19 of the model's 20 feature columns: 'blue'"), "\(single)")
    }

    /// A model of 500 columns on a CSV that has two of them: the first twenty missing names and
    /// a count of the rest, where every name was listed on one line of some 8,000 characters.
    @Test func predictWithAWideModelShowsTheFirstMissingColumnsAndCountsTheRest() async throws {
        let directory = try ScratchDirectory()
        let names = (1...500).map { String(format: "feature_%04d", $0) }
        try directory.write("model.safetensors", bytes: try ModelFixture.wideBytes(featureNames: names, in: directory))
        let two = try directory.write("two.csv", "feature_0001,feature_0002,label\n1,2,0\n3,4,1\n")
        let result = try await sweep("predict", "model.safetensors", two, in: directory)
        expectCleanRefusal(result, mentioning: [
            "lacks 498 of the model's 500 feature columns: 'feature_0003', 'feature_0004'",
            "'feature_0022' and 478 more. Its columns: 'feature_0001', 'feature_0002', 'label'",
        ])
        #expect(!result.standardError.contains("feature_0023"), "\(result)")
    }

    /// A sweep whose every trial diverged is not "not complete yet": export and the ensemble
    /// ranking say how its trials ended and what helps, with the --db to look at them. (Folds, so
    /// that the ranking of ensembles is not refused first for want of fold models.)
    @Test func aSweepWhoseTrialsAllDivergedSaysSoAndSuggestsALowerLearningRate() async throws {
        let directory = try ScratchDirectory()
        let spec = try directory.write("div.json", """
            {"name": "div", "data": {"source": "builtin:phone-price?rows=40", "folds": 2}, "seed": 1,
             "fixed": {"hidden_layers": [4], "epochs": 3, "batch_size": 8, "optimizer": "sgd"},
             "parameters": {"lr": {"values": [1e30, 1e35]}}}
            """)
        let run = try await sweep("run", spec, "--db", "d.sqlite", in: directory)
        try #require(run.status == 0 && run.standardOutput.contains("2 trials (2 diverged)"), "\(run)")
        for arguments in [["export", "--db", "d.sqlite", "-o", "best.safetensors"], ["leaderboard", "--db", "d.sqlite", "--ensembles", "2"]] {
            let result = try await SweepProcess(arguments, in: directory).wait()
            expectCleanRefusal(result, mentioning: [
                "all 2 trials of sweep 'div' ended without a finite validation_accuracy (2 diverged)",
                "A lower learning rate (lr)", "sweep leaderboard div --db d.sqlite shows each trial",
            ])
            #expect(!result.standardError.contains("yet"), "\(result)")
        }
        #expect(!FileManager.default.fileExists(atPath: directory.path("best.safetensors")))
    }

    @Test func leaderboardOfAnUnknownSweepNamesTheKnownOnes() async throws {
        let directory = try ScratchDirectory()
        let database = try await tinyDatabase(in: directory)
        let result = try await sweep("leaderboard", "nope", "--db", database, in: directory)
        #expect(result.isCleanFailure, "\(result)")
        #expect(result.standardError.contains("no sweep named 'nope'"))
        #expect(result.standardError.contains("sweeps: tiny"))
    }

    @Test func exportOfAnUnknownSweepIsRefused() async throws {
        let directory = try ScratchDirectory()
        let database = try await tinyDatabase(in: directory)
        let result = try await sweep("export", "nope", "--db", database, "-o", directory.path("x.safetensors"), in: directory)
        #expect(result.isCleanFailure, "\(result)")
        #expect(result.standardError.contains("no sweep named 'nope'"))
        #expect(!FileManager.default.fileExists(atPath: directory.path("x.safetensors")))
    }

    @Test func exportOfAMissingTrialSaysWhichTrialsExist() async throws {
        let directory = try ScratchDirectory()
        let database = try await tinyDatabase(in: directory)
        // `--trial -1` as well as `--trial=-1`: a negative number is a value, not a flag.
        for trial in ["3", "0", "-1"] {
            for option in [["--trial=\(trial)"], ["--trial", trial]] {
                let arguments = ["export", "tiny", "--db", database] + option + ["-o", directory.path("x.safetensors")]
                let result = try await SweepProcess(arguments, in: directory).wait()
                #expect(result.isCleanFailure, "\(result)")
                #expect(result.standardError.contains("has no trial \(trial)"), "\(result)")
                #expect(result.standardError.contains("trials 1 to 2"))
            }
        }
    }

    @Test func leaderboardWithoutADatabaseSaysHowToMakeOne() async throws {
        let directory = try ScratchDirectory()
        let database = directory.path("absent.sqlite")
        let result = try await sweep("leaderboard", "--db", database, in: directory)
        #expect(result.isCleanFailure, "\(result)")
        #expect(result.standardError.contains("no results database at"))
        // Looking must not create the file.
        #expect(!FileManager.default.fileExists(atPath: database))
    }

    @Test func predictWithAMissingModelFileIsRefused() async throws {
        let directory = try ScratchDirectory()
        let result = try await sweep("predict", directory.path("absent.safetensors"), SmallSpecs.data, in: directory)
        #expect(result.isCleanFailure, "\(result)")
        #expect(result.standardError.contains("absent.safetensors"))
    }

    @Test func predictWithAFileThatIsNotAModelIsRefused() async throws {
        let directory = try ScratchDirectory()
        let notAModel = try directory.write("notes.safetensors", "these are not tensors")
        let result = try await sweep("predict", notAModel, SmallSpecs.data, in: directory)
        #expect(result.isCleanFailure, "\(result)")
    }

    @Test func zeroJobsIsRefusedBeforeAnythingRuns() async throws {
        let directory = try ScratchDirectory()
        let spec = try directory.write("grid.json", SmallSpecs.grid())
        let database = directory.path("results.sqlite")
        let result = try await sweep("run", spec, "--db", database, "--jobs", "0", in: directory)
        #expect(result.isCleanFailure, "\(result)")
        #expect(result.standardError.contains("--jobs must be at least 1, got 0"))
        #expect(!FileManager.default.fileExists(atPath: database))
    }

    /// Each job is a thread of its own: --jobs 100000 started one per trial and fit to run, until
    /// the process ran out of memory or threads.
    @Test(arguments: ["run", "auto"])
    func moreJobsThanThreadsCanServeAreRefusedBeforeAnythingRuns(command: String) async throws {
        let directory = try ScratchDirectory()
        let input = command == "run" ? try directory.write("grid.json", SmallSpecs.grid()) : SmallSpecs.data
        let database = directory.path("results.sqlite")
        let result = try await sweep(command, input, "--db", database, "--jobs", "100000", in: directory)
        expectCleanRefusal(result, mentioning: ["--jobs must be at most 1,024", "got 100000"])
        #expect(!FileManager.default.fileExists(atPath: database))
    }

    /// A negative number after a numeric option is its value, refused by the option's range check,
    /// not read as an unknown flag and reported as a missing value.
    @Test(arguments: [
        (["run", "grid.json", "--jobs", "-2"], "--jobs must be at least 1, got -2"),
        (["run", "grid.json", "--keep-weights", "-1"], "--keep-weights must be zero or more, got -1"),
        (["leaderboard", "--top", "-3"], "--top must be at least 1, got -3"),
        // --top with a view that lists no trials was ignored without a word.
        (["leaderboard", "--top", "3", "--effects"], "--top picks trials, which --effects does not list"),
        (["leaderboard", "--top", "3", "--ensembles", "2"], "--top picks trials; --ensembles K already says how many"),
        (["train", "--epochs", "-1"], "epochs must be from 1 to 1,000,000, got -1"),
        (["train", "--lr", "-0.1"], "lr must be a positive number no larger than 3.4e38 (the largest 32-bit float), got -0.1"),
        (["train", "--batch-size", "-8"], "batch_size must be at least 1, got -8"),
        (["train", "--dropout", "-0.5"], "dropout p must be in [0, 1), got -0.5"),
        (["train", "--seed", "-5"], "seed must be zero or positive, got -5"),
        (["train", "--seeds", "-2"], "--seeds must be from 1 to 100 (each seed is a whole training run), got -2"),
    ])
    func negativeNumbersReachTheRangeChecks(arguments: [String], expected: String) async throws {
        let directory = try ScratchDirectory()
        try directory.write("grid.json", SmallSpecs.grid())
        let database = arguments[0] == "train" ? [] : ["--db", directory.path("results.sqlite")]
        let result = try await SweepProcess(arguments + database, in: directory).wait()
        #expect(result.isCleanFailure, "\(result)")
        #expect(result.standardError.contains(expected), "\(result)")
        #expect(!result.standardError.contains("Missing value"), "\(result)")
    }

    @Test func topBelowOneIsRefused() async throws {
        let directory = try ScratchDirectory()
        let database = try await tinyDatabase(in: directory)
        let result = try await sweep("leaderboard", "tiny", "--db", database, "--top", "0", in: directory)
        #expect(result.isCleanFailure, "\(result)")
        #expect(result.standardError.contains("--top must be at least 1"))
    }

    @Test func fileThatIsNotADatabaseIsRefused() async throws {
        let directory = try ScratchDirectory()
        let database = try directory.write("notes.sqlite", "these are not tables")
        let result = try await sweep("leaderboard", "--db", database, in: directory)
        #expect(result.isCleanFailure, "\(result)")
        #expect(result.standardError.contains("is not a sweep results database"), "\(result)")
        // The file is left as it was.
        #expect(try String(contentsOfFile: database, encoding: .utf8) == "these are not tables")
    }

    @Test func unknownSubcommandIsRefused() async throws {
        let directory = try ScratchDirectory()
        let result = try await sweep("sweepify", in: directory)
        #expect(result.isCleanFailure, "\(result)")
    }
}
