import Foundation
import Testing
@testable import SweepKit

/// When the results actor commits what workers hand over: at once after a quiet interval,
/// otherwise together with everything handed over until the interval is over, always in the
/// order handed over.
@Suite struct ResultsCommitTests {
    static let sweep = "commits"
    static let hour = Duration.seconds(3600)

    @Test func theFirstWriteIsCommittedAtOnceAndTheNextOnesWaitForTheIntervalTogether() async throws {
        let store = try Self.store()
        let results = ResultsActor(store: store, sweepName: Self.sweep, commitInterval: Self.hour)

        try await results.committed(results.submit([Self.start(1)]))
        #expect(store.transactions.count == 1)

        let second = results.submit([Self.finish(1), Self.start(2)])
        let third = results.submit([Self.start(3)])
        let waiters = Task { try await results.committed(second) }
        let alsoWaiting = Task { try await results.committed(third) }
        try await Self.until { await results.waitingCount == 2 }
        #expect(store.transactions.count == 1, "within the interval nothing more is committed")

        // The sweep ends: what waits goes at once, in one transaction, in the order handed over.
        await results.workerStopped()
        try await waiters.value
        try await alsoWaiting.value
        #expect(store.transactions.map { $0.map(\.description) } == [["start 1"], ["finish 1", "start 2", "start 3"]])

        // After a worker stopped, every write is committed at once.
        try await results.committed(results.submit([Self.finish(2)]))
        #expect(store.transactions.count == 3)
        #expect(try store.base.trials(sweep: Self.sweep).map(\.status) == [.complete, .complete, .running])
    }

    @Test func whatWaitsIsCommittedWhenTheIntervalIsOver() async throws {
        let store = try Self.store()
        let results = ResultsActor(store: store, sweepName: Self.sweep, commitInterval: .milliseconds(20))

        try await results.committed(results.submit([Self.start(1)]))
        let second = results.submit([Self.finish(1)])
        let third = results.submit([Self.start(2)])
        // No worker stops: the interval's end commits both.
        try await results.committed(third)
        try await results.committed(second)
        #expect(store.transactions.map { $0.map(\.description) } == [["start 1"], ["finish 1", "start 2"]])
    }

    @Test func withNoIntervalEachHandOverIsATransactionOfItsOwn() async throws {
        let store = try Self.store()
        let results = ResultsActor(store: store, sweepName: Self.sweep, commitInterval: .zero)

        for number in 1...3 {
            try await results.committed(results.submit([Self.start(number)]))
            try await results.committed(results.submit([Self.finish(number)]))
        }
        #expect(store.transactions.count == 6)
    }

    @Test func readingTheTrialsOrChangingTheSweepCommitsWhatWaitsFirst() async throws {
        let store = try Self.store()
        let results = ResultsActor(store: store, sweepName: Self.sweep, commitInterval: Self.hour)

        try await results.committed(results.submit([Self.start(1)]))
        _ = results.submit([Self.finish(1)])
        #expect(try await results.trials().map(\.status) == [.complete])
        _ = results.submit([Self.start(2)])
        try await results.setStatus(.interrupted)
        #expect(store.transactions.count == 3)
        #expect(try store.base.trials(sweep: Self.sweep).map(\.status) == [.complete, .running])
    }

    @Test func aFailedCommitFailsItsCallersAndEveryLaterWrite() async throws {
        let store = FailingStore()
        let results = ResultsActor(store: store, sweepName: Self.sweep, commitInterval: .zero)
        try await results.committed(results.submit([Self.start(1)]))

        store.failing.withLock { $0 = true }
        await #expect(throws: FailingStore.Full.self) { try await results.committed(results.submit([Self.finish(1)])) }
        store.failing.withLock { $0 = false }
        // The sweep is stopping: nothing after a failed commit is written, and its caller hears of it.
        await #expect(throws: FailingStore.Full.self) { try await results.committed(results.submit([Self.start(2)])) }
        #expect(store.transactions.count == 1 && store.failedAttempts.withLock { $0 } == 1)
        #expect(try store.base.trials(sweep: Self.sweep).map(\.status) == [.running])
    }

    @Test func handingOverWithinTheIntervalMakesACommitDueAndTellsOfAnEarlierFailure() async throws {
        let store = FailingStore()
        let results = ResultsActor(store: store, sweepName: Self.sweep, commitInterval: .milliseconds(20))
        try await results.committed(results.submit([Self.start(1)]))

        // Within the interval: queued, and a commit due, with no caller waiting for it.
        store.failing.withLock { $0 = true }
        let ticket = results.submit([Self.finish(1)])
        #expect(results.mustHandOver(ticket), "not seen by the actor yet")
        try await results.handOver(ticket)
        #expect(!results.mustHandOver(ticket), "due with the next commit")
        #expect(store.transactions.count == 1 && store.failedAttempts.withLock { $0 } == 0)
        try await Self.until { store.failedAttempts.withLock { $0 } == 1 }
        // The due commit failed: the worker hears of it when it hands over its next write.
        #expect(results.mustHandOver(ticket))
        await #expect(throws: FailingStore.Full.self) { try await results.handOver(results.submit([Self.start(2)])) }
    }

    @Test func handedWritesAreCommittedWithNoOneWaitingAndTheirTrialsReportedOnceStoredInOrder() async throws {
        let store = try Self.store()
        let reported = Locked<[Int]>([])
        let reportedBeforeStored = Locked<[Int]>([])
        let results = ResultsActor(store: store, sweepName: Self.sweep, commitInterval: Self.hour, onStored: { record in
            reported.withLock { $0.append(record.number) }
            let stored = (try? store.base.trials(sweep: Self.sweep)) ?? []
            if stored.first(where: { $0.number == record.number })?.status != .complete {
                reportedBeforeStored.withLock { $0.append(record.number) }
            }
        })

        // Nothing committed yet: the first hand-over starts a commit at once, which no one awaits.
        _ = results.hand([Self.start(1)], reporting: nil)
        try await Self.until { store.transactions.count == 1 }

        // Within the interval the next hand-overs wait for the commit due at its end, which the
        // first of them starts; the others go with it.
        _ = results.hand([Self.finish(1), Self.start(2)], reporting: Self.record(1))
        let third = results.hand([Self.finish(2)], reporting: Self.record(2))
        try await Self.until { !results.mustHandOver(third) }
        // Once that commit is due, what is handed over is due with it as it comes: its worker
        // need not hand it over again.
        let fourth = results.hand([Self.start(3)], reporting: nil)
        #expect(!results.mustHandOver(fourth))
        try await Task.sleep(for: .milliseconds(50))
        #expect(store.transactions.count == 1 && reported.withLock { $0 }.isEmpty, "reported before it is stored")

        await results.workerStopped()
        #expect(store.transactions.map { $0.map(\.description) } == [["start 1"], ["finish 1", "start 2", "finish 2", "start 3"]])
        #expect(reported.withLock { $0 } == [1, 2])
        #expect(reportedBeforeStored.withLock { $0 }.isEmpty)
        try await results.committed(fourth)
    }

    @Test func handedWritesWithNoIntervalAreEachCommittedWhenNoneIsOnItsWay() async throws {
        let store = try Self.store()
        let results = ResultsActor(store: store, sweepName: Self.sweep, commitInterval: .zero)
        for number in 1...3 {
            _ = results.hand([Self.start(number)], reporting: nil)
            try await Self.until { store.transactions.count == 2 * number - 1 }
            let ticket = results.hand([Self.finish(number)], reporting: Self.record(number))
            try await Self.until { store.transactions.count == 2 * number }
            try await results.committed(ticket)
        }
        #expect(try store.base.trials(sweep: Self.sweep).map(\.status) == [.complete, .complete, .complete])
    }

    @Test func aFailedHandedCommitIsToldOnceAndReportsNothing() async throws {
        let store = FailingStore()
        let failures = Locked(0)
        let reported = Locked(0)
        let results = ResultsActor(
            store: store, sweepName: Self.sweep, commitInterval: .zero, onStored: { _ in reported.withLock { $0 += 1 } },
            onFailure: { failures.withLock { $0 += 1 } })
        try await results.committed(results.submit([Self.start(1)]))

        store.failing.withLock { $0 = true }
        let ticket = results.hand([Self.finish(1)], reporting: Self.record(1))
        try await Self.until { failures.withLock { $0 } == 1 }
        #expect(results.mustHandOver(ticket))
        await #expect(throws: FailingStore.Full.self) { try await results.committed(ticket) }
        // Every later write fails with it, and is neither written nor reported.
        store.failing.withLock { $0 = false }
        await #expect(throws: FailingStore.Full.self) { try await results.committed(results.hand([Self.start(2)], reporting: nil)) }
        await results.workerStopped()
        #expect(failures.withLock { $0 } == 1 && reported.withLock { $0 } == 0)
        #expect(try store.base.trials(sweep: Self.sweep).map(\.status) == [.running])
    }

    // MARK: Support

    static func record(_ number: Int) -> TrialRecord {
        TrialRecord(plan: plan(number), status: .complete, metrics: ["validation_accuracy": 0.5])
    }

    static func store() throws -> TransactionRecordingStore {
        let store = TransactionRecordingStore()
        try store.createSweep(SweepRecord(name: sweep, specJSON: "{}", created: Date(), status: .running))
        return store
    }

    static func plan(_ number: Int) -> TrialPlan {
        TrialPlan(number: number, parameters: .object([:]), configurationJSON: "{}", seed: UInt64(number))
    }

    static func start(_ number: Int) -> TrialWrite { .start(plan: plan(number), at: Date()) }

    static func finish(_ number: Int) -> TrialWrite {
        .finish(record: TrialRecord(plan: plan(number), status: .complete, metrics: ["validation_accuracy": 0.5]), epochs: [], model: nil)
    }

    /// Waits (up to ten seconds) until `condition` holds.
    static func until(_ condition: () async -> Bool) async throws {
        for _ in 0..<10_000 where !(await condition()) {
            try await Task.sleep(for: .milliseconds(1))
        }
        #expect(await condition())
    }
}

/// A store whose writes fail while `failing` is set, as on a full disk.
private final class FailingStore: TransactionRecordingStore, @unchecked Sendable {
    struct Full: Error {}

    let failing = Locked(false)

    override init() {
        super.init()
        try? createSweep(SweepRecord(name: ResultsCommitTests.sweep, specJSON: "{}", created: Date(), status: .running))
    }

    let failedAttempts = Locked(0)

    override func write(_ writes: [TrialWrite], sweep: String) throws {
        if failing.withLock({ $0 }) {
            failedAttempts.withLock { $0 += 1 }
            throw Full()
        }
        try super.write(writes, sweep: sweep)
    }
}
