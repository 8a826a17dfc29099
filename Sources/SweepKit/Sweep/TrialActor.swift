import Foundation
import NeuralNet

/// Everything a finished trial hands to the results actor: frozen, Sendable values only.
public struct TrialOutcome: Sendable {
    public var record: TrialRecord
    public var epochs: [EpochRecord]
    public var model: TrainedModel?
}

/// Trains fits of one trial (its folds and final fit) on a worker's dedicated thread (its
/// executor), so that training never blocks the cooperative pool. The network, optimizer and
/// random generators of a fit are made, used and dropped inside `train`: the actor owns them.
actor TrialActor {
    private let executor: ThreadExecutor
    private let trainer: Trainer

    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    init(trainer: Trainer, executor: ThreadExecutor) {
        self.trainer = trainer
        self.executor = executor
    }

    /// Trains fit `index`; `monitor` judges each epoch (the sweep's pruner), `finalEpochs` is the
    /// final fit's length, `shouldStop` is asked before every batch.
    func train(_ index: Int, monitor: (any EpochMonitor)?, finalEpochs: Int?, shouldStop: @Sendable () -> Bool) -> FitResult {
        let start = DispatchTime.now().uptimeNanoseconds
        let startCPU = threadCPUSeconds()
        let outcome: Result<FoldOutcome, TrainingError>
        do {
            outcome = .success(try trainer.fit(index, monitor: monitor, finalEpochs: finalEpochs, shouldStop: shouldStop))
        } catch {
            outcome = .failure(error)
        }
        return FitResult(
            outcome: outcome, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9,
            cpuSeconds: threadCPUSeconds() - startCPU)
    }
}

/// One fit's outcome and how long it trained.
struct FitResult: Sendable {
    var outcome: Result<FoldOutcome, TrainingError>
    /// Wall-clock time from the fit's start to its end.
    var seconds: Double
    /// CPU time the fit's thread ran in that span: `seconds` less the time it was ready to run
    /// but another thread (storing results, another program) or the hypervisor had the core.
    var cpuSeconds: Double
}

/// CPU time the calling thread has run (user and system), in seconds.
func threadCPUSeconds() -> Double {
    var time = timespec()
    guard clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time) == 0 else { return 0 }
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// One trial being trained: which of its fits are handed out and what they gave. The worker
/// that takes the trial from the queue trains its fits one after another; a worker with no
/// trial left to start takes fits that have not started yet, so the end of a sweep does not
/// wait for one worker to train the last trial's folds alone. Fits depend only on the trial's
/// seed and their fold, so the result is the same whichever worker trains them. The worker whose
/// call ends the trial (its last fit delivered, or the rest skipped) stores it.
final class TrialWork: @unchecked Sendable {
    let plan: TrialPlan
    let startedAt: Date
    /// Why the trial cannot be trained at all (its configuration), or nil.
    let setupFailure: String?
    let trainer: Trainer?
    /// The sweep's pruner and what it compares this trial with, when the sweep prunes.
    let pruning: PruningContext?

    // Guarded by `lock`.
    private let lock = NSLock()
    private var nextFit = 0
    private var settled = 0
    private var outcomes: [FoldOutcome?]
    private var failure: String?
    private var seconds = 0.0

    /// `setupFailure`: why the plan cannot train, found when it was made (a combination of
    /// settings that the spec allows one by one but not together); the trial then fails at once.
    /// `jobs`: how many trials train at once, for the memory check (`MemoryEstimate`): a trial
    /// that cannot fit beside the others fails with what it needs instead of exhausting memory.
    init(
        plan: TrialPlan, data: PreparedData, startedAt: Date, setupFailure: String? = nil,
        pruning: PruningContext? = nil, jobs: Int = 1
    ) {
        self.plan = plan
        self.startedAt = startedAt
        self.pruning = pruning
        var trainer: Trainer?
        var setupFailure = setupFailure
        if setupFailure == nil { do {
            let configuration = try plan.configuration
                ?? JSONDecoder().decode(TrainingConfiguration.self, from: Data(plan.configurationJSON.utf8))
            do {
                trainer = try Trainer(configuration: configuration, data: data)
                try MemoryEstimate(configuration: configuration, data: data).check(jobs: jobs)
            } catch {
                trainer = nil
                setupFailure = String(describing: error)
            }
        } catch {
            setupFailure = "stored configuration could not be read: \(error)"
        } }
        self.trainer = trainer
        self.setupFailure = setupFailure
        outcomes = Array(repeating: nil, count: trainer?.fitCount ?? 0)
    }

    enum Take {
        /// Train this fit, then `deliver` it.
        case fit(Int)
        /// The next fit waits for the ones before it to be delivered (a pruner judges whole
        /// fits, and its decision must not depend on which finished first; a final fit after
        /// early stopping trains for the epochs the folds stopped at).
        case later
        /// Nothing left to hand out; `ended` when this call settled the trial's last fit, and
        /// the caller must store it.
        case none(ended: Bool)
    }

    /// The next fit to train. When `stopping`, or once a fit has failed or ended early (a
    /// diverged or pruned fold: the folds after it and the final fit no longer count), the fits
    /// not yet started are settled without training. With a pruner that judges whole fits, fit
    /// m goes out only once fits 0 ..< m are delivered, and not at all when the pruner says
    /// their values are clearly worse than the best trial's: the trial then ends pruned.
    func take(stopping: Bool) -> Take {
        lock.withLock {
            let wasOpen = settled < outcomes.count
            while nextFit < outcomes.count {
                let index = nextFit
                if !stopping, failure == nil, index > 0, let pruning, pruning.pruner.judgesFits,
                    trainer?.isNeeded(index, given: outcomes) ?? false {
                    guard outcomes[..<index].allSatisfy({ $0 != nil }) else { return .later }
                    if pruning.skipsFits(after: outcomes[..<min(index, scoringFitCount)].compactMap { $0 }) {
                        outcomes[index] = FoldOutcome(status: .pruned, epochs: [], tensors: [], standardizer: nil)
                    }
                }
                if !stopping, failure == nil, index == scoringFitCount, trainer?.finalFitFollowsFolds ?? false,
                    outcomes[..<index].contains(where: { $0 == nil }), trainer?.isNeeded(index, given: outcomes) ?? false {
                    return .later
                }
                nextFit += 1
                if !stopping, failure == nil, outcomes[index] == nil, trainer?.isNeeded(index, given: outcomes) ?? false {
                    return .fit(index)
                }
                settled += 1
            }
            return .none(ended: wasOpen && settled == outcomes.count)
        }
    }

    private var scoringFitCount: Int { trainer?.scoringFitCount ?? 0 }

    /// The epochs of fit `index` when it is the final fit (`Trainer.finalFitEpochs(after:)`).
    func finalEpochs(for index: Int) -> Int? {
        guard let trainer, index == scoringFitCount else { return nil }
        return lock.withLock { trainer.finalFitEpochs(after: outcomes) }
    }

    /// The pruning monitor of fit `index`; the final fit (no validation rows) has none.
    func monitor(for index: Int) -> (any EpochMonitor)? {
        guard let pruning, index < scoringFitCount else { return nil }
        return PruningMonitor(pruner: pruning.pruner, reference: pruning.reference, fit: index, metric: pruning.metric)
    }

    /// Records fit `index`'s result; returns true when that ends the trial (the caller stores it).
    func deliver(_ index: Int, _ result: FitResult) -> Bool {
        lock.withLock {
            switch result.outcome {
            case .success(let outcome): outcomes[index] = outcome
            case .failure(let error): failure = failure ?? String(describing: error)
            }
            seconds += result.seconds
            settled += 1
            return settled == outcomes.count
        }
    }

    /// Whether the trial has no fits at all to train (its configuration failed): it ends at once.
    var isEmpty: Bool { outcomes.isEmpty }

    /// Whether every fit is settled (delivered or skipped): nothing is left to hand out.
    var isSettled: Bool { lock.withLock { settled == outcomes.count } }

    /// The finished trial's record, epochs and model. Call once every fit is settled.
    func outcome() -> TrialOutcome {
        lock.withLock {
            var record = TrialRecord(plan: plan, status: .running, startedAt: startedAt)
            record.endedAt = Date()
            guard let trainer, setupFailure == nil, failure == nil else {
                record.status = .failed
                record.errorMessage = setupFailure ?? failure
                return TrialOutcome(record: record, epochs: [], model: nil)
            }
            let result = trainer.result(of: outcomes, seconds: seconds)
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
            case .pruned: record.status = .pruned
            }
            for metric in MetricName.allCases {
                if let value = result.value(of: metric) { record.metrics[metric.rawValue] = value }
            }
            if result.status == .diverged {
                record.metrics[MetricName.trainLoss.rawValue] = result.epochs.last?.trainLoss ?? .nan
            }
            if let best = result.bestValidationMetric { record.metrics["best_validation_metric"] = best }
            record.foldMetrics = result.foldValidations.count < 2 ? [] : result.foldValidations.map { evaluation in
                var metrics: [String: Double] = [:]
                for metric in MetricName.validationMetrics {
                    if let value = metric.value(in: evaluation) { metrics[metric.rawValue] = value }
                }
                return metrics
            }
            return TrialOutcome(record: record, epochs: result.epochs, model: result.model)
        }
    }
}

/// A trial's pruner and the ended trials it is judged against (fixed when the trial starts).
struct PruningContext: Sendable {
    let pruner: PrunerList
    let reference: PruningReference
    let metric: SweepMetric

    /// Whether the fits delivered so far (in order) say the trial is clearly worse than the best.
    func skipsFits(after outcomes: [FoldOutcome]) -> Bool {
        let values = outcomes.map { outcome -> Double in
            guard outcome.status == .complete, let evaluation = outcome.validation,
                let value = metric.name.value(in: evaluation) else { return .nan }
            return metric.maximize ? -value : value
        }
        return pruner.shouldSkipFits(afterFits: values, reference: reference)
    }
}
