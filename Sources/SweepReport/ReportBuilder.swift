import Foundation
import SweepKit

/// What a report leaves out or samples, for sweeps too large to draw trial by trial.
public struct ReportOptions: Sendable {
    /// Beyond this many trials the heavy plots draw a `PlotSample`.
    public var plotLimit = PlotSample.defaultLimit
    /// The best complete trials whose learning curves are drawn.
    public var curveCount = 5
    /// Pruned and diverged trials whose curves are drawn too (each kind), to show where they stopped.
    public var stoppedCurveCount = 3
    /// The random forest of the importance estimate is fitted to at most this many trials (the
    /// best, every improvement and an even spread: `PlotSample`); beyond a few thousand trials it
    /// would take seconds and say little more.
    public var importanceTrialLimit = 1_000
    /// Whether to run the best model on the test rows (the dashboard computes it once per best trial).
    public var evaluatesBestModel = true
    /// " --db PATH" for the commands the report suggests, as the command line reads the database
    /// ("" for the default one).
    public var databaseOption = ""

    public init() {}
}

/// Why a report cannot be made.
public enum ReportError: Error, Sendable, CustomStringConvertible {
    case unreadableSpec(sweep: String, reason: String)

    public var description: String {
        switch self {
        case .unreadableSpec(let sweep, let reason): "the stored spec of sweep '\(sweep)' cannot be read: \(reason)"
        }
    }
}

extension SweepReport {
    /// The report of one stored sweep, read from `store` (which it never writes).
    public init(store: any ResultStore, sweep record: SweepRecord, options: ReportOptions = ReportOptions(), now: Date = Date()) throws {
        let spec = try Self.spec(of: record)
        let records = try store.trials(sweep: record.name)
        let epochCounts = try store.epochCounts(sweep: record.name)
        self.init(sweep: record, spec: spec, trials: records, epochCounts: epochCounts, options: options, now: now)
        curves = try Self.curves(of: trials.sorted { $0.rank < $1.rank }, records: records, spec: spec, store: store, sweep: record.name, options: options)
        if options.evaluatesBestModel { try evaluateBestModel(store: store, sweep: record, spec: spec) }
    }

    /// Runs the best trial's model on the test rows (`bestModel`): loads the sweep's data again.
    public mutating func evaluateBestModel(store: any ResultStore, sweep record: SweepRecord) throws {
        try evaluateBestModel(store: store, sweep: record, spec: try Self.spec(of: record))
    }

    private mutating func evaluateBestModel(store: any ResultStore, sweep record: SweepRecord, spec: SweepSpec) throws {
        let model = try bestTrial.flatMap { try store.model(sweep: record.name, trial: $0) }
        bestModel = BestModelEvaluation.section(trial: bestTrial, model: model, spec: spec, storedFingerprint: record.dataFingerprint)
    }

    static func spec(of record: SweepRecord) throws -> SweepSpec {
        do {
            return try SweepSpec.parseStored(Data(record.specJSON.utf8), source: "stored spec of '\(record.name)'")
        } catch {
            throw ReportError.unreadableSpec(sweep: record.name, reason: error.description)
        }
    }

    /// Everything but the learning curves and the best model, which need more from the store.
    init(sweep record: SweepRecord, spec: SweepSpec, trials records: [TrialRecord], epochCounts: [Int: [Int: Int]], options: ReportOptions, now: Date) {
        let ranking = spec.ranking
        let metricName = spec.metric.name.rawValue
        let testMetric = spec.data.testFraction == 0 ? nil : Self.testMetric(for: spec.metric.name)
        let byNumber = records.sorted { $0.number < $1.number }
        var rankOf: [Int: Int] = [:]
        for (offset, trial) in ranking.ranked(byNumber).enumerated() { rankOf[trial.number] = offset + 1 }
        let uncertainty = SweepUncertainty(trials: byNumber, spec: spec)
        let uncertaintyOf = Dictionary(uniqueKeysWithValues: uncertainty.trials.map { ($0.trial, $0) })
        let axes = ParameterAxes(space: spec.space, trials: byNumber)
        let plannedEpochs = Self.plannedEpochs(spec)
        let showsIntervals = spec.scoringFits > 1

        let trials = byNumber.map { trial -> ReportTrial in
            let raw = trial.metrics[metricName]
            let value = trial.status == .complete ? raw.flatMap { $0.isFinite ? $0 : nil } : nil
            var valueText: String?
            if trial.status == .complete, value == nil { valueText = raw.map(Self.nonFiniteText) ?? "missing" }
            let entry = showsIntervals ? uncertaintyOf[trial.number] : nil
            return ReportTrial(
                number: trial.number, rank: rankOf[trial.number] ?? 0, status: trial.status.rawValue,
                value: value.map(Self.rounded), valueText: valueText,
                testValue: trial.status == .complete ? testMetric.flatMap { trial.metrics[$0] }.flatMap { $0.isFinite ? Self.rounded($0) : nil } : nil,
                parameters: axes.coordinates(of: trial),
                interval: entry?.interval.flatMap { $0.lower.isFinite && $0.upper.isFinite ? [Self.rounded($0.lower), Self.rounded($0.upper)] : nil },
                versusBest: entry.flatMap { $0.isBest ? "best" : $0.isNotSignificantlyWorseThanBest.map { $0 ? "yes" : "no" } },
                epochs: trial.epochsRun, epochsText: trial.epochsText(epochCounts: epochCounts[trial.number] ?? [:], planned: plannedEpochs(trial), scoringFits: spec.scoringFits),
                seconds: trial.trainSeconds.flatMap { $0.isFinite ? (($0 * 1000).rounded() / 1000) : nil },
                error: trial.errorMessage)
        }
        let counts = Dictionary(grouping: byNumber, by: \.status).mapValues(\.count)
        let plottedNumbers = PlotSample.numbers(of: byNumber, ranking: ranking, limit: options.plotLimit)
        let classification = Self.isClassification(spec: spec, trials: byNumber)

        sweep = SweepSummary(
            name: record.name, status: record.status.rawValue, created: Self.iso8601(record.created), method: spec.method.rawValue,
            task: spec.data.task?.rawValue ?? classification.map { $0 ? "classification" : "regression" },
            metric: metricName, maximize: spec.metric.maximize, testMetric: testMetric,
            epochMetric: classification == false ? "rmse" : "accuracy", trialCount: byNumber.count,
            statusCounts: Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, $0.value) }),
            plannedTrials: max(spec.trialCount, byNumber.count), dataSource: spec.data.source, scoringFits: spec.scoringFits)
        bestTrial = ranking.best(of: byNumber)?.number
        if bestTrial == nil {
            sweep.shortfall = Leaderboard(trials: byNumber, metric: spec.metric)
                .shortfallMessage(sweep: record.name, databaseOption: options.databaseOption)
        }
        parameters = axes.parameters
        self.trials = trials
        plotted = PlottedTrials(
            numbers: plottedNumbers, total: byNumber.count,
            rule: plottedNumbers.map {
                "\($0.count) of \(byNumber.count) trials drawn: the best, every new best, each status and an even spread by trial number"
            })
        bestSoFar = PlotSample.improvements(of: byNumber, ranking: ranking).map { BestStep(trial: $0.trial, value: Self.rounded($0.value)) }
        effects = Self.effects(of: byNumber, spec: spec, options: options)
        curves = []
        bestModel = BestModelSection(note: "not evaluated")
        specText = Self.prettyPrinted(record.specJSON)
        generated = Self.iso8601(now)
        revision = Self.revision(of: record, counts: counts)
    }

    /// A text that changes whenever the sweep's trials do: every trial that starts or ends
    /// changes a count, and a restarted sweep has a new creation time.
    public static func revision(of sweep: SweepRecord, counts: [TrialStatus: Int]) -> String {
        let countText = TrialStatus.allCases.map { String(counts[$0] ?? 0) }.joined(separator: ".")
        return "\(Int(sweep.created.timeIntervalSince1970 * 1000))-\(sweep.status.rawValue)-\(countText)-\(sweep.specJSON.utf8.count)"
    }

    // MARK: Parts

    static func effects(of trials: [TrialRecord], spec: SweepSpec, options: ReportOptions) -> EffectsSection {
        let metric = spec.metric.name.rawValue
        if spec.space.settingNames.isEmpty {
            return EffectsSection(kind: "none", title: "Parameter effects", note: "the sweep searches no setting")
        }
        if spec.method == .grid {
            let effects = MainEffects(trials: trials, spec: spec)
            let rows = effects.settings.map { setting in
                SettingEffectRow(
                    setting: setting.setting, effect: setting.effect.map(rounded),
                    levels: setting.levels.map { level in
                        EffectLevel(
                            label: shortText(ofCanonical: level.value), trials: level.trialCount, mean: level.mean.map(rounded),
                            lower: level.interval.map { rounded($0.lower) }, upper: level.interval.map { rounded($0.upper) })
                    })
            }
            let note = effects.continuousSettings.isEmpty ? nil : "no main effect for settings drawn from a distribution: \(effects.continuousSettings.joined(separator: ", "))"
            return EffectsSection(
                kind: "main_effects", title: "Main effects on \(metric): mean over the complete trials with each value, 95% t interval",
                note: note, mainEffects: rows)
        }
        var fitted = trials
        var sampledNote: String?
        let usable = trials.filter(spec.ranking.hasFiniteMetric)
        if usable.count > options.importanceTrialLimit,
            let numbers = PlotSample.numbers(of: usable, ranking: spec.ranking, limit: options.importanceTrialLimit) {
            let kept = Set(numbers)
            fitted = trials.filter { kept.contains($0.number) || !spec.ranking.hasFiniteMetric($0) }
            sampledNote = "fitted to \(numbers.count) of the \(usable.count) complete trials (the best, every new best and an even spread)"
        }
        guard let importance = ParameterImportance(trials: fitted, spec: spec) else {
            return EffectsSection(
                kind: "none", title: "Importance estimate: \(ParameterImportance.methodName)",
                note: "it needs at least two complete trials whose \(metric) differs")
        }
        let share = Int((importance.mainEffectShare * 100).rounded())
        return EffectsSection(
            kind: "importance", title: "Importance estimate: \(ParameterImportance.methodName)",
            note: "each setting's share of the variance of \(metric) it explains on its own, normalised to sum to 1 over \(importance.trialCount) complete trials; the settings alone explain \(share)% of it"
                + (sampledNote.map { "; " + $0 } ?? ""),
            importance: importance.settings.map {
                ImportanceRow(setting: $0.setting, importance: rounded($0.importance), standardDeviation: rounded($0.standardDeviation))
            })
    }

    /// The best complete trials' learning curves, then the pruned trials that got furthest and
    /// the first diverged ones, each marked where it stopped.
    static func curves(
        of ranked: [ReportTrial], records: [TrialRecord], spec: SweepSpec, store: any ResultStore, sweep: String, options: ReportOptions
    ) throws -> [LearningCurve] {
        let recordOf = Dictionary(records.map { ($0.number, $0) }, uniquingKeysWith: { first, _ in first })
        let rankOf = Dictionary(ranked.map { ($0.number, $0.rank) }, uniquingKeysWith: { first, _ in first })
        func first(_ count: Int, _ status: TrialStatus, in trials: [ReportTrial]) -> [TrialRecord] {
            trials.lazy.filter { $0.status == status.rawValue }.prefix(count).compactMap { recordOf[$0.number] }
        }
        let chosen = first(options.curveCount, .complete, in: ranked) + first(options.stoppedCurveCount, .pruned, in: ranked)
            + first(options.stoppedCurveCount, .diverged, in: ranked)
        let planned = plannedEpochs(spec)
        return try chosen.map { trial in
            let epochs = try store.epochs(sweep: sweep, trial: trial.number)
            let byFit = Dictionary(grouping: epochs, by: \.fold)
            // Cross-validation folds first, the final fit (0) last, as they ran.
            let order = byFit.keys.sorted { ($0 == 0 ? Int.max : $0) < ($1 == 0 ? Int.max : $1) }
            let fits = order.map { fit -> FitCurve in
                let rows = byFit[fit]!.sorted { $0.epoch < $1.epoch }
                return FitCurve(
                    fit: fit, epochs: rows.map(\.epoch), trainLoss: rows.map { finite($0.trainLoss) },
                    validationLoss: rows.map { finite($0.validationLoss) }, trainMetric: rows.map { finite($0.trainMetric) },
                    validationMetric: rows.map { finite($0.validationMetric) })
            }
            var stop: StopPoint?
            if trial.status == .pruned || trial.status == .diverged {
                // A trial that diverged in its first epoch has no epoch stored, only where it stopped,
                // which may be the fit after the last one stored: the fit the leaderboard names.
                let last = order.last
                let divergedFit = trial.divergedFit(
                    epochCounts: byFit.mapValues(\.count), planned: planned(trial), scoringFits: spec.scoringFits)
                if let epoch = trial.divergedEpoch ?? last.flatMap({ byFit[$0]?.map(\.epoch).max() }) {
                    stop = StopPoint(fit: divergedFit ?? last ?? 1, epoch: epoch, plannedEpochs: planned(trial))
                }
            }
            return LearningCurve(trial: trial.number, rank: rankOf[trial.number] ?? 0, status: trial.status.rawValue, stoppedAt: stop, fits: fits)
        }
    }

    // MARK: Helpers

    /// The epochs a trial was to train: its own `epochs` setting, the spec's fixed one, or the default.
    static func plannedEpochs(_ spec: SweepSpec) -> (TrialRecord) -> Int? {
        let fixed: Int? = if case .number(let value)? = spec.fixed["epochs"] { Int(value) } else { nil }
        let fallback = fixed ?? TrainingConfiguration().epochs
        return { trial in
            if case .number(let value)? = trial.plan.parameters["epochs"] { return Int(value) }
            return fallback
        }
    }

    /// Whether the sweep is classification (true), regression (false) or cannot yet be told (nil).
    static func isClassification(spec: SweepSpec, trials: [TrialRecord]) -> Bool? {
        if let task = spec.data.task { return task.isClassification }
        switch spec.metric.name {
        case .validationAccuracy, .testAccuracy: return true
        case .validationRMSE, .validationMAE, .testRMSE, .testMAE: return false
        default: break
        }
        if trials.contains(where: { $0.metrics[MetricName.testAccuracy.rawValue] != nil }) { return true }
        if trials.contains(where: { $0.metrics[MetricName.testRMSE.rawValue] != nil }) { return false }
        return nil
    }

    static func testMetric(for metric: MetricName) -> String {
        switch metric {
        case .validationAccuracy: MetricName.testAccuracy.rawValue
        case .validationRMSE: MetricName.testRMSE.rawValue
        case .validationMAE: MetricName.testMAE.rawValue
        default: MetricName.testLoss.rawValue
        }
    }

    static func nonFiniteText(_ value: Double) -> String {
        value.isNaN ? "NaN" : (value > 0 ? "inf" : "-inf")
    }

    static func finite(_ value: Double?) -> Double? {
        guard let value, value.isFinite else { return nil }
        return rounded(value)
    }

    /// Six significant digits: what a plot or a table can show, and a third of the file size of
    /// a float widened to double (0.83749997615814209).
    static func rounded(_ value: Double) -> Double {
        guard value.isFinite, value != 0 else { return value }
        let digits = 6 - Int(Foundation.log10(abs(value)).rounded(.up))
        let scale = Foundation.pow(10.0, Double(min(max(digits, -300), 300)))
        let result = (value * scale).rounded() / scale
        return result.isFinite ? result : value
    }

    static func shortText(ofCanonical text: String) -> String {
        (try? JSONValue.parse(Data(text.utf8), source: "value"))?.shortText ?? text
    }

    static func prettyPrinted(_ json: String) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)),
            let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        else { return json }
        return String(decoding: data, as: UTF8.self)
    }

    static func iso8601(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }
}
