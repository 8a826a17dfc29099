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
        /// The next trial cannot be proposed yet: trials it must learn from are still running;
        /// or none is left, but one another worker took is not yet ready to share its fits.
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
    private var state: State
    /// Set when the sweep is shared with other processes through the store: claims are made
    /// in it (`SharedTrialStore.claim`).
    private let shared: (any SharedTrialStore)?
    /// A shared claim answered `wait`: the store is not asked again before this time.
    private var nextPoll = Date.distantPast
    /// Why a shared claim failed (the store gave up retrying): no trial starts after it.
    private var claimFailure: (any Error)?

    /// How long a worker of a shared sweep waits before asking the store again for a trial it
    /// could not have.
    static let sharedPollInterval = 0.2

    /// What the source knows of the sweep. A shared claim decides on a copy, kept only when the
    /// store has stored the decision.
    private struct State {
        /// Every trial of the sweep by number: the stored ones as read at the start, then as each
        /// one ends; trials handed out in this run as planned until they end.
        var trials: [Int: TrialRecord]
        /// The learning curves of the trials that ended (per fit, the pruning value of each epoch),
        /// kept only when the sweep prunes.
        var curves: [Int: [[Double]]] = [:]
        /// Stored trials that did not finish, to run again first.
        var reruns: [TrialPlan]
        /// Numbers below the highest stored one with no trial at all, to plan next: a process
        /// killed after handing a trial out but before its record was written (records are
        /// written as they come, not in number order) leaves such a gap.
        var gaps: [Int]
        var nextNumber: Int
        /// Trials 1 … endedPrefix have all ended: where the check for the trials a proposal needs
        /// starts, so that it is not repeated from trial 1 every time.
        var endedPrefix = 0
        var exhausted = false
        var startedInRun = 0
        /// The points of every trial handed out or stored: what a grid must not propose again.
        var taken: Set<SearchPoint>
        /// Shared sweeps: trials this process claimed and has not yet seen stored as ended (its
        /// own writes may still be on their way), and the largest revision of the store's
        /// trials it has read.
        var mine: Set<Int> = []
        var revision: Int64 = 0
    }

    /// Trials handed out whose fits are not all handed out yet.
    private var started: [TrialWork] = []
    /// Trials claimed whose work is still being made, outside the lock: until it is in
    /// `started`, a worker that finds no trial to start must wait for its fits, not end.
    private var making = 0

    /// `storedEpochs`: the epochs of the stored trials, needed only when the sweep prunes.
    /// `shared`: the store of a sweep that other processes run too; its running trials are
    /// theirs, and what to run again is found in the store at each claim.
    init(
        spec: SweepSpec, stored: [TrialRecord], storedEpochs: [Int: [EpochRecord]] = [:], budget: Budget,
        shared: (any SharedTrialStore)? = nil
    ) {
        self.spec = spec
        self.budget = budget
        self.shared = shared
        state = State(
            trials: Dictionary(stored.map { ($0.number, $0) }) { first, _ in first },
            reruns: shared != nil ? [] : stored.filter { !$0.status.isFinal }.sorted { $0.number < $1.number }.map(\.plan),
            gaps: shared != nil ? [] : SweepSpec.missingNumbers(in: stored),
            nextNumber: (stored.map(\.number).max() ?? 0) + 1,
            taken: Set(stored.map { spec.space.point(of: $0.plan.parameters) }))
        if spec.pruner != nil {
            for (number, epochs) in storedEpochs { state.curves[number] = Self.curves(of: epochs, metric: spec.metric) }
        }
    }

    /// How many trials the source holds for `takeStartedFit`: those still training, and the
    /// last one handed out.
    var heldTrialCount: Int { lock.withLock { started.count } }

    /// Why a shared claim failed, if one did: the run ends with it.
    var failure: (any Error)? { lock.withLock { claimFailure } }

    /// Every trial as this process knows it, in number order: the stored ones, those it ended,
    /// and those it handed out that have not ended, as planned. For a sweep no other process
    /// writes to, what the store holds once this process's writes have landed.
    var knownTrials: [TrialRecord] { lock.withLock { state.trials.values.sorted { $0.number < $1.number } } }

    /// How many trials this run would start if nothing stopped it early (the budget counted).
    var plannedCount: Int {
        lock.withLock {
            let remaining = state.reruns.count + spec.remainingTrials(after: Array(state.trials.values), taken: state.taken)
            return budget.trials.map { min($0, remaining) } ?? remaining
        }
    }

    /// The next trial to start, made into work that other workers can take fits from.
    func next(_ makeWork: (Claimed) -> TrialWork) -> Next {
        let claimed: Claimed
        let found = lock.withLock { () -> Claim in
            switch shared.map(claimShared) ?? claim(&state) {
            case .ready(let claimed):
                making += 1
                return .ready(claimed)
            case .done where making > 0: return .wait
            case let other: return other
            }
        }
        switch found {
        case .ready(let found): claimed = found
        case .wait: return .wait
        case .done: return .done
        }
        // Made outside the lock: it decodes, marks the trial running and reports the start.
        let work = makeWork(claimed)
        lock.withLock {
            // Trials whose fits have all been handed out and settled are let go here too: a
            // worker that always finds a trial to start never asks for other trials' fits, so
            // `takeStartedFit` alone kept every trial of a one-worker run, with its network and
            // each fit's weights, until the run ended (1.2 MB a trial on 2,000 columns).
            started.removeAll { $0.isSettled }
            started.append(work)
            making -= 1
        }
        return .trial(work)
    }

    private enum Claim {
        case ready(Claimed)
        case wait
        case done
    }

    /// Under the lock, on a sweep shared with other processes: one claim in the store, which
    /// shows what the other workers did since the last one and stores the trial decided here.
    /// The decision is made on a copy of the state, kept when the store has committed it; the
    /// store may run the decision more than once (a retried transaction).
    private func claimShared(_ store: any SharedTrialStore) -> Claim {
        guard claimFailure == nil, Date() >= nextPoll else { return claimFailure == nil ? .wait : .done }
        var decided: (state: State, claim: Claim)?
        do {
            let request = TrialClaimRequest(afterRevision: state.revision, inProgress: state.mine, withEpochs: spec.pruner != nil)
            try store.claim(sweep: spec.name, request) { view in
                var copy = state
                absorb(view, into: &copy)
                copy.reruns = view.rerun.map { [$0] } ?? []
                var claim = claim(&copy)
                copy.reruns = []
                // Nothing left to propose, but a trial running elsewhere may yet need a worker
                // (its own may stop): wait, unless this run's budget is spent.
                if case .done = claim, view.runningElsewhere > 0, !budgetSpent(copy) { claim = .wait }
                decided = (copy, claim)
                switch claim {
                case .ready(let claimed): return .start(claimed.plan, at: Date())
                case .wait: return .wait
                case .done: return .done
                }
            }
        } catch {
            claimFailure = error
            return .done
        }
        guard case (var newState, let claim)? = decided else { return .wait }
        if case .ready(let claimed) = claim { newState.mine.insert(claimed.plan.number) }
        if case .wait = claim { nextPoll = Date().addingTimeInterval(Self.sharedPollInterval) }
        state = newState
        return claim
    }

    /// Takes in the trials other workers started or ended: the store's rows are the truth,
    /// except for this process's own trials, which it knows first.
    private func absorb(_ view: TrialClaimView, into state: inout State) {
        for record in view.changed {
            let number = record.number
            if state.mine.contains(number) || state.trials[number]?.status.isFinal == true, !record.status.isFinal { continue }
            state.trials[number] = record
            // Its result is stored: no longer one this worker must answer for.
            if record.status.isFinal { state.mine.remove(number) }
            state.taken.insert(spec.space.point(of: record.plan.parameters))
            state.nextNumber = max(state.nextNumber, number + 1)
            if spec.pruner != nil, record.status.isFinal, let epochs = view.epochs[number] {
                state.curves[number] = Self.curves(of: epochs, metric: spec.metric)
            }
        }
        state.revision = max(state.revision, view.revision)
    }

    private func budgetSpent(_ state: State) -> Bool {
        if let limit = budget.trials, state.startedInRun >= limit { return true }
        if let deadline = budget.deadline, Date() >= deadline { return true }
        return false
    }

    /// Under the lock: the next stored trial to rerun, or a new trial's plan.
    private func claim(_ state: inout State) -> Claim {
        if budgetSpent(state) { return .done }
        let rerun = state.reruns.first
        let gap = rerun == nil ? state.gaps.first : nil
        guard rerun != nil || gap != nil || !state.exhausted else { return .done }
        let number = rerun?.number ?? gap ?? state.nextNumber
        // A rerun keeps its stored parameters: it waits only to be pruned on the same ground.
        let mustWait = rerun == nil ? spec.followsLag : spec.pruner != nil
        let visible = number - spec.lag - 1
        if mustWait, visible > 0 {
            // Every trial its proposal or pruner may look at must have ended.
            while state.endedPrefix < visible, state.trials[state.endedPrefix + 1]?.status.isFinal ?? false { state.endedPrefix += 1 }
            guard state.endedPrefix >= visible else { return .wait }
        }
        let reference = spec.pruner == nil ? nil : pruningReference(upTo: visible, in: state)
        if let rerun {
            state.reruns.removeFirst()
            state.startedInRun += 1
            state.trials[rerun.number] = TrialRecord(plan: rerun, status: .running)
            return .ready(Claimed(plan: rerun, reference: reference))
        }
        var history = SearchHistory(taken: state.taken)
        if spec.sampler.learnsFromResults {
            if visible > 0 { history.finished = finishedTrials(upTo: visible, in: state) }
            history.pending = (max(visible + 1, 1)..<number).compactMap { state.trials[$0] }.map {
                PendingTrial(number: $0.number, point: spec.space.point(of: $0.plan.parameters))
            }
        }
        guard let parameters = spec.proposal(for: number, history: history) else {
            if gap != nil {
                // Nothing left to propose for it (a grid whose every point is taken): no gap.
                state.gaps.removeFirst()
                return claim(&state)
            }
            state.exhausted = true
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
        if gap != nil { state.gaps.removeFirst() } else { state.nextNumber += 1 }
        state.startedInRun += 1
        state.taken.insert(spec.space.point(of: plan.parameters))
        state.trials[number] = TrialRecord(plan: plan, status: .running)
        return .ready(Claimed(plan: plan, setupFailure: failure, reference: reference))
    }

    /// The ended trials numbered `visible` or lower with their curves, for a pruner.
    private func pruningReference(upTo visible: Int, in state: State) -> PruningReference {
        guard visible > 0 else { return .empty }
        let ranking = spec.ranking
        let ended = (1...visible).compactMap { state.trials[$0] }.filter(\.status.isFinal)
        func reference(_ trial: TrialRecord) -> PruningReference.Trial {
            let name = spec.metric.name.rawValue
            var fitValues = trial.foldMetrics.compactMap { $0[name] }
            if fitValues.isEmpty, trial.status == .complete, let value = trial.metrics[name] { fitValues = [value] }
            return PruningReference.Trial(
                number: trial.number, status: trial.status, curves: state.curves[trial.number] ?? [],
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
    private func finishedTrials(upTo visible: Int, in state: State) -> [FinishedTrial] {
        let ranking = spec.ranking
        let candidates = (1...visible).compactMap { state.trials[$0] }.filter { $0.status != .failed }
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
            state.trials[outcome.record.number] = outcome.record
            if let curves { state.curves[outcome.record.number] = curves }
            // A trial that ended may be what a waiting claim needs: ask the store again at once.
            nextPoll = .distantPast
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
    /// New trials the sweep still has to propose, given the stored ones: those after the
    /// highest number, and the numbers below it that have no trial (`missingNumbers`).
    func remainingTrials(after stored: [TrialRecord], taken: Set<SearchPoint>) -> Int {
        let highest = stored.map(\.number).max() ?? 0
        let missing = Self.missingNumbers(in: stored)
        if let trials { return max(0, trials - highest) + missing.filter { $0 <= trials }.count }
        let enqueuedLeft = max(0, enqueued.count - highest)
        let gridSampler = sampler as? GridSampler
        let takenOrQueued = taken.union(enqueued.dropFirst(highest).map { space.point(of: .object($0)) })
        let grid = gridSampler?.remaining(given: takenOrQueued) ?? 0
        // A missing enqueued trial counts unless its point is one of the grid's not yet taken
        // (counted above already); a missing grid trial's point is among those.
        let missingEnqueued = missing.filter { number in
            guard number <= enqueued.count else { return false }
            let point = space.point(of: .object(enqueued[number - 1]))
            return !(gridSampler?.points.contains(point) ?? false) || takenOrQueued.contains(point)
        }
        return enqueuedLeft + grid + missingEnqueued.count
    }

    /// The numbers below the highest stored trial that have no trial stored.
    static func missingNumbers(in stored: [TrialRecord]) -> [Int] {
        let numbers = Set(stored.map(\.number))
        guard let highest = numbers.max(), highest > numbers.count else { return [] }
        return (1..<highest).filter { !numbers.contains($0) }
    }
}
