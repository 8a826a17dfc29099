import Foundation
import PostgresNIO

// Databases made and removed on a server: each PostgreSQL test works in a database of its own.
extension PostgresResultStore {
    /// Creates the empty database `name` (lower-case letters, digits and `_`) on the server at
    /// `server`, connecting to the database `server` names.
    public static func createDatabase(named name: String, on server: PostgresAddress) throws {
        try administer("CREATE DATABASE \(try checked(name))", on: server)
    }

    /// Drops the database `name` on the server at `server`, closing the connections to it.
    public static func dropDatabase(named name: String, on server: PostgresAddress) throws {
        try administer("DROP DATABASE IF EXISTS \(try checked(name)) WITH (FORCE)", on: server)
    }

    /// Runs a script of statements, each ending with `;` at the end of a line, in one
    /// transaction: a database dump (a test fixture) loaded as it was written.
    func runScript(_ script: String) throws {
        let statements = script.components(separatedBy: ";\n")
            .map { $0.split(separator: "\n").filter { !$0.hasPrefix("--") }.joined(separator: "\n") }
            .filter { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
        try connections.transaction { link in
            for statement in statements { try link.execute(PostgresQuery(unsafeSQL: statement)) }
        }
    }

    private static func checked(_ name: String) throws -> String {
        guard !name.isEmpty, name.count <= 63, name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }) else {
            throw PostgresResultStoreError.badAddress(reason: "'\(name)' is not a database name of lower-case letters, digits and _")
        }
        return name
    }

    private static func administer(_ statement: String, on server: PostgresAddress) throws {
        let connections = PostgresConnections(address: server, retryWindow: 10)
        defer { connections.closeAll() }
        do {
            try connections.retrying { link in try link.execute(PostgresQuery(unsafeSQL: statement)) }
        } catch {
            throw connections.explained(error)
        }
    }
}
