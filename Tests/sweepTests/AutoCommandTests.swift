import Foundation
import SweepStore
import Testing
@testable import sweep

#if canImport(Glibc)
import Glibc
#endif

/// `sweep auto`: from a data source to a spec, a sweep and a model, with clear refusals.
@Suite("sweep auto")
struct AutoCommandTests {
    static let data = "builtin:phone-price?rows=200"

    @Test func autoWritesItsSpecSweepsWithinTheBudgetAndExportsAModelThatPredicts() async throws {
        let directory = try ScratchDirectory()
        let spec = directory.path("sweeps/auto.json"), model = directory.path("auto.safetensors"), database = directory.path("r.sqlite")
        // The budget counts from the command's start: reading the data and checking the spec's
        // trials take a quarter second in a debug build, and over 4 s when the whole suite runs
        // at once, which 10 s leave room for.
        let auto = try await sweep(
            "auto", Self.data, "--budget", "10s", "--spec", spec, "-o", model, "--db", database, "--jobs", "2", "--quiet", in: directory)
        #expect(auto.status == 0, "\(auto)")
        let said = auto.standardOutput
        #expect(said.contains("200 rows, 20 features, target 'price_range': multiclass"), "\(said)")
        #expect(said.contains("scoring: 5-fold cross-validation over every row"), "\(said)")
        #expect(said.contains("spec: \(spec) (sweep run \(spec) continues or grows it)"), "\(said)")
        // Its budget stops the search (its trials are more than seconds reach), not a --timeout the user never gave.
        #expect(said.contains("stopped by the time budget (--budget 10s) with "), "\(said)")
        // (and, when trials were still running when their time ended, how many it stopped)
        #expect(said.contains(": `sweep run \(spec) --db \(database) --timeout 10m` continues the sweep"), "\(said)")
        #expect(!said.contains("--timeout with"), "\(said)")
        #expect(said.contains("wrote \(model): "), "\(said)")
        // Not the sweep's own "export it with" a single trial's model, just before auto's ensemble.
        #expect(!said.contains("export it with:"), "\(said)")
        #expect(said.contains("predict with: sweep predict \(model) NEW.csv"), "\(said)")
        // How long it took, against the budget.
        #expect(said.contains(" of the 10.0s budget\n") || said.contains(" past the 10.0s budget: "), "\(said)")
        // The export averages the 5 fold models of each of the best 5 trials, trained again: fewer
        // trials, or the best trial's final model alone, only where the budget leaves no time to
        // train them (on a loaded machine), or they are not all trained by its end, which it says.
        if auto.standardError.contains("no time left in the budget to train fold models again")
            || auto.standardError.contains("the time ran out before the best trial's fold models were trained again: exporting its final model alone") {
            #expect(said.contains("wrote \(model): sweep 'auto-") && said.contains("' trial "), "\(said)")
        } else {
            let wrote = try #require(said.split(separator: "\n").first { $0.hasPrefix("wrote \(model): an ensemble of the ") }, "\(auto)")
            let counts = wrote.split(separator: " ").compactMap { Int($0) }
            #expect(counts.count == 2 && counts[0] == 5 * counts[1] && wrote.contains("fold models of the best \(counts.last ?? 0) trials ("), "\(wrote)")
            // Fewer when fewer trials completed (a busy machine trains fewer within the budget), or
            // the time left trains fewer again; each is said.
            if let trials = counts.last, trials != 5 {
                #expect(auto.standardError.contains("the budget leaves time to train the fold models of the best \(trials) trials again")
                    || auto.standardError.contains("only \(trials) trials completed")
                    || auto.standardError.contains("the time ran out while training the fold models again: the ensemble has those of the best \(trials) trials"),
                    "\(auto)")
            }
        }
        let written = try String(contentsOfFile: spec, encoding: .utf8)
        #expect(written.contains(#""method" : "tpe""#))

        let predict = try await sweep("predict", model, Self.data, in: directory)
        #expect(predict.status == 0, "\(predict)")
        #expect(predict.standardOutput.split(separator: "\n").count == 201)

        // The same command again continues the same sweep with the same spec.
        let again = try await sweep(
            "auto", Self.data, "--budget", "3s", "--spec", spec, "-o", model, "--db", database, "--jobs", "2", "--quiet", in: directory)
        #expect(again.status == 0, "\(again)")
        #expect(again.standardError.contains("exists with this spec: continuing its sweep"), "\(again)")
    }

    /// The budget bounds the whole command: a trial still training when the trials' share of the
    /// budget ends is stopped (stored interrupted, to run again), however long it would take.
    /// The process is paused (SIGSTOP) while a trial trains, past that time: on any machine, and
    /// however busy, the trial is then still training when its time is up, as a trial far longer
    /// than the budget would be.
    @Test func aTrialStillTrainingWhenItsTimeEndsIsStoppedAndTheCommandEndsWithinItsBudget() async throws {
        let directory = try ScratchDirectory()
        let database = directory.path("r.sqlite")
        // --budget 8s: trials still running 7 s after the command's start are stopped
        // (`AutoCommand.trialSeconds`), and none starts after. Reading the data and setting the
        // sweep up take a quarter second (over 3 s when many tests start at once), and the first
        // trials train for a second or more.
        let process = try SweepProcess(
            ["auto", "builtin:phone-price?rows=2000", "--budget", "8s", "--spec", directory.path("s.json"),
             "-o", directory.path("m.safetensors"), "--db", database, "--jobs", "2", "--quiet"], in: directory)
        let paused = Paused()
        // On a thread of its own, so that a busy cooperative pool (tests that train in this
        // process) cannot delay the pause, nor the moment the process is seen to end.
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread {
                var store: SQLiteResultStore?
                let deadline = Date().addingTimeInterval(60)
                while process.isRunning, Date() < deadline {
                    // Opened once the sweep has made the file and switched it to WAL mode (its
                    // -wal file exists): SQLite does not wait for a lock while it switches.
                    if store == nil, FileManager.default.fileExists(atPath: database + "-wal") { store = try? SQLiteResultStore(path: database) }
                    if let running = try? store?.trials(sweep: "auto-builtin-phone-price-rows-2000").filter({ $0.status == .running }),
                        !running.isEmpty {
                        process.send(SIGSTOP)
                        // Seen training after the command started, so 7 s from now is past its 7 s.
                        Thread.sleep(forTimeInterval: 7.2)
                        paused.trials = running.map(\.number)
                        let resumed = ContinuousClock.now
                        process.send(SIGCONT)
                        while process.isRunning, Date() < deadline { usleep(2_000) }
                        paused.afterPause = ContinuousClock.now - resumed
                        break
                    }
                    usleep(2_000)
                }
                continuation.resume()
            }.start()
        }
        let auto = try await process.wait()
        let afterPause = try #require(paused.afterPause, "no trial was seen training: \(auto)")

        // Resumed past the stop time, the command ends within seconds: the stopped fits see it
        // before their next batch, their results are committed (a quarter second), and the
        // export has what is left of the budget (at most a second; more if its estimate of the
        // fits it trains again is short), reads the data twice and writes the model: a second
        // or two on a busy 2-core machine. Training the paused trials to their end would take
        // another second or more here, and minutes for a long trial on large data.
        #expect(afterPause < .seconds(4), "\(afterPause) after the pause: \(auto)")
        #expect(auto.status == 0 || auto.standardError.contains("no trial completed within 8s; give a longer --budget"), "\(auto)")
        let trials = try SQLiteResultStore(path: database).trials(sweep: "auto-builtin-phone-price-rows-2000")
        let stopped = trials.filter { $0.status == .interrupted }
        #expect(!trials.contains { $0.status == .running }, "\(trials.map(\.status))")
        // The trials seen training are still training when the process goes on (unless one
        // was in its last batch at the pause), and are stopped at their next batch.
        #expect(!stopped.isEmpty, "\(paused.trials) were training; stored: \(trials.map { "\($0.number) \($0.status)" })")
        let count = stopped.count == 1 ? "1 of them" : "\(stopped.count) of them"
        #expect(auto.standardOutput.contains(" (\(count) stopped while training, to run again): `sweep run "), "\(auto)")
    }

    /// The trials the watcher thread saw training when it paused the process, and how long the
    /// process ran on after the pause.
    private final class Paused: @unchecked Sendable {
        var trials: [Int] = []
        var afterPause: Duration?
    }

    @Test func theLastLineSaysHowLongTheCommandTookAndWhatRanPastTheBudget() throws {
        let command = try AutoCommand.parse(["data.csv"])
        #expect(command.timeLine(seconds: 3.91, budget: 4) == "took 3.9s of the 4.0s budget")
        // Past it by less than the tenth of a second shown.
        #expect(command.timeLine(seconds: 4.04, budget: 4) == "took 4.0s of the 4.0s budget")
        #expect(command.timeLine(seconds: 4.3, budget: 4)
            == "took 4.3s, 0.3s past the 4.0s budget: storing the stopped trials and writing the model are not cut short at its end")
        #expect(command.timeLine(seconds: 312, budget: 300).hasPrefix("took 5m12s, 12.0s past the 5m00s budget: "))
    }

    @Test func theBudgetEndsTheSearchThenTheTrialsThenTheExport() {
        // A tenth of the budget, at least 2 s and at most 30 s, follows the search; half of it is
        // the running trials', the rest the export's.
        #expect(AutoCommand.searchSeconds(budget: 4) == 2 && AutoCommand.trialSeconds(budget: 4) == 3)
        #expect(AutoCommand.searchSeconds(budget: 60) == 54 && AutoCommand.trialSeconds(budget: 60) == 57)
        #expect(AutoCommand.searchSeconds(budget: 300) == 270 && AutoCommand.trialSeconds(budget: 300) == 285)
        // The search has a second at least: 2 s leave half a second for the export.
        #expect(AutoCommand.searchSeconds(budget: 2) == 1 && AutoCommand.trialSeconds(budget: 2) == 1.5)
    }

    @Test func aSearchStoppedByTheDefaultBudgetSaysSoAndNamesTheOptionThatSetsIt() throws {
        let unbudgeted = try AutoCommand.parse(["data.csv"])
        #expect(unbudgeted.stopLine(remainingTrials: 9990, specPath: "sweeps/auto-data.json")
            == "stopped by sweep auto's default time budget of 5m (--budget sets another) with 9990 trials to go: `sweep run sweeps/auto-data.json --timeout 10m` continues the sweep")
        let budgeted = try AutoCommand.parse(["data.csv", "--budget", "2m", "--db", "r.sqlite"])
        #expect(budgeted.stopLine(remainingTrials: 12, specPath: "s.json")
            == "stopped by the time budget (--budget 2m) with 12 trials to go: `sweep run s.json --db r.sqlite --timeout 10m` continues the sweep")
    }

    /// sweep auto on a CSV of `header` and `rows`, with a 3 s budget, for the warnings it gives
    /// before the search: whether a trial completes in 3 s on a loaded machine (else the command
    /// ends with status 1, saying so) is not what its callers check.
    private func autoWarnings(_ name: String, header: String, rows: [String]) async throws -> CommandResult {
        let directory = try ScratchDirectory()
        let data = try directory.write("\(name).csv", ([header] + rows).joined(separator: "\n") + "\n")
        let auto = try await sweep(
            "auto", data, "--budget", "3s", "--spec", directory.path("\(name).json"), "-o", directory.path("\(name).safetensors"),
            "--db", directory.path("r.sqlite"), "--quiet", in: directory)
        #expect(!auto.endedBySignal && auto.status <= 1, "\(auto)")
        return auto
    }

    @Test func aFeatureThatCopiesTheTargetIsNamedInAWarningBeforeTheSearch() async throws {
        // 'grade' is 'label' under another name: every model can copy it and score perfectly.
        let rows = (0..<40).map { row in "\(row % 7),\(row % 3),\(Double(row) / 10),\(row % 3)" }
        let auto = try await autoWarnings("leak", header: "a,grade,b,label", rows: rows)
        #expect(auto.standardError.contains("warning: the feature 'grade' equals the target 'label' in every row"), "\(auto)")
        #expect(!auto.standardError.contains("'a' equals") && !auto.standardError.contains("'b' equals"), "\(auto)")
    }

    @Test func aClassWithFewerRowsThanFoldsIsNamedInAWarningBeforeTheSearch() async throws {
        // Classes 0 and 1 with 20 rows each, and a class 7 of one row (line 9): a typo, most likely.
        var rows = (0..<40).map { row in "\(row % 7),\(Double(row) / 10),\(row % 2)" }
        rows[7] = "3,0.7,7"
        let auto = try await autoWarnings("rare", header: "a,b,label", rows: rows)
        #expect(auto.standardError.contains("warning: 'label' has a class with fewer rows than the 5 folds: 7 (1 row, line 9)"), "\(auto)")
        #expect(!auto.standardError.contains("0 (") && !auto.standardError.contains("1 (2"), "\(auto)")
    }

    @Test func badInputToAutoIsRefusedWithWhatToDo() async throws {
        let directory = try ScratchDirectory()
        let budget = try await sweep("auto", Self.data, "--budget", "soon", in: directory)
        #expect(budget.isCleanFailure && budget.standardError.contains("--budget must be a duration such as 90s, 5m or 1h, got 'soon'"), "\(budget)")
        // 0.001s was taken, and its second of search overran it a thousandfold.
        for (value, message) in [("2s", "--budget must be at least 3s"), ("0.001s", "--budget must be at least 3s"), ("0s", "--budget must be longer than 0")] {
            let short = try await sweep("auto", Self.data, "--budget", value, in: directory)
            #expect(short.isCleanFailure && short.standardError.contains(message), "\(short)")
        }
        let missing = try await sweep("auto", "absent.csv", in: directory)
        #expect(missing.isCleanFailure && missing.standardError.contains("absent.csv"), "\(missing)")
        let members = try await sweep("auto", Self.data, "--ensemble", "201", in: directory)
        #expect(members.isCleanFailure && members.standardError.contains("--ensemble must be between 1 and 200, got 201"), "\(members)")
        let target = try await sweep("auto", Self.data, "--target", "nope", in: directory)
        #expect(target.isCleanFailure && target.standardError.contains("nope"), "\(target)")
        let tiny = try await sweep("auto", "builtin:phone-price?rows=12", "--spec", directory.path("s.json"), in: directory)
        #expect(tiny.isCleanFailure && tiny.standardError.contains("has 12 rows; sweep auto scores by 5-fold cross-validation and needs at least 20"), "\(tiny)")
        let flat = try directory.write("flat.csv", "a,label\n" + (0..<40).map { "3,\($0 % 2)" }.joined(separator: "\n") + "\n")
        let constant = try await sweep("auto", flat, "--spec", directory.path("flat.json"), in: directory)
        #expect(constant.isCleanFailure && constant.standardError.contains("every feature column has one value in all 40 rows"), "\(constant)")
        #expect(!FileManager.default.fileExists(atPath: directory.path("flat.json")))
        let other = try directory.write("other.json", "{}")
        let clash = try await sweep("auto", Self.data, "--spec", other, in: directory)
        #expect(clash.isCleanFailure && clash.standardError.contains("exists and holds another spec"), "\(clash)")
        #expect(!FileManager.default.fileExists(atPath: directory.path("results")))
    }

    @Test func autoRefusesToWriteOverTheDataTheDatabaseOrAFileThatIsNoSpecBeforeTraining() async throws {
        let directory = try ScratchDirectory()
        let rows = (0..<40).map { row in "\(row % 7),\(Double(row) / 10),\(row % 2)" }
        let data = try directory.write("data.csv", (["a,b,label"] + rows).joined(separator: "\n") + "\n")
        try directory.symlink("link.csv", to: "data.csv")
        // Binary files as a database and a model start: not text, so not a spec.
        let binary: [UInt8] = Array("SQLite format 3".utf8) + [0, 0x10, 0, 0xFF, 0xFE, 0x80]
        try directory.write("r.sqlite", bytes: binary)
        try directory.write("m.safetensors", bytes: [0x58, 2, 0, 0, 0, 0, 0, 0, 0xC3, 0x28, 0xFF])
        let cases: [(arguments: [String], phrases: [String])] = [
            (["-o", "data.csv"], ["-o 'data.csv' is the data being read ('data.csv')"]),
            (["-o", "link.csv"], ["-o 'link.csv' is the data being read ('data.csv')"]),
            (["-o", "r.sqlite", "--db", "r.sqlite"], ["-o 'r.sqlite' is the results database being read"]),
            (["--spec", "r.sqlite"], ["'r.sqlite' exists and is not a spec", "--spec PATH"]),
            (["--spec", "m.safetensors"], ["'m.safetensors' exists and is not a spec", "--spec PATH"]),
            // A trailing slash hid the file from the check, and the write, dropping the slash, replaced it.
            (["--spec", "data.csv/"], ["--spec 'data.csv/' names a folder, not a file", "--spec data.csv/spec.json"]),
            (["--spec", "r.sqlite/"], ["--spec 'r.sqlite/' names a folder, not a file"]),
            (["--spec", ""], ["--spec needs a file name"]),
            (["--spec", "notes.txt"], ["'notes.txt' exists and is not a spec", "--spec PATH"]),
            (["--spec", "fifo"], ["'fifo' exists and is not a spec"]),
            // Its own report goes to standard output; the model's bytes were written among it.
            (["-o", "-"], ["-o '-' is standard output, where sweep auto prints what it does", "sweep export auto-data -o -"]),
        ]
        try directory.write("notes.txt", "shopping: milk\n")
        #expect(mkfifo(directory.path("fifo"), 0o644) == 0)
        for (arguments, phrases) in cases {
            let result = try await SweepProcess(["auto", "data.csv", "--budget", "5s", "--quiet"] + arguments, in: directory).wait()
            expectCleanRefusal(result, mentioning: phrases)
        }
        #expect(try String(contentsOfFile: directory.path("notes.txt"), encoding: .utf8) == "shopping: milk\n")
        #expect(try String(contentsOfFile: data, encoding: .utf8).hasPrefix("a,b,label\n0,0.0,0\n"))
        #expect(try Data(contentsOf: directory.url.appendingPathComponent("r.sqlite")) == Data(binary))
        #expect(try Data(contentsOf: directory.url.appendingPathComponent("m.safetensors")).last == 0xFF)
        // Nothing was trained: no spec was written and no default database made.
        #expect(!FileManager.default.fileExists(atPath: directory.path("sweeps")))
        #expect(!FileManager.default.fileExists(atPath: directory.path("results")))
    }

    /// A target of classes 0-2 with one stray 0.5 is refused as classes; its advice named the
    /// spec's data.task, which sweep auto has no way to set: --task does.
    @Test func taskSetsWhatTheTargetsValuesLeaveOpen() async throws {
        let directory = try ScratchDirectory()
        let rows = (0..<60).map { row in "\(row % 7),\(Double(row % 5) / 4),\(row == 13 ? "0.5" : String(row % 3))" }
        try directory.write("stray.csv", (["a,b,level"] + rows).joined(separator: "\n") + "\n")

        let refused = try await SweepProcess(["auto", "stray.csv", "--budget", "3s", "--quiet"], in: directory).wait()
        // 10 s, of which the search has 8: trials complete even when the whole suite runs at once.
        let regression = try await SweepProcess(["auto", "stray.csv", "--budget", "10s", "--jobs", "1", "--quiet", "--task", "regression"], in: directory).wait()
        let unknown = try await SweepProcess(["auto", "stray.csv", "--task", "ranking"], in: directory).wait()

        expectCleanRefusal(refused, mentioning: ["the target looks like class labels", "sweep auto --task regression"])
        #expect(regression.status == 0, "\(regression)")
        #expect(regression.standardOutput.contains("target 'level': regression"), "\(regression)")
        #expect(unknown.isCleanFailure && unknown.standardError.contains("--task"), "\(unknown)")
    }

    /// The data changed since its sweep ran: the refusal's advice, --restart, was not an option
    /// of sweep auto. With it, the sweep starts again on the new data, its spec replaced.
    @Test func restartStartsTheSweepAgainAfterTheDataChanged() async throws {
        let directory = try ScratchDirectory()
        func write(rows: Int) throws {
            let lines = (0..<rows).map { row in "\(row % 7),\(Double(row % 5) / 4),\(row % 2)" }
            try directory.write("data.csv", (["a,b,label"] + lines).joined(separator: "\n") + "\n")
        }
        // 10 s, of which the search has 8: trials complete even when the whole suite runs at once.
        let arguments = ["auto", "data.csv", "--budget", "10s", "--jobs", "1", "--quiet", "--db", "r.sqlite"]
        try write(rows: 60)
        let first = try await SweepProcess(arguments, in: directory).wait()
        try #require(first.status == 0, "\(first)")
        let firstEnded = Date()
        try write(rows: 80)

        let refused = try await SweepProcess(arguments, in: directory).wait()
        let restarted = try await SweepProcess(arguments + ["--restart"], in: directory).wait()

        expectCleanRefusal(refused, mentioning: ["'sweeps/auto-data.json' exists and holds another spec", "--restart"])
        #expect(restarted.status == 0, "\(restarted)")
        #expect(restarted.standardOutput.contains("80 rows, 2 features"), "\(restarted)")
        #expect(try String(contentsOfFile: directory.path("sweeps/auto-data.json"), encoding: .utf8).contains("80 rows"))
        let trials = try SQLiteResultStore(path: directory.path("r.sqlite")).trials(sweep: "auto-data")
        #expect(!trials.isEmpty && trials.allSatisfy { ($0.startedAt ?? .distantPast) > firstEnded }, "the first run's trials were kept")
    }

    /// sweep auto ok.csv, then sweep auto ./ok.csv: the spec written first names the file one
    /// way, the second another, and the second was refused as "another spec".
    @Test func theSameSpecWithItsDataSpeltAnotherWayIsTheSameSpec() throws {
        let directory = try ScratchDirectory()
        let data = try directory.write("ok.csv", "a,b\n1,0\n")
        try directory.write("other.csv", "a,b\n1,0\n")
        func spec(_ source: String, folds: Int = 5) -> String {
            #"{"name": "auto-ok", "data": {"source": "\#(source)", "folds": \#(folds)}, "trials": 9}"#
        }
        let stored = try #require(try JSONSerialization.jsonObject(with: Data(spec(data).utf8)) as? [String: Any])
        #expect(AutoCommand.sameSpec(stored, asText: spec(directory.path("./ok.csv"))) == data)
        #expect(AutoCommand.sameSpec(stored, asText: spec(directory.path("other.csv"))) == nil)
        #expect(AutoCommand.sameSpec(stored, asText: spec(directory.path("./ok.csv"), folds: 3)) == nil)
    }

    /// p1/train.csv and p2/train.csv are both sweep auto-train: the second was told to
    /// --restart, which discarded the first file's sweep. It is told to take a --name, or, the
    /// first file gone, to continue that sweep on the moved file. A sweep another process runs
    /// is refused before its spec is touched (--restart replaced it, then the run was refused).
    @Test func anotherFilesSweepOfTheSameNameIsNeverOfferedToRestart() async throws {
        let directory = try ScratchDirectory()
        let rows = (0..<60).map { row in "\(row % 7),\(Double(row % 5) / 4),\(row % 2)" }
        let csv = (["a,b,label"] + rows).joined(separator: "\n") + "\n"
        for folder in ["p1", "p2"] {
            try FileManager.default.createDirectory(atPath: directory.path(folder), withIntermediateDirectories: true)
            try directory.write("\(folder)/train.csv", csv)
        }
        let spec = { (source: String) in #"{"name": "auto-train", "data": {"source": "\#(source)", "folds": 5}, "method": "tpe", "trials": 10000}"# + "\n" }
        try FileManager.default.createDirectory(atPath: directory.path("sweeps"), withIntermediateDirectories: true)
        try directory.write("sweeps/auto-train.json", spec("p1/train.csv"))

        let other = try await SweepProcess(["auto", "p2/train.csv", "--restart", "--quiet"], in: directory).wait()
        try directory.write("sweeps/auto-train.json", spec("gone/train.csv"))
        let moved = try await SweepProcess(["auto", "p2/train.csv", "--quiet"], in: directory).wait()
        let badName = try await SweepProcess(["auto", "p2/train.csv", "--name", "my sweep"], in: directory).wait()
        let lock = try #require(try SweepRunLock(databasePath: directory.path("r.sqlite"), sweep: "auto-p2-train"))
        let running = try await SweepProcess(["auto", "p2/train.csv", "--name", "auto-p2-train", "--db", "r.sqlite", "--restart"], in: directory).wait()
        withExtendedLifetime(lock) {}

        expectCleanRefusal(other, mentioning: ["holds the sweep 'auto-train' of another file, 'p1/train.csv'", "--name auto-train-2"])
        #expect(!other.standardError.contains("--restart"), "\(other)")
        expectCleanRefusal(moved, mentioning: ["'gone/train.csv' (no longer there)", "sweep run sweeps/auto-train.json --data p2/train.csv"])
        expectCleanRefusal(badName, mentioning: ["--name may hold only ASCII letters"])
        expectCleanRefusal(running, mentioning: ["sweep 'auto-p2-train' is running in another process"])
        #expect(!FileManager.default.fileExists(atPath: directory.path("sweeps/auto-p2-train.json")))
        #expect(try String(contentsOfFile: directory.path("sweeps/auto-train.json"), encoding: .utf8) == spec("gone/train.csv"))
    }

    @Test func autoRefusesTwoOfItsOutputsInOneFileBeforeWritingAnything() async throws {
        let directory = try ScratchDirectory()
        // Nothing exists at these paths yet: the same file is told by its resolved path.
        try directory.symlink("link", to: "X")
        try directory.symlink("here", to: ".")
        let cases: [(arguments: [String], phrases: [String])] = [
            (["--spec", "X", "-o", "X"], ["-o 'X' is also where the command writes the spec ('X')", "writing the model there would replace it"]),
            (["--spec", "X", "-o", "./X"], ["-o './X' is also where the command writes the spec ('X')"]),
            (["--spec", directory.path("X"), "-o", "here/X"], ["-o 'here/X' is also where the command writes the spec"]),
            (["--spec", "sub/X", "-o", "sub/../sub/X"], ["-o 'sub/../sub/X' is also where the command writes the spec ('sub/X')"]),
            (["--spec", "X", "-o", "link"], ["-o 'link' is also where the command writes the spec ('X')"]),
            (["-o", "r.sqlite", "--db", "./r.sqlite"], ["-o 'r.sqlite' is also where the command writes the results database ('./r.sqlite')"]),
            (["-o", "r.sqlite-wal", "--db", "r.sqlite"], ["the results database's write-ahead log"]),
            (["--spec", "r.sqlite", "--db", "./r.sqlite"], ["--spec 'r.sqlite' is also where the sweep writes the results database ('./r.sqlite')", "--spec PATH or --db PATH"]),
        ]
        for (arguments, phrases) in cases {
            let result = try await SweepProcess(["auto", Self.data, "--budget", "5s", "--quiet"] + arguments, in: directory).wait()
            expectCleanRefusal(result, mentioning: phrases)
        }
        // Nothing was written: no spec, no model, no database.
        let left = try FileManager.default.contentsOfDirectory(atPath: directory.path(".")).filter { !$0.hasSuffix(".stdout") && !$0.hasSuffix(".stderr") }
        #expect(left.sorted() == ["here", "link"], "\(left)")
    }
}
