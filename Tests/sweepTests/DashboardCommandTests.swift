import Foundation
import GRDB
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `sweep dashboard`: a server on 127.0.0.1 (on a port of its own choosing, --port 0) that
/// reads the database while sweeps write it, answers every state with a page, and never writes.
@Suite(.serialized) struct DashboardCommandTests {
    /// A running dashboard and the address it printed.
    struct Dashboard {
        let process: SweepProcess
        let base: URL

        static func start(_ arguments: [String], in directory: ScratchDirectory) async throws -> Dashboard {
            let process = try SweepProcess(["dashboard", "--port", "0"] + arguments, in: directory)
            // Looks once more after the deadline: under the full suite this task may not run again
            // until other tests free a thread, long after the dashboard printed its address.
            let deadline = ContinuousClock.now + .seconds(60)
            while true {
                let running = process.isRunning
                if let line = process.standardOutputSoFar.split(separator: "\n").first(where: { $0.contains("http://127.0.0.1:") }),
                    let start = line.range(of: "http://"), let url = URL(string: String(line[start.lowerBound...].prefix { $0 != " " })) {
                    return Dashboard(process: process, base: url)
                }
                if !running || ContinuousClock.now >= deadline { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            process.send(SIGKILL)
            Issue.record("the dashboard printed no address: \(process.waitBlocking())")
            throw CancellationError()
        }

        /// GETs `path`: the status and the body.
        func get(_ path: String) async throws -> (status: Int, body: Data) {
            let url = URL(string: path, relativeTo: base)!
            return try await withCheckedThrowingContinuation { continuation in
                let task = URLSession.shared.dataTask(with: URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: 30)) { data, response, error in
                    if let error { continuation.resume(throwing: error); return }
                    continuation.resume(returning: ((response as? HTTPURLResponse)?.statusCode ?? 0, data ?? Data()))
                }
                task.resume()
            }
        }

        func json(_ path: String) async throws -> (status: Int, object: [String: Any]) {
            let (status, body) = try await get(path)
            return (status, try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any]))
        }

        /// Polls `path` until `condition` holds of its JSON, failing after a minute (no timing is
        /// asserted: the deadline only keeps a broken dashboard from hanging the suite).
        func waitFor(_ path: String, _ what: String, condition: ([String: Any]) -> Bool) async throws -> [String: Any] {
            let deadline = ContinuousClock.now + .seconds(60)
            var last: [String: Any] = [:]
            while true {
                // Asked once more after the deadline, for a task that resumed late.
                last = try await json(path).object
                if condition(last) { return last }
                if ContinuousClock.now >= deadline { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            Issue.record("\(what) never happened; last answer: \(last)")
            return last
        }

        func stop() async throws -> CommandResult {
            process.send(SIGINT)
            return try await process.wait()
        }
    }

    @Test func aMissingDatabaseGetsAPageAndASweepAppearsOnceItsTrialsFinish() async throws {
        let directory = try ScratchDirectory()
        let dashboard = try await Dashboard.start(["--db", "results.sqlite"], in: directory)
        let page = try await dashboard.get("/")
        #expect(page.status == 200)
        #expect(String(decoding: page.body, as: UTF8.self).contains(#"<body data-mode="live">"#))
        let missing = try await dashboard.json("/api/sweeps")
        #expect(missing.status == 200)
        #expect(missing.object["state"] as? String == "missing")
        #expect((missing.object["message"] as? String)?.contains("No results database at `results.sqlite` yet") == true)
        // It never creates the file it waits for.
        #expect(!FileManager.default.fileExists(atPath: directory.path("results.sqlite")))

        try directory.write("grid.json", SmallSpecs.grid(name: "live-grid", epochs: 1))
        let first = try await sweep("run", "grid.json", "--db", "results.sqlite", "--trials", "3", "--quiet", in: directory)
        #expect(first.status == 0, "\(first)")
        let report = try await dashboard.waitFor("/api/sweeps/live-grid", "the first three trials") { ($0["trials"] as? [Any])?.count == 3 }
        let revision = try #require(report["revision"] as? String)
        // Polling with the same revision answers "unchanged" until a trial finishes.
        let unchanged = try await dashboard.json("/api/sweeps/live-grid?revision=\(revision)")
        #expect(unchanged.object["unchanged"] as? Bool == true)
        let second = try await sweep("run", "grid.json", "--db", "results.sqlite", "--trials", "1", "--quiet", in: directory)
        #expect(second.status == 0, "\(second)")
        let grown = try await dashboard.waitFor("/api/sweeps/live-grid?revision=\(revision)", "the fourth trial") { ($0["trials"] as? [Any])?.count == 4 }
        #expect(grown["revision"] as? String != revision)

        let unknown = try await dashboard.json("/api/sweeps/nothing-like-it")
        #expect(unknown.status == 404)
        #expect(unknown.object["state"] as? String == "not_found")

        // Ctrl-C stops it cleanly.
        let stopped = try await dashboard.stop()
        #expect(!stopped.endedBySignal && stopped.status == 0, "\(stopped)")
        #expect(stopped.standardOutput.contains("dashboard stopped"), "\(stopped)")
    }

    @Test func aDatabaseBeingCreatedOrBusyGetsAPageNotAnError() async throws {
        let directory = try ScratchDirectory()
        // An empty file: what a sweep has created before its tables.
        #expect(FileManager.default.createFile(atPath: directory.path("new.sqlite"), contents: Data()))
        let creating = try await Dashboard.start(["--db", "new.sqlite"], in: directory)
        let answer = try await creating.json("/api/sweeps")
        #expect(answer.status == 200)
        #expect(answer.object["state"] as? String == "creating")
        _ = try await creating.stop()
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory.path("new.sqlite"))).isEmpty)

        try directory.write("grid.json", SmallSpecs.grid(epochs: 1))
        let run = try await sweep("run", "grid.json", "--db", "results.sqlite", "--trials", "2", "--quiet", in: directory)
        #expect(run.status == 0, "\(run)")
        // Another process that keeps readers out: an exclusive lock held in WAL mode.
        var configuration = Configuration()
        configuration.allowsUnsafeTransactions = true
        let holder = try DatabaseQueue(path: directory.path("results.sqlite"), configuration: configuration)
        try holder.inDatabase { db in
            try db.execute(sql: "PRAGMA locking_mode = EXCLUSIVE")
            try db.execute(sql: "BEGIN EXCLUSIVE")
            try db.execute(sql: "CREATE TABLE lock_holder (x)")
        }
        let busy = try await Dashboard.start(["--db", "results.sqlite"], in: directory)
        let locked = try await busy.json("/api/sweeps")
        #expect(locked.status == 200)
        #expect(locked.object["state"] as? String == "busy", "\(locked.object)")
        try holder.inDatabase { db in try db.execute(sql: "ROLLBACK") }
        try holder.close()
        let free = try await busy.waitFor("/api/sweeps", "the lock's release") { $0["state"] as? String == "ok" }
        #expect((free["sweeps"] as? [[String: Any]])?.first?["trials"] as? Int == 2)
        _ = try await busy.stop()
    }

    @Test func itNeverWritesTheDatabase() async throws {
        let directory = try ScratchDirectory()
        try directory.write("grid.json", SmallSpecs.grid(epochs: 1))
        let run = try await sweep("run", "grid.json", "--db", "results.sqlite", "--quiet", in: directory)
        #expect(run.status == 0, "\(run)")
        let before = try Data(contentsOf: URL(fileURLWithPath: directory.path("results.sqlite")))
        let dashboard = try await Dashboard.start(["--db", "results.sqlite"], in: directory)
        let report = try await dashboard.json("/api/sweeps/cli-grid")
        #expect((report.object["trials"] as? [Any])?.count == 8)
        _ = try await dashboard.stop()
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory.path("results.sqlite"))) == before)
    }

    @Test func aPortInUseAndABadPortAreOneClearMessage() async throws {
        let directory = try ScratchDirectory()
        let first = try await Dashboard.start([], in: directory)
        let port = try #require(first.base.port)
        let second = try await sweep("dashboard", "--port", String(port), in: directory)
        #expect(second.isCleanFailure, "\(second)")
        #expect(second.standardError.contains("port \(port) on 127.0.0.1 is already in use"), "\(second)")
        #expect(second.standardError.split(separator: "\n").count == 1, "\(second)")
        _ = try await first.stop()

        let bad = try await sweep("dashboard", "--port", "70000", in: directory)
        #expect(bad.isCleanFailure, "\(bad)")
        #expect(bad.standardError.contains("--port must be between 0 and 65535"), "\(bad)")
        try directory.write("text.sqlite", "not a database\n")
        let garbage = try await sweep("dashboard", "--db", "text.sqlite", "--port", "0", in: directory)
        #expect(garbage.isCleanFailure, "\(garbage)")
        #expect(garbage.standardError.contains("not a sweep results database"), "\(garbage)")
    }
}
