import NeuralNet

/// Row indices of a train / validation / test split; each part ascending (file order).
public struct DatasetSplit: Sendable, Equatable, Codable {
    public var train: [Int]
    public var validation: [Int]
    public var test: [Int]

    public init(train: [Int], validation: [Int], test: [Int]) {
        self.train = train
        self.validation = validation
        self.test = test
    }
}

/// One fold of k-fold cross-validation: train on `train`, score on `validation`; both ascending.
public struct CrossValidationFold: Sendable, Equatable, Codable {
    public var train: [Int]
    public var validation: [Int]

    public init(train: [Int], validation: [Int]) {
        self.train = train
        self.validation = validation
    }
}

/// How rows are grouped before shuffling, so that each part keeps the class proportions.
public enum Stratification: Sendable, Equatable {
    /// Classification: the class index of every row; one group per class.
    case byClass([Int])
    /// Regression: one group holding all rows.
    case none(rowCount: Int)

    /// The groups in the order the shuffles consume the generator: classes ascending, rows in
    /// file order within a class.
    public var groups: [[Int]] {
        switch self {
        case let .none(rowCount):
            return rowCount > 0 ? [Array(0..<rowCount)] : []
        case let .byClass(classIndices):
            var rowsOfClass: [Int: [Int]] = [:]
            for (row, classIndex) in classIndices.enumerated() {
                rowsOfClass[classIndex, default: []].append(row)
            }
            return rowsOfClass.keys.sorted().compactMap { rowsOfClass[$0] }
        }
    }

    /// The number of rows being split.
    public var rowCount: Int {
        switch self {
        case let .none(rowCount): return rowCount
        case let .byClass(classIndices): return classIndices.count
        }
    }

    public var isStratified: Bool {
        if case .byClass = self { return true }
        return false
    }
}

/// Reproducible, stratified splitting of rows.
///
/// The algorithm is fixed because the Python scripts in `tools/` replicate it to compare
/// against scikit-learn on identical rows; changing it, even the order of generator draws,
/// breaks those comparisons.
public enum Splits {
    /// A stratified train / validation / test split.
    ///
    /// ```
    /// rng = SplitMix64(seed: seed)               // one generator, shared by the groups in order
    /// for group in stratification.groups:
    ///     group.shuffleReproducibly(using: &rng) // Fisher–Yates, i = n-1 … 1, j = next() % (i+1)
    ///     testCount       = ⌊n · testFraction + 0.5⌋
    ///     validationCount = ⌊n · validationFraction + 0.5⌋
    ///     test += group[0 ..< testCount]
    ///     validation += group[testCount ..< testCount + validationCount]
    ///     train += the rest
    /// sort each part ascending
    /// ```
    /// Rounding per class keeps each part's class proportions within one row per class of the
    /// whole's, like scikit-learn's `train_test_split(stratify=)` (whose rounding differs).
    ///
    /// - Parameters:
    ///   - stratification: the grouping of rows.
    ///   - testFraction: the share of each group held out for the final test, in [0, 1).
    ///   - validationFraction: the share held out for model selection, in [0, 1).
    ///   - seed: the seed of the shuffles.
    /// - Throws: `DatasetError.invalidFraction` or `.fractionsTooLarge` for unusable fractions,
    ///   `.emptySplitPart` when rounding leaves a requested part, or the training part, empty.
    public static func trainValidationTest(
        _ stratification: Stratification,
        testFraction: Double,
        validationFraction: Double,
        seed: UInt64
    ) throws(DatasetError) -> DatasetSplit {
        for (name, fraction) in [("test", testFraction), ("validation", validationFraction)]
        where !(fraction >= 0 && fraction < 1) {
            throw .invalidFraction(name: name, value: fraction)
        }
        guard testFraction + validationFraction < 1 else {
            throw .fractionsTooLarge(testFraction: testFraction, validationFraction: validationFraction)
        }

        var rng = SplitMix64(seed: seed)
        var split = DatasetSplit(train: [], validation: [], test: [])
        for var group in stratification.groups {
            group.shuffleReproducibly(using: &rng)
            let count = group.count
            let testCount = min(Int((Double(count) * testFraction + 0.5).rounded(.down)), count)
            // The fractions sum below 1, so the two counts cannot exceed the group; min() only
            // guards against a slicing trap should that reasoning ever be wrong.
            let validationCount = min(Int((Double(count) * validationFraction + 0.5).rounded(.down)), count - testCount)
            split.test += group[0..<testCount]
            split.validation += group[testCount..<(testCount + validationCount)]
            split.train += group[(testCount + validationCount)...]
        }
        split.train.sort()
        split.validation.sort()
        split.test.sort()

        let rowCount = stratification.rowCount
        let largestGroup = stratification.groups.map(\.count).max() ?? 0
        if split.train.isEmpty {
            throw .emptySplitPart(
                part: "training", rowCount: rowCount, fraction: 1 - testFraction - validationFraction, largestGroup: largestGroup)
        }
        if testFraction > 0, split.test.isEmpty {
            throw .emptySplitPart(part: "test", rowCount: rowCount, fraction: testFraction, largestGroup: largestGroup)
        }
        if validationFraction > 0, split.validation.isEmpty {
            throw .emptySplitPart(part: "validation", rowCount: rowCount, fraction: validationFraction, largestGroup: largestGroup)
        }
        return split
    }

    /// Stratified k-fold cross-validation.
    ///
    /// Each group is shuffled exactly as in `trainValidationTest` (same generator sequence), then
    /// dealt round-robin: the row at position `p` of its shuffled group goes to fold `p % k`.
    /// Fold `i` validates on its own rows and trains on the union of the others; both sorted.
    /// Like scikit-learn's `StratifiedKFold(shuffle=True)` in spirit; the assignment differs.
    ///
    /// - Parameters:
    ///   - stratification: the grouping of rows.
    ///   - k: the number of folds: at least 2 and at most the largest group's size (the row
    ///     count for regression), since otherwise a fold would get no row.
    ///   - seed: the seed of the shuffles.
    /// - Throws: `DatasetError.invalidFoldCount` for a `k` outside those bounds.
    public static func kFold(_ stratification: Stratification, k: Int, seed: UInt64) throws(DatasetError) -> [CrossValidationFold] {
        let groups = stratification.groups
        let limit = groups.map(\.count).max() ?? 0
        guard k >= 2, k <= limit else {
            throw .invalidFoldCount(k: k, limit: limit, rowCount: stratification.rowCount, stratified: stratification.isStratified)
        }

        var rng = SplitMix64(seed: seed)
        var folds = [[Int]](repeating: [], count: k)
        for var group in groups {
            group.shuffleReproducibly(using: &rng)
            for (position, row) in group.enumerated() {
                folds[position % k].append(row)
            }
        }
        return folds.indices.map { held in
            let train = folds.indices.filter { $0 != held }.flatMap { folds[$0] }.sorted()
            return CrossValidationFold(train: train, validation: folds[held].sorted())
        }
    }
}

extension Dataset {
    /// The grouping to split by: one group per class for classification, none for regression.
    ///
    /// - Throws: the `validateClassification(as:)` errors for a classification task.
    public func stratification(for task: TaskKind) throws(DatasetError) -> Stratification {
        guard task.isClassification else { return .none(rowCount: rowCount) }
        let encoding = try validateClassification(as: task)
        return .byClass(try encoding.classIndices(of: self))
    }

    /// A train / validation / test split of these rows; see `Splits.trainValidationTest`.
    public func split(
        task: TaskKind,
        testFraction: Double,
        validationFraction: Double = 0,
        seed: UInt64
    ) throws(DatasetError) -> DatasetSplit {
        let stratification = try stratification(for: task)
        do {
            return try Splits.trainValidationTest(
                stratification, testFraction: testFraction, validationFraction: validationFraction, seed: seed)
        } catch {
            throw error.naming(source: source)
        }
    }

    /// k-fold cross-validation folds of these rows; see `Splits.kFold`.
    public func kFold(k: Int, seed: UInt64, task: TaskKind) throws(DatasetError) -> [CrossValidationFold] {
        let stratification = try stratification(for: task)
        do {
            return try Splits.kFold(stratification, k: k, seed: seed)
        } catch {
            throw error.naming(source: source)
        }
    }
}
