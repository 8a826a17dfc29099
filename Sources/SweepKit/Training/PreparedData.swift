import Datasets
import NeuralNet

/// Rows of one part (train, validation or test), standardised and ready for the network:
/// features row-major, targets as class indices (classification) or values (regression).
public struct DataPart: Sendable {
    public let features: [Float]
    /// As in the data: class indices, or a regression target in its own units.
    public let targets: [Float]
    public let rowIndices: [Int]
    public let featureCount: Int
    /// The regression target's z-scores the network learns (its fold's, fitted on the training
    /// rows); nil for classification or with `standardize_target` off.
    public var targetScale: TargetScale? = nil

    public var rowCount: Int { rowIndices.count }
    public var isEmpty: Bool { rowIndices.isEmpty }
}

/// One train / validation / test arrangement with the standardisation fitted on its training rows.
public struct DataFold: Sendable {
    public let train: DataPart
    public let validation: DataPart
    public let test: DataPart
    public let standardizer: Standardizer?

    /// The target's z-scores for this fold (its training rows'), if any.
    public var targetScale: TargetScale? { train.targetScale }
}

/// A data set loaded, checked, split and standardised once, then shared read-only by every
/// trial that uses the same data settings.
public struct PreparedData: Sendable {
    public let source: String
    public let task: TaskKind
    public let featureNames: [String]
    public let targetName: String
    /// Class labels in class-index order ("0", "1", ...); empty for regression.
    public let classLabels: [String]
    /// One fold for a plain split; k for k-fold cross-validation.
    public let folds: [DataFold]
    /// With k-fold: every non-test row for training and the test rows, for the final model that
    /// is tested and exported after cross-validation has scored the configuration.
    public let finalFit: DataFold?
    public let configuration: DataConfiguration
    /// The feature columns equal to the target in every row, which a command warns of: see
    /// `Dataset.featuresEqualToTarget()`.
    public let featuresEqualToTarget: [String]

    public var outputWidth: Int {
        task == .multiclass ? classLabels.count : 1
    }

    /// Loads `configuration.source` (a CSV path or builtin:phone-price) and prepares it.
    public static func load(_ configuration: DataConfiguration) throws(DatasetError) -> PreparedData {
        let dataset = try Dataset.load(source: configuration.source, target: configuration.target)
        return try prepare(dataset, configuration)
    }

    /// Checks, splits and standardises `dataset`.
    ///
    /// Every fold holds its own standardised copy of the rows, so before any is made the copies
    /// are checked against the machine's memory (`MemoryEstimate.usableShare` of it): a fold
    /// count near the row count of a large table would otherwise take it all.
    ///
    /// - Parameter physicalBytes: the machine's memory; tests pass a small machine.
    public static func prepare(
        _ dataset: Dataset, _ configuration: DataConfiguration, physicalBytes: Double = MachineMemory.physicalBytes
    ) throws(DatasetError) -> PreparedData {
        if let k = configuration.folds {
            var shape = TrainingConfiguration()
            shape.data = configuration
            let needed = MemoryEstimate(configuration: shape, featureCount: dataset.featureCount, outputWidth: 1, rows: dataset.rowCount).dataBytes
            let usable = MemoryEstimate.usableBytes(physicalBytes: physicalBytes)
            if needed > usable {
                throw .foldCopiesTooLarge(
                    source: dataset.source, folds: k, rowCount: dataset.rowCount, neededBytes: memoryText(needed), usableBytes: memoryText(usable))
            }
        }
        let task = try dataset.resolveTask(requested: configuration.task)
        try dataset.checkFeaturesVary()
        let encoding = try dataset.validateClassification(as: task)
        let targets: [Float]
        if task.isClassification {
            targets = try encoding.classIndices(of: dataset).map(Float.init)
        } else {
            targets = dataset.targets
        }
        let scalesTarget = task == .regression && (configuration.standardizeTarget ?? true)
        var folds: [DataFold] = []
        var finalFit: DataFold?
        if let k = configuration.folds {
            // k-fold over the rows that are not held out for testing.
            let outer = try dataset.split(task: task, testFraction: configuration.testFraction, seed: configuration.splitSeed)
            let inner = dataset.subset(rows: outer.train)
            for fold in try inner.kFold(k: k, seed: configuration.splitSeed, task: task) {
                let trainRows = fold.train.map { outer.train[$0] }
                let validationRows = fold.validation.map { outer.train[$0] }
                folds.append(try makeFold(dataset, targets, train: trainRows, validation: validationRows, test: outer.test, configuration.standardize, scalesTarget: scalesTarget))
            }
            finalFit = try makeFold(dataset, targets, train: outer.train, validation: [], test: outer.test, configuration.standardize, scalesTarget: scalesTarget)
        } else {
            let split = try dataset.split(
                task: task, testFraction: configuration.testFraction,
                validationFraction: configuration.validationFraction, seed: configuration.splitSeed)
            folds.append(try makeFold(dataset, targets, train: split.train, validation: split.validation, test: split.test, configuration.standardize, scalesTarget: scalesTarget))
        }
        return PreparedData(
            source: dataset.source, task: task, featureNames: dataset.featureNames, targetName: dataset.targetName,
            classLabels: task.isClassification ? encoding.labelNames : [], folds: folds, finalFit: finalFit,
            configuration: configuration, featuresEqualToTarget: dataset.featuresEqualToTarget())
    }

    private static func makeFold(
        _ dataset: Dataset, _ targets: [Float], train: [Int], validation: [Int], test: [Int], _ standardize: Bool,
        scalesTarget: Bool
    ) throws(DatasetError) -> DataFold {
        let standardizer = standardize ? Standardizer(fitting: dataset, rows: train) : nil
        let targetScale = scalesTarget ? TargetScale(fitting: targets, rows: train) : nil
        func part(_ rows: [Int]) throws(DatasetError) -> DataPart {
            var features = rows.flatMap { dataset.featureRow($0) }
            try standardizer?.apply(toFeatures: &features, source: dataset.source)
            return DataPart(
                features: features, targets: rows.map { targets[$0] }, rowIndices: rows, featureCount: dataset.featureCount,
                targetScale: targetScale)
        }
        return DataFold(train: try part(train), validation: try part(validation), test: try part(test), standardizer: standardizer)
    }
}
