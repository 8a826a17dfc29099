import Foundation

/// A sweep's trials in the order of its `TrialRanking`, with the parameters worth showing.
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
        let sorted = TrialRanking(metric: metric).ranked(trials)
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
        entries.first { TrialRanking(metric: metric).hasFiniteMetric($0.trial) }?.trial
    }
}
