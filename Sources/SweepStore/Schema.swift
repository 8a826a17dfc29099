import Foundation
import GRDB
import SweepKit

/// The SQLite schema, declared here and nowhere else; the queries live in `SQLiteResultStore`.
///
/// Each schema version is one migration, applied in order and recorded as a row of
/// `schema_migrations`, so the version of a file is its largest `version` there. A migration is
/// frozen once released: a change to the schema is a new migration, and a database written by
/// each released version is kept as a test fixture (`Tests/SweepStoreTests/Fixtures/v1.sqlite`).
/// The current tables are v1's, with v5's trial_epochs in place of the epochs table (which v2 and
/// v3 rebuilt), and trial_metrics (v2's checks) and v4's fold_metrics as v6 rebuilt them.
///
/// Conventions the queries rely on:
/// - Dates are REAL seconds since 1970-01-01 UTC (microsecond resolution for today's dates), so
///   `datetime(started_at, 'unixepoch')` reads them.
/// - Seeds are TEXT in decimal: a `UInt64` seed may exceed SQLite's largest integer, and the
///   text is what a person copies into `sweep train --seed`.
/// - A `Double` that may be NaN or infinite is a pair of columns, `x` REAL and `x_kind` TEXT
///   ('finite', 'nan', '+inf' or '-inf'), with `x` NULL unless the kind is 'finite' (optuna's
///   `TrialValueModel.value_type`). SQLite silently turns NaN into NULL, so a lone REAL column
///   would lose the difference between "diverged" and "not measured"; the pair keeps it, and
///   `AVG(x)` still averages the finite values. Both columns NULL means the value is absent.
/// - Model weights are a `TensorBlob`: a JSON header and little-endian Float32 values.
/// - A trial's epochs are one `EpochHistory` blob: eight little-endian doubles an epoch.
enum Schema {
    struct Migration: Sendable {
        let identifier: String
        let apply: @Sendable (Database) throws -> Void
    }

    /// Every migration, oldest first; version n is `migrations[n - 1]`.
    static let migrations: [Migration] = [
        Migration(identifier: "v1", apply: createTables),
        Migration(identifier: "v2-equality-kind-checks", apply: rebuildWithEqualityKindChecks),
        Migration(identifier: "v3-epochs-without-foreign-key", apply: rebuildEpochsWithoutForeignKey),
        Migration(identifier: "v4-fold-metrics-fingerprints-target-scales", apply: createFoldMetricsAndFingerprints),
        Migration(identifier: "v5-epochs-per-trial", apply: storeEpochsPerTrial),
        Migration(identifier: "v6-metrics-without-rowid", apply: storeMetricsWithoutRowID),
    ]

    static var version: Int { migrations.count }

    /// Brings the database up to `version`, or throws if a newer program wrote it.
    ///
    /// All pending migrations run in one IMMEDIATE transaction, so two processes opening a new
    /// file at once cannot both create the tables: the second waits (busy timeout), then finds
    /// them. Foreign keys are off meanwhile, as SQLite requires for a migration that rebuilds a
    /// table, and checked before the commit instead.
    static func migrate(_ writer: any DatabaseWriter, path: String) throws {
        // Current already (nearly always): no write lock, so a command that only reads never
        // waits for a sweep's write, and works on a file it may read but not write.
        if try writer.read(storedVersion) == version { return }
        try writer.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA foreign_keys = OFF")
            defer { try? db.execute(sql: "PRAGMA foreign_keys = ON") }
            try db.inTransaction(.immediate) {
                // Another program's database is never given our tables (a mistyped --db).
                if case .foreign(let tables) = try contents(db) {
                    throw SQLiteResultStoreError.notASweepDatabase(path: path, tables: tables)
                }
                try db.execute(sql: """
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version INTEGER PRIMARY KEY,
                        identifier TEXT NOT NULL,
                        applied_at REAL NOT NULL        -- seconds since 1970
                    )
                    """)
                let stored = try storedVersion(db)
                guard stored <= version else {
                    throw SQLiteResultStoreError.newerSchema(path: path, found: stored, supported: version)
                }
                for (index, migration) in migrations.enumerated().dropFirst(stored) {
                    try migration.apply(db)
                    try db.execute(
                        sql: "INSERT INTO schema_migrations (version, identifier, applied_at) VALUES (?, ?, ?)",
                        arguments: [index + 1, migration.identifier, Date().timeIntervalSince1970])
                }
                if try Row.fetchOne(db, sql: "PRAGMA foreign_key_check") != nil {
                    throw SQLiteResultStoreError.corrupt("migrating \(path) broke a foreign key")
                }
                return .commit
            }
        }
    }

    /// What a file's tables make it.
    enum Contents: Equatable {
        /// No tables: a new file, or one a sweep is about to create its tables in.
        case empty
        /// A sweep results database of this schema version (every version has these two tables).
        case sweeps(version: Int)
        /// Another program's database: tables, but not ours.
        case foreign(tables: [String])
    }

    static func contents(_ db: Database) throws -> Contents {
        let tables = try String.fetchAll(db, sql: """
            SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name
            """)
        if tables.isEmpty { return .empty }
        guard tables.contains("schema_migrations"), tables.contains("sweeps") else { return .foreign(tables: tables) }
        return .sweeps(version: try storedVersion(db))
    }

    /// The schema version recorded in the file; 0 for a file without tables.
    static func storedVersion(_ db: Database) throws -> Int {
        guard try db.tableExists("schema_migrations") else { return 0 }
        return try Int.fetchOne(db, sql: "SELECT MAX(version) FROM schema_migrations") ?? 0
    }

    /// v1: sweeps, trials, their metrics and epochs, and the weights of trained models.
    private static func createTables(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE sweeps (
                id INTEGER PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                spec_json TEXT NOT NULL,            -- canonical JSON (sorted keys)
                created REAL NOT NULL,              -- seconds since 1970
                status TEXT NOT NULL                -- SweepStatus raw value
            );

            CREATE TABLE trials (
                id INTEGER PRIMARY KEY,
                sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
                number INTEGER NOT NULL,            -- 1-based within the sweep
                parameters_json TEXT NOT NULL,      -- the searched values, canonical JSON object
                configuration_json TEXT NOT NULL,   -- the complete training configuration
                seed TEXT NOT NULL,                 -- UInt64 in decimal
                status TEXT NOT NULL,               -- TrialStatus raw value
                started_at REAL,
                ended_at REAL,
                train_seconds REAL,
                train_seconds_kind TEXT,
                epochs_run INTEGER,
                best_epoch INTEGER,
                diverged_epoch INTEGER,
                error_message TEXT,
                UNIQUE (sweep_id, number),
                CHECK (seed GLOB '[0-9]*' AND NOT seed GLOB '*[^0-9]*'),
                CHECK (train_seconds_kind IS NULL AND train_seconds IS NULL
                    OR train_seconds_kind IN ('finite', 'nan', '+inf', '-inf')
                        AND (train_seconds IS NOT NULL) = (train_seconds_kind = 'finite'))
            );

            -- Named metrics of a finished trial: MetricName raw values and "best_validation_metric".
            CREATE TABLE trial_metrics (
                trial_id INTEGER NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                value REAL,
                kind TEXT NOT NULL,
                PRIMARY KEY (trial_id, name),
                CHECK (kind IN ('finite', 'nan', '+inf', '-inf') AND (value IS NOT NULL) = (kind = 'finite'))
            );

            CREATE TABLE epochs (
                trial_id INTEGER NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
                fold INTEGER NOT NULL,              -- 1-based
                epoch INTEGER NOT NULL,             -- 1-based
                train_loss REAL,
                train_loss_kind TEXT NOT NULL,
                train_metric REAL,
                train_metric_kind TEXT,
                validation_loss REAL,
                validation_loss_kind TEXT,
                validation_metric REAL,
                validation_metric_kind TEXT,
                learning_rate REAL,
                learning_rate_kind TEXT NOT NULL,
                seconds REAL,
                seconds_kind TEXT NOT NULL,
                PRIMARY KEY (trial_id, fold, epoch),
                CHECK (train_loss_kind IN ('finite', 'nan', '+inf', '-inf')
                    AND (train_loss IS NOT NULL) = (train_loss_kind = 'finite')),
                CHECK (train_metric_kind IS NULL AND train_metric IS NULL
                    OR train_metric_kind IN ('finite', 'nan', '+inf', '-inf')
                        AND (train_metric IS NOT NULL) = (train_metric_kind = 'finite')),
                CHECK (validation_loss_kind IS NULL AND validation_loss IS NULL
                    OR validation_loss_kind IN ('finite', 'nan', '+inf', '-inf')
                        AND (validation_loss IS NOT NULL) = (validation_loss_kind = 'finite')),
                CHECK (validation_metric_kind IS NULL AND validation_metric IS NULL
                    OR validation_metric_kind IN ('finite', 'nan', '+inf', '-inf')
                        AND (validation_metric IS NOT NULL) = (validation_metric_kind = 'finite')),
                CHECK (learning_rate_kind IN ('finite', 'nan', '+inf', '-inf')
                    AND (learning_rate IS NOT NULL) = (learning_rate_kind = 'finite')),
                CHECK (seconds_kind IN ('finite', 'nan', '+inf', '-inf')
                    AND (seconds IS NOT NULL) = (seconds_kind = 'finite'))
            );

            -- The weights of a trained trial; `keepWeights` deletes rows to save space.
            CREATE TABLE models (
                trial_id INTEGER PRIMARY KEY REFERENCES trials(id) ON DELETE CASCADE,
                network_json TEXT NOT NULL,         -- NetworkDescription
                task TEXT NOT NULL,                 -- TaskKind raw value
                feature_names_json TEXT NOT NULL,   -- [String]
                target_name TEXT NOT NULL,
                class_labels_json TEXT NOT NULL,    -- [String]
                standardizer_json TEXT,             -- Standardizer, NULL without one
                tensors BLOB NOT NULL               -- TensorBlob layout
            );
            """)
    }

    /// v2: epochs and trial_metrics rebuilt with the same columns and keys, their kind checks
    /// written as equalities. In a CHECK, SQLite evaluates `kind IN ('finite', 'nan', '+inf',
    /// '-inf')` by building a temporary index for every row: each epoch row cost about 24 µs to
    /// insert, five times the insert itself, and a sweep spent more CPU on that than on anything
    /// else outside training. `kind = 'finite' OR …` costs next to nothing. The one such check of
    /// trials runs once per trial and stays.
    private static func rebuildWithEqualityKindChecks(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE new_trial_metrics (
                trial_id INTEGER NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                value REAL,
                kind TEXT NOT NULL,
                PRIMARY KEY (trial_id, name),
                \(pair("value", "kind"))
            );
            INSERT INTO new_trial_metrics (trial_id, name, value, kind)
                SELECT trial_id, name, value, kind FROM trial_metrics;
            DROP TABLE trial_metrics;
            ALTER TABLE new_trial_metrics RENAME TO trial_metrics;

            \(rebuiltEpochs(trialReference: " REFERENCES trials(id) ON DELETE CASCADE") { value, kind, optional in
                optional ? optionalPair(value, kind) : pair(value, kind)
            })
            """)
    }

    /// v3: epochs rebuilt for the cost of writing a trial's rows (200 with 4 folds and 40 epochs),
    /// CPU that comes out of training when every core trains (--jobs 2 on 2 cores).
    /// - No foreign key to trials; a trigger deletes a trial's epochs with it instead (also when
    ///   deleting a sweep removes its trials). Every epoch row is written by `finish`, in the
    ///   transaction that writes or finds its trial, so the key caught nothing, but SQLite looked
    ///   the trial up again for each row: 0.16 of the 0.75 ms of CPU that storing a trial took.
    /// - The kind checks say the same thing, written so that a finite value, nearly every row,
    ///   settles each check with its first comparison (a third of their cost gone), and with `IS`,
    ///   which is never NULL: a CHECK whose result is NULL passes, so v2's checks let an optional
    ///   value through with a NULL kind.
    private static func rebuildEpochsWithoutForeignKey(_ db: Database) throws {
        try db.execute(sql: """
            \(rebuiltEpochs(trialReference: "", check: finiteFirstPair))
            CREATE TRIGGER epochs_go_with_their_trial AFTER DELETE ON trials
            BEGIN
                DELETE FROM epochs WHERE trial_id = old.id;
            END;
            """)
    }

    /// Replaces the epochs table, keeping its rows, by the one v2 and v3 define: `trialReference`
    /// follows the trial_id column, and `check(value, kind, optional)` is the CHECK of each
    /// value/kind pair (optional: both may be NULL).
    private static func rebuiltEpochs(trialReference: String, check: (String, String, Bool) -> String) -> String {
        """
            CREATE TABLE new_epochs (
                trial_id INTEGER NOT NULL\(trialReference),
                fold INTEGER NOT NULL,              -- 1-based
                epoch INTEGER NOT NULL,             -- 1-based
                train_loss REAL,
                train_loss_kind TEXT NOT NULL,
                train_metric REAL,
                train_metric_kind TEXT,
                validation_loss REAL,
                validation_loss_kind TEXT,
                validation_metric REAL,
                validation_metric_kind TEXT,
                learning_rate REAL,
                learning_rate_kind TEXT NOT NULL,
                seconds REAL,
                seconds_kind TEXT NOT NULL,
                PRIMARY KEY (trial_id, fold, epoch),
                \(check("train_loss", "train_loss_kind", false)),
                \(check("train_metric", "train_metric_kind", true)),
                \(check("validation_loss", "validation_loss_kind", true)),
                \(check("validation_metric", "validation_metric_kind", true)),
                \(check("learning_rate", "learning_rate_kind", false)),
                \(check("seconds", "seconds_kind", false))
            );
            INSERT INTO new_epochs SELECT trial_id, fold, epoch, train_loss, train_loss_kind, train_metric,
                train_metric_kind, validation_loss, validation_loss_kind, validation_metric, validation_metric_kind,
                learning_rate, learning_rate_kind, seconds, seconds_kind FROM epochs;
            DROP TABLE epochs;
            ALTER TABLE new_epochs RENAME TO epochs;
            """
    }

    /// v4: the validation metrics of each scoring fit (fold × repeat) of a trial with more than
    /// one, behind the mean in trial_metrics: for the leaderboard's intervals and paired tests;
    /// each sweep's data fingerprint (NULL for older sweeps), so that a resume on other data is
    /// refused; and a model's regression target scale. Trials are no longer stored as `pending` before they start (they are made when
    /// a worker asks for one), but older sweeps keep theirs; nothing else about trials changes.
    private static func createFoldMetricsAndFingerprints(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE sweeps ADD COLUMN data_fingerprint TEXT;
            ALTER TABLE models ADD COLUMN target_scale_json TEXT;   -- TargetScale, NULL without one

            CREATE TABLE fold_metrics (
                trial_id INTEGER NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
                fold INTEGER NOT NULL,              -- 1-based fit number: (repeat − 1) · folds + fold
                name TEXT NOT NULL,                 -- a validation MetricName raw value
                value REAL,
                kind TEXT NOT NULL,
                PRIMARY KEY (trial_id, fold, name),
                \(finiteFirstPair("value", "kind", optional: false))
            );
            """)
    }

    /// v5: a trial's epochs as one row of `trial_epochs`, an `EpochHistory` blob, in place of a
    /// row per epoch. Storing a trial's 200 epoch rows took about 0.17 of the 0.59 ms of CPU that
    /// storing a trial took, and more of its commit for the pages they filled: CPU that a sweep
    /// with a core per job takes from training. The stored rows are moved over, their numbers
    /// exactly.
    private static func storeEpochsPerTrial(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE trial_epochs (
                trial_id INTEGER PRIMARY KEY REFERENCES trials(id) ON DELETE CASCADE,
                history BLOB NOT NULL               -- EpochHistory: 8 little-endian doubles an epoch
            );
            """)
        let rows = try Row.fetchCursor(db, sql: """
            SELECT epochs.* FROM epochs JOIN trials ON trials.id = epochs.trial_id
            ORDER BY epochs.trial_id, epochs.fold, epochs.epoch
            """)
        var trial: (id: Int64, epochs: [EpochRecord])?
        func storeTrial() throws {
            guard let (id, epochs) = trial else { return }
            try db.execute(sql: "INSERT INTO trial_epochs (trial_id, history) VALUES (?, ?)", arguments: [id, EpochHistory.blob(of: epochs)])
        }
        while let row = try rows.next() {
            let id: Int64 = try row.decode(forColumn: "trial_id")
            let epoch = EpochRecord(
                fold: try row.decode(forColumn: "fold"), epoch: try row.decode(forColumn: "epoch"),
                trainLoss: try StoredNumber.readRequired(row, column: "train_loss"),
                trainMetric: try StoredNumber.read(row, column: "train_metric"),
                validationLoss: try StoredNumber.read(row, column: "validation_loss"),
                validationMetric: try StoredNumber.read(row, column: "validation_metric"),
                learningRate: try StoredNumber.readRequired(row, column: "learning_rate"),
                seconds: try StoredNumber.readRequired(row, column: "seconds"))
            if trial?.id == id {
                trial?.epochs.append(epoch)
            } else {
                try storeTrial()
                trial = (id, [epoch])
            }
        }
        try storeTrial()
        try db.execute(sql: """
            DROP TRIGGER epochs_go_with_their_trial;
            DROP TABLE epochs;
            """)
    }

    /// v6: trial_metrics and fold_metrics rebuilt WITHOUT ROWID, with the same columns, keys and
    /// rows. With a rowid each was two b-trees, the rows and the index of their primary key, and
    /// every metric a trial stored went into both: twice the pages to change, and to write to
    /// the WAL at its commit. Keyed by their primary key alone, each is one. trial_metrics keeps
    /// v2's checks and fold_metrics v4's.
    private static func storeMetricsWithoutRowID(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE new_trial_metrics (
                trial_id INTEGER NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                value REAL,
                kind TEXT NOT NULL,
                PRIMARY KEY (trial_id, name),
                \(pair("value", "kind"))
            ) WITHOUT ROWID;
            INSERT INTO new_trial_metrics (trial_id, name, value, kind)
                SELECT trial_id, name, value, kind FROM trial_metrics;
            DROP TABLE trial_metrics;
            ALTER TABLE new_trial_metrics RENAME TO trial_metrics;

            CREATE TABLE new_fold_metrics (
                trial_id INTEGER NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
                fold INTEGER NOT NULL,              -- 1-based fit number: (repeat − 1) · folds + fold
                name TEXT NOT NULL,                 -- a validation MetricName raw value
                value REAL,
                kind TEXT NOT NULL,
                PRIMARY KEY (trial_id, fold, name),
                \(finiteFirstPair("value", "kind", optional: false))
            ) WITHOUT ROWID;
            INSERT INTO new_fold_metrics (trial_id, fold, name, value, kind)
                SELECT trial_id, fold, name, value, kind FROM fold_metrics;
            DROP TABLE fold_metrics;
            ALTER TABLE new_fold_metrics RENAME TO fold_metrics;
            """)
    }

    // Kind checks as v2 writes them: equalities, not `kind IN (…)`.
    private static func isKind(_ kind: String) -> String {
        "(\(kind) = 'finite' OR \(kind) = 'nan' OR \(kind) = '+inf' OR \(kind) = '-inf')"
    }

    private static func pair(_ value: String, _ kind: String) -> String {
        "CHECK (\(isKind(kind)) AND (\(value) IS NOT NULL) = (\(kind) = 'finite'))"
    }

    private static func optionalPair(_ value: String, _ kind: String) -> String {
        "CHECK (\(kind) IS NULL AND \(value) IS NULL OR \(isKind(kind)) AND (\(value) IS NOT NULL) = (\(kind) = 'finite'))"
    }

    // v3's: a finite value first, and never NULL.
    private static func finiteFirstPair(_ value: String, _ kind: String, optional: Bool) -> String {
        let nonFinite = "\(kind) IS 'nan' OR \(kind) IS '+inf' OR \(kind) IS '-inf'" + (optional ? " OR \(kind) IS NULL" : "")
        return "CHECK (\(kind) IS 'finite' AND \(value) IS NOT NULL OR \(value) IS NULL AND (\(nonFinite)))"
    }
}
