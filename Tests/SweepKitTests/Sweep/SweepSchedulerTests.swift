import Foundation
import Testing
@testable import SweepKit

@Suite("Sweep scheduler with an in-memory store")
struct SweepSchedulerTests {
    private static let spec = Result { try SweepFixtures.spec(SweepFixtures.smallGrid) }
    private static let data = Result { try PreparedData.load(spec.get().data) }

    private func run(
        _ spec: SweepSpec, store: any ResultStore, jobs: Int, restart: Bool = false, stop: StopSignal = StopSignal(),
        log: SweepEventLog = SweepEventLog(), data: PreparedData? = nil,
        onEvent: @escaping @Sendable (SweepEvent) -> Void = { _ in }
    ) async throws -> SweepRunSummary {
        let scheduler = SweepScheduler(
            spec: spec, data: try data ?? Self.data.get(), store: store, options: SweepRunOptions(jobs: jobs, restart: restart),
            stop: stop, onEvent: { event in
                log.append(event)
                onEvent(event)
            })
        return try await scheduler.run()
    }

    private func metricsByTrial(_ trials: [TrialRecord]) -> [Int: [String: Double]] {
        Dictionary(uniqueKeysWithValues: trials.map { ($0.number, $0.metrics) })
    }

    @Test func oneJobAndTwoJobsGiveTheSameMetricsForEveryTrial() async throws {
        let spec = try Self.spec.get()
        let serial = try await run(spec, store: MemoryResultStore(), jobs: 1)
        let parallel = try await run(spec, store: MemoryResultStore(), jobs: 2)
        #expect(serial.trials.count == 8)
        #expect(serial.trials.allSatisfy { $0.status == .complete })
        #expect(parallel.trials.allSatisfy { $0.status == .complete })
        #expect(metricsByTrial(serial.trials) == metricsByTrial(parallel.trials))
        // The comparison means something only if the metrics are there and differ between trials.
        #expect(serial.trials.allSatisfy { $0.metrics[MetricName.validationAccuracy.rawValue] != nil && $0.metrics[MetricName.testAccuracy.rawValue] != nil })
        #expect(Set(serial.trials.map { $0.metrics[MetricName.trainLoss.rawValue] }).count > 1)
    }

    /// A worker that asks for a trial while another is still making the last one ready (outside
    /// the source's lock, before its fits can be shared) is told to wait, not that the run is
    /// over: it used to end there, and a one-trial sweep with --jobs 2 then ran on one worker.
    @Test func aWorkerAskingWhileTheLastTrialIsBeingMadeReadyWaitsForItsFits() throws {
        let spec = try SweepFixtures.spec("""
            {"name": "one-trial", "data": {"source": "\(SweepFixtures.smallData)", "folds": 4}, "seed": 9,
             "fixed": {"hidden_layers": [8], "epochs": 2}, "parameters": {"optimizer": {"values": ["adam"]}}}
            """)
        let data = try PreparedData.load(spec.data)
        let source = TrialSource(spec: spec, stored: [], budget: .init())
        var askedMeanwhile: TrialSource.Next?
        let first = source.next { claimed in
            askedMeanwhile = source.next { _ in Issue.record("a second trial was handed out"); fatalError() }
            return TrialWork(plan: claimed.plan, data: data, startedAt: Date())
        }

        guard case .trial = first else { Issue.record("the first worker got no trial"); return }
        guard case .wait? = askedMeanwhile else { Issue.record("asked meanwhile: \(String(describing: askedMeanwhile))"); return }
        guard case .done = source.next({ _ in fatalError() }) else { Issue.record("no trial should be left"); return }
        guard case .fit? = source.takeStartedFit()?.take else { Issue.record("the waiting worker found no fit to take"); return }
    }

    /// A worker that always finds a trial to start (one worker, or the others busy) never asks
    /// for other trials' fits, and the source let go of a trial only when asked for them: every
    /// trial's network and fit results stayed in memory until the run ended (memory grew by
    /// 1.2 MB a trial on 2,000 columns with --jobs 1, toward 8 GB in a 5-minute sweep auto).
    @Test func theSourceLetsGoOfATrialOnceItsFitsAreSettled() throws {
        let spec = try Self.spec.get()
        let data = try PreparedData.load(spec.data)
        let source = TrialSource(spec: spec, stored: [], budget: .init())
        var held: [Int] = []
        for _ in 0..<4 {
            guard case .trial(let work) = source.next({ TrialWork(plan: $0.plan, data: data, startedAt: Date()) }) else {
                Issue.record("no trial to start")
                return
            }
            held.append(source.heldTrialCount)
            while case .fit(let index) = work.take(stopping: false) {
                _ = work.deliver(index, FitResult(outcome: .failure(.noTrainingRows), seconds: 0, cpuSeconds: 0))
            }
            #expect(work.isSettled)
        }
        #expect(held == [1, 1, 1, 1], "trials held as each started")
    }

    /// The progress line counted a trial as running until its result was stored, and results
    /// are committed several at a time: it showed 3 running with 2 jobs. Between a trial's start
    /// and its end there are never more trials than jobs, and each ends before it is stored.
    @Test func trialsEndBeforeTheyAreStoredAndNoMoreRunThanJobs() async throws {
        let events = Locked<[SweepEvent]>([])
        _ = try await run(try Self.spec.get(), store: MemoryResultStore(), jobs: 2) { event in events.withLock { $0.append(event) } }
        var running: Set<Int> = [], ended: Set<Int> = [], most = 0
        for event in events.withLock({ $0 }) {
            switch event {
            case .trialStarted(let number): running.insert(number)
            case .trialEnded(let number):
                running.remove(number)
                ended.insert(number)
            case .trialFinished(let record): #expect(ended.contains(record.number), "trial \(record.number) stored before it ended")
            case .planned: break
            }
            most = max(most, running.count)
        }
        #expect(most <= 2 && running.isEmpty && ended.count == 8)
    }

    @Test func aSingleCrossValidatedTrialIsSharedByTwoWorkersWithTheSameResult() async throws {
        // One trial of 4 folds and a final fit, each long enough (40 epochs) that the second
        // worker, finding no trial to start, takes fits of the first one.
        let spec = try SweepFixtures.spec("""
            {"name": "one-trial", "data": {"source": "\(SweepFixtures.smallData)", "folds": 4}, "seed": 9,
             "fixed": {"hidden_layers": [64], "epochs": 40, "batch_size": 16, "dropout": 0.1},
             "parameters": {"optimizer": {"values": ["adam"]}}}
            """)
        let data = try PreparedData.load(spec.data)
        #expect(data.folds.count == 4)
        let serialStore = MemoryResultStore(), parallelStore = MemoryResultStore()
        let serial = try await run(spec, store: serialStore, jobs: 1, data: data)
        let parallel = try await run(spec, store: parallelStore, jobs: 2, data: data)

        #expect(serial.sharedFits == 0)
        #expect(parallel.sharedFits > 0, "the second worker should have trained some of the trial's fits")
        let trial = try #require(parallel.trials.first)
        #expect(parallel.trials.count == 1)
        #expect(trial.status == .complete)
        #expect(metricsByTrial(parallel.trials) == metricsByTrial(serial.trials))
        #expect(trial.epochsRun == 200)
        let epochs = try parallelStore.epochs(sweep: spec.name, trial: 1)
        #expect(epochs.map(\.fold) == [0, 1, 2, 3, 4].flatMap { Array(repeating: $0, count: 40) })
        #expect(withoutTimings(epochs) == withoutTimings(try serialStore.epochs(sweep: spec.name, trial: 1)))
        #expect(try parallelStore.model(sweep: spec.name, trial: 1)?.tensors == serialStore.model(sweep: spec.name, trial: 1)?.tensors)
        // Training time is the fits' time added up, whichever worker trained them.
        let seconds = try #require(trial.trainSeconds)
        #expect(seconds >= epochs.map(\.seconds).reduce(0, +))
    }

    @Test func completedSweepStoresEveryTrialWithItsEpochsAndModel() async throws {
        let spec = try Self.spec.get()
        let store = MemoryResultStore()
        let summary = try await run(spec, store: store, jobs: 2)
        #expect(!summary.interrupted)
        #expect(summary.trialsRun == 8)
        #expect(try store.sweep(named: spec.name)?.status == .complete)
        for trial in try store.trials(sweep: spec.name) {
            #expect(trial.epochsRun == 3)
            #expect(try store.epochs(sweep: spec.name, trial: trial.number).map(\.epoch) == [1, 2, 3])
            #expect(try store.model(sweep: spec.name, trial: trial.number) != nil)
        }
    }

    @Test func trainingIsTimedByTheClockAndByTheTrainingThreadsCPU() async throws {
        let summary = try await run(try Self.spec.get(), store: MemoryResultStore(), jobs: 2)
        #expect(summary.trainingCPUSeconds > 0)
        // A thread cannot run for longer than the time that passes (a little slack for the two
        // clocks' resolutions, once per fit).
        #expect(summary.trainingCPUSeconds <= summary.trainingSeconds + 0.001 * Double(summary.trialsRun))
        #expect(summary.trainingSeconds <= summary.workerSeconds)
    }

    @Test func rerunningAFinishedSweepTrainsNothing() async throws {
        let spec = try Self.spec.get()
        let store = MemoryResultStore()
        let first = try await run(spec, store: store, jobs: 2)
        let log = SweepEventLog()
        let second = try await run(spec, store: store, jobs: 2, log: log)
        #expect(second.trialsRun == 0)
        #expect(log.startedTrials.isEmpty)
        #expect(log.planned?.toRun == 0)
        #expect(log.planned?.resumed == true)
        #expect(metricsByTrial(second.trials) == metricsByTrial(first.trials))
    }

    @Test func raisedStopSignalEndsWithInterruptedTrialsAndAnInterruptedSweep() async throws {
        let spec = try Self.spec.get()
        let store = MemoryResultStore()
        let stop = StopSignal()
        // Raising the signal when trial 3 starts: trial 3 sees it before its first batch.
        let summary = try await run(spec, store: store, jobs: 2, stop: stop, onEvent: { event in
            if case .trialStarted(3) = event { stop.raise() }
        })
        #expect(summary.interrupted)
        #expect(try store.sweep(named: spec.name)?.status == .interrupted)
        let byNumber = Dictionary(uniqueKeysWithValues: summary.trials.map { ($0.number, $0.status) })
        #expect(byNumber[3] == .interrupted)
        // Trial 3 started when trial 1 or 2 had finished; the other may have been cut short too.
        #expect([byNumber[1], byNumber[2]].contains(.complete))
        #expect([byNumber[1], byNumber[2]].allSatisfy { $0 == .complete || $0 == .interrupted })
        #expect(!summary.trials.contains { $0.status == .running }, "no trial may stay running once the sweep ends")
        // The other worker may have taken trial 4 while trial 3 was being marked running; no
        // trial starts once the signal is up, and trials are stored only once started.
        #expect(byNumber[4] == nil || byNumber[4] == .interrupted)
        #expect(summary.trials.allSatisfy { $0.number <= 4 })
        #expect(summary.remainingTrials == 8 - summary.trials.filter(\.status.isFinal).count)
    }

    @Test func resumingRunsOnlyTheTrialsThatAreNotFinal() async throws {
        let spec = try Self.spec.get()
        let store = MemoryResultStore()
        let stop = StopSignal()
        _ = try await run(spec, store: store, jobs: 2, stop: stop, onEvent: { event in
            if case .trialStarted(4) = event { stop.raise() }
        })
        let before = try store.trials(sweep: spec.name)
        // Interrupted trials and those never started.
        let notFinal = (1...8).filter { number in !(before.first { $0.number == number }?.status.isFinal ?? false) }
        #expect(!notFinal.isEmpty && notFinal.count < 8)
        #expect(before.contains { $0.status == .interrupted })

        let log = SweepEventLog()
        let resumed = try await run(spec, store: store, jobs: 2, log: log)
        #expect(log.startedTrials.sorted() == notFinal)
        #expect(log.planned?.resumed == true)
        #expect(log.planned?.finished == 8 - notFinal.count)
        #expect(resumed.trialsRun == notFinal.count)
        #expect(!resumed.interrupted)
        #expect(resumed.trials.allSatisfy { $0.status == .complete })
        #expect(try store.sweep(named: spec.name)?.status == .complete)
        // Finished trials keep their stored records untouched.
        for trial in before where trial.status.isFinal {
            #expect(resumed.trials.first { $0.number == trial.number } == trial)
        }
        // And the resumed sweep ends exactly where an uninterrupted one does.
        let uninterrupted = try await run(spec, store: MemoryResultStore(), jobs: 1)
        #expect(metricsByTrial(resumed.trials) == metricsByTrial(uninterrupted.trials))
        for trial in resumed.trials {
            #expect(try store.epochs(sweep: spec.name, trial: trial.number).map(\.epoch) == [1, 2, 3])
        }
    }

    /// The store of a finished sweep without some of its trials, as a process killed after
    /// handing them out, but before their records were written, leaves it (records are written
    /// as they come, so trial 7 can be stored while trial 6 is not).
    private func store(of finished: MemoryResultStore, sweep: String, without missing: Set<Int>) throws -> MemoryResultStore {
        let copy = MemoryResultStore()
        var record = try #require(try finished.sweep(named: sweep))
        record.status = .running
        try copy.createSweep(record)
        for trial in try finished.trials(sweep: sweep) where !missing.contains(trial.number) {
            try copy.startTrial(sweep: sweep, plan: trial.plan, at: trial.startedAt ?? Date())
            try copy.finish(sweep: sweep, record: trial, epochs: try finished.epochs(sweep: sweep, trial: trial.number),
                            model: try finished.model(sweep: sweep, trial: trial.number))
        }
        return copy
    }

    @Test(arguments: ["grid", "random"])
    func numbersLeftWithoutATrialByAKillAreTrainedOnResume(method: String) async throws {
        let text = method == "grid" ? SweepFixtures.smallGrid
            : SweepFixtures.smallGrid.replacingOccurrences(of: #""seed": 5,"#, with: #""seed": 5, "method": "random", "trials": 8,"#)
        let spec = try SweepFixtures.spec(text)
        let finished = MemoryResultStore()
        let uninterrupted = try await run(spec, store: finished, jobs: 1)
        #expect(uninterrupted.trials.count == 8)

        let gapped = try store(of: finished, sweep: spec.name, without: [3, 6])
        #expect(spec.remainingTrials(after: try gapped.trials(sweep: spec.name), taken: Set(try gapped.trials(sweep: spec.name).map { spec.space.point(of: $0.plan.parameters) })) == 2)
        let log = SweepEventLog()
        let resumed = try await run(spec, store: gapped, jobs: 2, log: log)
        #expect(log.startedTrials.sorted() == [3, 6])
        #expect(resumed.trials.map(\.number) == Array(1...8))
        #expect(resumed.trials.allSatisfy { $0.status == .complete })
        #expect(try gapped.sweep(named: spec.name)?.status == .complete)
        // The trials that fill the gaps are the ones the uninterrupted sweep trained there.
        #expect(resumed.trials.map(\.plan.parameters) == uninterrupted.trials.map(\.plan.parameters))
        #expect(metricsByTrial(resumed.trials) == metricsByTrial(uninterrupted.trials))
    }

    @Test func changedSpecUnderTheSameNameIsRefusedWithoutRestart() async throws {
        let spec = try Self.spec.get()
        let store = MemoryResultStore()
        _ = try await run(spec, store: store, jobs: 2)
        let changed = try SweepFixtures.spec(SweepFixtures.smallGrid.replacingOccurrences(of: #""epochs": 3"#, with: #""epochs": 2"#))
        #expect(changed.name == spec.name)
        let error = await #expect(throws: SweepRunError.self) {
            _ = try await run(changed, store: store, jobs: 2)
        }
        if case .specChanged(let name, let reason)? = error {
            #expect(name == spec.name)
            #expect(reason.contains("\"fixed\""), "\(reason)")
        }
        #expect(error?.description.contains("--restart") == true)
        // Nothing stored was touched.
        #expect(try store.trials(sweep: spec.name).allSatisfy { $0.status == .complete && $0.epochsRun == 3 })
    }

    @Test func changedSpecWithRestartDiscardsTheOldResults() async throws {
        let spec = try Self.spec.get()
        let store = MemoryResultStore()
        _ = try await run(spec, store: store, jobs: 2)
        let changed = try SweepFixtures.spec(SweepFixtures.smallGrid.replacingOccurrences(of: #""epochs": 3"#, with: #""epochs": 2"#))
        let summary = try await run(changed, store: store, jobs: 2, restart: true)
        #expect(summary.trialsRun == 8)
        #expect(summary.trials.allSatisfy { $0.status == .complete && $0.epochsRun == 2 })
        #expect(try store.sweep(named: spec.name)?.specJSON == changed.canonicalJSON)
    }

    @Test func moreJobsThanTrialsStillRunsEachTrialOnce() async throws {
        let spec = try SweepFixtures.spec(#"{"name": "two", "data": "builtin:phone-price?rows=400", "fixed": {"hidden_layers": [8], "epochs": 2}, "parameters": {"lr": {"values": [0.01, 0.1]}}}"#)
        let log = SweepEventLog()
        let summary = try await run(spec, store: MemoryResultStore(), jobs: 6, log: log)
        #expect(log.startedTrials.sorted() == [1, 2])
        #expect(summary.trials.map(\.status) == [.complete, .complete])
    }
}

/// A memory store whose `finish` fails for one trial, like a full disk would.
private final class FailingStore: MemoryStoreWrapper, @unchecked Sendable {
    struct DiskFull: Error {}

    let failingTrial: Int

    init(failingTrial: Int) { self.failingTrial = failingTrial }

    override func finish(sweep: String, record: TrialRecord, epochs: [EpochRecord], model: TrainedModel?) throws {
        if record.number == failingTrial { throw DiskFull() }
        try super.finish(sweep: sweep, record: record, epochs: epochs, model: model)
    }
}

extension SweepSchedulerTests {
    @Test func storeFailureEndsTheSweepInsteadOfTrainingTheRemainingTrials() async throws {
        // 24 trials, so that "stopped early" is clear even when the test machine is busy; 20
        // epochs each, so that a trial outlasts the failed write's trip through a busy thread pool.
        let spec = try SweepFixtures.spec("""
            {"name": "failing-store", "data": "\(SweepFixtures.smallData)", "seed": 5,
             "fixed": {"hidden_layers": [8], "epochs": 20, "batch_size": 16},
             "parameters": {"optimizer": {"values": ["sgd", "adam", "rmsprop"]}, "lr": {"values": [0.01, 0.05]},
                            "activation": {"values": ["relu", "tanh"]}, "dropout": {"values": [0, 0.1]}}}
            """)
        #expect(spec.trialCount == 24)
        let store = FailingStore(failingTrial: 2)
        let log = SweepEventLog()
        let scheduler = SweepScheduler(
            spec: spec, data: try Self.data.get(), store: store,
            // Each result committed when its worker hands it over, as for trials that end further
            // apart than the commit interval; these end closer together, and would otherwise all be
            // trained before the first commit (the failure is known at the commit after it).
            options: SweepRunOptions(jobs: 2, commitInterval: 0),
            stop: StopSignal(), onEvent: log.append)
        await #expect(throws: FailingStore.DiskFull.self) { _ = try await scheduler.run() }
        // Trial 2's result could not be stored. Writes overlap training, so each worker may start
        // one more trial before the failure is known (a few more on a loaded machine); after it,
        // nothing starts and running trials stop: far from the remaining 22.
        #expect(log.startedTrials.count <= 8, "started \(log.startedTrials) after the store failed")
    }
}

extension SweepSchedulerTests {
    /// `stopAt` (sweep auto's budget) cuts trials short wherever they are: they end interrupted,
    /// to run again, and the run ends as a budget ends it, not as Ctrl-C does.
    @Test func aStopTimeEndsRunningTrialsAsInterruptedAndTheRunAsABudgetEndsIt() async throws {
        // 100,000 epochs of batches of one row: each trial would train for hours.
        let spec = try SweepFixtures.spec("""
            {"name": "stopped-by-time", "data": "\(SweepFixtures.smallData)", "seed": 5,
             "fixed": {"hidden_layers": [8], "epochs": 100000, "batch_size": 1},
             "parameters": {"lr": {"values": [0.001, 0.002, 0.003, 0.004]}}}
            """)
        // Half a second is time enough to start trials, unless other tests keep the machine
        // busy: the stop time is then put later, until a run starts some.
        for delay in [0.5, 2, 8] {
            let store = MemoryResultStore()
            let stop = StopSignal()
            let log = SweepEventLog()
            let stopAt = Date().addingTimeInterval(delay)
            let scheduler = SweepScheduler(
                spec: spec, data: try Self.data.get(), store: store, options: SweepRunOptions(jobs: 2, stopAt: stopAt),
                stop: stop, onEvent: log.append)
            // Should the stop time be missed, the signal ends the run a minute later, and the
            // checks below fail instead of the suite hanging for hours.
            let watchdog = Task {
                try await Task.sleep(for: .seconds(60))
                stop.raise()
            }
            let summary = try await scheduler.run()
            watchdog.cancel()
            let interrupted = summary.interrupted
            #expect(!interrupted, "the stop time did not stop the trials; the watchdog's signal did")
            if log.startedTrials.isEmpty, delay < 8 { continue }

            #expect(!log.startedTrials.isEmpty)
            // Each trial trained from before the stop time until its next batch after it: at most
            // the delay and a millisecond, timed on its own thread, which tests busy on the shared
            // pool cannot delay. A generous bound, for a busy machine: an overrun would be hours.
            #expect(summary.trials.allSatisfy { ($0.trainSeconds ?? .infinity) < delay + 10 }, "\(summary.trials.map(\.trainSeconds))")
            #expect(summary.trials.map(\.number).sorted() == log.startedTrials.sorted())
            #expect(summary.trials.allSatisfy { $0.status == .interrupted }, "\(summary.trials.map(\.status))")
            #expect(summary.trialsStopped == summary.trials.count)
            #expect(summary.remainingTrials == 4)
            #expect(try store.sweep(named: spec.name)?.status == .interrupted)
            return
        }
    }

    @Test func noTrialStartsAfterTheStopTime() async throws {
        let log = SweepEventLog()
        let summary = try await SweepScheduler(
            spec: try Self.spec.get(), data: try Self.data.get(), store: MemoryResultStore(),
            options: SweepRunOptions(jobs: 2, timeout: 60, stopAt: Date()), stop: StopSignal(), onEvent: log.append
        ).run()
        #expect(log.startedTrials.isEmpty && summary.trials.isEmpty)
        #expect(summary.remainingTrials == 8 && !summary.interrupted)
    }
}
