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

    @Option(name: .customLong("db"), help: ArgumentHelp("The results database: an SQLite file (it may not exist yet) or postgresql://user:password@host:port/database.", valueName: "path-or-url"))
    var databasePath = StoreOptions.defaultPath

    @Option(parsing: .unconditional, help: "The port on 127.0.0.1 (0: any free port).")
    var port = 8080

    func validate() throws {
        try StoreOptions.refuseEmpty(databasePath, option: "--db")
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535, got \(port)") }
    }

    func run() async throws {
        // A PostgreSQL URL that is not one, that nothing answers at, or whose schema holds
        // another application's tables is bad input; a database without tables yet gets a page,
        // as a missing file does.
        if PostgresAddress.isURL(databasePath) {
            do {
                _ = try PostgresResultStore(readingOnly: try PostgresAddress(parsing: databasePath), retryWindow: 0)
                    .storedSchemaVersion()
            } catch let error as PostgresResultStoreError {
                Terminal.error(error.description)
                throw ExitCode(2)
            }
        } else {
            try checkFile()
        }
        let server = DashboardServer(reader: DashboardReader(databasePath: databasePath), port: port)
        let databasePath = (try? ResultStoreLocation(parsing: self.databasePath).description) ?? self.databasePath
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

    /// A file that can never become readable is bad input; one that does not exist yet, is
    /// being created or is busy gets a page that says so, and is read once it can be.
    private func checkFile() throws {
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
    }
}
