import Foundation

/// The only writer to the result store. Every trial's outcome arrives here and is written in
/// one transaction before anything else learns of it, so what is reported is already durable.
actor ResultsActor {
    private let store: any ResultStore
    private let sweepName: String

    init(store: any ResultStore, sweepName: String) {
        self.store = store
        self.sweepName = sweepName
    }

    /// Creates the sweep or resumes it: a stored sweep with another spec is refused unless
    /// `restart`, or unless the new spec only grows it (more trials, more grid values), which
    /// keeps its trials and stores the new spec; stale running trials become interrupted.
    /// Returns the stored trials.
    /// `dataFingerprint` is the data's (`DataFingerprint`): a stored sweep of other data is
    /// refused unless `restart`.
    func prepare(_ spec: SweepSpec, dataFingerprint: String, restart: Bool) throws -> [TrialRecord] {
        let fresh = SweepRecord(
            name: sweepName, specJSON: spec.canonicalJSON, created: Date(), status: .running, dataFingerprint: dataFingerprint)
        guard let existing = try store.sweep(named: sweepName) else {
            try store.createSweep(fresh)
            return []
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
        try store.interruptRunningTrials(sweep: sweepName)
        try store.setSweepStatus(sweepName, .running)
        return try store.trials(sweep: sweepName)
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
        try store.startTrial(sweep: sweepName, plan: plan, at: date)
    }

    func finish(_ outcome: TrialOutcome) throws {
        try store.finish(sweep: sweepName, record: outcome.record, epochs: outcome.epochs, model: outcome.model)
    }

    func interruptRunning() throws -> Int {
        try store.interruptRunningTrials(sweep: sweepName)
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
