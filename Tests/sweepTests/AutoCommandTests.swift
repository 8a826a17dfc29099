import Foundation
import Testing

/// `sweep auto`: from a data source to a spec, a sweep and a model, with clear refusals.
@Suite("sweep auto")
struct AutoCommandTests {
    static let data = "builtin:phone-price?rows=200"

    @Test func autoWritesItsSpecSweepsWithinTheBudgetAndExportsAModelThatPredicts() async throws {
        let directory = try ScratchDirectory()
        let spec = directory.path("sweeps/auto.json"), model = directory.path("auto.safetensors"), database = directory.path("r.sqlite")
        let auto = try await sweep(
            "auto", Self.data, "--budget", "5s", "--spec", spec, "-o", model, "--db", database, "--jobs", "2", "--quiet", in: directory)
        #expect(auto.status == 0, "\(auto)")
        let said = auto.standardOutput
        #expect(said.contains("200 rows, 20 features, target 'price_range': multiclass"), "\(said)")
        #expect(said.contains("scoring: 5-fold cross-validation over every row"), "\(said)")
        #expect(said.contains("spec: \(spec) (sweep run \(spec) continues or grows it)"), "\(said)")
        #expect(said.contains("wrote \(model): "), "\(said)")
        #expect(said.contains("predict with: sweep predict \(model) NEW.csv"), "\(said)")
        try await expectEnsembleChosenByCrossValidation(said, model: model, database: database, in: directory)
        let written = try String(contentsOfFile: spec, encoding: .utf8)
        #expect(written.contains(#""method" : "tpe""#))

        let predict = try await sweep("predict", model, Self.data, in: directory)
        #expect(predict.status == 0, "\(predict)")
        #expect(predict.standardOutput.split(separator: "\n").count == 201)

        // The same command again continues the same sweep with the same spec.
        let again = try await sweep(
            "auto", Self.data, "--budget", "3s", "--spec", spec, "-o", model, "--db", database, "--jobs", "2", "--quiet", in: directory)
        #expect(again.status == 0, "\(again)")
        #expect(again.standardError.contains("exists with this spec: continuing its sweep"), "\(again)")
    }

    /// The exported model averages as many of the best trials as `sweep leaderboard --ensembles 5`
    /// ranks first on the folds' validation rows, and says so.
    private func expectEnsembleChosenByCrossValidation(_ said: String, model: String, database: String, in directory: ScratchDirectory) async throws {
        let line = said.split(separator: "\n").first { $0.hasPrefix("ensemble: the average of the best ") }
        let chosen = try #require(line.flatMap { Int($0.dropFirst("ensemble: the average of the best ".count).prefix { $0.isNumber }) }, "\(said)")
        let board = try await sweep("leaderboard", "--db", database, "--ensembles", "5", "--format", "csv", in: directory)
        #expect(board.status == 0, "\(board)")
        let rows = board.standardOutput.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let best = try #require(rows.first { $0.last == "true" }, "\(board)")
        #expect(Int(best[0]) == chosen, "auto chose \(chosen); the leaderboard ranks \(best[0]) first:\n\(board.standardOutput)")
        // Every size the leaderboard compares is in the line, with the figure it gives.
        for row in rows { #expect(line!.contains("\(row[0]): \(row[2])"), "\(line!) lacks \(row)") }
        let expected = chosen == 1 ? "trial " : "an ensemble of the best \(chosen) trials"
        #expect(said.contains("wrote \(model): \(expected)"), "\(said)")
    }

    @Test func badInputToAutoIsRefusedWithWhatToDo() async throws {
        let directory = try ScratchDirectory()
        let budget = try await sweep("auto", Self.data, "--budget", "soon", in: directory)
        #expect(budget.isCleanFailure && budget.standardError.contains("--budget must be a duration such as 90s, 5m or 1h, got 'soon'"), "\(budget)")
        let missing = try await sweep("auto", "absent.csv", in: directory)
        #expect(missing.isCleanFailure && missing.standardError.contains("absent.csv"), "\(missing)")
        let target = try await sweep("auto", Self.data, "--target", "nope", in: directory)
        #expect(target.isCleanFailure && target.standardError.contains("nope"), "\(target)")
        let tiny = try await sweep("auto", "builtin:phone-price?rows=12", "--spec", directory.path("s.json"), in: directory)
        #expect(tiny.isCleanFailure && tiny.standardError.contains("has 12 rows; sweep auto scores by 5-fold cross-validation and needs at least 20"), "\(tiny)")
        let other = try directory.write("other.json", "{}")
        let clash = try await sweep("auto", Self.data, "--spec", other, in: directory)
        #expect(clash.isCleanFailure && clash.standardError.contains("exists and holds another spec"), "\(clash)")
        #expect(!FileManager.default.fileExists(atPath: directory.path("results")))
    }
}
