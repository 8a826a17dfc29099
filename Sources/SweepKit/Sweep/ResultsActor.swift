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
    /// `restart`; stale running trials become interrupted; missing trials are added as pending.
    /// Returns the numbers of the trials that are already final.
    func prepare(_ spec: SweepSpec, restart: Bool) throws -> Set<Int> {
        if let existing = try store.sweep(named: sweepName) {
            if existing.specJSON != spec.canonicalJSON {
                guard restart else { throw SweepRunError.specChanged(name: sweepName) }
                try store.deleteSweep(named: sweepName)
                try store.createSweep(SweepRecord(name: sweepName, specJSON: spec.canonicalJSON, created: Date(), status: .running))
            } else if restart {
                try store.deleteSweep(named: sweepName)
                try store.createSweep(SweepRecord(name: sweepName, specJSON: spec.canonicalJSON, created: Date(), status: .running))
            } else {
                try store.interruptRunningTrials(sweep: sweepName)
                try store.setSweepStatus(sweepName, .running)
            }
        } else {
            try store.createSweep(SweepRecord(name: sweepName, specJSON: spec.canonicalJSON, created: Date(), status: .running))
        }
        try store.addPendingTrials(spec.plans, sweep: sweepName)
        return try store.finalTrialNumbers(sweep: sweepName)
    }

    func trials() throws -> [TrialRecord] {
        try store.trials(sweep: sweepName)
    }

    func markRunning(_ trial: Int, at date: Date) throws {
        try store.markRunning(sweep: sweepName, trial: trial, at: date)
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

    func keepWeights(best keep: Int, metric: MetricName) throws {
        try store.keepWeights(sweep: sweepName, best: keep, metric: metric)
    }
}
