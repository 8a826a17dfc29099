import Datasets
import Foundation
import GRDB
import NeuralNet
import Testing
@testable import SweepKit
@testable import SweepStore

/// Schema versions, and the databases that released versions wrote (kept in Fixtures/; each is
/// opened as a copy, never in place).
struct MigrationTests {
    @Test func newStoreRecordsTheCurrentSchemaVersion() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteResultStore(path: directory.file("sweeps.sqlite"))
        _ = try SQLiteResultStore(path: store.path)  // reopening applies nothing again

        let migrations = try store.database.read { db in
            try Row.fetchAll(db, sql: "SELECT version, identifier FROM schema_migrations")
        }

        #expect(SQLiteResultStore.schemaVersion == 6)
        #expect(try store.storedSchemaVersion() == SQLiteResultStore.schemaVersion)
        #expect(migrations == [
            ["version": 1, "identifier": "v1"], ["version": 2, "identifier": "v2-equality-kind-checks"],
            ["version": 3, "identifier": "v3-epochs-without-foreign-key"], ["version": 4, "identifier": "v4-fold-metrics-fingerprints-target-scales"],
            ["version": 5, "identifier": "v5-epochs-per-trial"], ["version": 6, "identifier": "v6-metrics-without-rowid"],
        ])
    }

    @Test func aFileWrittenByANewerSweepIsRefused() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("sweeps.sqlite")
        let store = try SQLiteResultStore(path: path)
        try store.database.write { db in
            try db.execute(sql: "INSERT INTO schema_migrations (version, identifier, applied_at) VALUES (7, 'v7', 0)")
        }

        #expect(throws: SQLiteResultStoreError.newerSchema(path: path, found: 7, supported: 6)) {
            try SQLiteResultStore(path: path)
        }
    }

    @Test func version1DatabaseOpensAndReadsBack() throws {
        let directory = try TemporaryDirectory()
        let copy = directory.file("v1.sqlite")
        try FileManager.default.copyItem(atPath: FixtureV1.path, toPath: copy)
        let writtenVersion = try DatabaseQueue(path: copy).read(Schema.storedVersion)

        let store = try SQLiteResultStore(path: copy)

        #expect(writtenVersion == 1)
        #expect(try store.storedSchemaVersion() == SQLiteResultStore.schemaVersion)
        let overview = try #require(try store.sweeps().first)
        #expect(overview.sweep == SweepRecord(
            name: "fixture-v1", specJSON: #"{"name":"fixture-v1"}"#,
            created: Date(timeIntervalSince1970: 1_700_000_000.5), status: .interrupted))
        #expect(overview.trialCounts == [.complete: 1, .diverged: 1, .pending: 1])

        let trials = try store.trials(sweep: "fixture-v1")
        #expect(trials.map(\.plan.seed) == [.max, 2, 3])
        #expect(trials[0].plan.parameters == .object(["learning_rate": .number(0.01), "hidden_layers": .array([.number(8)])]))
        #expect(trials[0].startedAt == Date(timeIntervalSince1970: 1_700_000_001.25))
        #expect(trials[0].trainSeconds == 1.5)
        #expect(trials[0].metrics == ["validation_accuracy": 0.75, "validation_loss": 0.5, "best_validation_metric": 0.75])
        #expect(trials[1].metrics["validation_loss"]?.isNaN == true)
        #expect(trials[1].metrics["train_loss"] == .infinity)
        #expect(trials[1].metrics["best_validation_metric"] == -.infinity)
        #expect(trials[1].divergedEpoch == 1)
        #expect(trials[1].errorMessage == "loss became NaN")
        #expect(trials[2].status == .pending && trials[2].startedAt == nil && trials[2].metrics.isEmpty)

        let epochs = try store.epochs(sweep: "fixture-v1", trial: 2)
        #expect(epochs.count == 1)
        #expect(epochs[0].trainLoss.isNaN && epochs[0].validationLoss == nil && epochs[0].learningRate == 0.01)
        #expect(try store.epochs(sweep: "fixture-v1", trial: 1).map(\.validationMetric) == [0.5, 0.75])

        let model = try #require(try store.model(sweep: "fixture-v1", trial: 1))
        #expect(model.network == NetworkDescription(inputWidth: 2, hiddenWidths: [], outputWidth: 2))
        #expect(model.featureNames == ["a", "b"] && model.classLabels == ["no", "yes"] && model.targetName == "label")
        #expect(model.standardizer == Standardizer(means: [1, 2], standardDeviations: [0.5, 4]))
        #expect(model.tensors.map(\.name) == ["0.weight", "0.bias"])
        #expect(model.tensors[0].values.map(\.bitPattern) == ([0.5, -0.5, .nan, 1] as [Float]).map(\.bitPattern))
        #expect(model.tensors[1].values == [0, -.infinity])
    }

    /// v2 rebuilt trial_metrics: its rows survive (above), its checks still refuse a value that
    /// contradicts its kind, and no check uses `IN (…)`, which SQLite evaluates by building a
    /// temporary index per row.
    @Test func theKindChecksHoldWithoutInLists() throws {
        let directory = try TemporaryDirectory()
        let copy = directory.file("v1.sqlite")
        try FileManager.default.copyItem(atPath: FixtureV1.path, toPath: copy)
        let store = try SQLiteResultStore(path: copy)

        let definitions = try store.database.read { db in
            try String.fetchAll(db, sql: "SELECT sql FROM sqlite_master WHERE name IN ('trial_metrics', 'fold_metrics')")
        }
        #expect(definitions.count == 2)
        #expect(definitions.allSatisfy { !$0.contains(" IN (") && $0.contains("CHECK") })
        let refused = [
            "INSERT INTO trial_metrics (trial_id, name, value, kind) VALUES (1, 'x', 1.5, 'nan')",
            "INSERT INTO trial_metrics (trial_id, name, value, kind) VALUES (1, 'x', 1.5, 'infinite')",
            "INSERT INTO trial_metrics (trial_id, name, value, kind) VALUES (1, 'x', NULL, 'finite')",
        ]
        for sql in refused {
            #expect(throws: DatabaseError.self, "\(sql)") { try store.database.write { db in try db.execute(sql: sql) } }
        }
        try store.database.write { db in
            try db.execute(sql: "INSERT INTO trial_metrics (trial_id, name, value, kind) VALUES (1, 'x', NULL, 'nan')")
        }
    }

    /// v5 moved v1's epoch rows into one `EpochHistory` blob per trial (what the fixture's
    /// trials read back above), dropped the epochs table and v3's trigger, and the blobs go with
    /// their trial (a foreign key with ON DELETE CASCADE): when the trial is deleted, and when
    /// deleting its sweep deletes it.
    @Test func epochsAreOneBlobPerTrialAndGoWithTheirTrial() throws {
        let directory = try TemporaryDirectory()
        let copy = directory.file("v1.sqlite")
        try FileManager.default.copyItem(atPath: FixtureV1.path, toPath: copy)
        let store = try SQLiteResultStore(path: copy)
        func histories() throws -> [Row] {
            try store.database.read { db in try Row.fetchAll(db, sql: "SELECT trial_id, length(history) AS bytes FROM trial_epochs ORDER BY trial_id") }
        }
        let leftovers = try store.database.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE name IN ('epochs', 'epochs_go_with_their_trial')")
        }
        #expect(leftovers.isEmpty)
        let trialIDs = try store.database.read { db in
            try Int64.fetchAll(db, sql: "SELECT id FROM trials ORDER BY number")
        }
        // Trial 1 had two epoch rows and trial 2 one: 64 bytes each.
        #expect(try histories() == [["trial_id": trialIDs[0], "bytes": 128], ["trial_id": trialIDs[1], "bytes": 64]])

        try store.database.write { db in try db.execute(sql: "DELETE FROM trials WHERE id = ?", arguments: [trialIDs[1]]) }
        #expect(try histories() == [["trial_id": trialIDs[0], "bytes": 128]])
        try store.deleteSweep(named: "fixture-v1")
        #expect(try histories().isEmpty)
    }

    /// v6 rebuilt trial_metrics and fold_metrics WITHOUT ROWID: a version-5 file's metric rows
    /// (written here through version 5's migrations, as no fixture has fold metrics) read back the
    /// same, their keys still refuse a second row, their checks still hold, and the rows still go
    /// with their trial.
    @Test func metricsWithoutRowIDKeepTheirRowsKeysChecksAndTrial() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("v5.sqlite")
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, identifier TEXT NOT NULL, applied_at REAL NOT NULL)")
            for (index, migration) in Schema.migrations.prefix(5).enumerated() {
                try migration.apply(db)
                try db.execute(
                    sql: "INSERT INTO schema_migrations (version, identifier, applied_at) VALUES (?, ?, 0)",
                    arguments: [index + 1, migration.identifier])
            }
            try db.execute(sql: """
                INSERT INTO sweeps (id, name, spec_json, created, status) VALUES (1, 'v5', '{}', 0, 'complete');
                INSERT INTO trials (id, sweep_id, number, parameters_json, configuration_json, seed, status)
                    VALUES (10, 1, 1, '{}', '{}', '7', 'complete'), (11, 1, 2, '{}', '{}', '8', 'diverged');
                INSERT INTO trial_metrics (trial_id, name, value, kind) VALUES
                    (10, 'validation_accuracy', 0.875, 'finite'), (10, 'validation_loss', 0.25, 'finite'),
                    (11, 'validation_loss', NULL, 'nan');
                INSERT INTO fold_metrics (trial_id, fold, name, value, kind) VALUES
                    (10, 1, 'validation_accuracy', 0.75, 'finite'), (10, 2, 'validation_accuracy', 1.0, 'finite'),
                    (10, 1, 'validation_loss', 0.5, 'finite'), (10, 2, 'validation_loss', NULL, '+inf');
                """)
        }
        try queue.close()

        let store = try SQLiteResultStore(path: path)

        let definitions = try store.database.read { db in
            try String.fetchAll(db, sql: "SELECT sql FROM sqlite_master WHERE name IN ('trial_metrics', 'fold_metrics') ORDER BY name")
        }
        #expect(definitions.count == 2 && definitions.allSatisfy { $0.hasSuffix("WITHOUT ROWID") && $0.contains("CHECK") })
        let trials = try store.trials(sweep: "v5")
        #expect(trials[0].metrics == ["validation_accuracy": 0.875, "validation_loss": 0.25])
        #expect(trials[0].foldMetrics.count == 2)
        #expect(trials[0].foldMetrics[0] == ["validation_accuracy": 0.75, "validation_loss": 0.5])
        #expect(trials[0].foldMetrics[1]["validation_accuracy"] == 1.0 && trials[0].foldMetrics[1]["validation_loss"] == .infinity)
        #expect(trials[1].metrics.count == 1 && trials[1].metrics["validation_loss"]?.isNaN == true)
        let refused = [
            "INSERT INTO trial_metrics (trial_id, name, value, kind) VALUES (10, 'validation_loss', 0.5, 'finite')",
            "INSERT INTO fold_metrics (trial_id, fold, name, value, kind) VALUES (10, 1, 'validation_loss', 0.5, 'finite')",
            "INSERT INTO fold_metrics (trial_id, fold, name, value, kind) VALUES (10, 3, 'validation_loss', 0.5, 'nan')",
            "INSERT INTO trial_metrics (trial_id, name, value, kind) VALUES (99, 'validation_loss', 0.5, 'finite')",
        ]
        for sql in refused {
            #expect(throws: DatabaseError.self, "\(sql)") { try store.database.write { db in try db.execute(sql: sql) } }
        }
        func rowCounts() throws -> [Int] {
            try store.database.read { db in
                [try Int.fetchOne(db, sql: "SELECT count(*) FROM trial_metrics")!, try Int.fetchOne(db, sql: "SELECT count(*) FROM fold_metrics")!]
            }
        }
        #expect(try rowCounts() == [3, 4])
        try store.database.write { db in try db.execute(sql: "DELETE FROM trials WHERE id = 10") }
        #expect(try rowCounts() == [1, 0])
    }

    /// Rewrites Fixtures/v1.sqlite. Run once, when version 1 was current, with
    /// `SWEEP_WRITE_FIXTURES=1 swift test --filter writeVersion1Fixture`; never again, since the
    /// file stands for what version 1 wrote.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["SWEEP_WRITE_FIXTURES"] == "1"))
    func writeVersion1Fixture() throws {
        #expect(SQLiteResultStore.schemaVersion == 1, "v1.sqlite must be written by version 1")
        let directory = try TemporaryDirectory()
        let path = directory.file("v1.sqlite")
        do {
            let store = try SQLiteResultStore(path: path)
            try FixtureV1.populate(store)
        }
        // One self-contained file: out of WAL mode, compacted.
        try DatabaseQueue(path: path).writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA journal_mode = DELETE")
            try db.execute(sql: "VACUUM")
        }
        try? FileManager.default.removeItem(atPath: FixtureV1.sourcePath)
        try FileManager.default.copyItem(atPath: path, toPath: FixtureV1.sourcePath)
    }
}

/// The contents of Fixtures/v1.sqlite: one interrupted sweep with a complete trial (with its
/// model), a diverged one (NaN and infinite values) and a pending one.
enum FixtureV1 {
    /// The fixture as the test bundle holds it, or next to this file when there is no bundle.
    static var path: String {
        if let directory = Bundle.module.url(forResource: "Fixtures", withExtension: nil) {
            return directory.appendingPathComponent("v1.sqlite").path
        }
        return sourcePath
    }

    static var sourcePath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures").appendingPathComponent("v1.sqlite").path
    }

    static func populate(_ store: SQLiteResultStore) throws {
        try store.createSweep(SweepRecord(
            name: "fixture-v1", specJSON: #"{"name":"fixture-v1"}"#,
            created: Date(timeIntervalSince1970: 1_700_000_000.5), status: .interrupted))
        let plans = [
            TrialPlan(
                number: 1, parameters: .object(["learning_rate": .number(0.01), "hidden_layers": .array([.number(8)])]),
                configurationJSON: #"{"epochs":2}"#, seed: .max),
            TrialPlan(number: 2, parameters: .object(["learning_rate": .number(10)]), configurationJSON: #"{"epochs":2}"#, seed: 2),
            TrialPlan(number: 3, parameters: .object(["learning_rate": .number(0.1)]), configurationJSON: #"{"epochs":2}"#, seed: 3),
        ]
        // Version 1 stored every trial as pending before the sweep ran (its `addPendingTrials`).
        try store.database.write { db in
            for plan in plans {
                try db.execute(
                    sql: """
                        INSERT INTO trials (sweep_id, number, parameters_json, configuration_json, seed, status)
                        VALUES ((SELECT id FROM sweeps WHERE name = 'fixture-v1'), ?, ?, ?, ?, 'pending')
                        """,
                    arguments: [plan.number, plan.parameters.canonicalText, plan.configurationJSON, String(plan.seed)])
            }
        }
        let complete = TrialRecord(
            plan: plans[0], status: .complete, startedAt: Date(timeIntervalSince1970: 1_700_000_001.25),
            endedAt: Date(timeIntervalSince1970: 1_700_000_002.75), trainSeconds: 1.5, epochsRun: 2, bestEpoch: 2,
            metrics: ["validation_accuracy": 0.75, "validation_loss": 0.5, "best_validation_metric": 0.75])
        let completeEpochs = [
            EpochRecord(fold: 1, epoch: 1, trainLoss: 0.9, trainMetric: 0.5, validationLoss: 0.8, validationMetric: 0.5,
                learningRate: 0.01, seconds: 0.5),
            EpochRecord(fold: 1, epoch: 2, trainLoss: 0.6, trainMetric: 0.7, validationLoss: 0.5, validationMetric: 0.75,
                learningRate: 0.01, seconds: 0.5),
        ]
        let model = TrainedModel(
            network: NetworkDescription(inputWidth: 2, hiddenWidths: [], outputWidth: 2),
            tensors: [
                NamedTensor(name: "0.weight", shape: [2, 2], values: [0.5, -0.5, .nan, 1]),
                NamedTensor(name: "0.bias", shape: [2], values: [0, -.infinity]),
            ],
            task: .binary, featureNames: ["a", "b"], targetName: "label", classLabels: ["no", "yes"],
            standardizer: Standardizer(means: [1, 2], standardDeviations: [0.5, 4]))
        try store.finish(sweep: "fixture-v1", record: complete, epochs: completeEpochs, model: model)
        let diverged = TrialRecord(
            plan: plans[1], status: .diverged, startedAt: Date(timeIntervalSince1970: 1_700_000_003),
            endedAt: Date(timeIntervalSince1970: 1_700_000_003.5), trainSeconds: 0.5, epochsRun: 1, divergedEpoch: 1,
            metrics: ["validation_loss": .nan, "train_loss": .infinity, "best_validation_metric": -.infinity],
            errorMessage: "loss became NaN")
        let divergedEpochs = [
            EpochRecord(fold: 1, epoch: 1, trainLoss: .nan, trainMetric: nil, validationLoss: nil, validationMetric: nil,
                learningRate: 0.01, seconds: 0.5),
        ]
        try store.finish(sweep: "fixture-v1", record: diverged, epochs: divergedEpochs, model: nil)
    }
}
