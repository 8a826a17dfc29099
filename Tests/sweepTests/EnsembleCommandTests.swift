import Foundation
import Testing
@testable import sweep

/// `sweep export --ensemble K` and `--folds`, and `sweep predict` running what they write.
@Suite("sweep export --ensemble and --folds")
struct EnsembleCommandTests {
    static func foldSpec(name: String) -> String {
        """
        {"name": "\(name)", "data": {"source": "\(SmallSpecs.data)", "folds": 3}, "method": "random", "trials": 4, "seed": 2,
         "fixed": {"hidden_layers": [8], "epochs": 3, "batch_size": 16},
         "parameters": {"lr": {"distribution": "log_uniform", "min": 0.005, "max": 0.05}}}
        """
    }

    /// The figure after `label` in `text` (e.g. "averaged test_accuracy 0.9125").
    func figure(after label: String, in text: String) throws -> String {
        let range = try #require(text.range(of: label), "no '\(label)' in \(text)")
        return String(text[range.upperBound...].prefix { !$0.isWhitespace && $0 != "," })
    }

    @Test func anEnsembleOfTheBestTrialsPredictsTheAccuracyItReports() async throws {
        let directory = try ScratchDirectory()
        let database = directory.path("results.sqlite")
        let run = try await sweep("run", try directory.write("folds.json", Self.foldSpec(name: "ens")), "--db", database, "--jobs", "2", in: directory)
        #expect(run.status == 0, "\(run)")

        let model = directory.path("top3.safetensors")
        let export = try await sweep("export", "ens", "--db", database, "--ensemble", "3", "-o", model, in: directory)
        #expect(export.status == 0, "\(export)")
        #expect(export.standardOutput.contains("an ensemble of the best 3 trials ("), "\(export)")
        let accuracy = try figure(after: "averaged test_accuracy ", in: export.standardOutput)
        let predict = try await sweep("predict", model, SmallSpecs.data, "--part", "test", in: directory)
        #expect(predict.status == 0, "\(predict)")
        // 80 test rows, one line each after the header, with four class probabilities.
        let lines = predict.standardOutput.split(separator: "\n")
        #expect(lines.count == 81)
        #expect(lines.first == "row,prediction,probability_0,probability_1,probability_2,probability_3")
        #expect(predict.standardError.contains("accuracy on '\(SmallSpecs.data)': \(accuracy) ("), "\(predict)")

        let folds = directory.path("folds.safetensors")
        let foldExport = try await sweep("export", "ens", "--db", database, "--folds", "--trial", "2", "-o", folds, in: directory)
        #expect(foldExport.status == 0, "\(foldExport)")
        #expect(foldExport.standardOutput.contains("an ensemble of the 3 fold models of trial 2 of sweep 'ens'"), "\(foldExport)")
        let foldAccuracy = try figure(after: "averaged test_accuracy ", in: foldExport.standardOutput)
        let foldPredict = try await sweep("predict", folds, SmallSpecs.data, "--part", "test", in: directory)
        #expect(foldPredict.standardError.contains("accuracy on '\(SmallSpecs.data)': \(foldAccuracy) ("), "\(foldPredict)")
    }

    /// `sweep auto`'s export trains fold models again only until the budget's end, or until
    /// Ctrl-C: from a deadline already passed, or a stop already asked for, none, and the best
    /// trial's final model goes alone.
    @Test func foldModelsAreTrainedAgainOnlyUntilTheDeadlineOrAStop() async throws {
        let directory = try ScratchDirectory()
        let database = directory.path("results.sqlite")
        let run = try await sweep("run", try directory.write("folds.json", Self.foldSpec(name: "due")), "--db", database, "--jobs", "2", in: directory)
        #expect(run.status == 0, "\(run)")
        func exported(until deadline: Date, stopped: Bool = false) throws -> String {
            let model = directory.path("m.safetensors")
            try ExportCommand.parse(["due", "--db", database, "--ensemble", "3", "--folds", "-o", model])
                .run(until: deadline, interrupted: { stopped })
            // The file's JSON header names an ensemble's members, or a single model's trial.
            return String(decoding: try Data(contentsOf: URL(fileURLWithPath: model)).prefix(20_000), as: UTF8.self)
        }
        let late = try exported(until: .distantFuture)
        #expect(late.contains("sweep.ensemble") && !late.contains("\"sweep.trial\""))
        let due = try exported(until: Date())
        #expect(due.contains("\"sweep.trial\"") && !due.contains("sweep.ensemble"))
        let stopped = try exported(until: .distantFuture, stopped: true)
        #expect(stopped.contains("\"sweep.trial\"") && !stopped.contains("sweep.ensemble"))
    }

    /// Runs `foldSpec(name:)` into `database` and returns its leaderboard as CSV cells.
    func sweptWithFolds(_ name: String, database: String, in directory: ScratchDirectory) async throws -> (header: [String], rows: [[String]]) {
        let run = try await sweep("run", try directory.write("folds.json", Self.foldSpec(name: name)), "--db", database, "--jobs", "2", in: directory)
        #expect(run.status == 0, "\(run)")
        let board = try await sweep("leaderboard", name, "--db", database, "--format", "csv", in: directory)
        let lines = board.standardOutput.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        return (lines.first ?? [], Array(lines.dropFirst()))
    }

    /// The probability columns of `sweep predict`'s output, a row per line.
    func probabilities(_ output: String) -> [[Double]] {
        output.split(separator: "\n").dropFirst().map { line in line.split(separator: ",").dropFirst(2).compactMap { Double($0) } }
    }

    @Test func theFoldModelsOfTheBestTrialsAverageTheirFoldEnsembles() async throws {
        let directory = try ScratchDirectory()
        let database = directory.path("results.sqlite")
        let board = try await sweptWithFolds("bag", database: database, in: directory)
        let trialColumn = try #require(board.header.firstIndex(of: "trial"))
        let best = board.rows.prefix(2).map { $0[trialColumn] }

        let bagged = directory.path("bag.safetensors")
        let export = try await sweep("export", "bag", "--db", database, "--ensemble", "2", "--folds", "-o", bagged, in: directory)
        #expect(export.status == 0, "\(export)")
        #expect(export.standardOutput.contains("an ensemble of the 6 fold models of the best 2 trials (\(best.joined(separator: ", "))) of sweep 'bag'"), "\(export)")
        let predicted = try await sweep("predict", bagged, SmallSpecs.data, "--part", "test", in: directory)
        #expect(predicted.status == 0, "\(predicted)")

        // Each trial's own fold ensemble, exported alone; the two have as many members, so the
        // combined model's probabilities are their mean.
        var alone: [[[Double]]] = []
        for trial in best {
            let path = directory.path("folds-\(trial).safetensors")
            let single = try await sweep("export", "bag", "--db", database, "--folds", "--trial", trial, "-o", path, in: directory)
            #expect(single.status == 0, "\(single)")
            alone.append(probabilities(try await sweep("predict", path, SmallSpecs.data, "--part", "test", in: directory).standardOutput))
        }
        let combined = probabilities(predicted.standardOutput)
        #expect(combined.count == 80 && alone.allSatisfy { $0.count == 80 })
        #expect(alone[0] != alone[1], "two trials with the same predictions would not test the averaging")
        for (row, values) in combined.enumerated() {
            for (column, value) in values.enumerated() {
                #expect(abs(value - (alone[0][row][column] + alone[1][row][column]) / 2) < 2e-4, "row \(row), class \(column)")
            }
        }

        let many = try await sweep("export", "bag", "--db", database, "--ensemble", "9", "--folds", "-o", directory.path("no.safetensors"), in: directory)
        #expect(many.isCleanFailure && many.standardError.contains("the folds of the best 9 need 9"), "\(many)")
    }

    @Test func theLeaderboardRanksTheAveragesOfTheBestTrialsOnTheirValidationRows() async throws {
        let directory = try ScratchDirectory()
        let database = directory.path("results.sqlite")
        let board = try await sweptWithFolds("rank", database: database, in: directory)
        let trials = board.rows
        let trialColumn = try #require(board.header.firstIndex(of: "trial")), metricColumn = try #require(board.header.firstIndex(of: "validation_accuracy"))

        let ranked = try await sweep("leaderboard", "rank", "--db", database, "--ensembles", "3", "--format", "csv", in: directory)
        #expect(ranked.status == 0, "\(ranked)")
        let lines = ranked.standardOutput.split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
        #expect(lines.first == ["members", "trials", "validation_accuracy", "test_accuracy", "best"])
        let rows = Array(lines.dropFirst())
        #expect(rows.count == 3)
        // The best 1, 2 and 3 trials, in the leaderboard's order.
        #expect(rows.map { $0[1] } == (1...3).map { size in trials.prefix(size).map { $0[trialColumn] }.joined(separator: ";") })
        // One member: its fold models trained again and scored on the folds' validation rows give
        // the metric the sweep stored for the best trial.
        #expect(rows[0][2] == String(format: "%.4f", try #require(Double(trials[0][metricColumn]))), "\(ranked.standardOutput) vs \(board.rows)")
        #expect(rows.filter { $0[4] == "true" }.count == 1)
        // The test figure of two members is that of the model export --ensemble 2 writes.
        let export = try await sweep("export", "rank", "--db", database, "--ensemble", "2", "-o", directory.path("two.safetensors"), in: directory)
        #expect(rows[1][3] == (try figure(after: "averaged test_accuracy ", in: export.standardOutput)), "\(export)")

        let table = try await sweep("leaderboard", "rank", "--db", database, "--ensembles", "2", in: directory)
        #expect(table.status == 0 && table.standardOutput.contains("ranked by validation accuracy"), "\(table)")
        // The command it prints runs as printed: it named neither the sweep nor -o.
        let line = try #require(table.standardOutput.split(separator: "\n").first { $0.contains("export it with: sweep export") })
        let suggested = line.components(separatedBy: "export it with: sweep ").last!.split(separator: " ").map(String.init)
        #expect(suggested.starts(with: ["export", "rank"]) && suggested.contains("-o") && suggested.suffix(2) == ["--db", database], "\(line)")
        let exported = try await SweepProcess(suggested, in: directory).wait()
        #expect(exported.status == 0, "\(exported)")
    }

    @Test func rankingEnsemblesNeedsFoldsAndASensibleSize() async throws {
        let directory = try ScratchDirectory()
        let database = directory.path("results.sqlite")
        let run = try await sweep("run", try directory.write("grid.json", SmallSpecs.grid(name: "plain")), "--db", database, in: directory)
        #expect(run.status == 0, "\(run)")
        // The refusal alone: no note of fold models being trained again before it.
        let noFolds = try await sweep("leaderboard", "plain", "--db", database, "--ensembles", "3", in: directory)
        #expect(noFolds.isCleanFailure && noFolds.standardOutput.isEmpty, "\(noFolds)")
        #expect(noFolds.standardError.hasPrefix("error: sweep 'plain' has no fold models: each trial was scored by one fit"), "\(noFolds)")
        #expect(noFolds.standardError.split(separator: "\n").count == 1 && noFolds.standardError.contains("--ensembles needs a sweep with folds (or repeats)"), "\(noFolds)")
        let zero = try await sweep("leaderboard", "plain", "--db", database, "--ensembles", "0", in: directory)
        #expect(zero.isCleanFailure && zero.standardError.contains("--ensembles must be from 1 to 20, got 0"), "\(zero)")
        let json = try await sweep("leaderboard", "plain", "--db", database, "--ensembles", "2", "--format", "json", in: directory)
        #expect(json.isCleanFailure && json.standardError.contains("--format table or csv"), "\(json)")
    }

    @Test func foldModelsAreNotTrainedAgainOnDataThatChanged() async throws {
        let directory = try ScratchDirectory()
        var rows = ["a,b,label"]
        for index in 0..<120 { rows.append("\(index % 7),\(index % 5),\(index % 2)") }
        let csv = try directory.write("data.csv", rows.joined(separator: "\n") + "\n")
        let spec = try directory.write("spec.json", """
            {"name": "changing", "data": {"source": "\(csv)", "folds": 3}, "method": "random", "trials": 3, "seed": 1,
             "fixed": {"hidden_layers": [4], "epochs": 2}, "parameters": {"lr": {"values": [0.01, 0.05]}}}
            """)
        let database = directory.path("results.sqlite")
        let run = try await sweep("run", spec, "--db", database, in: directory)
        #expect(run.status == 0, "\(run)")
        let before = try await sweep("leaderboard", "--db", database, "--ensembles", "2", in: directory)
        #expect(before.status == 0, "\(before)")

        // One label flipped: the same file, other data.
        rows[5] = "4,4,1"
        _ = try directory.write("data.csv", rows.joined(separator: "\n") + "\n")
        let ranked = try await sweep("leaderboard", "--db", database, "--ensembles", "2", in: directory)
        #expect(ranked.isCleanFailure && ranked.standardError.contains("changed since its trials were trained"), "\(ranked)")
        #expect(!ranked.standardError.contains("ExitCode"), "\(ranked)")
        let folds = try await sweep("export", "--db", database, "--folds", "-o", directory.path("f.safetensors"), in: directory)
        #expect(folds.isCleanFailure && folds.standardError.contains("changed since its trials were trained"), "\(folds)")
        // The stored models need no training: exporting them still works.
        let stored = try await sweep("export", "--db", database, "--ensemble", "2", "-o", directory.path("e.safetensors"), in: directory)
        #expect(stored.status == 0, "\(stored)")
    }

    @Test func impossibleEnsemblesAreRefusedWithWhatToDo() async throws {
        let directory = try ScratchDirectory()
        let database = directory.path("results.sqlite")
        let run = try await sweep("run", try directory.write("grid.json", SmallSpecs.grid(name: "plain")), "--db", database, in: directory)
        #expect(run.status == 0, "\(run)")
        let output = directory.path("e.safetensors")

        let zero = try await sweep("export", "plain", "--db", database, "--ensemble", "0", "-o", output, in: directory)
        #expect(zero.isCleanFailure && zero.standardError.contains("--ensemble must be between 1 and 1000, got 0"), "\(zero)")
        let both = try await sweep("export", "plain", "--db", database, "--ensemble", "2", "--trial", "1", "-o", output, in: directory)
        #expect(both.isCleanFailure && both.standardError.contains("--trial chooses one"), "\(both)")
        let many = try await sweep("export", "plain", "--db", database, "--ensemble", "9", "-o", output, in: directory)
        #expect(many.isCleanFailure && many.standardError.contains("the sweep has 8 complete trials"), "\(many)")
        // The refusal alone: no note of fold models being trained again before it.
        for ensemble in [[], ["--ensemble", "2"]] {
            let folds = try await SweepProcess(["export", "plain", "--db", database, "--folds", "-o", output] + ensemble, in: directory).wait()
            #expect(folds.isCleanFailure && folds.standardOutput.isEmpty, "\(folds)")
            #expect(folds.standardError.hasPrefix("error: sweep 'plain' has no fold models: each trial was scored by one fit"), "\(folds)")
            #expect(folds.standardError.split(separator: "\n").count == 1 && folds.standardError.contains("--folds needs a sweep with folds (or repeats)"), "\(folds)")
        }
        #expect(!FileManager.default.fileExists(atPath: output))
    }
}
