import Foundation
import Testing
@testable import SweepKit

/// The plans a spec makes while it is checked are the ones its trials start with, and only for
/// the very parameters they were made from.
@Suite struct CheckedPlansTests {
    private static func text(method: String, trials: Int) -> String {
        """
        {"name": "kept", "data": "\(SweepFixtures.smallData)", "method": "\(method)", "trials": \(trials), "seed": 7,
         "fixed": {"epochs": 2, "hidden_layers": [4]},
         "parameters": {"optimizer": {"values": ["adam", "sgd"]}, "dropout": {"values": [0, 0.2]},
                        "lr": {"distribution": "log_uniform", "min": 0.001, "max": 0.1}}}
        """
    }

    /// A spec read without the check keeps nothing: every plan it gives is made then.
    private static func unchecked(_ text: String) throws -> SweepSpec {
        try SweepSpec.parseStored(Data(text.utf8), source: "spec.json")
    }

    private static func proposal(_ spec: SweepSpec, _ number: Int) throws -> [String: JSONValue] {
        try #require(spec.proposal(for: number, history: .empty))
    }

    @Test func everyTrialOfARandomSweepStartsWithThePlanItsCheckMade() throws {
        let text = Self.text(method: "random", trials: 20)
        let spec = try SweepFixtures.spec(text)
        let reference = try Self.unchecked(text)
        for number in 1...20 {
            let parameters = try Self.proposal(spec, number)
            let kept = try #require(spec.checkedPlans.plan(number: number, parameters: parameters), "trial \(number)")
            #expect(try spec.plan(number: number, parameters: parameters) == kept)
            #expect(reference.checkedPlans.plan(number: number, parameters: parameters) == nil)
            // The same plan as one made for the trial when it starts, configuration included.
            let made = try reference.plan(number: number, parameters: parameters)
            #expect(kept == made)
            #expect(kept.configuration == made.configuration)
        }
    }

    @Test func otherParametersForAKeptNumberGetAPlanOfTheirOwn() throws {
        let spec = try SweepFixtures.spec(Self.text(method: "random", trials: 5))
        var other = try Self.proposal(spec, 1)
        let optimizer: JSONValue = other["optimizer"] == .string("adam") ? .string("sgd") : .string("adam")
        other["optimizer"] = optimizer
        let plan = try spec.plan(number: 1, parameters: other)
        #expect(plan.parameters == .object(other))
        #expect(plan.configuration.map { JSONValue.string($0.optimizer.kind.rawValue) } == optimizer)
        #expect(plan == (try Self.unchecked(Self.text(method: "random", trials: 5)).plan(number: 1, parameters: other)))
    }

    @Test func theSettingsPutIntoTrialOneToCheckThemAreNotKeptAsItsPlan() throws {
        // The check also plans trial 1 with each value it does not have, under trial 1's number.
        let spec = try SweepFixtures.spec(Self.text(method: "random", trials: 3))
        #expect(spec.plansToCheck().count > 3)
        let kept = try #require(spec.checkedPlans.plan(number: 1, parameters: try Self.proposal(spec, 1)))
        #expect(kept.parameters == .object(try Self.proposal(spec, 1)))
    }

    @Test func aTPESweepKeepsItsRandomStartOnly() throws {
        let text = Self.text(method: "tpe", trials: 40).replacingOccurrences(
            of: #""seed": 7,"#, with: #""seed": 7, "sampler": {"startup_trials": 4, "lag": 2},"#)
        let spec = try SweepFixtures.spec(text)
        // Trials 1 … 6 (the start and the lag) are proposed without results, as checked.
        for number in 1...6 {
            #expect(spec.checkedPlans.plan(number: number, parameters: try Self.proposal(spec, number)) != nil, "trial \(number)")
        }
        #expect(spec.checkedPlans.plan(number: 7, parameters: try Self.proposal(spec, 7)) == nil)
    }
}
