import Datasets
import Foundation
import Testing
@testable import SweepKit

/// The spec `sweep auto` writes: a valid TPE sweep over linear models and small networks, scored
/// by k-fold cross-validation over every row, sized from the data.
@Suite struct AutoSpecTests {
    static func spec(task: TaskKind = .multiclass, rows: Int = 1200) throws -> (AutoSpec, SweepSpec) {
        let auto = AutoSpec(name: "auto-phone", source: "data/phone.csv", target: "price_range", task: task, rowCount: rows, featureCount: 20)
        return (auto, try SweepFixtures.spec(auto.json()))
    }

    @Test func theSpecIsATPESweepScoredByFiveFoldsOverEveryRow() throws {
        let (auto, spec) = try Self.spec()
        #expect(spec.name == "auto-phone")
        #expect(spec.method == .tpe)
        #expect(spec.data.source == "data/phone.csv" && spec.data.target == "price_range" && spec.data.task == .multiclass)
        #expect(spec.data.folds == 5 && spec.data.testFraction == 0)
        #expect(spec.pruner != nil)
        #expect(spec.metric.name == .validationAccuracy)
        #expect(auto.batchSizes == [32, 64, 128])
        // Searched: depth 0 (a linear model) to 3, widths, and the training settings.
        let names = Set(spec.space.dimensions.map(\.name))
        for name in ["hidden_layers.depth", "hidden_layers.width_1", "activation", "batch_norm", "optimizer", "momentum", "lr", "weight_decay", "dropout", "batch_size"] {
            #expect(names.contains(name), "\(name) is not searched: \(names.sorted())")
        }
        // The first trial is a linear model (logistic regression with an L2 penalty).
        #expect(spec.enqueued.first?["hidden_layers"] == .array([]))
    }

    /// Three or more classes may be in order (price ranges, ratings): the loss is searched,
    /// cross-entropy or ordinal, and a linear ordinal model is among the first trials. Two
    /// classes and regression targets have their task's loss only.
    @Test func classesSearchTheOrdinalLossToo() throws {
        let (_, spec) = try Self.spec()
        let loss = try #require(spec.space.dimensions.first { $0.name == "loss" })
        #expect(loss.parameter == .values([.string("cross_entropy"), .string("ordinal")]))
        #expect(spec.enqueued.map { $0["loss"] } == [.string("cross_entropy"), .string("cross_entropy"), .string("ordinal")])
        #expect(spec.enqueued[2]["hidden_layers"] == .array([]))

        for task in [TaskKind.binary, .regression] {
            let (_, other) = try Self.spec(task: task)
            #expect(!other.space.dimensions.contains { $0.name == "loss" })
            #expect(other.enqueued.count == 2 && other.enqueued.allSatisfy { $0["loss"] == nil })
        }
    }

    /// Activation, batch norm and dropout act on hidden layers only: a linear model's trials
    /// (the enqueued one and the sampler's) carry none of them, and every network's carries all
    /// three, so TPE never learns from a value that changed nothing.
    @Test func linearModelsDoNotSampleWhatActsOnHiddenLayersOnly() throws {
        let (_, spec) = try Self.spec()
        let layerSettings = ["activation", "batch_norm", "dropout"]
        var depths = Set<Int>()
        for number in 1...60 {
            let parameters = try #require(spec.proposal(for: number, history: .empty))
            guard case .array(let layers) = try #require(parameters["hidden_layers"]) else {
                Issue.record("trial \(number): hidden_layers is not a list: \(parameters)")
                continue
            }
            depths.insert(layers.count)
            for name in layerSettings {
                #expect((parameters[name] != nil) == !layers.isEmpty, "trial \(number), \(layers.count) layers: \(name) = \(String(describing: parameters[name]))")
            }
        }
        #expect(depths == [0, 1, 2, 3])
        #expect(spec.enqueued[0]["hidden_layers"] == .array([]) && spec.enqueued[0]["activation"] == nil)
    }

    @Test func theSizeOfTheDataSetsTheFoldsWidthsAndBatches() throws {
        let small = AutoSpec(name: "a", source: "a.csv", target: "y", task: .binary, rowCount: 300, featureCount: 5)
        #expect(small.folds == 5 && small.maximumWidth == 256 && small.batchSizes == [16, 32, 64, 128])
        let large = AutoSpec(name: "a", source: "a.csv", target: "y", task: .binary, rowCount: 20_000, featureCount: 5)
        #expect(large.folds == 3 && large.maximumWidth == 512 && large.batchSizes == [32, 64, 128, 256])
    }

    @Test func aRegressionTargetGetsTheRegressionMetric() throws {
        let (_, spec) = try Self.spec(task: .regression)
        #expect(try spec.resolvingDefaultMetric(for: .regression).metric.name == .validationRMSE)
    }

    @Test func theSweepIsNamedAfterTheFile() {
        #expect(AutoSpec.name(forSource: "../shared/data/phone_price.csv") == "auto-phone_price")
        #expect(AutoSpec.name(forSource: "/tmp/My data (v2).csv") == "auto-My-data--v2-")
        // Names in other scripts kept apart (both were auto---): FNV-1a of the stem's UTF-8,
        // computed with Python's own bytes.
        #expect(AutoSpec.name(forSource: "日本.csv") == "auto----9f26ee51")
        #expect(AutoSpec.name(forSource: "data/中国.csv") == "auto----0b910c6f")
        #expect(AutoSpec.name(forSource: "prix_téléphones.csv") == "auto-prix_t-l-phones-39a52972")
    }
}
