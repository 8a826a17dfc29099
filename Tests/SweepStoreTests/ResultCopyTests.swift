import Foundation
import Testing
import SweepKit
import SweepStore

/// `sweep copy` cut short: what it leaves in the destination, and the same copy run again.
/// The source is a memory store; the destination each backend.
struct ResultCopyTests {
    private struct Cut: Error {}

    /// A complete sweep of four trials, each with epochs; trials 1 and 3 with a model.
    private func source(status: SweepStatus = .complete) throws -> (MemoryResultStore, SweepRecord) {
        let store = MemoryResultStore()
        let sweep = Sample.sweep(status: status)
        try store.createSweep(sweep)
        for number in 1...4 {
            let model = number.isMultiple(of: 2) ? nil : try Sample.model()
            try store.finish(sweep: sweep.name, record: Sample.completeRecord(number, accuracy: 0.8 + 0.01 * Double(number)),
                             epochs: Sample.epochs(count: number), model: model)
        }
        return (store, sweep)
    }

    /// `source`, still running, with a fifth trial running.
    private func runningSource() throws -> (MemoryResultStore, SweepRecord) {
        let (store, sweep) = try source(status: .running)
        var running = Sample.completeRecord(5)
        running.status = .running
        try store.finish(sweep: sweep.name, record: running, epochs: [], model: nil)
        return (store, sweep)
    }

    /// `runningSource` once its fifth trial and the sweep have completed: the sweep's record.
    private func finishRunningTrial(of sweep: SweepRecord, in store: MemoryResultStore) throws -> SweepRecord {
        try store.finish(sweep: sweep.name, record: Sample.completeRecord(5), epochs: Sample.epochs(), model: nil)
        try store.setSweepStatus(sweep.name, .complete)
        return try #require(try store.sweep(named: sweep.name))
    }

    /// Copies `sweep` until `trials` of its trials are written, then fails as a kill would.
    private func copy(_ sweep: SweepRecord, from source: any ResultStore, to destination: any ResultStore, cutAfter trials: Int) {
        #expect(throws: Cut.self) {
            try ResultCopy.copy(sweep: sweep, from: source, to: destination, progress: { copied, _ in
                if copied == trials { throw Cut() }
            })
        }
    }

    private func expectSameSweep(_ copy: any ResultStore, _ original: any ResultStore, _ name: String) throws {
        #expect(try copy.sweeps() == original.sweeps())
        #expect(sameRecords(try copy.trials(sweep: name), try original.trials(sweep: name)))
        for trial in try original.trials(sweep: name).map(\.number) {
            #expect(sameEpochs(try copy.epochs(sweep: name, trial: trial), try original.epochs(sweep: name, trial: trial)))
            #expect(sameModel(try copy.model(sweep: name, trial: trial), try original.model(sweep: name, trial: trial)))
        }
    }

    /// It copied the sweep record with the source's status first, then the trials: a copy
    /// killed after 515 of 3,000 trials left a complete sweep whose export was the 515's best.
    @Test(arguments: StoreBackend.allCases)
    func aCopyCutShortIsInterruptedAndTheSameCopyFinishesIt(backend: StoreBackend) throws {
        let directory = try TemporaryDirectory()
        let (original, sweep) = try source()
        let destination = try backend.makeStore(in: directory)

        copy(sweep, from: original, to: destination, cutAfter: 2)
        #expect(try destination.sweep(named: sweep.name)?.status == .interrupted)
        #expect(try destination.trials(sweep: sweep.name).map(\.number) == [1, 2])
        #expect(try ResultCopy.canCopy(sweep, from: original, to: destination))

        let rest = try ResultCopy.copy(sweep: sweep, from: original, to: destination)
        #expect(rest == ResultCopy.Counts(trials: 2, epochs: 3 * 2 + 4 * 2, models: 1, alreadyCopied: 2))
        try expectSameSweep(destination, original, sweep.name)
    }

    /// A source still running when first copied: the trial it has finished since is copied again.
    @Test func aTrialTheSourceFinishedSinceIsCopiedAgain() throws {
        let (original, sweep) = try runningSource()
        let destination = MemoryResultStore()
        copy(sweep, from: original, to: destination, cutAfter: 5)
        let finished = try finishRunningTrial(of: sweep, in: original)

        let rest = try ResultCopy.copy(sweep: finished, from: original, to: destination)

        #expect(rest.trials == 1 && rest.alreadyCopied == 4)
        try expectSameSweep(destination, original, sweep.name)
    }

    /// A sweep still running in the source is interrupted in its copy, and so is its running
    /// trial: the copy was stored running, which nothing runs, so that copying it again once
    /// the source had finished was refused. A copy stored running before (no process runs it)
    /// is continued; one a process runs is not.
    @Test func aRunningSweepIsCopiedInterruptedAndCopiedAgainOnceFinished() throws {
        let (original, sweep) = try runningSource()
        let destination = MemoryResultStore()

        _ = try ResultCopy.copy(sweep: sweep, from: original, to: destination)
        #expect(try destination.sweep(named: sweep.name)?.status == .interrupted)
        #expect(try destination.trials(sweep: sweep.name).last?.status == .interrupted)

        let finished = try finishRunningTrial(of: sweep, in: original)
        let again = try ResultCopy.copy(sweep: finished, from: original, to: destination)
        #expect(again.trials == 1 && again.alreadyCopied == 4)
        try expectSameSweep(destination, original, sweep.name)

        let oldCopy = MemoryResultStore()
        try oldCopy.createSweep(sweep)  // stored running, as copies were
        #expect(try ResultCopy.canCopy(finished, from: original, to: oldCopy, isLive: { _ in false }))
        #expect(try !ResultCopy.canCopy(finished, from: original, to: oldCopy, isLive: { _ in true }))
    }

    /// Whatever is not a copy of this sweep cut short is refused and left as it is: a finished
    /// copy, another sweep of the same name, and a copy holding a trial the source plans otherwise.
    @Test func anythingElseOfTheSameNameIsRefused() throws {
        let (original, sweep) = try source()

        let finished = MemoryResultStore()
        _ = try ResultCopy.copy(sweep: sweep, from: original, to: finished)

        let other = MemoryResultStore()
        try other.createSweep(Sample.sweep(created: Sample.created.addingTimeInterval(1), status: .interrupted))

        let changed = MemoryResultStore()
        copy(sweep, from: original, to: changed, cutAfter: 1)
        var elsewhere = Sample.completeRecord(2)
        elsewhere.plan.seed += 1
        try changed.finish(sweep: sweep.name, record: elsewhere, epochs: [], model: nil)

        for destination in [finished, other, changed] {
            let before = try destination.trials(sweep: sweep.name)
            #expect(try !ResultCopy.canCopy(sweep, from: original, to: destination))
            #expect(throws: ResultCopy.Refusal.alreadyHeld(sweep.name)) { try ResultCopy.copy(sweep: sweep, from: original, to: destination) }
            #expect(sameRecords(try destination.trials(sweep: sweep.name), before))
        }
    }
}
