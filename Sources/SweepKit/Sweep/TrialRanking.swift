import Foundation

/// The one order of a sweep's trials, best first, that the leaderboard, `sweep export`,
/// `--keep-weights`, the progress line and the samplers all use:
///
/// 1. by status: complete, then pruned, diverged, failed, interrupted, running and pending
///    trials, so that a broken trial is never "best";
/// 2. complete trials by the metric in the direction of the sweep's goal, trials whose value is
///    NaN, infinite or missing after those with a finite one; pruned trials by how far they got
///    (more epochs first), then by the metric;
/// 3. ties on the metric (common for accuracy on a small validation part) by the lower
///    validation loss, finite before non-finite;
/// 4. then the lower trial number.
public struct TrialRanking: Sendable, Hashable {
    public let metric: SweepMetric

    public init(metric: SweepMetric) {
        self.metric = metric
    }

    private static let statusOrder: [TrialStatus: Int] = [
        .complete: 0, .pruned: 1, .diverged: 2, .failed: 3, .interrupted: 4, .running: 5, .pending: 6,
    ]

    /// Whether `first` ranks above `second`.
    public func ranksAbove(_ first: TrialRecord, _ second: TrialRecord) -> Bool {
        let firstOrder = Self.statusOrder[first.status] ?? 9, secondOrder = Self.statusOrder[second.status] ?? 9
        if firstOrder != secondOrder { return firstOrder < secondOrder }
        if first.status == .complete || first.status == .pruned {
            if first.status == .pruned, let order = compare(first.epochsRun, second.epochsRun, largerFirst: true) { return order }
            if let order = compare(first.metrics[metric.name.rawValue], second.metrics[metric.name.rawValue], largerFirst: metric.maximize) {
                return order
            }
            if metric.name != .validationLoss {
                let loss = MetricName.validationLoss.rawValue
                if let order = compare(first.metrics[loss], second.metrics[loss], largerFirst: false) { return order }
            }
        }
        return first.number < second.number
    }

    /// The trials best first.
    public func ranked(_ trials: [TrialRecord]) -> [TrialRecord] {
        trials.sorted(by: ranksAbove)
    }

    /// The complete trials with a finite metric, best first: those an export or ensemble takes.
    public func rankedWithFiniteMetric(_ trials: [TrialRecord]) -> [TrialRecord] {
        ranked(trials.filter(hasFiniteMetric))
    }

    /// The best complete trial with a finite metric, if any: the one `sweep export` writes.
    public func best(of trials: [TrialRecord]) -> TrialRecord? {
        trials.filter(hasFiniteMetric).min(by: ranksAbove)
    }

    /// The numbers of the best `count` complete trials (those with a finite metric first): the
    /// weights `--keep-weights` keeps, so that `sweep export` always finds the best trial's.
    public func best(_ count: Int, of trials: [TrialRecord]) -> [Int] {
        Array(ranked(trials.filter { $0.status == .complete }).prefix(max(count, 0)).map(\.number))
    }

    public func hasFiniteMetric(_ trial: TrialRecord) -> Bool {
        trial.status == .complete && (trial.metrics[metric.name.rawValue]?.isFinite ?? false)
    }

    /// The metric oriented so that lower is better, as samplers want it; NaN when not finite.
    public func loss(of trial: TrialRecord) -> Double {
        guard let value = trial.metrics[metric.name.rawValue], value.isFinite else { return .nan }
        return metric.maximize ? -value : value
    }

    /// Whether `candidate` is strictly better than `incumbent` (a finite value beats a missing or
    /// non-finite one): for "best so far" displays.
    public func isBetter(_ candidate: Double?, than incumbent: Double?) -> Bool {
        compare(candidate, incumbent, largerFirst: metric.maximize) == true
    }

    /// true: first before second; false: second before first; nil: a tie. Finite values come
    /// before missing or non-finite ones.
    private func compare<Value: Comparable>(_ first: Value?, _ second: Value?, largerFirst: Bool) -> Bool? {
        func usable(_ value: Value?) -> Value? {
            guard let value else { return nil }
            if let number = value as? Double, !number.isFinite { return nil }
            return value
        }
        switch (usable(first), usable(second)) {
        case let (a?, b?) where a != b: return largerFirst ? a > b : a < b
        case (.some, nil): return true
        case (nil, .some): return false
        default: return nil
        }
    }
}
