/// Why the SQLite store cannot use a file. Requests that do not fit the stored data (a missing
/// sweep, a duplicate name) throw the backend-neutral `ResultStoreError` instead.
public enum SQLiteResultStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file was written by a newer sweep whose schema this one does not know.
    case newerSchema(path: String, found: Int, supported: Int)
    /// A stored value cannot be read back: the file was edited by hand or damaged.
    case corrupt(String)

    public var description: String {
        switch self {
        case .newerSchema(let path, let found, let supported):
            return "\(path) has schema version \(found), but this sweep reads versions up to \(supported); use a newer sweep"
        case .corrupt(let detail):
            return "the results database is damaged: \(detail)"
        }
    }
}
