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
        return try SafeTensors.encode(tensors, metadata: metadata)
    }

    /// Reads a file written by `encoded()`; the error says which part is missing or wrong.
    public static func read(path: String) throws(SafeTensorsError) -> ModelFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadable(path: path, reason: "no such file or it is unreadable")
        }
        let (tensors, metadata) = try SafeTensors.decode(data, path: path)
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
        guard let task = metadata["sweep.task"].flatMap(TaskKind.init(rawValue:)) else {
            throw .malformed(path: path, reason: "metadata 'sweep.task' is missing or unknown")
        }
        var split = DataConfiguration()
        split.source = metadata["sweep.data"] ?? split.source
        split.target = metadata["sweep.target"]
        split.splitSeed = splitMetadata.seed
        split.testFraction = splitMetadata.testFraction
        split.validationFraction = splitMetadata.validationFraction
        let model = TrainedModel(
            network: network,
            tensors: tensors.map { NamedTensor(name: $0.name, shape: $0.shape, values: $0.values) },
            task: task, featureNames: featureNames, targetName: metadata["sweep.target"] ?? "target",
            classLabels: classLabels,
            standardizer: Standardizer(means: standardization.mean, standardDeviations: standardization.std))
        return ModelFile(
            model: model, metrics: metrics, split: split, sweepName: metadata["sweep.sweep"] ?? "",
            trialNumber: Int(metadata["sweep.trial"] ?? "") ?? 0)
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
