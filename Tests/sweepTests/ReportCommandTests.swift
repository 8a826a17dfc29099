import Foundation
import Testing

/// `sweep report`: one self-contained HTML file of a stored sweep, read as a person's browser
/// would get it (the data the page draws, embedded in it).
@Suite(.serialized) struct ReportCommandTests {
    /// The JSON the page draws, from a report file.
    static func embeddedData(_ html: String) throws -> [String: Any] {
        let start = try #require(html.range(of: #"<script type="application/json" id="report-data">"#)).upperBound
        let end = try #require(html[start...].range(of: "</script>")).lowerBound
        return try #require(try JSONSerialization.jsonObject(with: Data(html[start..<end].utf8)) as? [String: Any])
    }

    @Test func theReportOfASweepIsOneFileWithEveryTrialAndTheBestModelOnTheTestRows() async throws {
        let directory = try ScratchDirectory()
        try directory.write("grid.json", SmallSpecs.grid())
        let run = try await sweep("run", "grid.json", "--db", "results.sqlite", "--quiet", in: directory)
        #expect(run.status == 0, "\(run)")
        // sweep run names the report command beside the export command.
        #expect(run.standardOutput.contains("see it with: sweep report cli-grid -o cli-grid.html --db results.sqlite"), "\(run)")

        let report = try await sweep("report", "--db", "results.sqlite", "-o", "out/grid.html", in: directory)
        #expect(report.status == 0, "\(report)")
        #expect(report.standardOutput.contains("wrote out/grid.html"), "\(report)")
        let html = try String(contentsOfFile: directory.path("out/grid.html"), encoding: .utf8)
        // Written through a temporary file renamed into place: nothing else is left in the folder.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path("out")) == ["grid.html"])
        let data = try Self.embeddedData(html)
        let trials = try #require(data["trials"] as? [[String: Any]])
        #expect(trials.count == 8)
        #expect((data["plotted"] as? [String: Any])?["numbers"] == nil)

        // The confusion matrix scores the best trial's model on the rows its test metric came from.
        let board = try await sweep("leaderboard", "--db", "results.sqlite", "--format", "csv", in: directory)
        let rows = csvRows(board.standardOutput)
        let header = try #require(rows.first)
        let best = try #require(rows.dropFirst().first)
        let column = try #require(header.firstIndex(of: "test_accuracy"))
        let testAccuracy = try #require(Double(best[column]))
        let model = try #require(data["best_model"] as? [String: Any])
        #expect(model["trial"] as? Int == Int(best[1]))
        let matrix = try #require(model["classification"] as? [String: Any])
        let accuracy = try #require(matrix["accuracy"] as? Double)
        #expect(abs(accuracy - testAccuracy) < 5e-5, "confusion-matrix accuracy \(accuracy), leaderboard \(testAccuracy)")
        let counts = try #require(matrix["counts"] as? [[Int]])
        #expect(counts.count == 4 && counts.allSatisfy { $0.count == 4 })
    }

    @Test func aRegressionSweepGetsPredictedAgainstActualWithRMSEAndMAE() async throws {
        let directory = try ScratchDirectory()
        var lines = ["x1,x2,y"]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let a = Double.random(in: -1...1, using: &generator), b = Double.random(in: -1...1, using: &generator)
            lines.append(String(format: "%.4f,%.4f,%.4f", a, b, 2 * a - b))
        }
        try directory.write("regression.csv", lines.joined(separator: "\n") + "\n")
        try directory.write("regression.json", """
            {"name": "cli-regression", "data": "regression.csv", "method": "random", "trials": 3, "seed": 2,
             "fixed": {"hidden_layers": [8], "epochs": 5, "batch_size": 16},
             "parameters": {"lr": {"distribution": "log_uniform", "min": 0.001, "max": 0.05}}}
            """)
        let run = try await sweep("run", "regression.json", "--db", "results.sqlite", "--quiet", in: directory)
        #expect(run.status == 0, "\(run)")
        let report = try await sweep("report", "cli-regression", "--db", "results.sqlite", "-o", "-", in: directory)
        #expect(report.status == 0, "\(report)")
        let data = try Self.embeddedData(report.standardOutput)
        #expect((data["sweep"] as? [String: Any])?["metric"] as? String == "validation_rmse")
        let fit = try #require((data["best_model"] as? [String: Any])?["regression"] as? [String: Any])
        // 20% of 200 rows are held out for the test.
        #expect(fit["rows"] as? Int == 40)
        #expect((fit["actual"] as? [Double])?.count == 40)
        #expect((fit["rmse"] as? Double).map { $0 > 0 && $0.isFinite } == true)
        #expect((fit["mae"] as? Double).map { $0 > 0 && $0 <= (fit["rmse"] as? Double ?? 0) } == true)
    }

    @Test func badInputGetsOneMessageAndANonZeroStatus() async throws {
        let directory = try ScratchDirectory()
        let missing = try await sweep("report", "--db", "none.sqlite", in: directory)
        #expect(missing.isCleanFailure, "\(missing)")
        #expect(missing.standardError.contains("no results database at 'none.sqlite'"), "\(missing)")
        #expect(!FileManager.default.fileExists(atPath: directory.path("report.html")))

        try directory.write("grid.json", SmallSpecs.grid(epochs: 1))
        _ = try await sweep("run", "grid.json", "--db", "results.sqlite", "--quiet", in: directory)
        let unknown = try await sweep("report", "no-such-sweep", "--db", "results.sqlite", in: directory)
        #expect(unknown.isCleanFailure, "\(unknown)")
        #expect(unknown.standardError.contains("no sweep named 'no-such-sweep'"), "\(unknown)")

        try directory.write("not-a-database.sqlite", "just text, not SQLite\n")
        let garbage = try await sweep("report", "--db", "not-a-database.sqlite", in: directory)
        #expect(garbage.isCleanFailure, "\(garbage)")
        #expect(garbage.standardError.contains("not a sweep results database"), "\(garbage)")
    }

    /// A sweep whose every trial diverged has ended: the report says how, in the words export
    /// and leaderboard use, not that there is no complete trial "yet".
    @Test func aSweepWhoseTrialsAllDivergedGetsTheLeaderboardsReasonNotAYet() async throws {
        let directory = try ScratchDirectory()
        try directory.write("div.json", """
            {"name": "div", "data": "builtin:phone-price?rows=40", "seed": 1,
             "fixed": {"hidden_layers": [4], "epochs": 3, "batch_size": 8, "optimizer": "sgd"},
             "parameters": {"lr": {"values": [1e30, 1e35]}}}
            """)
        let run = try await sweep("run", "div.json", "--db", "d.sqlite", "--quiet", in: directory)
        try #require(run.status == 0 && run.standardOutput.contains("2 trials (2 diverged)"), "\(run)")
        let report = try await sweep("report", "--db", "d.sqlite", "-o", "div.html", in: directory)
        #expect(report.status == 0, "\(report)")
        let data = try Self.embeddedData(try String(contentsOfFile: directory.path("div.html"), encoding: .utf8))
        let shortfall = try #require((data["sweep"] as? [String: Any])?["shortfall"] as? String, "\(data["sweep"] ?? "")")
        for part in ["all 2 trials of sweep 'div' ended without a finite validation_accuracy (2 diverged)", "A lower learning rate (lr)",
                     "sweep leaderboard div --db d.sqlite shows each trial"] {
            #expect(shortfall.contains(part), "\(shortfall)")
        }
        let export = try await sweep("export", "--db", "d.sqlite", "-o", "best.safetensors", in: directory)
        #expect(export.standardError == "error: \(shortfall)\n", "\(export)")
        let note = try #require((data["best_model"] as? [String: Any])?["note"] as? String)
        #expect(!shortfall.contains("yet") && !note.contains("yet"), "\(note)")
    }
}
