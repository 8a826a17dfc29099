import Foundation
import Testing
@testable import SweepKit

/// What `sweep validate` and `sweep run` check against the data before training: a grid's every
/// combination; a random or TPE spec's first draws and each listed value or bound put in.
@Suite struct PlansToCheckTests {
    private static func spec(method: String, trials: Int?) -> String {
        let count = trials.map { #""trials": \#($0),"# } ?? ""
        return """
            {"name": "check", "data": "\(SweepFixtures.smallData)", "method": "\(method)", \(count) "seed": 1,
             "fixed": {"epochs": 2, "hidden_layers": [4]},
             "parameters": {"optimizer": {"values": ["adam", "sgd"]}, "loss": {"values": ["cross_entropy", "mse"]},
                            "lr": {"distribution": "log_uniform", "min": 0.001, "max": 0.1}}}
            """
    }

    @Test func aLargeRandomSpecIsCheckedByItsFirstDrawsAndEveryValueOfEachSetting() throws {
        let spec = try SweepFixtures.spec(Self.spec(method: "random", trials: 100_000))
        let checked = spec.plansToCheck(draws: 50)
        // 50 draws, then trial 1 with each value of optimizer and loss it does not have (one
        // each) and the 2 bounds of lr.
        #expect(checked.count == 50 + 4)
        #expect(checked.prefix(50).map(\.plan.number) == Array(1...50))
        let substituted = checked.dropFirst(50)
        #expect(substituted.allSatisfy { $0.plan.number == 1 })
        let withTrialOne = [checked[0]] + substituted
        #expect(Set(withTrialOne.compactMap { $0.plan.configuration?.loss?.rawValue }) == ["cross_entropy", "mse"])
        #expect(Set(withTrialOne.compactMap { $0.plan.configuration?.optimizer.kind.rawValue }) == ["adam", "sgd"])
        #expect(substituted.map(\.label).contains("lr 0.001 (in trial 1's settings)"))
        let rates = Set(substituted.compactMap { $0.plan.configuration?.optimizer.learningRate })
        #expect(rates.contains(Float(0.001)) && rates.contains(Float(0.1)))
    }

    @Test func aSubstitutedValueKeepsToTheConditions() throws {
        // momentum applies to sgd only: put into an adam trial it is left out, and putting adam
        // into an sgd trial leaves its momentum out. No checked plan has momentum without sgd.
        let spec = try SweepFixtures.spec("""
            {"name": "conditional", "data": "\(SweepFixtures.smallData)", "method": "random", "trials": 1000, "seed": 4,
             "fixed": {"epochs": 2, "hidden_layers": [4]},
             "parameters": {"optimizer": {"values": ["adam", "sgd"]},
                            "momentum": {"values": [0.5, 0.9], "when": {"optimizer": ["sgd"]}}}}
            """)
        let checked = spec.plansToCheck(draws: 1)
        // Seed 4 draws sgd with a momentum for trial 1, so putting adam in must drop the momentum.
        #expect(checked.first?.plan.parameters["optimizer"] == .string("sgd"))
        #expect(checked.contains { $0.plan.parameters["optimizer"] == .string("adam") })
        for (label, plan) in checked {
            guard case .object(let parameters) = plan.parameters else { continue }
            let sgd = parameters["optimizer"] == .string("sgd")
            if parameters["momentum"] != nil { #expect(sgd, "\(label): \(plan.parameters.canonicalText)") }
        }
        #expect(checked.count >= 2)
    }

    @Test func aGridIsCheckedCombinationByCombination() throws {
        let spec = try SweepFixtures.spec(#"""
            {"name": "grid", "data": "\#(SweepFixtures.smallData)", "method": "grid", "fixed": {"epochs": 2},
             "parameters": {"optimizer": {"values": ["adam", "sgd"]}, "loss": {"values": ["cross_entropy", "mse"]}}}
            """#)
        let checked = spec.plansToCheck(draws: 1)
        #expect(checked.map(\.label) == ["trial 1", "trial 2", "trial 3", "trial 4"])
    }
}
