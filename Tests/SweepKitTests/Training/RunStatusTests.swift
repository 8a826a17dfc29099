import Foundation
import Testing
@testable import SweepKit

/// How a run ends when it does not simply run out of epochs: divergence and interruption.
@Suite struct RunStatusTests {
    /// ReLU with plain SGD at lr 1000 and no batch norm: the first updates multiply the weights
    /// by hundreds, the logits overflow Float and the loss turns NaN/inf within the first epoch
    /// (measured: epoch 1).
    static let divergingConfiguration =
        #"{"data": "\#(smallPhoneSource)", "hidden_layers": [16], "activation": "relu", "optimizer": "sgd", "lr": 1000, "epochs": 5, "batch_size": 32}"#

    @Test func hugeLearningRateEndsAsDivergedWithoutAModel() throws {
        let batches = BatchCounter()
        let result = try train(Self.divergingConfiguration, observe: batches.observe)

        #expect(result.status == .diverged)
        let divergedEpoch = try #require(result.divergedEpoch)
        #expect((1...5).contains(divergedEpoch))
        #expect(result.model == nil)
        #expect(result.validation == nil)
        #expect(result.test == nil)
        // The run stops at the divergence: nothing is trained or recorded after that epoch.
        #expect(batches.events.allSatisfy { $0.epoch <= divergedEpoch })
        #expect(result.epochs.allSatisfy { $0.epoch <= divergedEpoch })
        #expect(result.epochs.allSatisfy { $0.trainLoss.isFinite })
    }

    @Test func sameNetworkAtAModestRateCompletes() throws {
        // The control for the test above: only the learning rate differs.
        let json = Self.divergingConfiguration.replacingOccurrences(of: #""lr": 1000"#, with: #""lr": 0.01"#)
        let result = try train(json)

        #expect(result.status == .complete)
        #expect(result.divergedEpoch == nil)
        #expect(result.epochs.count == 5)
        #expect(result.model != nil)
    }

    @Test func regressionWithHugeLearningRateDivergesToo() throws {
        let result = try train(
            #"{"data": {"source": "\#(smallPhoneSource)", "task": "regression"}, "hidden_layers": [16], "optimizer": "sgd", "lr": 1000, "epochs": 5}"#)

        #expect(result.status == .diverged)
        #expect(result.divergedEpoch != nil)
        #expect(result.model == nil)
    }

    @Test func shouldStopAnsweringTrueEndsTheRunAsInterrupted() throws {
        // 280 training rows in batches of 32: 9 batches per epoch (the last one of 24 rows).
        // Stopping when asked for the 13th time lets epoch 1 and 3 batches of epoch 2 run.
        var questions = 0
        let batches = BatchCounter()
        let result = try train(
            #"{"data": "\#(smallPhoneSource)", "hidden_layers": [8], "epochs": 5, "batch_size": 32}"#,
            observe: batches.observe,
            shouldStop: {
                questions += 1
                return questions > 12
            })

        #expect(result.status == .interrupted)
        #expect(questions == 13)
        #expect(batches.events.count == 12)
        #expect(result.epochs.map(\.epoch) == [1])
        #expect(result.model == nil)
        #expect(result.validation == nil)
        #expect(result.test == nil)
        #expect(result.divergedEpoch == nil)
    }

    @Test func stopRequestedBeforeTheFirstBatchTrainsNothing() throws {
        let batches = BatchCounter()
        let result = try train(
            #"{"data": "\#(smallPhoneSource)", "hidden_layers": [8], "epochs": 5}"#,
            observe: batches.observe, shouldStop: { true })

        #expect(result.status == .interrupted)
        #expect(batches.events.isEmpty)
        #expect(result.epochs.isEmpty)
        #expect(result.model == nil)
    }

    @Test func interruptionDuringTheFirstFoldSkipsTheOtherFolds() throws {
        // 3 folds of the 320 non-test rows: fold 1 trains on 212 of them, 7 batches of 32 an epoch.
        var questions = 0
        let batches = BatchCounter()
        let result = try train(
            #"{"data": {"source": "\#(smallPhoneSource)", "folds": 3}, "hidden_layers": [8], "epochs": 2}"#,
            observe: batches.observe,
            shouldStop: {
                questions += 1
                return questions > 3
            })

        #expect(result.status == .interrupted)
        #expect(batches.events.count == 3)
        #expect(batches.events.allSatisfy { $0.fold == 1 })
        #expect(result.epochs.isEmpty)
        #expect(result.model == nil)
    }
}
