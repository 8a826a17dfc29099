import Foundation
import SweepKit
import Testing
@testable import sweep

/// `sweep bench --pruning` runs the default grid's networks: the founding comparison, without
/// the linear models the default sweep also trains.
@Suite struct PruningBenchmarkGridTests {
    @Test func theNetworkBranchKeepsWhatAppliesToTheFirstLayerListAndFixesIt() throws {
        let parameters = try #require(try JSONValue.parse(Data(#"""
            {"hidden_layers": {"values": [[32], []]},
             "optimizer": {"values": ["sgd", "adam"]},
             "dropout": {"values": [0, 0.2], "when": {"hidden_layers": [[32]]}},
             "lr": {"values": [0.03], "when": {"hidden_layers": [[]]}}}
            """#.utf8), source: "test").objectMembers)
        let (kept, layers) = SearchBenchmark.networkBranch(of: parameters)
        #expect(layers == .array([.number(32)]))
        #expect(kept.keys.sorted() == ["dropout", "optimizer"])
        // Its condition is gone with the layer list it named.
        #expect(kept["dropout"] == .object(["values": .array([.number(0), .number(0.2)])]))
    }

    @Test func theDefaultGridsNetworksAreTheFoundingComparisonsOneHundredAndSixtyTrials() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try Data(contentsOf: root.appendingPathComponent("sweeps/phone-price.json"))
        let members = try #require(try JSONValue.parse(text, source: "phone-price.json").objectMembers)
        let parameters = try #require(members["parameters"]?.objectMembers)
        let (kept, layers) = SearchBenchmark.networkBranch(of: parameters)
        #expect(layers == .array([.number(32)]))
        var grid = members
        grid["parameters"] = .object(kept)
        var fixed = try #require(members["fixed"]?.objectMembers)
        fixed["hidden_layers"] = layers
        grid["fixed"] = .object(fixed)
        let spec = try SweepSpec.parse(Data(JSONValue.object(grid).canonicalText.utf8), source: "network grid")
        #expect(spec.trialCount == 160)
        #expect(spec.space.settingNames.sorted() == ["batch_norm", "dropout", "initializer", "optimizer", "schedule"])
    }
}

private extension JSONValue {
    var objectMembers: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }
}
