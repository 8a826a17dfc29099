import Foundation
import Testing

/// A write that fails (a file-size limit reached, as a full disk would) ends the command with one
/// message and a non-zero status: never a crash, never a truncated file and a zero status.
@Suite("Failed writes: one message and a non-zero status, never a crash")
struct WriteFailureTests {
    /// Runs a `sweep` command line after the shell text `setup` (`ulimit -f 4`, `trap '' PIPE`),
    /// whose settings the command inherits. Standard output goes to `standardOutput`, or to a
    /// file in `directory`.
    private func sweepInShell(after setup: String, _ arguments: [String], in directory: ScratchDirectory, standardOutput: FileHandle? = nil) async throws -> CommandResult {
        let executable = try #require(SweepProcess.executable, "the sweep executable was not found beside the test bundle")
        let name = UUID().uuidString
        let outputURL = directory.url.appendingPathComponent("\(name).stdout")
        let errorURL = directory.url.appendingPathComponent("\(name).stderr")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "\(setup) && exec \"$0\" \"$@\"", executable.path] + arguments
        process.currentDirectoryURL = directory.url
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try standardOutput ?? FileHandle(forWritingTo: outputURL)
        process.standardError = try FileHandle(forWritingTo: errorURL)
        try process.run()
        let deadline = ContinuousClock.now + .seconds(60)
        while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return CommandResult(
            status: process.terminationStatus, endedBySignal: process.terminationReason == .uncaughtSignal,
            standardOutput: (try? String(contentsOf: outputURL, encoding: .utf8)) ?? "",
            standardError: (try? String(contentsOf: errorURL, encoding: .utf8)) ?? "")
    }

    @Test func aReportToAStandardOutputWhoseReaderHasGoneEndsWithOneMessage() async throws {
        let directory = try ScratchDirectory()
        try directory.write("grid.json", SmallSpecs.grid(epochs: 1))
        let run = try await sweep("run", "grid.json", "--db", "results.sqlite", "--quiet", in: directory)
        try #require(run.status == 0, "\(run)")
        // `(trap '' PIPE; sweep report -o - | head -c 10)`, with the reader gone before the first
        // write: with SIGPIPE ignored, the write fails with EPIPE.
        let pipe = Pipe()
        try pipe.fileHandleForReading.close()
        let report = try await sweepInShell(
            after: "trap '' PIPE", ["report", "--db", "results.sqlite", "-o", "-"], in: directory, standardOutput: pipe.fileHandleForWriting)
        #expect(report.isCleanFailure, "\(report)")
        #expect(report.status == 1, "\(report)")
        #expect(report.standardError == "error: the reader of standard output closed it before everything was written\n", "\(report)")
    }

    @Test func predictionsToAStandardOutputThatFillsUpEndWithOneMessage() async throws {
        let directory = try ScratchDirectory()
        try directory.write("model.safetensors", bytes: try ModelFixture.bytes())
        // `sweep predict model.safetensors data.csv > out.csv` on a full disk: 400 rows of
        // predictions (about 18 KB) where only 2 KiB (4 blocks of 512 bytes) fit.
        let predict = try await sweepInShell(
            after: "ulimit -f 4 && trap '' XFSZ", ["predict", "model.safetensors", "builtin:phone-price?rows=400"], in: directory)
        #expect(predict.isCleanFailure, "\(predict)")
        #expect(predict.status == 1, "\(predict)")
        #expect(predict.standardError == "error: cannot write 'standard output': File too large\n", "\(predict)")
    }
}
