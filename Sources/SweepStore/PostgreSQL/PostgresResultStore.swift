import Foundation
import PostgresNIO
import SweepKit

/// The `ResultStore` in a PostgreSQL database (`--db postgresql://…`): what the SQLite store
/// holds, with the same semantics (the same backend test suite runs against both), in a
/// database that many `sweep run` processes on many machines share (`SharedTrialStore`).
///
/// Every method is one transaction on a connection borrowed from `PostgresConnections`, which
/// retries it with back-off while the server restarts or the network drops (up to
/// `retryWindow`); each transaction is written so that running it twice leaves what running it
/// once does. Methods block their caller until the server answers.
public final class PostgresResultStore: SharedTrialStore, @unchecked Sendable {
    /// The schema version this program writes (the number of migrations in `PostgresSchema`).
    public static let schemaVersion = PostgresSchema.version
    /// How long a transaction retries a lost connection before the store gives up.
    public static let defaultRetryWindow: TimeInterval = 120

    public let address: PostgresAddress
    let connections: PostgresConnections
    /// This process as a worker of a shared sweep, once it joined one. Guarded by `lock`.
    var worker: Worker?
    let lock = NSLock()
    /// The JSON of the model columns and trial parameters written, as the SQLite store keeps it.
    let modelTexts = StoredJSON.ModelColumnTexts()
    let parameterTexts = StoredJSON.Known<JSONValue>(allowingNonFinite: false)

    /// A joined worker: its id in the `workers` table and the thread beating its heartbeat.
    struct Worker {
        let id: String
        let heartbeat: Heartbeat
    }

    /// Connects to the database at `address`, creating the tables in an empty one and
    /// migrating an older one to `schemaVersion`. The tables live in the connection's current
    /// schema (`PostgresSchema.Contents`), normally `public`.
    ///
    /// - Parameters:
    ///   - schemaVersion: the version to migrate to: tests build older databases with it.
    ///   - creatingTables: false for a command that only reads, which refuses a schema without
    ///     the store's tables (`holdsNoSweeps`) instead of creating them.
    /// - Throws: `PostgresResultStoreError` for an address nothing answers at, a refused user or
    ///   password, a missing database, a database of a newer schema, or a schema holding other
    ///   tables and none of the store's (`notASweepDatabase`, left as it is).
    public convenience init(
        address: PostgresAddress, retryWindow: TimeInterval = defaultRetryWindow, schemaVersion: Int = schemaVersion,
        creatingTables: Bool = true
    ) throws {
        try self.init(readingOnly: address, retryWindow: retryWindow)
        try PostgresSchema.migrate(connections, upTo: schemaVersion, creatingTables: creatingTables)
    }

    /// Connects for a reader that must never write (`sweep dashboard`): no tables created, no
    /// migration. Its schema version is `storedSchemaVersion()`, which the reader checks.
    public init(readingOnly address: PostgresAddress, retryWindow: TimeInterval) throws {
        self.address = address
        connections = PostgresConnections(address: address, retryWindow: retryWindow)
        do {
            try connections.checkReachable()
        } catch {
            throw connections.explained(error)
        }
    }

    deinit {
        worker?.heartbeat.stop()
    }

    /// The schema version recorded in the database (equal to `schemaVersion` once opened); 0
    /// for a schema without tables.
    ///
    /// - Throws: `PostgresResultStoreError.notASweepDatabase` for a schema holding other tables
    ///   and none of the store's (a reader opened `readingOnly` learns it here).
    public func storedSchemaVersion() throws -> Int {
        let found = try connections.retrying(PostgresSchema.contents)
        try found.check(creatingTables: true, target: Self.schemaVersion, address: address)
        return found.version
    }

    var workerID: String? { lock.withLock { worker?.id } }

    // MARK: Sweeps

    public func sweep(named name: String) throws -> SweepRecord? {
        try connections.retrying { link in
            try link.rows("SELECT name, spec_json, created, status, data_fingerprint FROM sweeps WHERE name = \(name)")
                .first.map(Self.sweepRecord)
        }
    }

    public func createSweep(_ sweep: SweepRecord) throws {
        let inserted = try connections.transaction { link in
            try link.execute("""
                INSERT INTO sweeps (name, spec_json, created, status, data_fingerprint)
                VALUES (\(sweep.name), \(sweep.specJSON), \(sweep.created.timeIntervalSince1970), \(sweep.status.rawValue),
                    \(sweep.dataFingerprint))
                ON CONFLICT (name) DO NOTHING
                """)
        }
        guard inserted == 1 else { throw ResultStoreError.sweepAlreadyExists(sweep.name) }
    }

    public func deleteSweep(named name: String) throws {
        // Trials, metrics, epochs, models and workers go with it (ON DELETE CASCADE).
        try connections.transaction { link in try link.execute("DELETE FROM sweeps WHERE name = \(name)") }
    }

    public func setSweepStatus(_ name: String, _ status: SweepStatus) throws {
        let changed = try connections.transaction { link in
            try link.execute("UPDATE sweeps SET status = \(status.rawValue) WHERE name = \(name)")
        }
        guard changed > 0 else { throw ResultStoreError.sweepNotFound(name) }
    }

    public func updateSweep(_ name: String, specJSON: String, dataFingerprint: String) throws {
        let changed = try connections.transaction { link in
            try link.execute("UPDATE sweeps SET spec_json = \(specJSON), data_fingerprint = \(dataFingerprint) WHERE name = \(name)")
        }
        guard changed > 0 else { throw ResultStoreError.sweepNotFound(name) }
    }

    public func sweeps() throws -> [SweepOverview] {
        try connections.retrying { link in
            var counts: [Int: [TrialStatus: Int]] = [:]
            for row in try link.rows("SELECT sweep_id, status, COUNT(*) FROM trials GROUP BY sweep_id, status") {
                let (sweepID, statusText, count) = try row.decode((Int, String, Int).self)
                counts[sweepID, default: [:]][try Self.status(TrialStatus.self, statusText, column: "trials.status")] = count
            }
            return try link.rows("SELECT name, spec_json, created, status, data_fingerprint, id FROM sweeps ORDER BY created, name")
                .map { row in
                    let id = try row.makeRandomAccess()["id"].decode(Int.self)
                    return SweepOverview(sweep: try Self.sweepRecord(row), trialCounts: counts[id] ?? [:])
                }
        }
    }

    // MARK: Trials

    public func startTrial(sweep: String, plan: TrialPlan, at date: Date) throws {
        let worker = workerID
        try connections.transaction { link in
            let sweepID = try Self.lockSweep(link, sweep, exclusive: false)
            try Self.startTrialRow(link, sweepID: sweepID, plan: plan, at: date, worker: worker, texts: parameterTexts)
        }
    }

    /// Inserts the trial as running on `worker`, or marks the stored one so and drops the
    /// outcome of its earlier attempt (end time, metrics, epochs, weights).
    static func startTrialRow(
        _ link: PostgresLink, sweepID: Int, plan: TrialPlan, at date: Date, worker: String?,
        texts: StoredJSON.Known<JSONValue>
    ) throws {
        let parameters = try texts.text(plan.parameters)
        let trialID = try link.value("""
            INSERT INTO trials (sweep_id, number, parameters_json, configuration_json, seed, status, started_at, worker_id)
            VALUES (\(sweepID), \(plan.number), \(parameters), \(plan.configurationJSON), \(String(plan.seed)),
                \(TrialStatus.running.rawValue), \(date.timeIntervalSince1970), \(worker))
            ON CONFLICT (sweep_id, number) DO UPDATE SET
                parameters_json = excluded.parameters_json, configuration_json = excluded.configuration_json,
                seed = excluded.seed, status = excluded.status, started_at = excluded.started_at,
                worker_id = excluded.worker_id, ended_at = NULL, train_seconds = NULL, train_seconds_kind = NULL,
                epochs_run = NULL, best_epoch = NULL, diverged_epoch = NULL, error_message = NULL
            RETURNING id
            """, as: Int.self)
        guard let trialID else { throw PostgresResultStoreError.corrupt("trial \(plan.number) was not stored") }
        for table in ["trial_metrics", "fold_metrics", "epochs", "models"] {
            try link.execute(PostgresQuery(unsafeSQL: "DELETE FROM \(table) WHERE trial_id = $1", binds: bindings(trialID)))
        }
    }

    /// Writes the whole record, its metrics, epochs and model in one transaction. A trial that
    /// another worker already finished (it took the trial over from this one, which had stopped
    /// beating) keeps that worker's result: the first to finish wins.
    public func finish(sweep: String, record: TrialRecord, epochs: [EpochRecord], model: TrainedModel?) throws {
        if let duplicate = epochs.firstDuplicate {
            throw ResultStoreError.duplicateEpoch(sweep: sweep, trial: record.number, fold: duplicate.fold, epoch: duplicate.epoch)
        }
        let worker = workerID
        let parameters = try parameterTexts.text(record.plan.parameters)
        let modelColumns = try model.map { try ModelColumns($0, texts: modelTexts) }
        try connections.transaction { link in
            let sweepID = try Self.lockSweep(link, sweep, exclusive: false)
            if let worker, let stored = try link.rows("""
                SELECT status, worker_id FROM trials WHERE sweep_id = \(sweepID) AND number = \(record.number) FOR UPDATE
                """).first {
                let (status, owner) = try stored.decode((String, String?).self)
                if TrialStatus(rawValue: status)?.isFinal == true, let owner, owner != worker { return }
            }
            let trainSeconds = StoredNumber(record.trainSeconds)
            let trialID = try link.value("""
                INSERT INTO trials (sweep_id, number, parameters_json, configuration_json, seed, status, started_at,
                    ended_at, train_seconds, train_seconds_kind, epochs_run, best_epoch, diverged_epoch, error_message, worker_id)
                VALUES (\(sweepID), \(record.number), \(parameters), \(record.plan.configurationJSON), \(String(record.plan.seed)),
                    \(record.status.rawValue), \(record.startedAt?.timeIntervalSince1970), \(record.endedAt?.timeIntervalSince1970),
                    \(trainSeconds.value), \(trainSeconds.kind?.rawValue), \(record.epochsRun), \(record.bestEpoch),
                    \(record.divergedEpoch), \(record.errorMessage), \(worker))
                ON CONFLICT (sweep_id, number) DO UPDATE SET
                    parameters_json = excluded.parameters_json, configuration_json = excluded.configuration_json,
                    seed = excluded.seed, status = excluded.status, started_at = excluded.started_at,
                    ended_at = excluded.ended_at, train_seconds = excluded.train_seconds,
                    train_seconds_kind = excluded.train_seconds_kind, epochs_run = excluded.epochs_run,
                    best_epoch = excluded.best_epoch, diverged_epoch = excluded.diverged_epoch,
                    error_message = excluded.error_message, worker_id = excluded.worker_id
                RETURNING id
                """, as: Int.self)
            guard let trialID else { throw ResultStoreError.trialNotFound(sweep: sweep, trial: record.number) }
            try Self.replaceMetrics(link, trialID: trialID, metrics: record.metrics, foldMetrics: record.foldMetrics)
            try Self.replaceEpochs(link, trialID: trialID, epochs: epochs)
            try link.execute("DELETE FROM models WHERE trial_id = \(trialID)")
            if let modelColumns { try modelColumns.insert(link, trialID: trialID) }
        }
    }

    @discardableResult
    public func interruptRunningTrials(sweep: String) throws -> Int {
        try connections.transaction { link in
            let sweepID = try Self.lockSweep(link, sweep, exclusive: false)
            return try link.execute("""
                UPDATE trials SET status = \(TrialStatus.interrupted.rawValue)
                WHERE sweep_id = \(sweepID) AND status = \(TrialStatus.running.rawValue)
                """)
        }
    }

    public func keepWeights(sweep: String, of kept: Set<Int>) throws {
        try connections.transaction { link in
            let sweepID = try Self.requireSweepID(link, sweep)
            try link.execute("""
                DELETE FROM models USING trials
                WHERE models.trial_id = trials.id AND trials.sweep_id = \(sweepID) AND NOT (trials.number = ANY(\(Array(kept))))
                """)
        }
    }

    // MARK: Identifiers and locks

    static func sweepID(_ link: PostgresLink, _ name: String) throws -> Int? {
        try link.value("SELECT id FROM sweeps WHERE name = \(name)", as: Int.self)
    }

    static func requireSweepID(_ link: PostgresLink, _ name: String) throws -> Int {
        guard let id = try sweepID(link, name) else { throw ResultStoreError.sweepNotFound(name) }
        return id
    }

    /// The sweep's id, its row locked until the transaction ends: in share mode by every
    /// writer of its trials, exclusively (for no key update) by a claim, which so sees every
    /// trial write committed before it and none in flight.
    static func lockSweep(_ link: PostgresLink, _ name: String, exclusive: Bool) throws -> Int {
        let query: PostgresQuery = exclusive
            ? "SELECT id FROM sweeps WHERE name = \(name) FOR NO KEY UPDATE"
            : "SELECT id FROM sweeps WHERE name = \(name) FOR SHARE"
        guard let id = try link.value(query, as: Int.self) else { throw ResultStoreError.sweepNotFound(name) }
        return id
    }

    static func bindings(_ values: Int...) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values { bindings.append(value) }
        return bindings
    }
}
