/// Why the PostgreSQL store cannot use a database. Requests that do not fit the stored data (a
/// missing sweep, a duplicate name) throw the backend-neutral `ResultStoreError` instead.
public enum PostgresResultStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `--db` starts like a PostgreSQL URL but is not a usable one.
    case badAddress(reason: String)
    /// Nothing answers at the host and port (refused, no route, a name that does not resolve,
    /// a time-out).
    case cannotReach(address: String, reason: String)
    /// The server refused the user or password.
    case authenticationFailed(address: String, user: String, detail: String)
    /// The server has no database of that name.
    case noDatabase(address: String, database: String)
    /// The database was written by a newer sweep whose schema this one does not know.
    case newerSchema(address: String, found: Int, supported: Int)
    /// The connection failed and did not come back within the retry window.
    case connectionLost(address: String, seconds: Int, detail: String)
    /// A stored value cannot be read back: the database was edited by hand or damaged.
    case corrupt(String)
    /// The server refused a statement for a reason a person must act on (permissions, a full disk).
    case server(address: String, message: String)
    /// The schema the store's tables would live in holds another application's tables and none
    /// of the store's: sweep does not add its tables among them (every command refuses it).
    case notASweepDatabase(address: String, user: String, database: String, schema: String, tables: [String])
    /// A command that only reads was given a database whose schema has no tables, which it
    /// would otherwise have created.
    case holdsNoSweeps(address: String, schema: String)

    public var description: String {
        switch self {
        case .badAddress(let reason):
            return "--db is not a PostgreSQL URL sweep can use: \(reason); the form is postgresql://user:password@host:port/database"
        case .cannotReach(let address, let reason):
            return "cannot reach PostgreSQL at \(address) (\(reason)); check that the server runs, listens on that host and port (listen_addresses, the firewall), and that the URL is right"
        case .authenticationFailed(let address, let user, let detail):
            return "PostgreSQL at \(address) refused user '\(user)' (\(detail)); check the user and password in the URL"
        case .noDatabase(let address, let database):
            return "PostgreSQL at \(address) has no database '\(database)'; create it first (createdb \(database), or CREATE DATABASE \(database);)"
        case .newerSchema(let address, let found, let supported):
            return "\(address) has schema version \(found), but this sweep reads versions up to \(supported); use a newer sweep"
        case .connectionLost(let address, let seconds, let detail):
            return "lost the connection to PostgreSQL at \(address) and could not get it back within \(seconds) s (\(detail)); every trial finished before this point is stored, so run the same command again to resume"
        case .corrupt(let detail):
            return "the results database is damaged: \(detail)"
        case .server(let address, let message):
            return "PostgreSQL at \(address): \(message)"
        case .notASweepDatabase(let address, let user, let database, let schema, let tables):
            let shown = tables.prefix(5).joined(separator: ", ") + (tables.count > 5 ? " and \(tables.count - 5) more" : "")
            return "\(address) holds another application's tables in schema '\(schema)' (\(shown)) and no sweep tables; sweep does not add its tables among them and leaves the database as it is. Pass the URL of a database of sweep's own (CREATE DATABASE sweeps;), or give sweep a schema of its own in this one (CREATE SCHEMA sweep; ALTER ROLE \(user) IN DATABASE \(database) SET search_path = sweep;)"
        case .holdsNoSweeps(let address, let schema):
            return "\(address) holds no sweep results (schema '\(schema)' has no tables): no sweep has been run there. Run one into it first (sweep run SPEC.json --db with this URL), or pass the --db of a database that holds sweeps"
        }
    }
}
