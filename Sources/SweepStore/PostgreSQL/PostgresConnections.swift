import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import SweepKit

/// One connection, used synchronously: every `ResultStore` call blocks its caller until the
/// server answers. The futures complete on NIO's event loop threads, never on Swift's
/// cooperative pool, so a caller on the pool (the results actor) may block without starving
/// the thread that would wake it.
struct PostgresLink {
    let connection: PostgresConnection
    let logger: Logger

    /// How long a statement may go unanswered before its connection is taken for dead. A
    /// connection the server dropped while it sat unused can take a statement and never
    /// answer; every statement here (a claim included) takes milliseconds.
    static let answerTimeout: TimeAmount = .seconds(20)

    /// The connection's answer did not come within `answerTimeout`.
    struct NoAnswer: Error {}

    /// Runs one statement and returns its rows.
    @discardableResult
    func rows(_ query: PostgresQuery) throws -> [PostgresRow] {
        try answer(query).rows
    }

    /// Runs one statement and returns how many rows it changed.
    @discardableResult
    func execute(_ query: PostgresQuery) throws -> Int {
        try answer(query).metadata.rows ?? 0
    }

    private func answer(_ query: PostgresQuery) throws -> PostgresQueryResult {
        let eventLoop = connection.eventLoop
        let promise = eventLoop.makePromise(of: PostgresQueryResult.self)
        // Both callbacks run on the connection's event loop, so `settled` needs no lock.
        final class Settled: @unchecked Sendable { var value = false }
        let settled = Settled()
        let deadline = eventLoop.scheduleTask(in: Self.answerTimeout) {
            guard !settled.value else { return }
            settled.value = true
            promise.fail(NoAnswer())
        }
        connection.query(query, logger: logger).whenComplete { result in
            deadline.cancel()
            guard !settled.value else { return }
            settled.value = true
            promise.completeWith(result)
        }
        return try promise.futureResult.wait()
    }

    /// The first column of the first row, if any.
    func value<Value: PostgresDecodable>(_ query: PostgresQuery, as type: Value.Type = Value.self) throws -> Value? {
        guard let row = try rows(query).first else { return nil }
        return try row.decode(Value.self)
    }
}

/// The store's connections to one database: a few open ones kept for reuse (a sweep's workers,
/// its results actor and its heartbeat each borrow one at a time), and every transaction retried
/// with back-off while the server is unreachable, restarting or dropping connections.
///
/// A transaction that fails in such a way is run again from its start on a new connection, so
/// each one must be safe to repeat: if the server committed it and only its answer was lost,
/// running it again must leave the same state (every write here replaces rather than adds).
final class PostgresConnections: @unchecked Sendable {
    let address: PostgresAddress
    /// How long a transaction keeps retrying a lost connection before it gives up.
    let retryWindow: TimeInterval
    private let logger: Logger
    // Guarded by `lock`.
    private let lock = NSLock()
    private var idle: [PostgresConnection] = []
    private var nextID = 1
    private var closed = false

    /// Connections kept open for reuse beyond those in use.
    private static let idleLimit = 8

    init(address: PostgresAddress, retryWindow: TimeInterval) {
        self.address = address
        self.retryWindow = retryWindow
        var logger = Logger(label: "sweep.postgres")
        logger.logLevel = .critical
        self.logger = logger
    }

    deinit {
        for connection in idle { try? connection.closeFuture().wait() }
    }

    /// Closes the idle connections; later calls open new ones.
    func closeAll() {
        let connections = lock.withLock {
            defer { idle = [] }
            return idle
        }
        for connection in connections { try? connection.closeFuture().wait() }
    }

    /// Opens a connection now, so that a wrong address, user or password is reported at once
    /// rather than retried.
    func checkReachable() throws {
        let connection = try open()
        release(connection)
    }

    @discardableResult
    /// Runs `body` in one transaction (READ COMMITTED), retrying the whole of it while the
    /// connection is failing, for up to `retryWindow` seconds.
    func transaction<Result>(_ body: (PostgresLink) throws -> Result) throws -> Result {
        try retrying { link in
            try link.execute("BEGIN")
            do {
                let result = try body(link)
                try link.execute("COMMIT")
                return result
            } catch {
                if !Self.isConnectionFailure(error) { _ = try? link.execute("ROLLBACK") }
                throw error
            }
        }
    }

    @discardableResult
    /// Runs `body` on a borrowed connection, outside a transaction (each statement commits on
    /// its own), retrying as `transaction` does.
    func retrying<Result>(_ body: (PostgresLink) throws -> Result) throws -> Result {
        let start = Date()
        var delay = 0.05
        while true {
            let connection: PostgresConnection
            do {
                connection = try open()
            } catch {
                try wait(after: error, since: start, delay: &delay)
                continue
            }
            do {
                let result = try body(PostgresLink(connection: connection, logger: logger))
                release(connection)
                return result
            } catch {
                guard Self.isConnectionFailure(error) || Self.isRetryableConflict(error) else {
                    release(connection)
                    throw explained(error)
                }
                if Self.isConnectionFailure(error) {
                    // The others kept for reuse most likely went down with this one.
                    connection.closeInBackground()
                    dropIdle()
                } else {
                    release(connection)
                }
                try wait(after: error, since: start, delay: &delay)
            }
        }
    }

    /// Sleeps before the next attempt, or throws when the retry window is over (or the error
    /// is not one a retry can cure).
    private func wait(after error: any Error, since start: Date, delay: inout Double) throws {
        guard Self.isConnectionFailure(error) || Self.isRetryableConflict(error) else { throw explained(error) }
        let elapsed = Date().timeIntervalSince(start)
        guard elapsed + delay <= retryWindow else {
            throw PostgresResultStoreError.connectionLost(
                address: address.description, seconds: Int(retryWindow.rounded()), detail: Self.summary(of: error))
        }
        Thread.sleep(forTimeInterval: delay)
        delay = min(delay * 2, 1)
    }

    private func open() throws -> PostgresConnection {
        let reused: PostgresConnection? = lock.withLock {
            while let connection = idle.popLast() {
                if !connection.isClosed { return connection }
            }
            return nil
        }
        if let reused { return reused }
        let id = lock.withLock {
            defer { nextID += 1 }
            return nextID
        }
        var configuration = PostgresConnection.Configuration(
            host: address.host, port: address.port, username: address.user, password: address.password,
            database: address.database, tls: .disable)
        configuration.options.connectTimeout = .seconds(5)
        let eventLoop = MultiThreadedEventLoopGroup.singleton.next()
        return try PostgresConnection.connect(on: eventLoop, configuration: configuration, id: id, logger: logger).wait()
    }

    private func dropIdle() {
        let dropped = lock.withLock {
            defer { idle = [] }
            return idle
        }
        for connection in dropped { connection.closeInBackground() }
    }

    private func release(_ connection: PostgresConnection) {
        let keep = lock.withLock {
            guard !closed, !connection.isClosed, idle.count < Self.idleLimit else { return false }
            idle.append(connection)
            return true
        }
        if !keep { connection.closeInBackground() }
    }

    // MARK: Errors

    /// The server's SQLSTATE code of a failed statement, if it sent one.
    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// A failure of the connection rather than of the statement: the server went away, restarts,
    /// refuses connections for now, or the network dropped.
    static func isConnectionFailure(_ error: any Error) -> Bool {
        if error is PostgresLink.NoAnswer { return true }
        if let error = error as? PSQLError {
            switch error.code {
            case .serverClosedConnection, .connectionError, .uncleanShutdown, .clientClosedConnection:
                return true
            case .server:
                guard let state = sqlState(error) else { return false }
                // 08: connection exceptions; 57P01–57P03: the server shuts down, crashed, or is
                // starting; 53300: too many connections (others are leaving).
                return state.hasPrefix("08") || ["57P01", "57P02", "57P03", "53300"].contains(state)
            default:
                return false
            }
        }
        return error is IOError || error is ChannelError || error is NIOConnectionError
    }

    /// Two transactions that collided and one was chosen to fail: running it again succeeds.
    static func isRetryableConflict(_ error: any Error) -> Bool {
        ["40001", "40P01"].contains(sqlState(error) ?? "")
    }

    /// One line saying what went wrong, for messages.
    static func summary(of error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return message }
            if let underlying = error.underlying { return summary(of: underlying) }
            return "\(error.code)"
        }
        if let error = error as? NIOConnectionError {
            if let first = error.connectionErrors.first { return summary(of: first.error) }
            if error.dnsAAAAError != nil || error.dnsAError != nil { return "the host name does not resolve" }
            return "no address to connect to"
        }
        if let error = error as? IOError {
            switch error.errnoCode {
            case ECONNREFUSED: return "connection refused"
            case ETIMEDOUT: return "timed out"
            case EHOSTUNREACH, ENETUNREACH: return "no route to host"
            default: return String(describing: error)
            }
        }
        if error is ChannelError { return "the connection failed (\(error))" }
        if error is PostgresLink.NoAnswer { return "the server did not answer" }
        return String(describing: error)
    }

    /// The store's own error for a failure a person can act on; others as they are.
    func explained(_ error: any Error) -> any Error {
        if error is PostgresResultStoreError || error is ResultStoreError { return error }
        let where_ = address.description
        if let state = Self.sqlState(error) {
            let message = (error as? PSQLError)?.serverInfo?[.message] ?? state
            switch state {
            case "28P01", "28000":
                return PostgresResultStoreError.authenticationFailed(address: where_, user: address.user, detail: message)
            case "3D000":
                return PostgresResultStoreError.noDatabase(address: where_, database: address.database)
            default:
                return PostgresResultStoreError.server(address: where_, message: message)
            }
        }
        if let error = error as? PSQLError {
            switch error.code {
            case .authMechanismRequiresPassword:
                return PostgresResultStoreError.authenticationFailed(
                    address: where_, user: address.user, detail: "the server asks for a password and the URL gives none; put it in the URL (postgresql://USER:PASSWORD@HOST/DATABASE) or in the environment variable PGPASSWORD")
            case .unsupportedAuthMechanism, .saslError:
                return PostgresResultStoreError.authenticationFailed(address: where_, user: address.user, detail: Self.summary(of: error))
            default:
                break
            }
        }
        if Self.isConnectionFailure(error) {
            return PostgresResultStoreError.cannotReach(address: where_, reason: Self.summary(of: error))
        }
        return error
    }
}

extension PostgresConnection {
    /// `close()`, the variant returning a future (the name alone also names an async one).
    func closeFuture() -> EventLoopFuture<Void> {
        let future: EventLoopFuture<Void> = close()
        return future
    }

    /// Closes the connection without waiting for it; the connection stays alive until it is
    /// closed (PostgresNIO asserts that none is released open).
    func closeInBackground() {
        closeFuture().whenComplete { _ in withExtendedLifetime(self) {} }
    }
}
