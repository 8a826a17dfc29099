import Foundation
import Testing
@testable import SweepKit

/// A seed fixes the weights, the batch order and the dropout masks, so a rerun is bit-identical.
@Suite struct ReproducibilityTests {
    static func configuration(seed: Int, dropout: Double = 0) -> String {
        #"{"data": "\#(smallPhoneSource)", "hidden_layers": [16, 8], "lr": 0.01, "epochs": 4, "batch_size": 32, "dropout": \#(dropout), "seed": \#(seed)}"#
    }

    @Test func sameSeedGivesBitIdenticalEpochRecords() throws {
        let first = try train(Self.configuration(seed: 42))
        let second = try train(Self.configuration(seed: 42))

        #expect(first.epochs.count == 4)
        // Every loss and metric, compared with ==, so one flipped bit fails.
        #expect(withoutTimings(first.epochs) == withoutTimings(second.epochs))
        #expect(first.test == second.test)
        #expect(first.model?.tensors == second.model?.tensors)
    }

    @Test func differentSeedGivesDifferentEpochRecords() throws {
        let first = try train(Self.configuration(seed: 42))
        let second = try train(Self.configuration(seed: 43))

        #expect(first.epochs.map(\.trainLoss) != second.epochs.map(\.trainLoss))
        #expect(first.epochs.map(\.validationLoss) != second.epochs.map(\.validationLoss))
        #expect(first.model?.tensors != second.model?.tensors)
    }

    @Test func runWithDropoutIsReproducibleToo() throws {
        let first = try train(Self.configuration(seed: 42, dropout: 0.3))
        let second = try train(Self.configuration(seed: 42, dropout: 0.3))
        let withoutDropout = try train(Self.configuration(seed: 42))

        #expect(withoutTimings(first.epochs) == withoutTimings(second.epochs))
        #expect(first.model?.tensors == second.model?.tensors)
        // The masks really are drawn: the same seed without dropout trains differently.
        #expect(first.epochs.map(\.trainLoss) != withoutDropout.epochs.map(\.trainLoss))
    }

    @Test func batchNormRunIsReproducible() throws {
        let json = #"{"data": "\#(smallPhoneSource)", "hidden_layers": [16], "batch_norm": true, "dropout": 0.2, "lr": 0.01, "epochs": 3, "seed": 9}"#
        let first = try train(json)
        let second = try train(json)

        #expect(first.status == .complete)
        #expect(withoutTimings(first.epochs) == withoutTimings(second.epochs))
        // The running statistics are part of the model and must match as well.
        #expect(first.model?.tensors == second.model?.tensors)
        #expect(first.model?.tensors.contains { $0.name.hasSuffix("running_mean") } == true)
    }
}
