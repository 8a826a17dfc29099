import Foundation
import NeuralNet

/// Everything a finished trial hands to the results actor: frozen, Sendable values only.
public struct TrialOutcome: Sendable {
    public var record: TrialRecord
    public var epochs: [EpochRecord]
    public var model: TrainedModel?
}

/// One trial: owns its network, optimizer and random generators for its whole life, and runs
/// on a dedicated thread (its executor) so that training never blocks the cooperative pool.
actor TrialActor {
    private let executor: ThreadExecutor
    private let plan: TrialPlan
    private let data: PreparedData

    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    init(plan: TrialPlan, data: PreparedData, executor: ThreadExecutor) {
        self.plan = plan
        self.data = data
        self.executor = executor
    }

    /// Trains the trial; `shouldStop` is asked before every batch.
    func run(shouldStop: @Sendable () -> Bool, startedAt: Date) -> TrialOutcome {
        var record = TrialRecord(plan: plan, status: .running, startedAt: startedAt)
        let configuration: TrainingConfiguration
        do {
            configuration = try JSONDecoder().decode(TrainingConfiguration.self, from: Data(plan.configurationJSON.utf8))
        } catch {
            record.status = .failed
            record.errorMessage = "stored configuration could not be read: \(error)"
            record.endedAt = Date()
            return TrialOutcome(record: record, epochs: [], model: nil)
        }
        do {
            let trainer = try Trainer(configuration: configuration, data: data)
            let result = try trainer.run(shouldStop: shouldStop)
            record.endedAt = Date()
            record.trainSeconds = result.trainSeconds
            record.epochsRun = result.epochs.count
            record.bestEpoch = result.bestEpoch
            record.divergedEpoch = result.divergedEpoch
            switch result.status {
            case .complete: record.status = .complete
            case .diverged:
                record.status = .diverged
                record.errorMessage = "the loss became NaN or infinite in epoch \(result.divergedEpoch ?? 0)"
            case .interrupted: record.status = .interrupted
            }
            for metric in MetricName.allCases {
                if let value = result.value(of: metric) { record.metrics[metric.rawValue] = value }
            }
            if result.status == .diverged {
                record.metrics[MetricName.trainLoss.rawValue] = result.epochs.last?.trainLoss ?? .nan
            }
            if let best = result.bestValidationMetric { record.metrics["best_validation_metric"] = best }
            return TrialOutcome(record: record, epochs: result.epochs, model: result.model)
        } catch {
            record.status = .failed
            record.errorMessage = String(describing: error)
            record.endedAt = Date()
            return TrialOutcome(record: record, epochs: [], model: nil)
        }
    }
}
