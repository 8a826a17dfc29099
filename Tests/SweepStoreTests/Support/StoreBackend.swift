import Foundation
import Testing
@testable import SweepKit
@testable import SweepStore

/// Every `ResultStore` implementation; the shared suites run each test once per backend, as
/// optuna runs its storage tests against every storage.
enum StoreBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case memory
    case sqlite

    var testDescription: String { rawValue }

    /// A new, empty store; the SQLite file goes in `directory`.
    func makeStore(in directory: TemporaryDirectory) throws -> any ResultStore {
        switch self {
        case .memory: MemoryResultStore()
        case .sqlite: try SQLiteResultStore(path: directory.file("sweeps.sqlite"))
        }
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

    deinit {
        try? FileManager.default.removeItem(atPath: path)
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
