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
private final class RecordingStore: MemoryStoreWrapper, @unchecked Sendable {
    struct Write: CustomStringConvertible {
        var finished: Int?
        var started: Int?
        var description: String { [finished.map { "finish \($0)" }, started.map { "start \($0)" }].compactMap { $0 }.joined(separator: "+") }
    }

    private let lock = NSLock()
    private var log: [Write] = []

    var writes: [Write] { lock.withLock { log } }

    private func record(_ write: Write) { lock.withLock { log.append(write) } }

    override func startTrial(sweep: String, plan: TrialPlan, at date: Date) throws {
        record(Write(started: plan.number))
        try super.startTrial(sweep: sweep, plan: plan, at: date)
    }

    override func finish(sweep: String, record trial: TrialRecord, epochs: [EpochRecord], model: TrainedModel?) throws {
        record(Write(finished: trial.number))
        try super.finish(sweep: sweep, record: trial, epochs: epochs, model: model)
    }

    override func finish(
        sweep: String, record trial: TrialRecord, epochs: [EpochRecord], model: TrainedModel?, thenStart plan: TrialPlan, at date: Date
    ) throws {
        record(Write(finished: trial.number, started: plan.number))
        try base.finish(sweep: sweep, record: trial, epochs: epochs, model: model)
        try base.startTrial(sweep: sweep, plan: plan, at: date)
    }
}
