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
    public var wallSeconds: Double
    /// Trials trained in this run.
    public var trialsRun: Int
    /// Seconds spent inside training (summed over trials).
    public var trainingSeconds: Double
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
    private var queue: ArraySlice<TrialPlan> = []
    private var trialsRun = 0
    private var trainingSeconds = 0.0

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
        let stored = try await results.prepare(spec, restart: options.restart)
        let finished = Set(stored.filter { $0.status.isFinal }.map(\.number))
        queue = ArraySlice(spec.plans.filter { !finished.contains($0.number) })
        onEvent(.planned(total: spec.plans.count, finished: finished.count, toRun: queue.count, resumed: !finished.isEmpty))

        let workerCount = max(1, min(options.jobs, queue.count))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<workerCount {
                let executor = ThreadExecutor(name: "sweep-trial-\(worker + 1)")
                group.addTask { [self] in
                    defer { executor.shutdown() }
                    try await work(on: executor)
                }
            }
            // Not `waitForAll()`, which waits for every worker before rethrowing: the first
            // failure leaves the group at once, which cancels the other workers.
            for try await _ in group {}
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
        return SweepRunSummary(
            trials: try await results.trials(), interrupted: interrupted,
            wallSeconds: Date().timeIntervalSince(start), trialsRun: trialsRun, trainingSeconds: trainingSeconds)
    }

    private func nextPlan() -> TrialPlan? {
        // A worker that failed (its result could not be stored) cancels the others: they stop
        // taking trials rather than train the rest of the sweep for nothing.
        guard !stop.isRaised, !storageFailed.isRaised, !Task.isCancelled else { return nil }
        return queue.popFirst()
    }

    private func record(_ outcome: TrialOutcome) {
        trialsRun += 1
        trainingSeconds += outcome.record.trainSeconds ?? 0
    }

    /// One worker: trains trials one after another on its thread. A finished trial is stored by
    /// the results actor while the worker already trains the next one, so the SQLite write is
    /// off the training thread; the worker checks that write succeeded before storing another,
    /// and waits for the last one before it returns.
    private func work(on executor: ThreadExecutor) async throws {
        var pendingWrite: Task<Void, any Error>?
        while let plan = nextPlan() {
            let startedAt = Date()
            try await results.markRunning(plan.number, at: startedAt)
            onEvent(.trialStarted(number: plan.number))
            let trial = TrialActor(plan: plan, data: data, executor: executor)
            let outcome = await trial.run(
                shouldStop: { [stop, storageFailed] in stop.isRaised || storageFailed.isRaised }, startedAt: startedAt)
            try await pendingWrite?.value
            record(outcome)
            pendingWrite = Task { [results, onEvent, storageFailed] in
                do {
                    try await results.finish(outcome)
                } catch {
                    storageFailed.raise()
                    throw error
                }
                onEvent(.trialFinished(outcome.record))
            }
        }
        try await pendingWrite?.value
    }
}
