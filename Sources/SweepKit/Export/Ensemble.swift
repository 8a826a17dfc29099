import Datasets
import Foundation
import NeuralNet

/// Several trained networks for the same task whose predictions are averaged: the best trials of a
/// sweep, or the fold models of one cross-validated trial.
///
/// For classification the members' class probabilities are averaged (softmax outputs, or for a
/// binary task the probability of class 1) and the class is the most probable one; for
/// regression their predictions in the target's units (each member's own `TargetScale` undone)
/// are averaged. Each member standardises the raw features with its own statistics, since fold
/// models were fitted on different rows. This is scikit-learn's `VotingClassifier(voting="soft")`
/// and `VotingRegressor` with equal weights. A plain exported model is an ensemble of one.
public struct Ensemble: Sendable {
    public struct Member: Sendable {
        public var model: TrainedModel
        /// The trial the member comes from.
        public var trial: Int
        /// nil: the trial's model as `sweep export` writes it (its final fit with k-fold, else its
        /// only fit); n: its scoring fit n, numbered as in its epoch records (fold f of repeat r
        /// is (r − 1)·k + f), trained again (`Trainer.scoringFitModels`).
        public var fit: Int?
        /// The trial's (or for a fold model, that fold's) metrics, for the file's metadata.
        public var metrics: [String: Double]

        public init(model: TrainedModel, trial: Int, fit: Int? = nil, metrics: [String: Double] = [:]) {
            self.model = model
            self.trial = trial
            self.fit = fit
            self.metrics = metrics
        }
    }

    public let members: [Member]

    /// Checks that the members predict the same thing: one task, the same features in the same
    /// order, the same target and classes.
    public init(members: [Member]) throws(EnsembleError) {
        guard let first = members.first?.model else { throw .empty }
        for member in members.dropFirst() {
            let model = member.model
            guard model.task == first.task, model.featureNames == first.featureNames, model.targetName == first.targetName,
                model.classLabels == first.classLabels
            else {
                throw .mismatched(
                    "trial \(member.trial) predicts \(model.task.rawValue) '\(model.targetName)' from \(model.featureNames.count) features, but trial \(members[0].trial) predicts \(first.task.rawValue) '\(first.targetName)' from \(first.featureNames.count); members must share the task, features and target")
            }
        }
        self.members = members
    }

    public var task: TaskKind { members[0].model.task }
    public var featureNames: [String] { members[0].model.featureNames }
    public var targetName: String { members[0].model.targetName }
    public var classLabels: [String] { members[0].model.classLabels }

    /// Values per predicted row: the class probabilities (multiclass), the probability of class 1
    /// (binary), or the prediction in the target's units (regression).
    public var outputWidth: Int { task == .multiclass ? classLabels.count : 1 }

    /// The features of `dataset` in the members' order, row-major; nil when a column is missing.
    public func features(of dataset: Dataset) -> [Float]? {
        let columns = featureNames.map { dataset.featureIndex(named: $0) }
        guard columns.allSatisfy({ $0 != nil }) else { return nil }
        var features = [Float](repeating: 0, count: dataset.rowCount * columns.count)
        for (position, column) in columns.enumerated() {
            let column = column!
            for row in 0..<dataset.rowCount {
                features[row * columns.count + position] = dataset.features[row * dataset.featureCount + column]
            }
        }
        return features
    }

    /// Accuracy (classification) or RMSE and MAE (regression) of the averaged predictions on
    /// `dataset`, whose target must be the members' and whose columns must include their
    /// features; keyed `accuracy`, `rmse`, `mae`.
    public func score(on dataset: Dataset) throws -> [String: Double] {
        guard let features = features(of: dataset) else {
            throw EnsembleError.mismatched("'\(dataset.source)' lacks some of the model's feature columns")
        }
        let outputs = try EnsemblePredictor(self).predict(features: features, rowCount: dataset.rowCount)
        let width = outputWidth
        guard dataset.rowCount > 0 else { return [:] }
        if task.isClassification {
            var correct = 0
            for row in 0..<dataset.rowCount {
                let label = classLabels[EnsemblePredictor.predictedClass(Array(outputs[(row * width)..<((row + 1) * width)]), task: task)]
                if Float(label) == dataset.targets[row] { correct += 1 }
            }
            return ["accuracy": Double(correct) / Double(dataset.rowCount)]
        }
        var squared = 0.0, absolute = 0.0
        for row in 0..<dataset.rowCount {
            let error = Double(outputs[row]) - Double(dataset.targets[row])
            squared += error * error
            absolute += abs(error)
        }
        let count = Double(dataset.rowCount)
        return ["rmse": (squared / count).squareRoot(), "mae": absolute / count]
    }
}

public enum EnsembleError: Error, Sendable, CustomStringConvertible {
    case empty
    case mismatched(String)

    public var description: String {
        switch self {
        case .empty: "an ensemble needs at least one member"
        case .mismatched(let reason): reason
        }
    }
}

/// Runs an ensemble on raw feature rows: each member's network is built once, in evaluation
/// mode, and rows go through in chunks so that memory does not grow with the input.
public final class EnsemblePredictor {
    private let ensemble: Ensemble
    private let networks: [Network]
    public static let chunkRows = 1024

    public init(_ ensemble: Ensemble) throws {
        self.ensemble = ensemble
        networks = try ensemble.members.map { try $0.model.makeNetwork() }
    }

    /// The averaged outputs of `rowCount` rows of raw (unstandardised) features in the members'
    /// feature order, row-major: `rowCount × ensemble.outputWidth` values (see
    /// `Ensemble.outputWidth`). Sums are kept in Double and divided by the member count.
    public func predict(features: [Float], rowCount: Int) throws -> [Float] {
        let width = ensemble.featureNames.count, outputs = ensemble.outputWidth
        precondition(features.count == rowCount * width, "\(features.count) values for \(rowCount) rows of \(width) features")
        var sums = [Double](repeating: 0, count: rowCount * outputs)
        for (member, network) in zip(ensemble.members, networks) {
            var start = 0
            while start < rowCount {
                let end = min(start + Self.chunkRows, rowCount)
                var chunk = Array(features[(start * width)..<(end * width)])
                try member.model.standardizer?.apply(toFeatures: &chunk, source: "the model's input")
                let output = try network.forward(try Matrix(rows: end - start, columns: width, values: chunk)).values
                for index in output.indices {
                    let value = ensemble.task == .regression ? member.model.prediction(fromOutput: output[index]) : output[index]
                    sums[start * outputs + index] += Double(value)
                }
                start = end
            }
        }
        let count = Double(ensemble.members.count)
        return sums.map { Float($0 / count) }
    }

    /// The class index a row's averaged outputs give: the most probable class (the first on a
    /// tie), or for a binary task class 1 when its probability exceeds one half.
    public static func predictedClass(_ output: [Float], task: TaskKind) -> Int {
        if task == .binary { return output[0] > 0.5 ? 1 : 0 }
        return output.indices.max { output[$0] < output[$1] || (output[$0] == output[$1] && $0 > $1) } ?? 0
    }
}
