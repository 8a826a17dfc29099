import Foundation
import Testing

/// The leaderboard's intervals and ≈best marks, and `--effects`, as a person reads them.
@Suite("Leaderboard intervals and effects")
struct LeaderboardStatisticsCommandTests {
    /// A 2 × 2 grid, 3-fold cross-validated: every trial has three fits.
    static func grid(folds: String = #""folds": 3"#) -> String {
        """
        {"name": "noisy", "data": {"source": "builtin:phone-price?rows=400", \(folds)}, "seed": 6,
         "fixed": {"hidden_layers": [8], "epochs": 4},
         "parameters": {"optimizer": {"values": ["sgd", "adam"]}, "lr": {"values": [0.01, 0.05]}}}
        """
    }

    private func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// Every trial diverged: no interval and no best to compare with, so no note explaining them
    /// (it said "not significantly worse than trial -").
    @Test func aSweepWithNoUsableTrialHasNoIntervalNote() async throws {
        let directory = try ScratchDirectory()
        // SGD at these rates diverges in its first epoch (Adam's steps are bounded, and do not).
        let spec = try directory.write("diverged.json", Self.grid().replacingOccurrences(
            of: #""optimizer": {"values": ["sgd", "adam"]}, "lr": {"values": [0.01, 0.05]}"#,
            with: #""optimizer": {"values": ["sgd"]}, "lr": {"values": [1e6, 1e7]}"#))
        let database = directory.path("r.sqlite")
        let run = try await sweep("run", spec, "--db", database, in: directory)
        #expect(run.status == 0 && run.standardOutput.contains("2 trials (2 diverged)"), "\(run)")
        let table = try await sweep("leaderboard", "--db", database, in: directory)
        #expect(table.status == 0 && table.standardOutput.contains("diverged"), "\(table)")
        #expect(!table.standardOutput.contains("≈best: not significantly worse"), "\(table)")
    }

    @Test func crossValidatedTrialsShowTheirIntervalAndWhetherTheyCanBeToldFromTheBest() async throws {
        let directory = try ScratchDirectory()
        let spec = try directory.write("grid.json", Self.grid())
        let database = directory.path("r.sqlite")
        #expect(try await sweep("run", spec, "--db", database, in: directory).status == 0)

        let table = try await sweep("leaderboard", "--db", database, in: directory)
        #expect(table.standardOutput.contains("±95%") && table.standardOutput.contains("≈best"), "\(table)")
        #expect(table.standardOutput.contains("3-fold cross-validation (Nadeau–Bengio corrected t)"))

        let board = try json(try await sweep("leaderboard", "--db", database, "--format", "json", in: directory).standardOutput)
        let trials = try #require(board["trials"] as? [[String: Any]])
        #expect(trials.count == 4)
        for (index, trial) in trials.enumerated() {
            let values = try #require(trial["fit_values"] as? [Double])
            let metrics = try #require(trial["metrics"] as? [String: Any])
            let mean = try #require(metrics["validation_accuracy"] as? Double)
            // The stored metric is the mean of the three fits it is shown with.
            #expect(values.count == 3)
            #expect(abs(values.reduce(0, +) / 3 - mean) < 1e-12)
            let interval = try #require(trial["interval_95"] as? [String: Double])
            #expect(interval["lower"]! <= mean && mean <= interval["upper"]!)
            // The first is the best, compared with itself; the others are judged against it.
            if index == 0 { #expect(trial["not_worse_than_best"] as? Bool == true) }
            #expect(trial["not_worse_than_best"] is Bool)
        }
        let csv = csvRows(try await sweep("leaderboard", "--db", database, "--format", "csv", in: directory).standardOutput)
        #expect(csv.first?.contains("ci95_half_width") == true && csv.first?.contains("vs_best") == true)
        #expect(csv.dropFirst().first?.contains("best") == true)
    }

    @Test func aSingleValidationSplitHasNoInterval() async throws {
        let directory = try ScratchDirectory()
        let spec = try directory.write("grid.json", Self.grid(folds: #""validation_fraction": 0.2"#))
        let database = directory.path("r.sqlite")
        #expect(try await sweep("run", spec, "--db", database, in: directory).status == 0)
        let table = try await sweep("leaderboard", "--db", database, in: directory)
        #expect(!table.standardOutput.contains("±95%"), "\(table)")
    }

    @Test func aGridsEffectsAreTheMeansOfItsTrialsForEachValue() async throws {
        let directory = try ScratchDirectory()
        let spec = try directory.write("grid.json", Self.grid())
        let database = directory.path("r.sqlite")
        #expect(try await sweep("run", spec, "--db", database, in: directory).status == 0)
        let board = try json(try await sweep("leaderboard", "--db", database, "--format", "json", in: directory).standardOutput)
        var accuracies: [String: [Double]] = [:]
        for trial in try #require(board["trials"] as? [[String: Any]]) {
            let parameters = try #require(trial["parameters"] as? [String: Any])
            let accuracy = try #require((trial["metrics"] as? [String: Any])?["validation_accuracy"] as? Double)
            accuracies["optimizer=\(parameters["optimizer"]!)", default: []].append(accuracy)
        }

        let text = try await sweep("leaderboard", "--db", database, "--effects", in: directory)
        #expect(text.status == 0, "\(text)")
        #expect(text.standardOutput.contains("main effects on validation_accuracy"), "\(text)")
        let effects = try json(try await sweep("leaderboard", "--db", database, "--effects", "--format", "json", in: directory).standardOutput)
        let settings = try #require((effects["main_effects"] as? [String: Any])?["settings"] as? [[String: Any]])
        let optimizer = try #require(settings.first { $0["setting"] as? String == "optimizer" })
        for level in try #require(optimizer["levels"] as? [[String: Any]]) {
            let value = try #require(level["value"] as? String).replacingOccurrences(of: "\"", with: "")
            let trials = try #require(accuracies["optimizer=\(value)"])
            // Two trials per optimizer (its two learning rates), averaged.
            #expect(level["trialCount"] as? Int == 2)
            #expect(abs((level["mean"] as? Double ?? .nan) - trials.reduce(0, +) / 2) < 1e-12)
        }
    }

    @Test func aRandomSweepsEffectsAreAnImportanceEstimateSaidToBeOne() async throws {
        let directory = try ScratchDirectory()
        let spec = try directory.write("random.json", SmallSpecs.slowRandom(name: "random", epochs: 1, trials: 12))
        let database = directory.path("r.sqlite")
        #expect(try await sweep("run", spec, "--db", database, in: directory).status == 0)
        let text = try await sweep("leaderboard", "--db", database, "--effects", in: directory)
        #expect(text.status == 0, "\(text)")
        #expect(text.standardOutput.contains("fANOVA over a random forest (estimate)"), "\(text)")
        #expect(text.standardOutput.contains("lr") && text.standardOutput.contains("optimizer"))
    }
}
