import Foundation
import Testing
@testable import SweepKit

/// The learning-rate schedule is stepped once per epoch and what it gives reaches the optimizer.
@Suite struct ScheduleTests {
    @Test func epochRecordsFollowStepLR() throws {
        let result = try train(
            #"{"data": "\#(smallPhoneSource)", "hidden_layers": [4], "optimizer": "sgd", "lr": 0.1, "schedule": {"name": "step", "step_size": 2, "gamma": 0.5}, "epochs": 5}"#)

        // StepLR: η₀·γ^⌊(epoch − 1)/2⌋ with η₀ the Float lr 0.1 widened to Double; halving is
        // exact, so the records compare with ==.
        let base = Double(Float(0.1))
        #expect(result.epochs.map(\.learningRate) == [base, base, base / 2, base / 2, base / 4])
    }

    @Test func epochRecordsFollowCosineAnnealing() throws {
        let result = try train(
            #"{"data": "\#(smallPhoneSource)", "hidden_layers": [4], "lr": 0.01, "schedule": {"name": "cosine", "T_max": 4}, "epochs": 5}"#)

        // CosineAnnealingLR with η_min 0: η₀·(1 + cos(π·e/4))/2 for e = 0…4.
        let base = Double(Float(0.01))
        let expected = (0..<5).map { base * (1 + cos(Double.pi * Double($0) / 4)) / 2 }
        for (record, rate) in zip(result.epochs, expected) {
            #expect(abs(record.learningRate - rate) <= 1e-15)
        }
        #expect(result.epochs.count == 5)
    }

    @Test func unscheduledRunKeepsTheOptimizersDefaultRate() throws {
        let result = try train(#"{"data": "\#(smallPhoneSource)", "hidden_layers": [4], "optimizer": "adam", "epochs": 3}"#)

        // PyTorch's Adam default lr is 1e-3, held as a Float.
        #expect(result.epochs.map(\.learningRate) == Array(repeating: Double(Float(0.001)), count: 3))
    }

    @Test func scheduledRateReachesTheOptimizer() throws {
        // From the second epoch on the rate is 0.1·1e-300, which rounds to 0 as a Float: SGD then
        // leaves every weight unchanged, so without batch norm or dropout the validation loss
        // stays bit-equal to epoch 1's, while an unscheduled run keeps moving.
        let scheduled = try train(
            #"{"data": "\#(smallPhoneSource)", "hidden_layers": [8], "optimizer": "sgd", "lr": 0.1, "schedule": {"name": "multistep", "milestones": [1], "gamma": 1e-300}, "epochs": 3}"#)
        let unscheduled = try train(
            #"{"data": "\#(smallPhoneSource)", "hidden_layers": [8], "optimizer": "sgd", "lr": 0.1, "epochs": 3}"#)

        let frozen = scheduled.epochs.map(\.validationLoss)
        #expect(frozen.count == 3)
        #expect(frozen[1] == frozen[0])
        #expect(frozen[2] == frozen[0])
        // Both runs share epoch 1 exactly (same seed, same rate), then part ways.
        #expect(unscheduled.epochs[0].validationLoss == frozen[0])
        #expect(unscheduled.epochs[1].validationLoss != frozen[1])
    }
}
