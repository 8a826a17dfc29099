import Foundation

/// How a trial's scoring fits were made, which decides how much their spread understates the
/// uncertainty of their mean: k-fold cross-validation (its training sets overlap, so the folds'
/// scores are correlated), possibly repeated with R seeds, or R seeds on one validation split.
public struct ResamplingDesign: Sendable, Hashable, Codable {
    /// k of k-fold cross-validation; nil for one validation split.
    public let folds: Int?
    /// How many seeds each configuration is trained with (1: no repeats).
    public let repeats: Int

    public init(folds: Int?, repeats: Int) {
        self.folds = folds.flatMap { $0 >= 2 ? $0 : nil }
        self.repeats = max(repeats, 1)
    }

    /// The design of a sweep's trials: its data's folds and its repeats.
    public init(spec: SweepSpec) {
        self.init(folds: spec.data.folds, repeats: spec.repeats)
    }

    /// How many scoring fits a trial has: k·R, or R on one validation split.
    public var fitCount: Int { (folds ?? 1) * repeats }

    /// n_test / n_train of one fit, the correction term of Nadeau & Bengio: 1/(k − 1) for k-fold
    /// (each fold validates on 1/k of the rows and trains on the other (k − 1)/k). 0 for repeats
    /// on one validation split: every repeat sees the same rows, so the spread over repeats is
    /// seed noise only and the plain t interval describes it.
    public var testTrainRatio: Double {
        guard let folds else { return 0 }
        return 1 / Double(folds - 1)
    }
}

/// A mean with its two-sided confidence interval, mean ± t_{ν, (1+level)/2} · standard error.
///
/// `studentT` is the textbook interval over independent values: standard error s/√J, ν = J − 1.
/// `correctedResampledT` is the corrected resampled t of Nadeau & Bengio, "Inference for the
/// Generalization Error", Machine Learning 52 (2003), as Bouckaert & Frank apply it to repeated
/// k-fold cross-validation ("Evaluating the Replicability of Significance Tests for Comparing
/// Learning Algorithms", PAKDD 2004): standard error √((1/J + n_test/n_train) · s²), ν = J − 1,
/// where s² is the sample variance (divisor J − 1) of the J fits' values. The n_test/n_train
/// term accounts for the overlap of the training sets, which makes s²/J far too small.
public struct MeanInterval: Sendable, Hashable, Codable {
    public let mean: Double
    public let lower: Double
    public let upper: Double
    /// The standard error the interval is built on (corrected when the design asks for it).
    public let standardError: Double
    public let degreesOfFreedom: Int
    /// How many values the mean is over.
    public let sampleCount: Int
    /// The confidence level, e.g. 0.95.
    public let level: Double

    public init(mean: Double, standardError: Double, degreesOfFreedom: Int, sampleCount: Int, level: Double) {
        let halfWidth = StudentT(degreesOfFreedom: Double(degreesOfFreedom)).twoSidedCriticalValue(level: level) * standardError
        self.mean = mean
        lower = mean - halfWidth
        upper = mean + halfWidth
        self.standardError = standardError
        self.degreesOfFreedom = degreesOfFreedom
        self.sampleCount = sampleCount
        self.level = level
    }

    /// Half the interval's width: the "± h" of "mean ± h".
    public var halfWidth: Double { (upper - lower) / 2 }

    public func contains(_ value: Double) -> Bool { lower <= value && value <= upper }

    /// The plain t interval of the mean of independent values; nil for fewer than two values or
    /// any value that is not finite.
    public static func studentT(_ values: [Double], level: Double = 0.95) -> MeanInterval? {
        correctedResampledT(values, testTrainRatio: 0, level: level)
    }

    /// The corrected resampled t interval of the mean of J fits' values (see the type's
    /// comment); with `testTrainRatio` 0 it is the plain t interval. Nil for fewer than two
    /// values or any value that is not finite.
    public static func correctedResampledT(_ values: [Double], testTrainRatio: Double, level: Double = 0.95) -> MeanInterval? {
        guard values.count >= 2, values.allSatisfy(\.isFinite) else { return nil }
        let (mean, variance) = sampleMeanAndVariance(values)
        let count = Double(values.count)
        let standardError = ((1 / count + testTrainRatio) * variance).squareRoot()
        return MeanInterval(mean: mean, standardError: standardError, degreesOfFreedom: values.count - 1, sampleCount: values.count, level: level)
    }

    /// The interval of a trial's fit values under a design: corrected for k-fold, plain for
    /// repeats on one validation split.
    public static func ofFits(_ values: [Double], design: ResamplingDesign, level: Double = 0.95) -> MeanInterval? {
        correctedResampledT(values, testTrainRatio: design.testTrainRatio, level: level)
    }
}

/// The mean and the unbiased sample variance (divisor n − 1) by Welford's update, which does not
/// lose the variance of values close to their mean (accuracies of 0.9… differ in the third digit).
func sampleMeanAndVariance(_ values: [Double]) -> (mean: Double, variance: Double) {
    var mean = 0.0, squares = 0.0
    for (index, value) in values.enumerated() {
        let delta = value - mean
        mean += delta / Double(index + 1)
        squares += delta * (value - mean)
    }
    return (mean, values.count > 1 ? max(squares, 0) / Double(values.count - 1) : 0)
}
