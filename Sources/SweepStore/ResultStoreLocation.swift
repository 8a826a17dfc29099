import Foundation
import SweepKit

/// Where `--db` says the results are: a PostgreSQL URL, or otherwise the path of an SQLite
/// file. The one place that tells the two apart; the commands hold whichever `ResultStore`
/// `open` returns.
public enum ResultStoreLocation: Sendable, Hashable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresAddress)

    /// - Throws: `PostgresResultStoreError.badAddress` for text that starts like a PostgreSQL
    ///   URL but is not a usable one, or like a URL of another scheme (a mistyped
    ///   `postgressql://` would otherwise become a file named after the URL, password and all).
    public init(parsing text: String) throws {
        if PostgresAddress.isURL(text) {
            self = .postgres(try PostgresAddress(parsing: text))
        } else if let scheme = Self.urlScheme(of: text) {
            throw PostgresResultStoreError.badAddress(
                reason: "'\(scheme)://' is not a scheme it knows (only postgresql:// and postgres://; a file path has no '://')")
        } else {
            self = .sqlite(path: text)
        }
    }

    /// The scheme of text that starts like a URL (`letters://`), if it does.
    private static func urlScheme(of text: String) -> String? {
        guard let separator = text.range(of: "://") else { return nil }
        let scheme = text[..<separator.lowerBound]
        guard let first = scheme.first, first.isASCII, first.isLetter,
            scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) })
        else { return nil }
        return String(scheme)
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

    /// Opens the store. `forReading`: a command that only reads, which refuses a database
    /// without the store's tables instead of creating them (an SQLite file, or the current
    /// schema of a PostgreSQL database), and may read an SQLite file it cannot write
    /// (`SQLiteResultStore.openForReading`). `checkingIntegrity`: SQLite's
    /// integrity check, before a run writes to a file or an export reads a model from it
    /// (PostgreSQL checks its pages itself). `note` hears what a person should know about how
    /// it was opened (an SQLite file read as last saved, since it cannot be written).
    public func open(
        forReading: Bool = false, checkingIntegrity: Bool = false, note: (String) -> Void = { _ in }
    ) throws -> any ResultStore {
        switch self {
        case .sqlite(let path):
            let store = forReading ? try SQLiteResultStore.openForReading(path: path) : try SQLiteResultStore(path: path)
            if store.readsLastSaved {
                note("\(path) cannot be written; reading it as last saved (a sweep writing it now may have newer results)")
            }
            if checkingIntegrity { try store.checkIntegrity() }
            return store
        case .postgres(let address):
            return try PostgresResultStore(address: address, creatingTables: !forReading)
        }
    }
}
