import Foundation
import NeuralNet
import Synchronization
import Testing
@testable import SweepKit

/// Trials made when workers ask for them: the lag rule, enqueued trials, growing a sweep,
/// budgets, and sweeps that are the same whatever `--jobs`.
@Suite struct AskTellTests {
    private func run(
        _ spec: SweepSpec, store: any ResultStore = MemoryResultStore(), jobs: Int, budget: Int? = nil,
        log: SweepEventLog = SweepEventLog()
    ) async throws -> SweepRunSummary {
        let scheduler = SweepScheduler(
            spec: spec, data: try PreparedData.load(spec.data), store: store,
            options: SweepRunOptions(jobs: jobs, trialBudget: budget), stop: StopSignal(), onEvent: { log.append($0) })
        return try await scheduler.run()
    }

    /// Parameters and metrics of every trial, by number: what "the same sweep" means.
    private func outcomes(_ trials: [TrialRecord]) -> [Int: String] {
        Dictionary(uniqueKeysWithValues: trials.map { trial in
            let metrics = trial.metrics.keys.sorted().map { "\($0)=\(trial.metrics[$0]!)" }.joined(separator: ",")
            return (trial.number, "\(trial.status.rawValue) \(trial.plan.parameters.canonicalText) \(metrics)")
        })
    }

    static func randomSpec(name: String = "ask", trials: Int, lag: Int = 8, extra: String = "") -> String {
        """
        {"name": "\(name)", "data": "\(SweepFixtures.smallData)", "method": "random", "trials": \(trials), "seed": 21,
         "sampler": {"lag": \(lag)}, "fixed": {"hidden_layers": [8], "epochs": 2, "batch_size": 32},
         "parameters": {"lr": {"distribution": "log_uniform", "min": 0.001, "max": 0.1},
                        "optimizer": {"values": ["sgd", "adam"]}}\(extra)}
        """
    }

    @Test func trialNLearnsFromExactlyTheTrialsUpToNMinusLagMinusOne() async throws {
        let spy = SpySampler()
        let spec = try SweepFixtures.spec(Self.randomSpec(trials: 14, lag: 3)).with(sampler: spy)
        _ = try await run(spec, jobs: 2)
        let proposals = spy.proposals
        #expect(proposals.map(\.number) == Array(1...14))
        for proposal in proposals {
            // Every trial numbered n − 4 or lower had ended (none fails here), and no other.
            let visible = max(0, proposal.number - 4)
            #expect(proposal.finished == Set(1...max(visible, 1)).filter { $0 <= visible }, "trial \(proposal.number)")
            // Every earlier trial's point is known, whatever its state.
            #expect(proposal.takenCount == proposal.number - 1)
        }
    }

    @Test func theLearnedFromTrialsComeBestFirst() async throws {
        let spy = SpySampler()
        let spec = try SweepFixtures.spec(Self.randomSpec(trials: 12, lag: 0)).with(sampler: spy)
        let summary = try await run(spec, jobs: 1)
        let last = try #require(spy.proposals.last)
        let expected = TrialRanking(metric: spec.metric).ranked(summary.trials.filter { $0.number <= 11 }).map(\.number)
        #expect(last.order == expected)
    }

    @Test func aLearningSweepIsTheSameTrialForTrialWithOneTwoOrFourJobs() async throws {
        let text = """
            {"name": "tpe-jobs", "data": "\(SweepFixtures.smallData)", "method": "tpe", "trials": 24, "seed": 5,
             "sampler": {"lag": 8, "startup_trials": 4},
             "fixed": {"epochs": 2, "batch_size": 32},
             "parameters": {"lr": {"distribution": "log_uniform", "min": 0.001, "max": 0.3},
                            "optimizer": {"values": ["sgd", "adam", {"name": "rmsprop", "alpha": 0.9}]},
                            "momentum": {"values": [0.5, 0.9], "when": {"optimizer": ["sgd"]}},
                            "hidden_layers": {"depth": {"values": [1, 2]}, "width": {"distribution": "int_log_uniform", "min": 4, "max": 32}},
                            "dropout": {"distribution": "q_uniform", "min": 0, "max": 0.3, "q": 0.1}}}
            """
        let spec = try SweepFixtures.spec(text)
        let one = try await run(spec, jobs: 1)
        let two = try await run(spec, jobs: 2)
        let four = try await run(spec, jobs: 4)
        #expect(one.trials.count == 24)
        #expect(outcomes(two.trials) == outcomes(one.trials))
        #expect(outcomes(four.trials) == outcomes(one.trials))
    }

    @Test func enqueuedConfigurationsRunFirstAndTheRestIsDrawn() async throws {
        let spec = try SweepFixtures.spec(Self.randomSpec(
            trials: 5, extra: #", "enqueue": [{"lr": 0.01, "optimizer": "adam"}, {"optimizer": "sgd"}]"#))
        let log = SweepEventLog()
        let summary = try await run(spec, jobs: 1, log: log)
        #expect(log.startedTrials == [1, 2, 3, 4, 5])
        #expect(summary.trials[0].plan.parameters == .object(["lr": .number(0.01), "optimizer": .string("adam")]))
        // Trial 2 gave the optimizer only; its lr is drawn as trial 2 of a random sweep draws it.
        let second = summary.trials[1].plan.parameters
        #expect(second["optimizer"] == .string("sgd"))
        var generator = RandomSampler.generator(seed: 21, trial: 2)
        let drawn = spec.space.parameters(for: spec.space.randomPoint(using: &generator))
        #expect(second["lr"] == drawn["lr"])
    }

    @Test func anEnqueuedValueMustBeAValidSetting() {
        let problems = SweepFixtures.problems(Self.randomSpec(trials: 5, extra: #", "enqueue": [{"lr": -1}, {"epochs": 3}]"#))
        #expect(problems.contains { $0.path == "$.enqueue[0].lr" && $0.message.contains("positive") }, "\(problems)")
        #expect(problems.contains { $0.path == "$.enqueue[1].epochs" && $0.message.contains("fixed for every trial") }, "\(problems)")
    }

    /// An enqueued momentum with optimizer adam, in a sweep that searches momentum for sgd
    /// only: stored and trained without a word, the trial showing a momentum it never used.
    @Test func anEnqueuedSettingItsOwnConfigurationRulesOutIsRefused() {
        let spec = { (enqueue: String) in
            SweepFixtures.problems("""
                {"name": "when", "data": "\(SweepFixtures.smallData)", "method": "random", "trials": 5,
                 "parameters": {"optimizer": {"values": ["sgd", "adam"]},
                                "momentum": {"values": [0.5, 0.9], "when": {"optimizer": ["sgd"]}}},
                 "enqueue": \(enqueue)}
                """)
        }
        let refused = spec(#"[{"optimizer": "adam", "momentum": 0.9}]"#)
        #expect(refused.map(\.path) == ["$.enqueue[0].momentum"], "\(refused)")
        #expect(refused.first?.message == "'momentum' is searched only when optimizer is sgd, and this configuration sets optimizer to adam; remove 'momentum', or set optimizer to one of those")
        // Its condition met, or its parent left to the sampler: nothing to refuse.
        #expect(spec(#"[{"optimizer": "sgd", "momentum": 0.9}, {"momentum": 0.5}]"#).isEmpty)
    }

    @Test func aGrownGridKeepsItsTrialsAndAddsTheNewCombinations() async throws {
        func grid(_ rates: String) throws -> SweepSpec {
            try SweepFixtures.spec("""
                {"name": "growing", "data": "\(SweepFixtures.smallData)", "seed": 2,
                 "fixed": {"hidden_layers": [8], "epochs": 2},
                 "parameters": {"lr": {"values": [\(rates)]}, "optimizer": {"values": ["sgd", "adam"]}}}
                """)
        }
        let store = MemoryResultStore()
        let small = try grid("0.01, 0.1")
        let first = try await run(small, store: store, jobs: 2)
        let grown = try grid("0.01, 0.05, 0.1")
        #expect(grown.change(from: small.canonicalJSON) == .grown)
        let second = try await run(grown, store: store, jobs: 2)

        #expect(second.trialsRun == 2)
        #expect(second.trials.count == 6)
        // The old trials are untouched...
        #expect(Array(second.trials.prefix(4)) == first.trials)
        // ...and the new ones are the new value's combinations, numbered after them.
        #expect(second.trials.suffix(2).map { $0.plan.parameters.canonicalText } == [
            #"{"lr":0.05,"optimizer":"sgd"}"#, #"{"lr":0.05,"optimizer":"adam"}"#,
        ])
        #expect(try store.sweep(named: "growing")?.specJSON == grown.canonicalJSON)
        #expect(try store.sweep(named: "growing")?.status == .complete)
    }

    @Test func aRandomSweepGrownInTwoStepsIsTheSweepRunInOne() async throws {
        let store = MemoryResultStore()
        _ = try await run(try SweepFixtures.spec(Self.randomSpec(trials: 4)), store: store, jobs: 2)
        let grown = try await run(try SweepFixtures.spec(Self.randomSpec(trials: 9)), store: store, jobs: 2)
        let whole = try await run(try SweepFixtures.spec(Self.randomSpec(trials: 9)), jobs: 2)
        #expect(grown.trialsRun == 5)
        #expect(outcomes(grown.trials) == outcomes(whole.trials))
    }

    @Test func aBudgetStopsTheRunAndTheNextRunContinuesTheSameSweep() async throws {
        let spec = try SweepFixtures.spec(Self.randomSpec(trials: 10))
        let store = MemoryResultStore()
        let first = try await run(spec, store: store, jobs: 2, budget: 4)
        #expect(first.trials.count == 4)
        #expect(first.remainingTrials == 6)
        #expect(!first.interrupted)
        #expect(try store.sweep(named: spec.name)?.status == .interrupted)

        let log = SweepEventLog()
        let second = try await run(spec, store: store, jobs: 2, log: log)
        #expect(log.planned?.toRun == 6)
        #expect(second.remainingTrials == 0)
        #expect(try store.sweep(named: spec.name)?.status == .complete)
        let whole = try await run(spec, jobs: 1)
        #expect(outcomes(second.trials) == outcomes(whole.trials))
    }

    @Test func aProposalThatCannotTrainIsAFailedTrialNotAFailedSweep() async throws {
        // Nesterov momentum needs a momentum above zero. The spec's range excludes 0, so only a
        // sampler that strays (here on purpose, for trial 2) can propose it.
        let spec = try SweepFixtures.spec("""
            {"name": "combined", "data": "\(SweepFixtures.smallData)", "method": "random", "trials": 3, "seed": 1,
             "fixed": {"hidden_layers": [4], "epochs": 1, "optimizer": {"name": "sgd", "nesterov": true, "momentum": 0.5}},
             "parameters": {"momentum": {"distribution": "uniform", "min": 0.1, "max": 0.9}}}
            """).with(sampler: StrayingSampler())
        let summary = try await run(spec, jobs: 1)
        #expect(summary.trials.map(\.status) == [.complete, .failed, .complete])
        #expect(summary.trials[1].errorMessage?.contains("momentum") == true, "\(summary.trials[1].errorMessage ?? "")")
        #expect(summary.trials[1].plan.parameters == .object(["momentum": .number(0)]))
    }
}

/// Proposes momentum 0.5, except 0 for trial 2.
struct StrayingSampler: Sampler {
    var learnsFromResults: Bool { false }
    func propose(trial number: Int, seed: UInt64, history: SearchHistory) -> SearchPoint? {
        ["momentum": number == 2 ? 0 : 0.5]
    }
}

/// Records what each proposal was given, and proposes random points.
final class SpySampler: Sampler, @unchecked Sendable {
    struct Proposal: Sendable {
        var number: Int
        var finished: Set<Int>
        var order: [Int]
        var takenCount: Int
    }

    private let recorded = Mutex<[Proposal]>([])
    var learnsFromResults: Bool { true }

    var proposals: [Proposal] { recorded.withLock { $0 }.sorted { $0.number < $1.number } }

    func propose(trial number: Int, seed: UInt64, history: SearchHistory) -> SearchPoint? {
        recorded.withLock {
            $0.append(Proposal(
                number: number, finished: Set(history.finished.map(\.number)), order: history.finished.map(\.number),
                takenCount: history.taken.count))
        }
        return ["lr": 0.001 * Double(number), "optimizer": Double(number % 2)]
    }
}

extension SweepSpec {
    /// The same spec with another sampler, to watch what the scheduler gives it.
    func with(sampler: any Sampler) -> SweepSpec {
        SweepSpec(
            name: name, data: data, method: method, trials: trials, seed: seed, metric: metric, fixed: fixed, space: space,
            lag: lag, tpe: tpe, enqueued: enqueued, repeats: repeats, sampler: sampler, metricIsDefault: metricIsDefault, pruner: pruner,
            canonicalJSON: canonicalJSON, dataJSON: dataJSON)
    }
}

/// A proposal too large for the machine's memory fails as a trial, with what it needs.
@Suite struct MemoryCheckedTrialTests {
    /// Proposes two hidden layers of 200,000 units (80 billion weights) for trial 2.
    struct HugeSampler: Sampler {
        var learnsFromResults: Bool { false }
        func propose(trial number: Int, seed: UInt64, history: SearchHistory) -> SearchPoint? {
            ["hidden_layers.depth": 1, "hidden_layers.width_1": number == 2 ? 200_000 : 8, "hidden_layers.width_2": number == 2 ? 200_000 : 8]
        }
    }

    @Test func aTrialThatCannotFitInMemoryFailsAndTheOthersTrain() async throws {
        let spec = try SweepFixtures.spec("""
            {"name": "huge", "data": "\(SweepFixtures.smallData)", "method": "random", "trials": 3, "seed": 1,
             "fixed": {"epochs": 1},
             "parameters": {"hidden_layers": {"depth": {"values": [1, 2]}, "width": {"distribution": "int_log_uniform", "min": 8, "max": 200000}}}}
            """).with(sampler: HugeSampler())
        let summary = try await SweepScheduler(
            spec: spec, data: try PreparedData.load(spec.data), store: MemoryResultStore(), options: SweepRunOptions(jobs: 2),
            stop: StopSignal()
        ).run()
        #expect(summary.trials.map(\.status) == [.complete, .failed, .complete])
        let message = summary.trials[1].errorMessage ?? ""
        #expect(message.contains("needs about") && message.contains("of memory"), "\(message)")
    }
}
