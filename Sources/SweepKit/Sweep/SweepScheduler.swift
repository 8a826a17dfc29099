import Foundation

public enum SweepRunError: Error, Sendable, CustomStringConvertible {
    case specChanged(name: String, reason: String)
    /// `storedSource`: where the sweep's data was when it was last run, when that is known.
    case dataChanged(name: String, source: String, storedSource: String?)
    case restartWhileShared(name: String, workers: Int)

    public var description: String {
        switch self {
        case .specChanged(let name, let reason):
            return "a sweep named '\(name)' already exists with a different spec (\(reason)); rerun with --restart to discard its results, or give the spec a new \"name\""
        case .restartWhileShared(let name, let workers):
            return "sweep '\(name)' is being run by \(workers) other worker\(workers == 1 ? "" : "s") sharing this database; --restart would delete their trials under them. Stop them first, or give the spec a new \"name\""
        case .dataChanged(let name, let source, let storedSource?) where storedSource != source:
            return "sweep '\(name)' was trained on '\(storedSource)', and '\(source)' holds other rows, columns or values; resuming would mix results of two data sets. Give the data it was trained on (--data \(storedSource), if it is still there), rerun with --restart to discard the stored trials, or give the spec a new \"name\""
        case .dataChanged(let name, let source, _):
            return "the data of sweep '\(name)' changed since its trials were trained ('\(source)' has other rows, columns or values now); resuming would mix results of two data sets. Restore the data, rerun with --restart to discard the stored trials, or give the spec a new \"name\""
        }
    }
}

public struct SweepRunOptions: Sendable {
    /// Trials trained at once, each on its own thread.
    public var jobs: Int
    /// Discard a stored sweep of the same name and start again.
    public var restart: Bool
    /// Keep the weights of only the best K complete trials (nil: keep all).
    public var keepWeights: Int?
    /// Start at most this many trials in this run (`sweep run --trials`).
    public var trialBudget: Int?
    /// Start no trial after this many seconds (`sweep run --timeout`); running trials finish.
    public var timeout: Double?
    /// Stop the trials still running at this time: they end `interrupted`, as after Ctrl-C, and
    /// run again when the sweep resumes; no trial starts after it either. The run still ends as
    /// one stopped by a budget, not as an interrupted one (`sweep auto --budget`, which counts
    /// from before the data is read, and whose export follows).
    public var stopAt: Date?
    /// Seconds between a worker's heartbeats when the store is shared with other processes
    /// (`sweep run --heartbeat`).
    public var heartbeat: Double
    /// Trials that end within this many seconds of the last commit of results wait for the
    /// next commit, and are committed together (`ResultsActor`).
    public var commitInterval: Double

    public static let defaultHeartbeat = 5.0
    public static let defaultCommitInterval = 0.25

    /// How long a worker of a shared sweep may stay silent before others take its trials:
    /// three missed heartbeats, and never less than 3 s.
    public static func grace(heartbeat: Double) -> Double { max(3, 3 * heartbeat) }

    public init(
        jobs: Int, restart: Bool = false, keepWeights: Int? = nil, trialBudget: Int? = nil, timeout: Double? = nil,
        stopAt: Date? = nil,
        heartbeat: Double = defaultHeartbeat, commitInterval: Double = defaultCommitInterval
    ) {
        self.jobs = jobs
        self.restart = restart
        self.keepWeights = keepWeights
        self.trialBudget = trialBudget
        self.timeout = timeout
        self.stopAt = stopAt
        self.heartbeat = heartbeat
        self.commitInterval = commitInterval
    }
}

/// What a running sweep reports, in the order it happens. A finished trial is reported only
/// after it is stored.
public enum SweepEvent: Sendable {
    case planned(total: Int, finished: Int, toRun: Int, resumed: Bool)
    case trialStarted(number: Int)
    /// Its training is over; its result is on its way to the database (`trialFinished` once
    /// stored). Results are committed several at a time, so a count of running trials that
    /// waited for `trialFinished` counted trials no longer training: "3 running" with 2 jobs.
    case trialEnded(number: Int)
    case trialFinished(TrialRecord)
}

public struct SweepRunSummary: Sendable {
    /// Every trial of the sweep as stored at the end, in number order.
    public var trials: [TrialRecord]
    /// Stopped by a signal (Ctrl-C, SIGTERM) or a failed write: trials were cut short.
    public var interrupted: Bool
    /// Trials the sweep still has to run (a budget ended this run early, or it was interrupted).
    public var remainingTrials: Int
    /// Trials of this run stopped before they ended (by `SweepRunOptions.stopAt`, a signal or a
    /// failed write), stored `interrupted`: the sweep runs them again when it resumes.
    public var trialsStopped: Int
    /// From the start of the run until every result is stored and the sweep's status is set.
    public var wallSeconds: Double
    /// Trials trained in this run.
    public var trialsRun: Int
    /// Seconds spent inside training (summed over trials), by the clock.
    public var trainingSeconds: Double
    /// CPU seconds the training threads ran inside training: `trainingSeconds` less the time a
    /// training thread was ready but did not run, because another thread of the sweep (storing a
    /// result), another program or the hypervisor had its core. With a core per job, that time is
    /// the other work's, not training's.
    public var trainingCPUSeconds: Double
    /// Seconds the workers ran, summed over workers: training, plus moving between trials.
    public var workerSeconds: Double
    /// Seconds from the first worker's start to the last one's end. The rest of `wallSeconds` is
    /// setting the sweep up and wrapping it up; the rest of `jobs · workerWindowSeconds` beyond
    /// `workerSeconds` is workers idle while the last trials finish.
    public var workerWindowSeconds: Double
    /// Fits (folds or final fits) trained by a worker other than the one that started their
    /// trial: a worker with no trial left to start helps with the fits of running ones.
    public var sharedFits: Int
}

/// Fans a sweep out to `jobs` workers, each of which asks a `TrialSource` for the next trial
/// (made then, from the spec's sampler and the trials that have ended), trains it in a
/// `TrialActor` on its own thread, tells the source how it ended and passes the outcome to the
/// results actor, the only writer. A trial's proposal, seed and pruning depend only on the
/// sweep seed, its number and the trials up to n − lag − 1, so results do not depend on `jobs`
/// (up to lag + 1) or on the order in which trials finish.
public actor SweepScheduler {
    private let spec: SweepSpec
    private let data: PreparedData
    private let options: SweepRunOptions
    private let stop: StopSignal
    /// Raised when a result could not be stored: no trial starts after it, and running ones stop.
    private let storageFailed: StopSignal
    private let results: ResultsActor
    private let onEvent: @Sendable (SweepEvent) -> Void

    public init(
        spec: SweepSpec, data: PreparedData, store: any ResultStore, options: SweepRunOptions,
        stop: StopSignal, onEvent: @escaping @Sendable (SweepEvent) -> Void = { _ in }
    ) {
        self.spec = spec
        self.data = data
        self.options = options
        self.stop = stop
        self.onEvent = onEvent
        let storageFailed = StopSignal()
        self.storageFailed = storageFailed
        // A trial is reported finished once its result is in the store.
        results = ResultsActor(
            store: store, sweepName: spec.name, commitInterval: .seconds(options.commitInterval),
            onStored: { onEvent(.trialFinished($0)) }, onFailure: { storageFailed.raise() })
    }

    public func run() async throws -> SweepRunSummary {
        let start = Date()
        let stored = try await results.prepare(spec, dataFingerprint: DataFingerprint.of(data), restart: options.restart)
        try await results.join(heartbeat: options.heartbeat)
        do {
            let summary = try await run(start: start, stored: stored)
            try await results.leave()
            return summary
        } catch {
            // Its running trials go back to the other workers at once.
            try? await results.leave()
            throw error
        }
    }

    private func run(start: Date, stored: [TrialRecord]) async throws -> SweepRunSummary {
        let lastStart = [options.timeout.map { start.addingTimeInterval($0) }, options.stopAt].compactMap { $0 }.min()
        let budget = TrialSource.Budget(trials: options.trialBudget, deadline: lastStart)
        let storedEpochs = spec.pruner == nil ? [:] : try await results.epochs(of: stored.filter(\.status.isFinal).map(\.number))
        let source = TrialSource(spec: spec, stored: stored, storedEpochs: storedEpochs, budget: budget, shared: results.shared)
        let finished = stored.filter(\.status.isFinal).count
        let toRun = source.plannedCount
        onEvent(.planned(total: max(stored.count, spec.trialCount), finished: finished, toRun: toRun, resumed: !stored.isEmpty))

        // A trial's fits (its folds and final fit) can go to different workers, so even one
        // trial keeps several busy.
        let fitsPerTrial = data.folds.count * spec.repeats + (data.finalFit == nil ? 0 : 1)
        let workerCount = max(1, min(options.jobs, toRun * fitsPerTrial))
        var trialsRun = 0
        var trialsStopped = 0
        var trainingSeconds = 0.0
        var trainingCPUSeconds = 0.0
        var workerSeconds = 0.0
        var sharedFits = 0
        var firstStart = Date.distantFuture, lastEnd = Date.distantPast
        let threads = WorkerThreads(count: workerCount)
        try await withThrowingTaskGroup(of: TrialWorker.Totals.self) { group in
            for number in 1...workerCount {
                let worker = TrialWorker(
                    executor: ThreadExecutor(name: "sweep-trial-\(number)"), placement: (threads, number - 1), spec: spec, jobs: workerCount, source: source, data: data,
                    results: results,
                    stop: stop, storageFailed: storageFailed, stopAt: options.stopAt, onEvent: onEvent)
                group.addTask { try await worker.run() }
            }
            // Not `waitForAll()`, which waits for every worker before rethrowing: the first
            // failure leaves the group at once, which cancels the other workers.
            for try await totals in group {
                trialsRun += totals.trials
                trialsStopped += totals.trialsStopped
                trainingSeconds += totals.trainingSeconds
                trainingCPUSeconds += totals.trainingCPUSeconds
                sharedFits += totals.sharedFits
                workerSeconds += totals.end.timeIntervalSince(totals.start)
                firstStart = min(firstStart, totals.start)
                lastEnd = max(lastEnd, totals.end)
            }
        }

        if let failure = source.failure { throw failure }
        let interrupted = stop.isRaised
        if interrupted || options.stopAt.map({ Date() >= $0 }) == true { _ = try await results.interruptRunning() }
        // Whether the sweep is complete: a sweep of this process alone knows its trials without
        // reading them back; a shared one asks the store, which has the other workers' too.
        let trials = results.shared == nil ? source.knownTrials : try await results.trials()
        let remaining = trials.filter { !$0.status.isFinal }.count
            + spec.remainingTrials(after: trials, taken: Set(trials.map { spec.space.point(of: $0.plan.parameters) }))
        // A shared sweep that other workers still run stays `running`; the last one sets it.
        if remaining == 0 && !interrupted {
            try await results.setStatus(.complete)
        } else if try await !results.othersRunning() {
            try await results.setStatus(.interrupted)
        }
        if !interrupted, remaining == 0 || results.shared == nil, let keep = options.keepWeights {
            try await results.keepWeights(best: keep, ranking: spec.ranking)
        }
        // The sweep ends here; reading every trial back for the report is not part of it.
        let wallSeconds = Date().timeIntervalSince(start)
        return SweepRunSummary(
            trials: try await results.trials(), interrupted: interrupted,
            remainingTrials: remaining, trialsStopped: trialsStopped, wallSeconds: wallSeconds, trialsRun: trialsRun, trainingSeconds: trainingSeconds,
            trainingCPUSeconds: trainingCPUSeconds,
            workerSeconds: workerSeconds, workerWindowSeconds: max(0, lastEnd.timeIntervalSince(firstStart)),
            sharedFits: sharedFits)
    }
}

/// One worker: trains trials one after another on its own thread, and once no trial is left
/// to start, the fits other workers have not started yet. Everything it hands the results actor
/// (marking a trial running, storing a finished one) is written from the shared pool in order,
/// while the worker already trains on: before it hands over another result it checks that its
/// previous write is committed or due to be, so a failed write stops the sweep at once, and it
/// waits for its last write before it returns. A trial it ends goes
/// with the running mark of the trial it starts next when it starts one at once (nearly
/// always); otherwise alone, before the worker does anything else.
actor TrialWorker {
    struct Totals: Sendable {
        var trials = 0
        /// Trials it ended `interrupted`: stopped before they ended.
        var trialsStopped = 0
        var trainingSeconds = 0.0
        var trainingCPUSeconds = 0.0
        var sharedFits = 0
        var start = Date()
        var end = Date()
    }

    private let executor: ThreadExecutor
    /// The sweep's worker threads and this worker's index among them, to keep its thread off
    /// the others' CPUs (`CPUPlacement`).
    private let placement: (threads: WorkerThreads, index: Int)
    /// The thread's waits when its last fit began (`placeBeforeFit`).
    private var waitsAtLastFit = -1
    private let spec: SweepSpec
    /// Workers training at once.
    private let jobs: Int
    private let source: TrialSource
    private let data: PreparedData
    private let results: ResultsActor
    private let stop: StopSignal
    private let storageFailed: StopSignal
    /// When running trials stop (`SweepRunOptions.stopAt`).
    private let stopAt: Date?
    private let onEvent: @Sendable (SweepEvent) -> Void
    private var totals = Totals()
    /// The results actor's ticket for this worker's last write.
    private var lastTicket: Int?
    /// A trial this worker ended whose result is not handed to the results actor yet: it goes
    /// with the next trial's running mark (`begin`), or alone (`writeEnded`).
    private var ended: TrialOutcome?

    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    init(
        executor: ThreadExecutor, placement: (threads: WorkerThreads, index: Int), spec: SweepSpec, jobs: Int, source: TrialSource, data: PreparedData, results: ResultsActor,
        stop: StopSignal, storageFailed: StopSignal, stopAt: Date? = nil, onEvent: @escaping @Sendable (SweepEvent) -> Void
    ) {
        self.executor = executor
        self.placement = placement
        self.spec = spec
        self.jobs = jobs
        self.source = source
        self.data = data
        self.results = results
        self.stop = stop
        self.storageFailed = storageFailed
        self.stopAt = stopAt
        self.onEvent = onEvent
    }

    /// Trains from `source` until nothing is left, the sweep is stopped, a write failed, `stopAt`
    /// has come or the task is cancelled (another worker failed).
    func run() async throws -> Totals {
        defer { executor.shutdown() }
        placement.threads.register(placement.index)
        totals = Totals(start: Date())
        // Asked before every batch: a clock read is a small part of one.
        let stopping: @Sendable () -> Bool = { [stop, storageFailed, stopAt] in
            stop.isRaised || storageFailed.isRaised || stopAt.map { Date() >= $0 } == true
        }
        // The trial this worker started and still hands out fits of.
        var current: TrialWork?
        while !Task.isCancelled {
            if let trial = current {
                if case .fit(let index) = try await take(from: trial, stopping: stopping()) {
                    try await train(trial, index, shouldStop: stopping)
                    continue
                }
                current = nil
            }
            guard !stopping() else { break }
            let next = source.next { begin($0) }
            // No trial started at once to store it with.
            writeEnded()
            if case .trial(let trial) = next {
                current = trial
                if trial.isEmpty { try await store(trial) }
            } else if let (trial, take) = source.takeStartedFit() {
                if case .fit(let index) = take {
                    totals.sharedFits += 1
                    try await train(trial, index, shouldStop: stopping)
                } else {
                    try await store(trial)
                }
            } else if case .wait = next {
                // The next trial learns from trials still training on other workers, and none of
                // their fits is left to help with.
                try await Task.sleep(nanoseconds: 2_000_000)
            } else {
                break
            }
        }
        writeEnded()
        await results.workerStopped()
        if let lastTicket { try await results.committed(lastTicket) }
        totals.end = Date()
        return totals
    }

    /// Trains fit `index` of `trial` in an actor of its own on this worker's thread, and stores
    /// the trial if that was its last fit.
    private func train(_ trial: TrialWork, _ index: Int, shouldStop: @escaping @Sendable () -> Bool) async throws {
        guard let trainer = trial.trainer else { return }
        placeBeforeFit()
        let result = await TrialActor(trainer: trainer, executor: executor)
            .train(index, monitor: trial.monitor(for: index), finalEpochs: trial.finalEpochs(for: index), shouldStop: shouldStop)
        totals.trainingSeconds += result.seconds
        totals.trainingCPUSeconds += result.cpuSeconds
        if trial.deliver(index, result) { try await store(trial) }
    }

    /// Moves the thread off another worker's CPU if it has waited since the last fit (a lock
    /// another thread held, a hand-over): Linux wakes a thread on its waker's CPU, often the
    /// other worker's. A thread that never waited stays where the scheduler keeps it.
    private func placeBeforeFit() {
        guard let waits = CPUPlacement.waits(), waits != waitsAtLastFit else { return }
        placement.threads.separate(placement.index)
        // Read again: a move is itself a wait.
        waitsAtLastFit = CPUPlacement.waits() ?? waits
    }

    /// Starts a trial taken from the source: stores it as running (with the trial this worker
    /// just ended, if any) and announces it.
    private func begin(_ claimed: TrialSource.Claimed) -> TrialWork {
        let startedAt = Date()
        let plan = claimed.plan
        let start = TrialWrite.start(plan: plan, at: startedAt)
        if let outcome = ended {
            ended = nil
            write([.finish(outcome), start], reporting: outcome)
        } else {
            write([start], reporting: nil)
        }
        onEvent(.trialStarted(number: plan.number))
        var pruning: PruningContext?
        if let pruner = spec.pruner, let reference = claimed.reference {
            pruning = PruningContext(pruner: pruner, reference: reference, metric: spec.metric)
        }
        return TrialWork(
            plan: plan, data: data, startedAt: startedAt, setupFailure: claimed.setupFailure, pruning: pruning, jobs: jobs)
    }

    /// The next fit of `trial`, storing the trial if this call ended it.
    private func take(from trial: TrialWork, stopping: Bool) async throws -> TrialWork.Take {
        let take = trial.take(stopping: stopping)
        if case .none(ended: true) = take { try await store(trial) }
        return take
    }

    /// Tells the source how a trial ended and keeps its outcome for the results actor, once the
    /// previous write is committed or due to be (which tells of a failed one).
    private func store(_ trial: TrialWork) async throws {
        writeEnded()
        if let lastTicket, results.mustHandOver(lastTicket) { try await results.handOver(lastTicket) }
        let outcome = trial.outcome()
        source.ended(outcome)
        onEvent(.trialEnded(number: outcome.record.number))
        totals.trials += 1
        if outcome.record.status == .interrupted { totals.trialsStopped += 1 }
        ended = outcome
    }

    /// Hands the ended trial, if any, to the results actor alone.
    private func writeEnded() {
        guard let outcome = ended else { return }
        ended = nil
        write([.finish(outcome)], reporting: outcome)
    }

    /// Hands `writes` to the results actor after every write handed over before, this worker's
    /// and the others' (a trial's running mark goes before its result, whichever worker ends
    /// it); the actor reports `outcome`'s trial finished once they are committed. The worker does
    /// not wait: the results actor may hold writes back to commit them with others. A failed
    /// commit stops the sweep (`storageFailed`), and every later write fails with it, which the
    /// worker hears of when it hands over its next result or waits for its last.
    private func write(_ writes: [TrialWrite], reporting outcome: TrialOutcome?) {
        lastTicket = results.hand(writes, reporting: outcome?.record)
    }
}
