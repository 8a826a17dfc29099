import Foundation
import Testing
@testable import SweepKit

/// How one trial's fits are handed out to workers and when the trial ends (`TrialWork`).
@Suite struct TrialWorkTests {
    private static let spec = Result {
        try SweepFixtures.spec("""
            {"name": "work", "data": {"source": "\(SweepFixtures.smallData)", "folds": 2}, "seed": 4,
             "fixed": {"hidden_layers": [8], "epochs": 2},
             "parameters": {"lr": {"values": [0.01, 1000]}, "optimizer": {"values": ["sgd"]}, "activation": {"values": ["relu"]}}}
            """)
    }
    private static let data = Result { try PreparedData.load(spec.get().data) }

    /// Trial `number` of the spec (1: lr 0.01, trains; 2: lr 1000, diverges).
    private func work(_ number: Int) throws -> TrialWork {
        let plan = try #require(Self.spec.get().previewPlans().first { $0.number == number })
        return TrialWork(plan: plan, data: try Self.data.get(), startedAt: Date())
    }

    private func train(_ work: TrialWork, _ index: Int) throws -> FitResult {
        let trainer = try #require(work.trainer)
        return FitResult(outcome: Result { () throws(TrainingError) in try trainer.fit(index) }, seconds: 0.5, cpuSeconds: 0.5)
    }

    private func fit(_ take: TrialWork.Take) -> Int? {
        if case .fit(let index) = take { index } else { nil }
    }

    private func ended(_ take: TrialWork.Take) -> Bool? {
        if case .none(let ended) = take { ended } else { nil }
    }

    @Test func fitsGoOutInOrderAndTheLastDeliveryEndsTheTrial() throws {
        let work = try work(1)
        // Two folds and the final fit.
        let first = try #require(fit(work.take(stopping: false)))
        let second = try #require(fit(work.take(stopping: false)))
        let third = try #require(fit(work.take(stopping: false)))
        #expect([first, second, third] == [Int]([0, 1, 2]))
        #expect(ended(work.take(stopping: false)) == false)

        // Delivered in any order; only the last one ends the trial.
        #expect(!work.deliver(2, try train(work, 2)))
        #expect(!work.deliver(0, try train(work, 0)))
        #expect(work.deliver(1, try train(work, 1)))
        let outcome = work.outcome()
        #expect(outcome.record.status == .complete)
        #expect(outcome.record.trainSeconds == 1.5)
        #expect(outcome.epochs.count == 6)
        #expect(outcome.model != nil)
    }

    @Test func stoppingSettlesTheFitsNotStartedAndTheTrialIsInterrupted() throws {
        let work = try work(1)
        #expect(fit(work.take(stopping: false)) == 0)
        // Fit 0 is still training, so stopping does not end the trial yet...
        #expect(ended(work.take(stopping: true)) == false)
        // ...its delivery does.
        #expect(work.deliver(0, try train(work, 0)))
        let outcome = work.outcome()
        #expect(outcome.record.status == .interrupted)
        #expect(outcome.epochs.map(\.fold) == [1, 1])
        #expect(outcome.model == nil)

        // With nothing training, the stopping take itself ends the trial.
        let untouched = try self.work(1)
        #expect(ended(untouched.take(stopping: true)) == true)
        #expect(untouched.outcome().record.status == .interrupted)
    }

    @Test func aDivergedFoldSettlesTheFitsAfterIt() throws {
        let work = try work(2)
        #expect(fit(work.take(stopping: false)) == 0)
        #expect(!work.deliver(0, try train(work, 0)))
        // Fold 1 diverged: fold 2 and the final fit no longer count, and taking settles them.
        #expect(ended(work.take(stopping: false)) == true)
        let outcome = work.outcome()
        #expect(outcome.record.status == .diverged)
        #expect(outcome.record.errorMessage?.contains("NaN or infinite") == true)
        #expect(outcome.epochs.allSatisfy { $0.fold == 1 })
    }

    @Test func aFailedFitFailsTheTrialWithItsMessage() throws {
        let work = try work(1)
        #expect(fit(work.take(stopping: false)) == 0)
        #expect(fit(work.take(stopping: false)) == 1)
        let failure = FitResult(outcome: .failure(.noTrainingRows), seconds: 0, cpuSeconds: 0)
        #expect(!work.deliver(0, failure))
        // The final fit is not handed out after a failure; fold 2 (training) still ends it.
        #expect(ended(work.take(stopping: false)) == false)
        #expect(work.deliver(1, try train(work, 1)))
        let outcome = work.outcome()
        #expect(outcome.record.status == .failed)
        #expect(outcome.record.errorMessage == TrainingError.noTrainingRows.description)
        #expect(outcome.epochs.isEmpty)
    }

    @Test func anUnreadableConfigurationEndsTheTrialAsFailedWithNoFits() throws {
        let plan = TrialPlan(number: 7, parameters: .object([:]), configurationJSON: "{not json", seed: 1)
        let work = TrialWork(plan: plan, data: try Self.data.get(), startedAt: Date())
        #expect(work.isEmpty)
        let outcome = work.outcome()
        #expect(outcome.record.status == .failed)
        #expect(outcome.record.errorMessage?.hasPrefix("stored configuration could not be read") == true)
    }
}
