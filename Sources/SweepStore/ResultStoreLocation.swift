import Foundation
import SweepKit

/// Where `--db` says the results are: a PostgreSQL URL, or otherwise the path of an SQLite
/// file. The one place that tells the two apart; the commands hold whichever `ResultStore`
/// `open` returns.
public enum ResultStoreLocation: Sendable, Hashable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresAddress)

    /// - Throws: `PostgresResultStoreError.badAddress` for text that starts like a PostgreSQL
    ///   URL but is not a usable one.
    public init(parsing text: String) throws {
        self = PostgresAddress.isURL(text) ? .postgres(try PostgresAddress(parsing: text)) : .sqlite(path: text)
    }

    /// The path, or the URL without its password.
    public var description: String {
        switch self {
        case .sqlite(let path): path
        case .postgres(let address): address.description
        }
    }

    /// Whether the database may not exist yet in a way a reader can tell (a missing file).
    /// A PostgreSQL database is there or the connection says it is not.
    public var isMissing: Bool {
        if case .sqlite(let path) = self { return !FileManager.default.fileExists(atPath: path) }
        return false
    }

    /// Opens the store. `forReading`: a command that only reads, which may read an SQLite file
    /// it cannot write (`SQLiteResultStore.openForReading`). `checkingIntegrity`: SQLite's
    /// integrity check, before a run writes to a file or an export reads a model from it
    /// (PostgreSQL checks its pages itself). `note` hears what a person should know about how
    /// it was opened (an SQLite file read as last saved, since it cannot be written).
    public func open(
        forReading: Bool = false, checkingIntegrity: Bool = false, note: (String) -> Void = { _ in }
    ) throws -> any ResultStore {
        switch self {
        case .sqlite(let path):
            let store = forReading ? try SQLiteResultStore.openForReading(path: path) : try SQLiteResultStore(path: path)
            if store.isReadOnly {
                note("\(path) cannot be written; reading it as last saved (a sweep writing it now may have newer results)")
            }
            if checkingIntegrity { try store.checkIntegrity() }
            return store
        case .postgres(let address):
            return try PostgresResultStore(address: address)
        }
    }
}
