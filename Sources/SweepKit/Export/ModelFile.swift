import Datasets
import Foundation
import NeuralNet

/// A trained model as a safetensors file PyTorch loads: tensors named like the equivalent
/// `nn.Sequential`'s state_dict, and `__metadata__` holding what is needed to use it (see
/// tools/README.md, "File format written by sweep export").
///
/// An ensemble (`Ensemble`) is one file too: member i's tensors are prefixed `member<i>.`, as
/// the state_dict of a module holding the members' Sequentials as attributes `member0`,
/// `member1`, … names them, and `sweep.ensemble` lists each member's trial, fit, architecture,
/// standardisation and target scale. A file written for one model has no prefix and keeps the
/// single-model metadata.
public struct ModelFile: Sendable {
    public var ensemble: Ensemble
    /// Whether the file is written as an ensemble (prefixed tensors, `sweep.ensemble`), even of
    /// one member.
    public var isEnsemble: Bool
    /// The model's (or the ensemble's averaged) metrics on the split below.
    public var metrics: [String: Double]
    /// The split the model was trained with. `folds` and `standardize` are those the sweep
    /// prepared its data with, which `dataFingerprint` was taken under.
    public var split: DataConfiguration
    public var sweepName: String
    /// The sweep's `DataFingerprint` of the data it was split from, so that a part of the split
    /// (`sweep predict --part test`), which is picked by row position, is only taken from that
    /// data; nil in files written before it was recorded, or from a sweep that has none.
    public var dataFingerprint: String?

    /// The model of a single-model file; an ensemble's first member.
    public var model: TrainedModel { ensemble.members[0].model }
    /// The trial of a single-model file; an ensemble's first member's.
    public var trialNumber: Int { ensemble.members[0].trial }

    public init(
        model: TrainedModel, metrics: [String: Double], split: DataConfiguration, sweepName: String, trialNumber: Int,
        dataFingerprint: String?
    ) {
        // One member always makes an ensemble.
        ensemble = try! Ensemble(members: [Ensemble.Member(model: model, trial: trialNumber, fit: nil, metrics: metrics)])
        isEnsemble = false
        self.metrics = metrics
        self.split = split
        self.sweepName = sweepName
        self.dataFingerprint = dataFingerprint
    }

    public init(ensemble: Ensemble, metrics: [String: Double], split: DataConfiguration, sweepName: String, dataFingerprint: String?) {
        self.ensemble = ensemble
        isEnsemble = true
        self.metrics = metrics
        self.split = split
        self.sweepName = sweepName
        self.dataFingerprint = dataFingerprint
    }

    public func encoded() throws -> Data {
        var tensors: [StoredTensor] = []
        for (index, member) in ensemble.members.enumerated() {
            let prefix = isEnsemble ? Self.prefix(ofMember: index) : ""
            tensors += member.model.tensors.map { tensor in
                StoredTensor(
                    name: prefix + tensor.name, dataType: tensor.name.hasSuffix("num_batches_tracked") ? .i64 : .f32,
                    shape: tensor.shape, values: tensor.values)
            }
        }
        func json<T: Encodable>(_ value: T) throws -> String { String(decoding: try Self.encoder.encode(value), as: UTF8.self) }
        var metadata: [String: String] = [
            "format": "pt",
            "sweep.task": model.task.rawValue,
            "sweep.feature_names": try json(model.featureNames),
            "sweep.target": model.targetName,
            "sweep.class_labels": try json(model.classLabels),
            "sweep.split": try json(SplitMetadata(
                seed: split.splitSeed, testFraction: split.testFraction,
                validationFraction: split.folds == nil ? split.validationFraction : 0,
                folds: split.folds, standardize: split.standardize)),
            "sweep.metrics": try json(Self.exported(metrics, folds: split.folds != nil)),
            "sweep.sweep": sweepName,
            "sweep.data": split.source,
        ]
        if let dataFingerprint { metadata["sweep.data_fingerprint"] = dataFingerprint }
        if isEnsemble {
            let members = ensemble.members.enumerated().map { index, member in
                MemberMetadata(
                    prefix: Self.prefix(ofMember: index), trial: member.trial, fit: member.fit,
                    architecture: member.model.network, standardization: StandardizationMetadata(member.model),
                    targetStandardization: member.model.targetScale.map { TargetScaleMetadata(mean: $0.mean, std: $0.standardDeviation) },
                    metrics: Self.exported(member.metrics, folds: false))
            }
            metadata["sweep.ensemble"] = try json(EnsembleMetadata(
                combine: model.task.isClassification ? "mean_probability" : "mean_prediction", members: members))
        } else {
            metadata["sweep.architecture"] = try json(model.network)
            metadata["sweep.trial"] = String(trialNumber)
            metadata["sweep.standardization"] = try json(StandardizationMetadata(model))
            if let scale = model.targetScale {
                // The PyTorch recipe (tools/check_export.py): prediction = output · std + mean.
                metadata["sweep.target_standardization"] = try json(TargetScaleMetadata(mean: scale.mean, std: scale.standardDeviation))
            }
        }
        return try SafeTensors.encode(tensors, metadata: metadata)
    }

    /// The tensor-name prefix of ensemble member `index`: `member<index>.`.
    public static func prefix(ofMember index: Int) -> String { "member\(index)." }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    /// The metrics worth exporting: finite, not the per-epoch bests or the training loss, and
    /// with k-fold not the validation ones (cross-validated, they are not on the split's rows).
    private static func exported(_ metrics: [String: Double], folds: Bool) -> [String: Double] {
        metrics.filter { $0.value.isFinite && !$0.key.hasPrefix("best_") && $0.key != "train_loss" && !(folds && $0.key.hasPrefix("validation_")) }
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
        // A single model's architecture first: a file with no metadata is told its first field.
        let singleNetwork = metadata["sweep.ensemble"] == nil ? try field("sweep.architecture", as: NetworkDescription.self) : nil
        let featureNames = try field("sweep.feature_names", as: [String].self)
        let classLabels = try field("sweep.class_labels", as: [String].self)
        let splitMetadata = try field("sweep.split", as: SplitMetadata.self)
        let metrics = (try? field("sweep.metrics", as: [String: Double].self)) ?? [:]
        guard let task = metadata["sweep.task"].flatMap(TaskKind.init(rawValue:)) else {
            throw .malformed(path: path, reason: "metadata 'sweep.task' is missing or unknown")
        }
        let targetName = metadata["sweep.target"] ?? "target"
        /// One member's model from its metadata and its tensors (names without the prefix).
        func member(
            _ network: NetworkDescription, _ standardization: StandardizationMetadata, _ scale: TargetScaleMetadata?,
            _ memberTensors: [StoredTensor], label: String
        ) throws(SafeTensorsError) -> TrainedModel {
            var targetScale: TargetScale?
            if let scale {
                guard scale.mean.isFinite, scale.std.isFinite, scale.std > 0 else {
                    throw .malformed(path: path, reason: "\(label) target standardisation needs a finite mean and a positive std")
                }
                targetScale = TargetScale(mean: scale.mean, standardDeviation: scale.std)
            }
            try checkConsistency(
                path: path, network: network, task: task, featureNames: featureNames, classLabels: classLabels,
                standardization: standardization, tensors: memberTensors)
            return TrainedModel(
                network: network, tensors: memberTensors.map { NamedTensor(name: $0.name, shape: $0.shape, values: $0.values) },
                task: task, featureNames: featureNames, targetName: targetName, classLabels: classLabels,
                standardizer: Standardizer(means: standardization.mean, standardDeviations: standardization.std),
                targetScale: targetScale)
        }
        var split = DataConfiguration()
        split.source = metadata["sweep.data"] ?? split.source
        split.target = metadata["sweep.target"]
        split.splitSeed = splitMetadata.seed
        // The split is reproduced from these (sweep predict --part), and a spec's fractions are
        // checked when it is read: fractions no spec can hold are a damaged file, not a split
        // that fails on the data.
        for (key, fraction) in [("test_fraction", splitMetadata.testFraction), ("validation_fraction", splitMetadata.validationFraction)]
        where !(fraction >= 0 && fraction < 1) {
            throw .malformed(path: path, reason: "metadata 'sweep.split' has \(key) \(fraction.compactDescription), outside the [0, 1) of any sweep's split; the file was damaged or edited, so export the model again with sweep export")
        }
        guard splitMetadata.testFraction + splitMetadata.validationFraction < 1 else {
            throw .malformed(path: path, reason: "metadata 'sweep.split' has test_fraction \(splitMetadata.testFraction.compactDescription) and validation_fraction \(splitMetadata.validationFraction.compactDescription), which leave no rows to train on; the file was damaged or edited, so export the model again with sweep export")
        }
        split.testFraction = splitMetadata.testFraction
        split.validationFraction = splitMetadata.validationFraction
        if let folds = splitMetadata.folds {
            guard folds >= 2 else { throw .malformed(path: path, reason: "metadata 'sweep.split' has \(folds) folds; k-fold has at least 2") }
            split.folds = folds
        }
        if let standardize = splitMetadata.standardize { split.standardize = standardize }
        let dataFingerprint = metadata["sweep.data_fingerprint"]
        if let dataFingerprint {
            // Checked by reproducing the data as the sweep prepared it, which needs its settings.
            guard dataFingerprint.count == 16, dataFingerprint.allSatisfy(\.isHexDigit) else {
                throw .malformed(path: path, reason: "metadata 'sweep.data_fingerprint' is not 16 hexadecimal digits: \(dataFingerprint.prefix(40))")
            }
            guard splitMetadata.standardize != nil else {
                throw .malformed(path: path, reason: "metadata 'sweep.split' lacks 'standardize', which its data fingerprint was taken with")
            }
        }
        let sweepName = metadata["sweep.sweep"] ?? ""

        if metadata["sweep.ensemble"] != nil {
            let described = try field("sweep.ensemble", as: EnsembleMetadata.self)
            guard !described.members.isEmpty, described.members.count <= maximumMemberCount else {
                throw .malformed(path: path, reason: "metadata 'sweep.ensemble' lists \(described.members.count) members; an ensemble has 1 to \(maximumMemberCount)")
            }
            var members: [Ensemble.Member] = []
            var claimed = 0
            for (index, entry) in described.members.enumerated() {
                guard entry.prefix == prefix(ofMember: index) else {
                    throw .malformed(path: path, reason: "ensemble member \(index) has prefix '\(entry.prefix.prefix(40))', expected '\(prefix(ofMember: index))'")
                }
                let own = tensors.filter { $0.name.hasPrefix(entry.prefix) }.map { tensor in
                    StoredTensor(name: String(tensor.name.dropFirst(entry.prefix.count)), dataType: tensor.dataType, shape: tensor.shape, values: tensor.values)
                }
                claimed += own.count
                let model = try member(
                    entry.architecture, entry.standardization, entry.targetStandardization, own, label: "ensemble member \(index)'s")
                members.append(Ensemble.Member(model: model, trial: entry.trial, fit: entry.fit, metrics: entry.metrics ?? [:]))
            }
            guard claimed == tensors.count else {
                throw .malformed(path: path, reason: "\(tensors.count - claimed) of its tensors belong to no ensemble member (each name starts with member<i>.)")
            }
            do {
                return ModelFile(
                    ensemble: try Ensemble(members: members), metrics: metrics, split: split, sweepName: sweepName,
                    dataFingerprint: dataFingerprint)
            } catch {
                throw .malformed(path: path, reason: error.description)
            }
        }
        guard let network = singleNetwork else { throw .malformed(path: path, reason: "metadata 'sweep.architecture' is missing") }
        let standardization = try field("sweep.standardization", as: StandardizationMetadata.self)
        let scale = metadata["sweep.target_standardization"] == nil ? nil : try field("sweep.target_standardization", as: TargetScaleMetadata.self)
        let model = try member(network, standardization, scale, tensors, label: "its")
        return ModelFile(
            model: model, metrics: metrics, split: split, sweepName: sweepName,
            trialNumber: Int(metadata["sweep.trial"] ?? "") ?? 0, dataFingerprint: dataFingerprint)
    }

    /// The most members an ensemble file may list: far more than averaging needs, and a bound on
    /// the networks a damaged file can make `sweep predict` build.
    public static let maximumMemberCount = 1000
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
        let fittingOutputs: [OutputActivation] = switch task {
        case .multiclass: [.softmax, .ordinal]
        case .binary: [.sigmoid]
        case .regression: [.identity]
        }
        guard fittingOutputs.contains(network.output) else {
            throw damaged("its \(task.rawValue) task does not fit its \(network.output.rawValue) output")
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
        // An ordinal output stores one score's weights and K − 1 thresholds: at least a width-1 Linear's.
        let estimatedOutputs = network.output == .ordinal ? 1 : network.outputWidth
        let estimate = MemoryEstimate(configuration: shape, featureCount: network.inputWidth, outputWidth: estimatedOutputs, rows: 1)
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
    /// k of a cross-validated sweep (absent otherwise, and in files written before it was recorded).
    var folds: Int?
    /// Whether the sweep standardised the features (absent in files written before it was recorded).
    var standardize: Bool?

    enum CodingKeys: String, CodingKey {
        case seed, testFraction = "test_fraction", validationFraction = "validation_fraction", folds, standardize
    }
}

private struct StandardizationMetadata: Codable {
    var mean: [Float]
    var std: [Float]
}

extension StandardizationMetadata {
    /// The model's feature standardisation, or the identity (mean 0, std 1) when it has none.
    init(_ model: TrainedModel) {
        if let standardizer = model.standardizer {
            self.init(mean: standardizer.means, std: standardizer.standardDeviations)
        } else {
            let width = model.featureNames.count
            self.init(mean: Array(repeating: 0, count: width), std: Array(repeating: 1, count: width))
        }
    }
}

/// "sweep.ensemble": how the members combine and what each one is.
private struct EnsembleMetadata: Codable {
    /// `mean_probability` (classification) or `mean_prediction` (regression, in the target's units).
    var combine: String
    var members: [MemberMetadata]
}

private struct MemberMetadata: Codable {
    var prefix: String
    var trial: Int
    /// nil: the trial's exported model; n: its scoring fit n, numbered as in its epoch records.
    var fit: Int?
    var architecture: NetworkDescription
    var standardization: StandardizationMetadata
    var targetStandardization: TargetScaleMetadata?
    var metrics: [String: Double]?

    enum CodingKeys: String, CodingKey {
        case prefix, trial, fit, architecture, standardization, metrics
        case targetStandardization = "target_standardization"
    }
}

/// "sweep.target_standardization": a regression target's z-scores.
struct TargetScaleMetadata: Codable {
    var mean: Float
    var std: Float
}
