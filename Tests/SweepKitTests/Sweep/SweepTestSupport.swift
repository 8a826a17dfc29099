import Foundation
import Testing
@testable import SweepKit

/// Shared fixtures of the sweep tests, kept in one namespace so that they never collide with
/// the training tests' helpers in the same target.
enum SweepFixtures {
    /// 400 phones: 280 training, 40 validation and 80 test rows with the default split.
    static let smallData = "builtin:phone-price?rows=400"

    /// Parses a spec written as JSON, as `sweep validate` does.
    static func spec(_ json: String) throws -> SweepSpec {
        try SweepSpec.parse(Data(json.utf8), source: "spec.json")
    }

    /// The problems a spec has, or an empty list when it parses.
    static func problems(_ json: String) -> [ConfigurationProblem] {
        do {
            _ = try SweepSpec.parse(Data(json.utf8), source: "spec.json")
            return []
        } catch {
            return error.problems
        }
    }

    /// A small grid of 2 × 2 × 2 = 8 trials of a tiny network, each well under a second.
    static let smallGrid = """
        {"name": "small-grid", "data": "\(smallData)", "seed": 5,
         "fixed": {"hidden_layers": [8], "epochs": 3, "batch_size": 16},
         "parameters": {"optimizer": {"values": ["sgd", "adam"]},
                        "lr": {"values": [0.01, 0.05]},
                        "activation": {"values": ["relu", "tanh"]}}}
        """

    /// A trial record with only what ranking looks at.
    static func record(_ number: Int, _ status: TrialStatus, metric: Double? = nil, parameters: [String: JSONValue] = [:]) -> TrialRecord {
        let plan = TrialPlan(number: number, parameters: .object(parameters), configurationJSON: "{}", seed: 0)
        var metrics: [String: Double] = [:]
        if let metric { metrics[MetricName.validationAccuracy.rawValue] = metric }
        return TrialRecord(plan: plan, status: status, metrics: metrics)
    }
}

/// Collects a scheduler's events from any thread.
final class SweepEventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [SweepEvent] = []

    func append(_ event: SweepEvent) { lock.withLock { events.append(event) } }

    var startedTrials: [Int] {
        lock.withLock { events.compactMap { if case .trialStarted(let number) = $0 { number } else { nil } } }
    }

    var planned: (total: Int, finished: Int, toRun: Int, resumed: Bool)? {
        lock.withLock {
            for event in events {
                if case .planned(let total, let finished, let toRun, let resumed) = event { return (total, finished, toRun, resumed) }
            }
            return nil
        }
    }
}

/// A memory store that passes every call on, for tests to override the calls they watch or
/// break. `write` (a transaction of several writes) calls this store's own `finish` and
/// `startTrial`, so an override of either sees those writes too, unless a subclass overrides
/// `write` as well.
class MemoryStoreWrapper: ResultStore, @unchecked Sendable {
    let base = MemoryResultStore()

    func sweep(named name: String) throws -> SweepRecord? { try base.sweep(named: name) }
    func createSweep(_ sweep: SweepRecord) throws { try base.createSweep(sweep) }
    func deleteSweep(named name: String) throws { try base.deleteSweep(named: name) }
    func setSweepStatus(_ name: String, _ status: SweepStatus) throws { try base.setSweepStatus(name, status) }
    func updateSweep(_ name: String, specJSON: String, dataFingerprint: String) throws {
        try base.updateSweep(name, specJSON: specJSON, dataFingerprint: dataFingerprint)
    }
    func startTrial(sweep: String, plan: TrialPlan, at date: Date) throws { try base.startTrial(sweep: sweep, plan: plan, at: date) }
    func finish(sweep: String, record: TrialRecord, epochs: [EpochRecord], model: TrainedModel?) throws {
        try base.finish(sweep: sweep, record: record, epochs: epochs, model: model)
    }
    func write(_ writes: [TrialWrite], sweep: String) throws {
        for write in writes { try write.apply(to: self, sweep: sweep) }
    }
    func interruptRunningTrials(sweep: String) throws -> Int { try base.interruptRunningTrials(sweep: sweep) }
    func keepWeights(sweep: String, of kept: Set<Int>) throws { try base.keepWeights(sweep: sweep, of: kept) }
    func sweeps() throws -> [SweepOverview] { try base.sweeps() }
    func trials(sweep: String) throws -> [TrialRecord] { try base.trials(sweep: sweep) }
    func epochs(sweep: String, trial: Int) throws -> [EpochRecord] { try base.epochs(sweep: sweep, trial: trial) }
    func epochCounts(sweep: String) throws -> [Int: [Int: Int]] { try base.epochCounts(sweep: sweep) }
    func model(sweep: String, trial: Int) throws -> TrainedModel? { try base.model(sweep: sweep, trial: trial) }
}

/// A value behind a lock, for closures that run on several threads.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<Result>(_ body: (inout Value) -> Result) -> Result {
        lock.withLock { body(&value) }
    }
}

/// A memory store that records the writes of trials it is asked for, a transaction (one
/// `write` call) at a time.
class TransactionRecordingStore: MemoryStoreWrapper, @unchecked Sendable {
    struct Write: CustomStringConvertible {
        var finished: Int?
        var started: Int?
        var description: String { finished.map { "finish \($0)" } ?? started.map { "start \($0)" } ?? "?" }
    }

    private let log = Locked<[[Write]]>([])

    var transactions: [[Write]] { log.withLock { $0 } }

    override func write(_ writes: [TrialWrite], sweep: String) throws {
        log.withLock { transactions in
            transactions.append(writes.map { write in
                switch write {
                case .start(let plan, _): Write(started: plan.number)
                case .finish(let record, _, _): Write(finished: record.number)
                }
            })
        }
        try base.write(writes, sweep: sweep)
    }
}
