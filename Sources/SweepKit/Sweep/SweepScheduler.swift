import Foundation

public enum SweepRunError: Error, Sendable, CustomStringConvertible {
    case specChanged(name: String)

    public var description: String {
        switch self {
        case .specChanged(let name):
            return "a sweep named '\(name)' already exists with a different spec; rerun with --restart to discard its results, or give the spec a new \"name\""
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

    public init(jobs: Int, restart: Bool = false, keepWeights: Int? = nil) {
        self.jobs = jobs
        self.restart = restart
        self.keepWeights = keepWeights
    }
}

/// What a running sweep reports, in the order it happens. A finished trial is reported only
/// after it is stored.
public enum SweepEvent: Sendable {
    case planned(total: Int, finished: Int, toRun: Int, resumed: Bool)
    case trialStarted(number: Int)
    case trialFinished(TrialRecord)
}

public struct SweepRunSummary: Sendable {
    /// Every trial of the sweep as stored at the end, in number order.
    public var trials: [TrialRecord]
    public var interrupted: Bool
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

/// Fans a sweep out: hands trial plans to `jobs` workers, each of which trains one trial at a
/// time in a `TrialActor` on its own thread and passes the outcome to the results actor.
/// Trial seeds come from the plan, so results do not depend on `jobs` or completion order.
public actor SweepScheduler {
    private let spec: SweepSpec
    private let data: PreparedData
    private let options: SweepRunOptions
    private let stop: StopSignal
    /// Raised when a result could not be stored: no trial starts after it, and running ones stop.
    private let storageFailed = StopSignal()
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
        results = ResultsActor(store: store, sweepName: spec.name)
    }

    public func run() async throws -> SweepRunSummary {
        let start = Date()
        let finished = try await results.prepare(spec, restart: options.restart)
        let plans = spec.plans.filter { !finished.contains($0.number) }
        onEvent(.planned(total: spec.plans.count, finished: finished.count, toRun: plans.count, resumed: !finished.isEmpty))

        let queue = TrialQueue(plans)
        // A trial's fits (its folds and final fit) can go to different workers, so even one
        // trial keeps several busy.
        let fitsPerTrial = data.folds.count + (data.finalFit == nil ? 0 : 1)
        let workerCount = max(1, min(options.jobs, plans.count * fitsPerTrial))
        var trialsRun = 0
        var trainingSeconds = 0.0
        var trainingCPUSeconds = 0.0
        var workerSeconds = 0.0
        var sharedFits = 0
        var firstStart = Date.distantFuture, lastEnd = Date.distantPast
        try await withThrowingTaskGroup(of: TrialWorker.Totals.self) { group in
            for number in 1...workerCount {
                let worker = TrialWorker(
                    executor: ThreadExecutor(name: "sweep-trial-\(number)"), data: data, results: results,
                    stop: stop, storageFailed: storageFailed, onEvent: onEvent)
                group.addTask { try await worker.run(queue) }
            }
            // Not `waitForAll()`, which waits for every worker before rethrowing: the first
            // failure leaves the group at once, which cancels the other workers.
            for try await totals in group {
                trialsRun += totals.trials
                trainingSeconds += totals.trainingSeconds
                trainingCPUSeconds += totals.trainingCPUSeconds
                sharedFits += totals.sharedFits
                workerSeconds += totals.end.timeIntervalSince(totals.start)
                firstStart = min(firstStart, totals.start)
                lastEnd = max(lastEnd, totals.end)
            }
        }

        let interrupted = stop.isRaised
        if interrupted {
            _ = try await results.interruptRunning()
            try await results.setStatus(.interrupted)
        } else {
            try await results.setStatus(.complete)
            if let keep = options.keepWeights {
                try await results.keepWeights(best: keep, metric: spec.metric.name)
            }
        }
        // The sweep ends here; reading every trial back for the report is not part of it.
        let wallSeconds = Date().timeIntervalSince(start)
        return SweepRunSummary(
            trials: try await results.trials(), interrupted: interrupted,
            wallSeconds: wallSeconds, trialsRun: trialsRun, trainingSeconds: trainingSeconds,
            trainingCPUSeconds: trainingCPUSeconds,
            workerSeconds: workerSeconds, workerWindowSeconds: max(0, lastEnd.timeIntervalSince(firstStart)),
            sharedFits: sharedFits)
    }
}

/// The plans not yet handed out, and the trials being trained whose fits are not all handed out
/// yet. Workers take from it on their own threads, so that moving on to the next trial needs no
/// hop to a shared actor.
final class TrialQueue: @unchecked Sendable {
    // `plans` and `started` are guarded by `lock`.
    private let lock = NSLock()
    private var plans: ArraySlice<TrialPlan>
    private var started: [TrialWork] = []

    init(_ plans: [TrialPlan]) {
        self.plans = ArraySlice(plans)
    }

    /// The next plan, made into a trial that other workers can take fits from.
    func start(_ makeWork: (TrialPlan) -> TrialWork) -> TrialWork? {
        guard let plan = lock.withLock({ plans.popFirst() }) else { return nil }
        // Made outside the lock: it decodes, marks the trial running and reports the start.
        let work = makeWork(plan)
        lock.withLock { started.append(work) }
        return work
    }

    /// A fit not yet started of a trial another worker is training, oldest trial first, or a
    /// trial that this call ended (its remaining fits no longer needed), for the caller to store.
    func takeStartedFit() -> (work: TrialWork, take: TrialWork.Take)? {
        lock.withLock {
            while let work = started.first {
                let take = work.take(stopping: false)
                if case .none(let ended) = take {
                    started.removeFirst()
                    if ended { return (work, take) }
                    continue
                }
                return (work, take)
            }
            return nil
        }
    }
}

/// One worker: trains trials one after another on its own thread, and once no trial is left
/// to start, the fits other workers have not started yet. Everything it hands the results actor
/// (marking a trial running, storing a finished one) is written from the shared pool in order,
/// while the worker already trains on; the worker checks that a write succeeded before storing
/// another, and waits for the last one before it returns.
actor TrialWorker {
    struct Totals: Sendable {
        var trials = 0
        var trainingSeconds = 0.0
        var trainingCPUSeconds = 0.0
        var sharedFits = 0
        var start = Date()
        var end = Date()
    }

    private let executor: ThreadExecutor
    private let data: PreparedData
    private let results: ResultsActor
    private let stop: StopSignal
    private let storageFailed: StopSignal
    private let onEvent: @Sendable (SweepEvent) -> Void
    private var totals = Totals()
    private var pendingWrite: Task<Void, any Error>?

    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    init(
        executor: ThreadExecutor, data: PreparedData, results: ResultsActor, stop: StopSignal,
        storageFailed: StopSignal, onEvent: @escaping @Sendable (SweepEvent) -> Void
    ) {
        self.executor = executor
        self.data = data
        self.results = results
        self.stop = stop
        self.storageFailed = storageFailed
        self.onEvent = onEvent
    }

    /// Trains from `queue` until nothing is left, the sweep is stopped, a write failed or the
    /// task is cancelled (another worker failed).
    func run(_ queue: TrialQueue) async throws -> Totals {
        defer { executor.shutdown() }
        totals = Totals(start: Date())
        let stopping: @Sendable () -> Bool = { [stop, storageFailed] in stop.isRaised || storageFailed.isRaised }
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
            if let trial = queue.start(begin) {
                current = trial
                if trial.isEmpty { try await store(trial) }
            } else if let (trial, take) = queue.takeStartedFit() {
                if case .fit(let index) = take {
                    totals.sharedFits += 1
                    try await train(trial, index, shouldStop: stopping)
                } else {
                    try await store(trial)
                }
            } else {
                break
            }
        }
        try await pendingWrite?.value
        totals.end = Date()
        return totals
    }

    /// Trains fit `index` of `trial` in an actor of its own on this worker's thread, and stores
    /// the trial if that was its last fit.
    private func train(_ trial: TrialWork, _ index: Int, shouldStop: @escaping @Sendable () -> Bool) async throws {
        guard let trainer = trial.trainer else { return }
        let result = await TrialActor(trainer: trainer, executor: executor).train(index, shouldStop: shouldStop)
        totals.trainingSeconds += result.seconds
        totals.trainingCPUSeconds += result.cpuSeconds
        if trial.deliver(index, result) { try await store(trial) }
    }

    /// Starts a trial taken from the queue: marks it running and announces it.
    private nonisolated func begin(_ plan: TrialPlan) -> TrialWork {
        let startedAt = Date()
        // Detached: the write runs on the shared pool at once, not on this (busy) thread.
        let marking = Task.detached { [results] in try await results.markRunning(plan.number, at: startedAt) }
        onEvent(.trialStarted(number: plan.number))
        return TrialWork(plan: plan, data: data, startedAt: startedAt, marking: marking)
    }

    /// The next fit of `trial`, storing the trial if this call ended it.
    private func take(from trial: TrialWork, stopping: Bool) async throws -> TrialWork.Take {
        let take = trial.take(stopping: stopping)
        if case .none(ended: true) = take { try await store(trial) }
        return take
    }

    /// Hands a finished trial to the results actor, after checking the previous write.
    private func store(_ trial: TrialWork) async throws {
        try await pendingWrite?.value
        let outcome = trial.outcome()
        totals.trials += 1
        pendingWrite = Task.detached { [results, onEvent, storageFailed] in
            do {
                // Marking comes first, so a finished trial is never marked running again.
                try await trial.marking.value
                try await results.finish(outcome)
            } catch {
                storageFailed.raise()
                throw error
            }
            onEvent(.trialFinished(outcome.record))
        }
    }
}
