import Datasets
import Foundation
import NeuralNet

// One fit of a configuration: the training loop, epoch by epoch, as `sweep train` and every
// sweep trial run it.
extension Trainer {
    /// Trains one fit of `epochs` epochs, recorded as fold `number`, its generators seeded from
    /// `seed` and `seedStream`.
    ///
    /// Per epoch: set the scheduled rate, reshuffle the training rows, run the mini-batches in
    /// train mode, then evaluate the validation rows in eval mode and ask each monitor whether
    /// to go on. A NaN or infinite loss ends the fit as diverged; `shouldStop`, asked before
    /// every batch, ends it as interrupted. A fit that completes ends with the weights of the
    /// best epoch a monitor marked (early stopping), or its last epoch's.
    func train(
        fold: DataFold, number: Int, epochs epochCount: Int, seed: UInt64, seedStream: Int, monitors: [any EpochMonitor],
        observe: (TrainingEvent) -> Void, shouldStop: () -> Bool
    ) throws(TrainingError) -> FoldOutcome {
        // Separate streams for the weights/dropout and for the batch order, both fixed by the seed.
        let networkSeed = SplitMix64.derived(seed: seed, stream: UInt64(2 * seedStream)).state
        var orderGenerator = SplitMix64.derived(seed: seed, stream: UInt64(2 * seedStream + 1))
        let network: Network
        let optimizer: any Optimizer
        do {
            network = try Network(networkDescription, seed: networkSeed)
            optimizer = try configuration.optimizer.makeOptimizer(for: network.parameters())
        } catch {
            throw .engine(error)
        }
        var loop = EpochLoop(trainer: self, fold: fold, network: network, optimizer: optimizer)
        var outcome = FoldOutcome(status: .complete, epochs: [], tensors: [], standardizer: fold.standardizer)
        outcome.targetScale = fold.targetScale
        var monitors = fold.validation.isEmpty ? [] : monitors
        var bestSnapshot: [NamedTensor]?
        let marksBest = monitors.contains { $0 is EarlyStoppingMonitor }

        epochs: for epoch in 1...max(epochCount, 1) {
            let epochStart = DispatchTime.now().uptimeNanoseconds
            let rate = configuration.schedule.learningRate(epoch: epoch - 1, baseRate: loop.baseRate)
            let training: Evaluation
            switch try loop.trainEpoch(epoch, rate: rate, order: &orderGenerator, number: number, observe: observe, shouldStop: shouldStop) {
            case .trained(let evaluation): training = evaluation
            case .interrupted:
                outcome.status = .interrupted
                break epochs
            case .diverged:
                outcome.status = .diverged
                outcome.divergedEpoch = epoch
                break epochs
            }
            let validation = fold.validation.isEmpty ? nil : try evaluate(network, on: fold.validation)
            if let value = validation?.headline, headlineValidationMetric.isBetter(value, than: outcome.bestValidationMetric) {
                outcome.bestValidationMetric = value
                if !marksBest { outcome.bestEpoch = epoch }
            }
            let record = EpochRecord(
                fold: number, epoch: epoch, trainLoss: training.loss, trainMetric: training.headline,
                validationLoss: validation?.loss, validationMetric: validation?.headline, learningRate: rate,
                seconds: Double(DispatchTime.now().uptimeNanoseconds - epochStart) / 1e9)
            outcome.epochs.append(record)
            observe(.epoch(record))
            guard let validation else { continue }
            if !validation.loss.isFinite {
                outcome.status = .diverged
                outcome.divergedEpoch = epoch
                break
            }
            for index in monitors.indices {
                switch monitors[index].judge(record, validation: validation) {
                case .proceed:
                    continue
                case .best:
                    bestSnapshot = network.namedTensors()
                    outcome.bestEpoch = epoch
                case .stop:
                    break epochs
                case .prune:
                    // How the fit looked when it stopped, which ranks it among pruned trials.
                    outcome.status = .pruned
                    outcome.validation = validation
                    break epochs
                }
            }
        }
        guard outcome.status == .complete else { return outcome }
        do {
            if let bestSnapshot { try network.load(bestSnapshot) }
        } catch {
            throw .engine(error)
        }
        if !fold.validation.isEmpty { outcome.validation = try evaluate(network, on: fold.validation) }
        if !fold.test.isEmpty { outcome.test = try evaluate(network, on: fold.test) }
        outcome.tensors = network.namedTensors()
        return outcome
    }
}

/// The state of one fit's mini-batch loop: its network, optimizer and batch buffers, made once
/// so that an epoch allocates nothing per batch.
struct EpochLoop {
    enum Result {
        case trained(Evaluation)
        case interrupted
        case diverged
    }

    let trainer: Trainer
    let fold: DataFold
    let network: Network
    let optimizer: any Optimizer
    let baseRate: Double
    private let batchSize: Int
    private let batchFeatures: Matrix
    private let batchTargets: Matrix
    private let shuffle: ReproducibleShuffle

    init(trainer: Trainer, fold: DataFold, network: Network, optimizer: any Optimizer) {
        self.trainer = trainer
        self.fold = fold
        self.network = network
        self.optimizer = optimizer
        let configuration = trainer.configuration
        baseRate = Double(configuration.optimizer.learningRate ?? configuration.optimizer.defaultLearningRate)
        batchSize = min(configuration.batchSize, fold.train.rowCount)
        batchFeatures = Matrix(rows: batchSize, columns: trainer.data.featureNames.count)
        batchTargets = Matrix(rows: batchSize, columns: 1)
        shuffle = ReproducibleShuffle(count: fold.train.rowCount)
    }

    /// One pass over the shuffled training rows at `rate`: the last partial batch is kept, but a
    /// last batch of one row is dropped under batch norm (its variance is undefined, PyTorch
    /// raises). Returns the epoch's training loss and metric, in train mode.
    mutating func trainEpoch(
        _ epoch: Int, rate: Double, order generator: inout SplitMix64, number: Int, observe: (TrainingEvent) -> Void,
        shouldStop: () -> Bool
    ) throws(TrainingError) -> Result {
        optimizer.learningRate = Float(rate)
        network.train()
        let order = epochOrder(shuffle, rng: &generator)
        var ranges = batchRanges(count: order.count, batchSize: batchSize)
        if trainer.configuration.batchNorm, let last = ranges.last, last.count == 1, ranges.count > 1 {
            ranges.removeLast()
        }
        let probabilities = trainer.loss.takesProbabilities
        var metrics = MetricAccumulator(
            task: trainer.data.task, outputsAreProbabilities: probabilities, ordinal: trainer.loss == .ordinal,
            errorScale: Double(fold.train.targetScale?.standardDeviation ?? 1))
        // Indices rather than enumerated(), which allocates per element unoptimised (see gather).
        for batchIndex in ranges.indices {
            if shouldStop() { return .interrupted }
            trainer.gather(fold.train, rows: order[ranges[batchIndex]], features: batchFeatures, targets: batchTargets)
            let batchLoss: Float
            do {
                let output = try network.forward(batchFeatures, applyingOutputActivation: probabilities)
                batchLoss = try trainer.loss.evaluate(prediction: output, target: batchTargets, gradient: network.outputGradient)
                metrics.add(output: output, targets: batchTargets, loss: batchLoss)
            } catch {
                throw .engine(error)
            }
            guard batchLoss.isFinite else { return .diverged }
            network.backward(batchFeatures, throughOutputActivation: probabilities, thenStep: optimizer)
            observe(.batch(fold: number, epoch: epoch, batch: batchIndex + 1, batchCount: ranges.count))
        }
        return .trained(metrics.evaluation)
    }
}
