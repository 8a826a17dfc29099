import Foundation

/// A PostgreSQL database named by a URL, `postgresql://user:password@host:port/database`
/// (libpq's form; `postgres://` too). The port defaults to 5432, the user to `postgres`;
/// user and password may be percent-encoded. Described without its password, so that
/// messages and logs never show it.
public struct PostgresAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    /// The password is PGPASSWORD's, not the URL's.
    public var passwordFromEnvironment = false

    /// Whether `text` is meant as a PostgreSQL URL rather than a file path.
    public static func isURL(_ text: String) -> Bool {
        let lowered = text.lowercased()
        return lowered.hasPrefix("postgresql:") || lowered.hasPrefix("postgres:")
    }

    /// - Throws: `PostgresResultStoreError.badAddress` saying what is missing or wrong.
    public init(parsing text: String) throws {
        func bad(_ reason: String) -> PostgresResultStoreError {
            .badAddress(reason: reason)
        }
        guard Self.isURL(text) else { throw bad("it does not start with postgresql://") }
        guard let components = URLComponents(string: text) else {
            throw bad("it is not a URL (characters such as @, : or / in the password must be percent-encoded, e.g. %40 for @)")
        }
        guard text.lowercased().hasPrefix("postgresql://") || text.lowercased().hasPrefix("postgres://") else {
            throw bad("the scheme must be followed by //host")
        }
        guard let host = components.host, !host.isEmpty else { throw bad("it names no host") }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !database.isEmpty else { throw bad("it names no database (…@\(host)/DATABASE)") }
        guard !database.contains("/") else { throw bad("'\(database)' is not a database name") }
        if let query = components.query, !query.isEmpty {
            throw bad("options after '?' are not supported (got '\(query)')")
        }
        let port: Int
        do {
            port = components.port ?? 5432
        }
        guard (1...65535).contains(port) else { throw bad("port \(port) is not between 1 and 65535") }
        self.host = host
        self.port = port
        user = components.user.flatMap { $0.removingPercentEncoding ?? $0 } ?? "postgres"
        // As libpq: a URL without a password takes PGPASSWORD's, so that none need be typed
        // into a command line (or a shell's history).
        if let given = components.password {
            password = given.removingPercentEncoding ?? given
        } else {
            password = ProcessInfo.processInfo.environment["PGPASSWORD"].flatMap { $0.isEmpty ? nil : $0 }
            passwordFromEnvironment = password != nil
        }
        self.database = database.removingPercentEncoding ?? database
    }

    public init(host: String, port: Int = 5432, user: String, password: String?, database: String) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
    }

    /// The URL without the password.
    public var description: String {
        "postgresql://\(user)@\(hostAndPort)/\(database)"
    }

    /// An IPv6 host in brackets, as URLs write it.
    private var hostAndPort: String { "\(host.contains(":") ? "[\(host)]" : host):\(port)" }

    /// The URL for a command a message suggests: `PASSWORD` where the URL given had the password
    /// (the command, pasted without it, was refused for want of one); none where PGPASSWORD
    /// holds it, as it will for the suggested command too.
    public var suggestedURL: String {
        guard password != nil, !passwordFromEnvironment else { return description }
        return "postgresql://\(user):PASSWORD@\(hostAndPort)/\(database)"
    }
}
