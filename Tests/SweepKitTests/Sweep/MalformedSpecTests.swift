import Foundation
import Testing
@testable import SweepKit

/// One broken spec and what its error must say: for each expected problem, the JSON path and a
/// phrase of the message that tells the user what to do.
struct MalformedSpec: Sendable, CustomTestStringConvertible {
    struct Expected: Sendable {
        var path: String
        var phrase: String
    }

    var title: String
    var json: String
    var expected: [Expected]

    init(_ title: String, _ json: String, _ expected: [(path: String, phrase: String)]) {
        self.title = title
        self.json = json
        self.expected = expected.map { Expected(path: $0.path, phrase: $0.phrase) }
    }

    var testDescription: String { title }

    /// A valid spec around `body`, which is spliced in after the name and data.
    static func spec(_ body: String) -> String {
        #"{"name": "broken", "data": "builtin:phone-price?rows=400""# + (body.isEmpty ? "" : ", " + body) + "}"
    }

    static let catalogue: [MalformedSpec] = [
        MalformedSpec("invalid JSON syntax", #"{"name": "broken", "data": "builtin:phone-price","#,
                      [("$", "is not valid JSON")]),
        MalformedSpec("a list at the top level", #"[{"name": "broken"}]"#,
                      [("$", "must be an object, got a list")]),
        MalformedSpec("no name", #"{"data": "builtin:phone-price"}"#,
                      [("$.name", "is required")]),
        // One problem, not "unknown setting" for each of its ten settings.
        MalformedSpec("a configuration for sweep train", #"{"data": "builtin:phone-price", "hidden_layers": [32], "lr": 0.01, "epochs": 100}"#,
                      [("$", "is a training configuration (sweep train FILE trains it), not a sweep spec")]),
        MalformedSpec("a training setting outside fixed", #"{"name": "s", "data": "builtin:phone-price", "epochs": 3, "parameters": {"lr": {"values": [0.1]}}}"#,
                      [("$.epochs", "is a training setting, which a spec sets under \"fixed\" (every trial) or \"parameters\" (searched)")]),
        MalformedSpec("a name with spaces and punctuation", #"{"name": "my sweep!", "data": "builtin:phone-price"}"#,
                      [("$.name", "letters, digits")]),
        MalformedSpec("a name that reads as an option", #"{"name": "-h", "data": "builtin:phone-price"}"#,
                      [("$.name", "must start with a letter or digit")]),
        MalformedSpec("an empty name", #"{"name": "", "data": "builtin:phone-price"}"#,
                      [("$.name", "must not be empty")]),
        MalformedSpec("a name of non-ASCII letters", #"{"name": "préférences", "data": "builtin:phone-price"}"#,
                      [("$.name", "ASCII letters")]),
        // Not "reads as a command-line option": 名 is a letter, only not an ASCII one.
        MalformedSpec("a name starting with a non-ASCII letter", #"{"name": "名前", "data": "builtin:phone-price"}"#,
                      [("$.name", "must start with an ASCII letter or digit, and hold only ASCII letters")]),
        MalformedSpec("a name of a thousand characters", #"{"name": "\#(String(repeating: "a", count: 1000))", "data": "builtin:phone-price"}"#,
                      [("$.name", "at most 100")]),
        MalformedSpec("no data", #"{"name": "broken"}"#,
                      [("$.data", "is required")]),
        MalformedSpec("a misspelled top-level key", spec(#""paramters": {}"#),
                      [("$.paramters", "did you mean 'parameters'?")]),
        MalformedSpec("an unknown method", spec(#""method": "bayesian""#),
                      [("$.method", "unknown method 'bayesian'")]),
        MalformedSpec("random search without a trial count", spec(#""method": "random", "parameters": {"lr": {"values": [0.1]}}"#),
                      [("$.trials", "is required for random search")]),
        MalformedSpec("a trial count on a grid", spec(#""method": "grid", "trials": 10"#),
                      [("$.trials", "applies to random and TPE search only")]),
        MalformedSpec("an unknown metric", spec(#""metric": {"name": "validation_f1"}"#),
                      [("$.metric.name", "unknown metric 'validation_f1'")]),
        MalformedSpec("a validation metric without validation rows",
                      #"{"name": "broken", "data": {"source": "builtin:phone-price", "validation_fraction": 0}, "metric": "validation_accuracy"}"#,
                      [("$.metric", "needs validation rows")]),
        MalformedSpec("ranking by a test metric", spec(#""metric": {"name": "test_accuracy", "goal": "maximize"}"#),
                      [("$.metric", "would leak the test rows")]),
        MalformedSpec("a goal other than maximize or minimize", spec(#""metric": {"name": "validation_accuracy", "goal": "max"}"#),
                      [("$.metric.goal", #"must be "maximize" or "minimize""#)]),
        MalformedSpec("fixed settings that are not an object", spec(#""fixed": [64, 32]"#),
                      [("$.fixed", "must be an object")]),
        MalformedSpec("a seed among the fixed settings", spec(#""fixed": {"seed": 3}"#),
                      [("$.fixed.seed", "top-level seed")]),
        MalformedSpec("data among the fixed settings", spec(#""fixed": {"data": "builtin:phone-price"}"#),
                      [("$.fixed.data", "top level")]),
        MalformedSpec("parameters that are not an object", spec(#""parameters": ["lr", "dropout"]"#),
                      [("$.parameters", "must be an object")]),
        MalformedSpec("a misspelled parameter", spec(#""parameters": {"dropuot": {"values": [0, 0.2]}}"#),
                      [("$.parameters.dropuot", "did you mean 'dropout'?")]),
        MalformedSpec("an empty values list", spec(#""parameters": {"lr": {"values": []}}"#),
                      [("$.parameters.lr.values", "is empty")]),
        // Both were one point of the space: a grid took the second for the first, proposed it
        // again and again, and ran trials without end.
        MalformedSpec("a value listed twice", spec(#""parameters": {"lr": {"values": [0.1, 0.01, 0.10]}}"#),
                      [("$.parameters.lr.values[2]", "repeats values[0] (0.1); list each value once")]),
        MalformedSpec("a depth listed twice",
                      spec(#""parameters": {"hidden_layers": {"depth": {"values": [1, 2, 1]}, "width": {"values": [8]}}}"#),
                      [("$.parameters.hidden_layers.depth.values[2]", "repeats values[0] (1)")]),
        // Every listed value is checked before the sweep runs, one configuration each: a list of
        // a million (a 10 MB spec) took minutes and a gigabyte.
        MalformedSpec("a list of 100,001 values",
                      spec(#""method": "random", "trials": 10, "parameters": {"batch_size": {"values": [\#((1...100_001).map(String.init).joined(separator: ","))]}}"#),
                      [("$.parameters.batch_size.values", "holds 100,001 values; a list may hold at most 100,000")]),
        MalformedSpec("a parameter with neither values nor a distribution", spec(#""parameters": {"lr": {"min": 0.1}}"#),
                      [("$.parameters.lr", #"gives min but no "distribution""#)]),
        MalformedSpec("a parameter object with nothing in it", spec(#""parameters": {"lr": {}}"#),
                      [("$.parameters.lr", #"needs "values""#)]),
        MalformedSpec("a grid over a continuous distribution",
                      spec(#""parameters": {"lr": {"distribution": "log_uniform", "min": 0.001, "max": 0.1}}"#),
                      [("$.parameters.lr", "list the values instead")]),
        MalformedSpec("log_uniform from zero",
                      spec(#""method": "random", "trials": 4, "parameters": {"lr": {"distribution": "log_uniform", "min": 0, "max": 0.1}}"#),
                      [("$.parameters.lr.min", "log_uniform needs min > 0")]),
        MalformedSpec("min equal to max",
                      spec(#""method": "random", "trials": 4, "parameters": {"dropout": {"distribution": "uniform", "min": 0.3, "max": 0.3}}"#),
                      [("$.parameters.dropout", "must be below max")]),
        MalformedSpec("min above max",
                      spec(#""method": "random", "trials": 4, "parameters": {"dropout": {"distribution": "uniform", "min": 0.5, "max": 0.1}}"#),
                      [("$.parameters.dropout", "must be below max")]),
        MalformedSpec("int_uniform with fractional bounds",
                      spec(#""method": "random", "trials": 4, "parameters": {"batch_size": {"distribution": "int_uniform", "min": 8.5, "max": 64}}"#),
                      [("$.parameters.batch_size", "whole-number min and max")]),
        // Whole numbers, but beyond what a draw keeps exactly: the message said they were not whole.
        MalformedSpec("int_uniform with a bound of 10^16",
                      spec(#""method": "random", "trials": 4, "parameters": {"batch_size": {"distribution": "int_uniform", "min": 1, "max": 1e16}}"#),
                      [("$.parameters.batch_size.max", "must be below 10^15 in size, got 1e+16")]),
        MalformedSpec("q_uniform without q",
                      spec(#""method": "random", "trials": 4, "parameters": {"dropout": {"distribution": "q_uniform", "min": 0, "max": 0.4}}"#),
                      [("$.parameters.dropout.q", "is required for q_uniform")]),
        MalformedSpec("an unknown distribution",
                      spec(#""method": "random", "trials": 4, "parameters": {"lr": {"distribution": "normal", "min": 0, "max": 1}}"#),
                      [("$.parameters.lr.distribution", "unknown distribution 'normal'")]),
        MalformedSpec("a zero learning rate among the values", spec(#""parameters": {"lr": {"values": [0.01, 0]}}"#),
                      [("$.parameters.lr.values[1]", "lr must be a positive number")]),
        MalformedSpec("a negative learning rate as a distribution bound",
                      spec(#""method": "random", "trials": 4, "parameters": {"lr": {"distribution": "uniform", "min": -0.1, "max": 0.1}}"#),
                      [("$.parameters.lr.min", "lr must be a positive number")]),
        MalformedSpec("a fixed dropout of 1", spec(#""fixed": {"dropout": 1}"#),
                      [("$.fixed.dropout", "dropout p must be in [0, 1)")]),
        // Below 1 as a Double, 1 as the engine's Float: every trial failed when its network was built.
        MalformedSpec("a fixed dropout that is 1 in 32-bit floats", spec(#""fixed": {"dropout": 0.9999999999}"#),
                      [("$.fixed.dropout", "got 0.9999999999")]),
        MalformedSpec("a hidden layer of width 0 among the values", spec(#""parameters": {"hidden_layers": {"values": [[8], [16, 0]]}}"#),
                      [("$.parameters.hidden_layers.values[1][1]", "positive whole number, got 0")]),
        MalformedSpec("an unknown optimizer among the values", spec(#""parameters": {"optimizer": {"values": ["adam", "adamm"]}}"#),
                      [("$.parameters.optimizer.values[1]", "unknown optimizer 'adamm'")]),
        MalformedSpec("an optimizer among the values with another optimizer's option",
                      spec(#""parameters": {"optimizer": {"values": ["sgd", {"name": "adam", "lr": 0.01, "momentum": 0.9}]}}"#),
                      [("$.parameters.optimizer.values[1].momentum", "adam takes no option 'momentum'")]),
        MalformedSpec("an unknown activation among the values", spec(#""parameters": {"activation": {"values": ["relu", "swish"]}}"#),
                      [("$.parameters.activation.values[1]", "unknown activation 'swish'")]),
        MalformedSpec("an unknown initializer among the values", spec(#""parameters": {"initializer": {"values": ["lecun_normal"]}}"#),
                      [("$.parameters.initializer.values[0]", "unknown initializer 'lecun_normal'")]),
        MalformedSpec("an unknown schedule among the values", spec(#""parameters": {"schedule": {"values": ["none", "cosine_annealing"]}}"#),
                      [("$.parameters.schedule.values[1]", "unknown learning-rate schedule 'cosine_annealing'")]),
        MalformedSpec("a setting both fixed and searched", spec(#""fixed": {"lr": 0.01}, "parameters": {"lr": {"values": [0.1]}}"#),
                      [("$.parameters.lr", "both fixed and searched")]),
        MalformedSpec("a grid combination that does not train",
                      spec(#""method": "grid", "parameters": {"optimizer": {"values": [{"name": "sgd", "nesterov": true, "momentum": 0.9}]}, "momentum": {"values": [0.9, 0]}}"#),
                      [("$ (trial 2)", "nesterov")]),
        MalformedSpec("a bound of a 100,000-trial random search that does not train, found without drawing every trial",
                      spec(#""method": "random", "trials": 100000, "parameters": {"optimizer": {"values": [{"name": "sgd", "nesterov": true, "momentum": 0.9}]}, "momentum": {"distribution": "uniform", "min": 0, "max": 0.9}}"#),
                      [("$ (momentum 0 (in trial 1's settings))", "nesterov")]),
        MalformedSpec("three problems in one file",
                      #"{"data": "builtin:phone-price", "method": "anneal", "fixed": {"dropout": -0.5}, "parameters": {"lr": {"values": [-1]}}}"#,
                      [("$.name", "is required"), ("$.method", "unknown method 'anneal'"),
                       ("$.fixed.dropout", "dropout p must be in [0, 1)"), ("$.parameters.lr.values[0]", "lr must be a positive number")]),
    ]
}

@Suite("Malformed sweep specs")
struct MalformedSpecTests {
    @Test("Every malformed spec is refused with each problem at its JSON path", arguments: MalformedSpec.catalogue)
    func malformedSpecIsRefusedWithItsJSONPath(_ malformed: MalformedSpec) {
        let error = #expect(throws: ConfigurationError.self) {
            try SweepSpec.parse(Data(malformed.json.utf8), source: "spec.json")
        }
        guard let error else { return }
        #expect(error.source == "spec.json")
        for expected in malformed.expected {
            let atPath = error.problems.filter { $0.path == expected.path }
            #expect(!atPath.isEmpty, "no problem at \(expected.path); got \(error.problems)")
            #expect(atPath.contains { $0.message.contains(expected.phrase) },
                    "the problem at \(expected.path) does not say '\(expected.phrase)': \(atPath.map(\.message))")
        }
        // One clear message per cause: the same path is never reported twice.
        let paths = error.problems.map(\.path)
        #expect(Set(paths).count == paths.count, "a path is reported twice: \(error.problems)")
    }

    @Test func errorDescriptionCountsAndListsEveryProblem() throws {
        let three = try #require(MalformedSpec.catalogue.last)
        let error = #expect(throws: ConfigurationError.self) {
            try SweepSpec.parse(Data(three.json.utf8), source: "spec.json")
        }
        let text = try #require(error).description
        // The header names the file and the count; each problem follows on its own line.
        #expect(text.hasPrefix("spec.json: 4 problems\n"))
        for expected in three.expected { #expect(text.contains("  - \(expected.path): ")) }
    }

    /// Optuna's and W&B's way of asking for a log scale: one problem that names the fix, not
    /// min and max called unknown settings (with "did you mean 'min'?").
    @Test func boundsWithoutADistributionNameTheDistributionToAdd() throws {
        let cases = [
            (#"{"min": 0.0001, "max": 0.1, "log": true}"#, #"add "distribution": "log_uniform" in place of "log": true"#),
            (#"{"min": 0, "max": 0.5}"#, #"add "distribution": "uniform""#),
        ]
        for (parameter, fix) in cases {
            let json = MalformedSpec.spec(#""method": "random", "trials": 4, "parameters": {"lr": "# + parameter + "}")
            let error = try #require(#expect(throws: ConfigurationError.self) { try SweepSpec.parse(Data(json.utf8), source: "spec.json") })
            #expect(error.problems.count == 1, "\(error.problems)")
            #expect(error.problems.first?.path == "$.parameters.lr")
            #expect(error.problems.first?.message.contains(fix) == true, "\(error.problems)")
        }
        // A key that is neither a bound nor "log" is still unknown.
        let json = MalformedSpec.spec(#""method": "random", "trials": 4, "parameters": {"lr": {"min": 0, "max": 1, "step": 2}}"#)
        let error = try #require(#expect(throws: ConfigurationError.self) { try SweepSpec.parse(Data(json.utf8), source: "spec.json") })
        #expect(error.problems.map(\.path).sorted() == ["$.parameters.lr", "$.parameters.lr.step"], "\(error.problems)")
    }

    /// The list rules came after sweeps were stored with such lists: the spec a sweep was
    /// stored with is read with its list as it ran, each value once (a repeat is the same point
    /// of the space), while a new spec is refused at the list.
    @Test(arguments: [
        ("a value listed twice", "lr", 2), ("a depth listed twice", "hidden_layers.depth", 2),
        ("a list of 100,001 values", "batch_size", 100_001),
    ])
    func aListANewSpecMayNotHoldIsReadFromAStoredSweep(title: String, dimension: String, count: Int) throws {
        let malformed = try #require(MalformedSpec.catalogue.first { $0.title == title })
        #expect(throws: ConfigurationError.self) { try SweepSpec.parse(Data(malformed.json.utf8), source: "spec.json") }
        let stored = try SweepSpec.parseStored(Data(malformed.json.utf8), source: "stored spec")
        // 0.1, 0.01, 0.10 are 0.1 and 0.01; depths 1, 2, 1 are 1 and 2; batch sizes 1 … 100,001.
        #expect(stored.space.dimension(named: dimension)?.parameter.choiceCount == count)
    }

    @Test func validSpecParsesWithoutProblems() {
        #expect(SweepFixtures.problems(SweepFixtures.smallGrid).isEmpty)
    }

    @Test func validationMetricIsAcceptedWithFoldsInsteadOfValidationRows() {
        let json = #"{"name": "folds", "data": {"source": "builtin:phone-price", "validation_fraction": 0, "folds": 3}}"#
        #expect(SweepFixtures.problems(json).isEmpty)
    }
}
