import SweepKit

/// The trials a sweep's heavy plots draw when it has too many to draw one by one.
///
/// A browser draws a few thousand SVG marks at once without trouble; a sweep of 10,000 trials
/// would give parallel coordinates of 10,000 lines and a slice plot of 10,000 points per
/// setting. So beyond `limit` trials the plots draw a sample, chosen deterministically (the same
/// sweep gives the same picture) from the trials in number order:
///
/// 1. the best `topCount` trials by the sweep's ranking (so the best is always drawn);
/// 2. every trial that improved the best value so far (the history's line has its points);
/// 3. the first trial of each status present (a diverged or failed trial is never sampled away);
/// 4. the rest of the budget as evenly spaced trials, so each status keeps roughly its share.
public enum PlotSample {
    public static let defaultLimit = 2_000

    /// The numbers of the trials to draw, ascending; nil when every trial fits in `limit`.
    public static func numbers(of trials: [TrialRecord], ranking: TrialRanking, limit: Int = defaultLimit) -> [Int]? {
        guard trials.count > limit else { return nil }
        let byNumber = trials.sorted { $0.number < $1.number }
        var chosen = Set<Int>()
        let topCount = max(1, min(50, limit / 20))
        for trial in best(topCount, of: byNumber, ranking: ranking) { chosen.insert(trial.number) }
        for step in improvements(of: byNumber, ranking: ranking) { chosen.insert(step.trial) }
        var seenStatus = Set<TrialStatus>()
        for trial in byNumber where seenStatus.insert(trial.status).inserted { chosen.insert(trial.number) }
        let remaining = limit - chosen.count
        if remaining > 0 {
            let stride = Double(byNumber.count) / Double(remaining)
            var position = 0.0
            while Int(position) < byNumber.count, chosen.count < limit {
                chosen.insert(byNumber[Int(position)].number)
                position += stride
            }
        }
        return chosen.sorted()
    }

    /// The best `count` complete trials with a finite metric, best first: one pass that keeps
    /// them in order, instead of ranking every trial.
    static func best(_ count: Int, of trials: [TrialRecord], ranking: TrialRanking) -> [TrialRecord] {
        var top: [TrialRecord] = []
        for trial in trials where ranking.hasFiniteMetric(trial) {
            if top.count == count, let last = top.last, !ranking.ranksAbove(trial, last) { continue }
            let index = top.firstIndex { ranking.ranksAbove(trial, $0) } ?? top.count
            top.insert(trial, at: index)
            if top.count > count { top.removeLast() }
        }
        return top
    }

    /// The best finite value so far at each trial, in number order, that improved it.
    public static func improvements(of trials: [TrialRecord], ranking: TrialRanking) -> [BestStep] {
        var steps: [BestStep] = []
        var best: Double?
        for trial in trials.sorted(by: { $0.number < $1.number }) where ranking.hasFiniteMetric(trial) {
            let value = trial.metrics[ranking.metric.name.rawValue]!
            if ranking.isBetter(value, than: best) {
                best = value
                steps.append(BestStep(trial: trial.number, value: value))
            }
        }
        return steps
    }
}
