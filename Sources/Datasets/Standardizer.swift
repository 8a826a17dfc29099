/// Z-score standardisation of features, fitted on training rows only.
///
/// `x' = (x − μ) / σ` per feature, with `μ = (1/n) Σ xᵢ` and the population standard deviation
/// `σ = √((1/n) Σ (xᵢ − μ)²)` over the `n` fitting rows — scikit-learn's `StandardScaler`.
/// Sums run in `Double` (two passes) so that a 20 000-row column of values near 4 000 keeps its
/// digits; the results are stored as `Float`. A constant feature gets `σ = 1`, so it maps to 0
/// instead of NaN.
///
/// Fitting on the training rows alone keeps the validation and test rows unseen; the fitted
/// standardiser is `Codable` so that it is saved with the model and applied to new data.
public struct Standardizer: Codable, Sendable, Hashable {
    /// The per-feature means μ.
    public let means: [Float]
    /// The per-feature population standard deviations σ (1 for a constant feature).
    public let standardDeviations: [Float]

    /// The number of features it was fitted on.
    public var featureCount: Int { means.count }

    /// A standardiser with known statistics (from a saved model, say).
    ///
    /// Nothing is checked here, because the statistics may come from a damaged file and a trap
    /// would end the program; `apply` refuses inconsistent statistics with an error instead.
    public init(means: [Float], standardDeviations: [Float]) {
        self.means = means
        self.standardDeviations = standardDeviations
    }

    /// Fits on some rows of a row-major feature buffer.
    ///
    /// - Parameters:
    ///   - features: `rowCount × featureCount` values, row after row.
    ///   - featureCount: the width of a row.
    ///   - rows: the rows to fit on, normally the training part of a split. With no rows the
    ///     result is the identity (μ = 0, σ = 1).
    public init(fittingFeatures features: [Float], featureCount: Int, rows: [Int]) {
        var sums = [Double](repeating: 0, count: featureCount)
        for row in rows {
            let start = row * featureCount
            for column in 0..<featureCount {
                sums[column] += Double(features[start + column])
            }
        }
        let count = Double(max(rows.count, 1))
        let meansInDouble = sums.map { $0 / count }
        var squaredDeviations = [Double](repeating: 0, count: featureCount)
        for row in rows {
            let start = row * featureCount
            for column in 0..<featureCount {
                let deviation = Double(features[start + column]) - meansInDouble[column]
                squaredDeviations[column] += deviation * deviation
            }
        }
        means = meansInDouble.map { Float($0) }
        // A Float has a 24-bit significand, so a Double sum of one repeated Float is exact up to
        // 2²⁹ rows: a constant column's mean is exact and its variance exactly 0, never a 1e-30
        // that would blow the column up. Testing for 0 is therefore enough.
        standardDeviations = squaredDeviations.map { squaredDeviationSum in
            let deviation = Float((squaredDeviationSum / count).squareRoot())
            return deviation > 0 ? deviation : 1
        }
    }

    /// Fits on the given rows of a dataset, normally its training part.
    public init(fitting dataset: Dataset, rows: [Int]) {
        self.init(fittingFeatures: dataset.features, featureCount: dataset.featureCount, rows: rows)
    }

    /// Fits on every row of a dataset (for a dataset that is already the training part).
    public init(fitting dataset: Dataset) {
        self.init(fitting: dataset, rows: Array(0..<dataset.rowCount))
    }

    /// Standardises a row-major feature buffer in place: `x ← (x − μ) / σ`.
    ///
    /// - Throws: `DatasetError.featureCountMismatch` when the buffer is not whole rows of
    ///   `featureCount` values, `.damagedStandardizer` when the statistics are inconsistent.
    public func apply(toFeatures features: inout [Float], source: String = "features") throws(DatasetError) {
        try checkStatistics()
        guard featureCount > 0 ? features.count % featureCount == 0 : features.isEmpty else {
            throw .featureCountMismatch(expected: featureCount, found: features.count, source: source)
        }
        // Dividing by σ is not quite multiplying by 1/σ in Float; divide, like StandardScaler.
        // Where x − μ overflows a Float (values the loader accepts, near ±3.4e38, on both sides
        // of the mean), in Double: the z-score itself is small, and training diverged on ±inf.
        for index in features.indices {
            let column = index % featureCount
            let value = (features[index] - means[column]) / standardDeviations[column]
            features[index] = value.isFinite
                ? value : Float((Double(features[index]) - Double(means[column])) / Double(standardDeviations[column]))
        }
    }

    /// Throws unless there is one finite mean and one finite, positive deviation per feature.
    private func checkStatistics() throws(DatasetError) {
        guard means.count == standardDeviations.count else {
            throw .damagedStandardizer(reason: "\(means.count) means but \(standardDeviations.count) standard deviations")
        }
        if let column = means.indices.first(where: { !means[$0].isFinite }) {
            throw .damagedStandardizer(reason: "the mean of feature \(column + 1) is \(means[column])")
        }
        if let column = standardDeviations.indices.first(where: { !(standardDeviations[$0].isFinite && standardDeviations[$0] > 0) }) {
            throw .damagedStandardizer(reason: "the standard deviation of feature \(column + 1) is \(standardDeviations[column])")
        }
    }

    /// The dataset with standardised features; targets, names and line numbers unchanged.
    ///
    /// - Throws: `DatasetError.featureCountMismatch` when the dataset has another feature count,
    ///   `.damagedStandardizer` when the statistics are inconsistent.
    public func apply(to dataset: Dataset) throws(DatasetError) -> Dataset {
        guard dataset.featureCount == featureCount else {
            throw .featureCountMismatch(expected: featureCount, found: dataset.featureCount, source: dataset.source)
        }
        var result = dataset
        try apply(toFeatures: &result.features, source: dataset.source)
        return result
    }
}
