import Foundation
import Testing

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
        let folds = try await sweep("export", "plain", "--db", database, "--folds", "-o", output, in: directory)
        #expect(folds.isCleanFailure && folds.standardError.contains("was scored by one fit; a fold ensemble needs a sweep with folds"), "\(folds)")
        #expect(!FileManager.default.fileExists(atPath: output))
    }
}
