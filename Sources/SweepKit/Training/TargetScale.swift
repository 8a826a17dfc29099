import Foundation

/// Z-scores of a regression target, fitted on a fold's training rows: the network learns
/// t' = (t − μ) / σ and its outputs are read back as y = y' · σ + μ. A target in the hundreds
/// (a disease progression score, a price) otherwise needs learning rates that a search rarely
/// draws, and many trials diverge or never beat the mean.
///
/// μ is the mean and σ the population standard deviation of the training targets (1 for a
/// constant target), as `Standardizer` computes them for features: scikit-learn's
/// `TransformedTargetRegressor(transformer=StandardScaler())`. The loss the network minimises is
/// in these units; RMSE and MAE are reported in the target's own.
public struct TargetScale: Codable, Sendable, Hashable {
    public let mean: Float
    public let standardDeviation: Float

    public init(mean: Float, standardDeviation: Float) {
        self.mean = mean
        self.standardDeviation = standardDeviation
    }

    /// Fits on `targets[rows]`.
    public init(fitting targets: [Float], rows: [Int]) {
        let count = Double(max(rows.count, 1))
        let mean = rows.reduce(0.0) { $0 + Double(targets[$1]) } / count
        let variance = rows.reduce(0.0) { sum, row in
            let deviation = Double(targets[row]) - mean
            return sum + deviation * deviation
        } / count
        let deviation = Float(variance.squareRoot())
        self.mean = Float(mean)
        standardDeviation = deviation > 0 && deviation.isFinite ? deviation : 1
    }

    /// t' = (t − μ) / σ; in `Double` where t − μ overflows a `Float` (targets near ±3.4e38).
    @inlinable public func standardized(_ target: Float) -> Float {
        let value = (target - mean) / standardDeviation
        return value.isFinite ? value : Float((Double(target) - Double(mean)) / Double(standardDeviation))
    }

    /// y = y' · σ + μ.
    @inlinable public func restored(_ output: Float) -> Float { output * standardDeviation + mean }
}
