import Foundation

/// Where workers get trials: the ask side of the sweep's ask/tell loop.
///
/// It hands out, in number order, first the stored trials that must run again (interrupted, or
/// left running by a killed process), then new trials the spec proposes (`SweepSpec.proposal`),
/// each made only when a worker asks. A sampler that learns from results proposes trial n from
/// the trials numbered n − lag − 1 and lower; while one of those is still training, `next`
/// answers `.wait` and the worker helps with the fits of running trials or waits. Workers tell
/// it every trial that ends (`ended`), before its result is stored.
///
/// Workers call it from their own threads; one lock guards its state.
final class TrialSource: @unchecked Sendable {
    /// A trial to start: its plan, why it cannot train (if so), and the trials its pruner
    /// compares it with.
    struct Claimed {
        var plan: TrialPlan
        var setupFailure: String?
        var reference: PruningReference?
    }

    enum Next {
        case trial(TrialWork)
        /// The next trial cannot be proposed yet: trials it must learn from are still running.
        case wait
        /// No trial is left to start in this run.
        case done
    }

    /// Limits of this run (`sweep run --trials`, `--timeout`).
    struct Budget: Sendable {
        var trials: Int?
        var deadline: Date?
    }

    private let spec: SweepSpec
    private let budget: Budget

    // Guarded by `lock`.
    private let lock = NSLock()
    /// Every trial of the sweep by number: the stored ones as read at the start, then as each
    /// one ends; trials handed out in this run as planned until they end.
    private var trials: [Int: TrialRecord]
    /// The learning curves of the trials that ended (per fit, the pruning value of each epoch),
    /// kept only when the sweep prunes.
    private var curves: [Int: [[Double]]] = [:]
    /// Stored trials that did not finish, to run again first.
    private var reruns: [TrialPlan]
    private var nextNumber: Int
    /// Trials 1 … endedPrefix have all ended: where the check for the trials a proposal needs
    /// starts, so that it is not repeated from trial 1 every time.
    private var endedPrefix = 0
    private var exhausted = false
    private var startedInRun = 0
    /// The points of every trial handed out or stored: what a grid must not propose again.
    private var taken: Set<SearchPoint>
    /// Trials handed out whose fits are not all handed out yet.
    private var started: [TrialWork] = []

    /// `storedEpochs`: the epochs of the stored trials, needed only when the sweep prunes.
    init(spec: SweepSpec, stored: [TrialRecord], storedEpochs: [Int: [EpochRecord]] = [:], budget: Budget) {
        self.spec = spec
        self.budget = budget
        trials = Dictionary(stored.map { ($0.number, $0) }) { first, _ in first }
        if spec.pruner != nil {
            for (number, epochs) in storedEpochs { curves[number] = Self.curves(of: epochs, metric: spec.metric) }
        }
        reruns = stored.filter { !$0.status.isFinal }.sorted { $0.number < $1.number }.map(\.plan)
        nextNumber = (stored.map(\.number).max() ?? 0) + 1
        taken = Set(stored.map { spec.space.point(of: $0.plan.parameters) })
    }

    /// How many trials this run would start if nothing stopped it early (the budget counted).
    var plannedCount: Int {
        lock.withLock {
            let remaining = reruns.count + spec.remainingTrials(after: Array(trials.values), taken: taken)
            return budget.trials.map { min($0, remaining) } ?? remaining
        }
    }

    /// The next trial to start, made into work that other workers can take fits from.
    func next(_ makeWork: (Claimed) -> TrialWork) -> Next {
        let claimed: Claimed
        switch lock.withLock(claim) {
        case .ready(let found): claimed = found
        case .wait: return .wait
        case .done: return .done
        }
        // Made outside the lock: it decodes, marks the trial running and reports the start.
        let work = makeWork(claimed)
        lock.withLock { started.append(work) }
        return .trial(work)
    }

    private enum Claim {
        case ready(Claimed)
        case wait
        case done
    }

    /// Under the lock: the next stored trial to rerun, or a new trial's plan.
    private func claim() -> Claim {
        if let limit = budget.trials, startedInRun >= limit { return .done }
        if let deadline = budget.deadline, Date() >= deadline { return .done }
        let rerun = reruns.first
        guard rerun != nil || !exhausted else { return .done }
        let number = rerun?.number ?? nextNumber
        // A rerun keeps its stored parameters: it waits only to be pruned on the same ground.
        let mustWait = rerun == nil ? spec.followsLag : spec.pruner != nil
        let visible = number - spec.lag - 1
        if mustWait, visible > 0 {
            // Every trial its proposal or pruner may look at must have ended.
            while endedPrefix < visible, trials[endedPrefix + 1]?.status.isFinal ?? false { endedPrefix += 1 }
            guard endedPrefix >= visible else { return .wait }
        }
        let reference = spec.pruner == nil ? nil : pruningReference(upTo: visible)
        if let rerun {
            reruns.removeFirst()
            startedInRun += 1
            trials[rerun.number] = TrialRecord(plan: rerun, status: .running)
            return .ready(Claimed(plan: rerun, reference: reference))
        }
        var history = SearchHistory(taken: taken)
        if spec.sampler.learnsFromResults {
            if visible > 0 { history.finished = finishedTrials(upTo: visible) }
            history.pending = (max(visible + 1, 1)..<number).compactMap { trials[$0] }.map {
                PendingTrial(number: $0.number, point: spec.space.point(of: $0.plan.parameters))
            }
        }
        guard let parameters = spec.proposal(for: number, history: history) else {
            exhausted = true
            return .done
        }
        let plan: TrialPlan
        var failure: String?
        do {
            plan = try spec.plan(number: number, parameters: parameters)
        } catch {
            // A combination that cannot train is a failed trial, not the end of the sweep.
            plan = TrialPlan(number: number, parameters: .object(parameters), configurationJSON: "{}", seed: spec.trialSeed(number))
            failure = error.problems.map(\.description).joined(separator: "; ")
        }
        nextNumber += 1
        startedInRun += 1
        taken.insert(spec.space.point(of: plan.parameters))
        trials[number] = TrialRecord(plan: plan, status: .running)
        return .ready(Claimed(plan: plan, setupFailure: failure, reference: reference))
    }

    /// The ended trials numbered `visible` or lower with their curves, for a pruner.
    private func pruningReference(upTo visible: Int) -> PruningReference {
        guard visible > 0 else { return .empty }
        let ranking = spec.ranking
        let ended = (1...visible).compactMap { trials[$0] }.filter(\.status.isFinal)
        func reference(_ trial: TrialRecord) -> PruningReference.Trial {
            let name = spec.metric.name.rawValue
            var fitValues = trial.foldMetrics.compactMap { $0[name] }
            if fitValues.isEmpty, trial.status == .complete, let value = trial.metrics[name] { fitValues = [value] }
            return PruningReference.Trial(
                number: trial.number, status: trial.status, curves: curves[trial.number] ?? [],
                fitValues: fitValues.map { spec.metric.maximize ? -$0 : $0 })
        }
        return PruningReference(trials: ended.map(reference), best: ranking.best(of: ended).map(reference))
    }

    /// Per scoring fit (fold number − 1), the pruning value of each epoch; the final fit (fold 0)
    /// is left out.
    static func curves(of epochs: [EpochRecord], metric: SweepMetric) -> [[Double]] {
        var byFit: [[Double]] = []
        for epoch in epochs.sorted(by: { ($0.fold, $0.epoch) < ($1.fold, $1.epoch) }) where epoch.fold >= 1 {
            while byFit.count < epoch.fold { byFit.append([]) }
            byFit[epoch.fold - 1].append(metric.intermediateValue(of: epoch))
        }
        return byFit
    }

    /// The ended trials numbered `visible` or lower as a sampler sees them, best first.
    private func finishedTrials(upTo visible: Int) -> [FinishedTrial] {
        let ranking = spec.ranking
        let candidates = (1...visible).compactMap { trials[$0] }.filter { $0.status != .failed }
        return ranking.ranked(candidates).map { trial in
            FinishedTrial(
                number: trial.number, point: spec.space.point(of: trial.plan.parameters), status: trial.status,
                loss: ranking.loss(of: trial))
        }
    }

    /// Tells the source how a trial handed out in this run ended.
    func ended(_ outcome: TrialOutcome) {
        let curves = spec.pruner == nil ? nil : Self.curves(of: outcome.epochs, metric: spec.metric)
        lock.withLock {
            trials[outcome.record.number] = outcome.record
            if let curves { self.curves[outcome.record.number] = curves }
        }
    }

    /// A fit not yet started of a trial another worker is training, oldest trial first, or a
    /// trial that this call ended (its remaining fits no longer needed), for the caller to store.
    func takeStartedFit() -> (work: TrialWork, take: TrialWork.Take)? {
        lock.withLock {
            var position = 0
            while position < started.count {
                let work = started[position]
                let take = work.take(stopping: false)
                switch take {
                case .fit:
                    return (work, take)
                case .later:
                    position += 1
                case .none(let ended):
                    started.remove(at: position)
                    if ended { return (work, take) }
                }
            }
            return nil
        }
    }
}

extension SweepSpec {
    /// New trials the sweep still has to propose, given the stored ones.
    func remainingTrials(after stored: [TrialRecord], taken: Set<SearchPoint>) -> Int {
        let highest = stored.map(\.number).max() ?? 0
        if let trials { return max(0, trials - highest) }
        let enqueuedLeft = max(0, enqueued.count - highest)
        let grid = (sampler as? GridSampler)?.remaining(given: taken.union(enqueued.dropFirst(highest).map { space.point(of: .object($0)) })) ?? 0
        return enqueuedLeft + grid
    }
}
