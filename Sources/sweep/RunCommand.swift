import ArgumentParser
import Datasets
import Dispatch
import Foundation
import Synchronization
import SweepKit
import SweepStore

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run (or resume) a sweep: train its trials several at once and store every result.",
        discussion: """
            Re-running a sweep that exists resumes it: complete trials are kept, interrupted or stale running ones run again. A spec whose only change is a larger "trials", or more values in a grid's lists, grows the sweep: its trials are kept and the new ones added. Ctrl-C or SIGTERM stops cleanly; everything finished is already stored.

            --trials and --timeout end a run early; running the same command again continues the sweep where it stopped, with the same trials it would have made in one run.

            With --db postgresql://…, the same command started on several machines (or several times on one) runs one sweep together: each process claims trials from the database, beats a heartbeat every --heartbeat seconds, and takes over the trials of a process silent for three heartbeats. The results are the sweep one process would make, trial for trial.
            """)

    @Argument(help: "The sweep spec (JSON), e.g. sweeps/phone-price.json.")
    var spec: String

    @Option(help: "Use this data instead of the spec's data.source (a CSV path or builtin:phone-price).")
    var data: String?

    @OptionGroup var store: StoreOptions

    @Option(parsing: .unconditional, help: "Trials trained at once, each on its own thread (default: the number of cores). Workers with no trial left to start help with the folds of running ones.")
    var jobs: Int?

    @Flag(help: "Discard the stored results of a sweep with the same name and start again.")
    var restart = false

    @Option(name: .customLong("keep-weights"), parsing: .unconditional, help: "Keep the weights of only the best K trials (default: all).")
    var keepWeights: Int?

    @Option(parsing: .unconditional, help: "Start at most N trials in this run (the sweep continues when run again).")
    var trials: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Start no trial after this long, e.g. 90s, 10m, 2h; running trials finish (the summary says how long after it).", valueName: "duration"))
    var timeout: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("With a PostgreSQL --db: seconds between this process's heartbeats; others take its trials after three missed ones.", valueName: "seconds"))
    var heartbeat = SweepRunOptions.defaultHeartbeat

    @Flag(help: "Print only the final summary.")
    var quiet = false

    @Option(name: .customLong("stats-json"), help: .hidden)
    var statsPath: String?

    /// For `sweep bench`: the results go to a store in memory instead of the database, so that
    /// the same sweep can be timed with and without SQLite's writes. Nothing is kept.
    @Flag(name: .customLong("results-in-memory"), help: .hidden)
    var resultsInMemory = false

    /// Set by sweep auto, whose own export follows the sweep: the summary's "export it with" a
    /// single trial's model, just before auto writes its ensemble elsewhere, misled.
    @Flag(name: .customLong("export-follows"), help: .hidden)
    var exportFollows = false

    func validate() throws {
        try Self.checkJobs(jobs)
        if let keepWeights, keepWeights < 0 { throw ValidationError("--keep-weights must be zero or more, got \(keepWeights)") }
        if let trials, trials < 1 { throw ValidationError("--trials must be at least 1, got \(trials)") }
        if !(heartbeat > 0 && heartbeat <= 3600) { throw ValidationError("--heartbeat must be more than 0 and at most 3600 seconds, got \(heartbeat)") }
        if let timeout, parseDuration(timeout) == nil {
            throw ValidationError(durationRefusal("--timeout", timeout, examples: "90s, 10m or 2h"))
        }
    }

    /// The most `--jobs`: each is a thread with a network and buffers of its own, and jobs beyond
    /// the cores only wait their turn.
    static let maximumJobs = 1_024

    static func checkJobs(_ jobs: Int?) throws {
        guard let jobs else { return }
        if jobs < 1 { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
        if jobs > maximumJobs {
            throw ValidationError("--jobs must be at most \(maximumJobs.formatted()) (each job trains on a thread of its own, and this machine has \(ProcessInfo.processInfo.activeProcessorCount) cores), got \(jobs)")
        }
    }

    private var databaseOption: String { store.databaseOption }

    private var jobCount: Int { jobs ?? ProcessInfo.processInfo.activeProcessorCount }

    func run() async throws {
        let (summary, parsed, _) = try await runSweepAndSpec()
        if !resultsInMemory {
            Terminal.doneDespiteOutput.withLock {
                $0 = "the results of sweep '\(parsed.name)' are stored all the same, in the database '\(store.shownLocation)'; sweep leaderboard \(parsed.name)\(databaseOption) shows them"
            }
        }
        if summary.interrupted {
            print("interrupted: rerun `\(continuingCommand)` to resume the remaining trials")
            throw ExitCode(130)
        }
        if let overrun = timeoutOverrun(summary) { print(overrun) }
        if summary.remainingTrials > 0 {
            let why = trials != nil && timeout != nil ? "--trials or --timeout" : (trials != nil ? "--trials" : "--timeout")
            print("stopped by \(why) with \(summary.remainingTrials) trials to go: rerun `\(continuingCommand)` to continue")
        }
    }

    /// How far past its --timeout a run ended, when it did: trials running at the timeout finish
    /// (the timeout and the wall time both count from the sweep's start). nil before it.
    private func timeoutOverrun(_ summary: SweepRunSummary) -> String? {
        guard let timeout, let limit = parseDuration(timeout), summary.wallSeconds >= limit else { return nil }
        let after = formatDuration(summary.wallSeconds - limit)
        return summary.remainingTrials > 0
            ? "no trial started after --timeout \(timeout); the running trials finished \(after) after it"
            : "every trial started before --timeout \(timeout); the last finished \(after) after it"
    }

    /// The command that continues this run's sweep, within the same limits: a spec of thousands
    /// of trials (`sweep auto`'s) run on by time would otherwise run them all.
    private var continuingCommand: String {
        let limits = (trials.map { " --trials \($0)" } ?? "") + (timeout.map { " --timeout \($0)" } ?? "")
        return "sweep run \(shellWord(spec))\(data.map { " --data \(shellWord($0))" } ?? "")\(databaseOption)\(limits)"
    }

    /// Runs the sweep and prints its summary. What stopped it with trials to go is the caller's
    /// to say, and an interruption's exit status 130 the caller's to end with: `sweep auto`
    /// passes its own budget as `--timeout` and `stopAt` (`SweepRunOptions`), and continues its
    /// sweep with a command of its own.
    ///
    /// - Parameter stop: a stop signal whose handlers (`installStopHandlers`) the caller has
    ///   installed and keeps after the sweep, for a second Ctrl-C to end what it does next
    ///   (`sweep auto` writing the best model so far): a signal source made for SIGINT after an
    ///   earlier one was cancelled did not fire here (Linux), so the caller keeps the first.
    ///   Without it the run installs its own, for the sweep only.
    /// - Parameter searchEnded: called once the sweep's trials have ended, before its summary is
    ///   printed, for what a Ctrl-C says it stops from then on.
    /// - Parameter dataset: the spec's data, read already (`loadData(for:jobs:dataset:)`).
    /// - Returns: the summary, and the data the trials trained on, for training fold models again.
    func runSweep(
        stopAt: Date? = nil, stop given: StopSignal? = nil, searchEnded: () -> Void = {}, dataset: consuming Dataset? = nil
    ) async throws -> (summary: SweepRunSummary, data: PreparedData) {
        let run = try await runSweepAndSpec(stopAt: stopAt, stop: given, searchEnded: searchEnded, dataset: consume dataset)
        return (run.summary, run.data)
    }

    /// `runSweep`, with the spec it ran.
    private func runSweepAndSpec(
        stopAt: Date? = nil, stop given: StopSignal? = nil, searchEnded: () -> Void = {}, dataset: consuming Dataset? = nil
    ) async throws -> (summary: SweepRunSummary, spec: SweepSpec, data: PreparedData) {
        try requireUTF8Arguments()
        let (parsed, data) = try loadData(for: try loadSpec(spec, data: self.data), jobs: jobCount, dataset: consume dataset)
        let results: any ResultStore
        var lock: SweepRunLock?
        if resultsInMemory {
            results = MemoryResultStore()
        } else {
            results = try store.openStore(checkingIntegrity: true)
        }
        // A shared store coordinates its workers itself; a file is run by one process at a time.
        if !resultsInMemory, !(results is any SharedTrialStore) {
            do {
                lock = try SweepRunLock(databasePath: store.databasePath, sweep: parsed.name)
            } catch {
                Terminal.error("\(error.description) (beside the database '\(store.databasePath)')")
                throw ExitCode(2)
            }
            guard lock != nil else {
                Terminal.error(
                    "sweep '\(parsed.name)' is already running in another process (it holds \(SweepRunLock.path(databasePath: store.databasePath, sweep: parsed.name))); wait for it or stop it, then run again")
                throw ExitCode(2)
            }
        }
        defer { withExtendedLifetime(lock) {} }
        let stop = given ?? StopSignal()
        let signals = given == nil ? installStopHandlers(stop) : []
        defer { signals.forEach { $0.cancel() } }

        let progress = SweepProgress(spec: parsed, interactive: Terminal.isInteractive && !quiet, quiet: quiet)
        let scheduler = SweepScheduler(
            spec: parsed, data: data, store: results,
            options: SweepRunOptions(
                jobs: jobCount, restart: restart, keepWeights: keepWeights, trialBudget: trials,
                timeout: timeout.flatMap(parseDuration), stopAt: stopAt, heartbeat: heartbeat),
            stop: stop, onEvent: { progress.handle($0) })
        let summary: SweepRunSummary
        do {
            summary = try await scheduler.run()
        } catch let error as SweepRunError {
            Terminal.error(error.description)
            throw ExitCode(2)
        } catch {
            progress.finish()
            // A write that failed (a full disk, say): everything finished before it is stored.
            Terminal.error(String(describing: error))
            throw ExitCode(1)
        }
        searchEnded()
        progress.finish()
        if let statsPath {
            let stats: [String: Any] = [
                "wall_seconds": summary.wallSeconds, "training_seconds": summary.trainingSeconds,
                "training_cpu_seconds": summary.trainingCPUSeconds,
                "trials_run": summary.trialsRun, "jobs": jobCount, "worker_seconds": summary.workerSeconds,
                "worker_window_seconds": summary.workerWindowSeconds, "shared_fits": summary.sharedFits,
            ]
            try? JSONSerialization.data(withJSONObject: stats).write(to: URL(fileURLWithPath: statsPath))
        }
        report(summary, spec: parsed, results: results)
        // As the progress lines: a pipe or file gets the summary now, not once the caller is done
        // (`sweep auto` exports for a while after it).
        Terminal.flushStandardOutputNow()
        return (summary, parsed, data)
    }

    private func report(_ summary: SweepRunSummary, spec parsed: SweepSpec, results: any ResultStore) {
        let board = Leaderboard(trials: summary.trials, metric: parsed.metric)
        let epochCounts = (try? results.epochCounts(sweep: parsed.name)) ?? [:]
        let counts = Dictionary(grouping: summary.trials, by: \.status).mapValues(\.count)
        let countText = TrialStatus.allCases.compactMap { status in counts[status].map { "\($0) \(status.rawValue)" } }.joined(separator: ", ")
        print("sweep '\(parsed.name)': \(summary.trials.count) trials (\(countText)); \(summary.trialsRun) trained in this run, wall time \(formatDuration(summary.wallSeconds))")
        if parsed.pruner != nil { print("pruning: \(PruningSavings(trials: summary.trials, spec: parsed).summary)") }
        let table = LeaderboardTable(
            board: board, testMetric: testColumn(for: parsed), epochCounts: epochCounts, scoringFits: parsed.scoringFits,
            uncertainty: SweepUncertainty(trials: summary.trials, spec: parsed))
        print(table.text(top: 5))
        if let note = table.intervalNote { print(note) }
        if let best = board.best {
            print("best: trial \(best.number), \(parsed.metric.name.rawValue) \(format(best.metrics[parsed.metric.name.rawValue]))")
            if resultsInMemory {
                // Nothing is kept to export.
            } else if keepWeights == 0 {
                print("no weights kept (--keep-weights 0); rerun the best trial with sweep train to get a model")
            } else if !exportFollows {
                print("export it with: sweep export \(parsed.name) -o \(parsed.name)-best.safetensors\(databaseOption)")
            }
            if !resultsInMemory {
                print("see it with: sweep report \(parsed.name) -o \(parsed.name).html\(databaseOption)  (live: sweep dashboard\(databaseOption))")
            }
        }
    }
}

/// Why `text` is no duration for `option`, for its refusal: a length of zero (`0s`), a unit it
/// does not know (`1ms`), or anything else, with `examples` of what it takes.
func durationRefusal(_ option: String, _ text: String, examples: String) -> String {
    let digitsAndUnits = text.lowercased().filter { !$0.isNumber && $0 != "." }
    if !text.isEmpty, Set(digitsAndUnits).isSubset(of: "smhd"), text.contains(where: \.isNumber),
       text.lowercased().split(whereSeparator: { "smhd".contains($0) }).allSatisfy({ Double($0).map { $0 == 0 } ?? false }) {
        return "\(option) must be longer than 0, got '\(text)'"
    }
    if text.lowercased().hasSuffix("ms") {
        return "\(option) counts in s, m, h or d, not milliseconds: got '\(text)'; a duration such as \(examples)"
    }
    return "\(option) must be a duration such as \(examples), got '\(text)'"
}

/// "90s", "10m", "2h", "1h30m" or a number of seconds; nil for anything else or a duration of 0.
func parseDuration(_ text: String) -> Double? {
    if let seconds = Double(text) { return seconds > 0 && seconds.isFinite ? seconds : nil }
    var total = 0.0
    var number = ""
    for character in text.lowercased() {
        if character.isNumber || character == "." {
            number.append(character)
            continue
        }
        let unit: Double
        switch character {
        case "s": unit = 1
        case "m": unit = 60
        case "h": unit = 3600
        case "d": unit = 86400
        default: return nil
        }
        guard let value = Double(number) else { return nil }
        total += value * unit
        number = ""
    }
    guard number.isEmpty, total > 0, total.isFinite else { return nil }
    return total
}

/// SIGINT and SIGTERM raise the stop signal; a second one ends the process at once (finished
/// trials are stored already), leaving each file being written as it was
/// (`OutputFile.abandonWrites`: `sweep auto` writes the best model so far after the first).
/// `stopping` says what the first one does, at the moment it comes.
func installStopHandlers(
    _ stop: StopSignal, stopping: @escaping @Sendable () -> String = { "letting running trials end cleanly" }
) -> [any DispatchSourceSignal] {
    [SIGINT, SIGTERM].map { number in
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler {
            if stop.isRaised {
                OutputFile.abandonWrites()
                exit(130)
            }
            stop.raise()
            Terminal.note("\nstopping: \(stopping()) (press Ctrl-C again to quit at once)")
        }
        source.resume()
        return source
    }
}

/// The leaderboard's test column: the test counterpart of the sweep's metric, or none when the
/// sweep keeps no test rows (test_fraction 0, as sweep auto's), where every cell would be "-".
func testColumn(for spec: SweepSpec) -> MetricName? {
    spec.data.testFraction == 0 ? nil : testMetricName(for: spec.metric.name)
}

/// The test-part twin of a validation metric, shown beside it.
func testMetricName(for metric: MetricName) -> MetricName {
    switch metric {
    case .validationAccuracy: .testAccuracy
    case .validationRMSE: .testRMSE
    case .validationMAE: .testMAE
    default: .testLoss
    }
}

/// The live progress line (terminal) or one log line per finished trial (otherwise).
final class SweepProgress: Sendable {
    private struct State {
        var total = 0
        var finishedBefore = 0
        var toRun = 0
        var done = 0
        var running: Set<Int> = []
        var failed = 0
        var diverged = 0
        var best: (number: Int, value: Double)?
        var start = Date()
    }

    private let spec: SweepSpec
    private let interactive: Bool
    private let quiet: Bool
    private let state = Mutex(State())

    init(spec: SweepSpec, interactive: Bool, quiet: Bool) {
        self.spec = spec
        self.interactive = interactive
        self.quiet = quiet
    }

    /// A finished trial's line when the output is not a terminal: "[k/N] trial n status metric
    /// (time) parameters", without the metric for a trial that has none (an error instead, or
    /// nothing: interrupted, pruned).
    static func logLine(_ record: TrialRecord, position: Int, total: Int, metricName: String) -> String {
        let parameters: String
        if case .object(let members) = record.plan.parameters {
            parameters = members.keys.sorted().map { "\($0)=\(members[$0]!.shortText)" }.joined(separator: " ")
        } else {
            parameters = ""
        }
        let metricText = record.status == .complete ? "\(metricName) \(format(record.metrics[metricName]))" : (record.errorMessage ?? "")
        let words = ["trial \(record.number)", record.status.rawValue, metricText, "(\(formatDuration(record.trainSeconds ?? 0)))", parameters]
        return "[\(position)/\(total)] " + words.filter { !$0.isEmpty }.joined(separator: " ")
    }

    func handle(_ event: SweepEvent) {
        guard !quiet else { return }
        let metricName = spec.metric.name.rawValue
        state.withLock { state in
            switch event {
            case .planned(let total, let finished, let toRun, let resumed):
                state.total = total
                state.finishedBefore = finished
                state.toRun = toRun
                state.start = Date()
                let resumeText = resumed ? " (resuming: \(finished) already finished)" : ""
                print("sweep '\(spec.name)': \(total) trials\(resumeText), \(toRun) to run")
            case .trialStarted(let number):
                state.running.insert(number)
            case .trialEnded(let number):
                state.running.remove(number)
            case .trialFinished(let record):
                state.running.remove(record.number)
                state.done += 1
                if record.status == .failed { state.failed += 1 }
                if record.status == .diverged { state.diverged += 1 }
                if record.status == .complete, let value = record.metrics[metricName],
                    spec.ranking.isBetter(value, than: state.best?.value) {
                    state.best = (record.number, value)
                }
                if !interactive {
                    print(Self.logLine(record, position: state.finishedBefore + state.done, total: state.total, metricName: metricName))
                }
            }
            if interactive { Terminal.status(statusLine(state)) }
            // A pipe or file gets each line as it happens (stdout is block-buffered there),
            // so `| tee` shows progress and a killed run leaves its log behind.
            else { Terminal.flushStandardOutputNow() }
        }
    }

    private func statusLine(_ state: State) -> String {
        let finished = state.finishedBefore + state.done
        let elapsed = Date().timeIntervalSince(state.start)
        let remaining = state.toRun - state.done
        let eta = state.done > 0 ? elapsed / Double(state.done) * Double(remaining) : .nan
        let best = state.best.map { "best \(format($0.value)) (trial \($0.number))" } ?? "best -"
        let fraction = state.total > 0 ? Double(finished) / Double(state.total) : 0
        return "\(Terminal.bar(fraction: fraction)) \(finished)/\(state.total) done, \(state.running.count) running, "
            + "\(state.failed + state.diverged) failed, \(best), ETA \(state.done > 0 ? formatDuration(eta) : "?")"
    }

    func finish() {
        if interactive { Terminal.endStatus() }
    }
}
