import Foundation
import Testing

/// A write that fails (a file-size limit reached, as a full disk would) ends the command with one
/// message and a non-zero status: never a crash, never a truncated file and a zero status.
@Suite("Failed writes: one message and a non-zero status, never a crash")
struct WriteFailureTests {
    @Test func aReportToAStandardOutputWhoseReaderHasGoneEndsWithOneMessage() async throws {
        let directory = try ScratchDirectory()
        try directory.write("grid.json", SmallSpecs.grid(epochs: 1))
        let run = try await sweep("run", "grid.json", "--db", "results.sqlite", "--quiet", in: directory)
        try #require(run.status == 0, "\(run)")
        // `(trap '' PIPE; sweep report -o - | head -c 10)`, with the reader gone before the first
        // write: with SIGPIPE ignored, the write fails with EPIPE.
        let pipe = Pipe()
        try pipe.fileHandleForReading.close()
        let report = try await limitedSweep(
            ["report", "--db", "results.sqlite", "-o", "-"], in: directory, standardOutput: pipe.fileHandleForWriting, setup: "trap '' PIPE")
        #expect(report.isCleanFailure, "\(report)")
        #expect(report.status == 1, "\(report)")
        #expect(report.standardError == "error: the reader of standard output closed it before everything was written\n", "\(report)")
    }

    @Test func predictionsToAStandardOutputThatFillsUpEndWithOneMessage() async throws {
        let directory = try ScratchDirectory()
        try directory.write("model.safetensors", bytes: try ModelFixture.bytes())
        // `sweep predict model.safetensors data.csv > out.csv` on a full disk: 400 rows of
        // predictions (about 18 KB) where only 2 KiB (4 blocks of 512 bytes) fit.
        let predict = try await limitedSweep(
            ["predict", "model.safetensors", "builtin:phone-price?rows=400"], in: directory, setup: "ulimit -f 4 && trap '' XFSZ")
        #expect(predict.isCleanFailure, "\(predict)")
        #expect(predict.status == 1, "\(predict)")
        #expect(predict.standardError == "error: cannot write 'standard output': File too large\n", "\(predict)")
    }
}
