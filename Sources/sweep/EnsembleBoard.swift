import Foundation
import SweepKit

/// `sweep leaderboard --ensembles K`: the averages of the best 1 … K trials, ranked on the
/// validation rows of the sweep's folds, with the test metric of the models `sweep export
/// --ensemble` would write.
struct EnsembleBoard {
    let ranking: EnsembleRanking
    /// Per size, the test metrics of the averaged final models (empty when not stored or no test rows).
    let tests: [[String: Double]]

    init(trials: [TrialRecord], spec: SweepSpec, upTo count: Int, results: any ResultStore, record: SweepRecord) throws {
        let sweep = record.name
        let data = try loadDataForRetraining(spec, of: record)
        Terminal.note("training the fold models of the best \(count) trials again (\(spec.scoringFits) each) to score their averages on the validation rows")
        ranking = try EnsembleRanking(
            trials: trials, rankedBy: spec.metric, upTo: count, data: data, split: spec.data,
            threads: ProcessInfo.processInfo.activeProcessorCount)
        tests = ranking.rows.map { row in
            let built = try? Ensemble.bestTrials(row.members.count, of: trials, metric: spec.metric) { try results.model(sweep: sweep, trial: $0) }
            return (try? built?.testMetrics(split: spec.data)) ?? [:]
        }
    }

    private var testName: String { ranking.metric == "accuracy" ? "test_accuracy" : "test_rmse" }

    private func cells(_ index: Int) -> [String] {
        let row = ranking.rows[index]
        return [
            String(row.members.count), row.members.map(String.init).joined(separator: " "),
            format(row.validation[ranking.metric]), format(tests[index][testName]),
            row.members == ranking.best?.members ? "best" : "",
        ]
    }

    private var header: [String] { ["members", "trials", "validation_\(ranking.metric)", testName, ""] }

    /// The ranked averages and the command that exports the best (`databaseOption`: " --db …"
    /// or nothing), whole: it named neither the sweep nor -o, so it failed as printed.
    func text(sweep: String, databaseOption: String) -> String {
        var lines = aligned([header] + ranking.rows.indices.map(cells))
        lines.append(
            "validation_\(ranking.metric): the averaged predictions of the members' fold models, scored on each fold's validation rows"
                + " and averaged over the \(ranking.fits) fits, as each trial was (1 member: the best trial's own figure)."
                + " The best trial's figure is the luckiest of the sweep's, so few members look better here than they do on new rows."
                + " \(testName): the average of their final models on the test rows, for information; choosing the size by it would make it no test.")
        if let best = ranking.best {
            lines.append(best.members.count == 1
                ? "best: the best trial alone; export it with: sweep export \(sweep) -o \(sweep)-best.safetensors\(databaseOption)"
                : "best: the average of the best \(best.members.count); export it with: sweep export \(sweep) --ensemble \(best.members.count) -o \(sweep)-ensemble.safetensors\(databaseOption)")
        }
        return lines.joined(separator: "\n")
    }

    func csv() -> String {
        ([header.dropLast() + ["best"]] + ranking.rows.indices.map { index in
            var row = cells(index)
            row[1] = row[1].replacingOccurrences(of: " ", with: ";")
            row[4] = row[4] == "best" ? "true" : "false"
            return row
        }).map { $0.joined(separator: ",") }.joined(separator: "\n") + "\n"
    }
}
