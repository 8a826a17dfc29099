import Foundation
import PostgresNIO
import Testing
@testable import SweepKit
@testable import SweepStore

/// What the PostgreSQL store keeps in its tables, its schema versions, and many workers sharing
/// one sweep, against a real server. The shared suites (`TrialRecordTests`, …) run on it too.
@Suite(.enabled(if: PostgresTestServer.isConfigured, PostgresTestServer.notConfigured))
struct PostgresStoreTests {
    private func makeStore(_ directory: TemporaryDirectory, schemaVersion: Int = PostgresResultStore.schemaVersion) throws
        -> PostgresResultStore
    {
        try PostgresResultStore(address: PostgresTestServer.makeDatabase(for: directory), schemaVersion: schemaVersion)
    }

    private func rows(_ store: PostgresResultStore, _ query: PostgresQuery) throws -> [PostgresRow] {
        try store.connections.retrying { link in try link.rows(query) }
    }

    @Test func aNewDatabaseRecordsTheCurrentSchemaVersion() throws {
        let directory = try TemporaryDirectory()
        let store = try makeStore(directory)
        _ = try PostgresResultStore(address: store.address)  // reopening applies nothing again

        let migrations = try rows(store, "SELECT version, identifier FROM schema_migrations ORDER BY version")
            .map { try $0.decode((Int, String).self) }

        #expect(PostgresResultStore.schemaVersion == 2)
        #expect(try store.storedSchemaVersion() == 2)
        #expect(migrations.map(\.0) == [1, 2] && migrations.map(\.1) == ["v1", "v2-shared-runs"])
    }

    @Test func aDatabaseWrittenByANewerSweepIsRefused() throws {
        let directory = try TemporaryDirectory()
        let store = try makeStore(directory)
        _ = try rows(store, "INSERT INTO schema_migrations (version, identifier, applied_at) VALUES (3, 'v3', 0)")

        #expect(throws: PostgresResultStoreError.newerSchema(address: store.address.description, found: 3, supported: 2)) {
            try PostgresResultStore(address: store.address)
        }
    }

    /// Every table, view, sequence and index of the database outside PostgreSQL's own schemas,
    /// as schema.name: what opening a store must not add to a database it refuses.
    private func relations(_ address: PostgresAddress) throws -> [String] {
        let reader = try PostgresResultStore(readingOnly: address, retryWindow: 10)
        return try rows(reader, """
            SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1
            """).map { try $0.decode(String.self) }
    }

    /// A database without tables is where `sweep run` starts one, but a command that only reads
    /// refuses it rather than creating the tables; once a sweep created them, it reads them.
    @Test func aReaderRefusesADatabaseWithoutTablesAndCreatesNothing() throws {
        let directory = try TemporaryDirectory()
        let address = try PostgresTestServer.makeDatabase(for: directory)

        #expect(throws: PostgresResultStoreError.holdsNoSweeps(address: address.description, schema: "public")) {
            try PostgresResultStore(address: address, creatingTables: false)
        }
        #expect(try relations(address) == [])

        let writer = try PostgresResultStore(address: address)
        try writer.createSweep(Sample.sweep())
        let reader = try PostgresResultStore(address: address, creatingTables: false)
        #expect(try reader.sweeps().map(\.sweep.name) == ["phone-price"])
        #expect(try reader.storedSchemaVersion() == PostgresResultStore.schemaVersion)
    }

    /// A mistyped --db naming another application's database: writers and readers alike refuse
    /// it before creating anything, though one of its tables is named like one of ours and
    /// another like our version table (Rails keeps a text `version` in `schema_migrations`).
    @Test func anotherApplicationsTablesAreRefusedAndLeftAsTheyWere() throws {
        let directory = try TemporaryDirectory()
        let address = try PostgresTestServer.makeDatabase(for: directory)
        let bare = try PostgresResultStore(address: address, schemaVersion: 0)
        try bare.runScript("""
            CREATE TABLE models (id bigint PRIMARY KEY, body text);
            INSERT INTO models VALUES (1, 'theirs');
            CREATE TABLE schema_migrations (version character varying NOT NULL);
            CREATE VIEW model_bodies AS SELECT body FROM models;
            """)
        let before = try relations(address)

        let refusal = PostgresResultStoreError.notASweepDatabase(
            address: address.description, user: address.user, database: address.database, schema: "public",
            tables: ["model_bodies", "models", "schema_migrations"])
        #expect(throws: refusal) { try PostgresResultStore(address: address) }
        #expect(throws: refusal) { try PostgresResultStore(address: address, creatingTables: false) }
        #expect(throws: refusal) { try PostgresResultStore(readingOnly: address, retryWindow: 10).storedSchemaVersion() }

        #expect(try relations(address) == before)
        #expect(try rows(bare, "SELECT body FROM models").map { try $0.decode(String.self) } == ["theirs"])
        #expect(refusal.description.contains("in schema 'public' (model_bodies, models, schema_migrations) and no sweep tables"))
        #expect(refusal.description.hasPrefix("postgresql://\(address.user)@") && !refusal.description.contains(":\(address.password ?? "")@"))
    }

    /// The refusal's advice: a schema of sweep's own, first on the role's search_path in that
    /// database, takes the tables beside another application's (which stay as they were).
    @Test func aSchemaOfItsOwnTakesTheTablesBesideAnotherApplications() throws {
        let directory = try TemporaryDirectory()
        let address = try PostgresTestServer.makeDatabase(for: directory)
        try PostgresResultStore(address: address, schemaVersion: 0).runScript("""
            CREATE TABLE notes (body text);
            CREATE SCHEMA sweep;
            ALTER ROLE \(address.user) IN DATABASE \(address.database) SET search_path = sweep;
            """)

        #expect(throws: PostgresResultStoreError.holdsNoSweeps(address: address.description, schema: "sweep")) {
            try PostgresResultStore(address: address, creatingTables: false)
        }
        let store = try PostgresResultStore(address: address)
        try store.createSweep(Sample.sweep())

        let tables = try relations(address).filter { !$0.hasPrefix("sweep.") }
        #expect(tables == ["public.notes"])
        #expect(try relations(address).contains("sweep.sweeps"))
        #expect(try PostgresResultStore(address: address, creatingTables: false).sweeps().map(\.sweep.name) == ["phone-price"])
    }

    /// `Fixtures/postgres-v1.sql`: a database as schema version 1 wrote it.
    @Test func aVersion1DatabaseIsMigratedAndReadsBack() throws {
        let directory = try TemporaryDirectory()
        let address = try PostgresTestServer.makeDatabase(for: directory)
        let script = try String(contentsOfFile: Self.fixturePath, encoding: .utf8)
        try PostgresResultStore(address: address, schemaVersion: 0).runScript(script)

        let store = try PostgresResultStore(address: address)

        #expect(try store.storedSchemaVersion() == PostgresResultStore.schemaVersion)
        let overview = try #require(try store.sweeps().first)
        #expect(overview.sweep.name == "fixture" && overview.sweep.status == .complete && overview.trialCounts == [.complete: 2])
        let trials = try store.trials(sweep: "fixture")
        #expect(trials.map(\.number) == [1, 2])
        #expect(trials[1].metrics["train_loss"]?.isNaN == true)
        #expect(trials[1].metrics["validation_loss"] == .infinity && trials[1].metrics["test_loss"] == -.infinity)
        #expect(trials[0].foldMetrics.count == 2)
        let epochs = try store.epochs(sweep: "fixture", trial: 2)
        #expect(epochs.count == 9)  // 3 epochs in each of 2 folds and the final fit
        let changed = try #require(epochs.first { $0.fold == 1 && $0.epoch == 2 })
        #expect(changed.trainLoss.isNaN && changed.validationLoss == .infinity && changed.validationMetric == -.infinity)
        let model = try #require(try store.model(sweep: "fixture", trial: 1))
        #expect(model.network.hiddenWidths == [4] && model.tensors.count == 4)
        // The migrated database takes new trials, and the old ones keep their numbers.
        try store.startTrial(sweep: "fixture", plan: Sample.plan(3), at: Sample.created)
        #expect(try store.trials(sweep: "fixture").map(\.number) == [1, 2, 3])
    }

    @Test func nonFiniteValuesAreStoredAsKindsBesideNullValues() throws {
        let directory = try TemporaryDirectory()
        let store = try makeStore(directory)
        try store.createSweep(Sample.sweep())
        try store.finish(sweep: "phone-price", record: Sample.divergedRecord(1), epochs: Sample.nonFiniteEpochs, model: nil)

        let metrics = try rows(store, "SELECT name, value, kind FROM trial_metrics ORDER BY name")
            .map { try $0.decode((String, Double?, String).self) }
        #expect(metrics.map(\.0) == ["best_validation_metric", "train_loss", "validation_accuracy", "validation_loss"])
        #expect(metrics.map(\.1) == [nil, nil, 0, nil])
        #expect(metrics.map(\.2) == ["-inf", "+inf", "finite", "nan"])
        let kinds = try rows(store, """
            SELECT train_loss_kind, train_metric_kind, validation_loss_kind, validation_metric_kind, learning_rate_kind,
                seconds_kind FROM epochs ORDER BY epoch
            """).map { try $0.decode((String, String?, String?, String?, String, String).self) }
        #expect(kinds.count == 2)
        #expect(kinds[0] == ("finite", nil, nil, "finite", "finite", "finite"))
        #expect(kinds[1] == ("nan", "+inf", "-inf", "nan", "+inf", "nan"))
    }

    @Test func theTablesRefuseAValueThatContradictsItsKind() throws {
        let directory = try TemporaryDirectory()
        let store = try makeStore(directory)
        try store.createSweep(Sample.sweep())
        try store.finish(sweep: "phone-price", record: Sample.completeRecord(1), epochs: [], model: nil)
        let trialID = try #require(try rows(store, "SELECT id FROM trials").first?.decode(Int.self))

        for (value, kind) in [("1.5", "'nan'"), ("NULL", "'finite'"), ("1.5", "'infinite'")] {
            #expect(throws: (any Error).self) {
                try rows(store, PostgresQuery(unsafeSQL: "INSERT INTO trial_metrics VALUES (\(trialID), 'x', \(value), \(kind))"))
            }
        }
    }

    /// SQLite → PostgreSQL → SQLite: every record, metric, epoch and weight as it was. (A sweep
    /// stopped part-way: a running one is copied interrupted, as `ResultCopyTests` shows.)
    @Test func aSweepCopiedToPostgreSQLAndBackIsUnchanged() throws {
        let directory = try TemporaryDirectory()
        let original = try SQLiteResultStore(path: directory.file("original.sqlite"))
        try original.createSweep(Sample.sweep(status: .interrupted))
        try original.finish(sweep: "phone-price", record: Sample.completeRecord(1), epochs: Sample.epochs(), model: try Sample.model())
        try original.finish(sweep: "phone-price", record: Sample.divergedRecord(2), epochs: Sample.nonFiniteEpochs, model: nil)
        try original.startTrial(sweep: "phone-price", plan: Sample.plan(3), at: Sample.created)
        try original.interruptRunningTrials(sweep: "phone-price")
        let shared = try makeStore(directory)
        let back = try SQLiteResultStore(path: directory.file("back.sqlite"))

        let there = try ResultCopy.copy(sweep: try #require(try original.sweep(named: "phone-price")), from: original, to: shared)
        _ = try ResultCopy.copy(sweep: try #require(try shared.sweep(named: "phone-price")), from: shared, to: back)

        #expect(there == ResultCopy.Counts(trials: 3, epochs: Sample.epochs().count + 2, models: 1))
        for store in [shared as any ResultStore, back] {
            #expect(try store.sweeps() == original.sweeps())
            #expect(sameRecords(try store.trials(sweep: "phone-price"), try original.trials(sweep: "phone-price")))
            for trial in 1...3 {
                #expect(sameEpochs(try store.epochs(sweep: "phone-price", trial: trial), try original.epochs(sweep: "phone-price", trial: trial)))
                #expect(sameModel(try store.model(sweep: "phone-price", trial: trial), try original.model(sweep: "phone-price", trial: trial)))
            }
        }
    }

    // MARK: Many workers

    /// Claims in number order, one trial each, and a trial is offered to another worker only
    /// when its own stops beating.
    @Test func aSilentWorkersTrialIsOfferedToAnotherAfterItsGracePeriod() throws {
        let directory = try TemporaryDirectory()
        let first = try makeStore(directory)
        let second = try PostgresResultStore(address: first.address)
        try first.createSweep(Sample.sweep())
        // Heartbeats far apart: the first worker falls silent after its grace period of 1 s.
        try first.join(sweep: "phone-price", heartbeat: 3600, grace: 1)
        try second.join(sweep: "phone-price", heartbeat: 0.1, grace: 60)
        func claim(_ store: PostgresResultStore, new number: Int, revision: Int64 = 0) throws -> TrialClaimView {
            var seen: TrialClaimView?
            try store.claim(sweep: "phone-price", TrialClaimRequest(afterRevision: revision, inProgress: [], withEpochs: false)) { view in
                seen = view
                return view.rerun == nil ? .start(Sample.plan(number), at: Sample.created) : .wait
            }
            return try #require(seen)
        }

        let firstView = try claim(first, new: 1)
        let secondView = try claim(second, new: 2)
        #expect(firstView.rerun == nil && firstView.changed.isEmpty)
        #expect(secondView.changed.map(\.number) == [1] && secondView.runningElsewhere == 1)
        #expect(try second.liveWorkers(sweep: "phone-price") == 2)

        Thread.sleep(forTimeInterval: 1.5)
        let later = try claim(second, new: 3, revision: secondView.revision)
        #expect(later.rerun?.number == 1)
        #expect(try second.liveWorkers(sweep: "phone-price") == 1)
        // The worker that finishes a trial first keeps it; a late finish by another is dropped.
        try second.finish(sweep: "phone-price", record: Sample.completeRecord(1, accuracy: 0.5), epochs: [], model: nil)
        try first.finish(sweep: "phone-price", record: Sample.completeRecord(1, accuracy: 0.9), epochs: [], model: nil)
        #expect(try second.trials(sweep: "phone-price").first?.metrics["validation_accuracy"] == 0.5)
        #expect(try second.leave(sweep: "phone-price") == 1)  // trial 2, interrupted for others
        #expect(try first.trials(sweep: "phone-price").map(\.status) == [.complete, .interrupted])
    }

    @Test func aClaimWhoseAnswerWasLostIsOfferedBackToItsWorker() throws {
        let directory = try TemporaryDirectory()
        let store = try makeStore(directory)
        try store.createSweep(Sample.sweep())
        try store.join(sweep: "phone-price", heartbeat: 60, grace: 180)
        try store.claim(sweep: "phone-price", TrialClaimRequest(afterRevision: 0, inProgress: [], withEpochs: false)) { _ in
            .start(Sample.plan(1), at: Sample.created)
        }

        var offered: [Int?] = []
        for inProgress in [Set([1]), []] {
            try store.claim(sweep: "phone-price", TrialClaimRequest(afterRevision: 0, inProgress: inProgress, withEpochs: false)) { view in
                offered.append(view.rerun?.number)
                return .wait
            }
        }

        #expect(offered == [nil, 1])
        try store.leave(sweep: "phone-price")
    }

    static var fixturePath: String {
        if let directory = Bundle.module.url(forResource: "Fixtures", withExtension: nil) {
            return directory.appendingPathComponent("postgres-v1.sql").path
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/postgres-v1.sql").path
    }
}

/// What a person sees for a URL sweep cannot use; none of these needs a server.
struct PostgresAddressTests {
    @Test func aURLGivesEveryPartAndTheDefaults() throws {
        let full = try PostgresAddress(parsing: "postgresql://ann:p%40ss@db.example.org:6543/sweeps")
        #expect(full == PostgresAddress(host: "db.example.org", port: 6543, user: "ann", password: "p@ss", database: "sweeps"))
        #expect(full.description == "postgresql://ann@db.example.org:6543/sweeps")  // never the password
        let short = try PostgresAddress(parsing: "postgres://db/sweeps")
        #expect(short == PostgresAddress(host: "db", port: 5432, user: "postgres", password: nil, database: "sweeps"))
    }

    @Test(arguments: [
        ("postgresql://host", "it names no database"),
        ("postgresql:///sweeps", "it names no host"),
        ("postgresql://host:99999/sweeps", "port 99999 is not between 1 and 65535"),
        ("postgresql://host/sweeps?sslmode=require", "options after '?' are not supported"),
    ])
    func aBadURLIsRefusedSayingWhatIsWrong(url: String, reason: String) {
        #expect(throws: PostgresResultStoreError.self) { try PostgresAddress(parsing: url) }
        let message = (try? PostgresAddress(parsing: url)).map { _ in "" }
            ?? { do { _ = try PostgresAddress(parsing: url); return "" } catch { return "\(error)" } }()
        #expect(message.contains(reason) && message.contains("postgresql://user:password@host:port/database"))
    }

    @Test func aURLOfAnotherSchemeIsRefusedWithoutItsPassword() {
        for url in ["postgressql://ann:secret@dbhost:5432/sweeps", "mysql://ann:secret@dbhost/sweeps", "file:///tmp/x.sqlite"] {
            let error = #expect(throws: PostgresResultStoreError.self) { try ResultStoreLocation(parsing: url) }
            let message = error.map { "\($0)" } ?? ""
            #expect(message.contains("'\(url.prefix { $0 != ":" })://' is not a scheme it knows"), "\(message)")
            #expect(!message.contains("secret"))
        }
    }

    @Test func aPathIsAnSQLiteFileAndAURLIsPostgreSQL() throws {
        #expect(try ResultStoreLocation(parsing: "results/sweeps.sqlite") == .sqlite(path: "results/sweeps.sqlite"))
        // "://" after something that is not a scheme is part of a path.
        #expect(try ResultStoreLocation(parsing: "runs/a b://c.sqlite") == .sqlite(path: "runs/a b://c.sqlite"))
        #expect(try ResultStoreLocation(parsing: "postgresql://a@b/c") == .postgres(PostgresAddress(host: "b", user: "a", password: nil, database: "c")))
    }

    @Test func aPortNothingListensOnIsUnreachable() throws {
        let address = PostgresAddress(host: "127.0.0.1", port: 1, user: "sweep", password: "x", database: "sweep")
        #expect {
            try PostgresResultStore(address: address)
        } throws: { error in
            guard case PostgresResultStoreError.cannotReach(_, let reason) = error else { return false }
            return reason == "connection refused"
        }
    }
}

/// A guard for CI: where the PostgreSQL tests must run, a missing server fails rather than
/// skipping them.
struct PostgresTestServerTests {
    @Test func thePostgreSQLTestsRunWhereTheyAreRequired() {
        let required = ProcessInfo.processInfo.environment["SWEEP_REQUIRE_POSTGRES_TESTS"] == "1"
        #expect(!required || PostgresTestServer.isConfigured, "SWEEP_REQUIRE_POSTGRES_TESTS=1 but SWEEP_TEST_POSTGRES_URL is not set")
    }
}
