import Foundation
import SweepKit

/// Copies a sweep from one `ResultStore` to another through the protocol alone, so any two
/// backends copy both ways: the sweep record, then each trial with its metrics, each fold's
/// metrics, epochs and model in one `finish` (a trial at a time, so memory holds one trial's
/// weights). Numbers and dates are `Double`s both stores keep exactly, and weights are
/// Float32 values, so the copy is the original bit for bit.
///
/// While it copies, the destination's sweep is `interrupted`; it takes the source's status only
/// once its last trial is written. So a copy cut short (an error, Ctrl-C, a kill) never passes
/// for a finished sweep (a `complete` sweep with a tenth of its trials would rank the wrong
/// best), and the same copy run again continues it where it stopped. A sweep, or a trial, that
/// is `running` in the source is `interrupted` in the copy: nothing runs it there (`sweep run`
/// there runs it again), and a copy stored `running` could be neither continued nor told from
/// a live one.
public enum ResultCopy {
    public struct Counts: Sendable, Hashable {
        public var trials = 0
        public var epochs = 0
        public var models = 0
        /// Trials an earlier copy cut short had written already, which this one kept.
        public var alreadyCopied = 0

        public init(trials: Int = 0, epochs: Int = 0, models: Int = 0, alreadyCopied: Int = 0) {
            self.trials = trials
            self.epochs = epochs
            self.models = models
            self.alreadyCopied = alreadyCopied
        }
    }

    public enum Refusal: Error, Sendable, Hashable, CustomStringConvertible {
        /// The destination holds a sweep of that name that is not an unfinished copy of it.
        case alreadyHeld(String)

        public var description: String {
            switch self {
            case .alreadyHeld(let name): "already holds a sweep named '\(name)'"
            }
        }
    }

    /// Whether `destination` can take `sweep`: it holds no sweep of that name, or a copy of it
    /// that was cut short.
    /// `isLive`: whether a process runs a sweep stored `running` in the destination (a copy made
    /// before copies were marked interrupted is stored `running`, and nothing runs it).
    public static func canCopy(
        _ sweep: SweepRecord, from source: any ResultStore, to destination: any ResultStore,
        isLive: (SweepRecord) -> Bool = { _ in true }
    ) throws -> Bool {
        guard let held = try destination.sweep(named: sweep.name) else { return true }
        return try writtenTrials(of: sweep, try source.trials(sweep: sweep.name), in: destination, held: held, isLive: isLive) != nil
    }

    /// Copies `sweep` into `destination`, or continues a copy of it that was cut short; any
    /// other sweep of that name in `destination` is refused (`Refusal.alreadyHeld`).
    /// `progress(copied, total)` follows each trial written; what it throws stops the copy as
    /// any failure does, leaving what was written to be continued.
    public static func copy(
        sweep: SweepRecord, from source: any ResultStore, to destination: any ResultStore,
        isLive: (SweepRecord) -> Bool = { _ in true },
        progress: (_ copied: Int, _ total: Int) throws -> Void = { _, _ in }
    ) throws -> Counts {
        let trials = try source.trials(sweep: sweep.name)
        var counts = Counts()
        var written: Set<Int> = []
        if let held = try destination.sweep(named: sweep.name) {
            guard let done = try writtenTrials(of: sweep, trials, in: destination, held: held, isLive: isLive) else {
                throw Refusal.alreadyHeld(sweep.name)
            }
            written = done
            counts.alreadyCopied = done.count
        } else {
            var copying = sweep
            copying.status = .interrupted
            try destination.createSweep(copying)
        }
        for trial in trials where !written.contains(trial.number) {
            let epochs = try source.epochs(sweep: sweep.name, trial: trial.number)
            let model = try source.model(sweep: sweep.name, trial: trial.number)
            try destination.finish(sweep: sweep.name, record: copied(trial), epochs: epochs, model: model)
            counts.trials += 1
            counts.epochs += epochs.count
            counts.models += model == nil ? 0 : 1
            try progress(counts.alreadyCopied + counts.trials, trials.count)
        }
        try destination.setSweepStatus(sweep.name, sweep.status == .running ? .interrupted : sweep.status)
        return counts
    }

    /// A trial as its copy stores it: `interrupted` where the source has it `running`.
    private static func copied(_ trial: TrialRecord) -> TrialRecord {
        var copy = trial
        if copy.status == .running { copy.status = .interrupted }
        return copy
    }

    /// The trials a copy of `sweep` cut short wrote to `held`, its record in the destination, as
    /// the source still has them (a trial the source has finished since is copied again); nil
    /// when `held` is not such a copy: finished (its status is no longer `interrupted`), another
    /// sweep of the same name (its spec, creation time or data differ), or one holding a trial
    /// the source does not plan the same way.
    private static func writtenTrials(
        of sweep: SweepRecord, _ trials: [TrialRecord], in destination: any ResultStore, held: SweepRecord,
        isLive: (SweepRecord) -> Bool
    ) throws -> Set<Int>? {
        let unfinished = held.status == .interrupted || (held.status == .running && !isLive(held))
        guard unfinished, held.specJSON == sweep.specJSON, held.created == sweep.created,
              held.dataFingerprint == sweep.dataFingerprint else { return nil }
        let originals = Dictionary(uniqueKeysWithValues: trials.map { ($0.number, $0) })
        var written: Set<Int> = []
        for trial in try destination.trials(sweep: sweep.name) {
            guard let original = originals[trial.number], original.plan == trial.plan else { return nil }
            if copied(original).status == trial.status, original.endedAt == trial.endedAt { written.insert(trial.number) }
        }
        return written
    }
}
