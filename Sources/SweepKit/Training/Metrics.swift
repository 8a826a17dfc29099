import Datasets
import NeuralNet

/// The metrics a run reports, by the names specs and leaderboards use.
public enum MetricName: String, CaseIterable, Codable, Sendable {
    case trainLoss = "train_loss"
    case validationLoss = "validation_loss"
    case validationAccuracy = "validation_accuracy"
    case validationRMSE = "validation_rmse"
    case validationMAE = "validation_mae"
    case testLoss = "test_loss"
    case testAccuracy = "test_accuracy"
    case testRMSE = "test_rmse"
    case testMAE = "test_mae"

    /// Whether larger is better.
    public var prefersLarger: Bool {
        switch self {
        case .validationAccuracy, .testAccuracy: true
        default: false
        }
    }

    public var isValidationMetric: Bool { rawValue.hasPrefix("validation_") }

    public static var validationMetrics: [MetricName] { allCases.filter(\.isValidationMetric) }

    /// Whether `candidate` is strictly better than `incumbent` for this metric. NaN is never better.
    public func isBetter(_ candidate: Double, than incumbent: Double?) -> Bool {
        guard candidate.isFinite else { return false }
        guard let incumbent, incumbent.isFinite else { return true }
        return prefersLarger ? candidate > incumbent : candidate < incumbent
    }
}

/// Loss and task metrics over one part of the data.
public struct Evaluation: Codable, Sendable, Hashable {
    public var loss: Double
    /// Classification only.
    public var accuracy: Double?
    /// Regression only.
    public var rmse: Double?
    public var mae: Double?

    public init(loss: Double, accuracy: Double? = nil, rmse: Double? = nil, mae: Double? = nil) {
        self.loss = loss
        self.accuracy = accuracy
        self.rmse = rmse
        self.mae = mae
    }

    /// The task's headline metric: accuracy for classification, RMSE for regression.
    public var headline: Double? { accuracy ?? rmse }
}

/// Sums predictions against targets batch by batch, so evaluation never holds all outputs.
struct MetricAccumulator {
    let task: TaskKind
    private(set) var rows = 0
    private var lossSum = 0.0
    private var correct = 0
    private var squaredErrorSum = 0.0
    private var absoluteErrorSum = 0.0

    /// Binary predictions are class 1 above this: 0 for logits, 0.5 for probabilities.
    private let binaryThreshold: Float
    /// σ of a standardised regression target: errors are measured in z-scores and reported in
    /// the target's units (1 when the target is not standardised).
    private let errorScale: Double

    /// Multiclass outputs are an ordinal output's K−1 threshold logits rather than K scores.
    private let ordinal: Bool

    init(task: TaskKind, outputsAreProbabilities: Bool, ordinal: Bool = false, errorScale: Double = 1) {
        self.task = task
        self.ordinal = ordinal
        binaryThreshold = outputsAreProbabilities ? 0.5 : 0
        self.errorScale = errorScale
    }

    /// Adds one batch: `output` is logits (classification; an ordinal output's threshold logits)
    /// or predictions (regression), `loss` the batch's mean loss.
    mutating func add(output: Matrix, targets: Matrix, loss: Float) {
        let count = output.rows
        rows += count
        lossSum += Double(loss) * Double(count)
        let y = output.pointer, t = targets.pointer, width = output.columns
        switch task {
        case .multiclass where ordinal:
            for row in 0..<count where Float(OrdinalProbabilities.predictedClass(logits: y + row * width, thresholds: width)) == t[row] {
                correct += 1
            }
        case .multiclass:
            for row in 0..<count {
                // The first largest score (NaN never wins). Selects rather than branches: which
                // class leads is a coin toss to the branch predictor, and mispredictions made
                // this loop cost as much as the loss.
                let scores = y + row * width
                var best = 0
                var bestScore = scores[0]
                for j in 1..<max(width, 1) {
                    let score = scores[j]
                    let better = score > bestScore
                    best = better ? j : best
                    bestScore = better ? score : bestScore
                }
                correct += Float(best) == t[row] ? 1 : 0
            }
        case .binary:
            for row in 0..<count where (y[row] > binaryThreshold ? 1 : 0) == t[row] { correct += 1 }
        case .regression:
            for i in 0..<(count * width) {
                let error = Double(y[i] - t[i]) * errorScale
                squaredErrorSum += error * error
                absoluteErrorSum += abs(error)
            }
        }
    }

    var evaluation: Evaluation {
        let n = Double(max(rows, 1))
        switch task {
        case .multiclass, .binary:
            return Evaluation(loss: lossSum / n, accuracy: Double(correct) / n)
        case .regression:
            return Evaluation(loss: lossSum / n, rmse: (squaredErrorSum / n).squareRoot(), mae: absoluteErrorSum / n)
        }
    }
}
