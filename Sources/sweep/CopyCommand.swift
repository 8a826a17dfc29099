import ArgumentParser
import Foundation
import SweepKit
import SweepStore

struct CopyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy sweeps between results databases (SQLite files and PostgreSQL), every trial, metric, epoch and weight unchanged.",
        discussion: """
            sweep copy --from results/sweeps.sqlite --to postgresql://user:password@host/db moves a sweep begun on one machine to a shared database, where sweep run on several machines continues it; --from the URL --to a file brings it back. A sweep that the destination already holds is refused; name the sweeps to copy with --sweep.
            """)

    @Option(help: ArgumentHelp("The database to copy from: a file or a postgresql:// URL.", valueName: "path-or-url"))
    var from: String

    @Option(help: ArgumentHelp("The database to copy to (created if it is a file that does not exist).", valueName: "path-or-url"))
    var to: String

    @Option(name: .customLong("sweep"), help: "Copy only this sweep (repeat for more; default: every sweep).")
    var sweeps: [String] = []

    func validate() throws {
        for (option, value) in [("--from", from), ("--to", to)] {
            try StoreOptions.refuseEmpty(value, option: option)
            do {
                _ = try ResultStoreLocation(parsing: value)
            } catch let error as PostgresResultStoreError {
                throw ValidationError("\(option): \(error.description)")
            }
        }
        if from == to { throw ValidationError("--from and --to are the same database") }
    }

    func run() throws {
        let source = try open(from, forReading: true, mustExist: true)
        let destination = try open(to, forReading: false, mustExist: false)
        let available = try source.sweeps().map(\.sweep)
        var chosen = available
        if !sweeps.isEmpty {
            let names = Set(available.map(\.name))
            if let missing = sweeps.first(where: { !names.contains($0) }) {
                Terminal.error("no sweep named '\(missing)' in \(try shown(from))" + (names.isEmpty ? "" : "; sweeps: \(available.map(\.name).joined(separator: ", "))"))
                throw ExitCode(2)
            }
            chosen = available.filter { sweeps.contains($0.name) }
        }
        guard !chosen.isEmpty else {
            Terminal.error("\(try shown(from)) holds no sweeps to copy")
            throw ExitCode(2)
        }
        if let clash = try chosen.first(where: { try destination.sweep(named: $0.name) != nil }) {
            Terminal.error("\(try shown(to)) already holds a sweep named '\(clash.name)'; copy the others with --sweep, or copy into another database")
            throw ExitCode(2)
        }
        for sweep in chosen {
            let copied = try ResultCopy.copy(sweep: sweep, from: source, to: destination)
            print("copied sweep '\(sweep.name)': \(copied.trials) trials, \(copied.epochs) epochs, \(copied.models) models")
        }
    }

    private func shown(_ text: String) throws -> String {
        try ResultStoreLocation(parsing: text).description
    }

    private func open(_ text: String, forReading: Bool, mustExist: Bool) throws -> any ResultStore {
        var options = StoreOptions()
        options.databasePath = text
        return try options.openStore(mustExist: mustExist, forReading: forReading)
    }
}
