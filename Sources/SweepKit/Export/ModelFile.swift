import Datasets
import Foundation
import NeuralNet

/// A trained model as a safetensors file PyTorch loads: tensors named like the equivalent
/// `nn.Sequential`'s state_dict, and `__metadata__` holding what is needed to use it (see
/// tools/README.md, "File format written by sweep export").
public struct ModelFile: Sendable {
    public var model: TrainedModel
    public var metrics: [String: Double]
    public var split: DataConfiguration
    public var sweepName: String
    public var trialNumber: Int

    public init(model: TrainedModel, metrics: [String: Double], split: DataConfiguration, sweepName: String, trialNumber: Int) {
        self.model = model
        self.metrics = metrics
        self.split = split
        self.sweepName = sweepName
        self.trialNumber = trialNumber
    }

    public func encoded() throws -> Data {
        let tensors = model.tensors.map { tensor in
            StoredTensor(
                name: tensor.name, dataType: tensor.name.hasSuffix("num_batches_tracked") ? .i64 : .f32,
                shape: tensor.shape, values: tensor.values)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        func json<T: Encodable>(_ value: T) throws -> String { String(decoding: try encoder.encode(value), as: UTF8.self) }
        let finiteMetrics = metrics.filter { $0.value.isFinite && !$0.key.hasPrefix("best_") && $0.key != "train_loss" }
        var metadata: [String: String] = [
            "format": "pt",
            "sweep.architecture": try json(model.network),
            "sweep.task": model.task.rawValue,
            "sweep.feature_names": try json(model.featureNames),
            "sweep.target": model.targetName,
            "sweep.class_labels": try json(model.classLabels),
            "sweep.split": try json(SplitMetadata(
                seed: split.splitSeed, testFraction: split.testFraction,
                validationFraction: split.folds == nil ? split.validationFraction : 0)),
            "sweep.metrics": try json(split.folds == nil ? finiteMetrics : finiteMetrics.filter { !$0.key.hasPrefix("validation_") }),
            "sweep.sweep": sweepName,
            "sweep.trial": String(trialNumber),
            "sweep.data": split.source,
        ]
        if let standardizer = model.standardizer {
            metadata["sweep.standardization"] = try json(StandardizationMetadata(mean: standardizer.means, std: standardizer.standardDeviations))
        } else {
            let width = model.featureNames.count
            metadata["sweep.standardization"] = try json(StandardizationMetadata(mean: Array(repeating: 0, count: width), std: Array(repeating: 1, count: width)))
        }
        if let scale = model.targetScale {
            // The PyTorch recipe (tools/check_export.py): prediction = output · std + mean.
            metadata["sweep.target_standardization"] = try json(TargetScaleMetadata(mean: scale.mean, std: scale.standardDeviation))
        }
        return try SafeTensors.encode(tensors, metadata: metadata)
    }

    /// The largest model file read: 1 GiB, some 250 million weights, far beyond any network a
    /// sweep on tabular data trains, and held in memory twice while it is read.
    public static let maximumByteCount = 1 << 30

    /// Reads a file written by `encoded()`; the error says which part is missing or wrong.
    ///
    /// Besides the format, the metadata is checked against the tensors before anything is built
    /// from it, so that a damaged or hostile file cannot make `makeNetwork()` allocate what its
    /// architecture claims, or predict from statistics that do not fit its features.
    public static func read(path: String) throws(SafeTensorsError) -> ModelFile {
        let bytes: [UInt8]
        do {
            bytes = try readFileBytes(at: path, limit: maximumByteCount)
        } catch {
            switch error {
            case .notFound: throw .unreadable(path: path, reason: "no such file; check the path, or write a model with sweep export -o FILE")
            case .directory: throw .unreadable(path: path, reason: "it is a directory; name a .safetensors file written by sweep export")
            case .tooLarge(let byteCount):
                throw .unreadable(path: path, reason: "it holds \(byteCount > maximumByteCount ? "more than 1 GiB" : "\(byteCount) bytes"), beyond the 1 GiB a model file may have (some 250 million weights); it is not a model written by sweep export")
            case .unreadable(let reason): throw .unreadable(path: path, reason: reason)
            }
        }
        let (tensors, metadata) = try SafeTensors.decode(Data(bytes), path: path)
        func field<T: Decodable>(_ key: String, as type: T.Type) throws(SafeTensorsError) -> T {
            guard let text = metadata[key] else { throw .malformed(path: path, reason: "metadata '\(key)' is missing; was it written by sweep export?") }
            guard let value = try? JSONDecoder().decode(T.self, from: Data(text.utf8)) else {
                throw .malformed(path: path, reason: "metadata '\(key)' cannot be read: \(text.prefix(80))")
            }
            return value
        }
        let network = try field("sweep.architecture", as: NetworkDescription.self)
        let featureNames = try field("sweep.feature_names", as: [String].self)
        let classLabels = try field("sweep.class_labels", as: [String].self)
        let standardization = try field("sweep.standardization", as: StandardizationMetadata.self)
        let splitMetadata = try field("sweep.split", as: SplitMetadata.self)
        let metrics = (try? field("sweep.metrics", as: [String: Double].self)) ?? [:]
        var targetScale: TargetScale?
        if metadata["sweep.target_standardization"] != nil {
            let scale = try field("sweep.target_standardization", as: TargetScaleMetadata.self)
            guard scale.mean.isFinite, scale.std.isFinite, scale.std > 0 else {
                throw .malformed(path: path, reason: "metadata 'sweep.target_standardization' needs a finite mean and a positive std")
            }
            targetScale = TargetScale(mean: scale.mean, standardDeviation: scale.std)
        }
        guard let task = metadata["sweep.task"].flatMap(TaskKind.init(rawValue:)) else {
            throw .malformed(path: path, reason: "metadata 'sweep.task' is missing or unknown")
        }
        var split = DataConfiguration()
        split.source = metadata["sweep.data"] ?? split.source
        split.target = metadata["sweep.target"]
        split.splitSeed = splitMetadata.seed
        split.testFraction = splitMetadata.testFraction
        split.validationFraction = splitMetadata.validationFraction
        try checkConsistency(
            path: path, network: network, task: task, featureNames: featureNames, classLabels: classLabels,
            standardization: standardization, tensors: tensors)
        let model = TrainedModel(
            network: network,
            tensors: tensors.map { NamedTensor(name: $0.name, shape: $0.shape, values: $0.values) },
            task: task, featureNames: featureNames, targetName: metadata["sweep.target"] ?? "target",
            classLabels: classLabels,
            standardizer: Standardizer(means: standardization.mean, standardDeviations: standardization.std),
            targetScale: targetScale)
        return ModelFile(
            model: model, metrics: metrics, split: split, sweepName: metadata["sweep.sweep"] ?? "",
            trialNumber: Int(metadata["sweep.trial"] ?? "") ?? 0)
    }
}

extension ModelFile {
    /// Checks that the metadata describes the tensors: the architecture is valid and no larger
    /// than the weights stored, its input and output widths match the feature names and the
    /// task's classes, the standardisation has one usable mean and deviation per feature, and
    /// every stored number is finite.
    private static func checkConsistency(
        path: String, network: NetworkDescription, task: TaskKind, featureNames: [String], classLabels: [String],
        standardization: StandardizationMetadata, tensors: [StoredTensor]
    ) throws(SafeTensorsError) {
        func damaged(_ reason: String) -> SafeTensorsError {
            .malformed(path: path, reason: reason + "; the file is damaged or was not written by sweep export")
        }
        guard network.hiddenWidths.count <= TrainingConfiguration.maximumDepth,
            network.hiddenWidths.allSatisfy({ $0 >= 1 && $0 <= TrainingConfiguration.maximumLayerWidth }),
            network.inputWidth >= 1, network.inputWidth <= 100_000, network.outputWidth >= 1, network.outputWidth <= 100_000
        else {
            throw damaged("its architecture (input \(network.inputWidth), hidden \(network.hiddenWidths.prefix(10)), output \(network.outputWidth)) has widths no network of this tool has")
        }
        do {
            try network.validate()
        } catch {
            throw damaged("its architecture is invalid: \(error.description)")
        }
        guard network.inputWidth == featureNames.count else {
            throw damaged("its architecture takes \(network.inputWidth) inputs but it names \(featureNames.count) features")
        }
        guard Set(featureNames).count == featureNames.count else {
            throw damaged("a feature name appears twice among its features")
        }
        let expectedOutputs = task == .multiclass ? classLabels.count : 1
        guard network.outputWidth == expectedOutputs, task != .binary || classLabels.count == 2,
            task == .regression || classLabels.count >= 2
        else {
            throw damaged("its \(task.rawValue) task with \(classLabels.count) class labels does not fit an output width of \(network.outputWidth)")
        }
        guard standardization.mean.count == featureNames.count, standardization.std.count == featureNames.count,
            standardization.mean.allSatisfy(\.isFinite), standardization.std.allSatisfy({ $0.isFinite && $0 > 0 })
        else {
            throw damaged("its standardisation statistics do not give one finite mean and one positive deviation for each of its \(featureNames.count) features")
        }
        // The architecture's weights, counted without building it: the file must hold them.
        var shape = TrainingConfiguration()
        shape.hiddenLayers = network.hiddenWidths
        shape.activation = network.activation
        shape.batchNorm = network.batchNorm
        let estimate = MemoryEstimate(configuration: shape, featureCount: network.inputWidth, outputWidth: network.outputWidth, rows: 1)
        let stored = tensors.reduce(0) { $0 + $1.values.count }
        guard estimate.parameterCount <= Double(stored) else {
            throw damaged("its architecture has \(wholeNumberText(estimate.parameterCount)) weights but the file stores \(stored)")
        }
        for tensor in tensors {
            guard tensor.values.allSatisfy(\.isFinite) else {
                throw damaged("tensor '\(tensor.name)' holds NaN or infinite values")
            }
            if tensor.name.hasSuffix("num_batches_tracked"), !tensor.values.allSatisfy({ $0 >= 0 && $0 <= 9_007_199_254_740_992 }) {
                throw damaged("tensor '\(tensor.name)' is not a count of batches")
            }
        }
    }
}

private struct SplitMetadata: Codable {
    var seed: UInt64
    var testFraction: Double
    var validationFraction: Double

    enum CodingKeys: String, CodingKey {
        case seed, testFraction = "test_fraction", validationFraction = "validation_fraction"
    }
}

private struct StandardizationMetadata: Codable {
    var mean: [Float]
    var std: [Float]
}

/// "sweep.target_standardization": a regression target's z-scores.
struct TargetScaleMetadata: Codable {
    var mean: Float
    var std: Float
}
