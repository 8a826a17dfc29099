import Foundation

/// Why a `ResultStore` refused a request. Every backend throws these, so callers (and the
/// shared backend test suite) need not know which store they hold.
public enum ResultStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    case sweepNotFound(String)
    case sweepAlreadyExists(String)
    case trialNotFound(sweep: String, trial: Int)
    /// `finish` was given two epochs with the same fold and epoch number.
    case duplicateEpoch(sweep: String, trial: Int, fold: Int, epoch: Int)

    public var description: String {
        switch self {
        case .sweepNotFound(let name):
            return "no sweep named '\(name)' is stored"
        case .sweepAlreadyExists(let name):
            return "a sweep named '\(name)' is already stored"
        case .trialNotFound(let sweep, let trial):
            return "sweep '\(sweep)' has no trial \(trial)"
        case .duplicateEpoch(let sweep, let trial, let fold, let epoch):
            return "sweep '\(sweep)' trial \(trial): fold \(fold) epoch \(epoch) is given twice"
        }
    }
}

/// A `ResultStore` that keeps everything in memory, for tests and dry runs.
///
/// It follows the SQLite store's semantics exactly (the same test suite runs against both):
/// writes into a missing sweep throw `ResultStoreError.sweepNotFound`, reads of a missing sweep
/// answer empty, and `deleteSweep` of a missing sweep does nothing. Every call holds one lock, so
/// each is atomic, as a transaction is in SQLite.
public final class MemoryResultStore: ResultStore, @unchecked Sendable {
    /// One sweep and everything under it, keyed by trial number.
    private struct StoredSweep {
        var record: SweepRecord
        var trials: [Int: TrialRecord] = [:]
        var epochs: [Int: [EpochRecord]] = [:]
        var models: [Int: TrainedModel] = [:]
    }

    // Guarded by `lock`; this is what makes the `@unchecked Sendable` sound.
    private let lock = NSLock()
    private var sweepsByName: [String: StoredSweep] = [:]

    public init() {}

    public func sweep(named name: String) throws -> SweepRecord? {
        lock.withLock { sweepsByName[name]?.record }
    }

    public func createSweep(_ sweep: SweepRecord) throws {
        try lock.withLock {
            guard sweepsByName[sweep.name] == nil else { throw ResultStoreError.sweepAlreadyExists(sweep.name) }
            sweepsByName[sweep.name] = StoredSweep(record: sweep)
        }
    }

    public func deleteSweep(named name: String) throws {
        lock.withLock { _ = sweepsByName.removeValue(forKey: name) }
    }

    public func setSweepStatus(_ name: String, _ status: SweepStatus) throws {
        try update(name) { $0.record.status = status }
    }

    public func updateSweep(_ name: String, specJSON: String, dataFingerprint: String) throws {
        try update(name) { stored in
            stored.record.specJSON = specJSON
            stored.record.dataFingerprint = dataFingerprint
        }
    }

    public func startTrial(sweep: String, plan: TrialPlan, at date: Date) throws {
        try update(sweep) { stored in
            stored.trials[plan.number] = TrialRecord(plan: plan, status: .running, startedAt: date)
            stored.epochs[plan.number] = nil
            stored.models[plan.number] = nil
        }
    }

    public func finish(sweep: String, record: TrialRecord, epochs: [EpochRecord], model: TrainedModel?) throws {
        if let duplicate = epochs.firstDuplicate {
            throw ResultStoreError.duplicateEpoch(sweep: sweep, trial: record.number, fold: duplicate.fold, epoch: duplicate.epoch)
        }
        try update(sweep) { stored in
            stored.trials[record.number] = record
            stored.epochs[record.number] = epochs.inFoldOrder
            stored.models[record.number] = model
        }
    }

    @discardableResult
    public func interruptRunningTrials(sweep: String) throws -> Int {
        try update(sweep) { stored in
            let running = stored.trials.values.filter { $0.status == .running }.map(\.number)
            for number in running { stored.trials[number]?.status = .interrupted }
            return running.count
        }
    }

    public func keepWeights(sweep: String, of kept: Set<Int>) throws {
        try update(sweep) { stored in stored.models = stored.models.filter { kept.contains($0.key) } }
    }

    public func sweeps() throws -> [SweepOverview] {
        lock.withLock {
            sweepsByName.values
                .sorted { ($0.record.created, $0.record.name) < ($1.record.created, $1.record.name) }
                .map { stored in
                    var counts: [TrialStatus: Int] = [:]
                    for trial in stored.trials.values { counts[trial.status, default: 0] += 1 }
                    return SweepOverview(sweep: stored.record, trialCounts: counts)
                }
        }
    }

    public func trials(sweep: String) throws -> [TrialRecord] {
        lock.withLock { (sweepsByName[sweep]?.trials.values).map { $0.sorted { $0.number < $1.number } } ?? [] }
    }

    public func epochs(sweep: String, trial: Int) throws -> [EpochRecord] {
        lock.withLock { sweepsByName[sweep]?.epochs[trial] ?? [] }
    }

    public func epochCounts(sweep: String) throws -> [Int: [Int: Int]] {
        lock.withLock {
            (sweepsByName[sweep]?.epochs ?? [:]).mapValues { epochs in
                Dictionary(epochs.map { ($0.fold, $0.epoch) }, uniquingKeysWith: max)
            }
        }
    }

    public func model(sweep: String, trial: Int) throws -> TrainedModel? {
        lock.withLock { sweepsByName[sweep]?.models[trial] }
    }

    /// Applies `change` to the sweep in place: taken out of the dictionary first, so that its
    /// trials, epochs and models are not copied for every trial stored (copying them made a sweep
    /// of n trials quadratic). A change cannot fail half-way: the checks come before it.
    private func update<Result>(_ sweep: String, _ change: (inout StoredSweep) -> Result) throws -> Result {
        try lock.withLock {
            guard var stored = sweepsByName.removeValue(forKey: sweep) else { throw ResultStoreError.sweepNotFound(sweep) }
            defer { sweepsByName[sweep] = stored }
            return change(&stored)
        }
    }
}
