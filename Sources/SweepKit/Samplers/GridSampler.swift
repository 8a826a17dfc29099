import Foundation
import Synchronization

/// Every combination of the listed values (Optuna's `GridSampler`, in enumeration order rather
/// than shuffled): trial n takes the first combination, first dimension slowest, that no earlier
/// trial took. Trials planned before the grid grew, or enqueued ones, keep their points, and the
/// new combinations follow them.
public final class GridSampler: Sampler {
    public let space: SearchSpace
    public let points: [SearchPoint]
    /// Where the first combination not yet taken was last found. The taken set only grows as a
    /// sweep runs, so the next one is never earlier; a history that did not grow (another sweep,
    /// a test) starts the search again. It saves scanning a large grid from the start for every trial.
    private let cursor = Mutex<(index: Int, takenCount: Int)>((0, 0))

    public init(space: SearchSpace, points: [SearchPoint]) {
        self.space = space
        self.points = points
    }

    public var learnsFromResults: Bool { false }

    public func propose(trial number: Int, seed: UInt64, history: SearchHistory) -> SearchPoint? {
        cursor.withLock { cursor in
            if history.taken.count <= cursor.takenCount { cursor.index = 0 }
            cursor.takenCount = history.taken.count
            while cursor.index < points.count, history.taken.contains(points[cursor.index]) { cursor.index += 1 }
            return cursor.index < points.count ? points[cursor.index] : nil
        }
    }

    /// Combinations not yet taken: what a sweep of this grid has left to run.
    public func remaining(given taken: Set<SearchPoint>) -> Int {
        points.reduce(0) { $0 + (taken.contains($1) ? 0 : 1) }
    }
}
