import Foundation
import Testing
@testable import SweepKit

/// Whole sweeps with a pruner: the same for any --jobs, after an interruption, with every
/// pruned trial's epochs stored.
@Suite struct PrunedSweepTests {
    static func spec(pruner: String, folds: Int = 2, trials: Int = 16, lag: Int = 3) -> String {
        """
        {"name": "pruned", "data": {"source": "\(SweepFixtures.smallData)", "folds": \(folds)}, "method": "random",
         "trials": \(trials), "seed": 8, "sampler": {"lag": \(lag)}, "pruner": \(pruner),
         "fixed": {"hidden_layers": [8], "epochs": 8, "batch_size": 32},
         "parameters": {"lr": {"distribution": "log_uniform", "min": 0.0001, "max": 0.3},
                        "optimizer": {"values": ["sgd", "adam"]}}}
        """
    }

    static let median = #"{"name": "median", "startup_trials": 2, "warmup_epochs": 1}"#
    static let asha = #"{"name": "asha", "min_epochs": 1, "reduction_factor": 2}"#

    private func run(_ spec: SweepSpec, store: any ResultStore = MemoryResultStore(), jobs: Int, stop: StopSignal = StopSignal(),
                     onEvent: @escaping @Sendable (SweepEvent) -> Void = { _ in }) async throws -> SweepRunSummary {
        try await SweepScheduler(
            spec: spec, data: try PreparedData.load(spec.data), store: store, options: SweepRunOptions(jobs: jobs), stop: stop,
            onEvent: onEvent
        ).run()
    }

    private func outcomes(_ trials: [TrialRecord]) -> [String] {
        trials.map { trial in
            let metrics = trial.metrics.keys.sorted().map { "\($0)=\(trial.metrics[$0]!)" }.joined(separator: ",")
            return "\(trial.number) \(trial.status.rawValue) \(trial.epochsRun ?? -1) \(metrics)"
        }
    }

    @Test(arguments: [median, asha])
    func aPrunedSweepIsTheSameWithOneOrTwoJobs(pruner: String) async throws {
        let spec = try SweepFixtures.spec(Self.spec(pruner: pruner))
        let one = try await run(spec, jobs: 1)
        let two = try await run(spec, jobs: 2)
        #expect(outcomes(two.trials) == outcomes(one.trials))
        // The comparison means something only if some trials were pruned and some were not.
        #expect(one.trials.contains { $0.status == .pruned } && one.trials.contains { $0.status == .complete }, "\(outcomes(one.trials))")
    }

    @Test func aPrunedTrialKeepsItsEpochsAndRanksAfterTheCompleteOnes() async throws {
        let spec = try SweepFixtures.spec(Self.spec(pruner: Self.median))
        let store = MemoryResultStore()
        let summary = try await run(spec, store: store, jobs: 2)
        let pruned = try #require(summary.trials.first { $0.status == .pruned })
        let epochs = try store.epochs(sweep: spec.name, trial: pruned.number)
        #expect(!epochs.isEmpty && epochs.count == pruned.epochsRun)
        // Fewer epochs than its 2 folds × 8 and the final fit's 8: it stopped early.
        #expect(epochs.count < 24)
        #expect(!epochs.contains { $0.fold == 0 }, "a pruned trial has no final fit")
        #expect(try store.model(sweep: spec.name, trial: pruned.number) == nil)
        #expect(pruned.metrics[MetricName.validationAccuracy.rawValue] != nil)
        let ranked = spec.ranking.ranked(summary.trials)
        let lastComplete = try #require(ranked.lastIndex { $0.status == .complete })
        let firstPruned = try #require(ranked.firstIndex { $0.status == .pruned })
        #expect(lastComplete < firstPruned)
    }

    @Test func anInterruptedPrunedSweepResumesToTheUninterruptedOne() async throws {
        let spec = try SweepFixtures.spec(Self.spec(pruner: Self.median))
        let store = MemoryResultStore()
        let stop = StopSignal()
        _ = try await run(spec, store: store, jobs: 2, stop: stop, onEvent: { event in
            if case .trialStarted(9) = event { stop.raise() }
        })
        #expect(try store.trials(sweep: spec.name).contains { $0.status == .interrupted })
        let resumed = try await run(spec, store: store, jobs: 2)
        let clean = try await run(spec, jobs: 1)
        #expect(outcomes(resumed.trials) == outcomes(clean.trials))
    }

    @Test func aPrunerIsASpecErrorWhenItIsUnknownOrBadlySet() {
        let unknown = SweepFixtures.problems(Self.spec(pruner: #"{"name": "medain"}"#))
        #expect(unknown.contains { $0.path == "$.pruner.name" && $0.message.contains("did you mean 'median'?") }, "\(unknown)")
        let bad = SweepFixtures.problems(Self.spec(pruner: #"[{"name": "asha", "reduction_factor": 1}]"#))
        #expect(bad.contains { $0.path == "$.pruner[0].reduction_factor" }, "\(bad)")
        let typo = SweepFixtures.problems(Self.spec(pruner: #"{"name": "median", "warmup": 2}"#))
        #expect(typo.contains { $0.path == "$.pruner.warmup" && $0.message.contains("warmup_epochs") }, "\(typo)")
    }
}

/// The epochs a pruner saved, on hand-built records.
@Suite struct PruningSavingsTests {
    @Test func aPrunedTrialWouldHaveTrainedEveryEpochOfItsFoldsAndFinalFit() throws {
        // 3 folds, 10 epochs: a trial trains 3 × 10 + 10 for its final fit = 40 epochs.
        let spec = try SweepFixtures.spec("""
            {"name": "s", "data": {"source": "\(SweepFixtures.smallData)", "folds": 3}, "method": "random", "trials": 3,
             "pruner": {"name": "median"}, "fixed": {"epochs": 10}, "parameters": {"lr": {"values": [0.1, 0.01]}}}
            """)
        let plans = spec.previewPlans()
        var complete = TrialRecord(plan: plans[0], status: .complete)
        complete.epochsRun = 40
        var earlyStopped = TrialRecord(plan: plans[1], status: .complete)
        earlyStopped.epochsRun = 25
        var pruned = TrialRecord(plan: plans[2], status: .pruned)
        pruned.epochsRun = 12
        let savings = PruningSavings(trials: [complete, earlyStopped, pruned], spec: spec)
        #expect(savings.trained == 77)
        // 40 + 25 as they ran, and 40 for the pruned one.
        #expect(savings.unpruned == 105)
        #expect(savings.prunedTrials == 1)
        #expect(abs(savings.savedShare - 28.0 / 105.0) < 1e-12)
    }
}

/// The folds pruner in whole sweeps: trials end after some of their folds, the same whatever
/// --jobs, since fit m of a trial waits for fits 0 ..< m.
@Suite struct FoldPrunedSweepTests {
    static let spec = PrunedSweepTests.spec(pruner: #"{"name": "folds", "p_threshold": 0.2}"#, folds: 4, trials: 14)

    @Test func trialsAreStoppedBetweenFoldsAndTheSweepIsTheSameWithOneOrTwoJobs() async throws {
        let spec = try SweepFixtures.spec(Self.spec)
        func run(jobs: Int) async throws -> SweepRunSummary {
            try await SweepScheduler(
                spec: spec, data: try PreparedData.load(spec.data), store: MemoryResultStore(), options: SweepRunOptions(jobs: jobs),
                stop: StopSignal()
            ).run()
        }
        let one = try await run(jobs: 1)
        let two = try await run(jobs: 2)
        func outcomes(_ trials: [TrialRecord]) -> [String] {
            trials.map { "\($0.number) \($0.status) \($0.epochsRun ?? 0) \($0.metrics[MetricName.validationAccuracy.rawValue] ?? .nan)" }
        }
        #expect(outcomes(one.trials) == outcomes(two.trials))
        let pruned = one.trials.filter { $0.status == .pruned }
        #expect(!pruned.isEmpty, "\(outcomes(one.trials))")
        // A fold-pruned trial ran whole folds (8 epochs each), at least the 2 the test needs, and
        // no final fit (stopped before it, all 4 folds may have run).
        for trial in pruned {
            let epochs = try #require(trial.epochsRun)
            #expect(epochs % 8 == 0 && epochs >= 16 && epochs <= 32, "trial \(trial.number): \(epochs) epochs")
        }
    }
}
