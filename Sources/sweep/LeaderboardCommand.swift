import ArgumentParser
import Foundation
import SweepKit

enum OutputFormat: String, CaseIterable, ExpressibleByArgument {
    case table, csv, json
}

struct LeaderboardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leaderboard",
        abstract: "Rank a sweep's trials by its metric (diverged and failed trials last).")

    @Argument(help: "The sweep name (default: the most recent sweep).")
    var sweep: String?

    @OptionGroup var store: StoreOptions

    @Option(parsing: .unconditional, help: "Show only the best K trials.")
    var top: Int?

    @Option(help: "Output format: table, csv or json.")
    var format: OutputFormat = .table

    @Flag(help: "Instead of the trials: each setting's effect on the metric (a grid's main effects with 95% intervals; for random and TPE sweeps an importance estimate).")
    var effects = false

    @Option(help: ArgumentHelp(
        "Instead of the trials: the averages of the best 1 … K trials, ranked on the validation rows of the sweep's folds (their fold models are trained again), with the test metric of what sweep export --ensemble writes.",
        valueName: "K"))
    var ensembles: Int?

    func validate() throws {
        if let top, top < 1 { throw ValidationError("--top must be at least 1, got \(top)") }
        if let ensembles, !(1...20).contains(ensembles) { throw ValidationError("--ensembles must be from 1 to 20, got \(ensembles)") }
        if ensembles != nil, effects { throw ValidationError("--ensembles and --effects are two views; use one of them") }
        if ensembles != nil, format == .json { throw ValidationError("--ensembles prints a table or CSV (--format table or csv)") }
        // Each view ranks something other than trials: --top would be silently ignored.
        if top != nil, effects { throw ValidationError("--top picks trials, which --effects does not list; use one of them") }
        if top != nil, ensembles != nil { throw ValidationError("--top picks trials; --ensembles K already says how many averages to rank") }
    }

    func run() throws {
        try requireUTF8Arguments()
        let results = try store.openStore(mustExist: true, forReading: true)
        let record = try resolveSweep(sweep, in: results)
        let spec = try storedSpec(record)
        let board = Leaderboard(trials: try results.trials(sweep: record.name), metric: spec.metric)
        if effects {
            let report = EffectsReport(trials: board.entries.map(\.trial), spec: spec)
            switch format {
            case .table: print("sweep '\(record.name)': " + report.text())
            case .csv: print(report.csv(), terminator: "")
            case .json: print(report.json(sweep: record.name))
            }
            return
        }
        if let ensembles {
            try requireFoldModels(
                of: spec, sweep: record.name, for: "--ensembles",
                instead: "Rank its trials without --ensembles; sweep export --ensemble K averages the best K trials' models.")
            guard board.best != nil else {
                Terminal.error(noUsableTrialMessage(board, sweep: record.name, store: store))
                throw ExitCode(2)
            }
            let ensembleBoard: EnsembleBoard
            do {
                ensembleBoard = try EnsembleBoard(trials: board.entries.map(\.trial), spec: spec, upTo: ensembles, results: results, record: record)
            } catch let exit as ExitCode {
                throw exit
            } catch {
                Terminal.error("cannot rank ensembles of sweep '\(record.name)': \(error)")
                throw ExitCode(1)
            }
            if format == .csv { print(ensembleBoard.csv(), terminator: "") } else {
                print("sweep '\(record.name)': averages of its best trials, ranked by validation \(ensembleBoard.ranking.metric)")
                print(ensembleBoard.text(sweep: record.name, databaseOption: store.databaseOption))
            }
            return
        }
        let table = LeaderboardTable(
            board: board, testMetric: testColumn(for: spec), epochCounts: try results.epochCounts(sweep: record.name),
            scoringFits: spec.scoringFits, uncertainty: SweepUncertainty(trials: board.entries.map(\.trial), spec: spec))
        switch format {
        case .table:
            print("sweep '\(record.name)' (\(store.location.liveStatus(of: record, in: results))), ranked by \(spec.metric.name.rawValue) (\(spec.metric.maximize ? "higher" : "lower") is better)")
            print(table.text(top: top))
            if let note = table.intervalNote { print(note) }
        case .csv:
            print(table.csv(top: top), terminator: "")
        case .json:
            print(table.json(top: top, sweep: record.name))
        }
    }
}

/// A leaderboard's rows as text, CSV or JSON.
struct LeaderboardTable {
    let board: Leaderboard
    /// The test column's metric; nil for a sweep that keeps no test rows (`testColumn(for:)`).
    let testMetric: MetricName?
    /// Epochs run per trial and fold (0: the final fit), from `ResultStore.epochCounts`.
    let epochCounts: [Int: [Int: Int]]
    /// Folds × repeats: the fits that score a trial.
    let scoringFits: Int
    /// Each trial's interval and comparison with the best, when trials have several fits.
    var uncertainty: SweepUncertainty? = nil

    /// Whether the table shows intervals: trials scored by more than one fit.
    var showsIntervals: Bool { scoringFits > 1 && uncertainty != nil }

    /// What the interval columns mean, under the table.
    var intervalNote: String? {
        // With no trial to compare with (every one diverged or failed), there is nothing to explain.
        guard showsIntervals, let uncertainty, let best = uncertainty.bestTrial else { return nil }
        let design = uncertainty.design.folds.map { "\($0)-fold cross-validation" + (uncertainty.design.repeats > 1 ? " × \(uncertainty.design.repeats) seeds" : "") }
            ?? "\(uncertainty.design.repeats) seeds"
        return "±95%: half-width of the interval of the mean over \(design)"
            + (uncertainty.design.folds != nil ? " (Nadeau–Bengio corrected t)" : " (t)")
            + "; ≈best: not significantly worse than trial \(best) on the same fits (paired test, 5% level)."
    }

    /// "best", "yes" (not significantly worse than the best), "no", or "" when not compared.
    func comparisonText(_ trial: TrialRecord) -> String {
        guard let entry = uncertainty?.uncertainty(ofTrial: trial.number) else { return "" }
        if entry.isBest { return "best" }
        return entry.isNotSignificantlyWorseThanBest.map { $0 ? "yes" : "no" } ?? ""
    }

    /// The epochs of each scoring fit, in fit order.
    func fitEpochs(_ trial: TrialRecord) -> [Int] {
        (epochCounts[trial.number] ?? [:]).filter { $0.key >= 1 }.sorted { $0.key < $1.key }.map(\.value)
    }

    /// Epochs per fit, and how far a pruned or diverged trial got (`TrialRecord.epochsText`).
    func epochsText(_ trial: TrialRecord) -> String {
        trial.epochsText(
            epochCounts: epochCounts[trial.number] ?? [:],
            planned: (try? JSONDecoder().decode(TrainingConfiguration.self, from: Data(trial.plan.configurationJSON.utf8)))?.epochs,
            scoringFits: scoringFits) ?? "-"
    }

    /// For a program to read (CSV): every searched setting and every metric, in full, not only
    /// the settings that vary, to four digits. A grid run in part lost its lr column, 0.0100001
    /// read 0.01, and an RMSE of 1.4e-7 read 0.0000.
    var exact = false

    /// The searched settings shown, but for `epochs`: the epochs column shows each trial's epochs
    /// per fit already (and where early stopping or pruning cut them).
    var parameterColumns: [String] { (exact ? board.parameters : board.varyingParameters).filter { $0 != "epochs" } }

    var header: [String] {
        ["rank", "trial", "status"] + parameterColumns + [board.metric.name.rawValue]
            + (showsIntervals ? ["±95%", "≈best"] : []) + [testMetric?.rawValue, "epochs", "train_seconds"].compactMap { $0 }
    }

    func cells(_ entry: Leaderboard.Entry) -> [String] {
        let trial = entry.trial
        let number: (Double?) -> String = { value in exact ? formatExactly(value) : format(value) }
        var row = [String(entry.rank), String(trial.number), trial.status.rawValue]
        for name in parameterColumns { row.append((exact ? trial.plan.parameters[name]?.exactText : trial.plan.parameters[name]?.shortText) ?? "") }
        row.append(number(trial.metrics[board.metric.name.rawValue]))
        if showsIntervals {
            row.append(uncertainty?.uncertainty(ofTrial: trial.number)?.interval.map { number($0.halfWidth) } ?? "")
            row.append(comparisonText(trial))
        }
        if let testMetric { row.append(number(trial.metrics[testMetric.rawValue])) }
        row.append(epochsText(trial))
        row.append(trial.trainSeconds.map { String(format: "%.2f", $0) } ?? "-")
        return row
    }

    func text(top: Int?) -> String {
        let rows = board.entries.prefix(top ?? board.entries.count).map(cells)
        guard !rows.isEmpty else { return "(no trials)" }
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        func line(_ row: [String]) -> String {
            row.enumerated().map { index, cell in cell.padding(toLength: widths[index], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        return ([line(header), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")] + rows.map(line))
            .joined(separator: "\n")
    }

    func csv(top: Int?) -> String {
        func quote(_ cell: String) -> String {
            cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : cell
        }
        var table = self
        table.exact = true
        let rows = board.entries.prefix(top ?? board.entries.count).map(table.cells)
        // Plain names for the columns the table marks with symbols.
        let names = table.header.map { $0 == "±95%" ? "ci95_half_width" : ($0 == "≈best" ? "vs_best" : $0) }
        return ([names] + rows).map { $0.map(quote).joined(separator: ",") }.joined(separator: "\n") + "\n"
    }

    func json(top: Int?, sweep: String) -> String {
        func number(_ value: Double?) -> JSONValue {
            guard let value else { return .null }
            return value.isFinite ? .number(value) : .string(value.isNaN ? "NaN" : (value > 0 ? "Infinity" : "-Infinity"))
        }
        let trials: [JSONValue] = board.entries.prefix(top ?? board.entries.count).map { entry in
            let trial = entry.trial
            var members: [String: JSONValue] = [
                "rank": .number(Double(entry.rank)), "trial": .number(Double(trial.number)),
                "status": .string(trial.status.rawValue), "parameters": trial.plan.parameters,
                "epochs": trial.epochsRun.map { .number(Double($0)) } ?? .null,
                "fit_epochs": .array(fitEpochs(trial).map { .number(Double($0)) }),
                "train_seconds": number(trial.trainSeconds),
                "metrics": .object(trial.metrics.mapValues(number)),
            ]
            if let message = trial.errorMessage { members["error"] = .string(message) }
            if let epoch = trial.divergedEpoch { members["diverged_epoch"] = .number(Double(epoch)) }
            if let entry = uncertainty?.uncertainty(ofTrial: trial.number), showsIntervals {
                if let interval = entry.interval {
                    members["interval_95"] = .object(["lower": number(interval.lower), "upper": number(interval.upper)])
                }
                members["fit_values"] = .array(entry.fitValues.map(number))
                members["not_worse_than_best"] = entry.isNotSignificantlyWorseThanBest.map(JSONValue.bool) ?? .null
            }
            return .object(members)
        }
        let document: JSONValue = .object([
            "sweep": .string(sweep), "metric": .string(board.metric.name.rawValue),
            "goal": .string(board.metric.maximize ? "maximize" : "minimize"), "trials": .array(trials),
        ])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return (try? encoder.encode(document)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the sweeps in the database with their trial counts.")

    @OptionGroup var store: StoreOptions

    func run() throws {
        try requireUTF8Arguments()
        let results = try store.openStore(mustExist: true, forReading: true)
        let overviews = try results.sweeps().sorted { $0.sweep.created < $1.sweep.created }
        guard !overviews.isEmpty else {
            print("no sweeps yet; run one with: sweep run sweeps/phone-price.json")
            return
        }
        let formatter = ISO8601DateFormatter()
        for overview in overviews {
            let counts = TrialStatus.allCases.compactMap { status in
                overview.trialCounts[status].flatMap { $0 > 0 ? "\($0) \(status.rawValue)" : nil }
            }.joined(separator: ", ")
            var line = "\(overview.sweep.name)  \(store.location.liveStatus(of: overview.sweep, in: results))  created \(formatter.string(from: overview.sweep.created))  \(overview.totalTrials) trials: \(counts)"
            // A spec this build cannot read is said, not left out: leaderboard, report and export
            // refuse that sweep, with every problem listed.
            switch Result(catching: { () throws(ConfigurationError) in
                try SweepSpec.parseStored(Data(overview.sweep.specJSON.utf8), source: overview.sweep.name)
            }) {
            case .success(let spec) where spec.pruner != nil:
                line += "; pruning: " + PruningSavings(trials: try results.trials(sweep: overview.sweep.name), spec: spec).summary
            case .failure(let error):
                let first = error.problems.first.map { "\($0)" } ?? "no problem named"
                line += "; its stored spec cannot be read (\(first)\(error.problems.count > 1 ? ", and \(error.problems.count - 1) more" : ""))"
            default:
                break
            }
            print(line)
        }
    }
}
