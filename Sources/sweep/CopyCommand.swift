import ArgumentParser
import Foundation
import SweepKit
import SweepStore

struct CopyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy sweeps between results databases (SQLite files and PostgreSQL), every trial, metric, epoch and weight unchanged.",
        discussion: """
            sweep copy --from results/sweeps.sqlite --to postgresql://user:password@host/db moves a sweep begun on one machine to a shared database, where sweep run on several machines continues it; --from the URL --to a file brings it back. A sweep that the destination already holds is refused; name the sweeps to copy with --sweep. A copy cut short (Ctrl-C, a kill, a full disk) leaves the sweep marked interrupted in the destination, never complete, and the same command run again continues it.
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
        if from == to || Self.sameFile(from, to) { throw ValidationError("--from and --to are the same database") }
    }

    func run() throws {
        let source = try open(from, option: "--from", forReading: true, mustExist: true)
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
        // Opened once there is something to copy: a refusal above leaves --to as it was.
        let destination = try open(to, option: "--to", forReading: false, mustExist: false)
        let destinationLocation = try ResultStoreLocation(parsing: to)
        let isLive = { (sweep: SweepRecord) in destinationLocation.liveStatus(of: sweep, in: destination).status == .running }
        if let clash = try chosen.first(where: { try !ResultCopy.canCopy($0, from: source, to: destination, isLive: isLive) }) {
            Terminal.error("\(try shown(to)) already holds a sweep named '\(clash.name)'; copy the others with --sweep, or copy into another database")
            throw ExitCode(2)
        }
        for sweep in chosen {
            try copy(sweep, from: source, to: destination, isLive: isLive)
        }
    }

    /// One sweep, with a progress line on a terminal. A copy cut short leaves the sweep
    /// interrupted in the destination, and the same command continues it.
    private func copy(
        _ sweep: SweepRecord, from source: any ResultStore, to destination: any ResultStore, isLive: (SweepRecord) -> Bool
    ) throws {
        var written = 0, total = 0
        let copied: ResultCopy.Counts
        do {
            copied = try ResultCopy.copy(sweep: sweep, from: source, to: destination, isLive: isLive) { done, all in
                (written, total) = (done, all)
                if Terminal.isInteractive { Terminal.status("copying sweep '\(sweep.name)': \(done)/\(all) trials") }
            }
        } catch {
            if Terminal.isInteractive { Terminal.endStatus() }
            let reached = total > 0 ? " after \(written) of \(total) trials" : ""
            Terminal.error("the copy of sweep '\(sweep.name)' stopped\(reached): \(error); run the same sweep copy again to continue it")
            throw ExitCode(1)
        }
        if Terminal.isInteractive { Terminal.endStatus() }
        let earlier = copied.alreadyCopied > 0 ? " (continued: \(copied.alreadyCopied) were copied before)" : ""
        print("copied sweep '\(sweep.name)': \(copied.trials) trials\(earlier), \(copied.epochs) epochs, \(copied.models) models")
    }

    /// Two paths of one existing file (`a.sqlite` and `./a.sqlite`, a link): the copy would
    /// write into the file it reads.
    private static func sameFile(_ first: String, _ second: String) -> Bool {
        guard case .sqlite(let one)? = try? ResultStoreLocation(parsing: first), case .sqlite(let other)? = try? ResultStoreLocation(parsing: second),
              let identity = FileIdentity(path: one) else { return false }
        return identity == FileIdentity(path: other)
    }

    private func shown(_ text: String) throws -> String {
        try ResultStoreLocation(parsing: text).description
    }

    private func open(_ text: String, option: String, forReading: Bool, mustExist: Bool) throws -> any ResultStore {
        var options = StoreOptions()
        options.databasePath = text
        options.optionName = option
        return try options.openStore(mustExist: mustExist, forReading: forReading)
    }
}
