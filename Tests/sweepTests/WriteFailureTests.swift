import Foundation
import Testing

/// A write that fails (a file-size limit reached, as a full disk would) ends the command with one
/// message and a non-zero status: never a crash, never a truncated file and a zero status.
@Suite("Failed writes: one message and a non-zero status, never a crash")
struct WriteFailureTests {
    /// `(trap '' PIPE; sweep report -o - | head -c 10)` and `(trap '' PIPE; sweep list | true)`,
    /// with the reader gone before the first write: with SIGPIPE ignored, the write fails with
    /// EPIPE. The report writes through OutputFile; the list's printed line is checked when the
    /// command ends.
    @Test(arguments: [["report", "--db", "results.sqlite", "-o", "-"], ["list", "--db", "results.sqlite"]])
    func aStandardOutputWhoseReaderHasGoneEndsWithOneMessage(arguments: [String]) async throws {
        let directory = try ScratchDirectory()
        try directory.write("grid.json", SmallSpecs.grid(epochs: 1))
        let run = try await sweep("run", "grid.json", "--db", "results.sqlite", "--quiet", in: directory)
        try #require(run.status == 0, "\(run)")
        let pipe = Pipe()
        try pipe.fileHandleForReading.close()
        let result = try await limitedSweep(arguments, in: directory, standardOutput: pipe.fileHandleForWriting, setup: "trap '' PIPE")
        #expect(result.isCleanFailure, "\(result)")
        #expect(result.status == 1, "\(result)")
        #expect(result.standardError == "error: the reader of standard output closed it before everything was written\n", "\(result)")
    }

    /// `(trap '' PIPE; sweep run grid.json | true)`: the sweep trains and stores every trial
    /// regardless, and its one message says so, with where and how to see them.
    @Test func aRunWhoseStandardOutputFailsSaysItsResultsAreStoredAndHowToSeeThem() async throws {
        let directory = try ScratchDirectory()
        try directory.write("grid.json", SmallSpecs.grid(epochs: 1))
        let pipe = Pipe()
        try pipe.fileHandleForReading.close()
        let run = try await limitedSweep(
            ["run", "grid.json", "--db", "results.sqlite"], in: directory, standardOutput: pipe.fileHandleForWriting, setup: "trap '' PIPE")
        #expect(run.isCleanFailure, "\(run)")
        #expect(run.status == 1, "\(run)")
        #expect(run.standardError == "error: the reader of standard output closed it before everything was written; the results of sweep 'cli-grid' are stored all the same, in the database 'results.sqlite'; sweep leaderboard cli-grid --db results.sqlite shows them\n", "\(run)")
        let board = try await sweep("leaderboard", "cli-grid", "--db", "results.sqlite", "--format", "csv", in: directory)
        let rows = csvRows(board.standardOutput).dropFirst()
        #expect(rows.count == 8 && rows.allSatisfy { $0[2] == "complete" }, "\(board)")
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

    // Commands that print (leaderboard, list, train, …) are checked once, when the command ends.

    @Test func aLeaderboardToAStandardOutputThatFillsUpEndsWithOneMessage() async throws {
        let directory = try ScratchDirectory()
        // 100 one-epoch trials of a tiny network: a JSON leaderboard of about 50 KB.
        try directory.write("many.json", """
            {"name": "many", "data": "builtin:phone-price?rows=40", "method": "random", "trials": 100, "seed": 3,
             "fixed": {"hidden_layers": [2], "epochs": 1, "batch_size": 40},
             "parameters": {"lr": {"distribution": "log_uniform", "min": 0.001, "max": 0.1}}}
            """)
        let run = try await sweep("run", "many.json", "--db", "results.sqlite", "--quiet", in: directory)
        try #require(run.status == 0, "\(run)")
        // `sweep leaderboard --format json > board.json` where only 32 KiB fit (64 blocks of 512
        // bytes): the least the database's shared-memory file (-shm, 32 KiB) needs to be opened.
        let board = try await limitedSweep(
            ["leaderboard", "--db", "results.sqlite", "--format", "json"], in: directory, setup: "ulimit -f 64 && trap '' XFSZ")
        #expect(board.isCleanFailure, "\(board)")
        #expect(board.status == 1, "\(board)")
        #expect(board.standardError == "error: cannot write 'standard output': File too large\n", "\(board)")
    }

    @Test func trainingLinesToAStandardOutputThatFillsUpEndWithOneMessage() async throws {
        let directory = try ScratchDirectory()
        // 200 epoch lines (about 20 KB) where 2 KiB fit; no database is involved.
        let train = try await limitedSweep(
            ["train", "--data", "builtin:phone-price?rows=40", "--hidden", "2", "--epochs", "200"], in: directory,
            setup: "ulimit -f 4 && trap '' XFSZ")
        #expect(train.isCleanFailure, "\(train)")
        #expect(train.status == 1, "\(train)")
        #expect(train.standardError == "error: cannot write 'standard output': File too large\n", "\(train)")
    }
}
