import Foundation
import NeuralNet
import Testing
@testable import SweepKit

/// What a model file records of the data it was split from, for `sweep predict --part`.
@Suite struct ModelFileTests {
    private func roundTrip(_ file: ModelFile) throws -> ModelFile {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("model-\(UUID().uuidString).safetensors").path
        try file.encoded().write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try ModelFile.read(path: path)
    }

    private func file(split: DataConfiguration, dataFingerprint: String?) -> ModelFile {
        let model = EnsembleTests.linear(task: .binary, weights: [1, 0], bias: [0])
        return ModelFile(model: model, metrics: [:], split: split, sweepName: "s", trialNumber: 1, dataFingerprint: dataFingerprint)
    }

    @Test func theDataFingerprintAndTheSettingsItWasTakenWithSurviveTheFile() throws {
        var split = DataConfiguration()
        split.folds = 4
        split.standardize = false
        split.splitSeed = 7
        let read = try roundTrip(file(split: split, dataFingerprint: "0123456789abcdef"))
        #expect(read.dataFingerprint == "0123456789abcdef")
        #expect(read.split.folds == 4 && read.split.standardize == false && read.split.splitSeed == 7)

        let plain = try roundTrip(file(split: DataConfiguration(), dataFingerprint: nil))
        #expect(plain.dataFingerprint == nil && plain.split.folds == nil && plain.split.standardize)
    }

    @Test func aFingerprintThatCannotBeCheckedIsADamagedFile() throws {
        let valid = try file(split: DataConfiguration(), dataFingerprint: "0123456789abcdef").encoded()
        let cases: [(edit: (inout [String: String]) -> Void, phrase: String)] = [
            ({ $0["sweep.data_fingerprint"] = "not hexadecimal!" }, "metadata 'sweep.data_fingerprint' is not 16 hexadecimal digits"),
            ({ $0["sweep.split"] = #"{"seed": 88, "test_fraction": 0.2, "validation_fraction": 0.1}"# }, "lacks 'standardize'"),
            ({ $0["sweep.split"] = #"{"seed": 88, "test_fraction": 0.2, "validation_fraction": 0, "folds": 1, "standardize": true}"# }, "has 1 folds"),
        ]
        try expectDamaged(valid, cases)
    }

    /// `sweep predict --part` splits the data with these fractions; no spec can hold them.
    @Test func splitFractionsNoSpecCanHoldAreADamagedFile() throws {
        let valid = try file(split: DataConfiguration(), dataFingerprint: nil).encoded()
        let split = { (test: String, validation: String) in
            { (metadata: inout [String: String]) in
                metadata["sweep.split"] = #"{"seed": 88, "test_fraction": \#(test), "validation_fraction": \#(validation), "standardize": true}"#
            }
        }
        try expectDamaged(valid, [
            (split("1.5", "0.1"), "metadata 'sweep.split' has test_fraction 1.5, outside the [0, 1)"),
            (split("0.2", "-0.1"), "metadata 'sweep.split' has validation_fraction -0.1, outside the [0, 1)"),
            (split("0.6", "0.4"), "metadata 'sweep.split' has test_fraction 0.6 and validation_fraction 0.4, which leave no rows to train on"),
        ])
    }

    /// The file `valid` with each edit made to its metadata is refused, with the phrase in the message.
    private func expectDamaged(_ valid: Data, _ cases: [(edit: (inout [String: String]) -> Void, phrase: String)]) throws {
        let (tensors, metadata) = try SafeTensors.decode(valid, path: "memory")
        for (edit, phrase) in cases {
            var changed = metadata
            edit(&changed)
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("damaged-\(UUID().uuidString).safetensors").path
            try SafeTensors.encode(tensors.sorted { $0.name < $1.name }, metadata: changed).write(to: URL(fileURLWithPath: path))
            defer { try? FileManager.default.removeItem(atPath: path) }
            #expect {
                _ = try ModelFile.read(path: path)
            } throws: { error in
                String(describing: error).contains(phrase)
            }
        }
    }
}
