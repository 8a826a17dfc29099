/// Why the SQLite store cannot use a file. Requests that do not fit the stored data (a missing
/// sweep, a duplicate name) throw the backend-neutral `ResultStoreError` instead.
public enum SQLiteResultStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file was written by a newer sweep whose schema this one does not know.
    case newerSchema(path: String, found: Int, supported: Int)
    /// A stored value cannot be read back: the file was edited by hand or damaged.
    case corrupt(String)
    /// SQLite's integrity check found damage in the file.
    case damaged(path: String, problems: [String])
    /// A write failed because the disk (or the file system's quota) is full.
    case diskFull(path: String)
    /// The path is a directory.
    case isDirectory(path: String)
    /// The path names a device, a FIFO or a socket: what kind, for the message.
    case notARegularFile(path: String, kind: String)
    /// The file is not an SQLite database.
    case notADatabase(path: String)
    /// The file or its folder cannot be opened or created (permissions, a missing mount).
    case cannotOpen(path: String, reason: String)
    /// An SQLite database with tables of another program's, none of the store's: left untouched.
    case notASweepDatabase(path: String, tables: [String])
    /// A command that only reads was given a file without the store's tables (an empty file or
    /// database, or none at all), which it would otherwise have created.
    case holdsNoSweeps(path: String)

    public var description: String { description(option: "--db") }

    /// The message, naming `option` as the command's option that takes the database
    /// (`sweep copy`'s `--from` and `--to`).
    public func description(option: String) -> String {
        switch self {
        case .newerSchema(let path, let found, let supported):
            return "\(path) has schema version \(found), but this sweep reads versions up to \(supported); use a newer sweep"
        case .corrupt(let detail):
            return "the results database is damaged: \(detail)"
        case .damaged(let path, let problems):
            let shown = problems.prefix(3).joined(separator: "; ") + (problems.count > 3 ? "; … (\(problems.count) problems)" : "")
            return "\(path) is damaged (SQLite finds: \(shown)); restore it from a backup, or save what is readable with `sqlite3 \(path) .recover | sqlite3 recovered.sqlite` and pass \(option) recovered.sqlite"
        case .diskFull(let path):
            return "the disk holding \(path) is full; every trial finished before this point is stored, so free some space and run the same command again to resume"
        case .isDirectory(let path):
            return "\(path) is a directory; \(option) takes the database file, e.g. \(option) \(path.hasSuffix("/") ? path : path + "/")sweeps.sqlite"
        case .notARegularFile(let path, let kind):
            return "\(path) is \(kind), not a regular file; the results database must be a regular file path, e.g. \(option) results/sweeps.sqlite (sweep run creates it)"
        case .notADatabase(let path):
            return "\(path) is not a sweep results database (not an SQLite file); pass another \(option), or move the file away"
        case .cannotOpen(let path, let reason):
            return "cannot open \(path): \(reason)"
        case .notASweepDatabase(let path, let tables):
            let shown = tables.prefix(5).joined(separator: ", ") + (tables.count > 5 ? " and \(tables.count - 5) more" : "")
            return "\(path) is another program's SQLite database (tables: \(shown)), not a sweep results database; sweep leaves it as it is. Pass another \(option): a sweep database, or a new file for sweep run to create"
        case .holdsNoSweeps(let path):
            return "\(path) holds no sweep results (it has no tables); run a sweep into it first (sweep run SPEC.json --db \(path)), or pass the \(option) of a sweep database"
        }
    }
}
