import Foundation
import Testing
@testable import SweepKit

/// Several schedulers, as several `sweep run` processes would be, sharing one sweep through a
/// `SharedTrialStore`: here one kept in memory (`MemorySharedTrialStore`), so that the claiming
/// logic is tested without a server; the PostgreSQL store runs the same scenarios in
/// `PostgresStoreTests` and `SharedSweepCommandTests`.
struct SharedSweepTests {
    /// TPE with lag 2: trial n learns from trials 1 … n − 3, wherever they ran.
    private static let spec = Result {
        try SweepFixtures.spec("""
            {"name": "shared", "data": "\(SweepFixtures.smallData)", "method": "tpe", "trials": 12, "seed": 5,
             "sampler": {"lag": 2, "startup_trials": 3},
             "fixed": {"hidden_layers": [8], "epochs": 3, "batch_size": 32},
             "parameters": {"optimizer": {"values": ["sgd", "adam"]},
                            "lr": {"distribution": "log_uniform", "min": 0.001, "max": 0.1}}}
            """)
    }

    private func run(_ store: any ResultStore) async throws -> SweepRunSummary {
        let spec = try Self.spec.get()
        return try await SweepScheduler(
            spec: spec, data: try PreparedData.load(spec.data), store: store, options: SweepRunOptions(jobs: 1), stop: StopSignal()
        ).run()
    }

    /// Each trial's parameters and metrics.
    private func outcomes(_ trials: [TrialRecord]) -> [Int: [String]] {
        Dictionary(uniqueKeysWithValues: trials.map { trial in
            (trial.number, [trial.plan.parameters.canonicalText, trial.status.rawValue]
                + trial.metrics.keys.sorted().map { "\($0)=\(trial.metrics[$0]!)" })
        })
    }

    @Test func threeWorkersMakeTheSweepOneWorkerMakes() async throws {
        let single = try await run(MemoryResultStore())
        let database = MemorySharedTrialStore.Database()

        async let first = run(MemorySharedTrialStore(database))
        async let second = run(MemorySharedTrialStore(database))
        async let third = run(MemorySharedTrialStore(database))
        let ran = try await [first, second, third].map(\.trialsRun)

        #expect(ran.reduce(0, +) == 12)  // every trial once
        let shared = try database.store.trials(sweep: "shared")
        #expect(shared.allSatisfy { $0.status == .complete })
        #expect(outcomes(shared) == outcomes(single.trials))
        #expect(try database.store.sweep(named: "shared")?.status == .complete)
    }

    @Test func aTrialLeftRunningByAWorkerThatIsGoneRunsAgain() async throws {
        let single = try await run(MemoryResultStore())
        let database = MemorySharedTrialStore.Database()
        // A worker that ran trials 1 to 3 and died while training trial 4.
        let ghost = MemorySharedTrialStore(database)
        _ = try await run(ghost)  // the whole sweep, then taken back to where the ghost died
        for trial in try database.store.trials(sweep: "shared") where trial.number >= 4 {
            if trial.number == 4 {
                try database.store.finish(sweep: "shared", record: TrialRecord(plan: trial.plan, status: .running), epochs: [], model: nil)
            }
        }
        database.forget(trialsAfter: 4, givingItTo: "a worker that is gone")

        let survivor = try await run(MemorySharedTrialStore(database))

        #expect(survivor.trialsRun == 9)  // trial 4 again, then 5 … 12
        #expect(outcomes(try database.store.trials(sweep: "shared")) == outcomes(single.trials))
    }
}

/// A `SharedTrialStore` in memory: each instance is one worker (one process); they share a
/// `Database`, whose lock stands for the sweep's row lock. Workers never fall silent here: a
/// trial is taken from a worker only when it left or is unknown.
final class MemorySharedTrialStore: SharedTrialStore, @unchecked Sendable {
    final class Database: @unchecked Sendable {
        let store = MemoryResultStore()
        fileprivate let lock = NSLock()
        fileprivate var revision: Int64 = 0
        fileprivate var revisions: [Int: Int64] = [:]
        fileprivate var owners: [Int: String] = [:]
        fileprivate var workers: Set<String> = []

        fileprivate func touch(_ number: Int, owner: String?) {
            revision += 1
            revisions[number] = revision
            owners[number] = owner
        }

        /// Deletes the trials after `number` and gives trial `number` to `owner`.
        func forget(trialsAfter number: Int, givingItTo owner: String) {
            lock.withLock {
                let trials = (try? store.trials(sweep: "shared")) ?? []
                let kept = trials.filter { $0.number <= number }
                let record = try? store.sweep(named: "shared")
                try? store.deleteSweep(named: "shared")
                if let record { try? store.createSweep(record) }
                for trial in kept {
                    let epochs = (try? store.epochs(sweep: "shared", trial: trial.number)) ?? []
                    try? store.finish(sweep: "shared", record: trial, epochs: epochs, model: nil)
                }
                revisions = revisions.filter { $0.key <= number }
                touch(number, owner: owner)
            }
        }
    }

    let database: Database
    let id = UUID().uuidString
    private var store: MemoryResultStore { database.store }

    init(_ database: Database) { self.database = database }

    private func locked<Result>(_ body: () throws -> Result) rethrows -> Result { try database.lock.withLock(body) }

    func sweep(named name: String) throws -> SweepRecord? { try locked { try store.sweep(named: name) } }
    func createSweep(_ sweep: SweepRecord) throws { try locked { try store.createSweep(sweep) } }
    func deleteSweep(named name: String) throws { try locked { try store.deleteSweep(named: name) } }
    func setSweepStatus(_ name: String, _ status: SweepStatus) throws { try locked { try store.setSweepStatus(name, status) } }
    func updateSweep(_ name: String, specJSON: String, dataFingerprint: String) throws {
        try locked { try store.updateSweep(name, specJSON: specJSON, dataFingerprint: dataFingerprint) }
    }
    func startTrial(sweep: String, plan: TrialPlan, at date: Date) throws {
        try locked {
            try store.startTrial(sweep: sweep, plan: plan, at: date)
            database.touch(plan.number, owner: id)
        }
    }
    func finish(sweep: String, record: TrialRecord, epochs: [EpochRecord], model: TrainedModel?) throws {
        try locked {
            let stored = try store.trials(sweep: sweep).first { $0.number == record.number }
            if stored?.status.isFinal == true, let owner = database.owners[record.number], owner != id { return }
            try store.finish(sweep: sweep, record: record, epochs: epochs, model: model)
            database.touch(record.number, owner: id)
        }
    }
    func interruptRunningTrials(sweep: String) throws -> Int { try locked { try store.interruptRunningTrials(sweep: sweep) } }
    func keepWeights(sweep: String, of kept: Set<Int>) throws { try locked { try store.keepWeights(sweep: sweep, of: kept) } }
    func sweeps() throws -> [SweepOverview] { try locked { try store.sweeps() } }
    func trials(sweep: String) throws -> [TrialRecord] { try locked { try store.trials(sweep: sweep) } }
    func epochs(sweep: String, trial: Int) throws -> [EpochRecord] { try locked { try store.epochs(sweep: sweep, trial: trial) } }
    func epochCounts(sweep: String) throws -> [Int: [Int: Int]] { try locked { try store.epochCounts(sweep: sweep) } }
    func model(sweep: String, trial: Int) throws -> TrainedModel? { try locked { try store.model(sweep: sweep, trial: trial) } }

    func join(sweep: String, heartbeat: Double, grace: Double) throws { _ = locked { database.workers.insert(id) } }

    func leave(sweep: String) throws -> Int {
        let interrupted = try interruptOwnTrials(sweep: sweep)
        _ = locked { database.workers.remove(id) }
        return interrupted
    }

    func interruptOwnTrials(sweep: String) throws -> Int {
        try locked {
            let own = try store.trials(sweep: sweep).filter { $0.status == .running && database.owners[$0.number] == id }
            for var trial in own {
                trial.status = .interrupted
                try store.finish(sweep: sweep, record: trial, epochs: [], model: nil)
                database.touch(trial.number, owner: nil)
            }
            return own.count
        }
    }

    func liveWorkers(sweep: String) throws -> Int { locked { database.workers.count } }

    func claim(sweep: String, _ request: TrialClaimRequest, decide: (TrialClaimView) throws -> TrialClaimDecision) throws {
        try locked {
            let trials = try store.trials(sweep: sweep)
            let changed = trials.filter { (database.revisions[$0.number] ?? 0) > request.afterRevision }
            let rerun = trials.first { trial in
                switch trial.status {
                case .interrupted, .pending: return true
                case .running:
                    guard let owner = database.owners[trial.number] else { return true }
                    return owner == id ? !request.inProgress.contains(trial.number) : !database.workers.contains(owner)
                default: return false
                }
            }
            var epochs: [Int: [EpochRecord]] = [:]
            if request.withEpochs {
                for trial in changed where trial.status.isFinal { epochs[trial.number] = try store.epochs(sweep: sweep, trial: trial.number) }
            }
            let view = TrialClaimView(
                changed: changed, epochs: epochs, revision: changed.compactMap { database.revisions[$0.number] }.max() ?? request.afterRevision,
                rerun: rerun?.plan,
                runningElsewhere: trials.filter { $0.status == .running && database.owners[$0.number] != id }.count)
            if case .start(let plan, let date) = try decide(view) {
                try store.startTrial(sweep: sweep, plan: plan, at: date)
                database.touch(plan.number, owner: id)
            }
        }
    }
}
