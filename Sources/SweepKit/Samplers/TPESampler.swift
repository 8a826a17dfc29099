import Foundation
import NeuralNet

/// The Tree-structured Parzen Estimator, as Optuna 5.1.0's `TPESampler` defines it
/// (`optuna/samplers/_tpe/sampler.py`), with the sweep's reproducibility rule: a proposal is a
/// function of the sweep seed, the trial number and the finished trials only.
///
/// 1. Startup: with fewer than `startupTrials` finished trials, the trial is the random sweep's
///    (`RandomSampler`'s point for the same seed and number).
/// 2. Split (`_split_trials`, `default_gamma`): of the n finished trials, the best
///    n_below = min(⌈gamma · n⌉, 25) are good, complete trials first, then pruned ones, in the
///    ranking's order (so ties go as the leaderboard breaks them, by validation loss, where
///    Optuna takes the lower number).
///
///    Diverged trials are always bad. Optuna would count a NaN objective as a failed trial and
///    forget it; the sweep counts them like Optuna's infeasible trials (in n, in the startup
///    count and in g(x)), except that they never fill the good group, so that TPE learns to keep
///    away from where training diverged.
/// 3. Weights (`default_weights`): each group, in trial-number order, weighs its m trials
///    equally, except that past 25 the oldest m − 25 ramp linearly from 1/m up to 1.
/// 4. Estimators: l(x) from the good trials, g(x) from the bad (`ParzenEstimator`).
/// 5. Acquisition: `candidates` draws from l(x); the proposal is the first draw with the
///    largest log l(x) − log g(x), the expected-improvement criterion of Bergstra et al.
///
/// Independent mode (`multivariate: false`) draws the active dimensions one by one in
/// `space.dimensions` order, each from estimators over the trials that have it (Optuna's
/// `sample_independent`). Multivariate mode (`multivariate=True, group=True`) partitions the
/// dimensions seen in the finished trials into groups that occur in exactly the same trials
/// (`_GroupDecomposedSearchSpace`), draws each group jointly from estimators over the trials
/// that have it, keeps the draws the drawn parents make active, and draws the dimensions no
/// trial has used independently (from the prior, as Optuna's fallback does).
///
/// Constant liar (`constant_liar`, Optuna's default since 5.0): Optuna counts the running
/// trials as bad, so that parallel workers do not all propose the same good region. Which trials
/// are running depends on timing; here the "running" trials are the ones the lag hides
/// (`SearchHistory.pending`, trials n − lag … n − 1), whether or not they have ended, so the
/// proposal stays a function of the seed, n and the visible results. They join the bad group
/// after the split and do not count in n for γ, as in Optuna's `_sample`.
///
/// Bergstra, Bardenet, Bengio & Kégl, "Algorithms for Hyper-Parameter Optimization", NeurIPS
/// 2011; Watanabe, "Tree-Structured Parzen Estimator: Understanding Its Algorithm Components and
/// Their Roles for Better Empirical Performance", arXiv:2304.11127, 2023.
public struct TPESampler: Sampler {
    public let space: SearchSpace
    public let options: TPEOptions
    /// Each dimension's domain in `space.dimensions` order; nil where a single value is possible.
    let domains: [ParzenDomain?]

    public init(space: SearchSpace, options: TPEOptions) {
        self.space = space
        self.options = options
        domains = space.dimensions.map { ParzenDomain($0.parameter) }
    }

    public var learnsFromResults: Bool { true }

    public func propose(trial number: Int, seed: UInt64, history: SearchHistory) -> SearchPoint? {
        guard history.finished.count >= options.startupTrials else {
            var generator = RandomSampler.generator(seed: seed, trial: number)
            return space.randomPoint(using: &generator)
        }
        // A stream of its own, so that TPE's draws are not the random trial's.
        var base = RandomSampler.generator(seed: seed, trial: number)
        var generator = SplitMix64.derived(seed: base.next(), stream: 0x5450_45)
        let observed = observations(of: history)
        return options.multivariate
            ? proposeByGroups(observed, using: &generator)
            : proposeIndependently(observed, using: &generator)
    }

    // MARK: The split and the weights

    /// The good and the bad trials' coordinates for a proposal from `history`: the split of the
    /// finished trials, and with the constant liar the pending trials after the bad ones (their
    /// numbers are above every finished trial's, so the bad group stays in number order).
    func observations(of history: SearchHistory) -> Observations {
        Observations(
            split: Self.split(history.finished, gamma: options.gamma),
            liars: options.constantLiar ? history.pending : [], space: space, domains: domains)
    }

    /// How many finished trials are good: min(⌈gamma · n⌉, 25) (Optuna's `default_gamma`).
    static func belowCount(finished n: Int, gamma: Double) -> Int {
        min(Int((gamma * Double(n)).rounded(.up)), 25)
    }

    /// The good and the bad trials, each in trial-number order (Optuna's `_split_trials`): the
    /// best complete trials, then, if fewer than n_below, the best pruned ones.
    static func split(_ finished: [FinishedTrial], gamma: Double) -> (below: [FinishedTrial], above: [FinishedTrial]) {
        var remaining = belowCount(finished: finished.count, gamma: gamma)
        var isBelow = [Bool](repeating: false, count: finished.count)
        for status in [TrialStatus.complete, .pruned] {
            for index in finished.indices where remaining > 0 && finished[index].status == status {
                isBelow[index] = true
                remaining -= 1
            }
        }
        let byNumber = finished.indices.sorted { finished[$0].number < finished[$1].number }
        return (byNumber.filter { isBelow[$0] }.map { finished[$0] }, byNumber.filter { !isBelow[$0] }.map { finished[$0] })
    }

    /// The weights of m trials in trial-number order (Optuna's `default_weights`): all 1 below
    /// 25; from 25 on, the oldest m − 25 take numpy's linspace(1/m, 1, m − 25) and the newest
    /// 25 take 1, so that the search forgets the start of a long sweep.
    static func defaultWeights(count m: Int) -> [Double] {
        guard m >= 25 else { return [Double](repeating: 1, count: m) }
        let ramp = m - 25
        let start = 1 / Double(m)
        // As numpy: start + i · (1 − start)/(ramp − 1), the last exactly 1; one point is the start.
        let increment = ramp > 1 ? (1 - start) / Double(ramp - 1) : 0
        let rising = (0..<ramp).map { $0 == ramp - 1 && ramp > 1 ? 1 : start + Double($0) * increment }
        return rising + [Double](repeating: 1, count: 25)
    }

    // MARK: Proposals

    /// Independent TPE: each active dimension from its own pair of estimators.
    private func proposeIndependently(_ observed: Observations, using generator: inout SplitMix64) -> SearchPoint {
        var point: SearchPoint = [:]
        for (index, dimension) in space.dimensions.enumerated() where space.isActive(dimension, in: point) {
            point[dimension.name] = independentCoordinate(of: index, observed, using: &generator)
        }
        return point
    }

    private func independentCoordinate(of index: Int, _ observed: Observations, using generator: inout SplitMix64) -> Double {
        guard domains[index] != nil else { return singleCoordinate(of: space.dimensions[index].parameter) }
        return drawn(group: [index], observed, using: &generator)[0]
    }

    /// Multivariate TPE over the group decomposition of the observed dimensions. Every group is
    /// drawn, as Optuna draws its relative sample before the objective asks for parameters; the
    /// point keeps the dimensions the drawn parents make active.
    private func proposeByGroups(_ observed: Observations, using generator: inout SplitMix64) -> SearchPoint {
        var joint: [Int: Double] = [:]
        for group in observed.groups() {
            let values = drawn(group: group, observed, using: &generator)
            for (index, value) in zip(group, values) { joint[index] = value }
        }
        var point: SearchPoint = [:]
        for (index, dimension) in space.dimensions.enumerated() where space.isActive(dimension, in: point) {
            point[dimension.name] = joint[index] ?? independentCoordinate(of: index, observed, using: &generator)
        }
        return point
    }

    /// The coordinates of the best of `candidates` draws from l(x) for the dimensions `group`,
    /// estimated over the trials that have every one of them.
    private func drawn(group: [Int], _ observed: Observations, using generator: inout SplitMix64) -> [Double] {
        let (good, bad) = estimators(for: group, observed)
        let candidates = good.sample(count: options.candidates, using: &generator)
        let best = Self.bestCandidate(candidates, below: good, above: bad)
        return zip(candidates, group).map { column, index in cleaned(column[best], of: space.dimensions[index].parameter) }
    }

    /// l(x) and g(x) over the dimensions `group` (each with a domain), from the good and the bad
    /// trials that have every one of them.
    func estimators(for group: [Int], _ observed: Observations) -> (good: ParzenEstimator, bad: ParzenEstimator) {
        let groupDomains = group.map { domains[$0]! }
        let below = observed.columns(group, of: observed.below)
        let above = observed.columns(group, of: observed.above)
        return (
            ParzenEstimator(observations: below, domains: groupDomains, weights: Self.defaultWeights(count: below[0].count), options: options),
            ParzenEstimator(observations: above, domains: groupDomains, weights: Self.defaultWeights(count: above[0].count), options: options)
        )
    }

    /// The index of the candidate with the largest log l(x) − log g(x), the first on ties (numpy's
    /// `argmax`, as Optuna's `_compare`).
    static func bestCandidate(_ candidates: [[Double]], below: ParzenEstimator, above: ParzenEstimator) -> Int {
        let good = below.logDensities(of: candidates), bad = above.logDensities(of: candidates)
        var best = 0, bestValue = -Double.infinity
        for j in good.indices where good[j] - bad[j] > bestValue {
            best = j
            bestValue = good[j] - bad[j]
        }
        return best
    }

    /// A q-step draw as the space writes it (0.30000000000000004 as 0.3), so that the stored
    /// parameter reads back as the same coordinate.
    private func cleaned(_ coordinate: Double, of parameter: SearchParameter) -> Double {
        if case .quantizedUniform(_, _, let quantum) = parameter { return quantized(coordinate, quantum: quantum) }
        return coordinate
    }

    private func singleCoordinate(of parameter: SearchParameter) -> Double {
        if case .quantizedUniform(let minimum, let maximum, let quantum) = parameter {
            return parameter.steppedRange(minimum: minimum, maximum: maximum, quantum: quantum).low
        }
        return 0
    }
}

/// The coordinates of the split trials, looked up once per proposal, by dimension index.
struct Observations {
    let below: [[Double?]]
    /// The bad trials, then the constant liar's pending ones.
    let above: [[Double?]]
    /// How many of `above`'s trials are finished: the group decomposition looks at those only.
    let finishedAbove: Int

    /// `below[d][t]`: good trial t's coordinate of dimension d, nil when the trial lacks it (or
    /// holds a value outside the dimension's domain). `liars` join the bad trials.
    init(split: (below: [FinishedTrial], above: [FinishedTrial]), liars: [PendingTrial] = [], space: SearchSpace, domains: [ParzenDomain?]) {
        func table(_ points: [SearchPoint]) -> [[Double?]] {
            zip(space.dimensions, domains).map { dimension, domain in
                points.map { point in
                    guard let domain, let coordinate = point[dimension.name], domain.contains(coordinate) else { return nil }
                    return coordinate
                }
            }
        }
        below = table(split.below.map(\.point))
        above = table(split.above.map(\.point) + liars.map(\.point))
        finishedAbove = split.above.count
    }

    /// The coordinates of `dimensions` over the trials of `table` that have all of them.
    func columns(_ dimensions: [Int], of table: [[Double?]]) -> [[Double]] {
        let trialCount = table.first?.count ?? 0
        let having = (0..<trialCount).filter { t in dimensions.allSatisfy { table[$0][t] != nil } }
        return dimensions.map { d in having.map { table[d][$0]! } }
    }

    /// Optuna's group decomposition: dimensions that occur in exactly the same finished trials
    /// form a group (pending trials do not count, as Optuna's `_GroupDecomposedSearchSpace`
    /// leaves running trials out). Groups come in the order of their first dimension in the
    /// space, and leave out the dimensions no trial has and those with a single value.
    func groups() -> [[Int]] {
        var groups: [[Int]] = []
        var groupOfPattern: [[Bool]: Int] = [:]
        for d in below.indices {
            let pattern = (below[d] + above[d].prefix(finishedAbove)).map { $0 != nil }
            guard pattern.contains(true) else { continue }
            if let group = groupOfPattern[pattern] {
                groups[group].append(d)
            } else {
                groupOfPattern[pattern] = groups.count
                groups.append([d])
            }
        }
        return groups
    }
}
