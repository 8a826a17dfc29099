import Foundation
import PostgresNIO

/// The PostgreSQL schema, declared here and nowhere else; the queries live in
/// `PostgresResultStore`. It holds what the SQLite schema (`Schema`) holds, column for column,
/// so that `sweep copy` moves sweeps between the two unchanged, plus what many processes
/// sharing one sweep need.
///
/// As in SQLite, each version is one migration, frozen once released, recorded as a row of
/// `schema_migrations`; a database written by version 1 is kept as a test fixture
/// (`Tests/SweepStoreTests/Fixtures/postgres-v1.sql`). All pending migrations run in one
/// transaction under an advisory lock, so two workers starting at once on an empty database do
/// not both create the tables (PostgreSQL's DDL is transactional).
///
/// Conventions, the SQLite schema's:
/// - Dates are `double precision` seconds since 1970 (what a `Date` holds, so a copy is exact);
///   only the workers' heartbeats, compared with the server's clock, are `timestamptz`.
/// - Seeds are text in decimal (a `UInt64` exceeds `bigint`).
/// - A `Double` that may be NaN or infinite is a pair, `x double precision` and `x_kind text`
///   ('finite', 'nan', '+inf', '-inf'), `x` NULL unless finite (optuna's `value_type`).
///   PostgreSQL could store NaN itself, but `AVG` would then return NaN, and the pair keeps the
///   two stores' rows alike.
/// - Model weights are a `TensorBlob` in a `bytea`.
enum PostgresSchema {
    struct Migration: Sendable {
        let identifier: String
        let statements: [String]
    }

    /// Every migration, oldest first; version n is `migrations[n - 1]`.
    static let migrations: [Migration] = [
        Migration(identifier: "v1", statements: tables),
        Migration(identifier: "v2-shared-runs", statements: sharedRuns),
    ]

    static var version: Int { migrations.count }

    /// The key of the advisory lock that migrations hold (any constant; "swep" in ASCII).
    static let migrationLock: Int64 = 0x7377_6570

    /// Brings the database up to `version` (or `target`, for tests), or throws if a newer
    /// program wrote it.
    ///
    /// - Parameter creatingTables: false for a command that only reads, which refuses a schema
    ///   without the store's tables (`holdsNoSweeps`) instead of creating them.
    /// - Throws: `PostgresResultStoreError.notASweepDatabase` for a schema holding other
    ///   tables and none of the store's, checked again under the lock before anything is created.
    static func migrate(_ connections: PostgresConnections, upTo target: Int = version, creatingTables: Bool = true) throws {
        let found = try connections.retrying(contents)
        try found.check(creatingTables: creatingTables, target: target, address: connections.address)
        if found.version == target { return }
        try connections.transaction { link in
            try link.execute("SELECT pg_advisory_xact_lock(\(migrationLock))")
            try contents(link).check(creatingTables: creatingTables, target: target, address: connections.address)
            try link.execute("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version bigint PRIMARY KEY,
                    identifier text NOT NULL,
                    applied_at double precision NOT NULL     -- seconds since 1970
                )
                """)
            let stored = try storedVersion(link)
            guard stored <= version else {
                throw PostgresResultStoreError.newerSchema(
                    address: connections.address.description, found: stored, supported: version)
            }
            for (index, migration) in migrations.enumerated().prefix(target).dropFirst(stored) {
                for statement in migration.statements { try link.execute(PostgresQuery(unsafeSQL: statement)) }
                try link.execute(
                    "INSERT INTO schema_migrations (version, identifier, applied_at) VALUES (\(index + 1), \(migration.identifier), \(Date().timeIntervalSince1970))")
            }
        }
    }

    /// What the schema the store's tables live in holds. The tables are created and looked up
    /// by unqualified name, so they live in the connection's current schema: the first schema of
    /// its `search_path` that exists (`public` unless the role or database sets another).
    struct Contents {
        /// The current schema; nil when no schema of the search path exists.
        let schema: String?
        let contents: Schema.Contents

        /// The stored schema version: 0 for an empty schema.
        var version: Int {
            if case .sweeps(let version) = contents { return version }
            return 0
        }

        /// Throws for another application's tables (every command), and for an empty schema
        /// when the caller must not create the tables (unless `target` is 0: a test's bare database).
        func check(creatingTables: Bool, target: Int, address: PostgresAddress) throws {
            let shownSchema = schema ?? "(none: no schema of the search_path exists)"
            switch contents {
            case .foreign(let tables):
                throw PostgresResultStoreError.notASweepDatabase(
                    address: address.description, user: address.user, database: address.database, schema: shownSchema, tables: tables)
            case .empty where !creatingTables && target > 0:
                throw PostgresResultStoreError.holdsNoSweeps(address: address.description, schema: shownSchema)
            default:
                break
            }
        }
    }

    /// The tables and views of the current schema, other than those of extensions (PostGIS's
    /// `spatial_ref_sys`): a sweep database has `schema_migrations` and `sweeps` among them.
    static func contents(_ link: PostgresLink) throws -> Contents {
        let schema = try link.value("SELECT current_schema()::text", as: String?.self) ?? nil
        let tables = try link.rows("""
            SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
                AND NOT EXISTS (
                    SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
            ORDER BY c.relname
            """).map { try $0.decode(String.self) }
        if tables.isEmpty { return Contents(schema: schema, contents: .empty) }
        guard tables.contains("schema_migrations"), tables.contains("sweeps") else {
            return Contents(schema: schema, contents: .foreign(tables: tables))
        }
        return Contents(schema: schema, contents: .sweeps(version: try storedVersion(link)))
    }

    /// The schema version recorded in the database; 0 for one without the store's tables.
    static func storedVersion(_ link: PostgresLink) throws -> Int {
        guard try link.value("SELECT to_regclass('schema_migrations') IS NOT NULL", as: Bool.self) == true else { return 0 }
        return try link.value("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", as: Int.self) ?? 0
    }

    private static func pair(_ value: String, _ kind: String, optional: Bool = false) -> String {
        let nonFinite = "\(kind) = 'nan' OR \(kind) = '+inf' OR \(kind) = '-inf'"
        let check = "\(kind) = 'finite' AND \(value) IS NOT NULL OR \(value) IS NULL AND (\(nonFinite))"
        return optional ? "CHECK (\(kind) IS NULL AND \(value) IS NULL OR \(check))" : "CHECK (\(check))"
    }

    /// v1: the SQLite schema's tables as of its version 4.
    private static let tables: [String] = [
        """
        CREATE TABLE sweeps (
            id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            name text NOT NULL UNIQUE,
            spec_json text NOT NULL,                 -- canonical JSON (sorted keys)
            created double precision NOT NULL,       -- seconds since 1970
            status text NOT NULL,                    -- SweepStatus raw value
            data_fingerprint text                    -- NULL for sweeps copied from older files
        )
        """,
        """
        CREATE TABLE trials (
            id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            sweep_id bigint NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
            number bigint NOT NULL,                  -- 1-based within the sweep
            parameters_json text NOT NULL,
            configuration_json text NOT NULL,
            seed text NOT NULL CHECK (seed ~ '^[0-9]+$'),
            status text NOT NULL,                    -- TrialStatus raw value
            started_at double precision,
            ended_at double precision,
            train_seconds double precision,
            train_seconds_kind text,
            epochs_run bigint,
            best_epoch bigint,
            diverged_epoch bigint,
            error_message text,
            UNIQUE (sweep_id, number),
            \(pair("train_seconds", "train_seconds_kind", optional: true))
        )
        """,
        """
        CREATE TABLE trial_metrics (
            trial_id bigint NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
            name text NOT NULL,
            value double precision,
            kind text NOT NULL,
            PRIMARY KEY (trial_id, name),
            \(pair("value", "kind"))
        )
        """,
        """
        CREATE TABLE fold_metrics (
            trial_id bigint NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
            fold bigint NOT NULL,                    -- 1-based fit number: (repeat − 1) · folds + fold
            name text NOT NULL,
            value double precision,
            kind text NOT NULL,
            PRIMARY KEY (trial_id, fold, name),
            \(pair("value", "kind"))
        )
        """,
        """
        CREATE TABLE epochs (
            trial_id bigint NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
            fold bigint NOT NULL,
            epoch bigint NOT NULL,
            train_loss double precision,
            train_loss_kind text NOT NULL,
            train_metric double precision,
            train_metric_kind text,
            validation_loss double precision,
            validation_loss_kind text,
            validation_metric double precision,
            validation_metric_kind text,
            learning_rate double precision,
            learning_rate_kind text NOT NULL,
            seconds double precision,
            seconds_kind text NOT NULL,
            PRIMARY KEY (trial_id, fold, epoch),
            \(pair("train_loss", "train_loss_kind")),
            \(pair("train_metric", "train_metric_kind", optional: true)),
            \(pair("validation_loss", "validation_loss_kind", optional: true)),
            \(pair("validation_metric", "validation_metric_kind", optional: true)),
            \(pair("learning_rate", "learning_rate_kind")),
            \(pair("seconds", "seconds_kind"))
        )
        """,
        """
        CREATE TABLE models (
            trial_id bigint PRIMARY KEY REFERENCES trials(id) ON DELETE CASCADE,
            network_json text NOT NULL,
            task text NOT NULL,
            feature_names_json text NOT NULL,
            target_name text NOT NULL,
            class_labels_json text NOT NULL,
            standardizer_json text,
            target_scale_json text,
            tensors bytea NOT NULL                   -- TensorBlob layout
        )
        """,
    ]

    /// v2: what several `sweep run` processes sharing a sweep need.
    /// - `workers`: one row per process running a sweep, with the server time of its last
    ///   heartbeat and how long it may stay silent before its trials are taken from it.
    /// - `trials.worker_id`: the worker running the trial (NULL once it ended, or for a trial
    ///   whose worker left).
    /// - `unfinished_trials`: the trials a claim looks through for one to run again.
    /// - `trials.revision`: drawn from one sequence on every insert and update (a trigger), so a
    ///   worker reads only the trials that changed since it last looked. A worker reads them
    ///   holding the sweep's row lock, which every writer of its trials holds in share mode, so
    ///   no transaction with a smaller revision can commit after it looked.
    private static let sharedRuns: [String] = [
        """
        CREATE TABLE workers (
            id text PRIMARY KEY,                     -- a UUID, one per sweep run process
            sweep_id bigint NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
            host text NOT NULL,
            pid bigint NOT NULL,
            started_at timestamptz NOT NULL DEFAULT now(),
            beat_at timestamptz NOT NULL DEFAULT now(),
            grace_seconds double precision NOT NULL CHECK (grace_seconds > 0)
        )
        """,
        "ALTER TABLE trials ADD COLUMN worker_id text REFERENCES workers(id) ON DELETE SET NULL",
        "CREATE SEQUENCE trial_revisions",
        "ALTER TABLE trials ADD COLUMN revision bigint NOT NULL DEFAULT nextval('trial_revisions')",
        "CREATE INDEX trials_by_revision ON trials (sweep_id, revision)",
        // The trials a claim looks through for one to run again: few, in a sweep of thousands.
        "CREATE INDEX unfinished_trials ON trials (sweep_id, number) WHERE status IN ('running', 'interrupted', 'pending')",
        """
        CREATE FUNCTION next_trial_revision() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.revision := nextval('trial_revisions');
            RETURN NEW;
        END
        $$
        """,
        """
        CREATE TRIGGER trials_revision BEFORE UPDATE ON trials
            FOR EACH ROW EXECUTE FUNCTION next_trial_revision()
        """,
    ]
}
