import Foundation
import Testing
@testable import SweepKit

/// `repeats`: each configuration trained with several seeds, times its folds.
@Suite struct RepeatsTests {
    static func spec(repeats: Int, folds: Int? = 2) -> String {
        let data = folds.map { #"{"source": "\#(SweepFixtures.smallData)", "folds": \#($0)}"# } ?? #""\#(SweepFixtures.smallData)""#
        return """
            {"name": "repeats", "data": \(data), "seed": 6, "repeats": \(repeats),
             "fixed": {"hidden_layers": [8], "epochs": 2, "dropout": 0.2},
             "parameters": {"lr": {"values": [0.01, 0.05]}}}
            """
    }

    private func run(_ text: String) async throws -> (SweepSpec, MemoryResultStore, SweepRunSummary) {
        let spec = try SweepFixtures.spec(text)
        let store = MemoryResultStore()
        let summary = try await SweepScheduler(
            spec: spec, data: try PreparedData.load(spec.data), store: store, options: SweepRunOptions(jobs: 2),
            stop: StopSignal()
        ).run()
        return (spec, store, summary)
    }

    @Test func eachFoldIsTrainedOncePerRepeatAndTheMetricIsTheirMean() async throws {
        let (spec, store, summary) = try await run(Self.spec(repeats: 3))
        for trial in summary.trials {
            #expect(trial.status == .complete)
            // 3 repeats × 2 folds scoring fits, then the final fit (fold 0).
            #expect(trial.foldMetrics.count == 6)
            let accuracies = trial.foldMetrics.compactMap { $0[MetricName.validationAccuracy.rawValue] }
            #expect(accuracies.count == 6)
            let mean = accuracies.reduce(0, +) / 6
            #expect(abs((trial.metrics[MetricName.validationAccuracy.rawValue] ?? .nan) - mean) < 1e-12)
            let folds = try store.epochs(sweep: spec.name, trial: trial.number).map(\.fold)
            #expect(Set(folds) == [0, 1, 2, 3, 4, 5, 6])
        }
    }

    @Test func repeatsOfEveryTrialShareTheirSeedsSoThatComparisonsArePaired() async throws {
        let (_, _, summary) = try await run(Self.spec(repeats: 2))
        #expect(Set(summary.trials.map(\.plan.seed)).count == 1)
        // Without repeats, each trial has a seed of its own.
        let (_, _, single) = try await run(Self.spec(repeats: 1))
        #expect(Set(single.trials.map(\.plan.seed)).count == 2)
        #expect(single.trials.allSatisfy { $0.foldMetrics.count == 2 })
    }

    @Test func theFirstRepeatTrainsAsATrialWithoutRepeatsOfTheSameSeed() throws {
        let spec = try SweepFixtures.spec(Self.spec(repeats: 2))
        let data = try PreparedData.load(spec.data)
        var configuration = try #require(spec.previewPlans().first?.configuration)
        let repeated = try Trainer(configuration: configuration, data: data)
        configuration.repeats = nil
        let single = try Trainer(configuration: configuration, data: data)
        // Fits 0 and 1 are repeat 1's two folds in both; repeat 2's differ (another seed).
        #expect(try repeated.fit(0).epochs.map(\.trainLoss) == single.fit(0).epochs.map(\.trainLoss))
        #expect(try repeated.fit(1).epochs.map(\.trainLoss) == single.fit(1).epochs.map(\.trainLoss))
        #expect(try repeated.fit(2).epochs.map(\.trainLoss) != single.fit(0).epochs.map(\.trainLoss))
    }

    @Test func repeatsOnOneValidationSplitAverageTheSeeds() async throws {
        let (_, _, summary) = try await run(Self.spec(repeats: 3, folds: nil))
        for trial in summary.trials {
            #expect(trial.foldMetrics.count == 3)
            #expect(trial.metrics[MetricName.testAccuracy.rawValue] != nil)
        }
    }

    @Test func repeatsAreASpecSettingNotAParameter() {
        #expect(SweepFixtures.problems(Self.spec(repeats: 0)).contains { $0.path == "$.repeats" })
        let searched = SweepFixtures.problems(#"{"name": "r", "data": "builtin:phone-price", "parameters": {"repeats": {"values": [1, 2]}}}"#)
        #expect(searched.contains { $0.path == "$.parameters.repeats" && $0.message.contains("top level") }, "\(searched)")
    }
}
