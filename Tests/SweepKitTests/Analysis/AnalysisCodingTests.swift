import Foundation
import Testing
@testable import SweepKit

/// The analyses are plain values for the leaderboard's JSON and the HTML report: they encode
/// with a default JSONEncoder and decode to the same value.
@Suite("Analysis results as JSON")
struct AnalysisCodingTests {
    private func roundTrip<Value: Codable & Equatable>(_ value: Value) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(value)
        #expect(try JSONDecoder().decode(Value.self, from: data) == value)
        return String(decoding: data, as: UTF8.self)
    }

    @Test func intervalsAndComparisonsSurviveJSON() throws {
        let trials = [
            AnalysisFixtures.trial(1, fits: [0.89, 0.90, 0.88, 0.89, 0.88]),
            AnalysisFixtures.trial(2, fits: [0.90, 0.92, 0.88, 0.91, 0.89]),
        ]
        let analysis = SweepUncertainty(
            trials: trials, ranking: TrialRanking(metric: AnalysisFixtures.accuracy), design: ResamplingDesign(folds: 5, repeats: 1))
        let text = try roundTrip(analysis)
        #expect(text.contains(#""isNotSignificantlyWorseThanBest":true"#))
    }

    @Test func mainEffectsSurviveJSON() throws {
        let space = try AnalysisFixtures.space(method: "grid", #"{"batch_norm": {"values": [false, true]}}"#)
        let trials = [
            AnalysisFixtures.trial(1, ["batch_norm": .bool(false)], 0.80), AnalysisFixtures.trial(2, ["batch_norm": .bool(false)], 0.82),
            AnalysisFixtures.trial(3, ["batch_norm": .bool(true)], 0.90),
        ]
        let text = try roundTrip(MainEffects(trials: trials, space: space, metric: AnalysisFixtures.accuracy))
        #expect(text.contains(#""bestLevel":"true""#))
    }

    @Test func importanceSurvivesJSON() throws {
        let space = try AnalysisFixtures.space(#"{"batch_norm": {"values": [false, true]}, "dropout": {"distribution": "uniform", "min": 0, "max": 0.5}}"#)
        let trials = AnalysisFixtures.randomTrials(40, in: space) { parameters, _ in
            parameters["batch_norm"] == .bool(true) ? 0.9 : 0.8
        }
        let importance = try #require(ParameterImportance(trials: trials, space: space, metric: AnalysisFixtures.accuracy))
        let text = try roundTrip(importance)
        #expect(text.contains(#""method":"fANOVA over a random forest (estimate)""#))
    }
}
