import ArgumentParser
import Datasets
import Foundation
import SweepKit

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the best (or a chosen) trial's model, or an ensemble, as safetensors that PyTorch loads.",
        discussion: """
            Tensors are named like the state_dict of the equivalent nn.Sequential (Linear, BatchNorm1d, activation, Dropout per hidden layer, then the output Linear); the metadata holds the architecture, feature names, standardisation, class labels and metrics. tools/check_export.py rebuilds the network in PyTorch and re-checks the test metric.

            --ensemble K writes the best K trials as one model that averages their predictions (class probabilities, or values for regression); --folds writes the fold models of one cross-validated trial (the best, or --trial N) the same way, trained again exactly as the sweep trained them; both together write the fold models of the best K trials (K × folds members), what sweep auto exports. Each member's tensors are prefixed member0., member1., ... and "sweep.ensemble" lists the members. sweep predict and tools/check_export.py run both kinds.
            """)

    @Argument(help: "The sweep name (default: the most recent sweep).")
    var sweep: String?

    @OptionGroup var store: StoreOptions

    // Unconditional, so that `--trial -1` reaches the range check below instead of being read as
    // a flag and reported as a missing value.
    @Option(parsing: .unconditional, help: "The trial number to export (default: the best trial).")
    var trial: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Export the best K trials as one ensemble averaging their predictions.", valueName: "K"))
    var ensemble: Int?

    @Flag(help: "Export the fold models of the best (or --trial) trial as one ensemble, trained again as the sweep trained them; with --ensemble K, those of the best K trials.")
    var folds = false

    @Option(name: .shortAndLong, help: "The file to write, e.g. best.safetensors; - for standard output. A symbolic link is written through to its target, a FIFO or device streamed to.")
    var output: String

    func validate() throws {
        if let ensemble {
            guard ensemble >= 1, ensemble <= ModelFile.maximumMemberCount else {
                throw ValidationError("--ensemble must be between 1 and \(ModelFile.maximumMemberCount), got \(ensemble)")
            }
            if trial != nil { throw ValidationError("--ensemble takes the best trials; --trial chooses one. Use one of them (--trial with --folds for one trial's fold models)") }
        }
    }

    func run() throws { try run(until: nil) }

    /// Exports; fold models are trained again only until `deadline` (`sweep auto`'s budget):
    /// those of fewer trials when it comes first, or the best trial's final model alone when not
    /// even its fold models were trained again by then, which it says. `checkingIntegrity`: false
    /// for a database this process has just checked and written (`sweep auto` interrupted, which
    /// should stop soon), where SQLite's check would read the whole file again. `interrupted`:
    /// true once Ctrl-C asks to stop (`sweep auto`), which ends the training as the deadline does.
    /// - Parameter trainedOn: the data the sweep's trials trained on, prepared already (`sweep
    ///   auto` has it from its sweep), for training fold models again without reading it again.
    func run(
        until deadline: Date?, checkingIntegrity: Bool = true, interrupted: @escaping @Sendable () -> Bool = { false },
        trainedOn: PreparedData? = nil
    ) throws {
        try requireUTF8Arguments()
        // The destination is checked before the database is read, so a bad path costs nothing.
        let destination: OutputFile
        do {
            destination = try OutputFile(output, example: "best.safetensors")
        } catch {
            Terminal.error(error.description)
            throw ExitCode(2)
        }
        if destination.isStandardOutput, isatty(STDOUT_FILENO) == 1 {
            Terminal.error("-o - would write a binary model to the terminal; redirect it (sweep export -o - > best.safetensors) or pipe it, or name a file")
            throw ExitCode(2)
        }
        try refuseReplacing(store.databaseFiles, at: destination)
        let results = try store.openStore(mustExist: true, forReading: true, checkingIntegrity: checkingIntegrity)
        let record = try resolveSweep(sweep, in: results)
        let spec = try storedSpec(record)
        if folds {
            try requireFoldModels(
                of: spec, sweep: record.name, for: "--folds",
                instead: "Export the best trial's model without --folds, or the best K trials' models with --ensemble K alone.")
        }
        try refuseReplacing(dataFiles(of: spec), at: destination)
        let trials = try results.trials(sweep: record.name)
        let chosen: TrialRecord
        if let trial {
            guard let found = trials.first(where: { $0.number == trial }) else {
                Terminal.error("sweep '\(record.name)' has no trial \(trial); it has trials 1 to \(trials.count)")
                throw ExitCode(2)
            }
            guard found.status == .complete else {
                Terminal.error("trial \(trial) is \(found.status.rawValue), not complete; only complete trials have a model")
                throw ExitCode(2)
            }
            chosen = found
        } else {
            let board = Leaderboard(trials: trials, metric: spec.metric)
            guard let best = board.best else {
                Terminal.error(noUsableTrialMessage(board, sweep: record.name, store: store))
                throw ExitCode(2)
            }
            chosen = best
        }
        if ensemble != nil || folds,
            let file = try ensembleFile(
                chosen: chosen, trials: trials, spec: spec, record: record, results: results, until: deadline, interrupted: interrupted,
                trainedOn: trainedOn) {
            try write(file, to: destination) { report in
                let members = file.ensemble.members
                let trialNumbers = members.map(\.trial).reduce(into: [Int]()) { if !$0.contains($1) { $0.append($1) } }
                let what = switch (ensemble, folds) {
                case (nil, _): "the \(members.count) fold models of trial \(chosen.number)"
                case (_, true): "the \(members.count) fold models of the best \(trialNumbers.count) trials (\(trialNumbers.map(String.init).joined(separator: ", ")))"
                default: "the best \(members.count) trials (\(members.map { String($0.trial) }.joined(separator: ", ")))"
                }
                let testMetric = testMetricName(for: spec.metric.name).rawValue
                // Without test rows (test_fraction 0) the members' own estimates say what to expect.
                let score = file.metrics[testMetric].map { "averaged \(testMetric) \(format($0))" }
                    ?? "no test rows; the members' \(spec.metric.name.rawValue) " + Self.range(members.compactMap { $0.metrics[spec.metric.name.rawValue] })
                report("wrote \(destination.isStandardOutput ? "standard output" : output): an ensemble of \(what) of sweep '\(record.name)', \(score)")
            }
            printCheckHint(spec)
            return
        }
        guard let model = try results.model(sweep: record.name, trial: chosen.number) else {
            // --keep-weights K keeps the best K trials' weights: the best trial without them had none kept.
            let reason = trial == nil
                ? "the sweep kept no trial's weights (sweep run --keep-weights 0); run it again without --keep-weights 0 (sweep run SPEC --restart), or train this configuration with sweep train"
                : "the sweep kept only the best trials' weights (sweep run --keep-weights K); export one of those (without --trial, the best), or run the sweep again keeping more"
            Terminal.error("trial \(chosen.number)'s weights are not stored: \(reason)")
            throw ExitCode(2)
        }
        let file = ModelFile(
            model: model, metrics: chosen.metrics, split: spec.data, sweepName: record.name, trialNumber: chosen.number,
            dataFingerprint: record.dataFingerprint)
        try write(file, to: destination) { report in
            let testMetric = testMetricName(for: spec.metric.name).rawValue
            // Without test rows (test_fraction 0, as sweep auto's) there is no test figure to give.
            let test = spec.data.testFraction == 0 ? "no test rows" : "\(testMetric) \(format(chosen.metrics[testMetric]))"
            report("wrote \(destination.isStandardOutput ? "standard output" : output): sweep '\(record.name)' trial \(chosen.number), \(spec.metric.name.rawValue) \(format(chosen.metrics[spec.metric.name.rawValue])), \(test)")
        }
        printCheckHint(spec)
    }

    private func refuseReplacing(_ inputs: [(path: String, role: String)], at destination: OutputFile) throws {
        do {
            try destination.refuseReplacing(inputs, with: "the model")
        } catch {
            Terminal.error(error.description)
            throw ExitCode(2)
        }
    }

    /// "a–b" (or "a" when they agree) of the given figures.
    private static func range(_ values: [Double]) -> String {
        guard let low = values.min(), let high = values.max() else { return "-" }
        return low == high ? format(low) : "\(format(low))–\(format(high))"
    }

    private func printCheckHint(_ spec: SweepSpec) {
        guard output != "-" else { return }
        let check = "tools/.venv/bin/python tools/check_export.py \(shellWord(output))"
        guard spec.data.testFraction > 0 else {
            // Every row trained it: the check compares with what sweep predict reports on other rows.
            print("check it in PyTorch on rows it did not train on: sweep predict \(shellWord(output)) HOLDOUT.csv, then \(check) --all-rows --data HOLDOUT.csv --expect FIGURE --tolerance 5e-5, with the accuracy (classes) or RMSE (regression) predict printed")
            return
        }
        print("check it in PyTorch: \(check) --data \(spec.data.source.hasPrefix("builtin:") ? "<the CSV>" : spec.data.source)")
    }

    /// The ensemble asked for: the best `--ensemble` trials, or `chosen`'s fold models, with the
    /// averaged predictions' test metrics; nil when `deadline` (or `interrupted`) came before any
    /// fold model was trained again.
    private func ensembleFile(
        chosen: TrialRecord, trials: [TrialRecord], spec: SweepSpec, record: SweepRecord, results: any ResultStore,
        until deadline: Date?, interrupted: @escaping @Sendable () -> Bool, trainedOn: PreparedData?
    ) throws -> ModelFile? {
        let sweep = record.name
        let threads = ProcessInfo.processInfo.activeProcessorCount
        // Asked before every batch: a clock read is a small part of one.
        let pastDeadline: @Sendable () -> Bool = { interrupted() || deadline.map { Date() >= $0 } ?? false }
        // What ended the training early, for the notes below.
        func cause() -> String { interrupted() ? "interrupted" : "the time ran out" }
        let built: Ensemble
        do {
            if let ensemble, folds {
                let data = try trainedOn ?? loadDataForRetraining(spec, of: record)
                Terminal.note("training the \(spec.scoringFits) fold models of each of the best \(ensemble) trials again")
                guard let trained = try Ensemble.folds(ofBest: ensemble, of: trials, metric: spec.metric, data: data, threads: threads, until: pastDeadline) else {
                    Terminal.note("\(cause()) before the best trial's fold models were trained again: exporting its final model alone")
                    return nil
                }
                let trainedTrials = Set(trained.members.map(\.trial)).count
                if trainedTrials < ensemble {
                    Terminal.note("\(cause()) while training the fold models again: the ensemble has those of the best \(trainedTrials) trials, not \(ensemble)")
                }
                built = trained
            } else if let ensemble {
                built = try Ensemble.bestTrials(ensemble, of: trials, metric: spec.metric) { try results.model(sweep: sweep, trial: $0) }
            } else {
                let data = try trainedOn ?? loadDataForRetraining(spec, of: record)
                Terminal.note("training the \(spec.scoringFits) fold models of trial \(chosen.number) again")
                do {
                    built = try Ensemble.folds(of: chosen, data: data, threads: threads, shouldStop: pastDeadline)
                } catch TrainingError.fitDidNotComplete(_, .interrupted) where pastDeadline() {
                    Terminal.note("\(cause()) before trial \(chosen.number)'s fold models were trained again: exporting its final model alone")
                    return nil
                }
            }
        } catch let error as EnsembleError {
            Terminal.error(error.description)
            throw ExitCode(2)
        } catch let error as DatasetError {
            Terminal.error("data: \(error.description)")
            throw ExitCode(2)
        } catch let error as TrainingError {
            Terminal.error(error.description)
            throw ExitCode(1)
        } catch let exit as ExitCode {
            // Said already (the data that cannot be read again, say): its status, not a second message.
            throw exit
        } catch {
            Terminal.error("cannot build the ensemble: \(error)")
            throw ExitCode(1)
        }
        let metrics: [String: Double]
        do {
            metrics = try built.testMetrics(split: spec.data)
        } catch {
            Terminal.error("cannot score the ensemble on the sweep's test rows: \(error)")
            throw ExitCode(1)
        }
        return ModelFile(ensemble: built, metrics: metrics, split: spec.data, sweepName: sweep, dataFingerprint: record.dataFingerprint)
    }

    /// Encodes and writes `file`; `summary` gets a function printing its line (to standard error
    /// when the model goes to standard output).
    private func write(_ file: ModelFile, to destination: OutputFile, summary: ((String) -> Void) -> Void) throws {
        let encoded: Data
        do {
            encoded = try file.encoded()
        } catch {
            Terminal.error("cannot encode the model: \(error)")
            throw ExitCode(1)
        }
        do {
            try destination.write([UInt8](encoded))
        } catch {
            Terminal.error(error.description)
            throw ExitCode(1)
        }
        let toStandardError = destination.isStandardOutput
        summary { line in if toStandardError { Terminal.note(line) } else { print(line) } }
    }
}
