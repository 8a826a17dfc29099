import Foundation
import Testing
@testable import Datasets

@Suite struct StandardizerTests {
    /// Column a = 1, 2, 3, 4 (then 100 on the held-out row); column b is constant 7.
    private let table = Dataset(
        featureNames: ["a", "b"],
        targetName: "y",
        features: [1, 7, 2, 7, 3, 7, 4, 7, 100, 7],
        targets: [0, 1, 0, 1, 0],
        source: "memory"
    )
    private let trainingRows = [0, 1, 2, 3]

    @Test func theStandardDeviationDividesByNNotNMinusOne() {
        let standardizer = Standardizer(fitting: table, rows: trainingRows)
        // Mean of 1…4 is 2.5; squared deviations sum to 5, so σ = √(5/4) ≈ 1.1180340
        // (dividing by n − 1 would give √(5/3) ≈ 1.2909944).
        #expect(standardizer.means[0] == 2.5)
        #expect(abs(standardizer.standardDeviations[0] - Float((1.25).squareRoot())) < 1e-7)
    }

    @Test func onlyTheTrainingRowsAreSeenWhenFitting() {
        let before = Standardizer(fitting: table, rows: trainingRows)
        var changed = table
        changed.features[8] = -5_000  // column a of row 4, which is not a training row
        let after = Standardizer(fitting: changed, rows: trainingRows)
        #expect(after == before)
        // And the held-out row really would have moved the statistics had it been included.
        #expect(Standardizer(fitting: table).means[0] != before.means[0])
    }

    @Test func aConstantColumnMapsToZeroInsteadOfNaN() throws {
        let standardizer = Standardizer(fitting: table, rows: trainingRows)
        #expect(standardizer.standardDeviations[1] == 1)
        let applied = try standardizer.apply(to: table)
        #expect(applied.featureColumn(1) == [0, 0, 0, 0, 0])
    }

    @Test func applyingSubtractsTheMeanAndDividesByTheDeviation() throws {
        let standardizer = Standardizer(fitting: table, rows: trainingRows)
        let applied = try standardizer.apply(to: table)
        let sigma = Float((1.25).squareRoot())
        let expected: [Float] = [1, 2, 3, 4, 100].map { ($0 - 2.5) / sigma }
        #expect(applied.featureColumn(0) == expected)
        #expect(applied.targets == table.targets)
        #expect(applied.featureNames == table.featureNames)
    }

    @Test func theTrainingRowsComeOutWithMeanZeroAndDeviationOne() throws {
        let standardizer = Standardizer(fitting: table, rows: trainingRows)
        let applied = try standardizer.apply(to: table.subset(rows: trainingRows)).featureColumn(0).map(Double.init)
        let mean = applied.reduce(0, +) / 4
        let variance = applied.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 4
        #expect(abs(mean) < 1e-6)
        #expect(abs(variance - 1) < 1e-6)
    }

    @Test func aFeatureBufferIsStandardisedInPlace() throws {
        let standardizer = Standardizer(means: [1, 10], standardDeviations: [2, 5])
        var buffer: [Float] = [3, 20, 1, 0]
        try standardizer.apply(toFeatures: &buffer)
        #expect(buffer == [1, 2, 0, -2])
    }

    @Test func sumsInDoubleKeepTheDigitsOfLargeValues() {
        // 20 000 values alternating 4000.25 and 4000.75: mean 4000.5, σ exactly 0.25. A Float
        // running sum reaches 8·10⁷, where its spacing is 8, and would lose the fraction.
        let values: [Float] = (0..<20_000).map { $0 % 2 == 0 ? 4000.25 : 4000.75 }
        let standardizer = Standardizer(fittingFeatures: values, featureCount: 1, rows: Array(0..<20_000))
        #expect(standardizer.means == [4000.5])
        #expect(standardizer.standardDeviations == [0.25])
    }

    @Test func fittingOnNoRowsGivesTheIdentity() {
        let standardizer = Standardizer(fitting: table, rows: [])
        #expect(standardizer.means == [0, 0])
        #expect(standardizer.standardDeviations == [1, 1])
    }

    @Test func aDatasetOfAnotherWidthIsRefused() {
        let standardizer = Standardizer(means: [0, 0, 0], standardDeviations: [1, 1, 1])
        let error = datasetError { () throws(DatasetError) -> Dataset in try standardizer.apply(to: table) }
        #expect(error == .featureCountMismatch(expected: 3, found: 2, source: "memory"))
        var ragged: [Float] = [1, 2, 3, 4]
        #expect(throws: DatasetError.self) { try standardizer.apply(toFeatures: &ragged) }
    }

    @Test func damagedSavedStatisticsAreRefusedInsteadOfTrapping() {
        var buffer: [Float] = [1, 2]
        let mismatched = Standardizer(means: [0, 0], standardDeviations: [1])
        #expect(datasetError { try mismatched.apply(toFeatures: &buffer) } == .damagedStandardizer(reason: "2 means but 1 standard deviations"))
        let zeroDeviation = Standardizer(means: [0, 0], standardDeviations: [1, 0])
        #expect(datasetError { try zeroDeviation.apply(toFeatures: &buffer) } == .damagedStandardizer(reason: "the standard deviation of feature 2 is 0.0"))
        let notANumber = Standardizer(means: [.nan, 0], standardDeviations: [1, 1])
        #expect(datasetError { try notANumber.apply(toFeatures: &buffer) } == .damagedStandardizer(reason: "the mean of feature 1 is nan"))
        #expect(buffer == [1, 2])
    }

    /// Values the loader accepts (|x| up to 3.4e38) on both sides of the mean: x − μ overflowed
    /// a Float, and training on the ±inf diverged. Values a, a, −a have z-scores 1/√2, 1/√2, −√2.
    @Test func valuesNearTheLargestFloatOnBothSidesOfTheMeanGetTheirZScores() throws {
        let a: Float = 3.3e38
        var column: [Float] = [a, a, -a]
        let standardizer = Standardizer(fittingFeatures: column, featureCount: 1, rows: [0, 1, 2])
        try standardizer.apply(toFeatures: &column)
        let expected: [Float] = [1 / Float(2).squareRoot(), 1 / Float(2).squareRoot(), -Float(2).squareRoot()]
        #expect(zip(column, expected).allSatisfy { abs($0 - $1) < 1e-5 }, "\(column)")
    }

    @Test func theFittedStandardizerSurvivesAJSONRoundTrip() throws {
        let standardizer = Standardizer(fitting: table, rows: trainingRows)
        let decoded = try JSONDecoder().decode(Standardizer.self, from: JSONEncoder().encode(standardizer))
        #expect(decoded == standardizer)
    }
}
