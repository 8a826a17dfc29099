import Foundation
import NeuralNet
import Testing
@testable import SweepKit

/// Conditional parameters, layer lists and the conversions between points and parameters.
@Suite struct SearchSpaceTests {
    static func spec(method: String = "random", trials: Int? = 40, _ parameters: String) -> String {
        let count = trials.map { #""trials": \#($0),"# } ?? ""
        return """
            {"name": "space", "data": "\(SweepFixtures.smallData)", "method": "\(method)", \(count) "seed": 3,
             "fixed": {"epochs": 2}, "parameters": {\(parameters)}}
            """
    }

    static let conditional = spec(#"""
        "optimizer": {"values": ["adam", {"name": "sgd", "lr": 0.05}, "rmsprop"]},
        "momentum": {"values": [0.8, 0.9], "when": {"optimizer": ["sgd", "rmsprop"]}},
        "lr": {"distribution": "log_uniform", "min": 0.001, "max": 0.1}
        """#)

    private func members(_ plan: TrialPlan) -> [String: JSONValue] {
        if case .object(let members) = plan.parameters { return members }
        return [:]
    }

    @Test func aConditionalParameterIsPresentExactlyWhenItsParentTakesANamedValue() throws {
        let spec = try SweepFixtures.spec(Self.conditional)
        let plans = spec.previewPlans()
        var present = 0, absent = 0
        for plan in plans {
            let parameters = members(plan)
            let optimizer = try #require(parameters["optimizer"])
            // "sgd" names the {"name": "sgd", ...} bundle.
            let applies = optimizer == .string("rmsprop") || optimizer["name"] == .string("sgd")
            #expect((parameters["momentum"] != nil) == applies, "trial \(plan.number): \(plan.parameters.canonicalText)")
            if applies { present += 1 } else { absent += 1 }
            // A trial without momentum trains with the optimizer's own default.
            if !applies { #expect(plan.configuration?.optimizer.momentum == nil) }
        }
        // 40 draws, two thirds of which apply: both cases occur (P(not) < 1e-6).
        #expect(present > 0 && absent > 0)
    }

    @Test func parentsAreDrawnBeforeTheParametersThatDependOnThem() throws {
        let spec = try SweepFixtures.spec(Self.conditional)
        // "momentum" sorts before "optimizer" by name, but depends on it.
        #expect(spec.space.dimensions.map(\.name) == ["lr", "optimizer", "momentum"])
    }

    @Test func aGridEnumeratesAConditionalParameterOnlyWhereItApplies() throws {
        let spec = try SweepFixtures.spec(Self.spec(method: "grid", trials: nil, #"""
            "optimizer": {"values": ["adam", "sgd"]},
            "momentum": {"values": [0.8, 0.9, 0.99], "when": {"optimizer": ["sgd"]}}
            """#))
        // adam alone, then sgd with each of three momenta.
        #expect(spec.trialCount == 4)
        #expect(spec.previewPlans().map { $0.parameters.canonicalText } == [
            #"{"optimizer":"adam"}"#, #"{"momentum":0.8,"optimizer":"sgd"}"#,
            #"{"momentum":0.9,"optimizer":"sgd"}"#, #"{"momentum":0.99,"optimizer":"sgd"}"#,
        ])
    }

    @Test func aConditionalParameterThatIsAlsoFixedOverridesTheFixedValueOnlyWhereItApplies() throws {
        // The spec's fixed epochs are 2; linear models (no hidden layer) train 7.
        let spec = try SweepFixtures.spec(Self.spec(method: "grid", trials: nil, #"""
            "hidden_layers": {"values": [[4], []]},
            "epochs": {"values": [7], "when": {"hidden_layers": [[]]}}
            """#))
        let plans = spec.previewPlans()
        #expect(plans.map { $0.parameters.canonicalText } == [#"{"hidden_layers":[4]}"#, #"{"epochs":7,"hidden_layers":[]}"#])
        #expect(plans.map { $0.configuration?.epochs } == [2, 7])
    }

    @Test func anUnconditionalParameterThatIsAlsoFixedIsRefused() {
        let problems = SweepFixtures.problems(Self.spec(method: "grid", trials: nil, #""epochs": {"values": [3, 4]}"#))
        #expect(problems.contains { $0.path == "$.parameters.epochs" && $0.message.contains("both fixed and searched") && $0.message.contains("\"when\"") })
    }

    @Test func aLayerListHasTheDepthItDrewAndEachWidthInItsRange() throws {
        let spec = try SweepFixtures.spec(Self.spec(trials: 200, #"""
            "hidden_layers": {"depth": {"values": [1, 2, 3]}, "width": {"distribution": "int_log_uniform", "min": 8, "max": 128}}
            """#))
        var depths = Set<Int>()
        var widths: [Double] = []
        for plan in spec.previewPlans() {
            guard case .array(let layers)? = members(plan)["hidden_layers"] else {
                Issue.record("trial \(plan.number) has no layer list: \(plan.parameters.canonicalText)")
                continue
            }
            depths.insert(layers.count)
            #expect(plan.configuration?.hiddenLayers.count == layers.count)
            for layer in layers {
                guard case .number(let width) = layer else { continue }
                #expect(width == width.rounded() && width >= 8 && width <= 128)
                widths.append(width)
            }
        }
        #expect(depths == [1, 2, 3])
        // Log-uniform over [7.5, 128.5]: the geometric middle, about 31, halves the draws. Of
        // ~400 widths, fewer than 35% or more than 65% below it happens with probability < 1e-8.
        let below = widths.filter { $0 < (7.5 * 128.5).squareRoot() }.count
        #expect(Double(below) > 0.35 * Double(widths.count) && Double(below) < 0.65 * Double(widths.count), "\(below) of \(widths.count)")
    }

    @Test func aGridOfLayerListsHasEveryDepthWithEveryCombinationOfWidths() throws {
        let spec = try SweepFixtures.spec(Self.spec(method: "grid", trials: nil, #"""
            "hidden_layers": {"depth": {"values": [1, 2]}, "width": {"values": [16, 32]}}
            """#))
        // Depth 1: 2 lists; depth 2: 2 × 2.
        #expect(spec.previewPlans().map { members($0)["hidden_layers"]?.shortText ?? "-" } == [
            "[16]", "[32]", "[16,16]", "[16,32]", "[32,16]", "[32,32]",
        ])
    }

    @Test func aPointReadBackFromItsParametersIsThePointAgain() throws {
        let spec = try SweepFixtures.spec(Self.spec(trials: 50, #"""
            "optimizer": {"values": ["adam", {"name": "sgd", "lr": 0.05}]},
            "momentum": {"values": [0.8, 0.9], "when": {"optimizer": ["sgd"]}},
            "hidden_layers": {"depth": {"distribution": "int_uniform", "min": 0, "max": 2}, "width": {"values": [8, 16, 32]}},
            "dropout": {"distribution": "q_uniform", "min": 0, "max": 0.5, "q": 0.1},
            "batch_size": {"distribution": "int_log_uniform", "min": 4, "max": 64}
            """#))
        var generator = SplitMix64(seed: 1)
        for _ in 0..<50 {
            let point = spec.space.randomPoint(using: &generator)
            let parameters = spec.space.parameters(for: point)
            #expect(spec.space.point(of: .object(parameters)) == point, "\(parameters)")
        }
    }

    @Test func aValueOutsideTheSpaceLeavesItsDimensionAndThoseUnderItOut() throws {
        let spec = try SweepFixtures.spec(Self.conditional)
        let point = spec.space.point(of: .object(["optimizer": .string("adagrad"), "momentum": .number(0.9), "lr": .number(0.01)]))
        // adagrad is not listed: no optimizer coordinate, and momentum, which depends on it, goes too.
        #expect(point == ["lr": 0.01])
    }

    struct BadCondition: Sendable, CustomStringConvertible {
        let description: String
        let parameters: String
        let path: String
        let phrase: String
    }

    static let badConditions = [
        BadCondition(
            description: "an unknown parent", parameters: #""optimizer": {"values": ["sgd"]}, "momentum": {"values": [0.9], "when": {"optimiser": ["sgd"]}}"#,
            path: "$.parameters.momentum.when.optimiser", phrase: "did you mean 'optimizer'?"),
        BadCondition(
            description: "a value the parent never takes", parameters: #""optimizer": {"values": ["sgd", "adam"]}, "momentum": {"values": [0.9], "when": {"optimizer": ["sgd", "lion"]}}"#,
            path: "$.parameters.momentum.when.optimizer[1]", phrase: "never takes lion"),
        BadCondition(
            description: "a parent without listed values", parameters: #""lr": {"distribution": "uniform", "min": 0.1, "max": 0.2}, "momentum": {"values": [0.9], "when": {"lr": [0.1]}}"#,
            path: "$.parameters.momentum.when.lr[0]", phrase: "never takes 0.1"),
        BadCondition(
            description: "itself", parameters: #""momentum": {"values": [0.9], "when": {"momentum": [0.9]}}"#,
            path: "$.parameters.momentum.when.momentum", phrase: "cannot depend on itself"),
        BadCondition(
            description: "a cycle", parameters: #""momentum": {"values": [0.9], "when": {"dropout": [0.1]}}, "dropout": {"values": [0.1], "when": {"momentum": [0.9]}}"#,
            path: "$.parameters", phrase: "cycle"),
        BadCondition(
            description: "not an object", parameters: #""momentum": {"values": [0.9], "when": ["optimizer"]}"#,
            path: "$.parameters.momentum.when", phrase: "must be an object"),
        BadCondition(
            description: "a layer list without widths", parameters: #""hidden_layers": {"depth": {"values": [1, 2]}}"#,
            path: "$.parameters.hidden_layers.width", phrase: "is required with depth"),
        BadCondition(
            description: "a fractional depth", parameters: #""hidden_layers": {"depth": {"values": [1.5]}, "width": {"values": [8]}}"#,
            path: "$.parameters.hidden_layers.depth", phrase: "whole numbers"),
        BadCondition(
            description: "a zero width", parameters: #""hidden_layers": {"depth": {"values": [1]}, "width": {"values": [0, 8]}}"#,
            path: "$.parameters.hidden_layers.width", phrase: "whole numbers from 1"),
    ]

    @Test(arguments: badConditions)
    func aBadConditionOrLayerListIsASpecErrorAtItsPath(_ bad: BadCondition) {
        let problems = SweepFixtures.problems(Self.spec(bad.parameters))
        let atPath = problems.filter { $0.path == bad.path }
        #expect(atPath.contains { $0.message.contains(bad.phrase) }, "\(problems)")
    }

    @Test func aValueALongListNeverTakesIsNamedWithoutTheWholeList() {
        // The message listed all 5,000 values the parent takes: 29 KB on the terminal.
        let sizes = (1...5_000).map(String.init).joined(separator: ",")
        let problems = SweepFixtures.problems(Self.spec(#""batch_size": {"values": [\#(sizes)]}, "lr": {"values": [0.1], "when": {"batch_size": [0]}}"#))
        let message = try? #require(problems.first { $0.path == "$.parameters.lr.when.batch_size[0]" }?.message)
        #expect(message == "'batch_size' never takes 0; it takes 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, …, 5000 (5,000 values)", "\(problems)")
    }

    @Test func intLogUniformNeedsAPositiveWholeMinimum() {
        let problems = SweepFixtures.problems(Self.spec(#""batch_size": {"distribution": "int_log_uniform", "min": 0, "max": 64}"#))
        #expect(problems.contains { $0.path == "$.parameters.batch_size.min" && $0.message.contains("min ≥ 1") }, "\(problems)")
    }

    @Test func seedIsNotSearchedAndTheMessagePointsToRepeats() {
        let problems = SweepFixtures.problems(Self.spec(#""seed": {"values": [1, 2]}"#))
        let message = problems.first { $0.path == "$.parameters.seed" }?.message ?? ""
        #expect(message.contains("\"repeats\""), "\(problems)")
        #expect(!message.contains("did you mean 'seed'"))
    }
}
