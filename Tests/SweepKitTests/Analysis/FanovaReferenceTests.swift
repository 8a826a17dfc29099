import Foundation
import Testing
@testable import SweepKit

/// `ParameterImportance` against tools/fanova_reference.py, an independent plain-Python
/// implementation of the same method (encoding, bootstrap, CART, fANOVA) in the same order of
/// operations. The script drew 150 trials over six settings (a conditional momentum and a layer
/// list among them) and computed their importances in its own process, so agreement also shows
/// that nothing in the Swift result depends on Swift's per-process hash seed.
@Suite("Parameter importance against an independent implementation")
struct FanovaReferenceTests {
    struct Reference: Decodable {
        struct Trial: Decodable {
            let number: Int
            let parameters: JSONValue
            let validation_accuracy: Double
        }
        struct Importance: Decodable {
            let setting: String
            let importance: Double
            let variance_fraction: Double
            let standard_deviation: Double
        }
        let parameters: JSONValue
        let dimensions: [String]
        let trials: [Trial]
        let importances: [Importance]
        let main_effect_share: Double
    }

    @Test func importancesMatchThePythonReferenceToTwelveDigits() throws {
        let reference = try AnalysisFixtures.referenceValues(Reference.self, from: "fanova.json")
        let space = try AnalysisFixtures.space(reference.parameters.canonicalText)
        // The script encodes the dimensions in this order; a change here would change the forest.
        #expect(space.dimensions.map(\.name) == reference.dimensions)
        let trials = reference.trials.map { trial in
            TrialRecord(
                plan: TrialPlan(number: trial.number, parameters: trial.parameters, configurationJSON: "{}", seed: 0),
                status: .complete, metrics: [MetricName.validationAccuracy.rawValue: trial.validation_accuracy])
        }
        // Every trial's values lie in the space (none is dropped as out of range).
        let points = trials.map { space.point(of: $0.plan.parameters) }
        #expect(points.allSatisfy { $0.count >= 6 })
        let importance = try #require(ParameterImportance(trials: trials, space: space, metric: AnalysisFixtures.accuracy))
        #expect(importance.trialCount == 150)
        #expect(abs(importance.mainEffectShare - reference.main_effect_share) < 1e-12)
        for expected in reference.importances {
            let entry = try #require(importance.importance(of: expected.setting))
            #expect(abs(entry.importance - expected.importance) < 1e-12, "\(expected.setting): \(entry.importance) vs \(expected.importance)")
            #expect(abs(entry.varianceFraction - expected.variance_fraction) < 1e-12, "\(expected.setting)")
            #expect(abs(entry.standardDeviation - expected.standard_deviation) < 1e-12, "\(expected.setting)")
        }
        #expect(importance.settings.count == reference.importances.count)
    }

    struct OptunaComparison: Decodable {
        struct Trial: Decodable {
            let number: Int
            let parameters: JSONValue
            let validation_accuracy: Double
        }
        let parameters: JSONValue
        let dimensions: [String]
        let trials: [Trial]
        let reference: [String: Double]
        let optuna: [String: Double]
        let analytic: [String: Double]
    }

    @Test func importancesAgreeWithOptunasAndTheAnalyticShares() throws {
        // tools/fanova_optuna_comparison.py: 300 trials, metric = optimizer (variance 0.0009) +
        // dropout (0.0003) + noise, so the shares are 0.75 and 0.25. Optuna 5.1.0's
        // FanovaImportanceEvaluator (scikit-learn 1.9.1, mean of seeds 0–9) gives 0.6885 and
        // 0.3114: it one-hot encodes the optimizer and integrates over one-hot patterns that name
        // no optimizer, which dilutes the optimizer's share. The reference implementation gives
        // 0.7454 and 0.2546.
        let comparison = try AnalysisFixtures.referenceValues(OptunaComparison.self, from: "fanova_optuna.json")
        let space = try AnalysisFixtures.space(comparison.parameters.canonicalText)
        #expect(space.dimensions.map(\.name) == comparison.dimensions)
        let trials = comparison.trials.map { trial in
            TrialRecord(
                plan: TrialPlan(number: trial.number, parameters: trial.parameters, configurationJSON: "{}", seed: 0),
                status: .complete, metrics: [MetricName.validationAccuracy.rawValue: trial.validation_accuracy])
        }
        let importance = try #require(ParameterImportance(trials: trials, space: space, metric: AnalysisFixtures.accuracy))
        for (setting, analytic) in comparison.analytic {
            let value = try #require(importance.importance(of: setting)?.importance)
            let optuna = try #require(comparison.optuna[setting]), reference = try #require(comparison.reference[setting])
            #expect(abs(value - reference) < 1e-12, "\(setting): \(value) vs the reference's \(reference)")
            #expect(abs(value - analytic) < 0.02, "\(setting): \(value) vs the analytic \(analytic)")
            #expect(abs(value - optuna) < 0.08, "\(setting): \(value) vs Optuna's \(optuna)")
            #expect(abs(value - analytic) <= abs(optuna - analytic) + 1e-3, "\(setting): no further from the analytic share than Optuna")
        }
    }
}
