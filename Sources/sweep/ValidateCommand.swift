import ArgumentParser
import Datasets
import Foundation
import SweepKit

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a sweep spec and its data; print every problem and the number of trials.")

    @Argument(help: "The sweep spec (JSON).")
    var spec: String

    @Option(help: "Use this data instead of the spec's data.source (a CSV path or builtin:phone-price).")
    var data: String?

    func run() throws {
        try requireUTF8Arguments()
        let (parsed, _) = try loadData(for: try loadSpec(spec, data: data))
        let method: String = switch parsed.method {
        case .grid: "grid"
        case .random: "random search"
        case .tpe: "TPE, lag \(parsed.lag), \(parsed.tpe.startupTrials) random trials first"
        }
        let repeats = parsed.repeats > 1 ? ", each trained with \(parsed.repeats) seeds" : ""
        let enqueued = parsed.enqueued.isEmpty ? "" : ", \(parsed.enqueued.count) enqueued first"
        let pruned = parsed.pruner.map { ", pruned by \($0.names.joined(separator: " and "))" } ?? ""
        print("\(spec): valid — sweep '\(parsed.name)', \(parsed.trialCount) trials (\(method)\(enqueued)\(repeats)\(pruned)), "
            + "ranked by \(parsed.metric.name.rawValue) (\(parsed.metric.maximize ? "maximize" : "minimize"))")
        for dimension in parsed.space.dimensions {
            let conditions = dimension.conditions.map { condition in
                let parent = parsed.space.dimension(named: condition.parent)
                let values = condition.coordinates.sorted().compactMap { parent?.parameter.value(at: $0).shortText }
                return "\(condition.parent) in {\(values.joined(separator: ", "))}"
            }
            let when = conditions.isEmpty ? "" : "  (when \(conditions.joined(separator: " and ")))"
            print("  \(dimension.name): \(dimension.parameter.summary)\(when)")
        }
    }
}

/// Reads and validates a spec file (with `data` replacing its data source when given),
/// printing the problem report and exiting 2 on failure.
func loadSpec(_ path: String, data: String? = nil) throws -> SweepSpec {
    var text = try readSettingsFile(path, kind: "spec")
    do {
        if let data {
            // The override becomes part of the spec, so the stored spec says what really ran.
            text = try SweepSpec.replacingDataSource(in: text, with: data, source: path)
        }
        return try SweepSpec.parse(text, source: path)
    } catch {
        Terminal.error(error.description)
        throw ExitCode(2)
    }
}

/// Warns of each feature column equal to the target in every row: the target under another name,
/// or computed from it. Every model copies it and scores perfectly, saying nothing of the other
/// columns; a warning rather than a refusal, since a copy can be deliberate.
func warnOfTargetCopies(in data: PreparedData) {
    for copy in data.featuresEqualToTarget {
        Terminal.note(
            "warning: the feature \(shownList([copy])) equals the target \(shownList([data.targetName])) in every row, so every model can copy it and its scores say nothing of the other columns. "
                + "If it is the target under another name, or computed from it, delete the column (or name the real target with data.target or --target)")
    }
}

/// Loads and prepares the spec's data, sets the default metric for its task, and checks every
/// trial's loss and the metric fit the task, and that `jobs` of its largest trials fit in memory.
/// Warns of feature columns that copy the target, and of learning curves that may fill more
/// than a gigabyte of the results database (`EpochHistoryEstimate`).
///
/// - Parameter dataset: the table of the spec's data source and target, read already (`sweep
///   auto` reads it to write the spec), which is then prepared without reading the file again
///   (read again if it came from another source or target). Consumed: the table is not kept
///   beside the prepared folds.
func loadData(
    for given: SweepSpec, jobs: Int = ProcessInfo.processInfo.activeProcessorCount, dataset: consuming Dataset? = nil
) throws -> (SweepSpec, PreparedData) {
    let data: PreparedData
    do {
        if let read = consume dataset, read.source == given.data.source, given.data.target.map({ $0 == read.targetName }) ?? true {
            data = try PreparedData.prepare(read, given.data)
        } else {
            data = try PreparedData.load(given.data)
        }
    } catch {
        Terminal.error("data: \(error.description)")
        throw ExitCode(2)
    }
    warnOfTargetCopies(in: data)
    if let warning = EpochHistoryEstimate(spec: given).warning(for: given) { Terminal.note("warning: " + warning) }
    let spec: SweepSpec
    do {
        spec = try given.resolvingDefaultMetric(for: data.task)
    } catch {
        Terminal.error(error.description)
        throw ExitCode(2)
    }
    var problems: [String] = []
    for (label, plan) in spec.plansToCheck() {
        guard let configuration = try? plan.configuration
            ?? JSONDecoder().decode(TrainingConfiguration.self, from: Data(plan.configurationJSON.utf8))
        else { continue }
        do {
            _ = try Trainer(configuration: configuration, data: data)
            try MemoryEstimate(configuration: configuration, data: data).check(jobs: jobs)
        } catch let error as TrainingError {
            if problems.count < 5 { problems.append("\(label): \(error.description)") }
        } catch {
            if problems.count < 5 { problems.append("\(label): \(error)") }
        }
    }
    // A searched depth and width: the deepest, widest network the space allows must fit too.
    if let widest = spec.widestConfiguration() {
        do {
            try MemoryEstimate(configuration: widest, data: data).check(jobs: jobs)
        } catch {
            problems.append("the largest network the parameters allow (\(widest.hiddenLayers.count) layers of \(widest.hiddenLayers.first ?? 0)): \(error.description)")
        }
    }
    if !problems.isEmpty {
        Terminal.error("the spec does not fit its data (\(data.task.rawValue) task):\n" + problems.map { "  - \($0)" }.joined(separator: "\n"))
        throw ExitCode(2)
    }
    if spec.metric.name.rawValue.contains("accuracy"), !data.task.isClassification {
        Terminal.error("metric \(spec.metric.name.rawValue) needs a classification task, but '\(data.targetName)' is a regression target; use validation_rmse")
        throw ExitCode(2)
    }
    if spec.metric.name == .validationRMSE || spec.metric.name == .validationMAE, data.task.isClassification {
        Terminal.error("metric \(spec.metric.name.rawValue) needs a regression task, but '\(data.targetName)' is a \(data.task.rawValue) target; use validation_accuracy or validation_loss")
        throw ExitCode(2)
    }
    return (spec, data)
}
