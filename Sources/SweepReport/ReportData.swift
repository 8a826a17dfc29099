import Foundation

/// Everything the report page draws for one sweep, as the JSON the page's script reads (its keys
/// in snake_case, as the CodingKeys spell them): embedded
/// in the file `sweep report` writes, and served by `sweep dashboard` at `/api/sweeps/NAME`.
///
/// Numbers are what the page plots, so a value that is not a number never appears as one: a
/// diverged, failed, pruned, interrupted or running trial has no `value`, and a complete trial
/// whose metric is NaN or infinite has none either, only `valueText` ("NaN", "inf").
public struct SweepReport: Codable, Sendable {
    public var sweep: SweepSummary
    /// The searched settings, in the order of each trial's `parameters`.
    public var parameters: [ReportParameter]
    /// Every trial, in trial-number order.
    public var trials: [ReportTrial]
    /// The trials the heavy plots (history points, parallel coordinates, slices) draw.
    public var plotted: PlottedTrials
    /// The best value so far, at each trial that improved it (trial order): the history's line.
    public var bestSoFar: [BestStep]
    /// The ranking's best complete trial with a finite metric.
    public var bestTrial: Int?
    public var effects: EffectsSection
    public var curves: [LearningCurve]
    public var bestModel: BestModelSection
    /// The spec as stored, pretty-printed.
    public var specText: String
    /// When the report was made (ISO 8601, UTC).
    public var generated: String
    /// A number that changes whenever the sweep's trials change (the dashboard polls it).
    public var revision: String

    enum CodingKeys: String, CodingKey {
        case sweep, parameters, trials, plotted, bestSoFar = "best_so_far", bestTrial = "best_trial", effects
        case curves, bestModel = "best_model", specText = "spec_text", generated, revision
    }
}

public struct SweepSummary: Codable, Sendable {
    public var name: String
    /// running, complete or interrupted, as stored.
    public var status: String
    public var created: String
    /// grid, random or tpe.
    public var method: String
    /// multiclass, binary or regression; nil when the spec names no task and no trial says.
    public var task: String?
    public var metric: String
    public var maximize: Bool
    /// The test-part twin of the metric, shown beside it (test_accuracy for validation_accuracy).
    /// nil when the sweep keeps no test rows (test_fraction 0, as sweep auto's): no column for it.
    public var testMetric: String?
    /// What the learning curves' "metric" is: accuracy for classification, RMSE for regression.
    public var epochMetric: String
    public var trialCount: Int
    /// Trials per status, for the statuses present.
    public var statusCounts: [String: Int]
    /// How many trials the sweep will have when done (its spec's count).
    public var plannedTrials: Int
    public var dataSource: String
    /// Folds × repeats: the fits that score each trial.
    public var scoringFits: Int
    /// Why the sweep has no best trial, in the words of `sweep leaderboard` and `sweep export`
    /// (`Leaderboard.shortfallMessage`): not that far yet, or how its trials all ended and what
    /// helps. nil when it has one.
    public var shortfall: String? = nil

    enum CodingKeys: String, CodingKey {
        case name, status, created, method, task, metric, maximize, testMetric = "test_metric"
        case epochMetric = "epoch_metric", trialCount = "trial_count", statusCounts = "status_counts"
        case plannedTrials = "planned_trials", dataSource = "data_source", scoringFits = "scoring_fits", shortfall
    }
}

/// A searched setting as an axis: categories for listed values and layer lists, a linear or
/// logarithmic range for a distribution.
public struct ReportParameter: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable { case categorical, linear, log }

    public var name: String
    public var kind: Kind
    /// A categorical setting's values as shown (`adam(lr=0.005)`, `[64,32]`), in the spec's
    /// order; a trial's coordinate is an index into them.
    public var labels: [String]?
    /// A numeric setting's range: the spec's bounds, widened to the values seen.
    public var minimum: Double?
    public var maximum: Double?
    /// Whether some trials do not carry the setting (a condition, or an enqueued trial).
    public var conditional: Bool
}

public struct ReportTrial: Codable, Sendable {
    public var number: Int
    /// 1 for the best; every trial has a rank (the ranking puts broken trials last).
    public var rank: Int
    public var status: String
    /// The sweep's metric: only for a complete trial whose metric is finite.
    public var value: Double?
    /// What stands in for a value that is not a number: "NaN", "inf", "-inf", "missing".
    public var valueText: String?
    public var testValue: Double?
    /// One coordinate per `SweepReport.parameters`: a category index or a number; nil where the
    /// trial does not carry the setting.
    public var parameters: [Double?]
    /// The 95% interval of the metric over the trial's fits (folds, repeats), when it has several.
    public var interval: [Double]?
    /// "best", "yes" (cannot be told from the best), "no", or nil when not compared.
    public var versusBest: String?
    public var epochs: Int?
    /// Epochs per fit as the leaderboard shows them ("40", "7/40 in fit 2" for a pruned or diverged trial).
    public var epochsText: String?
    public var seconds: Double?
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case number, rank, status, value, valueText = "value_text", testValue = "test_value", parameters
        case interval, versusBest = "versus_best", epochs, epochsText = "epochs_text", seconds, error
    }
}

/// Which trials the heavy plots draw: all of them, or a sample when there are many.
public struct PlottedTrials: Codable, Sendable {
    /// The trial numbers drawn, ascending; nil: every trial.
    public var numbers: [Int]?
    public var total: Int
    /// How the sample was chosen, shown under the plots; nil when every trial is drawn.
    public var rule: String?
}

public struct BestStep: Codable, Sendable, Hashable {
    public var trial: Int
    public var value: Double
}

/// What each setting does to the metric: a grid's main effects with intervals, or an
/// importance estimate for random and TPE sweeps, or why there is neither yet.
public struct EffectsSection: Codable, Sendable {
    /// "main_effects", "importance" or "none".
    public var kind: String
    /// The method, as the page labels it.
    public var title: String
    public var note: String?
    public var mainEffects: [SettingEffectRow]?
    public var importance: [ImportanceRow]?

    enum CodingKeys: String, CodingKey {
        case kind, title, note, mainEffects = "main_effects", importance
    }
}

public struct SettingEffectRow: Codable, Sendable {
    public var setting: String
    /// Best level's mean minus the worst's.
    public var effect: Double?
    public var levels: [EffectLevel]
}

public struct EffectLevel: Codable, Sendable {
    public var label: String
    public var trials: Int
    public var mean: Double?
    public var lower: Double?
    public var upper: Double?
}

public struct ImportanceRow: Codable, Sendable {
    public var setting: String
    public var importance: Double
    public var standardDeviation: Double

    enum CodingKeys: String, CodingKey {
        case setting, importance, standardDeviation = "standard_deviation"
    }
}

/// One trial's epochs, fit by fit, for the learning-curve plots.
public struct LearningCurve: Codable, Sendable {
    public var trial: Int
    public var rank: Int
    public var status: String
    /// Where a pruned or diverged trial stopped: its last fit and epoch, and the epochs planned.
    public var stoppedAt: StopPoint?
    public var fits: [FitCurve]

    enum CodingKeys: String, CodingKey {
        case trial, rank, status, stoppedAt = "stopped_at", fits
    }
}

public struct StopPoint: Codable, Sendable, Hashable {
    public var fit: Int
    public var epoch: Int
    public var plannedEpochs: Int?

    enum CodingKeys: String, CodingKey {
        case fit, epoch, plannedEpochs = "planned_epochs"
    }
}

/// The epochs of one fit: fold 1…k of cross-validation, or 0 for the final fit on every
/// non-test row. Values that are not finite are nil (a gap in the line).
public struct FitCurve: Codable, Sendable {
    public var fit: Int
    public var epochs: [Int]
    public var trainLoss: [Double?]
    public var validationLoss: [Double?]
    public var trainMetric: [Double?]
    public var validationMetric: [Double?]

    enum CodingKeys: String, CodingKey {
        case fit, epochs, trainLoss = "train_loss", validationLoss = "validation_loss"
        case trainMetric = "train_metric", validationMetric = "validation_metric"
    }
}

/// The best model run on the test rows of the split its trial used.
public struct BestModelSection: Codable, Sendable {
    public var trial: Int?
    /// Why there is no evaluation (no complete trial, weights not kept, data unreadable).
    public var note: String?
    public var testRows: Int?
    public var classification: ConfusionMatrix?
    public var regression: RegressionFit?

    enum CodingKeys: String, CodingKey {
        case trial, note, testRows = "test_rows", classification, regression
    }
}

public struct ConfusionMatrix: Codable, Sendable, Hashable {
    public var labels: [String]
    /// counts[actual][predicted].
    public var counts: [[Int]]
    /// Per predicted class: right among those predicted as it; nil when none was.
    public var precision: [Double?]
    /// Per actual class: found among those that are it; nil when there are none.
    public var recall: [Double?]
    public var accuracy: Double
}

public struct RegressionFit: Codable, Sendable, Hashable {
    /// Actual and predicted values of the rows drawn (all test rows, or a sample of many).
    public var actual: [Double]
    public var predicted: [Double]
    /// Over every test row.
    public var rmse: Double
    public var mae: Double
    public var rows: Int
}
