import Foundation
import Testing
@testable import SweepKit

@Suite("Search space: grid and random plans")
struct SearchPlanTests {
    /// 2 activations × 3 learning rates × 2 optimizers.
    static let grid = """
        {"name": "grid", "data": "builtin:phone-price?rows=400", "seed": 11,
         "fixed": {"hidden_layers": [8], "epochs": 2},
         "parameters": {"optimizer": {"values": ["sgd", "adam"]},
                        "lr": {"values": [0.01, 0.05, 0.1]},
                        "activation": {"values": ["relu", "tanh"]}}}
        """

    static func random(trials: Int, seed: Int = 7) -> String {
        """
        {"name": "random", "data": "builtin:phone-price?rows=400", "method": "random", "trials": \(trials), "seed": \(seed),
         "fixed": {"hidden_layers": [8], "epochs": 2},
         "parameters": {"lr": {"distribution": "log_uniform", "min": 0.0001, "max": 0.1},
                        "batch_size": {"distribution": "int_uniform", "min": 2, "max": 5},
                        "dropout": {"distribution": "q_uniform", "min": 0, "max": 0.4, "q": 0.1},
                        "momentum": {"distribution": "uniform", "min": 0.5, "max": 0.9},
                        "activation": {"values": ["relu", "tanh", "prelu"]}}}
        """
    }

    private func parameters(_ plan: TrialPlan) -> [String: JSONValue] {
        if case .object(let members) = plan.parameters { return members }
        return [:]
    }

    private func number(_ value: JSONValue?) -> Double? {
        if case .number(let number)? = value { return number }
        return nil
    }

    @Test func gridHasOneTrialPerCombinationNumberedFromOne() throws {
        let spec = try SweepFixtures.spec(Self.grid)
        // 2 activations × 3 learning rates × 2 optimizers.
        #expect(spec.trialCount == 12)
        #expect(spec.previewPlans().map(\.number) == Array(1...12))
        let combinations = spec.previewPlans().map { parameters($0).mapValues(\.canonicalText) }
        #expect(Set(combinations).count == 12)
        #expect(combinations.allSatisfy { $0.keys.sorted() == ["activation", "lr", "optimizer"] })
    }

    @Test func gridVariesTheLastParameterByNameFastest() throws {
        let spec = try SweepFixtures.spec(Self.grid)
        func row(_ index: Int) -> [String] {
            let members = parameters(spec.previewPlans()[index])
            return ["activation", "lr", "optimizer"].map { members[$0]?.shortText ?? "?" }
        }
        #expect(row(0) == ["relu", "0.01", "sgd"])
        #expect(row(1) == ["relu", "0.01", "adam"])
        #expect(row(2) == ["relu", "0.05", "sgd"])
        #expect(row(6) == ["tanh", "0.01", "sgd"])
        #expect(row(11) == ["tanh", "0.1", "adam"])
    }

    @Test func gridWithoutParametersIsASingleTrial() throws {
        let spec = try SweepFixtures.spec(#"{"name": "one", "data": "builtin:phone-price?rows=400", "fixed": {"epochs": 2}}"#)
        #expect(spec.trialCount == 1)
        #expect(spec.previewPlans()[0].parameters == .object([:]))
    }

    @Test func eachTrialConfigurationHoldsTheFixedSettingsAndItsParameters() throws {
        let spec = try SweepFixtures.spec(Self.grid)
        for plan in spec.previewPlans() {
            let configuration = try JSONDecoder().decode(TrainingConfiguration.self, from: Data(plan.configurationJSON.utf8))
            let members = parameters(plan)
            #expect(configuration.hiddenLayers == [8])
            #expect(configuration.epochs == 2)
            #expect(configuration.activation.rawValue == members["activation"]?.shortText)
            #expect(configuration.optimizer.kind.rawValue == members["optimizer"]?.shortText)
            #expect(configuration.optimizer.learningRate.map(Double.init) == number(members["lr"]).map { Double(Float($0)) })
            #expect(configuration.seed == plan.seed)
            #expect(configuration.data.source == SweepFixtures.smallData)
            // Trials train the configuration the plan carries: it must be what is stored.
            #expect(plan.configuration == configuration)
        }
    }

    @Test func theDefaultSweepsPlansCarryExactlyTheirStoredConfigurations() throws {
        let url = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("sweeps/phone-price.json")
        let spec = try SweepSpec.parse(try Data(contentsOf: url), source: url.path)
        #expect(spec.previewPlans().count == 180)
        // 160 networks with the optimizers' own learning rates, 40 epochs of 64 rows; 20 linear
        // models whose lr 0.03 overrides the optimizer's, 600 epochs of 32 rows, half of them
        // softmax regression and half ordinal.
        let configurations = spec.previewPlans().compactMap(\.configuration)
        let networks = configurations.filter { $0.hiddenLayers == [32] }
        let linear = configurations.filter { $0.hiddenLayers.isEmpty }
        #expect(networks.count == 160 && linear.count == 20)
        #expect(networks.allSatisfy { $0.loss == nil })
        #expect(linear.filter { $0.loss == .crossEntropy }.count == 10 && linear.filter { $0.loss == .ordinal }.count == 10)
        #expect(networks.allSatisfy { $0.epochs == 40 && $0.batchSize == 64 && $0.optimizer.learningRate != 0.03 })
        #expect(linear.allSatisfy { $0.epochs == 600 && $0.batchSize == 32 && $0.optimizer.learningRate == 0.03 && $0.schedule == .none && $0.dropout == 0 })
        for plan in spec.previewPlans() {
            let stored = try JSONDecoder().decode(TrainingConfiguration.self, from: Data(plan.configurationJSON.utf8))
            #expect(plan.configuration == stored, "trial \(plan.number)")
        }
        // Plans read back from storage have no decoded configuration, and still compare equal.
        var readBack = spec.previewPlans()[0]
        readBack.configuration = nil
        #expect(readBack == spec.previewPlans()[0])
        #expect(readBack.hashValue == spec.previewPlans()[0].hashValue)
    }

    @Test func randomSearchWithTheSameSeedPlansTheSameTrials() throws {
        let first = try SweepFixtures.spec(Self.random(trials: 30))
        let second = try SweepFixtures.spec(Self.random(trials: 30))
        #expect(first.previewPlans() == second.previewPlans())
    }

    @Test func randomSearchWithAnotherSeedPlansOtherTrials() throws {
        let first = try SweepFixtures.spec(Self.random(trials: 30, seed: 7))
        let second = try SweepFixtures.spec(Self.random(trials: 30, seed: 8))
        #expect(first.previewPlans().map(\.parameters) != second.previewPlans().map(\.parameters))
    }

    @Test func randomTrialDoesNotDependOnTheNumberOfTrials() throws {
        let few = try SweepFixtures.spec(Self.random(trials: 5))
        let many = try SweepFixtures.spec(Self.random(trials: 40))
        #expect(few.trialCount == 5)
        #expect(many.trialCount == 40)
        #expect(Array(many.previewPlans().prefix(5)) == few.previewPlans())
    }

    @Test func distributionsStayWithinTheirBounds() throws {
        let spec = try SweepFixtures.spec(Self.random(trials: 400))
        var batchSizes = Set<Int>()
        var activations = Set<String>()
        var lrBelowGeometricMean = 0
        for plan in spec.previewPlans() {
            let members = parameters(plan)
            let lr = try #require(number(members["lr"]))
            #expect(lr >= 0.0001 && lr <= 0.1)
            // The geometric mean of the bounds splits a log-uniform draw in half.
            if lr < (0.0001 * 0.1).squareRoot() { lrBelowGeometricMean += 1 }

            let batchSize = try #require(number(members["batch_size"]))
            #expect(batchSize == batchSize.rounded())
            batchSizes.insert(Int(batchSize))

            let dropout = try #require(number(members["dropout"]))
            #expect(dropout >= 0 && dropout <= 0.4)
            // A multiple of q = 0.1, printed exactly: 0, 0.1, 0.2, 0.3 or 0.4.
            #expect([0, 0.1, 0.2, 0.3, 0.4].contains(dropout), "dropout \(dropout) is not a multiple of 0.1")

            let momentum = try #require(number(members["momentum"]))
            #expect(momentum >= 0.5 && momentum < 0.9)

            activations.insert(members["activation"]?.shortText ?? "")
        }
        // int_uniform includes both bounds.
        #expect(batchSizes == [2, 3, 4, 5])
        #expect(activations == ["relu", "tanh", "prelu"])
        // 400 fair coin flips land in [150, 250] except with probability below 1e-6.
        #expect((150...250).contains(lrBelowGeometricMean), "\(lrBelowGeometricMean) of 400 draws below the geometric mean")
    }

    @Test func trialSeedsDependOnlyOnSweepSeedAndTrialNumber() throws {
        let grid = try SweepFixtures.spec(Self.grid)  // seed 11
        let random = try SweepFixtures.spec(Self.random(trials: 12, seed: 11))
        let otherGrid = try SweepFixtures.spec(Self.grid.replacingOccurrences(of: #""seed": 11"#, with: #""seed": 12"#))
        // Same sweep seed and number: the same trial seed, whatever the method or parameters.
        #expect(grid.previewPlans().map(\.seed) == random.previewPlans().map(\.seed))
        // Another sweep seed: other trial seeds.
        #expect(zip(grid.previewPlans(), otherGrid.previewPlans()).allSatisfy { $0.seed != $1.seed })
        // Within a sweep no two trials share a seed.
        #expect(Set(grid.previewPlans().map(\.seed)).count == grid.trialCount)
    }

    @Test func canonicalJSONIgnoresKeyOrderAndWhitespace() throws {
        let first = try SweepFixtures.spec(#"{"name": "a", "data": "builtin:phone-price", "seed": 1}"#)
        let second = try SweepFixtures.spec("{\"seed\":1,\n \"data\":\"builtin:phone-price\",\"name\":\"a\"}")
        #expect(first.canonicalJSON == second.canonicalJSON)
    }
}
