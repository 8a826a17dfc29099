import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The address space a bad-input case may use: a command that would allocate without bound
/// fails here (and the test with it) instead of taking the machine's memory.
let badInputMemoryLimitKB = 2_000_000

/// Runs one `sweep` command line under `ulimit -v`, through the shell so that `shellWords` can
/// add arguments a Swift string cannot hold (bytes that are not UTF-8, written with printf).
///
/// - Parameters:
///   - arguments: the arguments, passed as they are.
///   - shellWords: shell text appended to the command line, e.g. `"$(printf 'out\\377.csv')"`.
///   - standardOutput: where the command's standard output goes (a pty, say); a file by default.
///   - setup: shell text run first, whose settings the command inherits (`trap '' PIPE`,
///     `ulimit -f 4`).
func limitedSweep(
    _ arguments: [String], in directory: ScratchDirectory, shellWords: String = "",
    standardOutput: FileHandle? = nil, setup: String = "true", timeout: Duration = .seconds(60),
    sourceLocation: SourceLocation = #_sourceLocation
) async throws -> CommandResult {
    let executable = try #require(SweepProcess.executable, "the sweep executable was not found beside the test bundle")
    let name = UUID().uuidString
    let outputURL = directory.url.appendingPathComponent("\(name).stdout")
    let errorURL = directory.url.appendingPathComponent("\(name).stderr")
    _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", "ulimit -v \(badInputMemoryLimitKB); \(setup) && exec \"$0\" \"$@\" \(shellWords)", executable.path] + arguments
    process.currentDirectoryURL = directory.url
    var environment = ProcessInfo.processInfo.environment
    environment["TERM"] = "dumb"
    process.environment = environment
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = try standardOutput ?? FileHandle(forWritingTo: outputURL)
    process.standardError = try FileHandle(forWritingTo: errorURL)
    try process.run()
    let deadline = ContinuousClock.now + timeout
    while process.isRunning {
        if ContinuousClock.now > deadline {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            Issue.record("sweep \(arguments) did not finish within \(timeout)", sourceLocation: sourceLocation)
            break
        }
        try await Task.sleep(for: .milliseconds(5))
    }
    process.waitUntilExit()
    return CommandResult(
        status: process.terminationStatus,
        endedBySignal: process.terminationReason == .uncaughtSignal,
        standardOutput: (try? String(contentsOf: outputURL, encoding: .utf8)) ?? "",
        standardError: (try? String(contentsOf: errorURL, encoding: .utf8)) ?? "")
}

/// Expects the way every refusal must end: by itself, with a non-zero status, nothing on
/// standard output, one message on standard error holding each of `phrases`.
func expectCleanRefusal(
    _ result: CommandResult, mentioning phrases: [String], sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(result.isCleanFailure, "\(result)", sourceLocation: sourceLocation)
    #expect(result.standardOutput.isEmpty, "\(result)", sourceLocation: sourceLocation)
    // One message: "error: …" from the command, or "Error: …" (and its usage lines) from the
    // argument parser; a problem list under one error line counts as one message.
    let messages = result.standardError.split(separator: "\n").filter { $0.hasPrefix("error: ") || $0.hasPrefix("Error: ") }
    #expect(messages.count == 1, "\(result)", sourceLocation: sourceLocation)
    for phrase in phrases {
        #expect(result.standardError.contains(phrase), "'\(phrase)' missing from:\n\(result.standardError)", sourceLocation: sourceLocation)
    }
    #expect(result.standardError.count < 3000, "a message of \(result.standardError.count) characters", sourceLocation: sourceLocation)
}
