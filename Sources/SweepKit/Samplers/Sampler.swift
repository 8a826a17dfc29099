import Foundation
import NeuralNet

/// Proposes the point of a new trial, as Optuna's `BaseSampler` does, but as a function of the
/// sweep seed, the trial number and the history only: no state carried between calls, so a
/// resumed sweep proposes exactly what an uninterrupted one would.
///
/// The scheduler gives trial n a history that holds every earlier trial's point and the results
/// of the trials numbered n − lag − 1 or lower (`SweepSpec.lag`). A sampler that
/// `learnsFromResults` is asked only once all of those have finished, so the sweep is the same
/// trial for trial whatever `--jobs` (up to lag + 1) and whatever order trials finish in.
public protocol Sampler: Sendable {
    /// Trial `number`'s point, or nil when nothing is left to propose (every grid point taken).
    func propose(trial number: Int, seed: UInt64, history: SearchHistory) -> SearchPoint?

    /// Whether proposals use finished trials' results (TPE), not only their points.
    var learnsFromResults: Bool { get }
}

/// What a sampler may use when it proposes a trial.
public struct SearchHistory: Sendable {
    /// The points of the trials numbered below the one proposed, whatever their state: a grid
    /// skips the points taken.
    public var taken: Set<SearchPoint>
    /// The finished trials the proposal may learn from (numbered n − lag − 1 or lower), best
    /// first as `TrialRanking` orders them: complete trials by their metric, then pruned, then
    /// diverged ones. Failed trials are left out (their configuration could not train; they say
    /// nothing about the objective).
    public var finished: [FinishedTrial]
    /// The trials numbered above the visible ones and below the one proposed (n − lag … n − 1),
    /// in number order: their points are known, their results are not the proposal's to use,
    /// whether or not they have ended. TPE's constant liar counts them as bad.
    public var pending: [PendingTrial]

    public init(taken: Set<SearchPoint> = [], finished: [FinishedTrial] = [], pending: [PendingTrial] = []) {
        self.taken = taken
        self.finished = finished
        self.pending = pending
    }

    public static let empty = SearchHistory()
}

/// A finished trial as a sampler sees it.
public struct FinishedTrial: Sendable, Hashable {
    public var number: Int
    public var point: SearchPoint
    /// complete, pruned or diverged.
    public var status: TrialStatus
    /// The sweep's metric, oriented so that lower is better (negated when the goal is to
    /// maximise), as Optuna's samplers see a minimised objective; NaN when the trial has none.
    public var loss: Double

    public init(number: Int, point: SearchPoint, status: TrialStatus, loss: Double) {
        self.number = number
        self.point = point
        self.status = status
        self.loss = loss
    }
}

/// A trial the lag hides from a proposal: its point, not its result.
public struct PendingTrial: Sendable, Hashable {
    public var number: Int
    public var point: SearchPoint

    public init(number: Int, point: SearchPoint) {
        self.number = number
        self.point = point
    }
}
