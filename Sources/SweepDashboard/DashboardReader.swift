import Dispatch
import Foundation
import SweepKit
import SweepReport
import SweepStore

/// The dashboard's only access to the results database: read-only, on one serial queue.
///
/// A PostgreSQL database (`--db postgresql://…`) is read through a connection that never
/// creates or migrates its tables, once its schema is the current one. An SQLite file is opened through one read-only connection (`openLiveForReading`), only once
/// `SQLiteResultStore.inspect` finds the current schema, so the dashboard never creates,
/// migrates, locks for writing or writes it; until then, and whenever a read fails, each request
/// answers with a state the page explains. A
/// report is rebuilt only when the sweep's revision changes, and the best model is evaluated
/// once per best trial.
public final class DashboardReader: @unchecked Sendable {
    public let databasePath: String
    /// The database as pages show it: the path, or the URL without its password.
    private let shownDatabase: String
    private let queue = DispatchQueue(label: "sweep dashboard reader")
    private let options: ReportOptions
    // Touched only on `queue`.
    private var store: (any ResultStore)?
    private var reports: [String: SweepReport] = [:]
    private var bestModels: [String: BestModelSection] = [:]

    public init(databasePath: String, options: ReportOptions = ReportOptions()) {
        self.databasePath = databasePath
        shownDatabase = (try? ResultStoreLocation(parsing: databasePath).description) ?? databasePath
        var options = options
        options.evaluatesBestModel = false
        // The commands its pages suggest name the database, as its other messages do.
        if options.databaseOption.isEmpty { options.databaseOption = " --db \(shownDatabase)" }
        self.options = options
    }

    /// A JSON document and its HTTP status.
    public struct Answer: Sendable {
        public var status: Int
        public var json: Data
    }

    /// `GET /api/sweeps`: the database's state, and its sweeps oldest first.
    public func sweeps() async -> Answer {
        await onQueue { [self] in
            switch openStore() {
            case .failure(let problem):
                return problem.answer
            case .success(let store):
                do {
                    let overviews = try store.sweeps().sorted { $0.sweep.created < $1.sweep.created }.map { shownLive($0, in: store) }
                    let sweeps: [[String: Any]] = overviews.map { overview in
                        [
                            "name": overview.sweep.name, "status": overview.sweep.status.rawValue,
                            "created": ISO8601DateFormatter().string(from: overview.sweep.created), "trials": overview.totalTrials,
                            "counts": Dictionary(uniqueKeysWithValues: overview.trialCounts.map { ($0.key.rawValue, $0.value) }),
                        ]
                    }
                    var document: [String: Any] = ["state": "ok", "database": shownDatabase, "sweeps": sweeps]
                    if sweeps.isEmpty {
                        document["message"] = "The database at `\(shownDatabase)` holds no sweep yet. Start one with `sweep run sweeps/phone-price.json --db \(shownDatabase)`; this page shows it as soon as its first trial starts."
                    }
                    return Answer(status: 200, json: Self.json(document))
                } catch {
                    return readFailure(error).answer
                }
            }
        }
    }

    /// `GET /api/sweeps/NAME`: the sweep's report, or `{"unchanged": true}` when its revision is
    /// still `knownRevision`.
    public func report(sweep name: String, knownRevision: String?) async -> Answer {
        await onQueue { [self] in
            let store: any ResultStore
            switch openStore() {
            case .failure(let problem): return problem.answer
            case .success(let opened): store = opened
            }
            do {
                guard let overview = try store.sweeps().first(where: { $0.sweep.name == name }).map({ shownLive($0, in: store) }) else {
                    return Problem(database: shownDatabase, state: "not_found", message: "There is no sweep named '\(name)' in `\(shownDatabase)`.", status: 404).answer
                }
                let revision = SweepReport.revision(of: overview.sweep, counts: overview.trialCounts)
                if revision == knownRevision {
                    return Answer(status: 200, json: Self.json(["unchanged": true, "revision": revision]))
                }
                var report: SweepReport
                if let cached = reports[name], cached.revision == revision {
                    report = cached
                } else {
                    report = try SweepReport(store: store, sweep: overview.sweep, options: options)
                    let key = "\(name)|\(overview.sweep.created.timeIntervalSince1970)|\(report.bestTrial.map(String.init) ?? "-")"
                    if let known = bestModels[key] {
                        report.bestModel = known
                    } else {
                        try report.evaluateBestModel(store: store, sweep: overview.sweep)
                        bestModels[key] = report.bestModel
                    }
                    reports[name] = report
                }
                return Answer(status: 200, json: try ReportPage.encodedJSON(report))
            } catch {
                return readFailure(error).answer
            }
        }
    }

    // MARK: States

    /// Why there is nothing to show yet, as the page explains it.
    struct Problem: Error {
        var database: String
        var state: String
        var message: String
        var status = 200

        var answer: Answer {
            Answer(status: status, json: DashboardReader.json(["state": state, "message": message, "database": database]))
        }
    }

    /// The sweep with the status a person should see: one stored as running whose process is
    /// gone is interrupted (`liveStatus`). The revision follows, so an open page learns of it.
    private func shownLive(_ overview: SweepOverview, in store: any ResultStore) -> SweepOverview {
        let location = (try? ResultStoreLocation(parsing: databasePath)) ?? .sqlite(path: databasePath)
        var shown = overview
        shown.sweep.status = location.liveStatus(of: overview.sweep, in: store).status
        return shown
    }

    private func openStore() -> Result<any ResultStore, Problem> {
        if let store { return .success(store) }
        if PostgresAddress.isURL(databasePath) { return openPostgres() }
        switch SQLiteResultStore.inspect(path: databasePath) {
        case .missing:
            return .failure(Problem(
                database: shownDatabase, state: "missing",
                message: "No results database at `\(databasePath)` yet. Start a sweep with `sweep run sweeps/phone-price.json --db \(databasePath)`; this page shows it by itself as soon as the file appears."))
        case .empty:
            return .failure(Problem(
                database: shownDatabase, state: "creating",
                message: "The database at `\(databasePath)` is being created: it has no tables yet. This page shows the sweep as soon as it is stored."))
        case .busy:
            return .failure(Problem(
                database: shownDatabase, state: "busy",
                message: "The database at `\(databasePath)` is busy: another process holds a lock that keeps readers out. Retrying every 2 seconds."))
        case .older(let version):
            return .failure(Problem(
                database: shownDatabase, state: "old_schema",
                message: "The database at `\(databasePath)` was written by an older sweep (schema version \(version)). The dashboard never writes, so it does not upgrade it: run `sweep list --db \(databasePath)` once, and this page updates."))
        case .newer(let version):
            return .failure(Problem(
                database: shownDatabase, state: "new_schema",
                message: "The database at `\(databasePath)` has schema version \(version), newer than this sweep reads; use a newer sweep."))
        case .unusable(let reason):
            return .failure(Problem(database: shownDatabase, state: "unusable", message: reason.prefix(1).uppercased() + reason.dropFirst() + "."))
        case .current:
            do {
                let opened = try SQLiteResultStore.openLiveForReading(path: databasePath)
                store = opened
                return .success(opened)
            } catch {
                return .failure(readFailure(error))
            }
        }
    }

    /// A PostgreSQL database: the tables of the current schema, or a page saying why not yet.
    private func openPostgres() -> Result<any ResultStore, Problem> {
        do {
            // A request waits for a lost connection only briefly: the page retries every 2 s.
            let opened = try PostgresResultStore(readingOnly: try PostgresAddress(parsing: databasePath), retryWindow: 1)
            let version = try opened.storedSchemaVersion()
            if version == 0 {
                return .failure(Problem(
                    database: shownDatabase, state: "creating",
                    message: "The database at `\(shownDatabase)` has no sweep tables yet. This page shows a sweep as soon as one is stored there."))
            }
            if version < PostgresResultStore.schemaVersion {
                return .failure(Problem(
                    database: shownDatabase, state: "old_schema",
                    message: "The database at `\(shownDatabase)` was written by an older sweep (schema version \(version)). The dashboard never writes, so it does not upgrade it: run `sweep list --db URL` once, and this page updates."))
            }
            if version > PostgresResultStore.schemaVersion {
                return .failure(Problem(
                    database: shownDatabase, state: "new_schema",
                    message: "The database at `\(shownDatabase)` has schema version \(version), newer than this sweep reads; use a newer sweep."))
            }
            store = opened
            return .success(opened)
        } catch {
            return .failure(Problem(database: shownDatabase, state: "unusable", message: "\(error)."))
        }
    }

    /// A read that failed: busy (a lock that may pass), or anything else, after which the file
    /// is opened again on the next request (it may have been replaced).
    private func readFailure(_ error: any Error) -> Problem {
        if SQLiteResultStore.isBusy(error) {
            return Problem(
                database: shownDatabase, state: "busy",
                message: "The database at `\(databasePath)` is busy: another process holds a lock that keeps readers out. Retrying every 2 seconds.")
        }
        store = nil
        reports = [:]
        return Problem(database: shownDatabase, state: "error", message: "Reading `\(shownDatabase)` failed: \(error). Retrying every 2 seconds.")
    }

    private func onQueue<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: work()) }
        }
    }

    static func json(_ object: [String: Any]) -> Data {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
    }
}
