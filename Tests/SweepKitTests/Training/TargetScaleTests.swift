import Datasets
import NeuralNet
import Foundation
import Testing
@testable import SweepKit

/// A regression target learnt as z-scores of its training rows, reported in its own units.
@Suite struct TargetScaleTests {
    @Test func theScaleIsTheTrainingRowsMeanAndPopulationDeviation() {
        // Rows 0, 1 and 3: 100, 200, 300: mean 200, σ = √(20000/3) = 81.6497.
        let scale = TargetScale(fitting: [100, 200, 999, 300], rows: [0, 1, 3])
        #expect(scale.mean == 200)
        #expect(abs(Double(scale.standardDeviation) - 81.6497) < 1e-4)
        #expect(abs(scale.standardized(300) - 1.224745) < 1e-5)
        #expect(abs(scale.restored(scale.standardized(123)) - 123) < 1e-4)
        // A constant target keeps σ = 1 rather than dividing by zero.
        #expect(TargetScale(fitting: [5, 5], rows: [0, 1]).standardDeviation == 1)
    }

    /// Targets a, a, −a near the largest Float: t − μ overflowed; their z-scores are 1/√2 and −√2.
    @Test func targetsNearTheLargestFloatGetTheirZScores() {
        let a: Float = 3.3e38
        let scale = TargetScale(fitting: [a, a, -a], rows: [0, 1, 2])
        #expect(abs(scale.standardized(a) - 1 / Float(2).squareRoot()) < 1e-5)
        #expect(abs(scale.standardized(-a) + Float(2).squareRoot()) < 1e-5)
    }

    /// y = 150 + 80·x1 − 40·x2 + noise: a target in the hundreds, like a progression score.
    static func table() -> Dataset {
        var features: [Float] = [], targets: [Float] = []
        var generator = SplitMix64(seed: 3)
        for _ in 0..<400 {
            let a = Float(generator.nextUnitDouble() * 2 - 1), b = Float(generator.nextUnitDouble() * 2 - 1)
            features += [a, b]
            targets.append(150 + 80 * a - 40 * b + Float(generator.nextStandardNormal()) * 5)
        }
        return Dataset(featureNames: ["x1", "x2"], targetName: "progression", features: features, targets: targets, source: "table")
    }

    private func run(standardizeTarget: Bool?) throws -> (TrainingResult, PreparedData) {
        var data = DataConfiguration()
        data.standardizeTarget = standardizeTarget
        let prepared = try PreparedData.prepare(Self.table(), data)
        var configuration = TrainingConfiguration()
        configuration.data = data
        configuration.hiddenLayers = [16]
        configuration.epochs = 30
        configuration.optimizer = OptimizerConfiguration(kind: .adam, learningRate: 0.01)
        configuration.seed = 1
        return (try Trainer(configuration: configuration, data: prepared).run(), prepared)
    }

    @Test func aStandardisedTargetIsLearntFarBetterAndReportedInItsUnits() throws {
        let (scaled, data) = try run(standardizeTarget: nil)
        let (raw, rawData) = try run(standardizeTarget: false)
        #expect(data.folds[0].targetScale != nil && rawData.folds[0].targetScale == nil)
        let scaledRMSE = try #require(scaled.test?.rmse), rawRMSE = try #require(raw.test?.rmse)
        // The noise is 5; the target's spread about 53. Learnt as z-scores, 30 epochs of Adam at
        // 0.01 get close to the noise; on the raw scale they are still far from the mean.
        #expect(scaledRMSE < 10, "\(scaledRMSE)")
        #expect(rawRMSE > 2 * scaledRMSE, "raw \(rawRMSE), scaled \(scaledRMSE)")

        // The reported RMSE is the model's, in the target's units: recomputed here from the
        // exported model's predictions on the test rows.
        let model = try #require(scaled.model)
        #expect(model.targetScale == data.folds[0].targetScale)
        let network = try model.makeNetwork()
        let test = data.folds[0].test
        let output = try network.forward(try Matrix(rows: test.rowCount, columns: 2, values: test.features))
        var squared = 0.0
        for row in 0..<test.rowCount {
            let error = Double(model.prediction(fromOutput: output.pointer[row]) - test.targets[row])
            squared += error * error
        }
        #expect(abs((squared / Double(test.rowCount)).squareRoot() - scaledRMSE) < 1e-3)
    }

    @Test func aClassificationTargetIsNeverScaled() throws {
        let data = try PreparedData.load(DataConfiguration())
        #expect(data.folds.allSatisfy { $0.targetScale == nil })
    }
}
