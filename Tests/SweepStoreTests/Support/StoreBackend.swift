import Foundation
import Testing
@testable import SweepKit
@testable import SweepStore

/// Every `ResultStore` implementation; the shared suites run each test once per backend, as
/// optuna runs its storage tests against every storage.
/// PostgreSQL joins them when a test server is configured (`PostgresTestServer`); without one,
/// `PostgresStoreTests` is reported as skipped, saying why.
enum StoreBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case memory
    case sqlite
    case postgres

    static var allCases: [StoreBackend] { PostgresTestServer.isConfigured ? [.memory, .sqlite, .postgres] : [.memory, .sqlite] }

    var testDescription: String { rawValue }

    /// A new, empty store; the SQLite file goes in `directory`, the PostgreSQL database is
    /// dropped with it.
    func makeStore(in directory: TemporaryDirectory) throws -> any ResultStore {
        switch self {
        case .memory: MemoryResultStore()
        case .sqlite: try SQLiteResultStore(path: directory.file("sweeps.sqlite"))
        case .postgres: try PostgresResultStore(address: PostgresTestServer.makeDatabase(for: directory))
        }
    }
}

/// The PostgreSQL server the tests may use: `SWEEP_TEST_POSTGRES_URL` names a database on it
/// whose user may create databases (`.ci/run` starts a throwaway server with
/// `tools/postgres-server.sh` and sets it). Each test works in a new database of its own.
enum PostgresTestServer {
    static let url: String? = ProcessInfo.processInfo.environment["SWEEP_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }

    static var isConfigured: Bool { url != nil }

    static let notConfigured: Comment =
        "not run: SWEEP_TEST_POSTGRES_URL is not set (start a server with tools/postgres-server.sh start DIR and set it to the URL printed; .ci/run does)"

    /// A new, empty database on the server, dropped when `directory` is removed.
    static func makeDatabase(for directory: TemporaryDirectory) throws -> PostgresAddress {
        let server = try PostgresAddress(parsing: try #require(url))
        let name = "sweep_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try PostgresResultStore.createDatabase(named: name, on: server)
        directory.onRemoval { try? PostgresResultStore.dropDatabase(named: name, on: server) }
        var address = server
        address.database = name
        return address
    }
}

/// A directory of its own for one test, removed when the test lets go of it. Tests run in
/// parallel, so databases never share a path.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("SweepStoreTests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    private var removals: [() -> Void] = []

    deinit {
        try? FileManager.default.removeItem(atPath: path)
        for removal in removals { removal() }
    }

    /// Runs `removal` when the directory is removed: for what a test made elsewhere.
    func onRemoval(_ removal: @escaping () -> Void) {
        removals.append(removal)
    }

    /// The path of `name` inside the directory (not created).
    func file(_ name: String) -> String {
        (path as NSString).appendingPathComponent(name)
    }
}

/// Runs `body` and returns the `ResultStoreError` it throws, or `nil` if it throws nothing.
/// Another kind of error also gives `nil`, which fails the expectation that follows.
func storeError<Result>(_ body: () throws -> Result) -> ResultStoreError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error as? ResultStoreError
    }
}
