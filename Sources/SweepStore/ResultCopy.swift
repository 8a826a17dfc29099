import Foundation
import SweepKit

/// Copies a sweep from one `ResultStore` to another through the protocol alone, so any two
/// backends copy both ways: the sweep record, then each trial with its metrics, each fold's
/// metrics, epochs and model in one `finish` (a trial at a time, so memory holds one trial's
/// weights). Numbers and dates are `Double`s both stores keep exactly, and weights are
/// Float32 values, so the copy is the original bit for bit.
public enum ResultCopy {
    public struct Counts: Sendable, Hashable {
        public var trials = 0
        public var epochs = 0
        public var models = 0
    }

    /// Copies `sweep` into `destination`, which must not hold a sweep of that name. A copy that
    /// fails part-way is deleted from the destination.
    public static func copy(sweep: SweepRecord, from source: any ResultStore, to destination: any ResultStore) throws -> Counts {
        try destination.createSweep(sweep)
        do {
            var counts = Counts()
            for trial in try source.trials(sweep: sweep.name) {
                let epochs = try source.epochs(sweep: sweep.name, trial: trial.number)
                let model = try source.model(sweep: sweep.name, trial: trial.number)
                try destination.finish(sweep: sweep.name, record: trial, epochs: epochs, model: model)
                counts.trials += 1
                counts.epochs += epochs.count
                counts.models += model == nil ? 0 : 1
            }
            return counts
        } catch {
            try? destination.deleteSweep(named: sweep.name)
            throw error
        }
    }
}
