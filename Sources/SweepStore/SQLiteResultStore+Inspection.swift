import Foundation
import GRDB

/// What is at a results database's path, found without writing anything: for a reader that
/// must never create, migrate or lock the file (`sweep dashboard`), and that waits for a sweep
/// to create it rather than failing.
public enum ResultFileState: Sendable, Hashable {
    /// No file at the path.
    case missing
    /// An SQLite file without any tables yet: a sweep is creating it.
    case empty
    /// The current schema: `SQLiteResultStore.openForReading` opens it without writing.
    case current
    /// An older schema, which only a writer can upgrade.
    case older(version: Int)
    /// A schema newer than this sweep knows.
    case newer(version: Int)
    /// Another connection holds a lock that keeps readers out (an exclusive locking mode, WAL
    /// recovery); it may pass.
    case busy
    /// A directory, a device or a FIFO, a file that is not SQLite, another program's database, one that cannot be
    /// read: with what to do.
    case unusable(String)
}

extension SQLiteResultStore {
    /// Inspects the file at `path` through a read-only connection (the schema version only).
    public static func inspect(path: String) -> ResultFileState {
        guard FileManager.default.fileExists(atPath: path) else { return .missing }
        do {
            try refuseUnlessRegularFile(path)
        } catch {
            return .unusable(error.description)
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            return .unusable(SQLiteResultStoreError.cannotOpen(path: path, reason: "you may not read it; check its permissions").description)
        }
        var configuration = Configuration()
        configuration.label = "sweep results (inspection)"
        configuration.readonly = true
        configuration.busyMode = .timeout(0.5)
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            let version: Int
            switch try queue.read(Schema.contents) {
            case .empty: return .empty
            case .foreign(let tables): return .unusable(SQLiteResultStoreError.notASweepDatabase(path: path, tables: tables).description)
            case .sweeps(let stored): version = stored
            }
            if version == 0 { return .empty }
            if version < Schema.version { return .older(version: version) }
            if version > Schema.version { return .newer(version: version) }
            return .current
        } catch let error as DatabaseError where isBusy(error) {
            return .busy
        } catch let error as DatabaseError {
            return .unusable(String(describing: explained(error, path: path)))
        } catch {
            return .unusable("cannot read \(path): \(error)")
        }
    }

    /// The store for a reader that must never write the file, and must see a running sweep's
    /// newest results (`sweep dashboard`): one read-only connection, which reads the WAL as any
    /// reader does (SQLite may create the empty `-wal` and `-shm` files for it), where the usual
    /// opening would set up WAL mode with a write when no `-wal` file exists. For a file of the
    /// current schema (`inspect`); one that cannot be read so falls back to `openForReading`'s
    /// last saved state.
    public static func openLiveForReading(path: String) throws -> SQLiteResultStore {
        do {
            return try SQLiteResultStore(readingPath: path, through: .readOnly)
        } catch SQLiteResultStoreError.cannotOpen {
            return try SQLiteResultStore(readingPath: path, through: .lastSaved)
        }
    }

    /// Whether an error a store call threw is SQLite's "busy" or "locked": another connection's
    /// lock, which a later try may not meet.
    public static func isBusy(_ error: any Error) -> Bool {
        guard let error = error as? DatabaseError else { return false }
        return error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED
    }
}
