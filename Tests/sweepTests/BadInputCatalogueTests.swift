import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// One hostile or careless command line for `sweep train`, `predict` or `export`, the files it
/// finds in its directory, and the words its one message must hold.
struct BadInput: Sendable, CustomTestStringConvertible {
    var name: String
    var arguments: [String]
    /// Shell text appended to the command line, for arguments that are not UTF-8.
    var shellWords = ""
    /// Writes the case's files into its scratch directory.
    var prepare: @Sendable (ScratchDirectory) throws -> Void = { _ in }
    var phrases: [String]

    var testDescription: String { name }
}

extension ScratchDirectory {
    @discardableResult
    func write(_ name: String, bytes: [UInt8]) throws -> String {
        try Data(bytes).write(to: url.appendingPathComponent(name))
        return path(name)
    }

    /// A file of `size` bytes that takes no disk space.
    func sparse(_ name: String, size: Int) throws {
        try write(name, "x,y\n")
        #expect(truncate(path(name), off_t(size)) == 0)
    }

    func symlink(_ name: String, to target: String) throws {
        try FileManager.default.createSymbolicLink(atPath: path(name), withDestinationPath: target)
    }

    func directory(_ name: String) throws {
        try FileManager.default.createDirectory(atPath: path(name), withIntermediateDirectories: true)
    }

    /// A bound Unix socket at `name`; it lives until the process ends.
    func listeningSocket(_ name: String) throws {
        #if os(Linux)
        let streamKind = Int32(SOCK_STREAM.rawValue)
        #else
        let streamKind = SOCK_STREAM
        #endif
        let descriptor = socket(AF_UNIX, streamKind, 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path(name).utf8)
        try #require(bytes.count < MemoryLayout.size(ofValue: address.sun_path))
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(bound == 0)
    }
}

extension BadInput {
    static let model = ModelFixture.data

    /// `sweep predict MODEL` on the built-in slice, with MODEL written by `bytes`.
    static func predicting(_ name: String, _ phrases: [String], model bytes: @escaping @Sendable () throws -> [UInt8]) -> BadInput {
        BadInput(name: "predict: " + name, arguments: ["predict", "model.safetensors", ModelFixture.data],
                 prepare: { try $0.write("model.safetensors", bytes: try bytes()) }, phrases: phrases)
    }

    /// `sweep train` with `arguments`, and a configuration file `config.json` holding `json`
    /// when given.
    static func training(_ name: String, _ arguments: [String], config json: String? = nil, _ phrases: [String]) -> BadInput {
        BadInput(name: "train: " + name, arguments: ["train"] + (json == nil ? [] : ["config.json"]) + arguments,
                 prepare: { directory in if let json { try directory.write("config.json", json) } }, phrases: phrases)
    }

    /// `sweep train --data data.csv --epochs 1` with `data.csv` holding `text`.
    static func trainingOn(_ name: String, csv text: String, _ phrases: [String]) -> BadInput {
        BadInput(name: "train on CSV: " + name, arguments: ["train", "--data", "data.csv", "--epochs", "1"],
                 prepare: { try $0.write("data.csv", text) }, phrases: phrases)
    }

    static let trainingCases: [BadInput] = [
        // The network, the data size and the flags' ranges.
        training("two layers of 50,000", ["--hidden", "50000,50000", "--epochs", "1"], ["needs about", "GB of memory", "parameters", "this machine has", "narrower hidden layers"]),
        training("a layer of 100,000,000", ["--hidden", "100000000"], ["--hidden[0]", "got 100000000", "1,000,000"]),
        training("an empty width between commas", ["--hidden", "64,,32"], ["--hidden[1]", "the string \"\""]),
        training("a width that is not a number", ["--hidden", "wide"], ["--hidden[0]", "the string \"wide\""]),
        training("a thousand and one layers", [], config: #"{"hidden_layers": ["# + Array(repeating: "1", count: 1001).joined(separator: ",") + "]}", ["$.hidden_layers", "at most 1,000 hidden layers"]),
        training("an lr beyond Float", ["--lr", "1e308"], ["--lr", "3.4e38"]),
        training("an lr of NaN", ["--lr", "nan"], ["--lr", "positive number"]),
        training("a negative lr", ["--lr", "-0.1"], ["--lr", "got -0.1"]),
        training("zero epochs", ["--epochs", "0"], ["--epochs", "from 1 to 1,000,000"]),
        training("ten million epochs", ["--epochs", "10000000"], ["--epochs", "from 1 to 1,000,000"]),
        training("a batch of zero rows", ["--batch-size", "0"], ["--batch-size", "at least 1"]),
        training("dropout of one", ["--dropout", "1"], ["--dropout", "[0, 1)"]),
        training("dropout that is one in 32-bit floats", ["--dropout", "0.9999999999"], ["--dropout", "[0, 1)", "0.99999994"]),
        training("batch norm on batches of one row", ["--batch-size", "1", "--batch-norm", "--epochs", "1", "--data", model],
                 ["batch_norm needs at least 2 rows in each training batch", "set batch_size to 2 or more, or batch_norm to false"]),
        training("a negative seed", ["--seed", "-1"], ["--seed", "zero or positive"]),
        training("a thousand seeds", ["--seeds", "1000"], ["--seeds", "from 1 to 100"]),
        training("an unknown activation", ["--activation", "relu6"], ["--activation", "relu6"]),
        training("an empty data source", ["--data", ""], ["data source is empty"]),
        training("a missing CSV", ["--data", "absent.csv"], ["absent.csv", "no such file"]),
        training("a data path with an escape sequence", ["--data", "a\u{1B}[2Jb.csv"], ["a\\u{1B}[2Jb.csv", "no such file"]),
        BadInput(name: "train: a directory as data", arguments: ["train", "--data", "folder"], prepare: { try $0.directory("folder") }, phrases: ["folder", "is a directory"]),
        BadInput(name: "train: a 2 GiB CSV", arguments: ["train", "--data", "huge.csv"], prepare: { try $0.sparse("huge.csv", size: 2 << 30) }, phrases: ["huge.csv", "above the 1 GiB a CSV may have"]),
        training("a trillion built-in rows", ["--data", "builtin:phone-price?rows=1000000000000"], ["at most 1,000,000 rows"]),
        training("a billion built-in rows", ["--data", "builtin:phone-price?rows=1000000000"], ["at most 1,000,000 rows"]),
        training("built-in rows given twice", ["--data", "builtin:phone-price?rows=40&rows=80"], ["'rows' is given twice"]),
        training("an unknown target", ["--target", "price"], ["'price'", "Did you mean 'price_range'?"]),
        training("a test part too small", [], config: #"{"data": {"source": "builtin:phone-price?rows=8", "test_fraction": 0.05}}"#, ["at least 0.25", "or use more rows"]),
        // Configuration files.
        training("epochs as a string", [], config: #"{"epochs": "40"}"#, ["$.epochs", "the string \"40\"", "without quotes"]),
        training("lr 1e308 in the file", [], config: #"{"lr": 1e308}"#, ["$.lr", "3.4e38"]),
        training("lr 1e999 in the file", [], config: "{\"epochs\": 1,\n \"lr\": 1e999}", ["line 2, column 8", "1e999"]),
        training("an optimizer option beyond Float", [], config: #"{"optimizer": {"name": "adam", "lr": 1e300}}"#, ["$.optimizer.lr", "3.4e38"]),
        training("a fractional step size", [], config: #"{"schedule": {"name": "step", "step_size": 2.5}}"#, ["$.schedule.step_size", "whole number of epochs, got 2.5"]),
        training("a seed beyond 2^53", [], config: #"{"seed": 1e20}"#, ["$.seed", "2^53"]),
        training("a key given twice", [], config: "{\"epochs\": 10,\n \"epochs\": 100}", ["$.epochs", "lines 1 and 2"]),
        BadInput(name: "train: a configuration that is not UTF-8", arguments: ["train", "config.json"],
                 prepare: { try $0.write("config.json", bytes: Array("{\"activation\":\n \"r".utf8) + [0xFF] + Array("lu\"}".utf8)) },
                 phrases: ["line 2, column 4", "not UTF-8 (byte 0xFF)"]),
        training("lists nested 600 deep", [], config: String(repeating: "[", count: 600) + String(repeating: "]", count: 600), ["nested more than 512 deep"]),
        training("an empty file", [], config: "", ["the file is empty"]),
        training("a list instead of an object", [], config: "[1, 2]", ["$", "must be an object"]),
        BadInput(name: "train: a directory as the configuration", arguments: ["train", "folder"], prepare: { try $0.directory("folder") }, phrases: ["configuration file 'folder'", "is a directory"]),
        BadInput(name: "train: a 2 GiB configuration", arguments: ["train", "big.json"], prepare: { try $0.sparse("big.json", size: 2 << 30) }, phrases: ["big.json", "larger than 16 MiB"]),
        BadInput(name: "train: a configuration path that is not UTF-8", arguments: ["train"], shellWords: #""$(printf 'config\377.json')""#,
                 phrases: ["argument 2", "not UTF-8"]),
        // CSV files.
        trainingOn("zero bytes", csv: "", ["data.csv", "empty"]),
        trainingOn("a header only", csv: "a,b,y\r\n", ["no data rows"]),
        trainingOn("one class in every row", csv: "a,y\n1,2\n2,2\n3,2\n4,2\n5,2\n", ["all 5 rows have the value 2", "nothing to learn"]),
        trainingOn("every feature constant", csv: "a,b,y\n" + (0..<40).map { "5,-1.5,\($0 % 2)" }.joined(separator: "\n") + "\n",
                   ["data.csv", "every feature column", "all 40 rows", "'a' is 5", "'b' is -1.5", "nothing to learn from"]),
        trainingOn("a fraction in a class column", csv: "a,y\n" + (0..<40).map { "\($0),\($0 % 4)" }.joined(separator: "\n") + "\n40,1.5\n", ["line 42", "1.5", "class labels", "regression"]),
        trainingOn("a NUL byte", csv: "a,y\n1\u{0},0\n", ["line 2", "\\0", "not a number"]),
        trainingOn("binary bytes", csv: "a,y\n\u{1}\u{2}\u{3}\u{7F},0\n", ["line 2", "not a number"]),
        trainingOn("a duplicate column", csv: "a,a,y\n1,2,0\n", ["'a' appears twice"]),
        trainingOn("a NaN cell", csv: "a,y\nNaN,0\n", ["'NaN' is not a number"]),
        trainingOn("an infinite cell", csv: "a,y\n1e39,0\n", ["1e39", "beyond the range"]),
        trainingOn("a quoted line break", csv: "a,y\n\"1\n2\",0\n", ["line 2", "\\n"]),
        trainingOn("a row of 100,000 cells", csv: "a,y\n" + String(repeating: "1,", count: 100_000) + "1\n", ["expected 2", "found 100001"]),
        trainingOn("a header of 200,000 columns", csv: (0..<200_000).map { "c\($0)" }.joined(separator: ",") + "\n", ["200000 columns", "limit of 100000"]),
    ]

    static let predictionCases: [BadInput] = [
        predicting("a model file of zero bytes", ["model.safetensors", "empty (0 bytes)"]) { [] },
        predicting("a model file of 5 bytes", ["fewer than the 8"]) { [1, 2, 3, 4, 5] },
        predicting("a model cut off in its tensors", ["truncated", "but the file has only"]) { Array(try ModelFixture.bytes().dropLast(100)) },
        predicting("a model cut off in its header", ["truncated", "bytes of JSON follow"]) { Array(try ModelFixture.bytes().prefix(100)) },
        predicting("a header length beyond the file", ["not a safetensors file"]) { [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F] + Array(repeating: 0x20, count: 64) },
        predicting("a header that is not JSON", ["not a JSON object"]) { [16, 0, 0, 0, 0, 0, 0, 0] + Array("not json at all!".utf8) },
        predicting("a CSV given as the model", ["not a safetensors file"]) { Array("ram,price_range\n1,0\n2,1\n".utf8) },
        predicting("a negative dimension matching reversed offsets", ["0.bias", "impossible shape"]) {
            try ModelFixture.editingHeader { header in header["0.bias"] = ["dtype": "F32", "shape": [-2], "data_offsets": [8, 0]] }
        },
        predicting("reversed offsets", ["0.bias", "do not describe a range"]) {
            try ModelFixture.editingHeader { header in header["0.bias"] = ["dtype": "F32", "shape": [2], "data_offsets": [8, 0]] }
        },
        predicting("a shape whose product overflows", ["0.bias", "impossible shape"]) {
            try ModelFixture.editingHeader { header in header["0.bias"] = ["dtype": "F32", "shape": [1 << 40, 1 << 40], "data_offsets": [0, 16]] }
        },
        predicting("a half-precision tensor", ["dtype F16", "only F32 and I64"]) {
            try ModelFixture.editingHeader { header in
                var entry = header["0.bias"] as! [String: Any]
                entry["dtype"] = "F16"
                header["0.bias"] = entry
            }
        },
        predicting("a shape larger than its bytes", ["0.bias", "contradicts itself"]) {
            try ModelFixture.editingHeader { header in
                var entry = header["0.bias"] as! [String: Any]
                entry["shape"] = [3]
                header["0.bias"] = entry
            }
        },
        predicting("an architecture of two million-wide layers", ["weights but the file stores"]) {
            try ModelFixture.editingHeader { header in
                ModelFixture.editMetadata(&header, "sweep.architecture") { value in
                    var architecture = value as! [String: Any]
                    architecture["hidden_widths"] = [1_000_000, 1_000_000]
                    value = architecture
                }
            }
        },
        predicting("fewer feature names than inputs", ["takes 20 inputs but it names 3 features"]) {
            try ModelFixture.editingHeader { header in
                ModelFixture.editMetadata(&header, "sweep.feature_names") { value in value = ["ram", "fc", "pc"] }
            }
        },
        predicting("a standardisation of the wrong width", ["standardisation statistics"]) {
            try ModelFixture.editingHeader { header in
                ModelFixture.editMetadata(&header, "sweep.standardization") { value in value = ["mean": [0.0], "std": [1.0]] }
            }
        },
        predicting("a zero standard deviation", ["standardisation statistics"]) {
            try ModelFixture.editingHeader { header in
                ModelFixture.editMetadata(&header, "sweep.standardization") { value in
                    var statistics = value as! [String: Any]
                    var deviations = statistics["std"] as! [Double]
                    deviations[3] = 0
                    statistics["std"] = deviations
                    value = statistics
                }
            }
        },
        predicting("a NaN weight", ["'0.weight'", "NaN or infinite"]) {
            try ModelFixture.replacingTensor("0.weight", with: [0x00, 0x00, 0xC0, 0x7F])
        },
        predicting("a batch count beyond Int", ["num_batches_tracked", "not a count of batches"]) {
            try ModelFixture.replacingTensor("1.num_batches_tracked", batchNorm: true, with: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F])
        },
        predicting("metadata missing", ["metadata 'sweep.architecture' is missing"]) {
            try ModelFixture.editingHeader { header in header["__metadata__"] = ["format": "pt"] }
        },
        BadInput(name: "predict: a missing model", arguments: ["predict", "absent.safetensors", ModelFixture.data], phrases: ["absent.safetensors", "no such file"]),
        BadInput(name: "predict: a directory as the model", arguments: ["predict", "folder", ModelFixture.data], prepare: { try $0.directory("folder") }, phrases: ["folder", "is a directory"]),
        BadInput(name: "predict: a 2 GiB model", arguments: ["predict", "huge.safetensors", ModelFixture.data], prepare: { try $0.sparse("huge.safetensors", size: 2 << 30) }, phrases: ["beyond the 1 GiB a model file may have"]),
        BadInput(name: "predict: a CSV with a NUL byte", arguments: ["predict", "model.safetensors", "data.csv"],
                 prepare: { directory in
                     try directory.write("model.safetensors", bytes: try ModelFixture.bytes())
                     try directory.write("data.csv", "ram,price_range\n1\u{0},0\n")
                 }, phrases: ["data.csv", "\\0", "not a number"]),
        BadInput(name: "predict: a trillion built-in rows", arguments: ["predict", "model.safetensors", "builtin:phone-price?rows=1000000000000"],
                 prepare: { try $0.write("model.safetensors", bytes: try ModelFixture.bytes()) }, phrases: ["at most 1,000,000 rows"]),
    ]

    /// `sweep predict` with `-o` and the files the output path names.
    static func predictingInto(_ name: String, _ output: [String], shellWords: String = "", prepare: @escaping @Sendable (ScratchDirectory) throws -> Void = { _ in }, _ phrases: [String]) -> BadInput {
        BadInput(name: "predict -o: " + name, arguments: ["predict", "model.safetensors", ModelFixture.data] + output, shellWords: shellWords,
                 prepare: { directory in
                     try directory.write("model.safetensors", bytes: try ModelFixture.bytes())
                     try prepare(directory)
                 }, phrases: phrases)
    }

    static let outputCases: [BadInput] = [
        predictingInto("an empty path", ["-o", ""], ["-o needs a file name"]),
        predictingInto("a directory", ["-o", "folder"], prepare: { try $0.directory("folder") }, ["'folder'", "is a directory", "folder/predictions.csv"]),
        predictingInto("a directory with a slash", ["-o", "folder/"], prepare: { try $0.directory("folder") }, ["is a directory"]),
        predictingInto("a missing directory's name with a slash", ["-o", "new/"], ["'new/'", "ends with '/'", "new/predictions.csv"]),
        predictingInto("a link to a directory", ["-o", "link"], prepare: { directory in
            try directory.directory("folder")
            try directory.symlink("link", to: "folder")
        }, ["'link'", "is a directory"]),
        predictingInto("a loop of links", ["-o", "a.csv"], prepare: { directory in
            try directory.symlink("a.csv", to: "b.csv")
            try directory.symlink("b.csv", to: "a.csv")
        }, ["'a.csv'", "loop"]),
        predictingInto("a socket", ["-o", "socket"], prepare: { try $0.listeningSocket("socket") }, ["'socket'", "is a socket"]),
        predictingInto("below a regular file", ["-o", "model.safetensors/out.csv"], ["model.safetensors/out.csv", "Not a directory"]),
        predictingInto("the model itself", ["-o", "model.safetensors"], ["is the model being read"]),
        predictingInto("a link to the model", ["-o", "link.csv"], prepare: { try $0.symlink("link.csv", to: "model.safetensors") }, ["is the model being read"]),
        predictingInto("a name that is not UTF-8", ["-o"], shellWords: #""$(printf 'out\377.csv')""#, ["argument 5", "not UTF-8"]),
    ]

    static let catalogue = trainingCases + predictionCases + outputCases
}

@Suite("Bad input to sweep train, predict and export: one clear refusal each, in bounded memory")
struct BadInputCatalogueTests {
    @Test("a bad command line is refused with one message naming what, where and how", arguments: BadInput.catalogue)
    func badInputIsRefused(_ bad: BadInput) async throws {
        let directory = try ScratchDirectory()
        try bad.prepare(directory)
        let result = try await limitedSweep(bad.arguments, in: directory, shellWords: bad.shellWords)
        expectCleanRefusal(result, mentioning: bad.phrases)
        // Nothing was written in place of an input or beside an output.
        let written = try FileManager.default.contentsOfDirectory(atPath: directory.url.path)
        #expect(!written.contains { $0.hasSuffix(".tmp") || $0.hasPrefix("out") }, "\(written)")
    }

    /// The export cases need a database with a finished trial: one tiny sweep per case.
    @Test("sweep export refuses an output path it cannot write, before reading the database",
          arguments: [
            (["-o", ""], ["-o needs a file name"]),
            (["-o", "folder"], ["'folder'", "is a directory", "folder/best.safetensors"]),
            (["-o", "loop"], ["loop"]),
            (["-o", "socket"], ["is a socket"]),
            (["-o", "spec.json/best.safetensors"], ["Not a directory"]),
          ])
    func exportRefusesAnUnwritablePath(output: [String], phrases: [String]) async throws {
        let directory = try ScratchDirectory()
        try directory.write("spec.json", #"{"name": "one", "data": "builtin:phone-price?rows=40", "fixed": {"hidden_layers": [4], "epochs": 1, "batch_size": 8}}"#)
        let run = try await sweep("run", "spec.json", "--db", "db.sqlite", "--jobs", "1", "--quiet", in: directory)
        try #require(run.status == 0, "\(run)")
        try directory.directory("folder")
        try directory.symlink("loop", to: "loop")
        try directory.listeningSocket("socket")
        let result = try await limitedSweep(["export", "--db", "db.sqlite"] + output, in: directory)
        expectCleanRefusal(result, mentioning: phrases)
    }
}
