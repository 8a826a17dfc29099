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
    /// Every parameter some trial carries, sorted.
    public let parameters: [String]

    public init(trials: [TrialRecord], metric: SweepMetric) {
        self.metric = metric
        let sorted = TrialRanking(metric: metric).ranked(trials)
        entries = sorted.enumerated().map { Entry(rank: $0.offset + 1, trial: $0.element) }
        let parameters = trials.map { trial -> [String: JSONValue] in
            if case .object(let members) = trial.plan.parameters { return members }
            return [:]
        }
        let names = Set(parameters.flatMap(\.keys))
        self.parameters = names.sorted()
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

extension Leaderboard {
    /// What to say when the sweep has no `best` trial (`shortfall`): that it has not got that far
    /// yet, or, when every trial ended, how they ended and what helps. The commands it suggests
    /// carry `databaseOption` (" --db PATH", or "" for the default database). What `sweep export`,
    /// `sweep leaderboard --ensembles`, `sweep auto` and the report say; ask only when `best` is nil.
    public func shortfallMessage(sweep: String, databaseOption: String) -> String {
        switch shortfall {
        case .noTrials?, nil:
            return "sweep '\(sweep)' has no trials yet; run it with sweep run SPEC.json\(databaseOption)"
        case .unfinished(let remaining, let total)?:
            return "sweep '\(sweep)' has no complete trial yet (\(remaining) of its \(total) trials still to run or finish); run or resume it with sweep run SPEC.json\(databaseOption)"
        case .noneUsable(let endings)?:
            let metric = self.metric.name.rawValue
            let total = endings.values.reduce(0, +)
            let counted = TrialStatus.allCases.compactMap { status in
                endings[status].map { "\($0) \(status == .complete ? "complete without a finite \(metric)" : status.rawValue)" }
            }.joined(separator: ", ")
            let advice = endings[.diverged] != nil ? "A lower learning rate (lr) usually keeps the loss from diverging; " : ""
            return "all \(total) trials of sweep '\(sweep)' ended without a finite \(metric) (\(counted)), so none has a model to use. "
                + advice + "sweep leaderboard \(sweep)\(databaseOption) shows each trial (with --format json, a failed trial's error)"
        }
    }
}

extension TrialRecord {
    /// The epochs column of the leaderboard and the report: epochs per fit, not added up ("40",
    /// or "12–20" when early stopping ended the fits at different epochs), and for a trial that
    /// stopped early how far it got: "7/40 in fit 2" (pruned or diverged in its 7th of 40 epochs
    /// in fit 2) or "2 of 4 fits" (the pruner skipped the rest). nil when nothing is known.
    ///
    /// `epochCounts`: the epochs stored per fit (`ResultStore.epochCounts`; 0 is the final fit);
    /// `planned`: the trial's `epochs` setting; `scoringFits`: folds × repeats.
    public func epochsText(epochCounts: [Int: Int], planned: @autoclosure () -> Int?, scoringFits: Int) -> String? {
        let fits = epochCounts.filter { $0.key >= 1 }.sorted { $0.key < $1.key }.map(\.value)
        if status == .diverged, let divergedEpoch {
            let planned = planned()
            let fit = divergedFit(epochCounts: epochCounts, planned: planned, scoringFits: scoringFits)
            return "\(divergedEpoch)" + (planned.map { "/\($0)" } ?? "") + (fit.map { $0 == 0 ? " in the final fit" : " in fit \($0)" } ?? "")
        }
        guard let smallest = fits.min(), let largest = fits.max() else { return epochsRun.map(String.init) }
        if status == .pruned {
            if let planned = planned(), let last = fits.last, last < planned { return "\(last)/\(planned) in fit \(fits.count)" }
            return "\(fits.count) of \(scoringFits) fits"
        }
        return smallest == largest ? String(smallest) : "\(smallest)–\(largest)"
    }

    /// The fit a diverged trial diverged in (0: the final fit), told from the epochs stored per
    /// fit: the fits before it completed, and it stored the epochs before the one it diverged in
    /// (a loss that became NaN in training) or that one too (a validation loss that did), so none
    /// when it diverged in its first epoch. nil when that cannot be told apart from a complete
    /// fit of one epoch.
    public func divergedFit(epochCounts: [Int: Int], planned: Int?, scoringFits: Int) -> Int? {
        guard let divergedEpoch else { return nil }
        let scoring = epochCounts.keys.filter { $0 >= 1 }.sorted()
        if let final = epochCounts[0] {
            return final == divergedEpoch || final == divergedEpoch - 1 ? 0 : nil
        }
        guard let last = scoring.last, let lastCount = epochCounts[last] else { return 1 }
        if lastCount == divergedEpoch - 1 { return last }
        if lastCount == divergedEpoch {
            // Diverged in epoch 1 with one stored epoch: the last fit diverged when validated, or
            // (when fits train one epoch) it completed and the next diverged in training.
            return divergedEpoch == 1 && (planned ?? 1) == 1 ? nil : last
        }
        guard divergedEpoch == 1, lastCount > divergedEpoch else { return nil }
        return last < scoringFits ? last + 1 : 0
    }
}
