import Foundation
import NeuralNet
import Testing
@testable import SweepKit

/// The quick decoder gives what JSONDecoder gives from the same value written as JSON text,
/// and refuses what JSONDecoder refuses (so that the JSON way describes the problem).
@Suite struct JSONValueDecoderTests {
    /// JSONDecoder's answer for `value`, the reference.
    private func throughText<T: Decodable>(_ type: T.Type, _ value: JSONValue) throws -> T {
        try JSONDecoder().decode(T.self, from: JSONEncoder().encode(value))
    }

    private func parsed(_ text: String) throws -> JSONValue { try JSONValue.parse(Data(text.utf8), source: "test") }

    @Test func everyOptimizerFormDecodesAsThroughJSONText() throws {
        let forms = [
            #"{"name": "sgd"}"#, #"{"name": "sgd", "lr": 0.1, "weight_decay": 0.0001}"#,
            #"{"name": "momentum", "lr": 0.02, "momentum": 0.8, "dampening": 0.1}"#,
            #"{"name": "momentum", "momentum": 0.9, "nesterov": true}"#,
            #"{"name": "adagrad", "lr": 0.05, "eps": 1e-10}"#, #"{"name": "rmsprop", "lr": 0.002, "alpha": 0.95}"#,
            #"{"name": "adam", "lr": 0.005, "betas": [0.85, 0.995], "eps": 1e-7}"#, #"{"name": "adamw", "weight_decay": 0.01}"#,
            #"{"name": "adam", "lr": null}"#,
        ]
        for form in forms {
            let value = try parsed(form)
            let quick = try JSONValueDecoder().decode(OptimizerConfiguration.self, from: value)
            #expect(quick == (try throughText(OptimizerConfiguration.self, value)), "\(form)")
        }
    }

    @Test func everyScheduleAndInitializerFormDecodesAsThroughJSONText() throws {
        let schedules = [
            #""none""#, #""constant""#, #"{"name": "step", "step_size": 10, "gamma": 0.5}"#, #"{"name": "StepLR", "step_size": 3}"#,
            #"{"name": "multistep", "milestones": [20, 30], "gamma": 0.3}"#, #"{"name": "exponential", "gamma": 0.95}"#,
            #"{"name": "cosine", "T_max": 50, "eta_min": 0.0001}"#, #"{"name": "linear", "start_factor": 0.5, "end_factor": 1, "total_iters": 8}"#,
        ]
        for form in schedules {
            let value = try parsed(form)
            #expect(try JSONValueDecoder().decode(LearningRateSchedule.self, from: value) == (try throughText(LearningRateSchedule.self, value)), "\(form)")
        }
        let initializers = [
            #""kaiming_normal""#, #""xavier_uniform""#, #"{"name": "xavier_normal", "gain": 1.5}"#, #"{"name": "uniform", "a": -0.1, "b": 0.1}"#,
            #"{"name": "normal", "mean": 0, "std": 0.02}"#, #"{"name": "constant", "val": 0.3}"#, #"{"name": "zeros"}"#,
        ]
        for form in initializers {
            let value = try parsed(form)
            #expect(try JSONValueDecoder().decode(Initializer.self, from: value) == (try throughText(Initializer.self, value)), "\(form)")
        }
    }

    /// JSONDecoder reads a Float from the number's text, which at a halfway point between two
    /// Floats is not what Float(Double) gives.
    @Test func floatsAtHalfwayPointsRoundAsJSONDecoderRoundsThem() throws {
        var generator = SplitMix64(seed: 7)
        var differFromFloatOfDouble = 0
        for index in 0..<2_000 {
            let float = Float(bitPattern: 0x3A00_0000 + UInt32(generator.next() % 0x0800_0000))
            let halfway = (Double(float) + Double(float.nextUp)) / 2
            let rate = [halfway, halfway.nextUp, halfway.nextDown][index % 3]
            let value = JSONValue.object(["name": .string("adam"), "lr": .number(rate)])
            let quick = try JSONValueDecoder().decode(OptimizerConfiguration.self, from: value)
            let reference = try throughText(OptimizerConfiguration.self, value)
            #expect(quick.learningRate?.bitPattern == reference.learningRate?.bitPattern, "lr \(rate)")
            if reference.learningRate != Float(rate) { differFromFloatOfDouble += 1 }
        }
        // The case this test is about occurs: otherwise it could not tell the two ways apart.
        #expect(differFromFloatOfDouble > 100)
    }

    @Test func refusesWhatJSONDecoderRefuses() throws {
        let schedules = [
            #"{"name": "step", "step_size": 2.5}"#, #"{"name": "step", "step_size": 1e20}"#, #"{"name": "step", "step_size": "10"}"#,
            #"{"name": "step"}"#, #"{"name": "multistep", "milestones": 20}"#, #"{"name": "multistep", "milestones": [20, true]}"#,
            #"{"gamma": 0.5}"#, #"{"name": "warp"}"#, "7",
        ]
        for form in schedules {
            let value = try parsed(form)
            #expect(throws: (any Error).self, "\(form)") { try throughText(LearningRateSchedule.self, value) }
            #expect(throws: (any Error).self, "\(form)") { try JSONValueDecoder().decode(LearningRateSchedule.self, from: value) }
        }
        let optimizers = [#"{"name": "adam", "lr": "0.01"}"#, #"{"name": "adam", "nesterov": 1}"#, #"{"name": "adam", "betas": 0.9}"#, #"{"lr": 0.1}"#, "[]"]
        for form in optimizers {
            let value = try parsed(form)
            #expect(throws: (any Error).self, "\(form)") { try throughText(OptimizerConfiguration.self, value) }
            #expect(throws: (any Error).self, "\(form)") { try JSONValueDecoder().decode(OptimizerConfiguration.self, from: value) }
        }
    }
}

/// Comparing two values (as the search space does, to find a listed value) answers what
/// comparing their canonical texts answers: integral numbers are written as integers (so 0 and
/// -0 are both "0"), and Swift compares strings by canonical equivalence.
@Suite struct JSONValueEqualityTests {
    @Test func agreesWithComparingCanonicalTexts() {
        var generator = SplitMix64(seed: 11)
        func random(depth: Int) -> JSONValue {
            switch generator.next() % (depth > 2 ? 4 : 6) {
            case 0: return .null
            case 1: return .bool(generator.next() % 2 == 0)
            case 2: return .number([0.0, -0.0, 1, 0.1, 1e-5, 3][Int(generator.next() % 6)])
            case 3: return .string(["a", "b", "é", "e\u{301}"][Int(generator.next() % 4)])
            case 4: return .array((0..<Int(generator.next() % 3)).map { _ in random(depth: depth + 1) })
            default:
                var members: [String: JSONValue] = [:]
                for _ in 0..<Int(generator.next() % 3) { members[["x", "y", "z"][Int(generator.next() % 3)]] = random(depth: depth + 1) }
                return .object(members)
            }
        }
        var same = 0
        for _ in 0..<3_000 {
            let first = random(depth: 0), second = random(depth: 0)
            for (a, b) in [(first, second), (first, first)] {
                let byText = a.canonicalText == b.canonicalText
                #expect((a == b) == byText, "\(a.canonicalText) vs \(b.canonicalText)")
                if byText { same += 1 }
            }
        }
        // Both answers occur; the two spellings of é and the two zeros are among the values.
        #expect(same > 3_000 && same < 6_000)
        #expect(JSONValue.number(0) == .number(-0.0) && JSONValue.number(0).canonicalText == JSONValue.number(-0.0).canonicalText)
    }
}
