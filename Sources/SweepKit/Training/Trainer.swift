import Datasets
import Foundation
import NeuralNet

/// Why a configuration cannot be trained on its data.
public enum TrainingError: Error, Sendable, CustomStringConvertible, Equatable {
    case lossDoesNotFitTask(loss: Loss, task: TaskKind, allowed: [Loss])
    case noTrainingRows
    case engine(NeuralNetError)
    /// A fit trained again for its model (`scoringFitModels`) diverged or stopped.
    case fitDidNotComplete(fit: Int, status: TrainingStatus)
    /// Batch norm with batches of one row: `batch_size` 1, or a training part of one row.
    case batchNormNeedsTwoRows(batchSize: Int, trainingRows: Int)

    public var description: String {
        switch self {
        case .lossDoesNotFitTask(let loss, let task, let allowed):
            return "loss '\(loss.rawValue)' does not fit a \(task.rawValue) task; use one of \(allowed.map(\.rawValue).joined(separator: ", "))"
        case .noTrainingRows:
            return "the split leaves no training rows; lower test_fraction or validation_fraction"
        case .engine(let error):
            return error.description
        case .fitDidNotComplete(let fit, let status):
            return "fit \(fit) ended \(status.rawValue) when trained again, so it has no model"
        case .batchNormNeedsTwoRows(let batchSize, let trainingRows):
            let needs = "batch_norm needs at least 2 rows in each training batch (a batch of one row has no variance to normalise by)"
            if batchSize == 1 {
                return "\(needs), and batch_size is 1; set batch_size to 2 or more, or batch_norm to false"
            }
            return "\(needs), but the training part has \(trainingRows) row; use more rows (or a smaller test_fraction or validation_fraction), or set batch_norm to false"
        }
    }
}

/// Trains one configuration on prepared data: the training loop of section 8 of the founding
/// document, the same path for `sweep train` and for every sweep trial.
///
/// Per epoch: set the scheduled rate, reshuffle the training rows from the run's seed, run the
/// mini-batches in train mode (the last partial batch is kept, but a last batch of one row is
/// dropped when batch norm is on), then evaluate the validation rows in eval mode. A NaN or
/// infinite loss ends the run as diverged. Early stopping restores the best epoch's weights.
public struct Trainer {
    public let configuration: TrainingConfiguration
    public let data: PreparedData
    public let loss: Loss

    public init(configuration: TrainingConfiguration, data: PreparedData) throws(TrainingError) {
        self.configuration = configuration
        self.data = data
        let allowed: [Loss] = switch data.task {
        case .multiclass: [.crossEntropy, .ordinal]
        case .binary: [.binaryCrossEntropyWithLogits, .binaryCrossEntropy]
        case .regression: [.mse, .l1, .smoothL1]
        }
        let chosen = configuration.loss ?? allowed[0]
        guard allowed.contains(chosen) else {
            throw .lossDoesNotFitTask(loss: chosen, task: data.task, allowed: allowed)
        }
        loss = chosen
        guard data.folds.allSatisfy({ !$0.train.isEmpty }) else { throw .noTrainingRows }
        // Batch norm cannot train on a batch of one row (PyTorch raises). A last batch of one is
        // dropped (`FitLoop.trainEpoch`), so only batches that are all one row are left: refused
        // here in the settings a person can change, where the engine would say to switch the
        // network to evaluation mode, which a configuration cannot do.
        if configuration.batchNorm {
            let trainingRows = (data.folds + [data.finalFit].compactMap { $0 }).map(\.train.rowCount).min() ?? 0
            if configuration.batchSize == 1 || trainingRows == 1 {
                throw .batchNormNeedsTwoRows(batchSize: configuration.batchSize, trainingRows: trainingRows)
            }
        }
    }

    /// The network this configuration builds for this data.
    public var networkDescription: NetworkDescription {
        NetworkDescription(
            inputWidth: data.featureNames.count, hiddenWidths: configuration.hiddenLayers,
            outputWidth: data.outputWidth, activation: configuration.activation,
            negativeSlope: configuration.negativeSlope, initializer: configuration.initializer,
            dropout: configuration.dropout, batchNorm: configuration.batchNorm,
            output: outputActivation)
    }

    /// Softmax, or an ordinal output for the ordinal loss (multiclass); sigmoid (binary);
    /// identity (regression).
    var outputActivation: OutputActivation {
        switch data.task {
        case .multiclass: loss == .ordinal ? .ordinal : .softmax
        case .binary: .sigmoid
        case .regression: .identity
        }
    }

    /// The fits a configuration makes: each fold in order (with repeats, every fold of repeat 1,
    /// then of repeat 2, …), then the final fit when there is one (k-fold). Each is independent
    /// of the others (its own network, optimizer and generators, seeded from the configuration's
    /// seed, its repeat and its fold), so they may run in any order and on any thread;
    /// `result(of:seconds:)` combines them.
    public var fitCount: Int { scoringFitCount + (data.finalFit == nil ? 0 : 1) }

    /// The fits whose validation scores the configuration: folds × repeats.
    public var scoringFitCount: Int { data.folds.count * configuration.repeatCount }

    /// Trains every fold and combines them. With k-fold, the folds score the configuration
    /// (validation metrics are their mean) and a final fit on all non-test rows (fold 0 in the
    /// epoch records) gives the tested and exported model. The final fit has no validation rows
    /// to stop on: it trains every epoch, or with early stopping the epochs the folds stopped at
    /// (`finalFitEpochs(after:)`).
    /// Folds run in order and stop at the first that does not complete; the final fit runs only
    /// when every fold completed. `observe` sees each batch and epoch; `shouldStop` is asked
    /// before every batch and ends the run as interrupted when it answers true.
    public func run(
        observe: (TrainingEvent) -> Void = { _ in }, shouldStop: () -> Bool = { false }
    ) throws(TrainingError) -> TrainingResult {
        let start = DispatchTime.now().uptimeNanoseconds
        var outcomes = [FoldOutcome?](repeating: nil, count: fitCount)
        for index in outcomes.indices where isNeeded(index, given: outcomes) {
            outcomes[index] = try fit(
                index, finalEpochs: finalFitEpochs(after: outcomes), observe: observe, shouldStop: shouldStop)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return result(of: outcomes, seconds: seconds)
    }

    /// Trains fit `index` (0 ..< `fitCount`): fold f of repeat r is index (r − 1)·k + f − 1 and is
    /// numbered (r − 1)·k + f in the epoch records; the final fit comes after them and is fold 0.
    /// `monitor` (a sweep's pruner) judges each validated epoch, after early stopping.
    /// `finalEpochs`: how long the final fit trains (`finalFitEpochs(after:)`; default: `epochs`).
    public func fit(
        _ index: Int, monitor: (any EpochMonitor)? = nil, finalEpochs: Int? = nil, observe: (TrainingEvent) -> Void = { _ in },
        shouldStop: () -> Bool = { false }
    ) throws(TrainingError) -> FoldOutcome {
        precondition(index >= 0 && index < fitCount, "fit \(index) of \(fitCount)")
        var monitors: [any EpochMonitor] = configuration.earlyStopping.map { [EarlyStoppingMonitor($0)] } ?? []
        if let monitor { monitors.append(monitor) }
        if index < scoringFitCount {
            let repeatIndex = index / data.folds.count, fold = index % data.folds.count
            return try train(
                fold: data.folds[fold], number: index + 1, epochs: configuration.epochs, seed: repeatSeed(repeatIndex),
                seedStream: fold + 1, monitors: monitors, observe: observe, shouldStop: shouldStop)
        }
        // The final fit has no validation rows: nothing to judge, its epochs run to the end.
        return try train(
            fold: data.finalFit!, number: 0, epochs: finalEpochs ?? configuration.epochs, seed: configuration.seed,
            seedStream: 0, monitors: [], observe: observe, shouldStop: shouldStop)
    }

    /// Whether the final fit must wait for the scoring fits: with early stopping, it trains for
    /// the epochs they stopped at, which are known only once they end.
    public var finalFitFollowsFolds: Bool { data.finalFit != nil && configuration.earlyStopping != nil }

    /// The epochs the final fit trains, given the scoring fits' outcomes: `epochs`, or with early
    /// stopping the mean (rounded) over the scoring fits of the epoch whose weights each kept, so
    /// that the model trained on every row stops where cross-validation found the best epoch (as
    /// refitting with the best iteration count of a cross-validated gradient-boosting model).
    /// `epochs` while a scoring fit has not completed.
    public func finalFitEpochs(after outcomes: [FoldOutcome?]) -> Int {
        guard finalFitFollowsFolds else { return configuration.epochs }
        let scoring = outcomes.prefix(scoringFitCount).compactMap { $0 }.filter { $0.status == .complete }
        guard scoring.count == scoringFitCount, scoringFitCount > 0 else { return configuration.epochs }
        let total = scoring.reduce(0) { $0 + ($1.bestEpoch ?? $1.epochs.count) }
        let mean = (Double(total) / Double(scoring.count)).rounded()
        return min(max(Int(mean), 1), configuration.epochs)
    }

    /// The seed of repeat `index` (0-based): the configuration's own for the first, so that one
    /// repeat trains as a configuration without repeats does.
    func repeatSeed(_ index: Int) -> UInt64 {
        index == 0 ? configuration.seed : SplitMix64.derived(seed: configuration.seed, stream: 0x7E9E_A700 + UInt64(index)).state
    }

    /// Whether fit `index` still counts, given the outcomes known so far: not when an earlier
    /// fit (a fold, as the final fit comes last) ended without completing.
    public func isNeeded(_ index: Int, given outcomes: [FoldOutcome?]) -> Bool {
        !outcomes[..<index].contains { $0.map { $0.status != .complete } ?? false }
    }

    /// The result of the fits, as `run` would have made it: the folds up to the first that did
    /// not complete, then the final fit if every fold completed. A needed fit with no outcome
    /// (never started: the run was stopped) counts as interrupted. `seconds` is the training time.
    public func result(of outcomes: [FoldOutcome?], seconds: Double) -> TrainingResult {
        precondition(outcomes.count == fitCount, "\(outcomes.count) outcomes for \(fitCount) fits")
        let notStarted = FoldOutcome(status: .interrupted, epochs: [], tensors: [], standardizer: nil)
        var folds: [FoldOutcome] = []
        for index in 0..<scoringFitCount {
            let outcome = outcomes[index] ?? notStarted
            folds.append(outcome)
            if outcome.status != .complete { break }
        }
        var final: FoldOutcome?
        if data.finalFit != nil, folds.count == scoringFitCount, folds.allSatisfy({ $0.status == .complete }) {
            final = outcomes[scoringFitCount] ?? notStarted
        }
        return combine(folds, final: final, seconds: seconds)
    }

    /// The validation metric that ranks epochs: accuracy for classification, RMSE for regression.
    var headlineValidationMetric: MetricName {
        data.task.isClassification ? .validationAccuracy : .validationRMSE
    }

    /// Loss and metrics over a whole part in evaluation mode, in chunks so memory stays bounded.
    public func evaluate(_ network: Network, on part: DataPart) throws(TrainingError) -> Evaluation {
        network.eval()
        defer { network.train() }
        let chunk = min(512, max(part.rowCount, 1))
        let features = Matrix(rows: chunk, columns: part.featureCount)
        let targets = Matrix(rows: chunk, columns: 1)
        var metrics = MetricAccumulator(
            task: data.task, outputsAreProbabilities: loss.takesProbabilities, ordinal: loss == .ordinal,
            errorScale: Double(part.targetScale?.standardDeviation ?? 1))
        var start = 0
        while start < part.rowCount {
            let end = min(start + chunk, part.rowCount)
            gather(part, rows: start..<end, features: features, targets: targets)
            do {
                let output = try network.forward(features, applyingOutputActivation: loss.takesProbabilities)
                let value = try loss.evaluate(prediction: output, target: targets)
                metrics.add(output: output, targets: targets, loss: value)
            } catch {
                throw .engine(error)
            }
            start = end
        }
        return metrics.evaluation
    }

    /// Copies the given positions of a part into the batch matrices, resizing them to fit.
    func gather<Positions: Collection<Int>>(_ part: DataPart, rows positions: Positions, features: Matrix, targets: Matrix) {
        // Through a buffer: iterating a generic collection allocates per element in unoptimised
        // builds, and a training step must allocate nothing. Only evaluation's ranges get copied.
        let gathered: Void? = positions.withContiguousStorageIfAvailable { buffer in
            gather(part, positions: buffer, features: features, targets: targets)
        }
        if gathered == nil {
            Array(positions).withUnsafeBufferPointer { gather(part, positions: $0, features: features, targets: targets) }
        }
    }

    private func gather(_ part: DataPart, positions: UnsafeBufferPointer<Int>, features: Matrix, targets: Matrix) {
        features.resize(rows: positions.count)
        targets.resize(rows: positions.count)
        let width = part.featureCount
        part.features.withUnsafeBufferPointer { source in
            guard let base = source.baseAddress else { return }
            for offset in 0..<positions.count {
                let position = positions[offset]
                (features.pointer + offset * width).update(from: base + position * width, count: width)
                targets.pointer[offset] = part.targets[position]
            }
        }
        // A regression target as the network learns it: z-scores of the fold's training rows.
        if let scale = part.targetScale {
            for offset in 0..<positions.count { targets.pointer[offset] = scale.standardized(targets.pointer[offset]) }
        }
    }

    private func combine(_ outcomes: [FoldOutcome], final: FoldOutcome?, seconds: Double) -> TrainingResult {
        let all = outcomes + (final.map { [$0] } ?? [])
        let status: TrainingStatus = all.first { $0.status != .complete }?.status ?? .complete
        let divergedEpoch = all.first { $0.status == .diverged }?.divergedEpoch
        func mean(_ values: [Double?]) -> Double? {
            let present = values.compactMap { $0 }
            guard !present.isEmpty, present.count == values.count else { return nil }
            return present.reduce(0, +) / Double(present.count)
        }
        func meanEvaluation(_ evaluations: [Evaluation?]) -> Evaluation? {
            guard let meanLoss = mean(evaluations.map { $0?.loss }) else { return nil }
            return Evaluation(
                loss: meanLoss, accuracy: mean(evaluations.map { $0?.accuracy }),
                rmse: mean(evaluations.map { $0?.rmse }), mae: mean(evaluations.map { $0?.mae }))
        }
        var model: TrainedModel?
        let chosen = final ?? outcomes[0]
        if status == .complete {
            model = TrainedModel(
                network: networkDescription, tensors: chosen.tensors, task: data.task, featureNames: data.featureNames,
                targetName: data.targetName, classLabels: data.classLabels, standardizer: chosen.standardizer,
                targetScale: chosen.targetScale)
        }
        return TrainingResult(
            status: status, epochs: all.flatMap(\.epochs),
            foldValidations: status == .complete ? outcomes.compactMap(\.validation) : [],
            bestEpoch: outcomes.count == 1 ? outcomes[0].bestEpoch : nil, divergedEpoch: divergedEpoch,
            // A pruned trial is ranked by how its fits looked: the folds it finished and the last
            // epoch of the one the pruner stopped (fits skipped whole have no value).
            validation: status == .complete
                ? meanEvaluation(outcomes.map(\.validation))
                : status == .pruned ? meanEvaluation(outcomes.compactMap(\.validation)) : nil,
            bestValidationMetric: mean(outcomes.map(\.bestValidationMetric)),
            test: status == .complete ? chosen.test : nil,
            trainSeconds: seconds, model: model)
    }
}

extension MetricName {
    /// This metric's value in an evaluation of the matching part.
    func value(in evaluation: Evaluation) -> Double? {
        switch self {
        case .trainLoss, .validationLoss, .testLoss: evaluation.loss
        case .validationAccuracy, .testAccuracy: evaluation.accuracy
        case .validationRMSE, .testRMSE: evaluation.rmse
        case .validationMAE, .testMAE: evaluation.mae
        }
    }
}

/// What one fit of a configuration (a fold or the final fit) ended with; `Trainer.result(of:seconds:)`
/// combines them.
public struct FoldOutcome: Sendable {
    public var status: TrainingStatus
    public var epochs: [EpochRecord]
    var bestEpoch: Int?
    var bestValidationMetric: Double?
    var divergedEpoch: Int?
    var validation: Evaluation?
    var test: Evaluation?
    var tensors: [NamedTensor]
    var standardizer: Standardizer?
    var targetScale: TargetScale?

    init(status: TrainingStatus, epochs: [EpochRecord], tensors: [NamedTensor], standardizer: Standardizer?) {
        self.status = status
        self.epochs = epochs
        self.tensors = tensors
        self.standardizer = standardizer
    }
}
