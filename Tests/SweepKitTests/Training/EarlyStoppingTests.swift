import Foundation
import Testing
@testable import SweepKit

/// Early stopping ends a run `patience` epochs after the best one and hands back that epoch's
/// weights, not the last ones.
@Suite struct EarlyStoppingTests {
    /// A [64] network with Adam at lr 0.05 overfits 280 training rows within a few epochs and
    /// its validation loss then wanders upwards (measured: best at epoch 6, stop at epoch 9).
    static let overfittingConfiguration =
        #"{"data": "\#(smallPhoneSource)", "hidden_layers": [64], "optimizer": "adam", "lr": 0.05, "epochs": 60, "batch_size": 32, "patience": 3}"#

    @Test func patienceStopsTheRunPatienceEpochsAfterTheBestValidationLoss() throws {
        let result = try train(Self.overfittingConfiguration)

        #expect(result.status == .complete)
        #expect(result.epochs.count < 60)
        let losses = result.epochs.map { $0.validationLoss ?? .nan }
        let bestIndex = try #require(losses.indices.min { losses[$0] < losses[$1] })
        #expect(result.bestEpoch == bestIndex + 1)
        // Stopped after exactly `patience` (3) epochs without improvement.
        #expect(result.epochs.count == bestIndex + 1 + 3)
    }

    @Test func stoppedRunRestoresTheBestEpochsWeights() throws {
        let parsed = try configuration(Self.overfittingConfiguration)
        let data = try PreparedData.load(parsed.data)
        let trainer = try Trainer(configuration: parsed, data: data)
        let result = try trainer.run()

        let bestEpoch = try #require(result.bestEpoch)
        let best = result.epochs[bestEpoch - 1]
        let last = try #require(result.epochs.last)
        let bestLoss = try #require(best.validationLoss)
        // Without restoring, the final model would be the last epoch's, which is worse.
        #expect(try #require(last.validationLoss) > bestLoss)
        #expect(bestEpoch < last.epoch)
        // The final validation is of the restored weights: bit-equal to the best epoch's record.
        #expect(result.validation?.loss == bestLoss)
        #expect(result.validation?.accuracy == best.validationMetric)
        // And so is the exported model, rebuilt from its tensors.
        let model = try #require(result.model)
        let rebuilt = try model.makeNetwork()
        let fold = try #require(data.folds.first)
        #expect(try trainer.evaluate(rebuilt, on: fold.validation).loss == bestLoss)
    }

    @Test func patienceCanWatchValidationAccuracyInstead() throws {
        let json = Self.overfittingConfiguration.replacingOccurrences(
            of: #""patience": 3"#, with: #""patience": 2, "early_stopping_metric": "validation_accuracy""#)
        let result = try train(json)

        #expect(result.status == .complete)
        let accuracies = result.epochs.map { $0.validationMetric ?? .nan }
        // The first epoch with the highest accuracy: later ties are not improvements.
        let best = try #require(accuracies.max())
        let bestIndex = try #require(accuracies.firstIndex(of: best))
        #expect(result.bestEpoch == bestIndex + 1)
        #expect(result.epochs.count == min(60, bestIndex + 1 + 2))
        #expect(result.validation?.accuracy == best)
    }

    @Test func withoutPatienceEveryEpochRunsAndTheLastWeightsAreKept() throws {
        let json = Self.overfittingConfiguration
            .replacingOccurrences(of: #", "patience": 3"#, with: "")
            .replacingOccurrences(of: #""epochs": 60"#, with: #""epochs": 12"#)
        let result = try train(json)

        #expect(result.epochs.count == 12)
        let last = try #require(result.epochs.last)
        #expect(result.validation?.loss == last.validationLoss)
        // bestEpoch still names the epoch with the best validation accuracy, for reports.
        let accuracies = result.epochs.map { $0.validationMetric ?? .nan }
        let best = try #require(accuracies.max())
        #expect(result.bestEpoch == (try #require(accuracies.firstIndex(of: best))) + 1)
        #expect(result.bestValidationMetric == best)
    }
}
