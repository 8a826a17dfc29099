import Foundation
import NeuralNet
import Testing
@testable import SweepKit

/// fANOVA importance on synthetic trials whose variance shares are known.
@Suite("Parameter importance (fANOVA over a random forest)")
struct ParameterImportanceTests {
    /// A 2 × 2 table of metrics, 25 trials per cell, exactly learnt by every tree (the optimizer
    /// and a second setting x, at a low and a high value):
    ///
    ///                  x = low   x = high
    ///     sgd             0.80       0.81
    ///     adam            0.82       0.85
    ///
    /// Under the uniform measure over the cells (in hundredths above 0.80: 0, 1, 2, 5) the mean is
    /// 2 and the variance ((−2)² + (−1)² + 0² + 3²)/4 = 3.5. The optimizer's marginal is 0.5 (sgd)
    /// and 3.5 (adam): variance 1.5² = 2.25; x's is 1 (low) and 3 (high): variance 1. So the
    /// fractions are 2.25/3.5 = 0.6428571429 and 1/3.5 = 0.2857142857, main effects explain
    /// 3.25/3.5 = 0.9285714286 (the rest is the interaction), and the normalised importances are
    /// 2.25/3.25 = 0.6923076923 and 1/3.25 = 0.3076923077.
    private func table(_ x: String, _ parameter: String, low: Double, high: Double) throws -> (SearchSpace, [TrialRecord]) {
        let space = try AnalysisFixtures.space(#"{"optimizer": {"values": ["sgd", "adam"]}, "\#(x)": \#(parameter)}"#)
        var trials: [TrialRecord] = []
        for (optimizer, xValue, metric) in [("sgd", low, 0.80), ("sgd", high, 0.81), ("adam", low, 0.82), ("adam", high, 0.85)] {
            for _ in 0..<25 {
                trials.append(AnalysisFixtures.trial(trials.count + 1, ["optimizer": .string(optimizer), x: .number(xValue)], metric))
            }
        }
        return (space, trials)
    }

    private func expectTableShares(_ importance: ParameterImportance?, x name: String) throws {
        let importance = try #require(importance)
        let kind = try #require(importance.importance(of: "optimizer")), x = try #require(importance.importance(of: name))
        #expect(abs(kind.varianceFraction - 0.6428571429) < 1e-9)
        #expect(abs(x.varianceFraction - 0.2857142857) < 1e-9)
        #expect(abs(importance.mainEffectShare - 0.9285714286) < 1e-9)
        #expect(abs(kind.importance - 0.6923076923) < 1e-9)
        #expect(abs(x.importance - 0.3076923077) < 1e-9)
        #expect(kind.standardDeviation < 1e-9)
        #expect(importance.settings.map(\.setting) == ["optimizer", name])
        #expect(importance.trialCount == 100)
    }

    @Test func anExactlyLearntTableGivesTheAnalyticVarianceShares() throws {
        // Weight decay uniform on [0, 1] with trials at 0.25 and 0.75: the trees cut at 0.5,
        // halving the range.
        let (space, trials) = try table("weight_decay", #"{"distribution": "uniform", "min": 0, "max": 1}"#, low: 0.25, high: 0.75)
        try expectTableShares(ParameterImportance(trials: trials, space: space, metric: AnalysisFixtures.accuracy), x: "weight_decay")
    }

    @Test func aLogUniformSettingIsMeasuredOnTheLogScale() throws {
        // lr log-uniform on [1e-4, 1] with trials at 1e-3 and 1e-1: the cut at 1e-2 halves the
        // range in logarithms, so the shares are the table's. On the raw scale the cut (0.0505)
        // would leave 5% of the range to the low half, and lr's share would be far smaller.
        let (space, trials) = try table("lr", #"{"distribution": "log_uniform", "min": 0.0001, "max": 1}"#, low: 0.001, high: 0.1)
        try expectTableShares(ParameterImportance(trials: trials, space: space, metric: AnalysisFixtures.accuracy), x: "lr")
    }

    @Test func aListedSettingIsCategoricalWithEqualMassPerValue() throws {
        // Dropout listed as 0, 0.2 and 0.5 with a non-monotone effect, added to the optimizer's,
        // 20 trials per cell (in hundredths above 0.80):
        //
        //              dropout 0   0.2   0.5
        //     sgd              0     1     0
        //     adam             2     3     2
        //
        // A categorical cut separates 0.2 from {0, 0.5} in one step. Each listed value weighs
        // 1/3: dropout's marginal is 1, 2, 1 (mean 4/3, variance (1/9 + 4/9 + 1/9)/3 = 2/9),
        // the optimizer's 1/3 and 7/3 (variance 1), and there is no interaction: fractions
        // 1/(11/9) = 9/11 = 0.8181818182 and (2/9)/(11/9) = 2/11 = 0.1818181818, summing to 1.
        let space = try AnalysisFixtures.space(#"{"optimizer": {"values": ["sgd", "adam"]}, "dropout": {"values": [0, 0.2, 0.5]}}"#)
        var trials: [TrialRecord] = []
        for (optimizer, dropout, metric) in [("sgd", 0, 0.80), ("sgd", 0.2, 0.81), ("sgd", 0.5, 0.80), ("adam", 0, 0.82), ("adam", 0.2, 0.83), ("adam", 0.5, 0.82)] {
            for _ in 0..<20 {
                trials.append(AnalysisFixtures.trial(trials.count + 1, ["optimizer": .string(optimizer), "dropout": .number(dropout)], metric))
            }
        }
        let importance = try #require(ParameterImportance(trials: trials, space: space, metric: AnalysisFixtures.accuracy))
        let optimizer = try #require(importance.importance(of: "optimizer")), dropout = try #require(importance.importance(of: "dropout"))
        #expect(abs(optimizer.varianceFraction - 0.8181818182) < 1e-9)
        #expect(abs(dropout.varianceFraction - 0.1818181818) < 1e-9)
        #expect(abs(importance.mainEffectShare - 1) < 1e-9)
    }

    /// optimizer (4 values), lr (log-uniform), dropout (uniform), batch_norm (2 values).
    private static let fourSettings = """
        {"optimizer": {"values": ["sgd", "momentum", "adam", "rmsprop"]},
         "lr": {"distribution": "log_uniform", "min": 0.0001, "max": 0.1},
         "dropout": {"distribution": "uniform", "min": 0, "max": 0.5},
         "batch_norm": {"values": [false, true]}}
        """

    @Test func aMetricThatDependsOnOneSettingGivesItNearlyAllTheImportance() throws {
        let space = try AnalysisFixtures.space(Self.fourSettings)
        // The metric is the optimizer's level (sd 0.074) plus noise of sd 0.005: the optimizer
        // explains 0.00547 / (0.00547 + 0.000025) = 99.5% of the variance.
        let level = ["sgd": 0.70, "momentum": 0.80, "adam": 0.85, "rmsprop": 0.90]
        let trials = AnalysisFixtures.randomTrials(300, in: space) { parameters, generator in
            guard case .string(let optimizer)? = parameters["optimizer"] else { return .nan }
            return level[optimizer]! + 0.005 * generator.nextStandardNormal()
        }
        let importance = try #require(ParameterImportance(trials: trials, space: space, metric: AnalysisFixtures.accuracy))
        #expect(importance.settings.first?.setting == "optimizer")
        #expect((importance.importance(of: "optimizer")?.importance ?? 0) > 0.95)
        for other in ["lr", "dropout", "batch_norm"] {
            #expect((importance.importance(of: other)?.importance ?? 1) < 0.03, "\(other)")
        }
        #expect(abs(importance.settings.reduce(0) { $0 + $1.importance } - 1) < 1e-12)
    }

    @Test func twoAdditiveSettingsShareTheVarianceAsTheirVariancesDo() throws {
        let space = try AnalysisFixtures.space(Self.fourSettings)
        // metric = 0.8 + o + 0.06·u, where o = −0.03 for sgd and momentum and +0.03 for adam and
        // rmsprop (variance 0.03² = 0.0009 under equal weights), and u = log(lr/1e-4)/log(1000)
        // is uniform on [0, 1] (variance 0.06²/12 = 0.0003). Shares: 0.0009/0.0012 = 0.75 for the
        // optimizer and 0.0003/0.0012 = 0.25 for lr; dropout and batch norm do nothing.
        let trials = AnalysisFixtures.randomTrials(400, in: space) { parameters, _ in
            guard case .string(let optimizer)? = parameters["optimizer"], case .number(let lr)? = parameters["lr"] else { return .nan }
            let shift = optimizer == "sgd" || optimizer == "momentum" ? -0.03 : 0.03
            return 0.8 + shift + 0.06 * log(lr / 1e-4) / log(1000)
        }
        let importance = try #require(ParameterImportance(trials: trials, space: space, metric: AnalysisFixtures.accuracy))
        let optimizer = try #require(importance.importance(of: "optimizer")), lr = try #require(importance.importance(of: "lr"))
        #expect(abs(optimizer.importance - 0.75) < 0.04, "optimizer \(optimizer.importance)")
        #expect(abs(lr.importance - 0.25) < 0.04, "lr \(lr.importance)")
        #expect(importance.mainEffectShare > 0.95, "an additive metric has no interaction")
        #expect((importance.importance(of: "dropout")?.importance ?? 1) < 0.02)
        #expect((importance.importance(of: "batch_norm")?.importance ?? 1) < 0.02)
    }

    @Test func aLayerListsImportanceSumsItsDepthAndWidths() throws {
        let space = try AnalysisFixtures.space("""
            {"hidden_layers": {"depth": {"values": [1, 2, 3]}, "width": {"distribution": "int_log_uniform", "min": 16, "max": 256}},
             "lr": {"distribution": "log_uniform", "min": 0.0001, "max": 0.1}}
            """)
        // Only the depth matters: 0.80, 0.85, 0.90 for 1, 2, 3 layers.
        let trials = AnalysisFixtures.randomTrials(200, in: space) { parameters, generator in
            guard case .array(let widths)? = parameters["hidden_layers"] else { return .nan }
            return 0.75 + 0.05 * Double(widths.count) + 0.002 * generator.nextStandardNormal()
        }
        let importance = try #require(ParameterImportance(trials: trials, space: space, metric: AnalysisFixtures.accuracy))
        let layers = try #require(importance.importance(of: "hidden_layers"))
        #expect(layers.dimensions == ["hidden_layers.depth", "hidden_layers.width_1", "hidden_layers.width_2", "hidden_layers.width_3"])
        #expect(layers.importance > 0.95)
    }

    @Test func aConditionalSettingThatMattersIsFound() throws {
        let space = try AnalysisFixtures.space("""
            {"optimizer": {"values": ["sgd", "adam"]},
             "momentum": {"values": [0.8, 0.9, 0.99], "when": {"optimizer": ["sgd"]}},
             "dropout": {"distribution": "uniform", "min": 0, "max": 0.5}}
            """)
        // Adam trials score 0.85, SGD trials 0.75, 0.85 or 0.95 by momentum: the optimizer alone
        // changes nothing on average, momentum (where it applies) everything.
        let byMomentum = [0.8: 0.75, 0.9: 0.85, 0.99: 0.95]
        let trials = AnalysisFixtures.randomTrials(300, in: space) { parameters, generator in
            let base = parameters["momentum"].map { byMomentum[$0.testNumber]! } ?? 0.85
            return base + 0.002 * generator.nextStandardNormal()
        }
        #expect(trials.contains { $0.plan.parameters["momentum"] == nil })
        let importance = try #require(ParameterImportance(trials: trials, space: space, metric: AnalysisFixtures.accuracy))
        #expect(importance.settings.first?.setting == "momentum")
        #expect((importance.importance(of: "dropout")?.importance ?? 1) < 0.05)
    }

    @Test func theEstimateIsTheSameForTheSameTrialsInAnyOrder() throws {
        let space = try AnalysisFixtures.space(Self.fourSettings)
        let trials = AnalysisFixtures.randomTrials(120, in: space, seed: 9) { parameters, generator in
            0.8 + 0.05 * generator.nextStandardNormal() + (parameters["batch_norm"] == .bool(true) ? 0.05 : 0)
        }
        let first = ParameterImportance(trials: trials, space: space, metric: AnalysisFixtures.accuracy)
        let again = ParameterImportance(trials: trials, space: space, metric: AnalysisFixtures.accuracy)
        let reversed = ParameterImportance(trials: trials.reversed(), space: space, metric: AnalysisFixtures.accuracy)
        #expect(first != nil)
        #expect(first == again)
        #expect(first == reversed)
        // Another seed draws other bootstrap samples: other numbers, the same picture.
        let reseeded = try #require(ParameterImportance(trials: trials, space: space, metric: AnalysisFixtures.accuracy, options: ForestOptions(seed: 1)))
        #expect(reseeded != first)
        #expect(reseeded.settings.first?.setting == first?.settings.first?.setting)
    }

    @Test func fewerThanTwoTrialsOrAConstantMetricGiveNoEstimate() throws {
        let space = try AnalysisFixtures.space(Self.fourSettings)
        let trials = AnalysisFixtures.randomTrials(20, in: space) { _, _ in 0.9 }
        #expect(ParameterImportance(trials: trials, space: space, metric: AnalysisFixtures.accuracy) == nil)
        #expect(ParameterImportance(trials: Array(trials.prefix(1)), space: space, metric: AnalysisFixtures.accuracy) == nil)
    }

    @Test func trialsWithoutAFiniteMetricAreLeftOutAndCounted() throws {
        let (space, trials) = try table("weight_decay", #"{"distribution": "uniform", "min": 0, "max": 1}"#, low: 0.25, high: 0.75)
        let extra = [
            AnalysisFixtures.trial(101, ["optimizer": .string("sgd"), "weight_decay": .number(0.5)], .nan, status: .diverged),
            AnalysisFixtures.trial(102, ["optimizer": .string("adam"), "weight_decay": .number(0.5)], .infinity),
            AnalysisFixtures.trial(103, ["optimizer": .string("adam"), "weight_decay": .number(0.5)], nil, status: .running),
        ]
        let importance = try #require(ParameterImportance(trials: trials + extra, space: space, metric: AnalysisFixtures.accuracy))
        #expect(importance.trialCount == 100)
        #expect(importance.leftOutCount == 2)
        #expect(importance.method == "fANOVA over a random forest (estimate)")
    }

    @Test func aThousandTrialsOfTenSettingsAreQuick() throws {
        let space = try AnalysisFixtures.space("""
            {"optimizer": {"values": ["sgd", "momentum", "adam", "rmsprop", "adamw"]},
             "lr": {"distribution": "log_uniform", "min": 0.0001, "max": 0.1},
             "weight_decay": {"distribution": "log_uniform", "min": 0.000001, "max": 0.01},
             "dropout": {"distribution": "uniform", "min": 0, "max": 0.5},
             "batch_norm": {"values": [false, true]},
             "batch_size": {"values": [16, 32, 64, 128]},
             "epochs": {"distribution": "int_uniform", "min": 10, "max": 60},
             "activation": {"values": ["relu", "tanh", "sigmoid"]},
             "initializer": {"values": ["kaiming_normal", "xavier_normal"]},
             "hidden_layers": {"depth": {"values": [1, 2]}, "width": {"distribution": "int_log_uniform", "min": 16, "max": 256}}}
            """)
        let trials = AnalysisFixtures.randomTrials(1000, in: space) { parameters, generator in
            guard case .number(let lr)? = parameters["lr"] else { return .nan }
            return 0.9 - 0.02 * abs(log10(lr) + 2.5) + 0.01 * generator.nextStandardNormal()
        }
        let importance = ParameterImportance(trials: trials, space: space, metric: AnalysisFixtures.accuracy)
        #expect(importance?.settings.count == 10)
        #expect(importance?.settings.first?.setting == "lr")
    }
}
