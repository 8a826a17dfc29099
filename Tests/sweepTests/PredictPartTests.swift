import Foundation
import Testing

/// `sweep predict --part`: the rows it predicts are named by their place in the CSV, a part the
/// model's split does not have is refused, and so is data other than the data the sweep split.
@Suite("sweep predict --part")
struct PredictPartTests {
    static func spec(name: String, source: String, testFraction: Double, folds: Int?) -> String {
        """
        {"name": "\(name)", "data": {"source": "\(source)", "test_fraction": \(testFraction)\(folds.map { ", \"folds\": \($0)" } ?? "")},
         "method": "random", "trials": 1, "seed": 2, "fixed": {"hidden_layers": [8], "epochs": 3, "batch_size": 16}}
        """
    }

    /// Trains and exports the one trial of a sweep; returns the model's path.
    func exportedModel(
        name: String, source: String = SmallSpecs.data, testFraction: Double, folds: Int? = 3, in directory: ScratchDirectory
    ) async throws -> String {
        let database = directory.path("results.sqlite")
        let spec = Self.spec(name: name, source: source, testFraction: testFraction, folds: folds)
        let run = try await sweep("run", try directory.write("\(name).json", spec), "--db", database, in: directory)
        #expect(run.status == 0, "\(run)")
        let model = directory.path("\(name).safetensors")
        let export = try await sweep("export", name, "--db", database, "-o", model, in: directory)
        #expect(export.status == 0, "\(export)")
        return model
    }

    @Test func eachPredictedRowOfAPartIsNumberedByItsPlaceInTheCSV() async throws {
        let directory = try ScratchDirectory()
        let model = try await exportedModel(name: "parts", testFraction: 0.2, in: directory)

        let all = try await sweep("predict", model, SmallSpecs.data, in: directory)
        let test = try await sweep("predict", model, SmallSpecs.data, "--part", "test", in: directory)
        #expect(all.status == 0 && test.status == 0, "\(all)\n\(test)")
        var byRow: [String: Substring] = [:]
        for line in all.standardOutput.split(separator: "\n").dropFirst() {
            byRow[String(line.prefix { $0 != "," })] = line
        }
        let testLines = test.standardOutput.split(separator: "\n").dropFirst()
        let rows = testLines.compactMap { Int($0.prefix { $0 != "," }) }
        // 80 of the 400 rows, scattered over the file: not the first 80.
        #expect(rows.count == 80 && Set(rows).count == 80 && rows.max()! > 80, "\(rows)")
        for line in testLines {
            #expect(byRow[String(line.prefix { $0 != "," })] == line, "the test row \(line) is predicted otherwise among all rows")
        }
    }

    @Test func aPartTheSplitDoesNotHaveIsRefused() async throws {
        let directory = try ScratchDirectory()
        let model = try await exportedModel(name: "no-test", testFraction: 0, in: directory)

        let test = try await sweep("predict", model, SmallSpecs.data, "--part", "test", in: directory)
        #expect(test.status == 2, "\(test)")
        #expect(test.standardError.contains("--part test selects no rows"), "\(test)")
        #expect(test.standardOutput.isEmpty, "\(test)")
    }

    /// A model whose recorded split has fractions no spec can hold (a damaged or edited file) is
    /// refused naming the model file: the split-level message named the data and said to change a
    /// fraction the user cannot set ("cannot reproduce the model's split on 'data.csv': The test
    /// fraction 1.5 is outside [0, 1). Use a value such as 0.2").
    @Test func aModelWhoseSplitFractionsNoSpecCanHoldIsRefusedNamingTheModelFile() async throws {
        let directory = try ScratchDirectory()
        let model = try await exportedModel(name: "fractions", testFraction: 0.2, folds: nil, in: directory)
        let (header, payload) = try ModelFixture.parts(of: [UInt8](try Data(contentsOf: URL(fileURLWithPath: model))))
        let cases: [(fractions: [String: Double], phrase: String)] = [
            (["test_fraction": 1.5], "metadata 'sweep.split' has test_fraction 1.5, outside the [0, 1)"),
            (["test_fraction": 0.6, "validation_fraction": 0.4], "metadata 'sweep.split' has test_fraction 0.6 and validation_fraction 0.4, which leave no rows to train on"),
        ]
        for (index, (fractions, phrase)) in cases.enumerated() {
            var edited = header
            ModelFixture.editMetadata(&edited, "sweep.split") { split in
                var fields = split as? [String: Any] ?? [:]
                fields.merge(fractions) { _, new in new }
                split = fields
            }
            let damaged = try directory.write("damaged-\(index).safetensors", bytes: try ModelFixture.assemble(header: edited, payload: payload))
            let result = try await sweep("predict", damaged, SmallSpecs.data, "--part", "test", in: directory)
            #expect(result.isCleanFailure && result.standardOutput.isEmpty, "\(result)")
            #expect(result.standardError.contains("'\(damaged)' is not a valid safetensors file: \(phrase)"), "\(result)")
            #expect(result.standardError.contains("export the model again with sweep export"), "\(result)")
        }
    }

    /// 80 rows of two features and a class, as CSV lines without the header.
    static let rows = (0..<80).map { row in "\(row % 7),\(Double(row) / 10),\(row % 2)" }

    static func csv(_ rows: [String], header: String = "a,b,label") -> String { ([header] + rows).joined(separator: "\n") + "\n" }

    @Test(arguments: [3, nil] as [Int?])
    func aPartIsTakenOnlyFromTheDataTheSweepWasSplitFrom(folds: Int?) async throws {
        let directory = try ScratchDirectory()
        try directory.write("data.csv", Self.csv(Self.rows))
        let model = try await exportedModel(name: "file", source: "data.csv", testFraction: 0.25, folds: folds, in: directory)
        let original = try await sweep("predict", model, "data.csv", "--part", "test", in: directory)
        // 20 of the 80 rows, and a header.
        #expect(original.status == 0 && original.standardError.contains("/20 rows)"), "\(original)")
        #expect(original.standardOutput.split(separator: "\n").count == 21, "\(original)")

        // The same rows by another name, with the columns in another order or one more column:
        // the same data, the same test rows.
        try directory.write("copy.csv", Self.csv(Self.rows))
        try directory.write("reordered.csv", Self.csv(Self.rows.map { $0.split(separator: ",").reversed().joined(separator: ",") }, header: "label,b,a"))
        try directory.write("wider.csv", Self.csv(Self.rows.enumerated().map { "\($1),\($0)" }, header: "a,b,label,id"))
        for name in ["copy.csv", "reordered.csv", "wider.csv"] {
            let same = try await sweep("predict", model, name, "--part", "test", in: directory)
            #expect(same.status == 0 && same.standardOutput == original.standardOutput, "\(name): \(same)")
        }

        // Rows shuffled, one cell changed, one row added: other data, where the split's positions
        // pick rows the model may have trained on.
        var changed = Self.rows
        changed[7] = "3,0.7,1"  // was 0,0.7,1
        try directory.write("shuffled.csv", Self.csv(Self.rows.reversed()))
        try directory.write("changed.csv", Self.csv(changed))
        try directory.write("added.csv", Self.csv(Self.rows + ["1,9.9,0"]))
        for name in ["shuffled.csv", "changed.csv", "added.csv"] {
            for part in ["test", "train"] {
                let refused = try await sweep("predict", model, name, "--part", part, in: directory)
                expectCleanRefusal(refused, mentioning: [
                    "'\(name)' is not the data the model's sweep was split from ('data.csv')",
                    "--part picks the split's rows by their place in the file, so it only makes sense on the file the sweep ran on",
                    "leave out --part",
                ])
            }
            // Every row of any file with the model's columns is still predicted.
            let all = try await sweep("predict", model, name, in: directory)
            #expect(all.status == 0 && all.standardOutput.split(separator: "\n").count == (name == "added.csv" ? 82 : 81), "\(name): \(all)")
        }
    }

    @Test func aModelFileWithoutADataFingerprintStillPredictsItsPartAndSaysItCannotBeChecked() async throws {
        let directory = try ScratchDirectory()
        try directory.write("data.csv", Self.csv(Self.rows))
        let model = try await exportedModel(name: "file", source: "data.csv", testFraction: 0.25, in: directory)
        // The file as sweep export wrote it before models carried their data's fingerprint.
        var (header, payload) = try ModelFixture.parts(of: [UInt8](try Data(contentsOf: URL(fileURLWithPath: model))))
        var metadata = try #require(header["__metadata__"] as? [String: String])
        #expect(metadata.removeValue(forKey: "sweep.data_fingerprint") != nil)
        header["__metadata__"] = metadata
        ModelFixture.editMetadata(&header, "sweep.split") { split in
            var fields = split as? [String: Any] ?? [:]
            #expect(fields.removeValue(forKey: "folds") as? Int == 3 && fields.removeValue(forKey: "standardize") as? Bool == true)
            split = fields
        }
        let old = try directory.write("old.safetensors", bytes: try ModelFixture.assemble(header: header, payload: payload))

        let current = try await sweep("predict", model, "data.csv", "--part", "test", in: directory)
        #expect(current.status == 0 && !current.standardError.contains("fingerprint"), "\(current)")
        try directory.write("shuffled.csv", Self.csv(Self.rows.reversed()))
        for data in ["data.csv", "shuffled.csv"] {
            let unchecked = try await sweep("predict", old, data, "--part", "test", in: directory)
            #expect(unchecked.status == 0, "\(unchecked)")
            #expect(unchecked.standardError.contains("warning: '\(old)' records no fingerprint of the data its sweep was split from"), "\(unchecked)")
            #expect(unchecked.standardError.contains("whether '\(data)' is that file cannot be checked"), "\(unchecked)")
            if data == "data.csv" { #expect(unchecked.standardOutput == current.standardOutput, "\(unchecked)") }
        }
    }
}
