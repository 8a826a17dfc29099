import Foundation

/// A result store that several `sweep run` processes share, on one machine or many
/// (PostgreSQL): the sweep's trials are claimed in the store, not in one process's memory.
///
/// Each process joins a sweep as one worker and beats a heartbeat while it runs. A worker asks
/// for its next trial with `claim`, which runs one transaction holding the sweep's lock: it
/// shows the caller what changed since it last looked (trials other workers started or ended)
/// and the first trial to run again (interrupted, or running on a worker that stopped beating
/// for its grace period), and stores the caller's decision as a running trial it owns. Claims
/// of one sweep are therefore made one at a time, in number order, across every machine: what
/// the sampler's lag rule and a grid's "not proposed before" need, so that a shared sweep is
/// trial for trial the sweep one process would run.
public protocol SharedTrialStore: ResultStore {
    /// Registers this process as a worker of `sweep` and beats its heartbeat every `heartbeat`
    /// seconds, on a thread of its own, until `leave`. Other workers take its running trials
    /// when it has been silent for `grace` seconds.
    func join(sweep: String, heartbeat: Double, grace: Double) throws
    /// Marks this worker's running trials interrupted (for others to take at once), stops its
    /// heartbeat and removes it. Returns how many trials it interrupted.
    @discardableResult
    func leave(sweep: String) throws -> Int
    /// Marks this worker's running trials interrupted; returns how many.
    @discardableResult
    func interruptOwnTrials(sweep: String) throws -> Int
    /// The workers of `sweep` whose heartbeat is within their grace period, this one included.
    func liveWorkers(sweep: String) throws -> Int
    /// One claim, in one transaction: `decide` sees what changed and returns what to start.
    func claim(sweep: String, _ request: TrialClaimRequest, decide: (TrialClaimView) throws -> TrialClaimDecision) throws
}

/// What a worker tells the store when it claims.
public struct TrialClaimRequest: Sendable {
    /// The largest revision the worker has seen: the store shows trials changed after it.
    public var afterRevision: Int64
    /// The trials this worker runs now. A running trial the store has as this worker's but that
    /// is not among them (a claim whose answer the connection lost) is offered to run again.
    public var inProgress: Set<Int>
    /// Whether the view carries the epochs of trials that ended (a pruner's reference curves).
    public var withEpochs: Bool

    public init(afterRevision: Int64, inProgress: Set<Int>, withEpochs: Bool) {
        self.afterRevision = afterRevision
        self.inProgress = inProgress
        self.withEpochs = withEpochs
    }
}

/// What a worker sees when it claims.
public struct TrialClaimView: Sendable {
    /// Trials inserted or updated after the request's revision, by any worker.
    public var changed: [TrialRecord]
    /// With `withEpochs`, the epochs of the changed trials that ended, by number.
    public var epochs: [Int: [EpochRecord]]
    /// The largest revision among `changed` (the request's when nothing changed).
    public var revision: Int64
    /// The lowest-numbered trial to run again, if any, with its stored plan.
    public var rerun: TrialPlan?
    /// Trials running on other workers (which may still end, or be taken over).
    public var runningElsewhere: Int

    public init(changed: [TrialRecord], epochs: [Int: [EpochRecord]], revision: Int64, rerun: TrialPlan?, runningElsewhere: Int) {
        self.changed = changed
        self.epochs = epochs
        self.revision = revision
        self.rerun = rerun
        self.runningElsewhere = runningElsewhere
    }
}

/// A worker's answer to a `TrialClaimView`.
public enum TrialClaimDecision: Sendable {
    /// Store this trial as running on this worker (new, or the view's rerun).
    case start(TrialPlan, at: Date)
    /// Nothing to start yet; the claim writes nothing.
    case wait
    /// Nothing is left to start; the claim writes nothing.
    case done
}
