import ArgumentParser
import Foundation
import SweepDashboard
import SweepStore

struct DashboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Serve the reports of the database's sweeps live on 127.0.0.1, updated as trials finish.",
        discussion: """
            The same views as sweep report, refreshed every 2 seconds without a reload, with JSON endpoints behind them (/api/sweeps, /api/sweeps/NAME). It reads the database read-only while a sweep writes it and never writes; a database not created yet, being created or busy gets a page that says so. Ctrl-C stops it.
            """)

    @Option(name: .customLong("db"), help: "The results database (it may not exist yet).")
    var databasePath = StoreOptions.defaultPath

    @Option(parsing: .unconditional, help: "The port on 127.0.0.1 (0: any free port).")
    var port = 8080

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535, got \(port)") }
    }

    func run() async throws {
        if PostgresAddress.isURL(databasePath) {
            Terminal.error("sweep dashboard reads SQLite files only for now; for a sweep in PostgreSQL, write its report (sweep report --db URL -o report.html), or copy it to a file (sweep copy --from URL --to FILE) and serve that")
            throw ExitCode(2)
        }
        // A file that can never become readable is bad input; one that does not exist yet, is
        // being created or is busy gets a page that says so, and is read once it can be.
        switch SQLiteResultStore.inspect(path: databasePath) {
        case .unusable(let reason):
            Terminal.error(reason)
            throw ExitCode(2)
        case .newer(let version):
            Terminal.error("\(databasePath) has schema version \(version), newer than this sweep reads; use a newer sweep")
            throw ExitCode(2)
        default:
            break
        }
        let server = DashboardServer(reader: DashboardReader(databasePath: databasePath), port: port)
        let databasePath = self.databasePath
        do {
            try await server.run { port in
                print("dashboard of \(databasePath) on http://127.0.0.1:\(port)/ (Ctrl-C stops it)")
                fflush(nil)
            }
        } catch let error as DashboardServer.StartError {
            Terminal.error(error.description)
            throw ExitCode(2)
        }
        print("dashboard stopped")
    }
}
