import Foundation
import Testing
@testable import SweepKit

/// Which spec edits grow a stored sweep and which make it another sweep.
@Suite struct SpecChangeTests {
    static func random(trials: Int, description: String = "a", lr: String = "0.1") -> String {
        """
        {"name": "s", "description": "\(description)", "data": "\(SweepFixtures.smallData)", "method": "random",
         "trials": \(trials), "fixed": {"epochs": 2},
         "parameters": {"lr": {"distribution": "log_uniform", "min": 0.001, "max": \(lr)}}}
        """
    }

    static func grid(_ rates: String, epochs: Int = 2, when: String = "") -> String {
        """
        {"name": "s", "data": "\(SweepFixtures.smallData)", "fixed": {"epochs": \(epochs)},
         "parameters": {"lr": {"values": [\(rates)]}, "optimizer": {"values": ["sgd", "adam"]},
                        "momentum": {"values": [0.9]\(when)}}}
        """
    }

    private func change(_ old: String, _ new: String) throws -> SpecChange {
        try SweepFixtures.spec(new).change(from: SweepFixtures.spec(old).canonicalJSON)
    }

    /// Where the data is found is no part of a fingerprinted sweep; its other data settings are.
    @Test func aDataSourceElsewhereIsTheSameSweepWhenTheDataIsFingerprinted() throws {
        func spec(_ data: String) throws -> SweepSpec {
            try SweepFixtures.spec(#"{"name": "s", "data": \#(data), "fixed": {"epochs": 2}, "parameters": {"lr": {"values": [0.1]}}}"#)
        }
        let stored = try spec(#""/old/place/data.csv""#).canonicalJSON
        #expect(try spec(#""/new/place/data.csv""#).change(from: stored, ignoringDataSource: true) == .same)
        #expect(try spec(#"{"source": "moved.csv"}"#).change(from: stored, ignoringDataSource: true) == .same)
        // Without a fingerprint to tell, the path is what there is.
        #expect(try spec(#""/new/place/data.csv""#).change(from: stored) != .same)
        // Another split is another sweep, wherever the file is.
        let otherSplit = try spec(#"{"source": "/new/place/data.csv", "split_seed": 7}"#).change(from: stored, ignoringDataSource: true)
        guard case .changed(let reason) = otherSplit else { Issue.record("\(otherSplit)"); return }
        #expect(reason.contains("\"data\""), "\(reason)")
    }

    @Test func moreTrialsGrowARandomSweep() throws {
        #expect(try change(Self.random(trials: 10), Self.random(trials: 30)) == .grown)
        #expect(try change(Self.random(trials: 10), Self.random(trials: 10, description: "b")) == .same)
    }

    @Test func fewerTrialsOrAnotherRangeMakeAnotherSweep() throws {
        guard case .changed(let fewer) = try change(Self.random(trials: 10), Self.random(trials: 5)) else {
            Issue.record("fewer trials must not continue the sweep")
            return
        }
        #expect(fewer.contains("--trials"))
        guard case .changed(let range) = try change(Self.random(trials: 10), Self.random(trials: 20, lr: "0.2")) else {
            Issue.record("another range must not continue the sweep")
            return
        }
        #expect(range.contains("\"parameters\""), "\(range)")
    }

    @Test func moreGridValuesGrowAGridInAnyOrder() throws {
        #expect(try change(Self.grid("0.01, 0.1"), Self.grid("0.001, 0.01, 0.1")) == .grown)
        #expect(try change(Self.grid("0.01, 0.1"), Self.grid("0.1, 0.01")) == .same)
    }

    @Test func aGridThatLosesAValueOrChangesElsewhereIsAnotherSweep() throws {
        guard case .changed(let lost) = try change(Self.grid("0.01, 0.1"), Self.grid("0.01, 0.05")) else {
            Issue.record("a lost value must not continue the sweep")
            return
        }
        #expect(lost.contains("no longer lists 0.1"), "\(lost)")
        #expect(try change(Self.grid("0.01"), Self.grid("0.01, 0.1", epochs: 3)) != .grown)
        // A condition's values are not grid values: changing them changes the sweep.
        let narrow = Self.grid("0.01", when: #", "when": {"optimizer": ["sgd"]}"#)
        let wide = Self.grid("0.01", when: #", "when": {"optimizer": ["sgd", "adam"]}"#)
        #expect(try change(narrow, wide) != .grown && change(narrow, wide) != .same)
    }
}
