import Datasets
import Foundation
import NeuralNet
import Testing
@testable import SweepKit

/// The loss must fit the task; a mismatch is refused before any training, with the allowed
/// losses named.
@Suite struct LossTaskTests {
    static func trainer(_ json: String) throws -> Trainer {
        let parsed = try configuration(json)
        return try Trainer(configuration: parsed, data: try PreparedData.load(parsed.data))
    }

    static func trainingError(_ json: String) -> TrainingError? {
        do {
            _ = try trainer(json)
            return nil
        } catch {
            return error as? TrainingError
        }
    }

    @Test func crossEntropyOnARegressionTargetIsRefused() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write(SyntheticTable.regressionCSV(), named: "regression.csv")
        let error = try #require(Self.trainingError(#"{"data": "\#(path)", "loss": "cross_entropy"}"#))

        #expect(error == .lossDoesNotFitTask(loss: .crossEntropy, task: .regression, allowed: [.mse, .l1, .smoothL1]))
        #expect(error.description == "loss 'cross_entropy' does not fit a regression task; use one of mse, l1, smooth_l1")
    }

    @Test func mseOnAClassificationTargetIsRefused() throws {
        let error = try #require(Self.trainingError(#"{"data": "\#(smallPhoneSource)", "loss": "mse"}"#))

        #expect(error == .lossDoesNotFitTask(loss: .mse, task: .multiclass, allowed: [.crossEntropy, .ordinal]))
        #expect(error.description.contains("does not fit a multiclass task; use one of cross_entropy, ordinal"))
    }

    @Test func binaryLossesOnAMulticlassTargetAreRefused() throws {
        let error = try #require(Self.trainingError(#"{"data": "\#(smallPhoneSource)", "loss": "bce"}"#))

        #expect(error == .lossDoesNotFitTask(loss: .binaryCrossEntropy, task: .multiclass, allowed: [.crossEntropy, .ordinal]))
    }

    @Test func crossEntropyOnABinaryTargetIsRefused() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write(SyntheticTable.binaryCSV(), named: "binary.csv")
        let error = try #require(Self.trainingError(#"{"data": "\#(path)", "loss": "cross_entropy"}"#))

        #expect(error == .lossDoesNotFitTask(
            loss: .crossEntropy, task: .binary, allowed: [.binaryCrossEntropyWithLogits, .binaryCrossEntropy]))
        #expect(error.description.contains("use one of bce_with_logits, bce"))
    }

    /// Ordered classes need three or more of them; two are a binary task, whose own losses fit.
    @Test func theOrdinalLossOnABinaryOrRegressionTargetIsRefused() throws {
        let directory = try TemporaryDirectory()
        let binary = try directory.write(SyntheticTable.binaryCSV(), named: "binary.csv")
        let regression = try directory.write(SyntheticTable.regressionCSV(), named: "regression.csv")

        #expect(Self.trainingError(#"{"data": "\#(binary)", "loss": "ordinal"}"#) == .lossDoesNotFitTask(
            loss: .ordinal, task: .binary, allowed: [.binaryCrossEntropyWithLogits, .binaryCrossEntropy]))
        #expect(Self.trainingError(#"{"data": "\#(regression)", "loss": "ordinal"}"#) == .lossDoesNotFitTask(
            loss: .ordinal, task: .regression, allowed: [.mse, .l1, .smoothL1]))
    }

    /// The ordinal loss builds one score and K − 1 thresholds instead of K outputs: a linear
    /// model of the 20 phone features has 20 + 1 + 3 parameters, not 21 · 4. On the price
    /// classes, which are in order, it learns well.
    @Test func theOrdinalLossTrainsAnOrdinalOutputOnThePriceClasses() throws {
        let trainer = try Self.trainer(
            #"{"data": "\#(smallPhoneSource)", "loss": "ordinal", "hidden_layers": [], "optimizer": "adam", "lr": 0.05, "epochs": 60}"#)
        let network = trainer.networkDescription
        #expect(network.output == .ordinal && network.outputWidth == 4)
        #expect(try Network(network, seed: 1).parameterCount == 24)

        let result = try trainer.run()
        #expect(result.status == .complete)
        let model = try #require(result.model)
        #expect(model.tensors.map(\.name) == ["0.weight", "0.bias", "1.bias"])
        #expect(try #require(result.test?.accuracy) > 0.85)
    }

    @Test(arguments: ["mse", "l1", "smooth_l1"])
    func everyRegressionLossTrainsARegressionTarget(loss: String) throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write(SyntheticTable.regressionCSV(), named: "regression.csv")
        let trainer = try Self.trainer(#"{"data": "\#(path)", "loss": "\#(loss)", "hidden_layers": [8], "lr": 0.01, "epochs": 30}"#)
        let result = try trainer.run()

        #expect(trainer.loss.rawValue == loss)
        #expect(result.status == .complete)
        // The target's spread is about 2.24; any of the three losses gets well under it.
        #expect(try #require(result.test?.rmse) < 1)
    }

    @Test func eachTaskGetsItsDefaultLoss() throws {
        let directory = try TemporaryDirectory()
        let binary = try directory.write(SyntheticTable.binaryCSV(), named: "binary.csv")
        let regression = try directory.write(SyntheticTable.regressionCSV(), named: "regression.csv")

        #expect(try Self.trainer(#"{"data": "\#(smallPhoneSource)"}"#).loss == .crossEntropy)
        #expect(try Self.trainer(#"{"data": "\#(binary)"}"#).loss == .binaryCrossEntropyWithLogits)
        #expect(try Self.trainer(#"{"data": "\#(regression)"}"#).loss == .mse)
    }

    @Test func requestedRegressionOnWholeNumberClassesUsesMSE() throws {
        // price_range holds 0…3 and would be inferred as multiclass; asking for regression
        // treats it as a quantity instead.
        let trainer = try Self.trainer(#"{"data": {"source": "\#(smallPhoneSource)", "task": "regression"}}"#)

        #expect(trainer.data.task == .regression)
        #expect(trainer.loss == .mse)
        #expect(trainer.networkDescription.outputWidth == 1)
        #expect(trainer.networkDescription.output == .identity)
    }
}
