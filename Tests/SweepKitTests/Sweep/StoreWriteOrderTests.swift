import Foundation
import Testing
@testable import SweepKit

/// What a sweep asks its store to write, and in which order: every trial is marked running
/// before its result is stored, a worker that ends a trial and starts another at once hands
/// both over together, and trials that end close together share a transaction.
@Suite struct StoreWriteOrderTests {
    /// With no commit interval every write is committed as soon as its worker asks for it.
    @Test(arguments: [1, 2])
    func eachTrialIsMarkedRunningBeforeItsResultAndEndingGoesWithTheNextStart(jobs: Int) async throws {
        let store = TransactionRecordingStore()
        let summary = try await Self.runSmallGrid(store: store, jobs: jobs, commitInterval: 0)

        #expect(summary.trials.count == 8 && summary.trials.allSatisfy { $0.status == .complete })
        let writes = store.transactions.flatMap { $0 }
        Self.expectEachTrialStartedOnceThenFinishedOnce(writes)
        // A worker starts a new trial the moment it ends one while trials are left, and hands
        // both over together: only the last trials' results are not followed by a start.
        let followedByAStart = zip(writes, writes.dropFirst()).filter { $0.finished != nil && $1.started != nil }
        #expect(followedByAStart.count >= 8 - jobs, "\(writes)")
    }

    /// With a commit interval longer than the sweep, the first hand-overs are committed at once
    /// (nothing was committed before them), and everything after waits until a worker stops,
    /// which commits it in one transaction; a trial is reported finished only once its result is
    /// in the store.
    @Test(arguments: [1, 2])
    func writesWithinTheCommitIntervalShareATransactionAndAreReportedOnlyOnceStored(jobs: Int) async throws {
        let store = TransactionRecordingStore()
        let reportedBeforeStored = Locked<[Int]>([])
        let summary = try await Self.runSmallGrid(store: store, jobs: jobs, commitInterval: 3600) { event in
            guard case .trialFinished(let record) = event else { return }
            let stored = (try? store.base.trials(sweep: "small-grid")) ?? []
            if stored.first(where: { $0.number == record.number })?.status != .complete {
                reportedBeforeStored.withLock { $0.append(record.number) }
            }
        }

        #expect(summary.trials.count == 8 && summary.trials.allSatisfy { $0.status == .complete })
        let transactions = store.transactions
        Self.expectEachTrialStartedOnceThenFinishedOnce(transactions.flatMap { $0 })
        // The first hand-overs go at once (nothing was committed before); the rest wait until the
        // first worker stops, which commits them together; then the others' last results go at
        // once. Committed as handed over, they would take 8 transactions or more.
        #expect(transactions.count <= 2 + jobs, "\(transactions)")
        #expect(reportedBeforeStored.withLock { $0 }.isEmpty)
    }

    private static func runSmallGrid(
        store: TransactionRecordingStore, jobs: Int, commitInterval: Double, onEvent: @escaping @Sendable (SweepEvent) -> Void = { _ in }
    ) async throws -> SweepRunSummary {
        let spec = try SweepFixtures.spec(SweepFixtures.smallGrid)
        #expect(spec.name == "small-grid")
        let scheduler = SweepScheduler(
            spec: spec, data: try PreparedData.load(spec.data), store: store,
            options: SweepRunOptions(jobs: jobs, commitInterval: commitInterval), stop: StopSignal(), onEvent: onEvent)
        return try await scheduler.run()
    }

    private static func expectEachTrialStartedOnceThenFinishedOnce(_ writes: [TransactionRecordingStore.Write]) {
        for number in 1...8 {
            let started = writes.firstIndex { $0.started == number }
            let finished = writes.firstIndex { $0.finished == number }
            #expect(started != nil && finished != nil && started! < finished!, "trial \(number): \(writes)")
            #expect(writes.filter { $0.started == number }.count == 1 && writes.filter { $0.finished == number }.count == 1)
        }
    }
}
