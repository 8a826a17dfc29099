import Foundation
import NeuralNet

/// A trial's lifecycle. `pending` and `running` are live states; the others are final, except
/// that `interrupted` (and a stale `running`) trials run again when a sweep resumes. `pending`
/// is what databases of schema version 3 or older hold for trials planned but never started.
public enum TrialStatus: String, CaseIterable, Codable, Sendable {
    case pending, running, complete, pruned, failed, diverged, interrupted

    /// Whether a resumed sweep keeps this trial's result rather than running it again.
    public var isFinal: Bool { self == .complete || self == .pruned || self == .failed || self == .diverged }
}

public enum SweepStatus: String, CaseIterable, Codable, Sendable {
    case running, complete, interrupted
}

/// A stored sweep: its name, the canonical text of its spec, and when and how it ran.
public struct SweepRecord: Sendable, Hashable {
    public var name: String
    /// The spec as canonical JSON (sorted keys), compared to detect a changed spec on re-run.
    public var specJSON: String
    public var created: Date
    public var status: SweepStatus
    /// The data the sweep trains on, as `DataFingerprint` summarises its content; nil for sweeps
    /// stored before schema version 4. A resume on other data is refused.
    public var dataFingerprint: String?

    public init(name: String, specJSON: String, created: Date, status: SweepStatus, dataFingerprint: String? = nil) {
        self.name = name
        self.specJSON = specJSON
        self.created = created
        self.status = status
        self.dataFingerprint = dataFingerprint
    }
}

/// A sweep with its trial counts by status, for `sweep list`.
public struct SweepOverview: Sendable, Hashable {
    public var sweep: SweepRecord
    public var trialCounts: [TrialStatus: Int]

    public init(sweep: SweepRecord, trialCounts: [TrialStatus: Int]) {
        self.sweep = sweep
        self.trialCounts = trialCounts
    }

    public var totalTrials: Int { trialCounts.values.reduce(0, +) }
}

/// What the scheduler plans for one trial before it runs.
public struct TrialPlan: Sendable, Hashable {
    /// 1-based, unique within the sweep.
    public var number: Int
    /// The searched parameters' values for this trial, as a JSON object.
    public var parameters: JSONValue
    /// The complete training configuration (fixed settings + parameters), canonical JSON.
    public var configurationJSON: String
    public var seed: UInt64
    /// `configurationJSON` already decoded, when the plan comes from a spec (nil for plans read
    /// back from storage). A trial that has it skips decoding the JSON, about 0.1 ms of the time
    /// between trials. It is derived data: equality and hashing ignore it.
    public var configuration: TrainingConfiguration?

    public init(
        number: Int, parameters: JSONValue, configurationJSON: String, seed: UInt64,
        configuration: TrainingConfiguration? = nil
    ) {
        self.number = number
        self.parameters = parameters
        self.configurationJSON = configurationJSON
        self.seed = seed
        self.configuration = configuration
    }

    public static func == (first: TrialPlan, second: TrialPlan) -> Bool {
        first.number == second.number && first.parameters == second.parameters
            && first.configurationJSON == second.configurationJSON && first.seed == second.seed
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(number)
        hasher.combine(parameters)
        hasher.combine(configurationJSON)
        hasher.combine(seed)
    }
}

/// A frozen, read-only record of one trial as stored: the plan, how it ended and its metrics.
/// Metrics are keyed by `MetricName` raw values plus "best_validation_metric"; NaN and
/// infinities are legitimate values (a diverged run) and survive storage.
public struct TrialRecord: Sendable, Hashable {
    public var plan: TrialPlan
    public var status: TrialStatus
    public var startedAt: Date?
    public var endedAt: Date?
    /// Seconds spent training the trial's fits, added up: more than `endedAt − startedAt` when
    /// two workers trained its folds at once.
    public var trainSeconds: Double?
    public var epochsRun: Int?
    public var bestEpoch: Int?
    public var divergedEpoch: Int?
    public var metrics: [String: Double]
    /// The validation metrics of each scoring fit (every fold of every repeat, in fit order) of
    /// a complete trial with more than one: what `metrics` averages, for intervals and paired
    /// comparisons. Empty otherwise.
    public var foldMetrics: [[String: Double]]
    public var errorMessage: String?

    public init(
        plan: TrialPlan, status: TrialStatus, startedAt: Date? = nil, endedAt: Date? = nil,
        trainSeconds: Double? = nil, epochsRun: Int? = nil, bestEpoch: Int? = nil, divergedEpoch: Int? = nil,
        metrics: [String: Double] = [:], foldMetrics: [[String: Double]] = [], errorMessage: String? = nil
    ) {
        self.plan = plan
        self.status = status
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.trainSeconds = trainSeconds
        self.epochsRun = epochsRun
        self.bestEpoch = bestEpoch
        self.divergedEpoch = divergedEpoch
        self.metrics = metrics
        self.foldMetrics = foldMetrics
        self.errorMessage = errorMessage
    }

    public var number: Int { plan.number }
}

extension ResultStore {
    public func finalTrialNumbers(sweep: String) throws -> Set<Int> {
        Set(try trials(sweep: sweep).filter(\.status.isFinal).map(\.number))
    }

    /// One call each, in order.
    public func write(_ writes: [TrialWrite], sweep: String) throws {
        for write in writes { try write.apply(to: self, sweep: sweep) }
    }

    /// `finish`, then `startTrial` of `plan`, as one `write`.
    public func finish(
        sweep: String, record: TrialRecord, epochs: [EpochRecord], model: TrainedModel?, thenStart plan: TrialPlan, at date: Date
    ) throws {
        try write([.finish(record: record, epochs: epochs, model: model), .start(plan: plan, at: date)], sweep: sweep)
    }
}

/// A write of a trial that `ResultStore.write` takes in a list: its running mark or its result.
public enum TrialWrite: Sendable {
    /// `ResultStore.startTrial`.
    case start(plan: TrialPlan, at: Date)
    /// `ResultStore.finish`.
    case finish(record: TrialRecord, epochs: [EpochRecord], model: TrainedModel?)

    static func finish(_ outcome: TrialOutcome) -> TrialWrite {
        .finish(record: outcome.record, epochs: outcome.epochs, model: outcome.model)
    }

    /// The write as its own call to `store`.
    public func apply(to store: any ResultStore, sweep: String) throws {
        switch self {
        case .start(let plan, let date):
            try store.startTrial(sweep: sweep, plan: plan, at: date)
        case .finish(let record, let epochs, let model):
            try store.finish(sweep: sweep, record: record, epochs: epochs, model: model)
        }
    }
}

/// Where sweep results live. The SQLite implementation is in SweepStore; `MemoryResultStore`
/// serves tests. Only the results actor writes through it.
public protocol ResultStore: Sendable {
    /// The stored sweep with this name, if any.
    func sweep(named name: String) throws -> SweepRecord?
    func createSweep(_ sweep: SweepRecord) throws
    /// Removes a sweep and everything under it (for `--restart`).
    func deleteSweep(named name: String) throws
    func setSweepStatus(_ name: String, _ status: SweepStatus) throws
    /// Replaces the stored spec of a sweep that grew (more trials, more grid values), and records
    /// its data fingerprint when it had none.
    func updateSweep(_ name: String, specJSON: String, dataFingerprint: String) throws
    /// Starts an attempt at a trial: inserts it with its plan as running, or, when a trial of
    /// that number is stored (an interrupted one run again), marks it running and drops the
    /// outcome of any earlier attempt (end time, metrics, epochs, weights), so that a record
    /// never mixes two attempts.
    func startTrial(sweep: String, plan: TrialPlan, at date: Date) throws
    /// Stores a finished trial, its epochs and (when given) its model in one transaction, so a
    /// kill never leaves a trial half written. Any epochs stored earlier for it are replaced.
    func finish(sweep: String, record: TrialRecord, epochs: [EpochRecord], model: TrainedModel?) throws
    /// The writes in order, in one transaction where the store can: a worker that ends a trial
    /// starts its next one at once, and the results actor gathers the writes of trials that end
    /// close together, so one transaction, which costs much less than several, holds them all.
    /// The default makes one call each.
    func write(_ writes: [TrialWrite], sweep: String) throws
    /// Marks every `running` trial of the sweep as `interrupted`; returns how many.
    @discardableResult
    func interruptRunningTrials(sweep: String) throws -> Int
    /// Drops the stored weights of every trial not in `kept` (the ranking decides which).
    func keepWeights(sweep: String, of kept: Set<Int>) throws

    func sweeps() throws -> [SweepOverview]
    func trials(sweep: String) throws -> [TrialRecord]
    /// The numbers of the sweep's trials whose result a resumed sweep keeps (`isFinal`).
    func finalTrialNumbers(sweep: String) throws -> Set<Int>
    func epochs(sweep: String, trial: Int) throws -> [EpochRecord]
    /// How many epochs each fit of each trial ran: trial number → fold number (0: the final
    /// fit) → epochs. One query for a whole leaderboard.
    func epochCounts(sweep: String) throws -> [Int: [Int: Int]]
    func model(sweep: String, trial: Int) throws -> TrainedModel?
}
