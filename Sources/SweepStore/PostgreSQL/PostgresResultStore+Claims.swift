import Foundation
import PostgresNIO
import SweepKit

// Many processes, one sweep: workers, heartbeats and claims (`SharedTrialStore`).
extension PostgresResultStore {
    public func join(sweep: String, heartbeat: Double, grace: Double) throws {
        let id = UUID().uuidString.lowercased()
        let host = ProcessInfo.processInfo.hostName
        let pid = Int(ProcessInfo.processInfo.processIdentifier)
        try connections.transaction { link in
            let sweepID = try Self.requireSweepID(link, sweep)
            try link.execute("""
                INSERT INTO workers (id, sweep_id, host, pid, grace_seconds) VALUES (\(id), \(sweepID), \(host), \(pid), \(grace))
                ON CONFLICT (id) DO NOTHING
                """)
            return ()
        }
        let beat = Heartbeat(interval: heartbeat) { [connections] in
            _ = try connections.retrying { link in try link.execute("UPDATE workers SET beat_at = now() WHERE id = \(id)") }
        }
        lock.withLock { worker = Worker(id: id, heartbeat: beat) }
    }

    @discardableResult
    public func leave(sweep: String) throws -> Int {
        guard let worker = lock.withLock({ worker }) else { return 0 }
        worker.heartbeat.stop()
        let interrupted = try interruptOwnTrials(sweep: sweep)
        _ = try connections.transaction { link in try link.execute("DELETE FROM workers WHERE id = \(worker.id)") }
        lock.withLock { self.worker = nil }
        return interrupted
    }

    @discardableResult
    public func interruptOwnTrials(sweep: String) throws -> Int {
        guard let id = workerID else { return 0 }
        return try connections.transaction { link in
            let sweepID = try Self.lockSweep(link, sweep, exclusive: false)
            return try link.execute("""
                UPDATE trials SET status = \(TrialStatus.interrupted.rawValue)
                WHERE sweep_id = \(sweepID) AND status = \(TrialStatus.running.rawValue) AND worker_id = \(id)
                """)
        }
    }

    public func liveWorkers(sweep: String) throws -> Int {
        try connections.retrying { link in
            try link.value("""
                SELECT COUNT(*) FROM workers JOIN sweeps ON sweeps.id = workers.sweep_id
                WHERE sweeps.name = \(sweep) AND workers.beat_at >= now() - make_interval(secs => workers.grace_seconds)
                """, as: Int.self) ?? 0
        }
    }

    public func claim(sweep: String, _ request: TrialClaimRequest, decide: (TrialClaimView) throws -> TrialClaimDecision) throws {
        guard let me = workerID else { preconditionFailure("claim before join") }
        let parameterTexts = self.parameterTexts
        try connections.transaction { link in
            let sweepID = try Self.lockSweep(link, sweep, exclusive: true)
            let changed = try Self.trials(
                link, where: "sweep_id = $1 AND revision > $2 ORDER BY number",
                bindings: {
                    var bindings = PostgresBindings()
                    bindings.append(sweepID)
                    bindings.append(request.afterRevision)
                    return bindings
                }())
            var epochs: [Int: [EpochRecord]] = [:]
            let ended = changed.filter(\.record.status.isFinal)
            if request.withEpochs, !ended.isEmpty {
                let numbers = Dictionary(uniqueKeysWithValues: ended.map { ($0.id, $0.record.number) })
                var bindings = PostgresBindings()
                bindings.append(Array(numbers.keys))
                for (trialID, epoch) in try Self.epochs(link, where: "trial_id = ANY($1)", bindings: bindings) {
                    epochs[numbers[trialID]!, default: []].append(epoch)
                }
            }
            let rerun = try Self.firstRerun(link, sweepID: sweepID, worker: me, inProgress: request.inProgress)
            let elsewhere = try link.value("""
                SELECT COUNT(*) FROM trials
                WHERE sweep_id = \(sweepID) AND status = \(TrialStatus.running.rawValue) AND worker_id IS DISTINCT FROM \(me)
                """, as: Int.self) ?? 0
            let view = TrialClaimView(
                changed: changed.map(\.record), epochs: epochs, revision: changed.map(\.revision).max() ?? request.afterRevision,
                rerun: rerun, runningElsewhere: elsewhere)
            if case .start(let plan, let date) = try decide(view) {
                try Self.startTrialRow(link, sweepID: sweepID, plan: plan, at: date, worker: me, texts: parameterTexts)
            }
        }
    }

    /// The lowest-numbered trial of the sweep to run again: interrupted, planned by an old
    /// sweep (`pending`), or running on a worker that is gone: one silent for its grace period
    /// (measured on the server's clock, and not before the server itself has been up that
    /// long, so that a restarted server does not take every trial from workers that had no
    /// chance to beat), a worker that left, or this worker when the trial is not among those it
    /// runs (a claim whose answer the connection lost).
    static func firstRerun(_ link: PostgresLink, sweepID: Int, worker: String, inProgress: Set<Int>) throws -> TrialPlan? {
        var bindings = PostgresBindings()
        bindings.append(sweepID)
        bindings.append(worker)
        bindings.append(Array(inProgress))
        let found = try trials(
            link,
            where: """
                sweep_id = $1 AND status IN ('running', 'interrupted', 'pending') AND (
                    status = 'interrupted' OR status = 'pending'
                    OR status = 'running' AND (
                        worker_id IS NULL
                        OR worker_id = $2 AND NOT (number = ANY($3))
                        OR worker_id <> $2 AND EXISTS (
                            SELECT 1 FROM workers WHERE workers.id = trials.worker_id
                                AND workers.beat_at < now() - make_interval(secs => workers.grace_seconds)
                                AND pg_postmaster_start_time() < now() - make_interval(secs => workers.grace_seconds))))
                ORDER BY number LIMIT 1
                """,
            bindings: bindings)
        return found.first?.record.plan
    }
}

/// A thread that calls `beat` every `interval` seconds until stopped. A beat that fails (the
/// store gave up retrying) is tried again at the next interval.
final class Heartbeat: @unchecked Sendable {
    private let stopped = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var isStopped = false

    init(interval: Double, beat: @escaping @Sendable () throws -> Void) {
        let thread = Thread { [stopped, finished] in
            while stopped.wait(timeout: .now() + interval) == .timedOut {
                try? beat()
            }
            finished.signal()
        }
        thread.name = "sweep-heartbeat"
        thread.start()
    }

    /// Stops the thread and waits for a beat in progress to end.
    func stop() {
        let first = lock.withLock {
            defer { isStopped = true }
            return !isStopped
        }
        guard first else { return }
        stopped.signal()
        finished.wait()
    }
}
