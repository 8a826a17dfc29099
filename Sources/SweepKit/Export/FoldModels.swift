import Dispatch
import Foundation
import NeuralNet

/// A scoring fit's model, trained again: what a fold ensemble is made of.
public struct FitModel: Sendable {
    /// 0-based: fold f of repeat r is (r − 1)·k + f − 1, as `Trainer.fit` numbers it.
    public var index: Int
    public var model: TrainedModel
    /// The fit's final validation evaluation (on its fold's validation rows).
    public var validation: Evaluation?
}

extension Trainer {
    /// The models of the scoring fits (every fold of every repeat), trained again.
    ///
    /// A sweep stores one model per trial, its final fit's; the fold models are not kept, since
    /// they would multiply the database's weights by the fold count for every trial when a fold
    /// ensemble is wanted of one. They need not be: each fit depends only on the configuration's
    /// seed, its repeat and its fold (`fit(_:)`), so training it again gives the fit the sweep
    /// trained, bit for bit on a machine with the same matrix kernels. `threads` fits train at
    /// once, each on its own thread; `shouldStop`, asked before every batch, ends them (and the
    /// call, with `TrainingError.fitDidNotComplete` and status `interrupted`).
    public func scoringFitModels(threads: Int = 1, shouldStop: @escaping @Sendable () -> Bool = { false }) throws(TrainingError) -> [FitModel] {
        let results = FitModelResults(count: scoringFitCount)
        let trainer = UncheckedTrainer(trainer: self)
        DispatchQueue.concurrentPerform(iterations: max(1, min(threads, scoringFitCount))) { worker in
            var index = worker
            while index < trainer.trainer.scoringFitCount {
                results.set(index, Result { () throws(TrainingError) in try trainer.trainer.fit(index, shouldStop: shouldStop) })
                index += max(1, min(threads, trainer.trainer.scoringFitCount))
            }
        }
        var models: [FitModel] = []
        for (index, result) in results.all.enumerated() {
            let outcome = try result.get()
            guard outcome.status == .complete else { throw .fitDidNotComplete(fit: index + 1, status: outcome.status) }
            models.append(FitModel(index: index, model: model(from: outcome), validation: outcome.validation))
        }
        return models
    }

    /// The model a completed fit ended with.
    func model(from outcome: FoldOutcome) -> TrainedModel {
        TrainedModel(
            network: networkDescription, tensors: outcome.tensors, task: data.task, featureNames: data.featureNames,
            targetName: data.targetName, classLabels: data.classLabels, standardizer: outcome.standardizer,
            targetScale: outcome.targetScale)
    }
}

/// A trainer handed to the threads of `scoringFitModels`: it is read only, and each fit builds
/// its own network, optimizer and generators.
private struct UncheckedTrainer: @unchecked Sendable {
    let trainer: Trainer
}

/// The fits' outcomes, written by several threads.
private final class FitModelResults: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<FoldOutcome, TrainingError>]

    init(count: Int) {
        results = Array(repeating: .failure(.noTrainingRows), count: count)
    }

    func set(_ index: Int, _ result: Result<FoldOutcome, TrainingError>) {
        lock.withLock { results[index] = result }
    }

    var all: [Result<FoldOutcome, TrainingError>] { lock.withLock { results } }
}
