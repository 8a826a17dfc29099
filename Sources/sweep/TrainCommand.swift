import ArgumentParser
import Datasets
import Foundation
import NeuralNet
import SweepKit

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train one configuration and report its validation and test metrics.",
        discussion: """
            CONFIG is a JSON object of training settings (README: "Configuration reference"); flags override its fields. Without it, the founding document's price network is trained on builtin:phone-price: 20 → 128 → 256 → 4, ReLU, kaiming normal, Adam lr 0.001, batch 32, 50 epochs.
            """
    )

    @Argument(help: "A training configuration JSON file (optional).")
    var config: String?

    @Option(help: "Data: a CSV path or builtin:phone-price (overrides data.source).")
    var data: String?

    @Option(help: "Target column name (default: the last column).")
    var target: String?

    @Option(help: "Hidden layer widths, comma-separated, e.g. 128,256.")
    var hidden: String?

    @Option(help: "Hidden activation: \(Activation.allCases.map(\.rawValue).joined(separator: ", ")).")
    var activation: String?

    @Option(help: "Weight initialiser: \(Initializer.names.joined(separator: ", ")).")
    var initializer: String?

    @Option(help: "Optimizer: \(OptimizerKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var optimizer: String?

    @Option(parsing: .unconditional, help: "Learning rate.")
    var lr: Double?

    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Rows per mini-batch.")
    var batchSize: Int?

    @Option(parsing: .unconditional, help: "Number of epochs.")
    var epochs: Int?

    @Option(parsing: .unconditional, help: "Dropout probability p in [0, 1).")
    var dropout: Double?

    @Flag(name: .customLong("batch-norm"), help: "Add BatchNorm1d after every hidden Linear.")
    var batchNorm = false

    @Option(parsing: .unconditional, help: "Random seed for weights, dropout and batch order.")
    var seed: Int?

    @Option(parsing: .unconditional, help: "Train this many seeds (seed, seed+1, ...) and report the mean and spread of the metrics (at most \(TrainCommand.maximumSeeds)).")
    var seeds: Int = 1

    /// As many seeds as a sweep's repeats: each is a whole training run.
    static let maximumSeeds = 100

    @Flag(help: "Print only the final metrics.")
    var quiet = false

    func validate() throws {
        guard seeds >= 1, seeds <= Self.maximumSeeds else {
            throw ValidationError("--seeds must be from 1 to \(Self.maximumSeeds) (each seed is a whole training run), got \(seeds)")
        }
    }

    func run() throws {
        try requireUTF8Arguments()
        var settings: JSONValue = .object([:])
        var source = "command-line flags"
        if let config {
            let text = try readSettingsFile(config, kind: "configuration file")
            source = config
            do {
                settings = try JSONValue.parse(text, source: config)
            } catch {
                Terminal.error(error.description)
                throw ExitCode(2)
            }
        }
        settings = applyingOverrides(to: settings)
        var problems: [ConfigurationProblem] = []
        let configuration = TrainingConfiguration.read(settings, problems: &problems)
        problems = problems.map(namingFlags)
        guard problems.isEmpty else {
            Terminal.error(ConfigurationError(source: source, problems: problems).description)
            throw ExitCode(2)
        }
        guard seeds > 1 else {
            try train(configuration)
            return
        }
        var tests: [Evaluation] = []
        for offset in 0..<seeds {
            var seeded = configuration
            seeded.seed = configuration.seed + UInt64(offset)
            if !quiet { print("== seed \(seeded.seed)") }
            if let test = try train(seeded, printing: !quiet, warnsOfData: offset == 0) {
                tests.append(test)
                if quiet { print("seed \(seeded.seed): test \(metricLine(test))") }
            }
        }
        let headlines = tests.compactMap(\.headline)
        guard !headlines.isEmpty else { return }
        let mean = headlines.reduce(0, +) / Double(headlines.count)
        let spread = (headlines.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(headlines.count)).squareRoot()
        let name = tests.first?.accuracy != nil ? "accuracy" : "rmse"
        print("test \(name) over \(headlines.count) of \(seeds) seeds: mean \(format(mean)) std \(format(spread))")
    }

    /// The JSON keys the flags set, with the flag that set each.
    private var flagsByKey: [(key: String, flag: String)] {
        var flags: [(String, String)] = []
        if data != nil { flags.append(("data.source", "--data")) }
        if target != nil { flags.append(("data.target", "--target")) }
        if hidden != nil { flags.append(("hidden_layers", "--hidden")) }
        if activation != nil { flags.append(("activation", "--activation")) }
        if initializer != nil { flags.append(("initializer", "--initializer")) }
        if optimizer != nil { flags.append(("optimizer", "--optimizer")) }
        if lr != nil { flags.append(("lr", "--lr")) }
        if batchSize != nil { flags.append(("batch_size", "--batch-size")) }
        if epochs != nil { flags.append(("epochs", "--epochs")) }
        if dropout != nil { flags.append(("dropout", "--dropout")) }
        if seed != nil { flags.append(("seed", "--seed")) }
        return flags
    }

    /// A problem with a value a flag gave, named by the flag (`--lr: …`) rather than by the
    /// JSON path of a file that never held it.
    private func namingFlags(_ problem: ConfigurationProblem) -> ConfigurationProblem {
        for (key, flag) in flagsByKey {
            let path = "$." + key
            if problem.path == path || problem.path.hasPrefix(path + "[") || problem.path.hasPrefix(path + ".") {
                return ConfigurationProblem(path: flag + problem.path.dropFirst(path.count), message: problem.message)
            }
        }
        return problem
    }

    /// Folds the flags into the JSON settings so that they are validated like the file's fields.
    private func applyingOverrides(to settings: JSONValue) -> JSONValue {
        guard case .object(var members) = settings else { return settings }
        if data != nil || target != nil {
            var dataMembers: [String: JSONValue] = [:]
            switch members["data"] {
            case .string(let path)?: dataMembers["source"] = .string(path)
            case .object(let existing)?: dataMembers = existing
            // --target alone names a column of the default data, which the object form must
            // then name too.
            default: dataMembers["source"] = .string(DataConfiguration().source)
            }
            if let data { dataMembers["source"] = .string(data) }
            if let target { dataMembers["target"] = .string(target) }
            members["data"] = .object(dataMembers)
        }
        if let hidden {
            // Empty pieces are kept ("64,,32" is a typo to report), except that "" is no layer.
            let pieces = hidden.trimmingCharacters(in: .whitespaces).isEmpty ? [] : hidden.split(separator: ",", omittingEmptySubsequences: false)
            let widths = pieces.map { part -> JSONValue in
                let text = part.trimmingCharacters(in: .whitespaces)
                return Double(text).map(JSONValue.number) ?? .string(text)
            }
            members["hidden_layers"] = .array(widths)
        }
        if let activation { members["activation"] = .string(activation) }
        if let initializer { members["initializer"] = .string(initializer) }
        if let optimizer {
            if case .object(var existing)? = members["optimizer"] {
                existing["name"] = .string(optimizer)
                members["optimizer"] = .object(existing)
            } else {
                members["optimizer"] = .string(optimizer)
            }
        }
        if let lr { members["lr"] = .number(lr) }
        if let batchSize { members["batch_size"] = .number(Double(batchSize)) }
        if let epochs { members["epochs"] = .number(Double(epochs)) }
        if let dropout { members["dropout"] = .number(dropout) }
        if batchNorm { members["batch_norm"] = .bool(true) }
        if let seed { members["seed"] = .number(Double(seed)) }
        return .object(members)
    }

    /// Trains one configuration, printing as it goes; returns the test evaluation if it completed.
    /// `warnsOfData`: whether to warn of the data (once for several seeds, which share it).
    @discardableResult
    private func train(_ configuration: TrainingConfiguration, printing: Bool = true, warnsOfData: Bool = true) throws -> Evaluation? {
        let quiet = self.quiet || !printing
        let prepared: PreparedData
        let trainer: Trainer
        do {
            prepared = try PreparedData.load(configuration.data)
            // Before the network is built, even for the summary: a network that cannot fit is
            // refused here rather than swapping for minutes and being killed.
            try MemoryEstimate(configuration: configuration, data: prepared).check(jobs: 1)
            trainer = try Trainer(configuration: configuration, data: prepared)
        } catch let error as MemoryLimitError {
            Terminal.error(error.description)
            throw ExitCode(2)
        } catch let error as DatasetError {
            Terminal.error(error.description)
            throw ExitCode(2)
        } catch let error as TrainingError {
            Terminal.error(error.description)
            throw ExitCode(2)
        }
        if warnsOfData { warnOfTargetCopies(in: prepared) }
        let fold = prepared.folds[0]
        if !quiet {
            print("data: \(prepared.source) — \(prepared.task.rawValue), target '\(prepared.targetName)', "
                + "\(fold.train.rowCount) train / \(fold.validation.rowCount) validation / \(fold.test.rowCount) test rows"
                + (prepared.folds.count > 1 ? " (\(prepared.folds.count)-fold cross-validation)" : ""))
            if let network = try? Network(trainer.networkDescription, seed: 0) {
                print(ModelSummary(network: network, batchSize: configuration.batchSize).text)
            }
            print("optimizer: \(configuration.optimizer.kind.rawValue), lr \(format(Double(configuration.optimizer.learningRate ?? configuration.optimizer.defaultLearningRate), digits: 6)), "
                + "schedule \(configuration.schedule.name), loss \(trainer.loss.rawValue), batch \(configuration.batchSize), epochs \(configuration.epochs), seed \(configuration.seed)")
        }
        let metricName = prepared.task.isClassification ? "accuracy" : "rmse"
        let interactive = Terminal.isInteractive && !quiet
        let totalEpochs = configuration.epochs * (prepared.folds.count + (prepared.finalFit == nil ? 0 : 1))
        let result = try trainingResult(trainer) { event in
            guard !quiet else { return }
            switch event {
            case .batch(let fold, let epoch, let batch, let batchCount) where interactive:
                let finished = fold == 0 ? prepared.folds.count : fold - 1
                let done = Double(finished * configuration.epochs + epoch - 1) + Double(batch) / Double(batchCount)
                Terminal.status("\(Terminal.bar(fraction: done / Double(totalEpochs))) \(fold == 0 ? "final fit" : "fold \(fold)") epoch \(epoch)/\(configuration.epochs) batch \(batch)/\(batchCount)")
            case .epoch(let record):
                if interactive { Terminal.endStatus() }
                let foldText = prepared.folds.count > 1 ? (record.fold == 0 ? "final fit " : "fold \(record.fold) ") : ""
                print("\(foldText)epoch \(String(format: "%3d", record.epoch))  train loss \(format(record.trainLoss)) \(metricName) \(format(record.trainMetric))"
                    + "  validation loss \(format(record.validationLoss)) \(metricName) \(format(record.validationMetric))"
                    + "  lr \(format(record.learningRate, digits: 6))  \(String(format: "%.2fs", record.seconds))")
            default:
                break
            }
        }
        if interactive { Terminal.endStatus() }
        switch result.status {
        case .diverged:
            print("diverged: the loss became NaN or infinite in epoch \(result.divergedEpoch ?? 0); try a smaller learning rate")
            return nil
        case .interrupted, .pruned:
            // `sweep train` has no pruner: only a signal ends a run early without a model.
            print("interrupted")
            return nil
        case .complete:
            if let best = result.bestEpoch, configuration.earlyStopping != nil {
                print("early stopping restored the weights of epoch \(best)")
            }
            guard printing else { break }
            if let validation = result.validation {
                print("validation: loss \(format(validation.loss)) \(metricLine(validation))")
            }
            if let test = result.test {
                print("test: loss \(format(test.loss)) \(metricLine(test))")
            }
            print("trained in \(formatDuration(result.trainSeconds))")
        }
        return result.test
    }

    private func trainingResult(_ trainer: Trainer, observe: (TrainingEvent) -> Void) throws -> TrainingResult {
        do {
            return try trainer.run(observe: observe)
        } catch {
            Terminal.error(error.description)
            throw ExitCode(1)
        }
    }
}

func metricLine(_ evaluation: Evaluation) -> String {
    if let accuracy = evaluation.accuracy { return "accuracy \(format(accuracy))" }
    return "rmse \(format(evaluation.rmse)) mae \(format(evaluation.mae))"
}
