import Foundation
import Testing

/// `sweep predict --part`: the rows it predicts are named by their place in the CSV, and a part
/// the model's split does not have is refused.
@Suite("sweep predict --part")
struct PredictPartTests {
    static func spec(name: String, testFraction: Double) -> String {
        """
        {"name": "\(name)", "data": {"source": "\(SmallSpecs.data)", "test_fraction": \(testFraction), "folds": 3}, "method": "random",
         "trials": 1, "seed": 2, "fixed": {"hidden_layers": [8], "epochs": 3, "batch_size": 16}}
        """
    }

    /// Trains and exports the one trial of a sweep; returns the model's path.
    func exportedModel(name: String, testFraction: Double, in directory: ScratchDirectory) async throws -> String {
        let database = directory.path("results.sqlite")
        let run = try await sweep("run", try directory.write("\(name).json", Self.spec(name: name, testFraction: testFraction)), "--db", database, in: directory)
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
}
