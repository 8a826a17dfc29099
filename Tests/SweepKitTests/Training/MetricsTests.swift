import Datasets
import NeuralNet
import Testing
@testable import SweepKit

/// Accuracy, RMSE and MAE as the accumulator sums them batch by batch.
@Suite struct MetricsTests {
    /// The predicted class is the first largest score, as torch.argmax picks it; a NaN score
    /// never wins.
    @Test func multiclassAccuracyTakesTheFirstLargestScore() throws {
        var metrics = MetricAccumulator(task: .multiclass, outputsAreProbabilities: false)
        let scores = try Matrix([
            [0.1, 0.7, 0.2],  // class 1
            [0.5, 0.5, 0.1],  // a tie: class 0
            [0.2, 0.3, 0.3],  // a tie: class 1
            [-1, -3, -2],  // class 0
            [.nan, 2, 1],  // class 0: nothing beats a NaN in front
            [0, .nan, 1],  // class 2
        ])
        let labels = try Matrix(rows: 6, columns: 1, values: [1, 1, 2, 0, 1, 2])
        metrics.add(output: scores, targets: labels, loss: 0.5)

        // Right: rows 1, 4 and 6.
        let evaluation = metrics.evaluation
        let expected: Double = 3.0 / 6.0
        #expect(evaluation.accuracy == expected)
        #expect(evaluation.loss == 0.5)
    }

    /// An ordinal output's K − 1 threshold logits predict the most probable class, P(0) = 1 − σ(z₀),
    /// P(k) = σ(z_{k−1}) − σ(z_k), P(K−1) = σ(z_{K−2}): not the largest logit.
    @Test func ordinalAccuracyTakesTheMostProbableClassFromTheThresholdLogits() throws {
        var metrics = MetricAccumulator(task: .multiclass, outputsAreProbabilities: false, ordinal: true)
        let logits = try Matrix([
            [-3, -4, -5],  // P = [0.953, 0.029, 0.011, 0.007]: class 0
            [3, -3, -4],  // P = [0.047, 0.905, 0.029, 0.018]: class 1
            [4, 3, -3],  // P = [0.018, 0.029, 0.905, 0.047]: class 2
            [5, 4, 3],  // P = [0.007, 0.011, 0.029, 0.953]: class 3
            [0.5, 0.2, 0.1],  // P = [0.378, 0.073, 0.025, 0.525]: class 3, though z₀ is the largest
        ])
        let labels = try Matrix(rows: 5, columns: 1, values: [0, 1, 2, 3, 0])
        metrics.add(output: logits, targets: labels, loss: 0)

        // Rows 1-4 right. Taking the largest logit would say class 0 everywhere: 2 of 5.
        #expect(metrics.evaluation.accuracy == 4.0 / 5.0)
    }

    @Test func accuracyAndLossAreAveragedOverRowsAcrossBatches() throws {
        var metrics = MetricAccumulator(task: .multiclass, outputsAreProbabilities: false)
        metrics.add(output: try Matrix([[1, 0], [0, 1]]), targets: try Matrix(rows: 2, columns: 1, values: [0, 0]), loss: 1)
        metrics.add(output: try Matrix([[1, 0]]), targets: try Matrix(rows: 1, columns: 1, values: [0]), loss: 4)

        let accuracy: Double = 2.0 / 3.0, loss: Double = (1 * 2 + 4 * 1) / 3.0
        #expect(metrics.evaluation.accuracy == accuracy)
        #expect(metrics.evaluation.loss == loss)
    }

    @Test(arguments: [(false, Float(0)), (true, 0.5)])
    func binaryPredictsClassOneAboveTheThreshold(probabilities: Bool, threshold: Float) throws {
        var metrics = MetricAccumulator(task: .binary, outputsAreProbabilities: probabilities)
        let values: [Float] = [threshold + 0.1, threshold, threshold - 0.1, threshold + 0.2]
        let outputs = try Matrix(rows: 4, columns: 1, values: values)
        metrics.add(output: outputs, targets: try Matrix(rows: 4, columns: 1, values: [1, 0, 0, 0]), loss: 0)

        let accuracy: Double = 3.0 / 4.0
        #expect(metrics.evaluation.accuracy == accuracy)
    }

    @Test func regressionReportsRootMeanSquaredAndMeanAbsoluteError() throws {
        var metrics = MetricAccumulator(task: .regression, outputsAreProbabilities: false)
        metrics.add(output: try Matrix(rows: 2, columns: 1, values: [1, 5]), targets: try Matrix(rows: 2, columns: 1, values: [4, 1]), loss: 0)

        // Errors 3 and 4: RMSE √((9 + 16)/2), MAE 3.5.
        let rmse: Double = (12.5 as Double).squareRoot()
        #expect(metrics.evaluation.rmse == rmse)
        #expect(metrics.evaluation.mae == 3.5)
    }
}
