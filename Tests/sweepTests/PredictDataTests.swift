import Datasets
import Foundation
import Testing

/// `sweep predict` on new data: a file other than the one the model learnt from, whose target
/// column, when it has one, need not hold what the model knows.
@Suite("sweep predict on new data")
struct PredictDataTests {
    /// A binary model of features `a` and `b` with target `label` (classes 0 and 1), written to
    /// `model.safetensors` in `directory`; returns its path.
    func binaryModel(in directory: ScratchDirectory) throws -> String {
        try directory.write("model.safetensors", bytes: try ModelFixture.wideBytes(featureNames: ["a", "b"], in: directory))
    }

    @Test func targetLabelsTheModelNeverLearntAreCountedAndNamedBesideTheAccuracy() async throws {
        let directory = try ScratchDirectory()
        let model = try binaryModel(in: directory)
        // 6 rows, 2 of them of a class 5 that a model of classes 0 and 1 can never predict.
        let data = try directory.write("new.csv", "b,a,label\n1,2,0\n3,4,1\n5,6,5\n7,8,0\n9,1,5\n2,3,1\n")

        let result = try await sweep("predict", model, data, in: directory)
        #expect(result.status == 0, "\(result)")
        #expect(result.standardOutput.split(separator: "\n").count == 7, "\(result)")
        #expect(result.standardError.contains("2 of the 6 rows"), "\(result)")
        #expect(result.standardError.contains("'label'") && result.standardError.contains("(5)"), "\(result)")
        #expect(result.standardError.contains("0 and 1"), "\(result)")
        #expect(result.standardError.contains("count as wrong"), "\(result)")
    }

    /// A row of values near the largest Float the loader accepts: the network's outputs
    /// overflow, and a NaN probability made its prediction the first class, with status 0 and
    /// no word of it. Its prediction is now left empty and the row named.
    @Test func aRowWhoseOutputOverflowsIsLeftEmptyAndNamed() async throws {
        let directory = try ScratchDirectory()
        try directory.write("model.safetensors", bytes: try ModelFixture.bytes())
        let phones = try Dataset.load(source: ModelFixture.data)
        let ordinary = (0..<phones.featureCount).map { String(phones.features[$0]) }
        let huge = Array(repeating: "3.3e38", count: phones.featureCount)
        let data = try directory.write("new.csv", [phones.featureNames, ordinary, huge, ordinary].map { $0.joined(separator: ",") }.joined(separator: "\n") + "\n")

        let result = try await sweep("predict", "model.safetensors", data, in: directory)

        #expect(result.status == 0, "\(result)")
        let predictions = result.standardOutput.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false)[1] }
        #expect(predictions.count == 3 && !predictions[0].isEmpty && predictions[1].isEmpty && predictions[2] == predictions[0], "\(result)")
        #expect(result.standardError.contains("warning: 1 of 3 rows give no finite output (rows 2), so their prediction is left empty"), "\(result)")
    }

    @Test func targetLabelsTheModelKnowsGiveNoWarning() async throws {
        let directory = try ScratchDirectory()
        let model = try binaryModel(in: directory)
        let data = try directory.write("new.csv", "a,b,label\n1,2,0\n3,4,1\n")

        let result = try await sweep("predict", model, data, in: directory)
        #expect(result.status == 0, "\(result)")
        #expect(result.standardError.hasPrefix("accuracy on"), "\(result)")
        #expect(!result.standardError.contains("warning"), "\(result)")
    }

    @Test(arguments: ["", "NA", "?"])
    func aTargetColumnLeftBlankForNewRowsIsNamedAsNotNeeded(unknown: String) async throws {
        let directory = try ScratchDirectory()
        let model = try binaryModel(in: directory)
        // New rows to predict, their target unknown: the advice is to drop the column, not the rows.
        let data = try directory.write("new.csv", "a,b,label\n1,2,\(unknown)\n3,4,\(unknown)\n")

        let result = try await sweep("predict", model, data, in: directory)
        #expect(result.isCleanFailure, "\(result)")
        #expect(result.standardError.contains("line 2, column 'label'"), "\(result)")
        #expect(result.standardError.contains("the model's target"), "\(result)")
        #expect(result.standardError.contains("Delete the column"), "\(result)")
        #expect(!result.standardError.contains("delete the row"), "\(result)")
    }

    @Test func anUnknownValueInAFeatureColumnKeepsTheUsualAdvice() async throws {
        let directory = try ScratchDirectory()
        let model = try binaryModel(in: directory)
        let data = try directory.write("new.csv", "a,b,label\n1,,0\n")

        let result = try await sweep("predict", model, data, in: directory)
        #expect(result.isCleanFailure, "\(result)")
        #expect(result.standardError.contains("line 2, column 'b': the cell is empty"), "\(result)")
        #expect(!result.standardError.contains("the model's target"), "\(result)")
    }

    @Test func aFileOfTheOneFeatureOfAOneFeatureModelIsPredicted() async throws {
        let directory = try ScratchDirectory()
        let model = try directory.write("model.safetensors", bytes: try ModelFixture.wideBytes(featureNames: ["a"], in: directory))
        // The model's one column and nothing else: no target, so no column left over for one.
        let data = try directory.write("new.csv", "a\n1\n2\n3\n")

        let result = try await sweep("predict", model, data, in: directory)
        #expect(result.status == 0, "\(result)")
        let lines = result.standardOutput.split(separator: "\n")
        #expect(lines.count == 4 && lines.first == "row,prediction,probability_0,probability_1", "\(result)")
    }

    @Test func aOneColumnFileWithoutTheModelsFeatureNamesWhatItLacks() async throws {
        let directory = try ScratchDirectory()
        let model = try binaryModel(in: directory)
        let data = try directory.write("new.csv", "a\n1\n2\n")

        let result = try await sweep("predict", model, data, in: directory)
        #expect(result.isCleanFailure, "\(result)")
        #expect(result.standardError.contains("lacks 1 of the model's 2 feature columns: 'b'"), "\(result)")
    }

    @Test func aFileOfTheTargetAloneNamesTheFeaturesItLacks() async throws {
        let directory = try ScratchDirectory()
        let model = try binaryModel(in: directory)
        let data = try directory.write("new.csv", "label\n1\n0\n")

        let result = try await sweep("predict", model, data, in: directory)
        #expect(result.isCleanFailure, "\(result)")
        #expect(result.standardError.contains("lacks all of the model's 2 feature columns: 'a', 'b'"), "\(result)")
    }

    @Test func aTextColumnTheModelDoesNotUseIsNamedAsOneToDelete() async throws {
        let directory = try ScratchDirectory()
        let model = try binaryModel(in: directory)
        // An identifier column of text: predicting needs only 'a' and 'b', so the advice is to drop it.
        let data = try directory.write("new.csv", "id,a,b\nphone-1,1,2\nphone-2,3,4\n")

        let result = try await sweep("predict", model, data, in: directory)
        #expect(result.isCleanFailure, "\(result)")
        #expect(result.standardError.contains("line 2, column 'id'"), "\(result)")
        #expect(result.standardError.contains("not one of the model's features"), "\(result)")
        #expect(result.standardError.contains("Delete the column"), "\(result)")
        #expect(!result.standardError.contains("delete the row"), "\(result)")
    }
}
