import Foundation
import SweepKit
@testable import SweepStore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// One sweep run by several `sweep run` processes through PostgreSQL, against a real server
/// (`SWEEP_TEST_POSTGRES_URL`; see `PostgresTestDatabase`). The server stopped for 5 s under a
/// running sweep is `tools/postgres-e2e.sh`'s check: it stops the server every test shares.
@Suite(.enabled(if: PostgresTestDatabase.serverURL != nil, PostgresTestDatabase.notConfigured))
struct SharedSweepCommandTests {
    /// 12 TPE trials (lag 2: trial n learns from trials 1 … n − 3, wherever they ran) of
    /// batch-one epochs, each long enough (about half a second in a debug build) that a worker
    /// is nearly always training one.
    private static func spec(_ name: String) -> String {
        SmallSpecs.slowTPE(name: name, epochs: 120, trials: 12)
    }

    /// The trials each process reported finished, from its log lines "[k/N] trial n …".
    private static func finishedTrials(_ output: String) -> [Int] {
        output.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("["), let word = line.split(separator: " ").dropFirst(2).first else { return nil }
            return Int(word)
        }
    }

    /// The leaderboard without its timing column, which differs from run to run.
    private static func board(_ csv: String) -> [[String]] {
        let rows = csvRows(csv)
        guard let header = rows.first, let seconds = header.firstIndex(of: "train_seconds") else { return rows }
        return rows.map { row in row.enumerated().filter { $0.offset != seconds }.map(\.element) }
    }

    @Test func threeWorkersOneKilledMidTrialRunEveryTrialOnceAsOneProcessWould() async throws {
        let directory = try ScratchDirectory()
        let database = try PostgresTestDatabase()
        let spec = try directory.write("spec.json", Self.spec("shared-kill"))
        let reference = try await sweep("run", spec, "--db", directory.path("reference.sqlite"), "--jobs", "1", in: directory)
        try #require(reference.status == 0, "\(reference)")

        // The worker to kill starts first and is killed once it has finished a trial: it trains
        // its next one by then (a worker claims a trial as soon as it has trained one). The
        // others start with it, so that the sweep is still far from its end. Started only once
        // the victim had finished a trial, they took so long to start on a loaded machine that
        // the victim trained all twelve trials before the signal came.
        let arguments = ["run", spec, "--db", database.url, "--jobs", "1", "--heartbeat", "0.5"]
        let victim = try SweepProcess(arguments, in: directory)
        let workers = [try SweepProcess(arguments, in: directory), victim, try SweepProcess(arguments, in: directory)]
        let killed = await victim.send(SIGKILL, when: { !Self.finishedTrials($0.standardOutputSoFar).isEmpty })
        var results: [CommandResult] = []
        for worker in workers { results.append(try await worker.wait(timeout: .seconds(240))) }

        #expect(killed && results[1].endedBySignal, "\(results[1])")
        for survivor in [results[0], results[2]] { #expect(survivor.status == 0, "\(survivor)") }
        let finished = results.flatMap { Self.finishedTrials($0.standardOutput) }
        #expect(finished.sorted() == Array(1...12), "every trial finished exactly once: \(finished.sorted())")
        let shared = try await sweep("leaderboard", "--db", database.url, "--format", "csv", in: directory)
        let single = try await sweep("leaderboard", "--db", directory.path("reference.sqlite"), "--format", "csv", in: directory)
        #expect(Self.board(shared.standardOutput) == Self.board(single.standardOutput))
        let list = try await sweep("list", "--db", database.url, in: directory)
        #expect(list.standardOutput.contains("shared-kill  complete"))
    }

    @Test func aSweepCopiedToPostgreSQLAndBackKeepsEveryTrialMetricEpochAndWeight() async throws {
        let directory = try ScratchDirectory()
        let database = try PostgresTestDatabase()
        let spec = try directory.write("spec.json", SmallSpecs.grid(name: "copied"))
        let original = directory.path("original.sqlite"), back = directory.path("back.sqlite")
        try #require(try await sweep("run", spec, "--db", original, "--quiet", in: directory).status == 0)

        let there = try await sweep("copy", "--from", original, "--to", database.url, in: directory)
        let home = try await sweep("copy", "--from", database.url, "--to", back, in: directory)
        let again = try await sweep("copy", "--from", original, "--to", database.url, in: directory)

        #expect(there.status == 0 && there.standardOutput.contains("copied sweep 'copied': 8 trials"), "\(there)")
        #expect(home.status == 0, "\(home)")
        #expect(again.isCleanFailure && again.standardError.contains("already holds a sweep named 'copied'"), "\(again)")
        let before = try SQLiteResultStore(path: original), after = try SQLiteResultStore(path: back)
        #expect(try after.sweeps() == before.sweeps())
        let trials = try before.trials(sweep: "copied")
        #expect(try after.trials(sweep: "copied") == trials)
        for trial in trials {
            #expect(try after.epochs(sweep: "copied", trial: trial.number) == before.epochs(sweep: "copied", trial: trial.number))
            let model = try #require(try before.model(sweep: "copied", trial: trial.number))
            let copied = try #require(try after.model(sweep: "copied", trial: trial.number))
            #expect(copied.tensors.map(\.name) == model.tensors.map(\.name))
            #expect(copied.tensors.map { $0.values.map(\.bitPattern) } == model.tensors.map { $0.values.map(\.bitPattern) })
            #expect(copied.network == model.network && copied.standardizer == model.standardizer)
        }
    }

    @Test func theDashboardShowsASweepInPostgreSQLWithoutWritingAndWithoutThePassword() async throws {
        let directory = try ScratchDirectory()
        let database = try PostgresTestDatabase()
        let dashboard = try await DashboardCommandTests.Dashboard.start(["--db", database.url], in: directory)

        let empty = try await dashboard.json("/api/sweeps")
        try directory.write("grid.json", SmallSpecs.grid(name: "shared-grid", epochs: 1))
        let run = try await sweep("run", "grid.json", "--db", database.url, "--quiet", in: directory)
        let report = try await dashboard.waitFor("/api/sweeps/shared-grid", "the sweep's 8 trials") { ($0["trials"] as? [Any])?.count == 8 }
        let stopped = try await dashboard.stop()

        #expect(empty.object["state"] as? String == "creating", "\(empty.object)")  // it created no tables
        #expect(run.status == 0, "\(run)")
        #expect(report["revision"] != nil)
        let password = try #require(database.server.password)
        #expect(!String(describing: empty.object).contains(":\(password)@") && !stopped.standardOutput.contains(":\(password)@"))
        #expect(stopped.standardOutput.contains("dashboard of postgresql://\(database.server.user)@"), "\(stopped)")
    }

    /// A command that only reads, given a database without sweep tables, says that no sweep has
    /// been run there and creates nothing: it created the tables and answered as if for a sweep
    /// database ("no sweeps yet").
    @Test(arguments: ["list", "leaderboard", "export", "report", "copy"])
    func aReadingCommandRefusesAnEmptyDatabaseAndCreatesNoTables(command: String) async throws {
        let directory = try ScratchDirectory()
        let database = try PostgresTestDatabase()
        let arguments = switch command {
        case "export": [command, "--db", database.url, "-o", directory.path("best.safetensors")]
        case "report": [command, "--db", database.url, "-o", directory.path("report.html")]
        case "copy": [command, "--from", database.url, "--to", directory.path("copied.sqlite")]
        default: [command, "--db", database.url]
        }

        let result = try await SweepProcess(arguments, in: directory).wait()

        expectCleanRefusal(result, mentioning: [
            "\(database.shown) holds no sweep results (schema 'public' has no tables): no sweep has been run there",
            "sweep run SPEC.json --db",
        ])
        #expect(!result.standardError.contains(":\(database.server.password ?? "")@"))
        #expect(try database.relations() == [])
        for output in ["best.safetensors", "report.html", "copied.sqlite"] {
            #expect(!FileManager.default.fileExists(atPath: directory.path(output)))
        }
    }

    /// `sweep run` creates the tables in an empty database, after which the reading commands
    /// read it.
    @Test func runCreatesTheTablesInAnEmptyDatabaseAndTheReadingCommandsReadThem() async throws {
        let directory = try ScratchDirectory()
        let database = try PostgresTestDatabase()
        let spec = try directory.write("grid.json", SmallSpecs.grid(name: "first", epochs: 1))

        let run = try await sweep("run", spec, "--db", database.url, "--quiet", in: directory)
        let list = try await sweep("list", "--db", database.url, in: directory)
        let report = try await sweep("report", "--db", database.url, "-o", directory.path("first.html"), in: directory)

        #expect(run.status == 0, "\(run)")
        #expect(list.status == 0 && list.standardOutput.contains("first  complete"), "\(list)")
        #expect(report.status == 0, "\(report)")
        #expect(try database.relations().contains("public.sweeps"))
    }

    /// A database whose schema holds another application's tables and none of ours (a mistyped
    /// URL, a shared database): `run` refuses it too, rather than mixing its tables (one named
    /// like one of theirs) into that schema, and leaves it as it was.
    @Test func runRefusesASchemaOfAnotherApplicationsTablesAndLeavesIt() async throws {
        let directory = try ScratchDirectory()
        let database = try PostgresTestDatabase()
        try database.store(schemaVersion: 0).runScript("""
            CREATE TABLE models (id bigint PRIMARY KEY, body text);
            CREATE TABLE notes (body text);
            """)
        let before = try database.relations()
        let spec = try directory.write("grid.json", SmallSpecs.grid(name: "mistyped", epochs: 1))

        let run = try await sweep("run", spec, "--db", database.url, "--quiet", in: directory)

        expectCleanRefusal(run, mentioning: [
            "\(database.shown) holds another application's tables in schema 'public' (models, notes) and no sweep tables",
            "CREATE DATABASE sweeps;", "SET search_path = sweep;",
        ])
        #expect(try database.relations() == before)
    }

    @Test func aWrongPasswordAndAMissingDatabaseEachGetOneClearMessage() async throws {
        let directory = try ScratchDirectory()
        let server = try PostgresAddress(parsing: try #require(PostgresTestDatabase.serverURL))
        var wrong = server
        wrong.password = "not-the-password"
        var missing = server
        missing.database = "sweep_no_such_database"
        func url(_ address: PostgresAddress) -> String {
            "postgresql://\(address.user):\(address.password ?? "")@\(address.host):\(address.port)/\(address.database)"
        }

        let refused = try await sweep("list", "--db", url(wrong), in: directory)
        let absent = try await sweep("leaderboard", "--db", url(missing), in: directory)

        #expect(refused.isCleanFailure && refused.standardError.contains("refused user '\(server.user)'"), "\(refused)")
        #expect(!refused.standardError.contains("not-the-password"))
        #expect(absent.isCleanFailure && absent.standardError.contains("has no database 'sweep_no_such_database'"), "\(absent)")
    }

    /// A URL without its password takes PGPASSWORD's, as libpq does; without either, the refusal
    /// says where to put it. The commands suggested after a run whose URL held the password
    /// show PASSWORD in its place: pasted as shown, without it, they were refused.
    @Test func theCommandsTakeThePasswordFromPGPASSWORDAndSuggestWhereItGoes() async throws {
        let directory = try ScratchDirectory()
        let database = try PostgresTestDatabase()
        let password = try #require(database.server.password)
        var bare = try PostgresAddress(parsing: database.url)
        bare.password = nil
        let withoutPassword = "postgresql://\(bare.user)@\(bare.host):\(bare.port)/\(bare.database)"
        let spec = try directory.write("grid.json", SmallSpecs.grid(name: "passworded", epochs: 1))

        let run = try await sweep("run", spec, "--db", database.url, in: directory)
        let fromEnvironment = try await SweepProcess(["list", "--db", withoutPassword], in: directory, environment: ["PGPASSWORD": password]).wait()
        let none = try await SweepProcess(["list", "--db", withoutPassword], in: directory, environment: ["PGPASSWORD": ""]).wait()

        #expect(run.standardOutput.contains("--db postgresql://\(bare.user):PASSWORD@\(bare.host):\(bare.port)/\(bare.database)"), "\(run)")
        #expect(!run.standardOutput.contains(":\(password)@"))
        #expect(fromEnvironment.status == 0 && fromEnvironment.standardOutput.contains("passworded  complete"), "\(fromEnvironment)")
        expectCleanRefusal(none, mentioning: ["the URL gives none; put it in the URL (postgresql://USER:PASSWORD@HOST/DATABASE) or in the environment variable PGPASSWORD"])
    }
}

/// `--db` URLs that need no server to be refused.
struct PostgresAddressCommandTests {
    @Test func anUnreachableServerAndABadURLEachGetOneClearMessage() async throws {
        let directory = try ScratchDirectory()

        let unreachable = try await sweep("list", "--db", "postgresql://sweep:secret@127.0.0.1:1/sweep", in: directory)
        let bad = try await sweep("leaderboard", "--db", "postgresql://sweep@127.0.0.1", in: directory)

        #expect(unreachable.isCleanFailure && unreachable.standardError.contains("cannot reach PostgreSQL at postgresql://sweep@127.0.0.1:1/sweep (connection refused)"), "\(unreachable)")
        #expect(!unreachable.standardError.contains("secret"))
        #expect(bad.isCleanFailure && bad.standardError.contains("it names no database"), "\(bad)")
    }
}

/// A new database of its own on the test server for one test, dropped at its end. The server
/// is `SWEEP_TEST_POSTGRES_URL` (a database whose user may create databases; `.ci/run` starts
/// one with `tools/postgres-server.sh`).
final class PostgresTestDatabase {
    static let serverURL = ProcessInfo.processInfo.environment["SWEEP_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    static let notConfigured: Comment =
        "not run: SWEEP_TEST_POSTGRES_URL is not set (start a server with tools/postgres-server.sh start DIR and set it to the URL printed; .ci/run does)"

    let name: String
    let server: PostgresAddress
    /// The database's URL, password included, for `--db`.
    let url: String

    init() throws {
        server = try PostgresAddress(parsing: try #require(Self.serverURL))
        name = "sweep_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try PostgresResultStore.createDatabase(named: name, on: server)
        url = "postgresql://\(server.user):\(server.password ?? "")@\(server.host):\(server.port)/\(name)"
    }

    deinit {
        try? PostgresResultStore.dropDatabase(named: name, on: server)
    }

    /// The database's URL as the commands print it, without the password.
    var shown: String { address.description }

    var address: PostgresAddress {
        var address = server
        address.database = name
        return address
    }

    /// The store on the database, `schemaVersion` 0 leaving it without tables.
    func store(schemaVersion: Int = PostgresResultStore.schemaVersion) throws -> PostgresResultStore {
        try PostgresResultStore(address: address, schemaVersion: schemaVersion)
    }

    /// Every table, view, sequence and index outside PostgreSQL's own schemas, as schema.name.
    func relations() throws -> [String] {
        let reader = try PostgresResultStore(readingOnly: address, retryWindow: 10)
        return try reader.connections.retrying { link in
            try link.rows("""
                SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1
                """).map { try $0.decode(String.self) }
        }
    }
}
