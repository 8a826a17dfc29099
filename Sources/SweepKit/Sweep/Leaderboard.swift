import Foundation

/// Trials ranked by a sweep's metric: complete trials best first, then diverged, failed,
/// interrupted, running and pending ones, so a broken trial is never "best". Ties on the metric
/// (common for accuracy on a small validation part) go to the lower validation loss.
public struct Leaderboard: Sendable {
    public struct Entry: Sendable {
        public var rank: Int
        public var trial: TrialRecord
    }

    public let metric: SweepMetric
    public let entries: [Entry]
    /// Searched settings whose value differs between trials: the columns worth showing.
    public let varyingParameters: [String]

    public init(trials: [TrialRecord], metric: SweepMetric) {
        self.metric = metric
        let statusOrder: [TrialStatus: Int] = [.complete: 0, .diverged: 1, .failed: 2, .interrupted: 3, .running: 4, .pending: 5]
        let sorted = trials.sorted { first, second in
            let firstOrder = statusOrder[first.status] ?? 9, secondOrder = statusOrder[second.status] ?? 9
            if firstOrder != secondOrder { return firstOrder < secondOrder }
            let a = first.metrics[metric.name.rawValue], b = second.metrics[metric.name.rawValue]
            if metric.isBetter(a, than: b) { return true }
            if metric.isBetter(b, than: a) { return false }
            let tieBreak = SweepMetric(name: .validationLoss, maximize: false)
            let lossA = first.metrics[MetricName.validationLoss.rawValue], lossB = second.metrics[MetricName.validationLoss.rawValue]
            if metric.name != .validationLoss, tieBreak.isBetter(lossA, than: lossB) { return true }
            if metric.name != .validationLoss, tieBreak.isBetter(lossB, than: lossA) { return false }
            return first.number < second.number
        }
        entries = sorted.enumerated().map { Entry(rank: $0.offset + 1, trial: $0.element) }
        var valuesByName: [String: Set<String>] = [:]
        for trial in trials {
            if case .object(let members) = trial.plan.parameters {
                for (name, value) in members { valuesByName[name, default: []].insert(value.canonicalText) }
            }
        }
        varyingParameters = valuesByName.filter { $0.value.count > 1 }.keys.sorted()
    }

    /// The best complete trial with a finite metric, if any.
    public var best: TrialRecord? {
        entries.first { $0.trial.status == .complete && ($0.trial.metrics[metric.name.rawValue]?.isFinite ?? false) }?.trial
    }
}
