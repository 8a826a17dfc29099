import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// How one `sweep` command ended, with everything it printed.
struct CommandResult: Sendable, CustomStringConvertible {
    var status: Int32
    /// True when the process ended by a signal (a trap, a crash or a kill) rather than by exiting.
    var endedBySignal: Bool
    var standardOutput: String
    var standardError: String

    var description: String {
        "\(endedBySignal ? "signal" : "exit status") \(status)\nstdout:\n\(standardOutput)\nstderr:\n\(standardError)"
    }

    /// Ended by itself with a non-zero status and an explanation, the way every refusal must.
    var isCleanFailure: Bool {
        !endedBySignal && status != 0 && !standardError.isEmpty && !standardError.contains("Fatal error")
    }
}

/// A scratch directory removed at the end of the test.
final class ScratchDirectory: Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes `text` to `name` and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        try Data(text.utf8).write(to: url.appendingPathComponent(name))
        return path(name)
    }
}

/// A running `sweep` process. Output goes to files rather than pipes, so a chatty process can
/// never block on a full pipe while the test waits for it.
final class SweepProcess: @unchecked Sendable {
    /// The `sweep` executable the test target depends on: beside the test bundle in the products folder.
    static let executable: URL? = {
        var candidates = [URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath(), Bundle.main.bundleURL]
        #if os(macOS)
        candidates += Bundle.allBundles.map(\.bundleURL).filter { $0.pathExtension == "xctest" }
        #endif
        for start in candidates {
            var directory = start.deletingLastPathComponent()
            for _ in 0..<6 {
                let candidate = directory.appendingPathComponent("sweep")
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue,
                    FileManager.default.isExecutableFile(atPath: candidate.path) {
                    return candidate
                }
                directory.deleteLastPathComponent()
            }
        }
        return nil
    }()

    private let process = Process()
    private let outputURL: URL
    private let errorURL: URL

    /// `executable`: another program to start (one that runs sweep), instead of sweep itself.
    /// `environment`: variables set for this process beside the test's own.
    init(_ arguments: [String], in directory: ScratchDirectory, executable other: URL? = nil, environment extra: [String: String] = [:]) throws {
        let executable = try other ?? #require(Self.executable, "the sweep executable was not found beside the test bundle")
        let name = UUID().uuidString
        outputURL = directory.url.appendingPathComponent("\(name).stdout")
        errorURL = directory.url.appendingPathComponent("\(name).stderr")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        process.executableURL = executable
        process.arguments = other == nil ? arguments : Array(arguments.dropFirst())
        process.currentDirectoryURL = directory.url
        var environment = ProcessInfo.processInfo.environment
        environment["TERM"] = "dumb"
        environment.merge(extra) { _, given in given }
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: outputURL)
        process.standardError = try FileHandle(forWritingTo: errorURL)
        try process.run()
    }

    var isRunning: Bool { process.isRunning }

    /// What the process has printed on standard output so far.
    var standardOutputSoFar: String { (try? String(contentsOf: outputURL, encoding: .utf8)) ?? "" }

    /// What the process has printed on standard error so far.
    var standardErrorSoFar: String { (try? String(contentsOf: errorURL, encoding: .utf8)) ?? "" }

    func send(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Sends `signals`, in order and a millisecond apart, as soon as `ready` holds; true when they were sent, false when
    /// the process ended first or `timeout` passed. It watches on a thread of its own: a task
    /// watching from the cooperative pool, which tests training in the same process keep busy,
    /// was delayed by seconds, and a sweep meant to be killed mid-run finished in the meantime.
    func send(
        _ signals: Int32..., when ready: @escaping @Sendable (SweepProcess) -> Bool, timeout: TimeInterval = 120
    ) async -> Bool {
        await send(signals, when: ready, timeout: timeout)
    }

    func send(
        _ signals: [Int32], when ready: @escaping @Sendable (SweepProcess) -> Bool, timeout: TimeInterval = 120
    ) async -> Bool {
        let sent = SentFlag()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread {
                let deadline = Date().addingTimeInterval(timeout)
                while self.isRunning, Date() < deadline {
                    if ready(self) {
                        for (index, signal) in signals.enumerated() {
                            if index > 0 { usleep(1_000) }
                            self.send(signal)
                        }
                        sent.value = true
                        break
                    }
                    usleep(2_000)
                }
                continuation.resume()
            }.start()
        }
        return sent.value
    }

    private final class SentFlag: @unchecked Sendable {
        var value = false
    }

    /// Waits for the process to end; after `timeout` it is killed and the test fails, so a
    /// hang never blocks the suite.
    func wait(timeout: Duration = .seconds(60), sourceLocation: SourceLocation = #_sourceLocation) async throws -> CommandResult {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                send(SIGKILL)
                process.waitUntilExit()
                Issue.record("sweep \(process.arguments ?? []) did not finish within \(timeout)", sourceLocation: sourceLocation)
                break
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        return waitBlocking()
    }

    /// Waits for the process to end, blocking the calling thread: for a watcher thread of its
    /// own, which a busy cooperative pool cannot delay.
    func waitBlocking() -> CommandResult {
        process.waitUntilExit()
        return CommandResult(
            status: process.terminationStatus,
            endedBySignal: process.terminationReason == .uncaughtSignal,
            standardOutput: (try? String(contentsOf: outputURL, encoding: .utf8)) ?? "",
            standardError: (try? String(contentsOf: errorURL, encoding: .utf8)) ?? "")
    }
}

/// Runs one whole `sweep` command line to its end.
func sweep(_ arguments: String..., in directory: ScratchDirectory, timeout: Duration = .seconds(60),
           sourceLocation: SourceLocation = #_sourceLocation) async throws -> CommandResult {
    try await SweepProcess(arguments, in: directory).wait(timeout: timeout, sourceLocation: sourceLocation)
}

/// Small specs whose trials each take a fraction of a second even in a debug build.
enum SmallSpecs {
    static let data = "builtin:phone-price?rows=400"

    /// A 2 × 2 × 2 grid over a tiny network.
    static func grid(name: String = "cli-grid", epochs: Int = 3) -> String {
        """
        {"name": "\(name)", "data": "\(data)", "seed": 4,
         "fixed": {"hidden_layers": [8], "epochs": \(epochs), "batch_size": 16},
         "parameters": {"optimizer": {"values": ["sgd", "adam"]},
                        "lr": {"values": [0.01, 0.05]},
                        "activation": {"values": ["relu", "tanh"]}}}
        """
    }

    /// 16 random trials with batches of one row, so that each trial lasts long enough
    /// (tens of milliseconds) to be caught mid-run by a signal.
    static func slowRandom(name: String, epochs: Int = 4, trials: Int = 16) -> String {
        """
        {"name": "\(name)", "data": "\(data)", "method": "random", "trials": \(trials), "seed": 9,
         "fixed": {"hidden_layers": [8], "epochs": \(epochs), "batch_size": 1},
         "parameters": {"optimizer": {"values": ["sgd", "adam"]},
                        "lr": {"distribution": "log_uniform", "min": 0.001, "max": 0.05}}}
        """
    }
}

extension SmallSpecs {
    /// A TPE sweep of slow trials (batches of one row) with a short lag, so that workers at
    /// --jobs 2 sometimes wait for the trials a proposal learns from.
    static func slowTPE(name: String, epochs: Int = 4, trials: Int = 16) -> String {
        """
        {"name": "\(name)", "data": "\(data)", "method": "tpe", "trials": \(trials), "seed": 13,
         "sampler": {"lag": 2, "startup_trials": 4},
         "fixed": {"hidden_layers": [8], "epochs": \(epochs), "batch_size": 1},
         "parameters": {"optimizer": {"values": ["sgd", "adam"]},
                        "momentum": {"values": [0.5, 0.9], "when": {"optimizer": ["sgd"]}},
                        "lr": {"distribution": "log_uniform", "min": 0.001, "max": 0.05}}}
        """
    }
}

/// Parses CSV without quoted commas (leaderboards of simple parameters) into rows of cells.
func csvRows(_ text: String) -> [[String]] {
    text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
}
