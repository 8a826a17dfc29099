import Foundation
import SweepKit
import SweepStore
import Testing
@testable import sweep

#if canImport(Glibc)
import Glibc
#endif

/// `sweep auto` stopped by Ctrl-C or SIGTERM: the best completed trial's model is written at
/// once, or none when no trial completed, and what it prints continues the sweep for what was
/// left of the budget.
@Suite("sweep auto interrupted")
struct AutoInterruptionTests {
    static let data = "builtin:phone-price?rows=200"
    static let sweepName = "auto-builtin-phone-price-rows-200"

    /// Starts `sweep auto`, by default with a budget far longer than the test (7 minutes, which
    /// no fixed continuation time is likely to match), waits on a thread of its own (which a busy
    /// cooperative pool cannot delay) until `ready` says so, then sends `signals` in turn
    /// (SIGSTOP, SIGINT, SIGCONT delivers SIGINT once the process goes on, wherever it was
    /// paused); `ready` is asked with the database (nil until the sweep has made it) and the
    /// process.
    private func interrupt(
        data: String = Self.data, budget: String = "7m", with signals: Int32..., in directory: ScratchDirectory,
        when ready: @escaping @Sendable (SQLiteResultStore?, SweepProcess) -> Bool
    ) async throws -> (process: SweepProcess, signalled: Bool) {
        let database = directory.path("r.sqlite")
        let process = try SweepProcess(
            ["auto", data, "--budget", budget, "--spec", directory.path("s.json"), "-o", directory.path("m.safetensors"),
             "--db", database, "--jobs", "2"], in: directory)
        let opened = OpenedStore()
        let signalled = await process.send(signals, when: { process in
            // Opened once the sweep has made the file and switched it to WAL mode (its -wal file
            // exists): SQLite does not wait for a lock while it switches.
            if opened.store == nil, FileManager.default.fileExists(atPath: database + "-wal") {
                opened.store = try? SQLiteResultStore(path: database)
            }
            return ready(opened.store, process)
        })
        return (process, signalled)
    }

    /// The sweep's database, once the watcher could open it.
    private final class OpenedStore: @unchecked Sendable {
        var store: SQLiteResultStore?
    }

    private final class Flag: @unchecked Sendable {
        var value = false
    }

    /// The trial `sweep export` takes: the best complete one with a finite metric.
    private func bestTrial(in database: String) throws -> (best: TrialRecord, complete: Int) {
        let store = try SQLiteResultStore(path: database)
        let record = try #require(try store.sweep(named: Self.sweepName))
        let spec = try SweepSpec.parseStored(Data(record.specJSON.utf8), source: "stored spec")
        let trials = try store.trials(sweep: Self.sweepName)
        let best = try #require(TrialRanking(metric: spec.metric).best(of: trials), "no usable trial: \(trials.map(\.status))")
        return (best, trials.filter { $0.status == .complete }.count)
    }

    /// The temporary files a write leaves when it is cut short (`.m.safetensors.N.tmp`).
    private func temporaryFiles(in directory: ScratchDirectory) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.url.path).filter { $0.hasSuffix(".tmp") }
    }

    /// The `--timeout` the hint gives, which must be the `--budget` it suggests to sweep auto too.
    private func expectContinuation(_ result: CommandResult, directory: ScratchDirectory, sourceLocation: SourceLocation = #_sourceLocation) {
        let said = result.standardError
        let prefix = "`sweep run \(directory.path("s.json")) --db \(directory.path("r.sqlite")) --timeout "
        guard let start = said.range(of: prefix), let end = said[start.upperBound...].firstIndex(of: "`") else {
            Issue.record("no continuing command: \(result)", sourceLocation: sourceLocation)
            return
        }
        let timeout = String(said[start.upperBound..<end])
        // What was left of the 7-minute budget, whatever the time the test took.
        #expect(parseDuration(timeout).map { $0 >= 10 && $0 <= 420 } == true, "\(timeout)", sourceLocation: sourceLocation)
        #expect(said.contains("` continues the sweep for what was left of the budget ("), "\(result)", sourceLocation: sourceLocation)
        #expect(said.contains(" trials to go), and sweep auto again with --budget \(timeout) continues it and exports"), "\(result)", sourceLocation: sourceLocation)
        // A bare `sweep run SPEC` would run every one of the spec's thousands of trials.
        #expect(!result.standardOutput.contains("rerun `sweep run"), "\(result)", sourceLocation: sourceLocation)
    }

    @Test(arguments: [SIGINT, SIGTERM])
    func anInterruptedAutoWritesTheBestCompletedTrialsModelAtOnce(signal: Int32) async throws {
        let directory = try ScratchDirectory()
        let model = directory.path("m.safetensors")
        let (process, signalled) = try await interrupt(with: signal, in: directory) { store, _ in
            (try? store?.trials(sweep: Self.sweepName).contains { $0.status == .complete }) == true
        }
        let result = try await process.wait(timeout: .seconds(120))
        #expect(signalled, "no trial was seen complete: \(result)")
        // Stopped by the signal, as an interrupted `sweep run` ends.
        #expect(!result.endedBySignal && result.status == 130, "\(result)")

        let (best, complete) = try bestTrial(in: directory.path("r.sqlite"))
        let count = complete == 1 ? "1 trial" : "\(complete) trials"
        #expect(result.standardError.contains(
            "interrupted after \(count) completed: \(model) holds the best of them, trial \(best.number) (validation_accuracy "), "\(result)")
        #expect(result.standardError.contains(
            "), as a single model (its final fit), not the ensemble of fold models the export would have built. "), "\(result)")
        expectContinuation(result, directory: directory)

        // The best trial's own final model, which predicts.
        let file = try ModelFile.read(path: model)
        #expect(!file.isEnsemble && file.trialNumber == best.number && file.sweepName == Self.sweepName)
        let predict = try await sweep("predict", model, Self.data, in: directory)
        #expect(predict.status == 0, "\(predict)")
        #expect(predict.standardOutput.split(separator: "\n").count == 201, "\(predict)")
        #expect(try temporaryFiles(in: directory).isEmpty)
    }

    /// Stopped before any trial could complete: the first trials on 2,000 rows train for a second
    /// or more, and the signal comes as soon as the sweep has said how many trials it runs (once
    /// its stop handlers are in place).
    @Test(arguments: [SIGINT, SIGTERM])
    func anAutoInterruptedBeforeAnyTrialCompletedSaysSoAndWritesNoModel(signal: Int32) async throws {
        let directory = try ScratchDirectory()
        let (process, signalled) = try await interrupt(
            data: "builtin:phone-price?rows=2000", with: signal, in: directory
        ) { _, process in
            process.standardOutputSoFar.contains(" to run\n")
        }
        let result = try await process.wait(timeout: .seconds(120))
        #expect(signalled, "\(result)")
        #expect(!result.endedBySignal && result.status == 130, "\(result)")
        let trials = try SQLiteResultStore(path: directory.path("r.sqlite")).trials(sweep: "auto-builtin-phone-price-rows-2000")
        try #require(!trials.contains { $0.status == .complete }, "a trial completed before the signal: the test proved nothing")
        #expect(result.standardError.contains("interrupted before any trial completed, so no model was written. `sweep run "), "\(result)")
        expectContinuation(result, directory: directory)
        #expect(!FileManager.default.fileExists(atPath: directory.path("m.safetensors")))
    }

    /// A second Ctrl-C while the model is being written quits at once, with the status of
    /// Ctrl-C: the model file is then whole (the write came first) or absent, never half of one,
    /// and no temporary file is left beside it.
    @Test func aSecondCtrlCWhileTheModelIsWrittenQuitsLeavingNoPartOfIt() async throws {
        let directory = try ScratchDirectory()
        let model = directory.path("m.safetensors")
        let interrupted = Flag()
        let (process, signalled) = try await interrupt(with: SIGINT, in: directory) { store, process in
            if !interrupted.value, (try? store?.trials(sweep: Self.sweepName).contains { $0.status == .complete }) == true {
                process.send(SIGINT)
                interrupted.value = true
            }
            return interrupted.value && process.standardErrorSoFar.contains("writing the best of the completed trials, trial ")
        }
        let result = try await process.wait(timeout: .seconds(120))
        #expect(signalled, "the model was never said to be written: \(result)")
        #expect(!result.endedBySignal && result.status == 130, "\(result)")
        if FileManager.default.fileExists(atPath: model) {
            #expect(throws: Never.self) { _ = try ModelFile.read(path: model) }
        }
        #expect(try temporaryFiles(in: directory).isEmpty)
    }

    /// Ctrl-C once the search is over: the export trains no fold model again (it would until the
    /// budget's end), writes the best model it has at once and says so, and the command ends with
    /// Ctrl-C's status. The process is paused when the sweep's summary appears, before the
    /// export can end, and goes on with the signal waiting for it.
    @Test func ctrlCDuringTheExportEndsItsTrainingAndWritesTheModelAtOnce() async throws {
        let directory = try ScratchDirectory()
        let model = directory.path("m.safetensors")
        // 10 s: 8 s of search, for trials to complete even when many tests start at once.
        let (process, signalled) = try await interrupt(budget: "10s", with: SIGSTOP, SIGINT, SIGCONT, in: directory) { _, process in
            // The sweep's summary: the search is over and the export has not ended.
            process.standardOutputSoFar.contains(" trained in this run, wall time ")
        }
        let result = try await process.wait(timeout: .seconds(120))
        #expect(signalled, "the sweep's summary never appeared: \(result)")
        #expect(!result.endedBySignal && result.status == 130, "\(result)")
        #expect(result.standardError.contains("interrupted during the export: \(model) holds what was trained by then"), "\(result)")
        // Its first words say so too: no trial runs any more once the summary is out.
        #expect(result.standardError.contains("stopping: exporting what is trained so far"), "\(result)")
        #expect(!result.standardError.contains("letting running trials end cleanly"), "\(result)")
        // The export stopped for the signal, not for the budget's end.
        #expect(!result.standardError.contains("the time ran out"), "\(result)")
        let file = try ModelFile.read(path: model)
        #expect(file.sweepName == Self.sweepName)
        let predict = try await sweep("predict", model, Self.data, in: directory)
        #expect(predict.status == 0, "\(predict)")
        #expect(try temporaryFiles(in: directory).isEmpty)
    }

    @Test func theLineOfAnInterruptedAutoOnTheDefaultDatabaseNamesNoDatabase() throws {
        let command = try AutoCommand.parse(["data.csv"])
        #expect(command.interruptedLine(
            completedTrials: 0, written: nil, metricName: "validation_accuracy", modelPath: "auto-data.safetensors",
            remainingTrials: 9996, secondsLeft: 291.3, specPath: "sweeps/auto-data.json")
            == "interrupted before any trial completed, so no model was written. `sweep run sweeps/auto-data.json --timeout 5m` continues the sweep for what was left of the budget (9996 trials to go), and sweep auto again with --budget 5m continues it and exports")
        #expect(command.interruptedLine(
            completedTrials: 1, written: "trial 3 (validation_rmse 0.5000)", metricName: "validation_rmse", modelPath: "m.safetensors",
            remainingTrials: 9990, secondsLeft: 41.2, specPath: "s.json")
            == "interrupted after 1 trial completed: m.safetensors holds the best of them, trial 3 (validation_rmse 0.5000), as a single model (its final fit), not the ensemble of fold models the export would have built. `sweep run s.json --timeout 42s` continues the sweep for what was left of the budget (9990 trials to go), and sweep auto again with --budget 42s continues it and exports")
        // Trials that all completed without a usable metric leave no model either.
        #expect(command.interruptedLine(
            completedTrials: 2, written: nil, metricName: "validation_rmse", modelPath: "m.safetensors",
            remainingTrials: 9990, secondsLeft: 41.2, specPath: "s.json").hasPrefix(
            "interrupted after 2 trials completed, none with a finite validation_rmse, so no model was written. "))
    }

    @Test func theSweepContinuesForWhatWasLeftOfTheBudgetRoundedUp() {
        // Whole seconds under two minutes, whole minutes from there, rounded up.
        #expect(AutoCommand.continuingDuration(secondsLeft: 45.2) == "46s")
        #expect(AutoCommand.continuingDuration(secondsLeft: 119.5) == "2m")
        #expect(AutoCommand.continuingDuration(secondsLeft: 534) == "9m")
        #expect(AutoCommand.continuingDuration(secondsLeft: 591.2) == "10m")
        // At least 10 s, also when the budget had run out (trials were being stopped).
        #expect(AutoCommand.continuingDuration(secondsLeft: 3) == "10s")
        #expect(AutoCommand.continuingDuration(secondsLeft: -2) == "10s")
        // Each is a duration that --timeout and --budget read.
        #expect(parseDuration(AutoCommand.continuingDuration(secondsLeft: 534)) == 540)
        // Ctrl-C in a --budget 1e300 went through Int(minutes), which traps above Int.max.
        let forever = AutoCommand.continuingDuration(secondsLeft: 1e300)
        #expect(forever.hasSuffix("m") && parseDuration(forever) != nil, "\(forever)")
    }
}
