import Foundation
import GRDB
import Testing
@testable import SweepKit
@testable import SweepStore

/// Files that cannot serve as a results database, and a disk that fills up mid-sweep: each a
/// clear error that says what to do, and nothing finished lost.
struct DatabaseFaultTests {
    @Test func aDirectoryIsNotADatabase() throws {
        let directory = try TemporaryDirectory()
        #expect(throws: SQLiteResultStoreError.isDirectory(path: directory.path)) { try SQLiteResultStore(path: directory.path) }
    }

    /// A FIFO, directly or through a link: refused for what it is before SQLite opens it (whose
    /// read would wait for a writer), as a device such as /dev/null is.
    @Test func aFIFOIsNotADatabaseFileThroughALinkEither() throws {
        let directory = try TemporaryDirectory()
        let fifo = directory.file("results.sqlite")
        try #require(mkfifo(fifo, 0o644) == 0)
        // Junk waiting in the FIFO: opened as a database, it would be read as junk rather than
        // wait for a writer, so that the test fails instead of hanging.
        let descriptor = open(fifo, O_RDWR | O_NONBLOCK)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        let junk = [UInt8](repeating: 0x5A, count: 16_384)
        try #require(junk.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) } == junk.count)
        let link = directory.file("link.sqlite")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: fifo)
        for path in [fifo, link] {
            let refusal = SQLiteResultStoreError.notARegularFile(path: path, kind: "a FIFO (a named pipe)")
            #expect(throws: refusal) { try SQLiteResultStore(path: path) }
            #expect(throws: refusal) { try SQLiteResultStore.openForReading(path: path) }
            #expect(throws: refusal) { try SQLiteResultStore(readingPath: path, through: .lastSaved) }
            #expect(SQLiteResultStore.inspect(path: path) == .unusable(refusal.description))
            #expect(refusal.description.contains("the results database must be a regular file path"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == ["link.sqlite", "results.sqlite"])
    }

    @Test func aFileThatIsNotSQLiteIsSaidToBeSo() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("notes.sqlite")
        try Data("these are notes, not a database\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: SQLiteResultStoreError.notADatabase(path: path)) { try SQLiteResultStore(path: path) }
    }

    /// Another program's database (a mistyped --db) is refused by writers and readers alike, and
    /// left byte for byte as it was: no tables added, not switched to WAL mode.
    @Test func anotherProgramsDatabaseIsRefusedAndLeftAsItWas() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("notes.sqlite")
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('milk')")
            try db.execute(sql: "CREATE TABLE tags (name TEXT)")
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let refusal = SQLiteResultStoreError.notASweepDatabase(path: path, tables: ["notes", "tags"])
        #expect(throws: refusal) { try SQLiteResultStore(path: path) }
        #expect(throws: refusal) { try SQLiteResultStore.openForReading(path: path) }
        #expect(throws: refusal) { try SQLiteResultStore(readingPath: path, through: .lastSaved) }
        #expect(SQLiteResultStore.inspect(path: path) == .unusable(refusal.description))
        // Migrating it directly is refused too, inside the transaction that would create the tables.
        #expect(throws: refusal) { try Schema.migrate(DatabaseQueue(path: path), path: path) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
        #expect(refusal.description.contains("not a sweep results database"))
    }

    /// A file without tables is where `sweep run` starts a database, but a command that only
    /// reads refuses it rather than creating the tables (or the file).
    @Test func aReaderRefusesAFileWithoutTablesAndLeavesItAsItWas() throws {
        let directory = try TemporaryDirectory()
        let empty = directory.file("empty.sqlite")
        #expect(FileManager.default.createFile(atPath: empty, contents: nil))
        #expect(throws: SQLiteResultStoreError.holdsNoSweeps(path: empty)) { try SQLiteResultStore.openForReading(path: empty) }
        #expect(try FileManager.default.attributesOfItem(atPath: empty)[.size] as? Int == 0)
        let missing = directory.file("missing.sqlite")
        #expect(throws: SQLiteResultStoreError.holdsNoSweeps(path: missing)) { try SQLiteResultStore.openForReading(path: missing) }
        #expect(!FileManager.default.fileExists(atPath: missing))

        #expect(try SQLiteResultStore(path: empty).storedSchemaVersion() == SQLiteResultStore.schemaVersion)
        #expect(try SQLiteResultStore.openForReading(path: empty).sweeps().isEmpty)
    }

    @Test func garbageOverAPageIsFoundByTheIntegrityCheck() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("sweeps.sqlite")
        do {
            let store = try SQLiteResultStore(path: path)
            try store.createSweep(Sample.sweep())
            for number in 1...20 {
                try store.finish(sweep: "phone-price", record: Sample.completeRecord(number), epochs: Sample.epochs(count: 30, folds: 2), model: try Sample.model())
            }
            try store.checkIntegrity()
        }
        // Checkpointed and closed: the file holds everything; overwrite its fifth page.
        try DatabaseQueue(path: path).writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        let file = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try file.seek(toOffset: 4 * 4096)
        try file.write(contentsOf: Data(repeating: 0x5A, count: 4096))
        try file.close()

        let error = #expect(throws: SQLiteResultStoreError.self) { try SQLiteResultStore(path: path).checkIntegrity() }
        guard case .damaged(let damagedPath, let problems)? = error else {
            Issue.record("expected a damaged database, got \(String(describing: error))")
            return
        }
        #expect(damagedPath == path && !problems.isEmpty)
        #expect(error?.description.contains(".recover") == true)
    }

    /// SQLite's page limit stands in for a full disk: a write that needs a page more fails with
    /// SQLITE_FULL, exactly as when the disk has no room left.
    @Test func aFullDiskEndsTheSweepWithWhatToDoAndKeepsEveryFinishedTrial() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("sweeps.sqlite")
        let store = try SQLiteResultStore(path: path)
        let spec = try SweepSpec.parse(Data("""
            {"name": "filling", "data": "builtin:phone-price?rows=400", "method": "random", "trials": 40, "seed": 3,
             "fixed": {"hidden_layers": [32], "epochs": 3},
             "parameters": {"lr": {"distribution": "log_uniform", "min": 0.001, "max": 0.1}}}
            """.utf8), source: "spec.json")
        let data = try PreparedData.load(spec.data)
        let pages = try await store.database.read { try Int.fetchOne($0, sql: "PRAGMA page_count") } ?? 0
        try await store.database.writeWithoutTransaction { try $0.execute(sql: "PRAGMA max_page_count = \(pages + 12)") }

        let error = await #expect(throws: SQLiteResultStoreError.self) {
            // Each trial committed as it ends (as trials further apart than the commit interval
            // are), so that some fit before the disk is full: a commit of several that does not
            // fit stores none of them, and they were not reported finished.
            _ = try await SweepScheduler(
                spec: spec, data: data, store: store, options: SweepRunOptions(jobs: 2, commitInterval: 0), stop: StopSignal()
            ).run()
        }
        #expect(error == .diskFull(path: path))
        #expect(error?.description.contains("run the same command again to resume") == true)
        let stored = try store.trials(sweep: "filling")
        let complete = stored.filter { $0.status == .complete }
        #expect(!complete.isEmpty && complete.count < 40, "\(complete.count) complete")
        for trial in complete {
            #expect(try store.epochs(sweep: "filling", trial: trial.number).count == 3)
            #expect(try store.model(sweep: "filling", trial: trial.number) != nil)
        }

        // With room again, the same sweep resumes and completes.
        let reopened = try SQLiteResultStore(path: path)
        let summary = try await SweepScheduler(
            spec: spec, data: data, store: reopened, options: SweepRunOptions(jobs: 2), stop: StopSignal()
        ).run()
        #expect(summary.trials.count == 40 && summary.trials.allSatisfy { $0.status == .complete })
        for trial in complete {
            #expect(summary.trials.first { $0.number == trial.number }?.metrics == trial.metrics)
        }
    }
}
