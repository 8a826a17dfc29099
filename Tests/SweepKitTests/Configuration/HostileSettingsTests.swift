import Foundation
import Testing
@testable import SweepKit

/// Settings a careless or hostile file holds: each is one problem, at the JSON path of the value
/// at fault, saying what the value was and what the limit is.
@Suite struct HostileSettingsTests {
    static let catalogue: [BadConfiguration] = [
        // Values of the wrong kind say what they were.
        .init(#"{"epochs": "40"}"#, at: "$.epochs", mentioning: "must be a whole number", #"got the string "40""#, "write numbers without quotes"),
        .init(#"{"lr": "0.01"}"#, at: "$.lr", mentioning: "must be a number", #"got the string "0.01""#, "without quotes"),
        .init(#"{"batch_norm": "true"}"#, at: "$.batch_norm", mentioning: #"got the string "true""#, "write true and false without quotes"),
        .init(#"{"epochs": 2.5}"#, at: "$.epochs", mentioning: "must be a whole number, got 2.5"),
        .init(#"{"hidden_layers": "64,32"}"#, at: "$.hidden_layers", mentioning: "must be a list of layer widths", #"got the string "64,32""#),
        .init(#"{"schedule": {"name": "cosine", "T_max": "10"}}"#, at: "$.schedule.T_max", mentioning: "must be a whole number", #"the string "10""#),
        .init(#"{"optimizer": {"name": "sgd", "nesterov": 1}}"#, at: "$.optimizer.nesterov", mentioning: "must be true or false, got the number 1"),
        // Numbers beyond what the engine holds, reported where they are.
        .init(#"{"lr": 1e308}"#, at: "$.lr", mentioning: "lr must be a positive number no larger than 3.4e38", "got 1e+308"),
        .init(#"{"weight_decay": 1e39}"#, at: "$.weight_decay", mentioning: "3.4e38", "got 1e+39"),
        .init(#"{"optimizer": {"name": "adam", "lr": 1e300}}"#, at: "$.optimizer.lr", mentioning: "±3.4e38", "got 1e+300"),
        .init(#"{"optimizer": {"name": "adam", "betas": [0.9, -1e300]}}"#, at: "$.optimizer.betas[1]", mentioning: "±3.4e38"),
        .init(#"{"initializer": {"name": "normal", "std": 1e200}}"#, at: "$.initializer.std", mentioning: "±3.4e38"),
        .init(#"{"schedule": {"name": "step", "step_size": 2.5}}"#, at: "$.schedule.step_size", mentioning: "whole number of epochs, got 2.5"),
        .init(#"{"schedule": {"name": "multistep", "milestones": [2, 1e19]}}"#, at: "$.schedule.milestones[1]", mentioning: "too large for a count of epochs", "1,000,000"),
        .init(#"{"seed": 1e20}"#, at: "$.seed", mentioning: "at most 2^53 = 9007199254740992", "got 1e+20"),
        // Ranges state their limits.
        .init(#"{"hidden_layers": [100000000]}"#, at: "$.hidden_layers[0]", mentioning: "got 100000000", "the widest layer allowed is 1,000,000"),
        .init(#"{"hidden_layers": [64, -1]}"#, at: "$.hidden_layers[1]", mentioning: "got -1", "1,000,000"),
        .init(#"{"epochs": 10000000}"#, at: "$.epochs", mentioning: "epochs must be from 1 to 1,000,000", "got 10000000"),
        .init(#"{"patience": 2000000}"#, at: "$.patience", mentioning: "from 1 to 1,000,000 epochs"),
        .init(#"{"repeats": 101}"#, at: "$.repeats", mentioning: "between 1 and 100"),
        // An object that names a key twice: JSON parsers keep one value silently.
        .init("{\"epochs\": 10,\n \"lr\": 0.1,\n \"epochs\": 100}", at: "$.epochs", mentioning: "is given on lines 1 and 3"),
        .init(#"{"data": {"source": "a.csv", "\u0073ource": "b.csv"}}"#, at: "$.data.source", mentioning: "is given twice on line 1"),
        .init(#"{"optimizer": {"name": "adam", "betas": [0.9, 0.99], "name": "sgd"}}"#, at: "$.optimizer.name", mentioning: "twice"),
    ]

    @Test(arguments: catalogue)
    func hostileSettingIsOneProblemAtItsPath(_ bad: BadConfiguration) throws {
        // A key given twice is found while parsing, the rest while reading.
        let found: [ConfigurationProblem]
        do {
            found = try problems(in: bad.json)
        } catch let error as ConfigurationError {
            found = error.problems
        }
        #expect(found.map(\.path) == [bad.path], "\(found)")
        let message = try #require(found.first?.message)
        for words in bad.mentions {
            #expect(message.contains(words), "\(message)")
        }
    }

    @Test func aThousandAndOneLayersAreOneProblem() throws {
        let json = #"{"hidden_layers": ["# + Array(repeating: "8", count: 1001).joined(separator: ", ") + "]}"
        let found = try problems(in: json)
        #expect(found.map(\.path) == ["$.hidden_layers"])
        #expect(found.first?.message == "a network has at most 1,000 hidden layers, got 1,001")
    }

    /// Syntax that JSONDecoder reports without a place: the message gives line and column.
    @Test(arguments: [
        ("{\"epochs\": 1,\n \"lr\": 1e999}", "line 2, column 8: the number 1e999 is beyond what a JSON number here may be"),
        ("{\"lr\": -1e999}", "line 1, column 8: the number -1e999"),
        // A string holding a huge number is not a number: the real culprit is found after it.
        ("{\"name\": \"1e999\", \"x\": [1,\n 2e400]}", "line 2, column 2: the number 2e400"),
        (String(repeating: "[", count: 600) + String(repeating: "]", count: 600), "nested more than 512 deep"),
        ("{\"epochs\": 1,\u{0} \"x\": 1}", "unexpected text in `{\"epochs\": 1,\\0 \"x\": 1}`"),
    ])
    func invalidJSONSaysWhere(json: String, expected: String) throws {
        do {
            _ = try JSONValue.parse(Data(json.utf8), source: "config.json")
            Issue.record("invalid JSON parsed: \(json)")
        } catch {
            let message = try #require(error.problems.first?.message)
            #expect(error.problems.map(\.path) == ["$"])
            #expect(message.contains(expected), "\(message)")
        }
    }

    @Test func bytesThatAreNotUTF8AreFoundByLineAndColumn() throws {
        let bytes = Array("{\"epochs\": 1,\n \"activation\": \"re".utf8) + [0xFF] + Array("lu\"}".utf8)
        do {
            _ = try JSONValue.parse(Data(bytes), source: "config.json")
            Issue.record("bytes that are not UTF-8 parsed")
        } catch {
            let message = try #require(error.problems.first?.message)
            #expect(message.contains("line 2, column 19: the text is not UTF-8 (byte 0xFF); save the file as UTF-8"), "\(message)")
        }
    }

    @Test func duplicateKeysInSeparateObjectsAndArraysAreNotDuplicates() throws {
        let json = #"{"fixed": {"lr": 0.1}, "parameters": {"lr": {"values": [{"name": "adam"}, {"name": "sgd"}]}}}"#
        #expect(duplicateKeys(in: Array(json.utf8)).isEmpty)
        #expect(duplicateKeys(in: Array(#"{"a": "\"a\": 1", "b": 2}"#.utf8)).isEmpty)
        #expect(duplicateKeys(in: Array(#"[{"a": 1, "a": 2}]"#.utf8)) == [DuplicateKey(path: "$[0].a", firstLine: 1, secondLine: 1)])
    }
}
