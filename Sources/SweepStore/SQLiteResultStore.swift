import Foundation
import GRDB
import SweepKit

/// The `ResultStore` of the CLI: one SQLite file (results/sweeps.sqlite by default) holding
/// every sweep, trial, epoch and kept model. The tables are declared in `Schema`.
///
/// The file is opened in WAL mode with `synchronous = NORMAL`: readers never wait for the writer,
/// and a killed process loses no committed transaction (a power cut may lose the last few). A
/// writer that finds the file locked by another process waits up to `busyTimeout` instead of
/// failing, so `sweep list` can run beside a live sweep, and foreign keys are enforced, so
/// deleting a sweep deletes everything under it.
///
/// Every method is one transaction. Its one piece of mutable state, the last model's column
/// JSON kept for reuse, is behind a lock, so it is `Sendable`.
public final class SQLiteResultStore: ResultStore {
    /// The schema version this program writes (the number of migrations in `Schema`).
    public static let schemaVersion = Schema.version
    /// How long a write waits for another connection's write lock before it fails.
    public static let busyTimeout: TimeInterval = 5

    public let path: String
    /// A pool in WAL mode; a single read-only connection when the file cannot be written
    /// (`openForReading`).
    let database: any DatabaseWriter
    /// Read as the file was last written in full, without what is still in its `-wal` file.
    public let readsLastSaved: Bool
    /// The JSON of the model columns stored, and each planned trial's `parameters_json`
    /// (written when the sweep is planned and again when the trial finishes): its only state
    /// besides the database, caches of JSON it wrote.
    let modelTexts = StoredJSON.ModelColumnTexts()
    let parameterTexts = StoredJSON.Known<JSONValue>(allowingNonFinite: false)

    /// Opens (creating it and its parent directories if needed) the database at `path` and
    /// migrates it to `schemaVersion`.
    ///
    /// - Parameter creatingTables: false for a command that only reads, which refuses a file
    ///   without the store's tables (`holdsNoSweeps`) instead of creating them.
    /// - Throws: `SQLiteResultStoreError.newerSchema` when a newer sweep wrote the file,
    ///   `notASweepDatabase` for another program's SQLite database (refused before anything is
    ///   written to it, WAL mode included), or the `DatabaseError` of a file that is not an
    ///   SQLite database.
    public init(path: String, creatingTables: Bool = true) throws {
        try Self.refuseUnlessRegularFile(path)
        switch Self.contentsReadOnly(path: path) {
        case .foreign(let tables)?:
            throw SQLiteResultStoreError.notASweepDatabase(path: path, tables: tables)
        case .empty? where !creatingTables:
            throw SQLiteResultStoreError.holdsNoSweeps(path: path)
        case nil where !creatingTables && !FileManager.default.fileExists(atPath: path):
            throw SQLiteResultStoreError.holdsNoSweeps(path: path)
        default:
            break
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw SQLiteResultStoreError.cannotOpen(path: path, reason: "its folder \(directory.path) cannot be created (\(error.localizedDescription))")
        }
        var configuration = Configuration()
        configuration.label = "sweep results"
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(Self.busyTimeout)
        // DatabasePool itself puts the file in WAL mode with synchronous = NORMAL.
        self.path = path
        readsLastSaved = false
        do {
            database = try Self.openPool(path: path, configuration: configuration)
            try Schema.migrate(database, path: path)
        } catch let error as DatabaseError {
            throw Self.explained(error, path: path)
        }
    }

    /// How a reader that never writes connects to a file of the current schema.
    enum ReadingConnection {
        /// An ordinary connection that reads the WAL as any reader does, creating the `-wal` and
        /// `-shm` files when they are missing (which a read-only connection cannot always do),
        /// and leaves the file itself as it was: no WAL set-up, no migration, no write.
        case plain
        /// A read-only connection: it also sees what a running sweep has committed to the WAL
        /// (`openLiveForReading`).
        case readOnly
        /// Read-only, as the file was last written in full (SQLite's `immutable`): a WAL database
        /// needs its `-shm` file, which a reader who cannot write the folder cannot create.
        case lastSaved
    }

    /// Opens the file for reading alone, through `connection`.
    init(readingPath path: String, through connection: ReadingConnection) throws {
        try Self.refuseUnlessRegularFile(path)
        var configuration = Configuration()
        configuration.label = "sweep results (read-only)"
        configuration.readonly = connection != .plain
        // A live reader may meet a checkpoint's brief lock; it waits rather than failing.
        if connection != .lastSaved { configuration.busyMode = .timeout(1) }
        self.path = path
        readsLastSaved = connection == .lastSaved
        do {
            let uri = "file:" + (path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? path) + "?immutable=1"
            database = try DatabaseQueue(path: connection == .lastSaved ? uri : path, configuration: configuration)
            let stored: Int
            switch try database.read(Schema.contents) {
            case .empty: throw SQLiteResultStoreError.holdsNoSweeps(path: path)
            case .foreign(let tables): throw SQLiteResultStoreError.notASweepDatabase(path: path, tables: tables)
            case .sweeps(let version): stored = version
            }
            guard stored == Schema.version else {
                throw stored > Schema.version
                    ? SQLiteResultStoreError.newerSchema(path: path, found: stored, supported: Schema.version)
                    : SQLiteResultStoreError.cannotOpen(
                        path: path,
                        reason: "it was written by an older sweep (schema version \(stored)) and cannot be upgraded where it is, since it cannot be written; copy it somewhere writable and pass that --db")
            }
        } catch let error as DatabaseError {
            throw Self.explained(error, path: path)
        }
    }

    /// The store for commands that only read (list, leaderboard, export): a file of the current
    /// schema through one plain connection (`ReadingConnection.plain`), which neither changes
    /// the file nor waits for a sweep's write; the usual opening, which writes, only for a file
    /// an older sweep wrote (upgraded here), one that is busy or that the usual opening explains.
    /// The pool of the usual opening wrote to a file whose `-wal` file was missing or empty (a
    /// table made and dropped, GRDB's way to set WAL mode up), so `sweep list` changed the file
    /// and waited, then failed, while another program held a write transaction. A file that
    /// cannot be written (a file or folder the user may only read, a read-only mount) is read as
    /// the last writer checkpointed it: results a sweep wrote moments ago may still be in its
    /// `-wal` file.
    public static func openForReading(path: String) throws -> SQLiteResultStore {
        do {
            if inspect(path: path) == .current { return try SQLiteResultStore(readingPath: path, through: .plain) }
            return try SQLiteResultStore(path: path, creatingTables: false)
        } catch SQLiteResultStoreError.cannotOpen(let path, let reason) {
            guard FileManager.default.isReadableFile(atPath: path) else { throw SQLiteResultStoreError.cannotOpen(path: path, reason: reason) }
            return try SQLiteResultStore(readingPath: path, through: .lastSaved)
        }
    }

    /// Refuses, before SQLite opens it, a path that names something other than a regular file
    /// (its links followed): a directory; a device such as /dev/null, beside which SQLite would
    /// create its journal; a FIFO, whose reading would wait for a writer forever; a socket.
    /// Nothing there yet is fine: the file is created.
    static func refuseUnlessRegularFile(_ path: String) throws(SQLiteResultStoreError) {
        var status = stat()
        guard stat(path, &status) == 0 else { return }
        let kind: String
        switch status.st_mode & S_IFMT {
        case S_IFREG: return
        case S_IFDIR: throw .isDirectory(path: path)
        case S_IFCHR: kind = "a character device"
        case S_IFBLK: kind = "a block device (a disk)"
        case S_IFIFO: kind = "a FIFO (a named pipe)"
        case S_IFSOCK: kind = "a socket"
        default: kind = "something other than a file"
        }
        throw .notARegularFile(path: path, kind: kind)
    }

    /// What the tables of the file at `path` make it, read through a read-only connection so that
    /// nothing is written to a file that may be another program's; nil when there is no file, or
    /// it cannot be read that way (not SQLite, locked, a WAL file whose folder cannot be
    /// written), which opening it then explains.
    static func contentsReadOnly(path: String) -> Schema.Contents? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        var configuration = Configuration()
        configuration.label = "sweep results (what the file holds)"
        configuration.readonly = true
        return try? DatabaseQueue(path: path, configuration: configuration).read(Schema.contents)
    }

    /// The store's own error for an SQLite failure a person can act on; others as they are.
    static func explained(_ error: DatabaseError, path: String) -> any Error {
        switch error.resultCode {
        case .SQLITE_FULL:
            return SQLiteResultStoreError.diskFull(path: path)
        case .SQLITE_NOTADB:
            return SQLiteResultStoreError.notADatabase(path: path)
        case .SQLITE_CORRUPT:
            return SQLiteResultStoreError.damaged(path: path, problems: [error.message ?? "database disk image is malformed"])
        case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_READONLY, .SQLITE_AUTH:
            let reason: String
            if !FileManager.default.isReadableFile(atPath: path), FileManager.default.fileExists(atPath: path) {
                reason = "you may not read it; check its permissions"
            } else if error.resultCode == .SQLITE_READONLY || !FileManager.default.isWritableFile(atPath: path) {
                reason = "it or its folder cannot be written (a read-only file, folder or mount); sweep needs to write beside it, so copy it somewhere writable and pass that --db"
            } else {
                reason = "SQLite says \(error.message ?? "unable to open database file"); check that the path and its folder exist and can be written"
            }
            return SQLiteResultStoreError.cannotOpen(path: path, reason: reason)
        default:
            return error
        }
    }

    /// `database.read`, with the failures a person can act on explained.
    func reading<T>(_ value: (Database) throws -> T) throws -> T {
        do {
            return try database.read(value)
        } catch let error as DatabaseError {
            throw Self.explained(error, path: path)
        }
    }

    /// One IMMEDIATE transaction, as `database.write` makes it, with the failures a person can
    /// act on explained. BEGIN and COMMIT are cached statements: `write` compiles both again for
    /// every transaction, and a sweep writes two for every trial.
    func writing<T>(_ updates: (Database) throws -> T) throws -> T {
        do {
            return try database.writeWithoutTransaction { db in
                try db.cachedStatement(sql: "BEGIN IMMEDIATE").execute()
                do {
                    let result = try updates(db)
                    try db.cachedStatement(sql: "COMMIT").execute()
                    return result
                } catch {
                    // A failed COMMIT (a full disk) may leave the transaction open.
                    if db.isInsideTransaction { try? db.execute(sql: "ROLLBACK") }
                    throw error
                }
            }
        } catch let error as DatabaseError {
            throw Self.explained(error, path: path)
        }
    }

    /// Runs SQLite's quick integrity check (every page and index, without cross-checking index
    /// contents: linear in the file's size), throwing `damaged` with what it found.
    public func checkIntegrity() throws {
        let findings = try reading { db in try String.fetchAll(db, sql: "PRAGMA quick_check") }
        guard findings == ["ok"] else {
            // Lines such as "*** in database main ***" head the real findings.
            let problems = findings.flatMap { $0.split(separator: "\n") }.map(String.init).filter { !$0.hasPrefix("***") }
            throw SQLiteResultStoreError.damaged(path: path, problems: problems)
        }
    }

    /// Opens the pool, retrying while another process holds the lock: switching a new file to
    /// WAL mode does not wait on the busy timeout the way reads and writes do, so two processes
    /// opening the same new file at once would otherwise fail.
    private static func openPool(path: String, configuration: Configuration) throws -> any DatabaseWriter {
        let deadline = Date().addingTimeInterval(busyTimeout)
        while true {
            do {
                return try DatabasePool(path: path, configuration: configuration)
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && Date() < deadline {
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
    }

    /// The schema version recorded in the file (equal to `schemaVersion` once opened).
    public func storedSchemaVersion() throws -> Int {
        try database.read(Schema.storedVersion)
    }

    // MARK: Sweeps

    public func sweep(named name: String) throws -> SweepRecord? {
        try reading { db in
            try Row.fetchOne(db, sql: "SELECT * FROM sweeps WHERE name = ?", arguments: [name]).map(Self.sweepRecord)
        }
    }

    public func createSweep(_ sweep: SweepRecord) throws {
        try writing { db in
            guard try Self.sweepID(db, sweep.name) == nil else { throw ResultStoreError.sweepAlreadyExists(sweep.name) }
            try db.execute(
                sql: "INSERT INTO sweeps (name, spec_json, created, status, data_fingerprint) VALUES (?, ?, ?, ?, ?)",
                arguments: [
                    sweep.name, sweep.specJSON, sweep.created.timeIntervalSince1970, sweep.status.rawValue, sweep.dataFingerprint,
                ])
        }
    }

    public func deleteSweep(named name: String) throws {
        // Trials, their metrics, epochs and models go with it (ON DELETE CASCADE).
        try writing { db in try db.execute(sql: "DELETE FROM sweeps WHERE name = ?", arguments: [name]) }
    }

    public func setSweepStatus(_ name: String, _ status: SweepStatus) throws {
        try writing { db in
            try db.execute(sql: "UPDATE sweeps SET status = ? WHERE name = ?", arguments: [status.rawValue, name])
            guard db.changesCount > 0 else { throw ResultStoreError.sweepNotFound(name) }
        }
    }

    public func sweeps() throws -> [SweepOverview] {
        try reading { db in
            var counts: [Int64: [TrialStatus: Int]] = [:]
            let countRows = try Row.fetchAll(
                db, sql: "SELECT sweep_id, status, COUNT(*) AS count FROM trials GROUP BY sweep_id, status")
            for row in countRows {
                let status = try Self.decodeStatus(TrialStatus.self, row, column: "status")
                counts[try row.decode(forColumn: "sweep_id"), default: [:]][status] = try row.decode(forColumn: "count")
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM sweeps ORDER BY created, name").map { row in
                SweepOverview(sweep: try Self.sweepRecord(row), trialCounts: counts[try row.decode(forColumn: "id")] ?? [:])
            }
        }
    }

    // MARK: Trials

    public func updateSweep(_ name: String, specJSON: String, dataFingerprint: String) throws {
        try writing { db in
            try db.execute(
                sql: "UPDATE sweeps SET spec_json = ?, data_fingerprint = ? WHERE name = ?",
                arguments: [specJSON, dataFingerprint, name])
            guard db.changesCount > 0 else { throw ResultStoreError.sweepNotFound(name) }
        }
    }

    /// Inserts the trial as running or, when it is stored, marks it running and drops the outcome
    /// of any earlier attempt (end time, metrics, epochs, weights): a record never mixes two.
    public func startTrial(sweep: String, plan: TrialPlan, at date: Date) throws {
        try writing { db in try start(db, sweep: sweep, plan: plan, at: date) }
    }

    private func start(_ db: Database, sweep: String, plan: TrialPlan, at date: Date) throws {
        let sweepID = try Self.requireSweepID(db, sweep)
        let parametersJSON = try parameterTexts.text(plan.parameters)
        // A new trial, nearly always: one insert, with nothing of an earlier attempt to drop.
        try db.cachedStatement(
            sql: """
                INSERT INTO trials (sweep_id, number, parameters_json, configuration_json, seed, status, started_at)
                VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sweep_id, number) DO NOTHING
                """
        ).execute(arguments: [
            sweepID, plan.number, parametersJSON, plan.configurationJSON, String(plan.seed), TrialStatus.running.rawValue,
            date.timeIntervalSince1970,
        ])
        guard db.changesCount == 0 else { return }
        let trialID = try Int64.fetchOne(
            db.cachedStatement(
                sql: """
                    UPDATE trials SET parameters_json = ?, configuration_json = ?, seed = ?, status = ?, started_at = ?,
                        ended_at = NULL, train_seconds = NULL, train_seconds_kind = NULL, epochs_run = NULL,
                        best_epoch = NULL, diverged_epoch = NULL, error_message = NULL
                    WHERE sweep_id = ? AND number = ? RETURNING id
                    """),
            arguments: [
                parametersJSON, plan.configurationJSON, String(plan.seed), TrialStatus.running.rawValue,
                date.timeIntervalSince1970, sweepID, plan.number,
            ])
        guard let trialID else { throw ResultStoreError.trialNotFound(sweep: sweep, trial: plan.number) }
        for table in ["trial_metrics", "fold_metrics", "trial_epochs", "models"] {
            try db.cachedStatement(sql: "DELETE FROM \(table) WHERE trial_id = ?").execute(arguments: [trialID])
        }
    }

    /// Writes the whole record (inserting the trial if it was never planned), replaces its
    /// metrics and epochs, and replaces its model (removing it when `model` is nil), all in one
    /// transaction: an error at any step, such as two epochs with the same number, rolls back
    /// every step.
    public func finish(sweep: String, record: TrialRecord, epochs: [EpochRecord], model: TrainedModel?) throws {
        try writing { db in try finish(db, sweep: sweep, record: record, epochs: epochs, model: model) }
    }

    /// All in one transaction: a transaction's cost is mostly its own (the write lock, the
    /// pages its commit appends to the write-ahead log), not its rows'.
    public func write(_ writes: [TrialWrite], sweep: String) throws {
        try writing { db in
            for write in writes {
                switch write {
                case .start(let plan, let date):
                    try start(db, sweep: sweep, plan: plan, at: date)
                case .finish(let record, let epochs, let model):
                    try finish(db, sweep: sweep, record: record, epochs: epochs, model: model)
                }
            }
        }
    }

    private func finish(_ db: Database, sweep: String, record: TrialRecord, epochs: [EpochRecord], model: TrainedModel?) throws {
        let trainSeconds = StoredNumber(record.trainSeconds)
        // The plan's columns, then the outcome's, then the key.
        var values: [(any DatabaseValueConvertible)?] = [
            try parameterTexts.text(record.plan.parameters), record.plan.configurationJSON, String(record.plan.seed),
            record.status.rawValue, record.startedAt?.timeIntervalSince1970, record.endedAt?.timeIntervalSince1970,
            trainSeconds.value, trainSeconds.kind?.rawValue, record.epochsRun, record.bestEpoch, record.divergedEpoch,
            record.errorMessage, sweep, record.number,
        ]
        // Stored as running when it started, nearly always: an update of its row.
        var trialID = try Int64.fetchOne(
            db.cachedStatement(
                sql: """
                    UPDATE trials SET parameters_json = ?, configuration_json = ?, seed = ?, status = ?, started_at = ?,
                        ended_at = ?, train_seconds = ?, train_seconds_kind = ?, epochs_run = ?, best_epoch = ?,
                        diverged_epoch = ?, error_message = ?
                    WHERE sweep_id = (SELECT id FROM sweeps WHERE name = ?) AND number = ? RETURNING id
                    """),
            arguments: StatementArguments(values))
        if trialID == nil {
            // Never stored: inserted under the sweep's id.
            values[values.count - 2] = try Self.requireSweepID(db, sweep)
            trialID = try Int64.fetchOne(
                db.cachedStatement(
                    sql: """
                        INSERT INTO trials (parameters_json, configuration_json, seed, status, started_at, ended_at,
                            train_seconds, train_seconds_kind, epochs_run, best_epoch, diverged_epoch, error_message,
                            sweep_id, number)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
                        """),
                arguments: StatementArguments(values))
        }
        guard let trialID else { throw ResultStoreError.trialNotFound(sweep: sweep, trial: record.number) }
        try Self.replaceMetrics(db, trialID: trialID, metrics: record.metrics)
        try Self.replaceFoldMetrics(db, trialID: trialID, foldMetrics: record.foldMetrics)
        try Self.replaceEpochs(db, sweep: sweep, trial: record.number, trialID: trialID, epochs: epochs)
        try db.cachedStatement(sql: "DELETE FROM models WHERE trial_id = ?").execute(arguments: [trialID])
        if let model { try Self.insertModel(db, trialID: trialID, model: model, texts: modelTexts) }
    }

    @discardableResult
    public func interruptRunningTrials(sweep: String) throws -> Int {
        try writing { db in
            let sweepID = try Self.requireSweepID(db, sweep)
            try db.execute(
                sql: "UPDATE trials SET status = ? WHERE sweep_id = ? AND status = ?",
                arguments: [TrialStatus.interrupted.rawValue, sweepID, TrialStatus.running.rawValue])
            return db.changesCount
        }
    }

    public func keepWeights(sweep: String, of kept: Set<Int>) throws {
        try writing { db in
            let sweepID = try Self.requireSweepID(db, sweep)
            let numbers = try Int.fetchAll(
                db, sql: "SELECT number FROM trials JOIN models ON models.trial_id = trials.id WHERE trials.sweep_id = ?",
                arguments: [sweepID])
            let delete = try db.cachedStatement(
                sql: "DELETE FROM models WHERE trial_id = (SELECT id FROM trials WHERE sweep_id = ? AND number = ?)")
            for number in numbers where !kept.contains(number) {
                try delete.execute(arguments: [sweepID, number])
            }
        }
    }

    // MARK: Identifiers

    // The statements that run for every trial are cached per connection (`cachedStatement`):
    // compiling them again each time cost more CPU than executing them.

    static func sweepID(_ db: Database, _ name: String) throws -> Int64? {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM sweeps WHERE name = ?"), arguments: [name])
    }

    static func requireSweepID(_ db: Database, _ name: String) throws -> Int64 {
        guard let id = try sweepID(db, name) else { throw ResultStoreError.sweepNotFound(name) }
        return id
    }
}
