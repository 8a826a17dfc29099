import Datasets
import Foundation

/// The two ensembles a sweep offers: its best trials' models, or one cross-validated trial's fold
/// models trained again.
extension Ensemble {
    /// The models of the best `count` trials (`TrialRanking`: complete, with a finite metric), in
    /// rank order. Throws when fewer trials qualify, or when one of them has no stored weights.
    public static func bestTrials(
        _ count: Int, of trials: [TrialRecord], metric: SweepMetric, model: (Int) throws -> TrainedModel?
    ) throws -> Ensemble {
        var members: [Member] = []
        for trial in try best(count, of: trials, metric: metric, asking: "an ensemble of \(count) needs") {
            guard let trained = try model(trial.number) else {
                throw EnsembleError.mismatched("trial \(trial.number)'s weights are not stored (the sweep kept only the best ones with --keep-weights); ask for fewer members, or rerun the sweep")
            }
            members.append(Member(model: trained, trial: trial.number, metrics: trial.metrics))
        }
        return try Ensemble(members: members)
    }

    /// The fold models of the best `count` trials (as `bestTrials` ranks them), trained again:
    /// `count` × folds members, best trial first. Each trial's final fit is noisy where its last
    /// steps were large, and a fold ensemble averages that away; averaging several trials' folds
    /// averages away the luck of the one that ranked first too (BENCHMARKS.md, quality).
    public static func folds(ofBest count: Int, of trials: [TrialRecord], metric: SweepMetric, data: PreparedData, threads: Int) throws -> Ensemble {
        var members: [Member] = []
        for trial in try best(count, of: trials, metric: metric, asking: "the folds of the best \(count) need") {
            members += try folds(of: trial, data: data, threads: threads).members
        }
        return try Ensemble(members: members)
    }

    /// As `folds(ofBest:of:metric:data:threads:)`, trained until `shouldStop` says so (asked
    /// before every batch): the fold models of the best trials whose fits were all trained again
    /// by then, best first, or nil when not even the best trial's were (`sweep auto`'s budget).
    public static func folds(
        ofBest count: Int, of trials: [TrialRecord], metric: SweepMetric, data: PreparedData, threads: Int,
        until shouldStop: @escaping @Sendable () -> Bool
    ) throws -> Ensemble? {
        var members: [Member] = []
        for trial in try best(count, of: trials, metric: metric, asking: "the folds of the best \(count) need") {
            do {
                members += try folds(of: trial, data: data, threads: threads, shouldStop: shouldStop).members
            } catch TrainingError.fitDidNotComplete(_, .interrupted) where shouldStop() {
                break
            }
        }
        return members.isEmpty ? nil : try Ensemble(members: members)
    }

    /// The best `count` trials an ensemble may take (`TrialRanking.rankedWithFiniteMetric`), or
    /// an error that ends "\(what) \(count)" (e.g. "an ensemble of 9 needs 9").
    private static func best(_ count: Int, of trials: [TrialRecord], metric: SweepMetric, asking what: String) throws -> ArraySlice<TrialRecord> {
        precondition(count >= 1, "an ensemble of \(count) trials")
        let ranked = TrialRanking(metric: metric).rankedWithFiniteMetric(trials)
        guard ranked.count >= count else {
            throw EnsembleError.mismatched("the sweep has \(ranked.count) complete trials with a finite \(metric.name.rawValue); \(what) \(count)")
        }
        return ranked.prefix(count)
    }

    /// The scoring fits of `trial` (every fold of every repeat) trained again on `data` (the
    /// sweep's), one member each, with that fit's validation metrics. Throws when the trial was
    /// scored by one fit, or a fit does not complete (`shouldStop` stops them: status `interrupted`).
    public static func folds(
        of trial: TrialRecord, data: PreparedData, threads: Int, shouldStop: @escaping @Sendable () -> Bool = { false }
    ) throws -> Ensemble {
        let configuration = try trial.plan.configuration
            ?? JSONDecoder().decode(TrainingConfiguration.self, from: Data(trial.plan.configurationJSON.utf8))
        let trainer = try Trainer(configuration: configuration, data: data)
        guard trainer.scoringFitCount >= 2 else {
            throw EnsembleError.mismatched("trial \(trial.plan.number) was scored by one fit; a fold ensemble needs a sweep with folds (or repeats)")
        }
        let fits = try trainer.scoringFitModels(threads: threads, shouldStop: shouldStop)
        return try Ensemble(members: fits.map { fit in
            var metrics: [String: Double] = [:]
            if let validation = fit.validation {
                for metric in MetricName.validationMetrics {
                    if let value = metric.value(in: validation) { metrics[metric.rawValue] = value }
                }
            }
            return Member(model: fit.model, trial: trial.plan.number, fit: fit.index + 1, metrics: metrics)
        })
    }

    /// The averaged predictions' metrics on the test rows of `split` (`test_accuracy`, or
    /// `test_rmse` and `test_mae`); empty when the split has no test rows.
    public func testMetrics(split: DataConfiguration) throws -> [String: Double] {
        // No test rows (test_fraction 0, as sweep auto's): nothing to read the data for.
        guard split.testFraction > 0 else { return [:] }
        let (dataset, folds) = try Self.rawFolds(split: split, task: task)
        let rows = folds[0].test.rowIndices
        guard !rows.isEmpty else { return [:] }
        let scores = try score(on: dataset.subset(rows: rows))
        return Dictionary(uniqueKeysWithValues: scores.map { ("test_\($0.key)", $0.value) })
    }

    /// The data of `split` as read, and its folds' rows, unstandardised: each member standardises
    /// the rows it is given with its own fit's statistics.
    static func rawFolds(split: DataConfiguration, task: TaskKind) throws -> (Dataset, [DataFold]) {
        let dataset = try Dataset.load(source: split.source, target: split.target)
        var configuration = split
        configuration.standardize = false
        configuration.task = task
        return (dataset, try PreparedData.prepare(dataset, configuration).folds)
    }
}
