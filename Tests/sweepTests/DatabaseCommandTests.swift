import Foundation
import GRDB
@testable import SweepStore
import Testing

/// --db paths that cannot be a results database, as a person meets them on the command line.
@Suite("Results database faults on the command line")
struct DatabaseCommandTests {
    @Test(arguments: ["list", "leaderboard", "run"])
    func aDirectoryGivenAsTheDatabaseSaysSoAndWhatToPass(command: String) async throws {
        let directory = try ScratchDirectory()
        let spec = try directory.write("grid.json", SmallSpecs.grid())
        try FileManager.default.createDirectory(atPath: directory.path("results"), withIntermediateDirectories: true)
        let arguments = command == "run" ? [command, spec, "--db", directory.path("results")] : [command, "--db", directory.path("results")]
        let result = try await SweepProcess(arguments, in: directory).wait()
        #expect(result.isCleanFailure, "\(result)")
        #expect(result.standardError.contains("is a directory; --db takes the database file"), "\(result)")
    }

    /// A --db ending with '/': SQLite opened (and made) the file without the slash, and the run
    /// lock beside it then failed "for want of permission".
    @Test(arguments: ["list", "run"])
    func aDatabasePathEndingWithASlashIsRefusedAndNothingIsMade(command: String) async throws {
        let directory = try ScratchDirectory()
        let spec = try directory.write("grid.json", SmallSpecs.grid())
        let arguments = command == "run" ? [command, spec, "--db", "r.sqlite/"] : [command, "--db", "r.sqlite/"]
        let result = try await SweepProcess(arguments, in: directory).wait()
        expectCleanRefusal(result, mentioning: ["--db 'r.sqlite/' ends with '/', which names a folder", "--db r.sqlite/sweeps.sqlite"])
        #expect(!FileManager.default.fileExists(atPath: directory.path("r.sqlite")))
    }

    /// sweep copy's refusals name its own options: they said "pass another --db", which copy has not.
    @Test func copyNamesItsOwnOptionsInItsRefusals() async throws {
        let directory = try ScratchDirectory()
        let text = try directory.write("notes.sqlite", "not a database\n")
        let spec = try directory.write("grid.json", SmallSpecs.grid(epochs: 1))
        try #require(try await sweep("run", spec, "--db", directory.path("r.sqlite"), "--quiet", in: directory).status == 0)
        let from = try await sweep("copy", "--from", text, "--to", directory.path("c.sqlite"), in: directory)
        let to = try await sweep("copy", "--from", directory.path("r.sqlite"), "--to", text, in: directory)
        let missing = try await sweep("copy", "--from", directory.path("absent.sqlite"), "--to", directory.path("c.sqlite"), in: directory)
        expectCleanRefusal(from, mentioning: ["pass another --from"])
        expectCleanRefusal(to, mentioning: ["pass another --to"])
        expectCleanRefusal(missing, mentioning: ["pass --from PATH"])
        for result in [from, to, missing] { #expect(!result.standardError.contains("--db"), "\(result)") }

        // One file spelt two ways is one database; a refused copy makes no --to.
        let same = try await sweep("copy", "--from", directory.path("r.sqlite"), "--to", directory.path("./r.sqlite"), in: directory)
        #expect(same.isCleanFailure && same.standardError.contains("--from and --to are the same database"), "\(same)")
        let unknown = try await sweep("copy", "--from", directory.path("r.sqlite"), "--to", directory.path("new/n.sqlite"), "--sweep", "nope", in: directory)
        expectCleanRefusal(unknown, mentioning: ["no sweep named 'nope'"])
        #expect(!FileManager.default.fileExists(atPath: directory.path("new")))
    }

    /// The run lock's file cannot be made (its name too long here, beside a database whose own
    /// name is not): the reason is the system's, not always "permission".
    @Test func aRunLockThatCannotBeMadeSaysWhy() async throws {
        let directory = try ScratchDirectory()
        let name = String(repeating: "n", count: 100)
        let spec = try directory.write("grid.json", SmallSpecs.grid(name: name))
        let database = String(repeating: "d", count: 160) + ".sqlite"
        let result = try await SweepProcess(["run", spec, "--db", database], in: directory).wait()
        #expect(result.isCleanFailure && result.status == 2, "\(result)")
        #expect(result.standardError.contains("cannot create the run lock"), "\(result)")
        #expect(result.standardError.contains("File name too long"), "\(result)")
    }

    /// An empty --db (an unset shell variable, `--db "$DB"`): SQLite took '' for a temporary
    /// database, so run failed on "could not activate WAL Mode" and dashboard served nothing.
    @Test(arguments: ["list", "leaderboard", "report", "dashboard", "run", "copy"])
    func anEmptyDatabasePathIsRefusedSayingWhatToPass(command: String) async throws {
        let directory = try ScratchDirectory()
        let spec = try directory.write("grid.json", SmallSpecs.grid())
        let arguments = switch command {
        case "run": [command, spec, "--db", ""]
        case "copy": [command, "--from", directory.path("a.sqlite"), "--to", ""]
        default: [command, "--db", ""]
        }
        let option = command == "copy" ? "--to" : "--db"
        let result = try await SweepProcess(arguments, in: directory).wait(timeout: .seconds(20))
        expectCleanRefusal(result, mentioning: ["\(option) needs a database file or a postgresql:// URL", "\(option) results/sweeps.sqlite"])
    }

    /// A FIFO given as the database (a device such as /dev/null is refused the same way): one
    /// message that the database must be a regular file, where SQLite reported a disk I/O error.
    @Test(arguments: ["list", "leaderboard", "run"])
    func aFIFOGivenAsTheDatabaseSaysItMustBeARegularFile(command: String) async throws {
        let directory = try ScratchDirectory()
        let spec = try directory.write("grid.json", SmallSpecs.grid())
        let fifo = directory.path("results.sqlite")
        try #require(mkfifo(fifo, 0o644) == 0)
        let arguments = command == "run" ? [command, spec, "--db", fifo] : [command, "--db", fifo]
        let result = try await SweepProcess(arguments, in: directory).wait(timeout: .seconds(20))
        expectCleanRefusal(result, mentioning: ["results.sqlite is a FIFO (a named pipe), not a regular file", "must be a regular file path"])
        #expect(!FileManager.default.fileExists(atPath: fifo + "-journal") && !FileManager.default.fileExists(atPath: fifo + "-wal"))
    }

    @Test func aFileThatIsNotADatabaseIsNamedAsSuch() async throws {
        let directory = try ScratchDirectory()
        let notes = try directory.write("notes.txt", "shopping list\n")
        let result = try await sweep("list", "--db", notes, in: directory)
        #expect(result.isCleanFailure, "\(result)")
        #expect(result.standardError.contains("is not a sweep results database"), "\(result)")
    }

    /// A mistyped --db naming another program's SQLite file: every command refuses it before
    /// writing anything, where reading commands added the sweep tables and answered "no sweeps yet".
    @Test(arguments: ["list", "leaderboard", "export", "report", "run"])
    func anotherProgramsDatabaseIsRefusedAndLeftAsItWas(command: String) async throws {
        let directory = try ScratchDirectory()
        let spec = try directory.write("grid.json", SmallSpecs.grid())
        let database = directory.path("notes.sqlite")
        try await DatabaseQueue(path: database).write { try $0.execute(sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)") }
        let before = try Data(contentsOf: URL(fileURLWithPath: database))
        let arguments = switch command {
        case "run": [command, spec, "--db", database]
        case "export": [command, "--db", database, "-o", directory.path("best.safetensors")]
        case "report": [command, "--db", database, "-o", directory.path("report.html")]
        default: [command, "--db", database]
        }
        let result = try await SweepProcess(arguments, in: directory).wait()
        expectCleanRefusal(result, mentioning: ["notes.sqlite is another program's SQLite database (tables: notes)", "Pass another --db"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: database)) == before)
    }

    @Test(arguments: ["list", "leaderboard"])
    func aReadingCommandRefusesAnEmptyFileAndLeavesItEmpty(command: String) async throws {
        let directory = try ScratchDirectory()
        let database = try directory.write("empty.sqlite", "")
        let result = try await sweep(command, "--db", database, in: directory)
        expectCleanRefusal(result, mentioning: ["empty.sqlite holds no sweep results", "sweep run SPEC.json --db"])
        #expect(try FileManager.default.attributesOfItem(atPath: database)[.size] as? Int == 0)
    }

    @Test func keepingNoWeightsPrintsNoExportCommand() async throws {
        let directory = try ScratchDirectory()
        let spec = try directory.write("grid.json", SmallSpecs.grid(name: "weightless"))
        let result = try await sweep("run", spec, "--db", directory.path("r.sqlite"), "--keep-weights", "0", in: directory)
        #expect(result.status == 0, "\(result)")
        #expect(!result.standardOutput.contains("export it with"), "\(result)")
        #expect(result.standardOutput.contains("no weights kept (--keep-weights 0)"))
        // Its export said to "export one of those" best trials kept, of which there are none.
        let export = try await sweep("export", "--db", directory.path("r.sqlite"), "-o", directory.path("m.safetensors"), in: directory)
        expectCleanRefusal(export, mentioning: ["weights are not stored: the sweep kept no trial's weights (sweep run --keep-weights 0)"])
    }
}

/// A database the user may read but not write: the reading commands work, `sweep run` says why
/// it cannot. As root, the commands run as the user nobody (root may write any file); otherwise
/// the file and its folder are made read-only.
@Suite("A results database the user can only read")
struct ReadOnlyDatabaseTests {
    @Test func listLeaderboardAndExportReadItAndRunSaysWhyItCannot() async throws {
        let directory = try ScratchDirectory()
        let spec = try directory.write("grid.json", SmallSpecs.grid(name: "shared"))
        let folder = directory.path("shared")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let database = folder + "/sweeps.sqlite"
        #expect(try await sweep("run", spec, "--db", database, in: directory).status == 0)
        let output = directory.path("out")
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        // Everyone may write the output folder; nobody may write the database or its folder.
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: output)
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: database)
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: folder)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder) }

        let asReader = try ReaderCommand(in: directory)
        let listing = try await asReader.run(["list", "--db", database])
        #expect(listing.status == 0, "\(listing)")
        #expect(listing.standardOutput.contains("shared  complete"), "\(listing)")
        #expect(listing.standardError.contains("cannot be written; reading it as last saved"))
        let board = try await asReader.run(["leaderboard", "--db", database, "--format", "csv"])
        #expect(board.status == 0 && csvRows(board.standardOutput).count == 9, "\(board)")
        let export = try await asReader.run(["export", "--db", database, "-o", output + "/best.safetensors"])
        #expect(export.status == 0, "\(export)")
        let run = try await asReader.run(["run", spec, "--db", database])
        #expect(run.isCleanFailure, "\(run)")
        #expect(run.standardError.contains("cannot be written"), "\(run)")
    }
}

/// Runs `sweep` as a user who may not write the test's read-only files: nobody when the tests
/// run as root, which may write anything, otherwise the current user.
struct ReaderCommand {
    let directory: ScratchDirectory
    let prefix: [String]

    init(in directory: ScratchDirectory) throws {
        self.directory = directory
        guard getuid() == 0 else {
            prefix = []
            return
        }
        // nobody cannot reach the build folder (it may be under /root): a copy in the scratch folder.
        let executable = try #require(SweepProcess.executable)
        let copy = directory.path("sweep-as-reader")
        try FileManager.default.copyItem(atPath: executable.path, toPath: copy)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: copy)
        prefix = ["/usr/sbin/runuser", "-u", "nobody", "--", copy]
    }

    func run(_ arguments: [String]) async throws -> CommandResult {
        if prefix.isEmpty { return try await SweepProcess(arguments, in: directory).wait() }
        return try await SweepProcess(prefix + arguments, in: directory, executable: URL(fileURLWithPath: prefix[0])).wait()
    }
}

/// Reading commands beside a writer that holds the database's write lock for longer than the
/// busy timeout (5 s): they need no write lock, so they do not wait for it.
@Suite("Reading beside a long write")
struct BusyDatabaseTests {
    @Test func listAndLeaderboardWorkWhileAnotherConnectionHoldsTheWriteLock() async throws {
        let directory = try ScratchDirectory()
        let spec = try directory.write("grid.json", SmallSpecs.grid(name: "busy"))
        let database = directory.path("busy.sqlite")
        #expect(try await sweep("run", spec, "--db", database, in: directory).status == 0)

        let holder = try SQLiteResultStore(path: database)
        let locked = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        let holding = Thread {
            try? holder.database.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    locked.signal()
                    _ = release.wait(timeout: .now() + 30)
                    return .rollback
                }
            }
        }
        holding.start()
        locked.wait()
        defer { release.signal() }
        // Held for the whole of both commands, however long they take.
        let listing = try await sweep("list", "--db", database, in: directory)
        let board = try await sweep("leaderboard", "--db", database, in: directory)
        #expect(listing.status == 0 && listing.standardOutput.contains("busy  complete"), "\(listing)")
        #expect(board.status == 0, "\(board)")
    }

    /// Each command that only reads leaves the file byte for byte as it was, and does not wait
    /// for another program's write transaction, even with the `-wal` file empty: they opened the
    /// file as a writer does, and GRDB's pool then made and dropped a table to set WAL mode up,
    /// which changed the file and waited (5 s, then "database is locked") for the write lock.
    /// The other program here is a plain connection, which leaves the `-wal` file empty, as
    /// `sqlite3` or Python would.
    @Test func theReadingCommandsLeaveTheFileAsItWasAndWaitForNoWriter() async throws {
        let directory = try ScratchDirectory()
        let spec = try directory.write("grid.json", SmallSpecs.grid(name: "kept"))
        let database = directory.path("kept.sqlite")
        #expect(try await sweep("run", spec, "--db", database, "--quiet", in: directory).status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: database))

        func runEachCommand() async throws {
            let copy = directory.path("copied-\(UUID().uuidString).sqlite")
            let commands = [
                ["list"], ["leaderboard"], ["leaderboard", "--format", "json"], ["export", "-o", directory.path("best.safetensors")],
                ["report", "-o", directory.path("report.html")], ["copy", "--from", database, "--to", copy],
            ]
            for command in commands {
                let arguments = command.first == "copy" ? command : command + ["--db", database]
                let result = try await SweepProcess(arguments, in: directory).wait()
                #expect(result.status == 0, "\(command): \(result)")
                // Read as it is, not as last saved: nothing keeps it from being read so.
                #expect(!result.standardError.contains("cannot be written"), "\(command): \(result)")
            }
        }
        // Alone: the sweep that wrote the file has removed its -wal file on closing.
        #expect(!FileManager.default.fileExists(atPath: database + "-wal"))
        try await runEachCommand()
        #expect(try Data(contentsOf: URL(fileURLWithPath: database)) == before)

        var configuration = Configuration()
        configuration.allowsUnsafeTransactions = true
        let other = try DatabaseQueue(path: database, configuration: configuration)
        try other.inDatabase { try $0.execute(sql: "BEGIN IMMEDIATE") }
        defer { try? other.inDatabase { try $0.execute(sql: "ROLLBACK") } }
        try await runEachCommand()
        #expect(try Data(contentsOf: URL(fileURLWithPath: database)) == before)
    }
}

/// A sweep stored before a check on configurations was made stricter keeps its results readable.
@Suite("Sweeps stored under older, looser checks")
struct StoredSpecCommandTests {
    /// The stored spec gives Adam a momentum option, which is now refused when a spec is read to
    /// run (Adam trained without it, silently): leaderboard, export and report still read the
    /// sweep, whose trials are stored with the configurations they trained with, while run
    /// refuses the same spec with the reason.
    @Test func resultsOfASpecThatIsNowRefusedStayReadable() async throws {
        let directory = try ScratchDirectory()
        let database = directory.path("results.sqlite")
        let run = try await sweep("run", try directory.write("grid.json", SmallSpecs.grid(name: "older")), "--db", database, in: directory)
        #expect(run.status == 0, "\(run)")
        let looser = #"{"momentum":0.9,"name":"adam"}"#
        try await DatabaseQueue(path: database).write { db in
            try db.execute(sql: "UPDATE sweeps SET spec_json = replace(spec_json, '\"adam\"', ?)", arguments: [looser])
            #expect(try String.fetchOne(db, sql: "SELECT spec_json FROM sweeps")?.contains(looser) == true)
        }
        for arguments in [
            ["leaderboard", "older", "--db", database], ["export", "older", "--db", database, "-o", directory.path("best.safetensors")],
            ["report", "older", "--db", database, "-o", directory.path("report.html")],
        ] {
            let result = try await SweepProcess(arguments, in: directory).wait()
            #expect(result.status == 0, "\(arguments[0]): \(result)")
        }
        let refused = try await sweep(
            "run", try directory.write("looser.json", SmallSpecs.grid(name: "older").replacingOccurrences(of: #""adam""#, with: looser)),
            "--db", database, in: directory)
        #expect(refused.isCleanFailure, "\(refused)")
        #expect(refused.standardError.contains("adam takes no option 'momentum'"), "\(refused)")
    }

    /// A value listed twice in a grid's list was refused after sweeps had been stored with one
    /// (such a grid took the repeat for a new combination and ran trials without end): the
    /// commands that read the sweep still read it, while run refuses the spec at the repeat, and
    /// runs it again once the repeat is removed, keeping its trials.
    @Test func aSweepStoredWithAValueListedTwiceStaysReadableAndRunSaysWhatToRemove() async throws {
        let directory = try ScratchDirectory()
        let database = directory.path("results.sqlite")
        let spec = try directory.write("grid.json", SmallSpecs.grid(name: "older"))
        let run = try await sweep("run", spec, "--db", database, in: directory)
        #expect(run.status == 0, "\(run)")
        let repeated = "[0.01,0.05,0.01]"
        try await DatabaseQueue(path: database).write { db in
            try db.execute(sql: "UPDATE sweeps SET spec_json = replace(spec_json, '[0.01,0.05]', ?)", arguments: [repeated])
            #expect(try String.fetchOne(db, sql: "SELECT spec_json FROM sweeps")?.contains(repeated) == true)
        }
        for arguments in [
            ["leaderboard", "older", "--db", database], ["leaderboard", "older", "--effects", "--db", database],
            ["list", "--db", database], ["export", "older", "--db", database, "-o", directory.path("best.safetensors")],
            ["report", "older", "--db", database, "-o", directory.path("report.html")],
        ] {
            let result = try await SweepProcess(arguments, in: directory).wait()
            #expect(result.status == 0 && result.standardError.isEmpty, "\(arguments[0]): \(result)")
        }
        // Read as it ran: each value once, as one level of its main effects.
        let effects = try await sweep("leaderboard", "older", "--effects", "--db", database, in: directory)
        #expect(effects.standardOutput.components(separatedBy: "\n0.01 ").count == 2, "\(effects)")
        let refused = try await sweep(
            "run", try directory.write("repeated.json", SmallSpecs.grid(name: "older").replacingOccurrences(of: "[0.01, 0.05]", with: "[0.01, 0.05, 0.01]")),
            "--db", database, in: directory)
        #expect(refused.isCleanFailure, "\(refused)")
        #expect(refused.standardError.contains("$.parameters.lr.values[2]: repeats values[0] (0.01); list each value once"), "\(refused)")
        let resumed = try await sweep("run", spec, "--db", database, in: directory)
        #expect(resumed.status == 0, "\(resumed)")
        #expect(resumed.standardOutput.contains("resuming: 8 already finished"), "\(resumed)")
    }

    /// `list` names a sweep whose stored spec this build cannot read, and why, instead of listing
    /// it as if nothing were amiss: leaderboard, report and export refuse it.
    @Test func listSaysWhenASweepsStoredSpecCannotBeRead() async throws {
        let directory = try ScratchDirectory()
        let database = directory.path("results.sqlite")
        let run = try await sweep("run", try directory.write("grid.json", SmallSpecs.grid(name: "older")), "--db", database, in: directory)
        #expect(run.status == 0, "\(run)")
        try await DatabaseQueue(path: database).write { db in
            try db.execute(sql: "UPDATE sweeps SET spec_json = json_set(spec_json, '$.parameters', 5)")
        }
        let list = try await sweep("list", "--db", database, in: directory)
        #expect(list.status == 0, "\(list)")
        #expect(list.standardOutput.contains("older"), "\(list)")
        #expect(list.standardOutput.contains("its stored spec cannot be read ($.parameters"), "\(list)")
        let leaderboard = try await sweep("leaderboard", "older", "--db", database, in: directory)
        #expect(leaderboard.isCleanFailure, "\(leaderboard)")
    }
}
