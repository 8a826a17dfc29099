import Testing
@testable import NeuralNet

/// The golden tolerance: float32 arithmetic done in a different order than PyTorch's agrees to
/// about 1e-6 relative, so 1e-5 relative (absolute below 1) leaves room without hiding a bug.
let goldenTolerance: Float = 1e-5

/// Expects every `actual[i]` within `tolerance · max(1, |expected[i]|)` of `expected[i]`.
///
/// Each failure names the element (`[row, column]` when `columns` is given) and both values; at
/// most `reportLimit` elements are reported, followed by a count of the rest.
func expectClose(
    _ actual: [Float], _ expected: [Float], tolerance: Float = goldenTolerance,
    named name: String = "value", columns: Int? = nil, reportLimit: Int = 8,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard actual.count == expected.count else {
        Issue.record(
            "\(name): \(actual.count) values but PyTorch has \(expected.count)", sourceLocation: sourceLocation)
        return
    }
    var failures = 0
    for index in actual.indices {
        let difference = abs(Double(actual[index]) - Double(expected[index]))
        let allowed = Double(tolerance) * max(1, abs(Double(expected[index])))
        // Written so that a NaN on either side fails.
        if difference <= allowed { continue }
        failures += 1
        guard failures <= reportLimit else { continue }
        let position = columns.map { "[\(index / $0), \(index % $0)]" } ?? "[\(index)]"
        Issue.record(
            "\(name)\(position): engine \(actual[index]), PyTorch \(expected[index]), |difference| \(difference) > \(allowed)",
            sourceLocation: sourceLocation)
    }
    if failures > reportLimit {
        Issue.record(
            "\(name): \(failures - reportLimit) more elements out of tolerance (\(failures) of \(actual.count))",
            sourceLocation: sourceLocation)
    }
}

/// Expects one value within `tolerance · max(1, |expected|)`.
func expectClose(
    _ actual: Float, _ expected: Float, tolerance: Float = goldenTolerance, named name: String = "value",
    sourceLocation: SourceLocation = #_sourceLocation
) {
    expectClose([actual], [expected], tolerance: tolerance, named: name, sourceLocation: sourceLocation)
}

/// Expects a matrix to have the fixture's rows and columns and values within tolerance.
func expectClose(
    _ actual: Matrix, _ expected: FixtureTensor, tolerance: Float = goldenTolerance, named name: String = "value",
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard actual.rows == expected.rows, actual.columns == expected.columns else {
        Issue.record(
            "\(name): engine shape \(actual.rows)×\(actual.columns), PyTorch \(expected.shape)",
            sourceLocation: sourceLocation)
        return
    }
    expectClose(
        actual.values, expected.values, tolerance: tolerance, named: name, columns: expected.columns,
        sourceLocation: sourceLocation)
}

/// Expects values (a buffer, a parameter's elements) to match the fixture's, in order.
func expectClose(
    _ actual: [Float], _ expected: FixtureTensor, tolerance: Float = goldenTolerance, named name: String = "value",
    sourceLocation: SourceLocation = #_sourceLocation
) {
    expectClose(
        actual, expected.values, tolerance: tolerance, named: name,
        columns: expected.shape.count == 2 ? expected.columns : nil, sourceLocation: sourceLocation)
}
