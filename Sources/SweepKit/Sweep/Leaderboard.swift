import Foundation

/// A sweep's trials in the order of its `TrialRanking`, with the parameters worth showing.
public struct Leaderboard: Sendable {
    public struct Entry: Sendable {
        public var rank: Int
        public var trial: TrialRecord
    }

    public let metric: SweepMetric
    public let entries: [Entry]
    /// Searched settings whose value differs between trials: the columns worth showing. A
    /// conditional setting that some trials do not carry differs even with one value (the linear
    /// models' learning rate, say, beside networks that train with the fixed one).
    public let varyingParameters: [String]

    public init(trials: [TrialRecord], metric: SweepMetric) {
        self.metric = metric
        let sorted = TrialRanking(metric: metric).ranked(trials)
        entries = sorted.enumerated().map { Entry(rank: $0.offset + 1, trial: $0.element) }
        let parameters = trials.map { trial -> [String: JSONValue] in
            if case .object(let members) = trial.plan.parameters { return members }
            return [:]
        }
        let names = Set(parameters.flatMap(\.keys))
        varyingParameters = names.filter { name in
            // nil (not carried) is a value of its own.
            Set(parameters.map { $0[name]?.canonicalText }).count > 1
        }.sorted()
    }

    /// The best complete trial with a finite metric, if any.
    public var best: TrialRecord? {
        entries.first { TrialRanking(metric: metric).hasFiniteMetric($0.trial) }?.trial
    }

    /// Why a sweep has no `best` trial.
    public enum Shortfall: Equatable, Sendable {
        /// It has no trials.
        case noTrials
        /// `remaining` of its `total` trials have not ended (not started, running or interrupted).
        case unfinished(remaining: Int, total: Int)
        /// Every trial ended, none complete with a finite metric: how many ended each way
        /// (diverged, failed, pruned, or complete with a NaN or missing metric).
        case noneUsable(endings: [TrialStatus: Int])
    }

    /// Why `best` is nil, or nil when there is a best trial: a sweep that has not got that far
    /// and one whose trials all diverged or failed need different advice.
    public var shortfall: Shortfall? {
        guard best == nil else { return nil }
        let statuses = entries.map(\.trial.status)
        guard !statuses.isEmpty else { return .noTrials }
        let remaining = statuses.filter { [.pending, .running, .interrupted].contains($0) }.count
        if remaining > 0 { return .unfinished(remaining: remaining, total: statuses.count) }
        return .noneUsable(endings: Dictionary(grouping: statuses, by: { $0 }).mapValues(\.count))
    }
}
