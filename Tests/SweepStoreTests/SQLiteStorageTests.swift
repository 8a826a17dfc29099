import Foundation
import GRDB
import Testing
import SweepKit
@testable import SweepStore

/// What the SQLite store puts in the file, read back with plain SQL.
struct SQLiteStorageTests {
    @Test func nonFiniteValuesAreStoredAsKindsBesideNullValues() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteResultStore(path: directory.file("sweeps.sqlite"))
        try store.createSweep(Sample.sweep())
        try store.finish(sweep: "phone-price", record: Sample.divergedRecord(1), epochs: Sample.nonFiniteEpochs, model: nil)

        let metrics = try store.database.read { db in
            try Row.fetchAll(db, sql: "SELECT name, value, kind FROM trial_metrics ORDER BY name")
        }
        #expect(metrics == [
            ["name": "best_validation_metric", "value": nil, "kind": "-inf"],
            ["name": "train_loss", "value": nil, "kind": "+inf"],
            ["name": "validation_accuracy", "value": 0.0, "kind": "finite"],
            ["name": "validation_loss", "value": nil, "kind": "nan"],
        ])
        let epochs = try store.database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT train_loss, train_loss_kind, train_metric, train_metric_kind, validation_loss,
                        validation_loss_kind, validation_metric, validation_metric_kind, learning_rate_kind, seconds_kind
                    FROM epochs ORDER BY epoch
                    """)
        }
        #expect(epochs == [
            [
                "train_loss": 2.5, "train_loss_kind": "finite", "train_metric": nil, "train_metric_kind": nil,
                "validation_loss": nil, "validation_loss_kind": nil, "validation_metric": 0.0,
                "validation_metric_kind": "finite", "learning_rate_kind": "finite", "seconds_kind": "finite",
            ],
            [
                "train_loss": nil, "train_loss_kind": "nan", "train_metric": nil, "train_metric_kind": "+inf",
                "validation_loss": nil, "validation_loss_kind": "-inf", "validation_metric": nil,
                "validation_metric_kind": "nan", "learning_rate_kind": "+inf", "seconds_kind": "nan",
            ],
        ])
    }

    @Test func theTablesRefuseAValueThatContradictsItsKind() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteResultStore(path: directory.file("sweeps.sqlite"))
        try store.createSweep(Sample.sweep())
        try store.finish(sweep: "phone-price", record: Sample.completeRecord(1), epochs: [], model: nil)

        for (value, kind) in [("1.5", "'nan'"), ("NULL", "'finite'"), ("1.5", "'infinite'")] {
            #expect(throws: DatabaseError.self) {
                try store.database.write { db in
                    try db.execute(sql: "INSERT INTO trial_metrics (trial_id, name, value, kind) VALUES (1, 'x', \(value), \(kind))")
                }
            }
        }
    }

    @Test func seedsAreStoredAsDecimalText() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteResultStore(path: directory.file("sweeps.sqlite"))
        try store.createSweep(Sample.sweep())
        for plan in [Sample.plan(1, seed: .max), Sample.plan(2, seed: 42)] { try store.startTrial(sweep: "phone-price", plan: plan, at: Sample.created) }

        let seeds = try store.database.read { db in
            try Row.fetchAll(db, sql: "SELECT seed, typeof(seed) AS type FROM trials ORDER BY number")
        }

        #expect(seeds == [["seed": "18446744073709551615", "type": "text"], ["seed": "42", "type": "text"]])
    }

    @Test func datesKeepSubMillisecondPrecision() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteResultStore(path: directory.file("sweeps.sqlite"))
        // An arbitrary instant, as Date() gives, need not survive bit for bit; a microsecond does.
        let created = Date(timeIntervalSinceReferenceDate: 752_000_000.123_456_7)
        try store.createSweep(Sample.sweep(created: created))

        let stored = try #require(try store.sweep(named: "phone-price"))

        #expect(abs(stored.created.timeIntervalSince(created)) < 1e-6)
        let text = try store.database.read { db in
            try String.fetchOne(db, sql: "SELECT strftime('%Y-%m-%d %H:%M:%f', created, 'unixepoch') FROM sweeps")
        }
        #expect(text == "2024-10-30 16:53:20.123")  // 752 000 000 s after 2001-01-01 00:00 UTC
    }

    @Test func weightsTakeFourBytesEachPlusAHeader() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteResultStore(path: directory.file("sweeps.sqlite"))
        try store.createSweep(Sample.sweep())
        let model = try Sample.model()
        try store.finish(sweep: "phone-price", record: Sample.completeRecord(1), epochs: [], model: model)

        let blobLength = try store.database.read { db in
            try Int.fetchOne(db, sql: "SELECT length(tensors) FROM models")
        }
        let valueCount = model.tensors.reduce(0) { $0 + $1.values.count }

        let headerLength = try #require(blobLength) - 4 * valueCount - 4
        #expect(headerLength > 0 && headerLength < 100 * model.tensors.count)
    }

    @Test func openingSetsWALForeignKeysAndABusyTimeout() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteResultStore(path: directory.file("sweeps.sqlite"))

        let settings = try store.database.write { db in
            try ["journal_mode", "foreign_keys", "busy_timeout", "synchronous"].map { pragma in
                try String.fetchOne(db, sql: "PRAGMA \(pragma)")
            }
        }

        // foreign_keys 1 is on, the timeout is in milliseconds, synchronous 1 is NORMAL.
        #expect(settings == ["wal", "1", "5000", "1"])
    }

    @Test func openingCreatesMissingParentDirectories() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("results/nested/sweeps.sqlite")

        _ = try SQLiteResultStore(path: path)

        #expect(FileManager.default.fileExists(atPath: path))
    }

    @Test func aReopenedStoreReadsWhatWasWritten() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("sweeps.sqlite")
        let record = Sample.divergedRecord(2)
        let model = try Sample.model()
        do {
            let store = try SQLiteResultStore(path: path)
            try store.createSweep(Sample.sweep())
            try store.finish(sweep: "phone-price", record: Sample.completeRecord(1), epochs: Sample.epochs(), model: model)
            try store.finish(sweep: "phone-price", record: record, epochs: Sample.nonFiniteEpochs, model: nil)
        }

        let reopened = try SQLiteResultStore(path: path)

        #expect(try reopened.sweep(named: "phone-price") == Sample.sweep())
        #expect(sameRecords(try reopened.trials(sweep: "phone-price"), [Sample.completeRecord(1), record]))
        #expect(sameEpochs(try reopened.epochs(sweep: "phone-price", trial: 2), Sample.nonFiniteEpochs))
        #expect(sameModel(try reopened.model(sweep: "phone-price", trial: 1), model))
    }
}
