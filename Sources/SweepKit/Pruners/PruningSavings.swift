import Foundation

/// How much training a sweep's pruner saved: the epochs its trials trained against the epochs
/// they would have trained unpruned. A pruned trial would have run every epoch of its folds,
/// repeats and final fit (early stopping might have ended it sooner: the figure is an upper
/// bound); every other trial trained what it would have anyway.
public struct PruningSavings: Sendable, Hashable {
    public var trained: Int
    public var unpruned: Int
    public var prunedTrials: Int

    public init(trials: [TrialRecord], spec: SweepSpec) {
        trained = 0
        unpruned = 0
        prunedTrials = 0
        for trial in trials {
            let run = trial.epochsRun ?? 0
            trained += run
            guard trial.status == .pruned else {
                unpruned += run
                continue
            }
            prunedTrials += 1
            let configuration = trial.plan.configuration
                ?? (try? JSONDecoder().decode(TrainingConfiguration.self, from: Data(trial.plan.configurationJSON.utf8)))
            unpruned += max(run, spec.fitsPerTrial * (configuration?.epochs ?? 0))
        }
    }

    /// The share of the unpruned epochs not trained, from 0 to 1.
    public var savedShare: Double { unpruned > 0 ? 1 - Double(trained) / Double(unpruned) : 0 }

    /// "1,240 epochs trained of 4,800 unpruned (74% saved; 31 trials pruned)".
    public var summary: String {
        "\(trained.formatted()) epochs trained of \(unpruned.formatted()) unpruned "
            + "(\(Int((savedShare * 100).rounded()))% saved; \(prunedTrials) trial\(prunedTrials == 1 ? "" : "s") pruned)"
    }
}
