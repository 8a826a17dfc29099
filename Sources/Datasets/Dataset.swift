/// A table of numeric features with one numeric target column, held row-major in memory.
///
/// The feature value of row `r`, column `c` is `features[r * featureCount + c]`, the layout a
/// `[rowCount, featureCount]` tensor has in PyTorch or a C-ordered NumPy array. Targets stay
/// `Float` whatever the task; `ClassEncoding` turns them into class indices for classification.
///
/// A dataset is a value: taking a subset copies the chosen rows, so the training, validation and
/// test parts of one file can be handed to concurrent trials without sharing anything mutable.
public struct Dataset: Sendable, Equatable {
    /// Names of the feature columns, in file order, without the target column.
    public var featureNames: [String]
    /// Name of the target column.
    public var targetName: String
    /// Row-major feature values: `rowCount × featureCount`.
    public var features: [Float]
    /// One target value per row.
    public var targets: [Float]
    /// For each row, the 1-based line of the source it came from. Error messages about a row
    /// (a non-integer class label, an unseen class) quote this line so that the user can find it
    /// in an editor; generated data numbers its rows as if written out with a header line.
    public var lineNumbers: [Int]
    /// Where the rows came from: a file path as given by the user, or a built-in name such as
    /// `builtin:phone-price`.
    public var source: String

    /// The number of rows (examples).
    public var rowCount: Int { targets.count }

    /// The number of feature columns.
    public var featureCount: Int { featureNames.count }

    /// Builds a dataset from row-major features.
    ///
    /// - Parameters:
    ///   - featureNames: the feature column names, in order.
    ///   - targetName: the target column name.
    ///   - features: `targets.count × featureNames.count` values, row after row.
    ///   - targets: one value per row.
    ///   - lineNumbers: the source line of each row; `nil` numbers row `r` as line `r + 2`, as if
    ///     the table were a CSV file with one header line.
    ///   - source: a path or a built-in name, quoted in error messages.
    public init(
        featureNames: [String],
        targetName: String,
        features: [Float],
        targets: [Float],
        lineNumbers: [Int]? = nil,
        source: String
    ) {
        // A mismatch here is a bug in the caller, never a property of user input: the CSV loader
        // checks every row's width before it builds a dataset.
        precondition(
            features.count == targets.count * featureNames.count,
            "Dataset needs rowCount × featureCount = \(targets.count) × \(featureNames.count) feature values, got \(features.count)"
        )
        let numbers = lineNumbers ?? targets.indices.map { $0 + 2 }
        precondition(numbers.count == targets.count, "Dataset needs one line number per row")
        self.featureNames = featureNames
        self.targetName = targetName
        self.features = features
        self.targets = targets
        self.lineNumbers = numbers
        self.source = source
    }

    /// The feature values of one row, as a slice of `features`.
    public func featureRow(_ row: Int) -> ArraySlice<Float> {
        let start = row * featureCount
        return features[start..<(start + featureCount)]
    }

    /// All values of one feature column, top to bottom.
    public func featureColumn(_ column: Int) -> [Float] {
        precondition(column >= 0 && column < featureCount, "feature column \(column) is out of range 0..<\(featureCount)")
        return (0..<rowCount).map { features[$0 * featureCount + column] }
    }

    /// The position of a feature column by name, or `nil` when there is no such feature.
    public func featureIndex(named name: String) -> Int? {
        featureNames.firstIndex(of: name)
    }

    /// A new dataset holding the given rows, in the order given (repeats allowed).
    ///
    /// Line numbers travel with the rows, so errors found later still point at the right line.
    public func subset(rows indices: [Int]) -> Dataset {
        var subsetFeatures: [Float] = []
        subsetFeatures.reserveCapacity(indices.count * featureCount)
        for row in indices {
            precondition(row >= 0 && row < rowCount, "row \(row) is out of range 0..<\(rowCount)")
            subsetFeatures.append(contentsOf: featureRow(row))
        }
        return Dataset(
            featureNames: featureNames,
            targetName: targetName,
            features: subsetFeatures,
            targets: indices.map { targets[$0] },
            lineNumbers: indices.map { lineNumbers[$0] },
            source: source
        )
    }

    /// The rows at `indices`, as a new dataset; the same as `subset(rows:)`.
    public subscript(rows indices: [Int]) -> Dataset {
        subset(rows: indices)
    }

    /// The same rows with another column as the target; the old target becomes a feature.
    ///
    /// Columns are taken in the order `featureNames + [targetName]` (the target is last in the
    /// built-in data), the chosen one is removed and the rest stay in that order as features.
    ///
    /// - Throws: `DatasetError.unknownTargetColumn` listing the available columns.
    public func retargeted(to newTarget: String) throws(DatasetError) -> Dataset {
        if newTarget == targetName { return self }
        let allNames = featureNames + [targetName]
        guard let chosen = featureNames.firstIndex(of: newTarget) else {
            throw .unknownTargetColumn(path: source, requested: newTarget, available: allNames)
        }
        var newFeatures: [Float] = []
        newFeatures.reserveCapacity(features.count)
        var newTargets: [Float] = []
        newTargets.reserveCapacity(rowCount)
        for row in 0..<rowCount {
            let values = featureRow(row)
            for (column, value) in zip(values.indices, values) where column - values.startIndex != chosen {
                newFeatures.append(value)
            }
            newFeatures.append(targets[row])
            newTargets.append(values[values.startIndex + chosen])
        }
        var newNames = featureNames
        newNames.remove(at: chosen)
        newNames.append(targetName)
        return Dataset(
            featureNames: newNames,
            targetName: newTarget,
            features: newFeatures,
            targets: newTargets,
            lineNumbers: lineNumbers,
            source: source
        )
    }
}

extension Dataset {
    /// Refuses data whose every feature column holds one value in all rows: a network fed the
    /// same input for every row can only predict the same output for each, so a sweep of it is
    /// a search over models of nothing. One varying column is enough to pass, and so is a single
    /// row, which the split refuses with a better reason.
    ///
    /// - Throws: `DatasetError.constantFeatures` naming the columns and their values.
    public func checkFeaturesVary() throws(DatasetError) {
        guard rowCount > 1, featureCount > 0 else { return }
        let first = featureRow(0)
        for row in 1..<rowCount where featureRow(row) != first {
            return
        }
        throw .constantFeatures(source: source, rowCount: rowCount, columns: featureNames, values: Array(first))
    }

    /// The feature columns equal to the target in every row: the target under another name, or
    /// computed from it. A model copies such a column and scores perfectly, saying nothing of how
    /// well the other columns predict, so the commands warn of it; they do not refuse, since a
    /// copy can be deliberate (a check that training works).
    public func featuresEqualToTarget() -> [String] {
        guard rowCount > 0 else { return [] }
        return featureNames.indices.filter { column in
            (0..<rowCount).allSatisfy { features[$0 * featureCount + column] == targets[$0] }
        }.map { featureNames[$0] }
    }
}
