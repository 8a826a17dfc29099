import Foundation
import Testing

/// A broken spec file and the JSON path its error must name.
struct BrokenSpecFile: Sendable, CustomTestStringConvertible {
    var file: String
    var json: String
    var path: String
    var phrase: String

    var testDescription: String { file }

    static func spec(_ body: String) -> String {
        #"{"name": "broken", "data": "builtin:phone-price?rows=400", "fixed": {"hidden_layers": [8], "epochs": 2}"# + (body.isEmpty ? "" : ", " + body) + "}"
    }

    static let catalogue: [BrokenSpecFile] = [
        BrokenSpecFile(file: "truncated.json", json: #"{"name": "broken", "data": "#, path: "$", phrase: "is not valid JSON"),
        BrokenSpecFile(file: "list.json", json: "[1, 2, 3]", path: "$", phrase: "must be an object"),
        BrokenSpecFile(file: "no-name.json", json: #"{"data": "builtin:phone-price"}"#, path: "$.name", phrase: "is required"),
        BrokenSpecFile(file: "bad-name.json", json: #"{"name": "a/b", "data": "builtin:phone-price"}"#, path: "$.name", phrase: "letters, digits"),
        BrokenSpecFile(file: "no-data.json", json: #"{"name": "broken"}"#, path: "$.data", phrase: "is required"),
        BrokenSpecFile(file: "typo-key.json", json: spec(#""metirc": "validation_loss""#), path: "$.metirc", phrase: "did you mean 'metric'?"),
        BrokenSpecFile(file: "method.json", json: spec(#""method": "bayes""#), path: "$.method", phrase: "unknown method 'bayes'"),
        BrokenSpecFile(file: "random-no-trials.json", json: spec(#""method": "random", "parameters": {"lr": {"values": [0.1]}}"#), path: "$.trials", phrase: "is required for random search"),
        BrokenSpecFile(file: "test-metric.json", json: spec(#""metric": "test_accuracy""#), path: "$.metric", phrase: "leak"),
        BrokenSpecFile(file: "goal.json", json: spec(#""metric": {"name": "validation_loss", "goal": "lowest"}"#), path: "$.metric.goal", phrase: "maximize"),
        BrokenSpecFile(file: "fixed-seed.json", json: #"{"name": "broken", "data": "builtin:phone-price", "fixed": {"seed": 1}}"#, path: "$.fixed.seed", phrase: "top-level seed"),
        BrokenSpecFile(file: "typo-parameter.json", json: spec(#""parameters": {"batch_sise": {"values": [8, 16]}}"#), path: "$.parameters.batch_sise", phrase: "did you mean 'batch_size'?"),
        BrokenSpecFile(file: "empty-values.json", json: spec(#""parameters": {"dropout": {"values": []}}"#), path: "$.parameters.dropout.values", phrase: "is empty"),
        BrokenSpecFile(file: "grid-distribution.json", json: spec(#""parameters": {"lr": {"distribution": "uniform", "min": 0.01, "max": 0.1}}"#), path: "$.parameters.lr", phrase: "list the values"),
        BrokenSpecFile(file: "log-uniform-zero.json", json: spec(#""method": "random", "trials": 3, "parameters": {"lr": {"distribution": "log_uniform", "min": 0, "max": 1}}"#), path: "$.parameters.lr.min", phrase: "min > 0"),
        BrokenSpecFile(file: "lr-zero.json", json: spec(#""parameters": {"lr": {"values": [0.1, 0]}}"#), path: "$.parameters.lr.values[1]", phrase: "positive"),
        BrokenSpecFile(file: "dropout-one.json", json: #"{"name": "broken", "data": "builtin:phone-price", "fixed": {"dropout": 1.0}}"#, path: "$.fixed.dropout", phrase: "[0, 1)"),
        BrokenSpecFile(file: "width-zero.json", json: spec(#""parameters": {"hidden_layers": {"values": [[0]]}}"#), path: "$.parameters.hidden_layers.values[0][0]", phrase: "positive whole number"),
        BrokenSpecFile(file: "optimizer.json", json: spec(#""parameters": {"optimizer": {"values": ["adam", "lion"]}}"#), path: "$.parameters.optimizer.values[1]", phrase: "unknown optimizer 'lion'"),
        BrokenSpecFile(file: "fixed-and-searched.json", json: spec(#""parameters": {"epochs": {"values": [2, 3]}}"#), path: "$.parameters.epochs", phrase: "both fixed and searched"),
    ]
}

@Suite("sweep validate and sweep run on spec files")
struct SpecValidationCommandTests {
    @Test("sweep validate refuses a broken spec with one message naming the JSON path", arguments: BrokenSpecFile.catalogue)
    func validateRefusesBrokenSpec(_ broken: BrokenSpecFile) async throws {
        let directory = try ScratchDirectory()
        let file = try directory.write(broken.file, broken.json)
        let result = try await sweep("validate", file, in: directory)
        expectOneClearRefusal(result, naming: broken)
    }

    @Test("sweep run refuses a broken spec before creating a database", arguments: BrokenSpecFile.catalogue)
    func runRefusesBrokenSpec(_ broken: BrokenSpecFile) async throws {
        let directory = try ScratchDirectory()
        let file = try directory.write(broken.file, broken.json)
        let database = directory.path("results.sqlite")
        let result = try await sweep("run", file, "--db", database, "--jobs", "1", in: directory)
        expectOneClearRefusal(result, naming: broken)
        #expect(!FileManager.default.fileExists(atPath: database))
    }

    private func expectOneClearRefusal(_ result: CommandResult, naming broken: BrokenSpecFile, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.isCleanFailure, "\(result)", sourceLocation: sourceLocation)
        #expect(result.status == 2, sourceLocation: sourceLocation)
        #expect(result.standardOutput.isEmpty, "\(result)", sourceLocation: sourceLocation)
        // One "error:" message, naming the file, then the problem at its path.
        #expect(result.standardError.hasPrefix("error: "), sourceLocation: sourceLocation)
        #expect(result.standardError.components(separatedBy: "error: ").count == 2, "\(result)", sourceLocation: sourceLocation)
        #expect(result.standardError.contains(broken.file), sourceLocation: sourceLocation)
        let line = result.standardError.split(separator: "\n").first { $0.hasPrefix("  - \(broken.path): ") }
        #expect(line != nil, "no line for \(broken.path):\n\(result.standardError)", sourceLocation: sourceLocation)
        #expect(line?.contains(broken.phrase) == true, "\(result.standardError)", sourceLocation: sourceLocation)
    }

    @Test func validSpecValidatesAndPrintsItsTrialCount() async throws {
        let directory = try ScratchDirectory()
        let file = try directory.write("grid.json", SmallSpecs.grid())
        let result = try await sweep("validate", file, in: directory)
        #expect(result.status == 0 && !result.endedBySignal, "\(result)")
        // 2 optimizers × 2 learning rates × 2 activations.
        #expect(result.standardOutput.contains("valid — sweep 'cli-grid', 8 trials (grid)"), "\(result)")
        #expect(result.standardOutput.contains("  lr: 0.01, 0.05"))
        #expect(result.standardError.isEmpty)
    }

    @Test func aFeatureThatCopiesTheTargetIsNamedInAWarningByValidateRunAndTrain() async throws {
        let directory = try ScratchDirectory()
        // 'grade' is 'label' under another name.
        let rows = (0..<40).map { row in "\(row % 7),\(row % 3),\(Double(row) / 10),\(row % 3)" }
        try directory.write("leak.csv", (["a,grade,b,label"] + rows).joined(separator: "\n") + "\n")
        let file = try directory.write("leak.json", #"{"name": "leak", "data": "leak.csv", "fixed": {"hidden_layers": [4], "epochs": 1}}"#)
        let warning = "warning: the feature 'grade' equals the target 'label' in every row"

        let validate = try await sweep("validate", file, in: directory)
        #expect(validate.status == 0 && validate.standardError.contains(warning), "\(validate)")
        let run = try await sweep("run", file, "--db", directory.path("r.sqlite"), in: directory)
        #expect(run.status == 0 && run.standardError.contains(warning), "\(run)")
        let train = try await sweep("train", "--data", directory.path("leak.csv"), "--epochs", "1", "--hidden", "4", in: directory)
        #expect(train.status == 0 && train.standardError.contains(warning), "\(train)")
    }

    /// Data that cannot be split is refused naming the file: the message said only "With 5
    /// rows, …" or "Cross-validation with k = 4 folds is not possible", whichever file it was.
    @Test(arguments: ["validate", "run", "train", "auto"])
    func dataThatCannotBeSplitIsRefusedNamingItsFile(command: String) async throws {
        let directory = try ScratchDirectory()
        // For auto, 20 rows of 10 classes: 2 rows in the largest, too few for its 5 folds. Else 5
        // rows of 2 classes: too few for the spec's 4 folds, and for train's validation fraction.
        let rows = command == "auto" ? (0..<20).map { "\($0),\($0 * 7 % 5),\($0 % 10)" } : (0..<5).map { "\($0),\($0 * 7 % 5),\($0 % 2)" }
        try directory.write("few.csv", (["a,b,y"] + rows).joined(separator: "\n") + "\n")
        let spec = try directory.write("few.json", #"{"name": "few", "data": {"source": "few.csv", "folds": 4}, "fixed": {"hidden_layers": [4], "epochs": 1}}"#)
        let (arguments, phrase) = switch command {
        case "train": (["train", "--data", "few.csv", "--epochs", "1"], "few.csv: with 5 rows (3 in the largest class), a validation fraction of 0.1 rounds to no row")
        case "auto": (["auto", "few.csv", "--spec", "auto.json", "--db", "auto.sqlite", "-o", "model.safetensors"], "few.csv: cross-validation with k = 5 folds is not possible")
        case "run": (["run", spec, "--db", "r.sqlite"], "few.csv: cross-validation with k = 4 folds is not possible")
        default: ([command, spec], "few.csv: cross-validation with k = 4 folds is not possible")
        }
        let result = try await SweepProcess(arguments, in: directory).wait()
        #expect(result.isCleanFailure && result.standardError.contains(phrase), "\(result)")
    }

    /// A spec whose learning curves may take gigabytes of the results database is warned of,
    /// not refused, by validate and by run before its first trial.
    @Test func learningCurvesThatMayTakeGigabytesAreWarnedOfByValidateAndRun() async throws {
        let directory = try ScratchDirectory()
        // Trial 1 trains 1 epoch a fit; the grid's bound is 2 × 3 × 5 fits × 10^6 epochs × 64 bytes.
        let spec = try directory.write("curves.json", """
            {"name": "curves", "data": {"source": "\(SmallSpecs.data)", "folds": 4}, "fixed": {"hidden_layers": [4]},
             "parameters": {"epochs": {"values": [1, 1000000]}, "lr": {"values": [0.01, 0.02, 0.03]}}}
            """)
        let warning = "warning: the sweep's epoch history (its learning curves) may take up to 1.9 GB of the results database"
        let validate = try await sweep("validate", spec, in: directory)
        #expect(validate.status == 0 && validate.standardError.contains(warning), "\(validate)")
        #expect(validate.standardError.contains("6 trials (every combination of the grid) × 5 fits each (data.folds 4 and the final fit) × up to 1,000,000 epochs a fit (parameters.epochs)"), "\(validate)")
        let run = try await sweep("run", spec, "--db", directory.path("r.sqlite"), "--trials", "1", in: directory)
        #expect(run.status == 0 && run.standardError.contains(warning), "\(run)")
        // A sweep well under the bound says nothing of it.
        let small = try await sweep("validate", try directory.write("grid.json", SmallSpecs.grid()), in: directory)
        #expect(small.status == 0 && small.standardError.isEmpty, "\(small)")
    }

    @Test func validateReportsRandomSearchDraws() async throws {
        let directory = try ScratchDirectory()
        let file = try directory.write("random.json", SmallSpecs.slowRandom(name: "draws", trials: 12))
        let result = try await sweep("validate", file, in: directory)
        #expect(result.status == 0, "\(result)")
        #expect(result.standardOutput.contains("12 trials (random search)"), "\(result)")
        #expect(result.standardOutput.contains("lr: log_uniform(0.001, 0.05)"))
    }

    @Test func validateChecksTheMetricAgainstTheData() async throws {
        let directory = try ScratchDirectory()
        let file = try directory.write("rmse.json", #"{"name": "rmse", "data": "builtin:phone-price?rows=400", "metric": "validation_rmse"}"#)
        let result = try await sweep("validate", file, in: directory)
        #expect(result.isCleanFailure, "\(result)")
        #expect(result.standardError.contains("needs a regression task"))
    }

    @Test func aLargeRandomSpecIsCheckedAgainstItsDataWithoutDrawingEveryTrial() async throws {
        let directory = try ScratchDirectory()
        // mse does not fit a classification target; the check finds it by its value, and the
        // 100,000 trials are not all drawn first (that took 17 s).
        let file = try directory.write("large.json", #"""
            {"name": "large", "data": "builtin:phone-price?rows=400", "method": "random", "trials": 100000,
             "fixed": {"epochs": 2, "hidden_layers": [4]},
             "parameters": {"lr": {"distribution": "log_uniform", "min": 0.001, "max": 0.1},
                            "loss": {"values": ["cross_entropy", "mse"]}}}
            """#)
        let result = try await sweep("validate", file, in: directory)
        #expect(result.isCleanFailure, "\(result)")
        #expect(result.standardError.contains("loss"), "\(result)")
        #expect(result.standardError.contains("mse"), "\(result)")
        let fits = try directory.write("fits.json", #"""
            {"name": "fits", "data": "builtin:phone-price?rows=400", "method": "random", "trials": 100000,
             "fixed": {"epochs": 2, "hidden_layers": [4]},
             "parameters": {"lr": {"distribution": "log_uniform", "min": 0.001, "max": 0.1}}}
            """#)
        let valid = try await sweep("validate", fits, in: directory)
        #expect(valid.status == 0 && valid.standardOutput.contains("100000 trials (random search)"), "\(valid)")
    }

    @Test func aLongListOfValuesIsCheckedWithoutComparingEachTrialWithEveryValue() async throws {
        let directory = try ScratchDirectory()
        // A grid of 50,000 values is within the 100,000 combinations a grid may have; finding
        // each trial's value in the list by comparing it with every value took 50,000² / 2
        // comparisons (over two minutes in a debug build).
        let values = (1...50_000).map { "\(Double($0) / 1e6)" }.joined(separator: ", ")
        let file = try directory.write("long.json", #"""
            {"name": "long", "data": "builtin:phone-price?rows=40", "fixed": {"epochs": 1, "hidden_layers": [4]},
             "parameters": {"lr": {"values": [\#(values)]}}}
            """#)
        let result = try await sweep("validate", file, in: directory, timeout: .seconds(40))
        #expect(result.status == 0 && result.standardOutput.contains("50000 trials (grid)"), "\(result.standardError)")
    }

    @Test func validateRefusesAMissingSpecFile() async throws {
        let directory = try ScratchDirectory()
        let result = try await sweep("validate", directory.path("absent.json"), in: directory)
        #expect(result.isCleanFailure, "\(result)")
        #expect(result.standardError.contains("cannot read spec"))
    }

    @Test func validateRefusesMissingData() async throws {
        let directory = try ScratchDirectory()
        let file = try directory.write("csv.json", #"{"name": "csv", "data": "no-such-file.csv"}"#)
        let result = try await sweep("validate", file, in: directory)
        #expect(result.isCleanFailure, "\(result)")
        #expect(result.standardError.hasPrefix("error: data: "), "\(result)")
        #expect(result.standardError.contains("no-such-file.csv"))
    }
}
