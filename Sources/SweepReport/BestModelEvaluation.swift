import Datasets
import Foundation
import NeuralNet
import SweepKit

/// The best trial's model run on the test rows of the split it was trained with: those of the
/// final fit on every non-test row (k-fold), or of the one split. Its data is loaded again from
/// the spec, as `sweep predict --part test` does, and checked against the fingerprint the sweep
/// stored, so a CSV changed since the sweep is reported rather than silently scored.
enum BestModelEvaluation {
    /// The most points a predicted-against-actual plot draws; more test rows are sampled evenly.
    static let plottedRowLimit = 2_000

    static func section(trial number: Int?, model: TrainedModel?, spec: SweepSpec, storedFingerprint: String?) -> BestModelSection {
        guard let number else {
            // The page says why from the sweep's shortfall, which the dashboard updates with each
            // revision where it keeps this section per best trial.
            return BestModelSection(note: "no complete trial with a finite \(spec.metric.name.rawValue)")
        }
        guard let model else {
            return BestModelSection(trial: number, note: "trial \(number)'s weights are not stored (the sweep kept only some with --keep-weights)")
        }
        let data: PreparedData
        do {
            data = try PreparedData.load(spec.data)
        } catch {
            return BestModelSection(trial: number, note: "the sweep's data cannot be read from here: \(error.description)")
        }
        if let storedFingerprint, DataFingerprint.of(data) != storedFingerprint {
            return BestModelSection(trial: number, note: "the data at '\(spec.data.source)' differs from what the sweep trained on, so its test rows are not the trial's")
        }
        let test = (data.finalFit ?? data.folds[0]).test
        guard !test.isEmpty else {
            return BestModelSection(trial: number, note: "the split has no test rows (test_fraction is 0)")
        }
        let outputs: Matrix
        do {
            let network = try model.makeNetwork()
            outputs = try network.forward(Matrix(rows: test.rowCount, columns: test.featureCount, values: test.features))
        } catch {
            return BestModelSection(trial: number, note: "trial \(number)'s model cannot run on the test rows: \(error)")
        }
        let rows = outputs.nestedRows
        var section = BestModelSection(trial: number, testRows: test.rowCount)
        switch model.task {
        case .multiclass, .binary:
            let predicted = rows.map { output -> Int in
                model.task == .binary ? (output[0] > 0.5 ? 1 : 0) : (output.indices.max { output[$0] < output[$1] } ?? 0)
            }
            section.classification = confusionMatrix(
                labels: model.classLabels.isEmpty ? data.classLabels : model.classLabels,
                actual: test.targets.map { Int($0) }, predicted: predicted)
        case .regression:
            section.regression = regressionFit(actual: test.targets.map(Double.init), predicted: rows.map { Double($0[0]) })
        }
        return section
    }

    /// counts[actual][predicted], with each class's precision (of the rows predicted as it, the
    /// share that are it) and recall (of the rows that are it, the share predicted as it).
    static func confusionMatrix(labels: [String], actual: [Int], predicted: [Int]) -> ConfusionMatrix {
        let classCount = max(labels.count, (actual + predicted).max().map { $0 + 1 } ?? 0)
        var counts = Array(repeating: Array(repeating: 0, count: classCount), count: classCount)
        for (truth, guess) in zip(actual, predicted) where truth >= 0 && guess >= 0 { counts[truth][guess] += 1 }
        let precision: [Double?] = (0..<classCount).map { column in
            let predictedAsIt = counts.reduce(0) { $0 + $1[column] }
            return predictedAsIt == 0 ? nil : Double(counts[column][column]) / Double(predictedAsIt)
        }
        let recall: [Double?] = (0..<classCount).map { row in
            let actuallyIt = counts[row].reduce(0, +)
            return actuallyIt == 0 ? nil : Double(counts[row][row]) / Double(actuallyIt)
        }
        let correct = (0..<classCount).reduce(0) { $0 + counts[$1][$1] }
        let shownLabels = (0..<classCount).map { $0 < labels.count ? labels[$0] : String($0) }
        return ConfusionMatrix(
            labels: shownLabels, counts: counts, precision: precision, recall: recall,
            accuracy: actual.isEmpty ? 0 : Double(correct) / Double(actual.count))
    }

    /// RMSE and MAE over every row; the points of at most `plottedRowLimit` evenly spaced rows.
    static func regressionFit(actual: [Double], predicted: [Double]) -> RegressionFit {
        let count = Double(max(actual.count, 1))
        var squared = 0.0, absolute = 0.0
        for (truth, guess) in zip(actual, predicted) {
            squared += (guess - truth) * (guess - truth)
            absolute += abs(guess - truth)
        }
        let step = max(1, (actual.count + plottedRowLimit - 1) / plottedRowLimit)
        let shown = Swift.stride(from: 0, to: actual.count, by: step)
        return RegressionFit(
            actual: shown.map { actual[$0] }, predicted: shown.map { predicted[$0] },
            rmse: (squared / count).squareRoot(), mae: absolute / count, rows: actual.count)
    }
}
