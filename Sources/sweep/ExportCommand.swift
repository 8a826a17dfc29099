import ArgumentParser
import Foundation
import SweepKit

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the best (or a chosen) trial's model as safetensors that PyTorch loads.",
        discussion: """
            Tensors are named like the state_dict of the equivalent nn.Sequential (Linear, BatchNorm1d, activation, Dropout per hidden layer, then the output Linear); the metadata holds the architecture, feature names, standardisation, class labels and metrics. tools/check_export.py rebuilds the network in PyTorch and re-checks the test metric.
            """)

    @Argument(help: "The sweep name (default: the most recent sweep).")
    var sweep: String?

    @OptionGroup var store: StoreOptions

    // Unconditional, so that `--trial -1` reaches the range check below instead of being read as
    // a flag and reported as a missing value.
    @Option(parsing: .unconditional, help: "The trial number to export (default: the best trial).")
    var trial: Int?

    @Option(name: .shortAndLong, help: "The file to write, e.g. best.safetensors; - for standard output. A symbolic link is written through to its target, a FIFO or device streamed to.")
    var output: String

    func run() throws {
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
        let results = try store.openStore(mustExist: true, forReading: true, checkingIntegrity: true)
        let record = try resolveSweep(sweep, in: results)
        let spec = try storedSpec(record)
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
            guard let best = Leaderboard(trials: trials, metric: spec.metric).best else {
                Terminal.error("sweep '\(record.name)' has no complete trial yet; run or resume it with sweep run")
                throw ExitCode(2)
            }
            chosen = best
        }
        guard let model = try results.model(sweep: record.name, trial: chosen.number) else {
            Terminal.error("trial \(chosen.number)'s weights are not stored (the sweep kept only the best ones with --keep-weights); export one of those, or rerun the sweep")
            throw ExitCode(2)
        }
        let file = ModelFile(model: model, metrics: chosen.metrics, split: spec.data, sweepName: record.name, trialNumber: chosen.number)
        let encoded: Data
        do {
            encoded = try file.encoded()
        } catch {
            Terminal.error("cannot encode trial \(chosen.number)'s model: \(error)")
            throw ExitCode(1)
        }
        do {
            try destination.write([UInt8](encoded))
        } catch {
            Terminal.error(error.description)
            throw ExitCode(1)
        }
        // With the model on standard output, the report goes to standard error.
        let toStandardError = destination.isStandardOutput
        func report(_ line: String) {
            if toStandardError { Terminal.note(line) } else { print(line) }
        }
        let testMetric = testMetricName(for: spec.metric.name)
        let written = destination.isStandardOutput ? "standard output" : output
        report("wrote \(written): sweep '\(record.name)' trial \(chosen.number), \(spec.metric.name.rawValue) \(format(chosen.metrics[spec.metric.name.rawValue])), \(testMetric.rawValue) \(format(chosen.metrics[testMetric.rawValue]))")
        if !destination.isStandardOutput {
            report("check it in PyTorch: tools/.venv/bin/python tools/check_export.py \(output) --data \(spec.data.source.hasPrefix("builtin:") ? "<the CSV>" : spec.data.source)")
        }
    }
}
