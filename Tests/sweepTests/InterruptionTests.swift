import Foundation
import SweepKit
import SweepStore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A sweep process is killed or interrupted part-way, again and again, and the database must
/// still end with every trial complete exactly once, with all its epochs.
@Suite("Killing and interrupting sweep run")
struct InterruptionTests {
    static let epochs = 4
    // Enough trials that the last kill still finds the sweep running on a busy machine.
    static let trialCount = 24

    /// Starts `sweep run`, waits until the database shows `completions` complete trials, runs
    /// `beforeSignals` (on the watcher thread, with the sweep still running), then sends
    /// `signals`. Returns how the process ended and the trials seen complete just before.
    private func run(
        until completions: Int, then signals: Int32..., spec: String, database: LazyStore, sweepName: String,
        jobs: Int = 2, in directory: ScratchDirectory, beforeSignals: @escaping @Sendable (SweepProcess) -> Void = { _ in }
    ) async throws -> (result: CommandResult, completeBefore: [TrialRecord]) {
        let process = try SweepProcess(["run", spec, "--db", database.path, "--jobs", String(jobs)], in: directory)
        let seen = Observed()
        _ = await process.send(signals, when: { process in
            guard let complete = try? database.get()?.trials(sweep: sweepName).filter({ $0.status == .complete }) else { return false }
            seen.complete = complete
            guard complete.count >= completions else { return false }
            beforeSignals(process)
            return true
        }, timeout: 60)
        return (try await process.wait(), seen.complete)
    }

    /// What the watcher thread of aRunningSweepIsShownRunningAndCannotBeRunTwice found.
    private final class Checks: @unchecked Sendable {
        var listing: CommandResult?
        var second: CommandResult?
        var throughLink: CommandResult?
        var stillRunning = false
    }

    /// What the watcher thread saw, handed back to the test once the thread is done.
    private final class Observed: @unchecked Sendable {
        var complete: [TrialRecord] = []
    }

    /// Opens the database once the sweep process has created it and switched it to WAL mode
    /// (its `-wal` file exists): SQLite does not wait for a lock while it switches a new file's
    /// journal mode, so opening the file at the same moment would make one of the two fail.
    private final class LazyStore: @unchecked Sendable {
        let path: String
        private var store: SQLiteResultStore?
        init(path: String) { self.path = path }
        private let lock = NSLock()
        /// The store, once it is safe to open beside a running sweep.
        func get() throws -> SQLiteResultStore? {
            try lock.withLock {
                if store == nil, FileManager.default.fileExists(atPath: path + "-wal") { store = try SQLiteResultStore(path: path) }
                return store
            }
        }

        /// The store, when no sweep process is running.
        func afterRun() throws -> SQLiteResultStore {
            try lock.withLock {
                if let store { return store }
                let opened = try SQLiteResultStore(path: path)
                store = opened
                return opened
            }
        }
    }

    /// Every trial 1...N once, complete, with epochs 1...E of fold 1 and nothing else.
    private func expectEveryTrialCompleteOnce(_ store: SQLiteResultStore, sweep: String, trials count: Int = trialCount) throws {
        let trials = try store.trials(sweep: sweep)
        #expect(trials.map(\.number) == Array(1...count))
        for trial in trials {
            #expect(trial.status == .complete, "trial \(trial.number) is \(trial.status)")
            #expect(trial.epochsRun == Self.epochs)
            let epochs = try store.epochs(sweep: sweep, trial: trial.number)
            #expect(epochs.map(\.epoch) == Array(1...Self.epochs), "trial \(trial.number) has epochs \(epochs.map(\.epoch))")
            #expect(epochs.allSatisfy { $0.fold == 1 })
        }
    }

    private func metricsByTrial(_ store: SQLiteResultStore, sweep: String) throws -> [Int: [String: Double]] {
        Dictionary(uniqueKeysWithValues: try store.trials(sweep: sweep).map { ($0.number, $0.metrics) })
    }

    @Test func sweepKilledRepeatedlyEndsWithEveryTrialCompleteExactlyOnce() async throws {
        let directory = try ScratchDirectory()
        // Results are committed a quarter second apart, several trials at a time: the first kill
        // comes at the first commit with two complete, and the sweep must be far from its end
        // then, even on a busy machine where 24 trials all ended within that quarter second.
        let trialCount = 60
        let spec = try directory.write("killed.json", SmallSpecs.slowRandom(name: "killed", epochs: Self.epochs, trials: trialCount))
        let database = directory.path("killed.sqlite")
        let lazy = LazyStore(path: database)

        var completeSoFar: [Int: [String: Double]] = [:]
        var runningLeftBehind: [Int] = []
        for completions in [2, 5, 9] {
            let (result, completeBefore) = try await run(
                until: completions, then: SIGKILL, spec: spec, database: lazy, sweepName: "killed", in: directory)
            let store = try lazy.afterRun()
            let trials = try store.trials(sweep: "killed")
            // Each trial takes tens of milliseconds, so the kill lands while the sweep runs.
            #expect(result.endedBySignal && result.status == SIGKILL, "the sweep was not killed mid-run:\n\(result)")
            // The database still says running; the listing knows better, since no process holds
            // the sweep's run lock any more.
            #expect(try store.sweep(named: "killed")?.status == .running)
            let listing = try await sweep("list", "--db", database, in: directory)
            #expect(listing.standardOutput.contains("killed  interrupted (its process ended without finishing"), "\(listing)")
            #expect(completeBefore.count >= completions)
            // A killed process leaves at most its trials in flight behind as running: per worker
            // (--jobs 2) one in training and one trained whose result was still being stored.
            let running = trials.filter { $0.status == .running }.count
            #expect(running <= 4)
            runningLeftBehind.append(running)
            // Nothing that was complete is lost or changed by a kill or by the resume that follows.
            let complete = trials.filter { $0.status == .complete }
            for trial in complete where completeSoFar[trial.number] != nil {
                #expect(completeSoFar[trial.number] == trial.metrics, "trial \(trial.number) changed after a kill")
            }
            #expect(Set(completeSoFar.keys).isSubset(of: complete.map(\.number)), "a complete trial was lost")
            for trial in complete { completeSoFar[trial.number] = trial.metrics }
            #expect(trials.filter { $0.status == .complete }.count >= completeBefore.count)
        }

        // Both workers train nearly all the time, so the kills catch trials mid-run, which the
        // next run must notice are stale and train again.
        #expect(runningLeftBehind.contains { $0 > 0 }, "no kill caught a running trial: \(runningLeftBehind)")

        let resumed = try await sweep("run", spec, "--db", database, "--jobs", "2", in: directory)
        #expect(resumed.status == 0 && !resumed.endedBySignal, "\(resumed)")
        #expect(resumed.standardOutput.contains("(resuming: \(completeSoFar.count) already finished)"), "\(resumed)")
        let store = try lazy.afterRun()
        try expectEveryTrialCompleteOnce(store, sweep: "killed", trials: trialCount)
        #expect(try store.sweep(named: "killed")?.status == .complete)

        // A sweep never killed computes exactly the same metrics.
        let clean = directory.path("clean.sqlite")
        let cleanRun = try await sweep("run", spec, "--db", clean, "--jobs", "2", in: directory)
        #expect(cleanRun.status == 0, "\(cleanRun)")
        #expect(try metricsByTrial(store, sweep: "killed") == metricsByTrial(SQLiteResultStore(path: clean), sweep: "killed"))
    }

    /// A learning sweep killed twice and resumed proposes exactly the trials an uninterrupted
    /// one does: each proposal depends only on the seed, its number and the trials up to
    /// n − lag − 1, which a resume finds stored or trains again to the same result.
    @Test func tpeSweepKilledAndResumedIsTheUninterruptedSweep() async throws {
        let directory = try ScratchDirectory()
        let spec = try directory.write("tpe.json", SmallSpecs.slowTPE(name: "tpe", epochs: Self.epochs, trials: Self.trialCount))
        let database = directory.path("tpe.sqlite")
        let lazy = LazyStore(path: database)
        for completions in [3, 8] {
            let (result, _) = try await run(until: completions, then: SIGKILL, spec: spec, database: lazy, sweepName: "tpe", in: directory)
            #expect(result.endedBySignal && result.status == SIGKILL, "the sweep was not killed mid-run:\n\(result)")
        }
        let resumed = try await sweep("run", spec, "--db", database, "--jobs", "2", in: directory)
        #expect(resumed.status == 0 && !resumed.endedBySignal, "\(resumed)")
        let store = try lazy.afterRun()
        try expectEveryTrialCompleteOnce(store, sweep: "tpe")

        let clean = directory.path("clean.sqlite")
        let cleanRun = try await sweep("run", spec, "--db", clean, "--jobs", "1", in: directory)
        #expect(cleanRun.status == 0, "\(cleanRun)")
        func outcomes(_ store: SQLiteResultStore) throws -> [String] {
            try store.trials(sweep: "tpe").map { trial in
                "\(trial.number) \(trial.plan.parameters.canonicalText) " + trial.metrics.keys.sorted().map { "\($0)=\(trial.metrics[$0]!)" }.joined(separator: ",")
            }
        }
        #expect(try outcomes(store) == outcomes(SQLiteResultStore(path: clean)))
    }

    /// A pruned sweep killed twice and resumed: every trial complete or pruned exactly once, with
    /// its epoch rows, and the same sweep as one never killed.
    @Test func prunedSweepKilledAndResumedIsTheUninterruptedSweep() async throws {
        let directory = try ScratchDirectory()
        let text = SmallSpecs.slowRandom(name: "pruned", epochs: 6, trials: Self.trialCount)
            .replacingOccurrences(of: #""seed": 9,"#, with: #""seed": 9, "sampler": {"lag": 2}, "pruner": {"name": "median", "startup_trials": 2, "warmup_epochs": 1},"#)
        let spec = try directory.write("pruned.json", text)
        let database = directory.path("pruned.sqlite")
        let lazy = LazyStore(path: database)
        for completions in [2, 4] {
            let (result, _) = try await run(until: completions, then: SIGKILL, spec: spec, database: lazy, sweepName: "pruned", in: directory)
            #expect(result.endedBySignal && result.status == SIGKILL, "the sweep was not killed mid-run:\n\(result)")
        }
        let resumed = try await sweep("run", spec, "--db", database, "--jobs", "2", in: directory)
        #expect(resumed.status == 0 && !resumed.endedBySignal, "\(resumed)")
        #expect(resumed.standardOutput.contains("pruning: "), "\(resumed)")
        let store = try lazy.afterRun()
        let trials = try store.trials(sweep: "pruned")
        #expect(trials.map(\.number) == Array(1...Self.trialCount))
        #expect(trials.contains { $0.status == .pruned } && trials.contains { $0.status == .complete }, "\(trials.map(\.status))")
        for trial in trials {
            #expect(trial.status == .complete || trial.status == .pruned, "trial \(trial.number) is \(trial.status)")
            let epochs = try store.epochs(sweep: "pruned", trial: trial.number)
            #expect(epochs.count == trial.epochsRun && !epochs.isEmpty, "trial \(trial.number)")
        }

        let clean = directory.path("clean.sqlite")
        #expect(try await sweep("run", spec, "--db", clean, "--jobs", "1", in: directory).status == 0)
        func outcomes(_ store: SQLiteResultStore) throws -> [String] {
            try store.trials(sweep: "pruned").map { trial in
                "\(trial.number) \(trial.status) \(trial.epochsRun ?? 0) " + trial.metrics.keys.sorted().map { "\($0)=\(trial.metrics[$0]!)" }.joined(separator: ",")
            }
        }
        #expect(try outcomes(store) == outcomes(SQLiteResultStore(path: clean)))
    }

    @Test func interruptedSweepStoresRunningTrialsAsInterruptedAndResumes() async throws {
        let directory = try ScratchDirectory()
        let spec = try directory.write("stopped.json", SmallSpecs.slowRandom(name: "stopped", epochs: Self.epochs, trials: Self.trialCount))
        let database = directory.path("stopped.sqlite")
        let lazy = LazyStore(path: database)

        let (result, completeBefore) = try await run(
            until: 3, then: SIGINT, spec: spec, database: lazy, sweepName: "stopped", in: directory)
        // The process stops by itself, cleanly, with the conventional status of Ctrl-C.
        #expect(!result.endedBySignal && result.status == 130, "\(result)")
        #expect(result.standardOutput.contains("interrupted: rerun `sweep run"), "\(result)")
        #expect(result.standardError.contains("stopping: letting running trials end cleanly"))

        let store = try lazy.afterRun()
        #expect(try store.sweep(named: "stopped")?.status == .interrupted)
        let trials = try store.trials(sweep: "stopped")
        // Trials are stored once started, so the later ones are not there at all.
        #expect(trials.count < Self.trialCount, "the signal came too late to stop anything")
        #expect(trials.map(\.number) == Array(1...trials.count))
        // A trial the signal caught in training is interrupted; one that was being stored is
        // complete. None stays running and none fails.
        #expect(!trials.contains { $0.status == .running || $0.status == .failed || $0.status == .diverged || $0.status == .pending }, "\(trials.map(\.status))")
        // Whatever was complete when the signal came is still complete, unchanged.
        for before in completeBefore {
            #expect(trials.first { $0.number == before.number }?.metrics == before.metrics)
        }

        let resumed = try await sweep("run", spec, "--db", database, "--jobs", "2", in: directory)
        #expect(resumed.status == 0 && !resumed.endedBySignal, "\(resumed)")
        let finished = trials.filter { $0.status == .complete }.count
        #expect(resumed.standardOutput.contains("(resuming: \(finished) already finished), \(Self.trialCount - finished) to run"), "\(resumed)")
        try expectEveryTrialCompleteOnce(store, sweep: "stopped")
        #expect(try store.sweep(named: "stopped")?.status == .complete)
    }

    /// While a sweep runs it holds its run lock: the listing shows it running, and a second
    /// `sweep run` of it is refused rather than training the same trials twice.
    @Test func aRunningSweepIsShownRunningAndCannotBeRunTwice() async throws {
        let directory = try ScratchDirectory()
        // Many trials, so that the sweep is still running when the checks below come.
        let spec = try directory.write("busy.json", SmallSpecs.slowRandom(name: "busy", epochs: Self.epochs, trials: 400))
        let database = directory.path("busy.sqlite")
        let lazy = LazyStore(path: database)
        // Another spelling of the database: the lock was named after the path as given, and a
        // run through a link trained the same trials beside the first.
        try FileManager.default.createDirectory(atPath: directory.path("other"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: directory.path("other/link.sqlite"), withDestinationPath: database)
        let seen = Checks()
        _ = try await run(
            until: 1, then: SIGINT, spec: spec, database: lazy, sweepName: "busy", jobs: 1, in: directory
        ) { process in
            seen.listing = try? SweepProcess(["list", "--db", database], in: directory).waitBlocking()
            seen.second = try? SweepProcess(["run", spec, "--db", database], in: directory).waitBlocking()
            seen.throughLink = try? SweepProcess(["run", spec, "--db", directory.path("other/link.sqlite")], in: directory).waitBlocking()
            seen.stillRunning = process.isRunning
        }
        let listing = try #require(seen.listing), second = try #require(seen.second), throughLink = try #require(seen.throughLink)
        let stillRunning = seen.stillRunning

        #expect(stillRunning, "the sweep ended before the checks; they proved nothing")
        #expect(listing.standardOutput.contains("busy  running  created"), "\(listing)")
        for refused in [second, throughLink] {
            #expect(refused.isCleanFailure, "\(refused)")
            #expect(refused.standardError.contains("sweep 'busy' is already running in another process"), "\(refused)")
        }
        // After a clean stop the lock is free again and the status is the stored one.
        let after = try await sweep("list", "--db", database, in: directory)
        #expect(after.standardOutput.contains("busy  interrupted  created"), "\(after)")
        // The lock file went with the lock.
        let left = try FileManager.default.contentsOfDirectory(atPath: directory.url.path)
        #expect(!left.contains { $0.hasSuffix(".lock") }, "\(left)")
    }

    /// A sweep whose process was killed stays `running` in the database; list and leaderboard
    /// showed it interrupted, but the report and the dashboard showed it running still.
    @Test func aKilledSweepIsShownInterruptedEverywhere() async throws {
        let directory = try ScratchDirectory()
        let spec = try directory.write("killed.json", SmallSpecs.slowRandom(name: "killed", epochs: Self.epochs, trials: 400))
        let database = directory.path("killed.sqlite")
        let (result, _) = try await run(
            until: 1, then: SIGKILL, spec: spec, database: LazyStore(path: database), sweepName: "killed", jobs: 1, in: directory)
        #expect(result.endedBySignal, "\(result)")
        #expect(try SQLiteResultStore(path: database).sweep(named: "killed")?.status == .running)

        let listing = try await sweep("list", "--db", database, in: directory)
        let report = try await sweep("report", "--db", database, "-o", directory.path("r.html"), in: directory)
        let dashboard = try await DashboardCommandTests.Dashboard.start(["--db", database], in: directory)
        let sweeps = try await dashboard.json("/api/sweeps")
        let shown = try await dashboard.json("/api/sweeps/killed")
        _ = try await dashboard.stop()

        #expect(listing.standardOutput.contains("killed  interrupted (its process ended without finishing"), "\(listing)")
        #expect(report.status == 0, "\(report)")
        let page = try ReportCommandTests.embeddedData(try String(contentsOfFile: directory.path("r.html"), encoding: .utf8))
        #expect((page["sweep"] as? [String: Any])?["status"] as? String == "interrupted", "\(page["sweep"] ?? "")")
        #expect(((sweeps.object["sweeps"] as? [[String: Any]])?.first?["status"]) as? String == "interrupted", "\(sweeps.object)")
        #expect((shown.object["sweep"] as? [String: Any])?["status"] as? String == "interrupted", "\(shown.object)")
    }

    @Test func sigtermStopsASweepAsCleanlyAsCtrlC() async throws {
        let directory = try ScratchDirectory()
        let spec = try directory.write("terminated.json", SmallSpecs.slowRandom(name: "terminated", epochs: Self.epochs, trials: Self.trialCount))
        let database = directory.path("terminated.sqlite")
        let lazy = LazyStore(path: database)
        let (result, _) = try await run(
            until: 2, then: SIGTERM, spec: spec, database: lazy, sweepName: "terminated", in: directory)
        #expect(!result.endedBySignal && result.status == 130, "\(result)")
        let store = try lazy.afterRun()
        #expect(try store.sweep(named: "terminated")?.status == .interrupted)
        #expect(try !store.trials(sweep: "terminated").contains { $0.status == .running })
    }

    @Test func secondCtrlCQuitsAtOnceAndARerunStillCompletesEveryTrial() async throws {
        let directory = try ScratchDirectory()
        let spec = try directory.write("hurried.json", SmallSpecs.slowRandom(name: "hurried", epochs: Self.epochs, trials: Self.trialCount))
        let lazy = LazyStore(path: directory.path("hurried.sqlite"))
        let (result, _) = try await run(
            until: 2, then: SIGINT, SIGINT, spec: spec, database: lazy, sweepName: "hurried", in: directory)
        #expect(!result.endedBySignal && result.status == 130, "\(result)")

        let resumed = try await sweep("run", spec, "--db", lazy.path, "--jobs", "2", in: directory)
        #expect(resumed.status == 0, "\(resumed)")
        try expectEveryTrialCompleteOnce(try lazy.afterRun(), sweep: "hurried")
    }

    @Test func progressLinesReachAPipedOutputAsTrialsFinish() async throws {
        let directory = try ScratchDirectory()
        // 40 epochs: a second or more in all, so that the results are committed (and the lines
        // written) in several batches, not all within one commit interval.
        let spec = try directory.write("logged.json", SmallSpecs.slowRandom(name: "logged", epochs: 40, trials: Self.trialCount))
        let process = try SweepProcess(["run", spec, "--db", directory.path("logged.sqlite"), "--jobs", "2"], in: directory)
        // Watched on a thread of its own, as `run` does: three progress lines in the output file
        // while the sweep runs, and then a kill. Lines held in a buffer would reach the file only
        // at exit, all of them at once (24 lines fit in one 4 KiB buffer). (Waiting for trials in
        // the database instead raced the lines: results are committed together, several trials
        // at a time, and each trial's line is written just after.)
        let seen = SeenLines()
        _ = await process.send(SIGKILL, when: { process in
            seen.lines = process.standardOutputSoFar.split(separator: "\n").filter { $0.hasPrefix("[") }.count
            return seen.lines >= 3
        }, timeout: 60)
        let result = try await process.wait()
        // Killed mid-run, the process never flushes at exit: only lines written as they happened remain.
        #expect(result.endedBySignal && seen.lines < Self.trialCount, "\(seen.lines) progress lines seen before the kill: \(result)")
        #expect(result.standardOutput.hasPrefix("sweep 'logged': \(Self.trialCount) trials, \(Self.trialCount) to run\n"), "\(result)")
        let progressLines = result.standardOutput.split(separator: "\n").filter { $0.hasPrefix("[") }
        #expect(progressLines.count >= 3, "\(result)")
        #expect(progressLines.first?.hasPrefix("[1/\(Self.trialCount)] trial ") == true)
    }

    /// How many progress lines the watcher thread saw before it killed the sweep.
    private final class SeenLines: @unchecked Sendable {
        var lines = 0
    }
}
