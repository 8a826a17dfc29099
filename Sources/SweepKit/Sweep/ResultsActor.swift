import Foundation

/// The only writer to the result store. Every trial's outcome arrives here and is written in
/// one transaction before anything else learns of it, so what is reported is already durable.
actor ResultsActor {
    private let store: any ResultStore
    private let sweepName: String
    /// The store when other processes may run the sweep too.
    let shared: (any SharedTrialStore)?

    init(store: any ResultStore, sweepName: String) {
        self.store = store
        self.sweepName = sweepName
        shared = store as? any SharedTrialStore
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
        if let stored = existing.dataFingerprint, stored != dataFingerprint {
            throw SweepRunError.dataChanged(name: sweepName, source: spec.data.source)
        }
        if existing.specJSON != spec.canonicalJSON, case .changed(let reason) = spec.change(from: existing.specJSON) {
            throw SweepRunError.specChanged(name: sweepName, reason: reason)
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
        try store.trials(sweep: sweepName)
    }

    func startTrial(_ plan: TrialPlan, at date: Date) throws {
        // In a shared store, the claim stored the trial as running already.
        guard shared == nil else { return }
        try store.startTrial(sweep: sweepName, plan: plan, at: date)
    }

    func finish(_ outcome: TrialOutcome) throws {
        try store.finish(sweep: sweepName, record: outcome.record, epochs: outcome.epochs, model: outcome.model)
    }

    /// `finish(outcome)`, then `startTrial(plan, at: date)`, in one transaction where the store can.
    func finish(_ outcome: TrialOutcome, thenStart plan: TrialPlan, at date: Date) throws {
        guard shared == nil else { return try finish(outcome) }
        try store.finish(
            sweep: sweepName, record: outcome.record, epochs: outcome.epochs, model: outcome.model, thenStart: plan, at: date)
    }

    /// Marks the running trials interrupted: in a shared store, this worker's only.
    func interruptRunning() throws -> Int {
        if let shared { return try shared.interruptOwnTrials(sweep: sweepName) }
        return try store.interruptRunningTrials(sweep: sweepName)
    }

    func setStatus(_ status: SweepStatus) throws {
        try store.setSweepStatus(sweepName, status)
    }

    /// Keeps the weights of the best `keep` trials by the sweep's ranking, the ones `sweep export`
    /// picks from.
    func keepWeights(best keep: Int, ranking: TrialRanking) throws {
        let kept = ranking.best(keep, of: try store.trials(sweep: sweepName))
        try store.keepWeights(sweep: sweepName, of: Set(kept))
    }
}
