import Foundation
import Testing
@testable import SweepKit

/// What a sweep asks its store to write, and in which order: every trial is marked running
/// before its result is stored, and a worker that ends a trial and starts another at once hands
/// both over in one call (one transaction in SQLite).
@Suite struct StoreWriteOrderTests {
    @Test(arguments: [1, 2])
    func eachTrialIsMarkedRunningBeforeItsResultAndEndingGoesWithTheNextStart(jobs: Int) async throws {
        let spec = try SweepFixtures.spec(SweepFixtures.smallGrid)
        let store = RecordingStore()
        let scheduler = SweepScheduler(
            spec: spec, data: try PreparedData.load(spec.data), store: store, options: SweepRunOptions(jobs: jobs), stop: StopSignal())

        let summary = try await scheduler.run()

        #expect(summary.trials.count == 8 && summary.trials.allSatisfy { $0.status == .complete })
        let writes = store.writes
        for number in 1...8 {
            let started = writes.firstIndex { $0.started == number }
            let finished = writes.firstIndex { $0.finished == number }
            #expect(started != nil && finished != nil && started! < finished!, "trial \(number): \(writes)")
            #expect(writes.filter { $0.started == number }.count == 1 && writes.filter { $0.finished == number }.count == 1)
        }
        // A worker starts a new trial the moment it ends one while trials are left: only each
        // worker's first start goes alone, and only the last trials' results go without a start.
        let together = writes.filter { $0.started != nil && $0.finished != nil }
        #expect(together.count == 8 - jobs, "\(writes)")
        #expect(together.allSatisfy { $0.finished! < $0.started! })
    }
}

/// A memory store that records the writes it is asked for.
private final class RecordingStore: ResultStore, @unchecked Sendable {
    struct Write: CustomStringConvertible {
        var finished: Int?
        var started: Int?
        var description: String { [finished.map { "finish \($0)" }, started.map { "start \($0)" }].compactMap { $0 }.joined(separator: "+") }
    }

    private let base = MemoryResultStore()
    private let lock = NSLock()
    private var log: [Write] = []

    var writes: [Write] { lock.withLock { log } }

    private func record(_ write: Write) { lock.withLock { log.append(write) } }

    func startTrial(sweep: String, plan: TrialPlan, at date: Date) throws {
        record(Write(started: plan.number))
        try base.startTrial(sweep: sweep, plan: plan, at: date)
    }

    func finish(sweep: String, record trial: TrialRecord, epochs: [EpochRecord], model: TrainedModel?) throws {
        record(Write(finished: trial.number))
        try base.finish(sweep: sweep, record: trial, epochs: epochs, model: model)
    }

    func finish(
        sweep: String, record trial: TrialRecord, epochs: [EpochRecord], model: TrainedModel?, thenStart plan: TrialPlan, at date: Date
    ) throws {
        record(Write(finished: trial.number, started: plan.number))
        try base.finish(sweep: sweep, record: trial, epochs: epochs, model: model)
        try base.startTrial(sweep: sweep, plan: plan, at: date)
    }

    func sweep(named name: String) throws -> SweepRecord? { try base.sweep(named: name) }
    func createSweep(_ sweep: SweepRecord) throws { try base.createSweep(sweep) }
    func deleteSweep(named name: String) throws { try base.deleteSweep(named: name) }
    func setSweepStatus(_ name: String, _ status: SweepStatus) throws { try base.setSweepStatus(name, status) }
    func updateSweep(_ name: String, specJSON: String, dataFingerprint: String) throws {
        try base.updateSweep(name, specJSON: specJSON, dataFingerprint: dataFingerprint)
    }
    func interruptRunningTrials(sweep: String) throws -> Int { try base.interruptRunningTrials(sweep: sweep) }
    func keepWeights(sweep: String, of kept: Set<Int>) throws { try base.keepWeights(sweep: sweep, of: kept) }
    func sweeps() throws -> [SweepOverview] { try base.sweeps() }
    func trials(sweep: String) throws -> [TrialRecord] { try base.trials(sweep: sweep) }
    func epochs(sweep: String, trial: Int) throws -> [EpochRecord] { try base.epochs(sweep: sweep, trial: trial) }
    func epochCounts(sweep: String) throws -> [Int: [Int: Int]] { try base.epochCounts(sweep: sweep) }
    func model(sweep: String, trial: Int) throws -> TrainedModel? { try base.model(sweep: sweep, trial: trial) }
}
