import Foundation
import Testing
@testable import SweepKit

/// Main effects on hand-built grids whose level means are known. t quantiles:
/// scipy.stats.t.ppf(0.975, 2) = 4.302652729749462, scipy.stats.t.ppf(0.975, 1) = 12.706204736174694.
@Suite("Main effects of a grid's settings")
struct MainEffectsTests {
    private static let adam = #"{"lr":0.005,"name":"adam"}"#

    /// optimizer × dropout, one trial per cell:
    ///
    ///             dropout 0   0.2    0.5
    ///     sgd          0.80   0.82   0.78      mean 0.80
    ///     adam         0.90   0.94   0.86      mean 0.90
    ///     mean         0.85   0.88   0.82
    ///
    /// plus trial 7, a diverged adam/0.5 rerun (left out, counted), and trial 8, still pending
    /// (not counted at all).
    private func grid() throws -> (SearchSpace, [TrialRecord]) {
        let space = try AnalysisFixtures.space(method: "grid", """
            {"optimizer": {"values": ["sgd", {"name": "adam", "lr": 0.005}]}, "dropout": {"values": [0, 0.2, 0.5]}}
            """)
        let adam: JSONValue = .object(["name": .string("adam"), "lr": .number(0.005)])
        let cells: [(JSONValue, Double, Double)] = [
            (.string("sgd"), 0, 0.80), (.string("sgd"), 0.2, 0.82), (.string("sgd"), 0.5, 0.78),
            (adam, 0, 0.90), (adam, 0.2, 0.94), (adam, 0.5, 0.86),
        ]
        var trials = cells.enumerated().map { index, cell in
            AnalysisFixtures.trial(index + 1, ["optimizer": cell.0, "dropout": .number(cell.1)], cell.2)
        }
        trials.append(AnalysisFixtures.trial(7, ["optimizer": adam, "dropout": .number(0.5)], .nan, status: .diverged))
        trials.append(AnalysisFixtures.trial(8, ["optimizer": .string("sgd"), "dropout": .number(0)], nil, status: .pending))
        return (space, trials)
    }

    @Test func eachLevelsMeanIsTheMeanOfItsTrials() throws {
        let (space, trials) = try grid()
        let effects = MainEffects(trials: trials, space: space, metric: AnalysisFixtures.accuracy)
        let optimizer = try #require(effects.effect(of: "optimizer"))
        #expect(optimizer.levels.map(\.value) == [#""sgd""#, Self.adam])
        #expect(optimizer.levels.map(\.trialCount) == [3, 3])
        #expect(abs((optimizer.levels[0].mean ?? 0) - 0.80) < 1e-12)
        #expect(abs((optimizer.levels[1].mean ?? 0) - 0.90) < 1e-12)
        let dropout = try #require(effects.effect(of: "dropout"))
        #expect(dropout.levels.map(\.value) == ["0", "0.2", "0.5"])
        let means = dropout.levels.map { $0.mean ?? .nan }
        #expect(zip(means, [0.85, 0.88, 0.82]).allSatisfy { abs($0 - $1) < 1e-12 })
    }

    @Test func theEffectIsTheBestLevelsMeanMinusTheWorsts() throws {
        let (space, trials) = try grid()
        let effects = MainEffects(trials: trials, space: space, metric: AnalysisFixtures.accuracy)
        // optimizer: 0.90 − 0.80 = 0.10; dropout: 0.88 − 0.82 = 0.06; the larger comes first.
        #expect(effects.settings.map(\.setting) == ["optimizer", "dropout"])
        let optimizer = try #require(effects.effect(of: "optimizer"))
        #expect(abs((optimizer.effect ?? 0) - 0.10) < 1e-12)
        #expect(optimizer.bestLevel == Self.adam && optimizer.worstLevel == #""sgd""#)
        let dropout = try #require(effects.effect(of: "dropout"))
        #expect(abs((dropout.effect ?? 0) - 0.06) < 1e-12)
        #expect(dropout.bestLevel == "0.2" && dropout.worstLevel == "0.5")
    }

    @Test func aSettingWithOneValueHasNoEffectAndComesAfterThoseThatHave() throws {
        // Linear models (no hidden layer) train with lr 0.03; networks with the fixed lr.
        let space = try AnalysisFixtures.space(method: "grid", """
            {"hidden_layers": {"values": [[8], []]}, "dropout": {"values": [0, 0.2]},
             "lr": {"values": [0.03], "when": {"hidden_layers": [[]]}}}
            """)
        let trials = [
            AnalysisFixtures.trial(1, ["hidden_layers": .array([.number(8)]), "dropout": .number(0)], 0.80),
            AnalysisFixtures.trial(2, ["hidden_layers": .array([.number(8)]), "dropout": .number(0.2)], 0.84),
            AnalysisFixtures.trial(3, ["hidden_layers": .array([]), "dropout": .number(0), "lr": .number(0.03)], 0.90),
            AnalysisFixtures.trial(4, ["hidden_layers": .array([]), "dropout": .number(0.2), "lr": .number(0.03)], 0.92),
        ]
        let effects = MainEffects(trials: trials, space: space, metric: AnalysisFixtures.accuracy)
        // hidden_layers: 0.91 − 0.82 = 0.09; dropout: 0.88 − 0.85 = 0.03; lr: one value.
        #expect(effects.settings.map(\.setting) == ["hidden_layers", "dropout", "lr"])
        let lr = try #require(effects.effect(of: "lr"))
        #expect(lr.effect == nil && lr.absentCount == 2 && lr.levels.map(\.trialCount) == [2])
    }

    @Test func eachLevelHasATIntervalOverItsTrials() throws {
        let (space, trials) = try grid()
        let effects = MainEffects(trials: trials, space: space, metric: AnalysisFixtures.accuracy)
        // sgd: 0.80, 0.82, 0.78: s² = (0 + 0.0004 + 0.0004)/2 = 0.0004, SE = √(0.0004/3),
        // half-width 4.3026527297 × SE = 0.0496827542. adam: 0.90, 0.94, 0.86: s² = 0.0016,
        // half-width 0.0993655085. dropout 0.2: 0.82 and 0.94, mean 0.88, deviations ±0.06,
        // s² = 2·0.0036/1 = 0.0072, SE = √(0.0072/2) = 0.06, half-width 12.7062047362 × 0.06 =
        // 0.7623722842.
        let optimizer = try #require(effects.effect(of: "optimizer"))
        #expect(abs((optimizer.levels[0].interval?.halfWidth ?? 0) - 0.0496827542) < 1e-9)
        #expect(abs((optimizer.levels[1].interval?.halfWidth ?? 0) - 0.0993655085) < 1e-9)
        let dropout = try #require(effects.effect(of: "dropout"))
        #expect(abs((dropout.levels[1].interval?.halfWidth ?? 0) - 0.7623722842) < 1e-9)
        #expect(dropout.levels[1].interval?.degreesOfFreedom == 1)
    }

    @Test func trialsWithoutAFiniteMetricAreLeftOutAndCounted() throws {
        let (space, trials) = try grid()
        let effects = MainEffects(trials: trials, space: space, metric: AnalysisFixtures.accuracy)
        // Trial 7 (diverged adam, dropout 0.5) is left out of adam's and of 0.5's mean; trial 8
        // (pending) is nowhere.
        let optimizer = try #require(effects.effect(of: "optimizer"))
        #expect(optimizer.levels.map(\.leftOutCount) == [0, 1])
        #expect(optimizer.leftOutCount == 1)
        let dropout = try #require(effects.effect(of: "dropout"))
        #expect(dropout.levels.map(\.leftOutCount) == [0, 0, 1])
        #expect(dropout.levels.map(\.trialCount) == [2, 2, 2])
    }

    @Test func aMetricToMinimizeHasItsBestLevelLowest() throws {
        let space = try AnalysisFixtures.space(method: "grid", #"{"batch_norm": {"values": [false, true]}}"#)
        let loss = AnalysisFixtures.loss
        let trials = [
            AnalysisFixtures.trial(1, ["batch_norm": .bool(false)], 0.50, metric: loss),
            AnalysisFixtures.trial(2, ["batch_norm": .bool(false)], 0.60, metric: loss),
            AnalysisFixtures.trial(3, ["batch_norm": .bool(true)], 0.30, metric: loss),
            AnalysisFixtures.trial(4, ["batch_norm": .bool(true)], 0.40, metric: loss),
        ]
        let effect = try #require(MainEffects(trials: trials, space: space, metric: loss).effect(of: "batch_norm"))
        // Means 0.55 (off) and 0.35 (on): batch norm lowers the loss by 0.20.
        #expect(effect.bestLevel == "true" && effect.worstLevel == "false")
        #expect(abs((effect.effect ?? 0) + 0.20) < 1e-12)
    }

    @Test func aConditionalSettingCountsOnlyTheTrialsThatHaveIt() throws {
        let space = try AnalysisFixtures.space(method: "grid", """
            {"optimizer": {"values": ["sgd", "adam"]},
             "momentum": {"values": [0.9, 0.99], "when": {"optimizer": ["sgd"]}}}
            """)
        let trials = [
            AnalysisFixtures.trial(1, ["optimizer": .string("adam")], 0.90),
            AnalysisFixtures.trial(2, ["optimizer": .string("adam")], 0.92),
            AnalysisFixtures.trial(3, ["optimizer": .string("sgd"), "momentum": .number(0.9)], 0.80),
            AnalysisFixtures.trial(4, ["optimizer": .string("sgd"), "momentum": .number(0.9)], 0.82),
            AnalysisFixtures.trial(5, ["optimizer": .string("sgd"), "momentum": .number(0.99)], 0.85),
            AnalysisFixtures.trial(6, ["optimizer": .string("sgd"), "momentum": .number(0.99)], 0.87),
        ]
        let momentum = try #require(MainEffects(trials: trials, space: space, metric: AnalysisFixtures.accuracy).effect(of: "momentum"))
        // 0.9: (0.80 + 0.82)/2 = 0.81; 0.99: (0.85 + 0.87)/2 = 0.86; the Adam trials are absent.
        #expect(momentum.absentCount == 2)
        #expect(momentum.levels.map(\.trialCount) == [2, 2])
        #expect(abs((momentum.effect ?? 0) - 0.05) < 1e-12)
        #expect(momentum.bestLevel == "0.99")
    }

    @Test func layerListsAreLevelsShortestFirstAndDistributionsAreLeftOut() throws {
        let space = try AnalysisFixtures.space("""
            {"hidden_layers": {"depth": {"values": [1, 2]}, "width": {"values": [16, 64]}},
             "lr": {"distribution": "log_uniform", "min": 0.0001, "max": 0.1}}
            """)
        let lists: [[Double]] = [[64, 16], [16], [16, 64], [64]]
        let trials = lists.enumerated().map { index, widths in
            AnalysisFixtures.trial(index + 1, ["hidden_layers": .array(widths.map(JSONValue.number)), "lr": .number(0.01)], 0.8 + 0.01 * Double(index))
        }
        let effects = MainEffects(trials: trials, space: space, metric: AnalysisFixtures.accuracy)
        #expect(effects.continuousSettings == ["lr"])
        #expect(effects.effect(of: "lr") == nil)
        let layers = try #require(effects.effect(of: "hidden_layers"))
        #expect(layers.levels.map(\.value) == ["[16]", "[64]", "[16,64]", "[64,16]"])
        // Trial 4 ([64], 0.83) is the best level and trial 1 ([64,16], 0.80) the worst.
        #expect(layers.bestLevel == "[64]" && layers.worstLevel == "[64,16]")
    }
}
