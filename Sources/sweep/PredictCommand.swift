import ArgumentParser
import Datasets
import Foundation
import NeuralNet
import SweepKit

struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Run an exported model on a CSV and print or write its predictions.",
        discussion: """
            The CSV needs the model's feature columns (by name, any order). Other numeric columns are ignored, but every cell of the file must be a number, the target's too (a text column such as an ID must be removed first). If it also has the target column, accuracy (or RMSE/MAE) is reported on standard error. The output's row column is the row's number in the CSV (1: the first row after the header), also with --part.
            """)

    @Argument(help: "A model written by sweep export (.safetensors).")
    var model: String

    @Argument(help: "A CSV with a header row, or builtin:phone-price.")
    var data: String

    @Option(name: .shortAndLong, help: "Write predictions to this CSV instead of standard output (- is standard output). A symbolic link is written through to its target, a FIFO or device streamed to.")
    var output: String?

    @Option(help: "Rows to predict: all, or the train, validation or test part of the split the model was trained with (needs the target column, and the file the sweep was split from, unchanged: the part's rows are picked by position, and other data is refused).")
    var part: Part = .all

    enum Part: String, CaseIterable, ExpressibleByArgument {
        case all, train, validation, test
    }

    func run() throws {
        try requireUTF8Arguments()
        // The destination is checked first, so that a path that cannot be written costs nothing,
        // and never the model or the data it reads.
        let destination: OutputFile
        do {
            destination = try OutputFile(output ?? "-", example: "predictions.csv")
            try destination.refuseReplacing([(model, "the model"), (data, "the data")], with: "the predictions")
        } catch {
            Terminal.error(error.description)
            throw ExitCode(2)
        }
        let file: ModelFile
        do {
            file = try ModelFile.read(path: model)
        } catch {
            Terminal.error(error.description)
            throw ExitCode(2)
        }
        let trained = file.model
        let loaded = try loadColumns(target: trained.targetName, features: trained.featureNames)
        if let message = missingColumns(needed: trained.featureNames, present: loaded.featureNames + [loaded.targetName]) {
            Terminal.error(message)
            throw ExitCode(2)
        }
        let (dataset, rowNumbers) = try selectRows(of: loaded, file: file)
        let features = modelColumns(of: dataset, model: trained).features
        let rows = dataset.rowCount
        // A single model is an ensemble of one: the same path runs both.
        let outputs: [Float]
        do {
            outputs = try EnsemblePredictor(file.ensemble).predict(features: features, rowCount: rows)
        } catch let error as DatasetError {
            Terminal.error(error.description)
            throw ExitCode(2)
        } catch {
            Terminal.error("the model cannot run: \(error)")
            throw ExitCode(1)
        }
        let width = file.ensemble.outputWidth
        let hasTarget = dataset.targetName == trained.targetName
        var lines: [String] = []
        var correct = 0, squaredError = 0.0, absoluteError = 0.0
        // Rows whose output overflowed (values far beyond the training data's): their prediction
        // is left empty, not the first class that a NaN probability would give.
        var withoutPrediction: [Int] = []
        switch trained.task {
        case .multiclass, .binary:
            let labels = trained.classLabels
            lines.append((["row", "prediction"] + labels.map { "probability_\($0)" }).joined(separator: ","))
            for row in 0..<rows {
                let output = Array(outputs[(row * width)..<((row + 1) * width)])
                let probabilities: [Float] = trained.task == .binary ? [1 - output[0], output[0]] : output
                let best = EnsemblePredictor.predictedClass(output, task: trained.task)
                var label = best < labels.count ? labels[best] : String(best)
                if !output.allSatisfy(\.isFinite) {
                    label = ""
                    withoutPrediction.append(rowNumbers[row])
                }
                lines.append(([String(rowNumbers[row]), label] + probabilities.map { String(format: "%.6f", $0) }).joined(separator: ","))
                if hasTarget, Float(label) == dataset.targets[row] { correct += 1 }
            }
        case .regression:
            lines.append("row,prediction")
            for row in 0..<rows {
                let prediction = outputs[row]
                guard prediction.isFinite else {
                    lines.append("\(rowNumbers[row]),")
                    withoutPrediction.append(rowNumbers[row])
                    continue
                }
                lines.append("\(rowNumbers[row]),\(prediction)")
                if hasTarget {
                    let error = Double(prediction - dataset.targets[row])
                    squaredError += error * error
                    absoluteError += abs(error)
                }
            }
        }
        let text = lines.joined(separator: "\n") + "\n"
        // Standard output too is written through OutputFile, whose failed writes (a full disk, a
        // file-size limit) are errors: print would drop them and leave a truncated file.
        do {
            try destination.write(Array(text.utf8))
        } catch {
            Terminal.error(error.description)
            throw ExitCode(1)
        }
        if !destination.isStandardOutput { Terminal.note("wrote \(rows) predictions to \(destination.requested)") }
        if !withoutPrediction.isEmpty {
            let shown = withoutPrediction.prefix(10).map(String.init).joined(separator: ", ") + (withoutPrediction.count > 10 ? " and \(withoutPrediction.count - 10) more" : "")
            Terminal.note("warning: \(withoutPrediction.count) of \(rows) rows give no finite output (rows \(shown)), so their prediction is left empty: their values lie far beyond those the model was trained on")
        }
        if hasTarget, rows > 0 {
            if trained.task.isClassification {
                if let warning = unseenLabelsWarning(targets: dataset.targets, targetName: dataset.targetName, labels: trained.classLabels) {
                    Terminal.note(warning)
                }
                Terminal.note("accuracy on '\(data)': \(format(Double(correct) / Double(rows))) (\(correct)/\(rows) rows)")
            } else if rows > withoutPrediction.count {
                let scored = rows - withoutPrediction.count
                let which = withoutPrediction.isEmpty ? "" : " (the \(scored) rows with a prediction)"
                Terminal.note("on '\(data)'\(which): rmse \(format((squaredError / Double(scored)).squareRoot())) mae \(format(absoluteError / Double(scored)))")
            }
        }
    }

    /// The rows of `part`, reproducing the model's split from its metadata, and their numbers
    /// in the CSV (1: the first row after the header). The split picks rows by their place in the
    /// file, so it is taken only from the data the sweep was split from: data whose fingerprint
    /// differs from the model's is refused, since its "test" rows may be rows the model trained on.
    private func selectRows(of dataset: Dataset, file: ModelFile) throws -> (Dataset, rowNumbers: [Int]) {
        guard part != .all else { return (dataset, (0..<dataset.rowCount).map { $0 + 1 }) }
        guard dataset.targetName == file.model.targetName else {
            Terminal.error("--part \(part.rawValue) needs the target column '\(file.model.targetName)' to reproduce the split")
            throw ExitCode(2)
        }
        var configuration = file.split
        configuration.source = data
        configuration.task = file.model.task
        // With no fingerprint to compare, only the rows matter, not their standardised values.
        if file.dataFingerprint == nil { configuration.standardize = false }
        let prepared: PreparedData
        do {
            prepared = try PreparedData.prepare(modelColumns(of: dataset, model: file.model), configuration)
        } catch {
            Terminal.error("cannot reproduce the model's split on '\(data)': \(error.description)")
            throw ExitCode(2)
        }
        if let recorded = file.dataFingerprint {
            let found = DataFingerprint.of(prepared)
            guard found == recorded else {
                Terminal.error(
                    "'\(data)' is not the data the model's sweep was split from ('\(file.split.source)'): its \(dataset.rowCount) rows differ from that data's "
                        + "(other or added rows, rows in another order, or changed values; data fingerprint \(found), the model's \(recorded)). "
                        + "--part picks the split's rows by their place in the file, so it only makes sense on the file the sweep ran on: here its \(part.rawValue) rows may be rows the model trained on. "
                        + "Give that file, or leave out --part to predict every row of this one")
                throw ExitCode(2)
            }
        } else {
            Terminal.note(
                "warning: '\(model)' records no fingerprint of the data its sweep was split from (it was exported before models carried one, or from a sweep that has none), "
                    + "so whether '\(data)' is that file cannot be checked: its \(part.rawValue) rows are the model's only if it is, unchanged and in the same order")
        }
        // With k-fold, the final fit's: every non-test row trains, the test rows are held out.
        let fold = prepared.finalFit ?? prepared.folds[0]
        let rows = switch part {
        case .all, .train: fold.train.rowIndices
        case .validation: fold.validation.rowIndices
        case .test: fold.test.rowIndices
        }
        guard !rows.isEmpty else {
            Terminal.error("--part \(part.rawValue) selects no rows of '\(data)': the split the model was trained with has no \(part.rawValue) part; use --part all, or another part")
            throw ExitCode(2)
        }
        return (dataset.subset(rows: rows), rows.map { $0 + 1 })
    }

    /// `dataset` with the model's feature columns alone, by name, in the model's order: what the
    /// model takes, and the columns of the data its sweep ran on (a network takes every column
    /// but the target), whatever order or other columns this file has. A feature that is not
    /// among the dataset's is its target: a CSV without the model's target is read with its
    /// last column as target.
    private func modelColumns(of dataset: Dataset, model: TrainedModel) -> Dataset {
        let columns = model.featureNames.map { name in dataset.featureIndex(named: name).map { dataset.featureColumn($0) } ?? dataset.targets }
        var features = [Float](repeating: 0, count: dataset.rowCount * columns.count)
        for (column, values) in columns.enumerated() {
            for row in 0..<dataset.rowCount { features[row * columns.count + column] = values[row] }
        }
        return Dataset(
            featureNames: model.featureNames, targetName: dataset.targetName, features: features, targets: dataset.targets,
            lineNumbers: dataset.lineNumbers, source: dataset.source)
    }

    /// Every column of the CSV: with the model's target as target when present, else the last.
    /// A file of one column is read as well, as the one feature of a one-feature model; which of
    /// the model's columns a file lacks is checked after.
    /// The file is read once and its bytes parsed again without the target: a pipe
    /// (`<(zcat new.csv.gz)`, standard input) was read to its end by the first try, and the
    /// second then found it empty.
    private func loadColumns(target: String, features: [String]) throws -> Dataset {
        do {
            guard !data.hasPrefix("builtin:") else {
                do {
                    return try Dataset.load(source: data, target: target, requiringFeatures: false)
                } catch .unknownTargetColumn {
                    return try Dataset.load(source: data, target: nil, requiringFeatures: false)
                }
            }
            let bytes = try CSVLoader.readBytes(at: data, limit: CSVLimits.standard.maximumByteCount)
            do {
                return try CSVLoader.parse(bytes: bytes, path: data, target: target, requiringFeatures: false)
            } catch .unknownTargetColumn {
                return try CSVLoader.parse(bytes: bytes, path: data, target: nil, requiringFeatures: false)
            }
        } catch {
            Terminal.error(loadingMessage(error, target: target, features: features))
            throw ExitCode(2)
        }
    }

    /// The loader's message, but for a cell holding no number in a column the model does not take:
    /// the loader's advice (fill in the value, or delete the row) is wrong for a column that
    /// predict does not need, the target of rows to predict or an identifier.
    private func loadingMessage(_ error: DatasetError, target: String, features: [String]) -> String {
        let (path, line, name, cell): (String, Int, String, String)
        switch error {
        case let .emptyCell(errorPath, errorLine, column): (path, line, name, cell) = (errorPath, errorLine, column, "the cell is empty")
        case let .nonNumericCell(errorPath, errorLine, column, _): (path, line, name, cell) = (errorPath, errorLine, column, "the cell is not a number")
        default: return error.description
        }
        guard !features.contains(name) else { return error.description }
        let column = shownList([name])
        if name == target {
            return "\(path), line \(line), column \(column): \(cell), and \(column) is the model's target, which predict does not need. "
                + "Delete the column to predict rows whose target is unknown, or fill it in on every row to have the accuracy reported."
        }
        return "\(path), line \(line), column \(column): \(cell), and \(column) is not one of the model's features: predict ignores it, but reads every cell of the file as a number. "
            + "Delete the column (an identifier or a label of the rows), keeping the model's \(features.count) feature columns."
    }

    /// A warning when some rows' target is a class the model never learnt, nil when none is: the
    /// model cannot predict it, so the accuracy counts those rows as wrong, and a target column
    /// full of them is likely another column under the model's target's name.
    private func unseenLabelsWarning(targets: [Float], targetName: String, labels: [String]) -> String? {
        let known = Set(labels.compactMap { Float($0) })
        var unseen: [Float] = []
        var unseenRowCount = 0
        for value in targets where !known.contains(value) {
            unseenRowCount += 1
            if unseen.count <= 5, !unseen.contains(value) { unseen.append(value) }
        }
        guard unseenRowCount > 0 else { return nil }
        let values = ClassEncoding(classLabels: Array(unseen.prefix(5))).labelNames.joined(separator: ", ") + (unseen.count > 5 ? ", …" : "")
        let knownList = labels.count == 2 ? "\(labels[0]) and \(labels[1])" : labels.joined(separator: ", ")
        return "warning: \(unseenRowCount) of the \(targets.count) rows of '\(data)' have a \(shownList([targetName])) the model never learnt (\(values)): "
            + "it predicts only \(knownList), so they count as wrong in the accuracy. Check that this column is the target the model was trained on"
    }

    /// Which of the model's feature columns the CSV lacks, or nil when none is missing. Long lists
    /// (a model of hundreds of columns) show their first names and a count of the rest.
    private func missingColumns(needed: [String], present: [String]) -> String? {
        let presentNames = Set(present)
        let missing = needed.filter { !presentNames.contains($0) }
        guard !missing.isEmpty else { return nil }
        let count = missing.count == needed.count ? "all of the model's \(needed.count) feature columns" : "\(missing.count) of the model's \(needed.count) feature columns"
        return "'\(data)' lacks \(count): \(shownList(missing)). Its columns: \(shownList(present)). Columns are matched by name (any order; others are ignored)."
    }
}
