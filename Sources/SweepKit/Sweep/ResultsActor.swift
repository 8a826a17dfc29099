import Foundation

/// The only writer to the result store. Every trial's outcome arrives here and is committed
/// before anything else learns of it, so what is reported is already durable.
///
/// Workers hand over writes of trials (running marks and results) with `hand`, which queues
/// them in the order handed over and, when no commit is on its way, starts one (at once or when
/// due); `committed` waits until they are in the store, and a trial handed over to be reported
/// is reported (`onStored`) once its result is. Writes
/// are committed in that order, and together when they come close together: a write within
/// `commitInterval` of the last commit waits for the next one, due that long after the last,
/// which commits every write queued by then in one transaction. Trials that end further apart
/// than that (nearly all but the shortest) are each committed the moment they end, as alone.
/// Very short trials end many times a second, and a transaction apiece would take a few percent
/// of the CPU that trains them; together they take a small fraction of that. A kill can lose
/// only results no one has been told of: those of trials that ended in the last
/// `commitInterval`, which a resumed sweep trains again, to the same results. In a store shared
/// with other processes every write is committed at once.
actor ResultsActor {
    private let store: any ResultStore
    private let sweepName: String
    /// The store when other processes may run the sweep too.
    let shared: (any SharedTrialStore)?
    private let commitInterval: Duration
    /// Told of each trial handed over to be reported, in order, once its result is committed.
    private let onStored: @Sendable (TrialRecord) -> Void
    /// Told once when a commit fails.
    private let onFailure: @Sendable () -> Void
    /// Handed over, not yet committed.
    private let queue = WriteQueue()
    /// The last ticket committed (tickets count from 1).
    private var committedThrough = 0
    /// Callers waiting for the next commit.
    private var waiting: [CheckedContinuation<Void, any Error>] = []
    private var lastCommit: ContinuousClock.Instant?
    private var commitDue = false
    /// Set once a worker has stopped: the sweep is ending, and nothing more waits.
    private var commitAtOnce = false
    /// Why a commit failed: every later one fails with it, for the sweep is stopping.
    private var failure: (any Error)?

    init(
        store: any ResultStore, sweepName: String, commitInterval: Duration,
        onStored: @escaping @Sendable (TrialRecord) -> Void = { _ in }, onFailure: @escaping @Sendable () -> Void = {}
    ) {
        self.store = store
        self.sweepName = sweepName
        self.commitInterval = commitInterval
        self.onStored = onStored
        self.onFailure = onFailure
        shared = store as? any SharedTrialStore
    }

    /// Queues writes after every write handed over before, without starting a commit; returns
    /// their ticket for `committed` or `handOver`, which commit them.
    nonisolated func submit(_ writes: [TrialWrite]) -> Int {
        queue.append(storable(writes), reporting: nil).ticket
    }

    /// Queues writes as `submit` does, and sees that they are committed without the caller
    /// waiting: when no commit is on its way, one task asks the actor to commit them (at once, or
    /// when the interval is over); writes handed over while a commit is on its way go with it. A
    /// trial's writes thus cost no task of their own, only every commit one. `record`, when
    /// given, is reported to `onStored` once the writes are committed.
    nonisolated func hand(_ writes: [TrialWrite], reporting record: TrialRecord?) -> Int {
        let (ticket, startsCommit) = queue.append(storable(writes), reporting: record, startingCommit: true)
        if startsCommit {
            Task { [self] in try? await handOver(ticket) }
        }
        return ticket
    }

    /// The writes this store takes: in a shared store a trial's claim stored its running mark
    /// already, so only results are written.
    private nonisolated func storable(_ writes: [TrialWrite]) -> [TrialWrite] {
        shared == nil ? writes : writes.filter { if case .finish = $0 { true } else { false } }
    }

    /// Returns once the writes of `ticket` are committed: at once when the last commit was
    /// `commitInterval` ago or more, or else with the writes handed over until then.
    func committed(_ ticket: Int) async throws {
        try handOver(ticket)
        guard ticket > committedThrough else { return }
        try await withCheckedThrowingContinuation { waiting.append($0) }
    }

    /// Commits the writes of `ticket` now when the last commit was `commitInterval` ago or
    /// more, or else makes sure a commit is due then; throws the error of a failed commit. A
    /// worker calls it before it hands over another trial's result, so that it learns of a
    /// failure at once and never runs ahead of the store by more than the interval.
    func handOver(_ ticket: Int) throws {
        if let failure { throw failure }
        guard ticket > committedThrough else { return }
        let clock = ContinuousClock()
        guard shared == nil, !commitAtOnce, let last = lastCommit, clock.now - last < commitInterval else {
            return try commitQueued()
        }
        queue.markDue()
        guard !commitDue else { return }
        commitDue = true
        let due = last + commitInterval
        Task { [weak self] in
            try? await clock.sleep(until: due)
            await self?.commitWhenDue()
        }
    }

    /// Whether a worker must `handOver` its last write before the next: it is neither committed
    /// nor due to be with the next commit, or a commit failed. Asked without a trip to the actor,
    /// which nearly always has the write in hand long before.
    nonisolated func mustHandOver(_ ticket: Int) -> Bool {
        queue.mustHandOver(ticket)
    }

    /// How many callers wait for the next commit (tests watch it).
    var waitingCount: Int { waiting.count }

    /// A worker has stopped: the sweep is ending (or stopping), so what waits is committed now,
    /// and every later write at once.
    func workerStopped() {
        commitAtOnce = true
        // A failure reaches the callers waiting for the writes.
        try? commitQueued()
    }

    private func commitWhenDue() {
        commitDue = false
        try? commitQueued()
    }

    /// Commits every queued write in one transaction, reports the trials handed over to be, and
    /// tells the waiting callers how it went; rethrows its failure.
    private func commitQueued() throws {
        let callers = waiting
        waiting = []
        let stored: [TrialRecord]
        do {
            if let failure { throw failure }
            let (writes, reports, through) = queue.takeAll()
            if !writes.isEmpty {
                defer { lastCommit = ContinuousClock().now }
                try store.write(writes, sweep: sweepName)
            }
            committedThrough = max(committedThrough, through)
            queue.markSettled(through: through)
            stored = reports
        } catch {
            if failure == nil { onFailure() }
            failure = error
            queue.markFailed()
            for caller in callers { caller.resume(throwing: error) }
            throw error
        }
        for record in stored { onStored(record) }
        for caller in callers { caller.resume() }
    }

    /// Creates the sweep or resumes it: a stored sweep with another spec is refused unless
    /// `restart`, or unless the new spec only grows it (more trials, more grid values), which
    /// keeps its trials and stores the new spec; stale running trials become interrupted.
    /// Returns the stored trials.
    /// `dataFingerprint` is the data's (`DataFingerprint`): a stored sweep of other data is
    /// refused unless `restart`.
    /// In a shared store, running trials are other workers' and stay as they are, and a sweep
    /// that other workers run is not restarted.
    func prepare(_ spec: SweepSpec, dataFingerprint: String, restart: Bool) throws -> [TrialRecord] {
        let fresh = SweepRecord(
            name: sweepName, specJSON: spec.canonicalJSON, created: Date(), status: .running, dataFingerprint: dataFingerprint)
        var found = try store.sweep(named: sweepName)
        if found == nil {
            do {
                try store.createSweep(fresh)
                return []
            } catch ResultStoreError.sweepAlreadyExists where shared != nil {
                // Another worker created it a moment ago: join it as it is.
                found = try store.sweep(named: sweepName)
            }
        }
        guard let existing = found else { throw ResultStoreError.sweepNotFound(sweepName) }
        if restart, let shared, case let workers = try shared.liveWorkers(sweep: sweepName), workers > 0 {
            throw SweepRunError.restartWhileShared(name: sweepName, workers: workers)
        }
        if restart {
            try store.deleteSweep(named: sweepName)
            try store.createSweep(fresh)
            return []
        }
        // The spec first: an edited split or standardisation changes the prepared data too, and
        // is the spec's change to report. Where the data is found counts only for a sweep stored
        // without a fingerprint of its data; with one, a file moved or named by another path
        // resumes its sweep (the spec stored then names the new path).
        let fingerprinted = existing.dataFingerprint != nil
        if existing.specJSON != spec.canonicalJSON,
           case .changed(let reason) = spec.change(from: existing.specJSON, ignoringDataSource: fingerprinted) {
            throw SweepRunError.specChanged(name: sweepName, reason: reason)
        }
        if let stored = existing.dataFingerprint, stored != dataFingerprint {
            let storedSource = (try? SweepSpec.parseStored(Data(existing.specJSON.utf8), source: "stored spec"))?.data.source
            throw SweepRunError.dataChanged(name: sweepName, source: spec.data.source, storedSource: storedSource)
        }
        if existing.specJSON != spec.canonicalJSON || existing.dataFingerprint == nil {
            try store.updateSweep(sweepName, specJSON: spec.canonicalJSON, dataFingerprint: dataFingerprint)
        }
        if shared == nil { try store.interruptRunningTrials(sweep: sweepName) }
        try store.setSweepStatus(sweepName, .running)
        return try store.trials(sweep: sweepName)
    }

    /// Joins a shared sweep as one worker (nothing for a store of one process).
    func join(heartbeat: Double) throws {
        try shared?.join(sweep: sweepName, heartbeat: heartbeat, grace: SweepRunOptions.grace(heartbeat: heartbeat))
    }

    /// Leaves a shared sweep: this worker's running trials become interrupted for others.
    func leave() throws {
        try commitQueued()
        try shared?.leave(sweep: sweepName)
    }

    /// Whether workers other than this one run the sweep now.
    func othersRunning() throws -> Bool {
        guard let shared else { return false }
        return try shared.liveWorkers(sweep: sweepName) > 1
    }

    /// The epochs of the given trials, by number (a pruner's reference curves on resume).
    func epochs(of numbers: [Int]) throws -> [Int: [EpochRecord]] {
        var epochs: [Int: [EpochRecord]] = [:]
        for number in numbers { epochs[number] = try store.epochs(sweep: sweepName, trial: number) }
        return epochs
    }

    func trials() throws -> [TrialRecord] {
        try commitQueued()
        return try store.trials(sweep: sweepName)
    }

    /// Marks the running trials interrupted: in a shared store, this worker's only.
    func interruptRunning() throws -> Int {
        try commitQueued()
        if let shared { return try shared.interruptOwnTrials(sweep: sweepName) }
        return try store.interruptRunningTrials(sweep: sweepName)
    }

    func setStatus(_ status: SweepStatus) throws {
        try commitQueued()
        try store.setSweepStatus(sweepName, status)
    }

    /// Keeps the weights of the best `keep` trials by the sweep's ranking, the ones `sweep export`
    /// picks from.
    func keepWeights(best keep: Int, ranking: TrialRanking) throws {
        try commitQueued()
        let kept = ranking.best(keep, of: try store.trials(sweep: sweepName))
        try store.keepWeights(sweep: sweepName, of: Set(kept))
    }
}

/// Writes handed over and not yet taken, in order, with the ticket of the last one and the
/// trials to report once they are committed. A lock, not the actor, keeps the order: workers
/// hand writes over from their own threads without waiting. It also tells workers, without a
/// trip to the actor, which writes are settled: committed, or due to be with the next commit;
/// and `ResultsActor.hand` whether a commit is on its way already.
private final class WriteQueue: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var writes: [TrialWrite] = []
    private var reports: [TrialRecord] = []
    private var lastTicket = 0
    private var settledThrough = 0
    private var failed = false
    /// A commit will take what is queued: started by `append(startingCommit:)`, ended by `takeAll`.
    private var commitComing = false
    /// That commit is due at the end of the commit interval (`markDue`): writes queued until then
    /// go with it, so they are settled as they come, and their workers need not hand them over.
    private var commitIsDue = false

    func mustHandOver(_ ticket: Int) -> Bool {
        lock.withLock { failed || ticket > settledThrough }
    }

    /// Every write up to `ticket` (by default, every one queued) is committed or due to be.
    func markSettled(through ticket: Int? = nil) {
        lock.withLock { settledThrough = max(settledThrough, ticket ?? lastTicket) }
    }

    /// Every write queued is due with the commit at the end of the interval, and so is every
    /// write queued until it is taken.
    func markDue() {
        lock.withLock {
            settledThrough = lastTicket
            commitIsDue = true
        }
    }

    func markFailed() {
        lock.withLock { failed = true }
    }

    /// Queues `more` under the next ticket. `startingCommit`: the caller starts a commit when
    /// none is on its way (`startsCommit`), and one is then until the next `takeAll`.
    func append(_ more: [TrialWrite], reporting record: TrialRecord?, startingCommit: Bool = false) -> (ticket: Int, startsCommit: Bool) {
        lock.withLock {
            writes += more
            if let record { reports.append(record) }
            lastTicket += 1
            if commitIsDue { settledThrough = lastTicket }
            let starts = startingCommit && !commitComing
            if starts { commitComing = true }
            return (lastTicket, starts)
        }
    }

    /// Every queued write and trial to report, and the ticket up to which they go.
    func takeAll() -> (writes: [TrialWrite], reports: [TrialRecord], through: Int) {
        lock.withLock {
            defer {
                writes = []
                reports = []
                commitComing = false
                commitIsDue = false
            }
            return (writes, reports, lastTicket)
        }
    }
}
