import Foundation
import Testing
@testable import SweepKit

/// With k-fold and early stopping, the final fit on every non-test row has no validation rows to
/// stop on: it trains for the epochs the folds stopped at, not for all of `epochs`.
@Suite struct FinalFitEpochsTests {
    /// The overfitting configuration of `EarlyStoppingTests` (best epoch near 6 of 60), 3 folds.
    static let stopping =
        #"{"data": {"source": "\#(smallPhoneSource)", "folds": 3}, "hidden_layers": [64], "optimizer": "adam", "lr": 0.05, "epochs": 60, "batch_size": 32, "patience": 3}"#

    @Test func theFinalFitTrainsTheMeanOfTheFoldsBestEpochs() throws {
        let parsed = try configuration(Self.stopping)
        let trainer = try Trainer(configuration: parsed, data: try PreparedData.load(parsed.data))
        let folds = try (0..<3).map { try trainer.fit($0) }
        #expect(folds.allSatisfy { $0.status == .complete })
        let bestEpochs = folds.map { $0.bestEpoch ?? 0 }
        // Each fold kept the weights of an epoch well before 60, and stopped 3 epochs after it.
        #expect(bestEpochs.allSatisfy { $0 >= 1 && $0 < 57 })
        let expected = Int((Double(bestEpochs.reduce(0, +)) / 3).rounded())
        #expect(trainer.finalFitEpochs(after: folds + [nil]) == expected)

        let result = try trainer.run()
        #expect(result.epochs.filter { $0.fold == 0 }.count == expected)
    }

    @Test func withoutEarlyStoppingTheFinalFitTrainsEveryEpoch() throws {
        let parsed = try configuration(Self.stopping.replacingOccurrences(of: #", "patience": 3"#, with: "").replacingOccurrences(of: #""epochs": 60"#, with: #""epochs": 5"#))
        let trainer = try Trainer(configuration: parsed, data: try PreparedData.load(parsed.data))
        #expect(!trainer.finalFitFollowsFolds)
        #expect(try trainer.run().epochs.filter { $0.fold == 0 }.count == 5)
    }

    @Test func untilEveryFoldIsInTheFinalFitTrainsTheConfiguredEpochs() throws {
        let parsed = try configuration(Self.stopping)
        let trainer = try Trainer(configuration: parsed, data: try PreparedData.load(parsed.data))
        #expect(trainer.finalFitFollowsFolds)
        #expect(trainer.finalFitEpochs(after: [nil, nil, nil, nil]) == 60)
    }

    @Test func aSweepWorkerHandsOutTheFinalFitOnlyOnceTheFoldsAreDelivered() throws {
        let spec = try SweepFixtures.spec("""
            {"name": "final-waits", "data": {"source": "\(smallPhoneSource)", "folds": 2}, "seed": 4,
             "fixed": {"hidden_layers": [64], "optimizer": "adam", "lr": 0.05, "epochs": 40, "batch_size": 32, "patience": 3},
             "parameters": {"activation": {"values": ["relu"]}}}
            """)
        let plan = try #require(spec.previewPlans().first)
        let work = TrialWork(plan: plan, data: try PreparedData.load(spec.data), startedAt: Date())
        let trainer = try #require(work.trainer)
        func taken(_ take: TrialWork.Take) -> Int? { if case .fit(let index) = take { index } else { nil } }
        func isLater(_ take: TrialWork.Take) -> Bool { if case .later = take { true } else { false } }

        #expect(taken(work.take(stopping: false)) == 0)
        #expect(taken(work.take(stopping: false)) == 1)
        // Fold 2 is still training: the final fit cannot know its length yet.
        #expect(isLater(work.take(stopping: false)))
        #expect(!work.deliver(0, FitResult(outcome: .success(try trainer.fit(0)), seconds: 0, cpuSeconds: 0)))
        #expect(isLater(work.take(stopping: false)))
        let second = try trainer.fit(1)
        #expect(!work.deliver(1, FitResult(outcome: .success(second), seconds: 0, cpuSeconds: 0)))
        #expect(taken(work.take(stopping: false)) == 2)
        let epochs = try #require(work.finalEpochs(for: 2))
        #expect(epochs < 40)
        #expect(work.finalEpochs(for: 0) == nil)
    }
}
