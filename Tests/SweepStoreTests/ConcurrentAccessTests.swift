import Dispatch
import Foundation
import GRDB
import Testing
import SweepKit
@testable import SweepStore

/// Several connections to one file, as when `sweep list` runs beside a live sweep or two sweeps
/// share a results database.
struct ConcurrentAccessTests {
    @Test func aSecondStoreReadsAndThenWritesWhileAnotherHoldsTheWriteLock() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("sweeps.sqlite")
        let writer = try SQLiteResultStore(path: path)
        let other = try SQLiteResultStore(path: path)
        try writer.createSweep(Sample.sweep())
        let lockTaken = DispatchSemaphore(value: 0)
        let writerDone = DispatchGroup()
        let holdSeconds = 0.5

        writerDone.enter()
        DispatchQueue.global().async {
            defer { writerDone.leave() }
            try? writer.database.write { db in
                try db.execute(sql: "UPDATE sweeps SET status = 'complete'")
                lockTaken.signal()
                Thread.sleep(forTimeInterval: holdSeconds)
            }
        }
        lockTaken.wait()

        // WAL: the reader sees the last commit at once, without waiting for the writer.
        let readStart = Date()
        #expect(try other.sweep(named: "phone-price")?.status == .running)
        #expect(Date().timeIntervalSince(readStart) < holdSeconds / 2)

        // Busy timeout: the write waits for the lock instead of failing, then lands after it.
        try other.setSweepStatus("phone-price", .interrupted)
        writerDone.wait()
        #expect(try writer.sweep(named: "phone-price")?.status == .interrupted)
    }

    @Test func anotherConnectionSeesEachFinishedTrialAllAtOnce() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("sweeps.sqlite")
        let writer = try SQLiteResultStore(path: path)
        let reader = try SQLiteResultStore(path: path)
        let trialCount = 12
        let epochs = Sample.epochs(count: 4, folds: 2)
        let model = try Sample.model()
        try writer.createSweep(Sample.sweep())

        let writing = DispatchGroup()
        // The reader signals each snapshot, and the writer waits for one after each trial, so
        // that the reads overlap the writes even on a busy machine (where the writer could
        // otherwise finish before the reader's second look).
        let snapshotTaken = DispatchSemaphore(value: 0)
        writing.enter()
        DispatchQueue.global().async {
            defer { writing.leave() }
            for number in 1...trialCount {
                try? writer.startTrial(sweep: "phone-price", plan: Sample.plan(number), at: Sample.created)
                try? writer.finish(sweep: "phone-price", record: Sample.completeRecord(number), epochs: epochs, model: model)
                _ = snapshotTaken.wait(timeout: .now() + 5)
            }
        }

        var snapshots = 0
        var inconsistent: [String] = []
        repeat {
            // One statement reads one snapshot: a trial is either not finished at all or finished
            // with all its epochs, metrics and model.
            let rows = try reader.database.read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT number, status,
                            (SELECT COALESCE(SUM(length(history) / 64), 0) FROM trial_epochs WHERE trial_id = trials.id) AS epochs,
                            (SELECT COUNT(*) FROM trial_metrics WHERE trial_id = trials.id) AS metrics,
                            (SELECT COUNT(*) FROM models WHERE trial_id = trials.id) AS models
                        FROM trials
                        """)
            }
            for row in rows {
                let finished = (row["status"] as String) == "complete"
                let counts = [row["epochs"] as Int, row["metrics"] as Int, row["models"] as Int]
                let expected = finished ? [epochs.count, Sample.completeRecord(1).metrics.count, 1] : [0, 0, 0]
                if counts != expected { inconsistent.append("\(row)") }
            }
            snapshots += 1
            snapshotTaken.signal()
        } while writing.wait(timeout: .now()) == .timedOut

        #expect(inconsistent.isEmpty)
        #expect(snapshots > 1)
        #expect(try reader.trials(sweep: "phone-price").allSatisfy { $0.status == .complete })
    }

    @Test func storesOpeningANewFileAtOnceAllSucceed() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("sweeps.sqlite")
        let failures = FailureList()

        // Only one may create the tables; the others wait for it and then find them.
        DispatchQueue.concurrentPerform(iterations: 6) { _ in
            do {
                let store = try SQLiteResultStore(path: path)
                if try store.storedSchemaVersion() != SQLiteResultStore.schemaVersion { failures.append("wrong version") }
            } catch {
                failures.append("\(error)")
            }
        }

        #expect(failures.all.isEmpty)
    }
}

/// Errors gathered from several threads.
private final class FailureList: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var failures: [String] = []

    func append(_ failure: String) {
        lock.withLock { failures.append(failure) }
    }

    var all: [String] {
        lock.withLock { failures }
    }
}
