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
        // The epochs: eight little-endian doubles each; NaN is the quiet NaN, an absent value
        // the NaN with payload 0xA85E0000.
        let history = try #require(try store.database.read { db in try Data.fetchOne(db, sql: "SELECT history FROM trial_epochs") })
        let absent: UInt64 = 0x7FF8_0000_A85E_0000, nan: UInt64 = 0x7FF8_0000_0000_0000
        let one: UInt64 = 0x3FF0_0000_0000_0000, two: UInt64 = 0x4000_0000_0000_0000, twoAndAHalf: UInt64 = 0x4004_0000_0000_0000
        let infinity: UInt64 = 0x7FF0_0000_0000_0000, minusInfinity: UInt64 = 0xFFF0_0000_0000_0000
        let expected: [UInt64] = [
            one, one, twoAndAHalf, absent, absent, 0, 0, 0,
            one, two, nan, infinity, minusInfinity, nan, infinity, nan,
        ]
        #expect(Array(history) == expected.flatMap { bits in (0..<8).map { UInt8(truncatingIfNeeded: bits >> (8 * $0)) } })
    }

    /// A NaN is stored as the one quiet NaN whatever its sign and payload, so that none can be
    /// taken for an absent value.
    @Test func everyNaNIsStoredAsTheQuietNaN() throws {
        let odd = Double(bitPattern: 0xFFF8_0000_A85E_0000), absentLookalike = Double(bitPattern: 0x7FF8_0000_A85E_0000)
        let epoch = EpochRecord(
            fold: 0, epoch: 3, trainLoss: odd, trainMetric: absentLookalike, validationLoss: nil, validationMetric: nil,
            learningRate: 0.5, seconds: 1)
        let read = try EpochHistory.epochs(from: EpochHistory.blob(of: [epoch]))
        #expect(read.count == 1)
        #expect(read[0].trainLoss.bitPattern == 0x7FF8_0000_0000_0000 && read[0].trainMetric?.bitPattern == 0x7FF8_0000_0000_0000)
        #expect(read[0].validationLoss == nil && read[0].validationMetric == nil)
        #expect(read[0].fold == 0 && read[0].epoch == 3 && read[0].learningRate == 0.5 && read[0].seconds == 1)
    }

    /// `sweep validate` and `run` bound a sweep's epoch history with this figure.
    @Test func anEpochTakesTheBytesTheSpecsEstimateCounts() {
        #expect(EpochHistory.blob(of: Sample.nonFiniteEpochs).count == Sample.nonFiniteEpochs.count * EpochHistoryEstimate.bytesPerEpoch)
    }

    @Test func aDamagedHistoryIsCorrupt() throws {
        let blob = EpochHistory.blob(of: Sample.nonFiniteEpochs)
        #expect(throws: SQLiteResultStoreError.self) { try EpochHistory.epochs(from: blob.dropLast(3)) }
        var fractionalEpoch = blob
        fractionalEpoch.replaceSubrange(8..<16, with: withUnsafeBytes(of: (1.5).bitPattern.littleEndian) { Data($0) })
        #expect(throws: SQLiteResultStoreError.self) { try EpochHistory.epochs(from: fractionalEpoch) }
        var noTrainLoss = blob
        noTrainLoss.replaceSubrange(16..<24, with: withUnsafeBytes(of: EpochHistory.absent.littleEndian) { Data($0) })
        #expect(throws: SQLiteResultStoreError.self) { try EpochHistory.epochs(from: noTrainLoss) }
        #expect(try EpochHistory.epochs(from: blob)[0] == Sample.nonFiniteEpochs[0])
        #expect(try EpochHistory.epochs(from: Data()).isEmpty)
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

    /// A trial whose row changed after its store marked it running (another store finished it,
    /// or it was interrupted) is still finished whole by that store: what is stored is the last
    /// outcome written, its metrics and epochs alone, without the earlier outcome's model.
    @Test func aTrialChangedSinceItsStoreMarkedItRunningIsStillFinishedWhole() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("sweeps.sqlite")
        let mine = try SQLiteResultStore(path: path)
        let other = try SQLiteResultStore(path: path)
        try mine.createSweep(Sample.sweep())
        for number in 1...3 { try mine.startTrial(sweep: "phone-price", plan: Sample.plan(number), at: Sample.created) }
        // Trial 1 finished by another store, trials 2 and 3 interrupted, then all three finished here.
        try other.finish(
            sweep: "phone-price", record: Sample.divergedRecord(1), epochs: Sample.epochs(count: 5, folds: 3), model: try Sample.model())
        try other.interruptRunningTrials(sweep: "phone-price")
        let records = [Sample.completeRecord(1, accuracy: 0.5), Sample.completeRecord(2, accuracy: 0.625), Sample.completeRecord(3)]
        for record in records { try mine.finish(sweep: "phone-price", record: record, epochs: Sample.epochs(), model: nil) }
        // Trial 4, marked running and finished by this store alone.
        try mine.startTrial(sweep: "phone-price", plan: Sample.plan(4), at: Sample.created)
        let model = try Sample.model()
        try mine.finish(sweep: "phone-price", record: Sample.completeRecord(4, accuracy: 0.75), epochs: Sample.nonFiniteEpochs, model: model)

        let reopened = try SQLiteResultStore(path: path)
        #expect(sameRecords(try reopened.trials(sweep: "phone-price"), records + [Sample.completeRecord(4, accuracy: 0.75)]))
        for number in 1...3 {
            #expect(sameEpochs(try reopened.epochs(sweep: "phone-price", trial: number), Sample.epochs()))
            #expect(try reopened.model(sweep: "phone-price", trial: number) == nil)
        }
        #expect(sameEpochs(try reopened.epochs(sweep: "phone-price", trial: 4), Sample.nonFiniteEpochs))
        #expect(sameModel(try reopened.model(sweep: "phone-price", trial: 4), model))
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
