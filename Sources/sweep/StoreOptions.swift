import ArgumentParser
import Foundation
import SweepKit
import SweepStore

/// The results database option every sweep command shares: an SQLite file's path, or a
/// PostgreSQL URL (`ResultStoreLocation` tells them apart; the commands hold a `ResultStore`).
struct StoreOptions: ParsableArguments {
    static let defaultPath = "results/sweeps.sqlite"

    @Option(
        name: .customLong("db"),
        help: ArgumentHelp(
            "The results database: an SQLite file (sweep run and sweep auto create it; the other commands only read it) or postgresql://user:password@host:port/database.",
            valueName: "path-or-url"))
    var databasePath = StoreOptions.defaultPath

    /// The option that names the database, for messages: `--db`, or `sweep copy`'s `--from` and `--to`.
    var optionName = "--db"

    private enum CodingKeys: String, CodingKey {
        case databasePath
    }

    func validate() throws {
        try Self.refuseEmpty(databasePath, option: "--db")
        let location: ResultStoreLocation
        do {
            location = try ResultStoreLocation(parsing: databasePath)
        } catch let error as PostgresResultStoreError {
            throw ValidationError(error.description)
        }
        // SQLite opens 'x.sqlite/' as the file x.sqlite, creating it, and the run lock beside it
        // then failed as if for a permission.
        if case .sqlite(let path) = location, path.hasSuffix("/") {
            throw ValidationError("--db '\(path)' ends with '/', which names a folder; --db takes the database file, e.g. --db \((path as NSString).appendingPathComponent("sweeps.sqlite"))")
        }
    }

    /// Refuses an empty database option (an unset shell variable in `--db "$DB"`): SQLite reads
    /// '' as a temporary database of its own, gone when the command ends.
    static func refuseEmpty(_ value: String, option: String) throws {
        guard value.isEmpty else { return }
        throw ValidationError("\(option) needs a database file or a postgresql:// URL, e.g. \(option) \(defaultPath)")
    }

    /// Where `--db` points (checked by `validate`).
    var location: ResultStoreLocation {
        (try? ResultStoreLocation(parsing: databasePath)) ?? .sqlite(path: databasePath)
    }

    /// The database as the commands print it: a URL without its password.
    var shownLocation: String { location.description }

    /// " --db PATH" when the database is not the default one, for the commands a message suggests.
    var databaseOption: String {
        guard databasePath != Self.defaultPath else { return "" }
        if case .postgres(let address) = location { return " --db \(shellWord(address.suggestedURL))" }
        return " --db \(shellWord(shownLocation))"
    }

    /// The files of an SQLite database, with its write-ahead log and shared memory, that a
    /// command's output must not replace; none for PostgreSQL.
    var databaseFiles: [(path: String, role: String)] {
        guard case .sqlite(let path) = location else { return [] }
        return [(path, "the results database"), (path + "-wal", "the results database's write-ahead log"), (path + "-shm", "the results database's shared memory")]
    }

    /// Opens the database; `checkingIntegrity` (before a run writes to it, or an export reads a
    /// model from it) also runs SQLite's integrity check, which reads the whole file.
    /// `forReading`: a command that only reads, which refuses a database without sweep tables
    /// instead of creating them, and may read a file it cannot write.
    func openStore(mustExist: Bool = false, forReading: Bool = false, checkingIntegrity: Bool = false) throws -> any ResultStore {
        if mustExist, location.isMissing {
            Terminal.error("no results database at '\(databasePath)'; run a sweep first (sweep run SPEC.json) or pass \(optionName) PATH")
            throw ExitCode(2)
        }
        do {
            return try location.open(forReading: forReading, checkingIntegrity: checkingIntegrity) { note in
                Terminal.note("note: \(note)")
            }
        } catch let error as SQLiteResultStoreError {
            Terminal.error(error.description(option: optionName))
            throw ExitCode(2)
        } catch let error as PostgresResultStoreError {
            Terminal.error(error.description)
            throw ExitCode(2)
        } catch {
            Terminal.error("cannot open the results database '\(shownLocation)': \(error)")
            throw ExitCode(2)
        }
    }
}

/// Resolves an optional sweep name to a stored sweep: the most recent one when omitted.
func resolveSweep(_ name: String?, in store: any ResultStore) throws -> SweepRecord {
    let overviews = try store.sweeps()
    if let name {
        guard let found = overviews.first(where: { $0.sweep.name == name })?.sweep else {
            let known = overviews.map(\.sweep.name)
            Terminal.error("no sweep named '\(name)' in the database" + (known.isEmpty ? "" : "; sweeps: \(known.joined(separator: ", "))"))
            throw ExitCode(2)
        }
        return found
    }
    guard let latest = overviews.max(by: { $0.sweep.created < $1.sweep.created })?.sweep else {
        Terminal.error("the database has no sweeps yet; run one with: sweep run sweeps/phone-price.json")
        throw ExitCode(2)
    }
    return latest
}

/// What to say when a sweep has no trial to export or average (`Leaderboard.best` is nil), with
/// this command's --db in the commands it suggests (`Leaderboard.shortfallMessage`).
func noUsableTrialMessage(_ board: Leaderboard, sweep: String, store: StoreOptions) -> String {
    board.shortfallMessage(sweep: sweep, databaseOption: store.databaseOption)
}

/// The spec a stored sweep was run with (its metric and data settings).
func storedSpec(_ sweep: SweepRecord) throws -> SweepSpec {
    do {
        return try SweepSpec.parseStored(Data(sweep.specJSON.utf8), source: "stored spec of '\(sweep.name)'")
    } catch {
        Terminal.error(error.description)
        throw ExitCode(1)
    }
}

/// The sweep's data file, when its data is a local CSV rather than built in, that a command's
/// output must not replace. Relative paths start from the current directory, as when loading it.
func dataFiles(of spec: SweepSpec) -> [(path: String, role: String)] {
    spec.data.source.hasPrefix("builtin:") ? [] : [(spec.data.source, "the sweep's data")]
}

/// Refuses fold ensembles (`option`: --folds, --ensembles) of a sweep whose trials were each
/// scored by one fit, before anything is printed, loaded or trained: it has no fold models to
/// train again. `instead` says what the sweep offers.
func requireFoldModels(of spec: SweepSpec, sweep: String, for option: String, instead: String) throws {
    guard spec.scoringFits < 2 else { return }
    Terminal.error("sweep '\(sweep)' has no fold models: each trial was scored by one fit (its spec sets no data.folds or repeats), and \(option) needs a sweep with folds (or repeats). \(instead)")
    throw ExitCode(2)
}

/// The sweep's data, loaded to train some of its fits again (fold ensembles): refused when it is
/// not the data the trials trained on, whose fingerprint the sweep stored, since the fits would
/// then silently differ from the sweep's.
func loadDataForRetraining(_ spec: SweepSpec, of sweep: SweepRecord) throws -> PreparedData {
    let data = try PreparedData.load(spec.data)
    if let stored = sweep.dataFingerprint, stored != DataFingerprint.of(data) {
        Terminal.error("the data of sweep '\(sweep.name)' changed since its trials were trained ('\(spec.data.source)' has other rows, columns or values now), so its fold models cannot be trained again as the sweep trained them. Restore the data, or export the stored models (sweep export, --ensemble K)")
        throw ExitCode(2)
    }
    return data
}
