import Foundation
import Testing
@testable import SweepKit

/// One bad configuration and what reading it must say: the JSON path of the problem and words
/// the message must contain.
struct BadConfiguration: Sendable, CustomTestStringConvertible {
    let json: String
    let path: String
    let mentions: [String]

    init(_ json: String, at path: String, mentioning mentions: String...) {
        self.json = json
        self.path = path
        self.mentions = mentions
    }

    var testDescription: String { json }
}

/// Reading a configuration reports every problem with its JSON path, instead of stopping at the
/// first decoding error.
@Suite struct ConfigurationProblemTests {
    static let catalogue: [BadConfiguration] = [
        // Unknown keys, with the closest known name when there is one.
        .init(#"{"epoch": 3}"#, at: "$.epoch", mentioning: "unknown setting 'epoch'", "did you mean 'epochs'?"),
        .init(#"{"hiden_layers": [3]}"#, at: "$.hiden_layers", mentioning: "did you mean 'hidden_layers'?"),
        .init(#"{"xyzzy": 3}"#, at: "$.xyzzy", mentioning: "unknown setting 'xyzzy'", "known settings:", "hidden_layers"),
        .init(#"{"data": {"source": "a.csv", "targt": "y"}}"#, at: "$.data.targt", mentioning: "did you mean 'target'?"),
        .init(#"{"optimizer": {"name": "adam", "beta": [0.9, 0.99]}}"#, at: "$.optimizer.beta", mentioning: "unknown optimizer option 'beta'", "did you mean 'betas'?"),
        .init(#"{"schedule": {"name": "step", "step_size": 2, "gama": 0.5}}"#, at: "$.schedule.gama", mentioning: "unknown schedule option 'gama'", "did you mean 'gamma'?"),
        .init(#"{"initializer": {"name": "normal", "stdev": 2}}"#, at: "$.initializer.stdev", mentioning: "unknown initializer option 'stdev'", "did you mean 'std'?"),
        // Options of another optimizer, which the named one would train without.
        .init(#"{"optimizer": {"name": "adam", "lr": 0.01, "momentum": 0.9}}"#, at: "$.optimizer.momentum", mentioning: "adam takes no option 'momentum'", "its options are lr, betas, eps, weight_decay", "first beta"),
        .init(#"{"optimizer": {"name": "sgd", "betas": [0.9, 0.99]}}"#, at: "$.optimizer.betas", mentioning: "sgd takes no option 'betas'", "lr, momentum, dampening, nesterov, weight_decay"),
        .init(#"{"optimizer": {"name": "adagrad", "momentum": 0.9}}"#, at: "$.optimizer.momentum", mentioning: "adagrad takes no option 'momentum'", "lr, eps, weight_decay"),
        .init(#"{"optimizer": {"name": "rmsprop", "nesterov": true}}"#, at: "$.optimizer.nesterov", mentioning: "rmsprop takes no option 'nesterov'", "lr, alpha, eps, momentum, weight_decay"),
        .init(#"{"optimizer": {"name": "adamw", "alpha": 0.9}}"#, at: "$.optimizer.alpha", mentioning: "adamw takes no option 'alpha'"),
        // Wrong types.
        .init(#"[1, 2]"#, at: "$", mentioning: "must be an object", "got a list"),
        .init(#"{"epochs": "ten"}"#, at: "$.epochs", mentioning: "must be a whole number", "got the string \"ten\""),
        .init(#"{"epochs": 2.5}"#, at: "$.epochs", mentioning: "must be a whole number", "got 2.5"),
        .init(#"{"batch_norm": 1}"#, at: "$.batch_norm", mentioning: "must be true or false", "got the number 1"),
        .init(#"{"activation": 3}"#, at: "$.activation", mentioning: "must be a string", "got a number"),
        .init(#"{"lr": "fast"}"#, at: "$.lr", mentioning: "must be a number", "got the string \"fast\""),
        .init(#"{"data": 5}"#, at: "$.data", mentioning: "must be an object", "got a number"),
        .init(#"{"data": {"source": "a.csv", "standardize": "yes"}}"#, at: "$.data.standardize", mentioning: "must be true or false", "got the string \"yes\""),
        .init(#"{"hidden_layers": 64}"#, at: "$.hidden_layers", mentioning: "must be a list of layer widths", "got the number 64"),
        .init(#"{"optimizer": {"name": "sgd", "lr": "fast"}}"#, at: "$.optimizer.lr", mentioning: "must be a number"),
        .init(#"{"schedule": {"name": "step", "step_size": "two"}}"#, at: "$.schedule.step_size", mentioning: "must be a whole number"),
        .init(#"{"optimizer": 3}"#, at: "$.optimizer", mentioning: "must be a name or an object", "got a number"),
        .init(#"{"schedule": [1]}"#, at: "$.schedule", mentioning: "must be a name or an object", "got a list"),
        .init(#"{"initializer": true}"#, at: "$.initializer", mentioning: "must be a name or an object", "got true/false"),
        // Values out of range.
        .init(#"{"lr": 0}"#, at: "$.lr", mentioning: "lr must be a positive number", "got 0"),
        .init(#"{"lr": -0.1}"#, at: "$.lr", mentioning: "lr must be a positive number", "got -0.1"),
        .init(#"{"optimizer": {"name": "sgd", "lr": 0}}"#, at: "$.optimizer", mentioning: "learning rate (lr)", "must be a positive number"),
        .init(#"{"dropout": 1}"#, at: "$.dropout", mentioning: "dropout p must be in [0, 1)", "got 1"),
        .init(#"{"dropout": 1.5}"#, at: "$.dropout", mentioning: "dropout p must be in [0, 1)", "got 1.5"),
        .init(#"{"dropout": -0.1}"#, at: "$.dropout", mentioning: "dropout p must be in [0, 1)"),
        .init(#"{"hidden_layers": [64, 0]}"#, at: "$.hidden_layers[1]", mentioning: "a layer width must be a positive whole number", "got 0"),
        .init(#"{"hidden_layers": ["abc"]}"#, at: "$.hidden_layers[0]", mentioning: "a layer width must be a positive whole number", "got the string \"abc\""),
        .init(#"{"hidden_layers": [12.5]}"#, at: "$.hidden_layers[0]", mentioning: "got 12.5"),
        .init(#"{"batch_size": 0}"#, at: "$.batch_size", mentioning: "batch_size must be at least 1", "got 0"),
        .init(#"{"epochs": 0}"#, at: "$.epochs", mentioning: "epochs must be from 1 to 1,000,000"),
        .init(#"{"momentum": 1}"#, at: "$.momentum", mentioning: "momentum must be in [0, 1)"),
        .init(#"{"weight_decay": -1}"#, at: "$.weight_decay", mentioning: "weight_decay must be zero or positive"),
        .init(#"{"negative_slope": 1}"#, at: "$.negative_slope", mentioning: "must be in [0, 1)"),
        .init(#"{"seed": -1}"#, at: "$.seed", mentioning: "seed must be zero or positive"),
        .init(#"{"patience": 0}"#, at: "$.patience", mentioning: "patience must be from 1 to 1,000,000 epochs"),
        .init(#"{"optimizer": {"name": "adam", "betas": [0.9]}}"#, at: "$.optimizer", mentioning: "betas", "two numbers in [0, 1)"),
        .init(#"{"initializer": {"name": "uniform", "a": 2, "b": 1}}"#, at: "$.initializer", mentioning: "a < b"),
        .init(#"{"schedule": {"name": "step", "step_size": 0}}"#, at: "$.schedule", mentioning: "step_size", "positive number of epochs"),
        .init(#"{"schedule": {"name": "step"}}"#, at: "$.schedule", mentioning: "missing 'step_size'"),
        // Unknown names, each listing the known ones.
        .init(#"{"activation": "relux"}"#, at: "$.activation", mentioning: "unknown activation 'relux'", "leaky_relu"),
        .init(#"{"initializer": "kaiming"}"#, at: "$.initializer", mentioning: "unknown initializer 'kaiming'", "kaiming_normal"),
        .init(#"{"initializer": {"name": "glorot"}}"#, at: "$.initializer", mentioning: "unknown initializer 'glorot'", "xavier_uniform"),
        .init(#"{"optimizer": "adamx"}"#, at: "$.optimizer", mentioning: "unknown optimizer 'adamx'", "adamw", "rmsprop"),
        .init(#"{"optimizer": {"name": "nadam", "lr": 0.1}}"#, at: "$.optimizer", mentioning: "unknown optimizer 'nadam'", "sgd"),
        .init(#"{"schedule": "steplr"}"#, at: "$.schedule", mentioning: "unknown learning-rate schedule 'steplr'", "multistep"),
        .init(#"{"loss": "mse2"}"#, at: "$.loss", mentioning: "unknown loss 'mse2'", "bce_with_logits", "smooth_l1"),
        .init(#"{"data": {"source": "a.csv", "task": "classify"}}"#, at: "$.data.task", mentioning: "unknown task 'classify'", "multiclass, binary, regression"),
        .init(#"{"early_stopping_metric": "test_loss", "patience": 2}"#, at: "$.early_stopping_metric", mentioning: "unknown metric 'test_loss'", "validation_accuracy"),
        // The data section.
        .init(#"{"data": {"source": "a.csv", "test_fraction": 1.5}}"#, at: "$.data.test_fraction", mentioning: "must be in [0, 1)", "got 1.5"),
        .init(#"{"data": {"source": "a.csv", "test_fraction": 0}}"#, at: "$.data.test_fraction", mentioning: "0 keeps no rows back", "set data.folds"),
        .init(#"{"data": {"source": "a.csv", "validation_fraction": 1}}"#, at: "$.data.validation_fraction", mentioning: "must be in [0, 1)"),
        .init(#"{"data": {"source": "a.csv", "test_fraction": 0.6, "validation_fraction": 0.5}}"#, at: "$.data", mentioning: "must leave rows to train on", "sum is 1.1"),
        .init(#"{"data": {"target": "y"}}"#, at: "$.data.source", mentioning: "is required"),
        .init(#"{"data": {"source": "a.csv", "folds": 1}}"#, at: "$.data.folds", mentioning: "at least 2 folds"),
        .init(#"{"data": {"source": "a.csv", "split_seed": -1}}"#, at: "$.data.split_seed", mentioning: "zero or positive"),
        .init(#"{"data": {"source": "a.csv", "validation_fraction": 0}, "patience": 3}"#, at: "$.patience", mentioning: "early stopping needs validation rows", "validation_fraction"),
    ]

    @Test(arguments: catalogue)
    func badConfigurationIsReportedOnceAtItsPath(_ bad: BadConfiguration) throws {
        let found = try problems(in: bad.json)

        // Exactly one problem: each case has one thing wrong, so a second problem is noise or
        // a knock-on error the reader should have avoided.
        #expect(found.map(\.path) == [bad.path], "\(found)")
        let message = try #require(found.first?.message)
        for words in bad.mentions {
            #expect(message.contains(words), "\(message)")
        }
    }

    @Test func severalProblemsAreReportedTogether() throws {
        let json = #"""
            {"epoch": 3, "lr": 0, "dropout": 1, "hidden_layers": [0, "abc"], "activation": "relux",
             "optimizer": "adamx", "data": {"source": "a.csv", "test_fraction": 2}}
            """#
        do {
            _ = try configuration(json)
            Issue.record("a configuration with seven mistakes parsed")
        } catch let error as ConfigurationError {
            #expect(Set(error.problems.map(\.path)) == [
                "$.epoch", "$.lr", "$.dropout", "$.hidden_layers[0]", "$.hidden_layers[1]", "$.activation",
                "$.optimizer", "$.data.test_fraction",
            ])
            #expect(error.source == "test configuration")
            // The description lists every problem under a count, one per line.
            #expect(error.description.hasPrefix("test configuration: 8 problems\n"))
            #expect(error.description.components(separatedBy: "\n  - ").count == 9)
        }
    }

    @Test func problemsInsideTheDataSectionAndOutsideItAreAllReported() throws {
        let found = try problems(in: #"{"data": {"task": "classify", "folds": 1, "sorce": "x"}, "batch_size": 0}"#)

        #expect(found.map(\.path) == ["$.data.source", "$.data.task", "$.data.folds", "$.data.sorce", "$.batch_size"])
    }

    @Test func invalidJSONIsOneProblemAtTheRoot() throws {
        do {
            _ = try configuration(#"{"epochs": 3"#)
            Issue.record("unterminated JSON parsed")
        } catch let error as ConfigurationError {
            #expect(error.problems.map(\.path) == ["$"])
            #expect(error.problems.first?.message.hasPrefix("is not valid JSON") == true)
        }
    }

    /// The message says where the syntax breaks, as an editor counts (lines and characters from
    /// 1), and shows that line.
    @Test(arguments: [
        (#"{"epochs": 3,"# + "\n" + #" "seed": 1,,"# + "\n}", "line 2, column 12: unexpected text in `\"seed\": 1,,`"),
        (#"{"optimizer": adam}"#, "line 1, column 15: unexpected text in `{\"optimizer\": adam}`"),
        // é is two bytes of UTF-8 but one column.
        (#"{"data": "é", "seed": 1 2}"#, "line 1, column 25: unexpected text"),
        (#"{"epochs": 3}"# + "\n\n  x", "line 3, column 3: unexpected text in `x`"),
        (#"{"epochs": 3"#, "the text ends inside a value; check for an unclosed {, [ or \""),
        ("", "the file is empty"),
        // It said the text ended inside a value, and to look for an unclosed bracket.
        (" \n\t\r\n", "the file holds only white space"),
        // JSONSerialization reads it as 0 and JSONDecoder refuses it: the message was a DecodingError.
        (#"{"lr": 1e-400}"#, "line 1, column 8: the number 1e-400 is too close to zero to hold"),
        // Half a UTF-16 pair, or too few hex digits: the messages said the text ended inside a
        // value, or gave the parser's words with no place.
        (#"{"description": "\ud800"}"#, #"line 1, column 18: the escape \ud800 is not a character"#),
        (#"{"description": "a\udc00"}"#, #"line 1, column 19: the escape \udc00 is not a character"#),
        (#"{"description": "\u12"}"#, #"line 1, column 18: the escape \u12 is not a character"#),
    ])
    func invalidJSONSaysWhereItBreaks(json: String, expected: String) throws {
        do {
            _ = try JSONValue.parse(Data(json.utf8), source: "config.json")
            Issue.record("invalid JSON parsed: \(json)")
        } catch {
            #expect(error.problems.map(\.path) == ["$"])
            let message = try #require(error.problems.first?.message)
            #expect(message.hasPrefix("is not valid JSON: \(expected)"), "\(message)")
        }
    }

    @Test func validConfigurationHasNoProblems() throws {
        let found = try problems(in: #"""
            {"data": {"source": "a.csv", "target": "y", "folds": 3}, "hidden_layers": [32, 16],
             "activation": "leaky_relu", "negative_slope": 0.2, "initializer": "xavier_uniform",
             "dropout": 0.25, "batch_norm": true, "loss": "mse", "optimizer": {"name": "adamw", "betas": [0.8, 0.9]},
             "lr": 0.003, "weight_decay": 0.01, "schedule": {"name": "cosine", "T_max": 20},
             "batch_size": 64, "epochs": 20, "patience": 4, "early_stopping_metric": "validation_rmse", "seed": 5}
            """#)

        // The control for the catalogue: every setting above is used, and none is a problem.
        #expect(found.isEmpty, "\(found)")
    }

    @Test func patienceWithFoldsNeedsNoValidationFraction() throws {
        // k-fold validates on each fold's held-out rows, so validation_fraction 0 is fine.
        let found = try problems(in: #"{"data": {"source": "a.csv", "validation_fraction": 0, "folds": 3}, "patience": 3}"#)

        #expect(found.isEmpty, "\(found)")
    }
}
