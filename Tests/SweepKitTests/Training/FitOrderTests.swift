import Foundation
import NeuralNet
import Testing
@testable import SweepKit

/// A configuration's fits (folds, then the final fit) are independent, so a sweep may train them
/// in any order and on any worker; `Trainer.result(of:seconds:)` must then give what `run` gives.
@Suite struct FitOrderTests {
    static let threeFolds =
        #"{"data": {"source": "\#(smallPhoneSource)", "folds": 3}, "hidden_layers": [8], "lr": 0.01, "epochs": 3, "dropout": 0.2}"#

    private func trainer(_ json: String) throws -> Trainer {
        let parsed = try configuration(json)
        return try Trainer(configuration: parsed, data: try PreparedData.load(parsed.data))
    }

    @Test func fitsTrainedLastToFirstCombineToTheSequentialResult() throws {
        let trainer = try trainer(Self.threeFolds)
        #expect(trainer.fitCount == 4)
        let sequential = try trainer.run()

        var outcomes = [FoldOutcome?](repeating: nil, count: trainer.fitCount)
        for index in outcomes.indices.reversed() { outcomes[index] = try trainer.fit(index) }
        let combined = trainer.result(of: outcomes, seconds: 0)

        #expect(combined.status == .complete)
        #expect(withoutTimings(combined.epochs) == withoutTimings(sequential.epochs))
        #expect(combined.epochs.map(\.fold) == [1, 1, 1, 2, 2, 2, 3, 3, 3, 0, 0, 0])
        #expect(combined.validation == sequential.validation)
        #expect(combined.bestValidationMetric == sequential.bestValidationMetric)
        #expect(combined.test == sequential.test)
        #expect(combined.model?.tensors == sequential.model?.tensors)
        #expect(combined.model != nil)
    }

    @Test func aFitNotStartedCountsAsInterruptedAndDropsTheModel() throws {
        let trainer = try trainer(Self.threeFolds)
        var outcomes = [FoldOutcome?](repeating: nil, count: trainer.fitCount)
        outcomes[0] = try trainer.fit(0)
        outcomes[2] = try trainer.fit(2)
        let result = trainer.result(of: outcomes, seconds: 0)

        #expect(result.status == .interrupted)
        // Fold 1's epochs, then nothing: fold 2 never started, and fold 3 comes after it.
        #expect(result.epochs.map(\.fold) == [1, 1, 1])
        #expect(result.model == nil)
        #expect(result.test == nil)

        // Every fold there but not the final fit: still interrupted, as `run` stopped before it.
        outcomes[1] = try trainer.fit(1)
        let withoutFinal = trainer.result(of: outcomes, seconds: 0)
        #expect(withoutFinal.status == .interrupted)
        #expect(withoutFinal.epochs.map(\.fold) == [1, 1, 1, 2, 2, 2, 3, 3, 3])
        #expect(withoutFinal.model == nil)
    }

    @Test func afterADivergedFoldTheLaterFitsNoLongerCount() throws {
        let diverging =
            #"{"data": {"source": "\#(smallPhoneSource)", "folds": 2}, "hidden_layers": [16], "activation": "relu", "optimizer": "sgd", "lr": 1000, "epochs": 5, "batch_size": 32}"#
        let trainer = try trainer(diverging)
        let sequential = try trainer.run()
        #expect(sequential.status == .diverged)

        var outcomes = [FoldOutcome?](repeating: nil, count: trainer.fitCount)
        #expect(trainer.isNeeded(2, given: outcomes))
        outcomes[2] = try trainer.fit(2)
        outcomes[1] = try trainer.fit(1)
        outcomes[0] = try trainer.fit(0)
        #expect(outcomes[0]?.status == .diverged)
        #expect(!trainer.isNeeded(1, given: outcomes))
        #expect(!trainer.isNeeded(2, given: outcomes))

        let combined = trainer.result(of: outcomes, seconds: 0)
        #expect(combined.status == .diverged)
        #expect(combined.divergedEpoch == sequential.divergedEpoch)
        // Only fold 1's epochs, as `run` trains nothing after the divergence.
        #expect(withoutTimings(combined.epochs) == withoutTimings(sequential.epochs))
        #expect(combined.epochs.allSatisfy { $0.fold == 1 })
        #expect(combined.model == nil)
    }
}
