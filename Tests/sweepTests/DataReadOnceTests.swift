import ArgumentParser
import Datasets
import NeuralNet
import Foundation
import SweepKit
import Testing
@testable import sweep

#if canImport(Glibc)
import Glibc
#endif

/// `sweep auto` reads its CSV once: the table it reads to write the spec is the one the sweep
/// prepares, and the export trains fold models again on what the trials trained on. A large file
/// is not parsed three times out of the budget, and what is trained is what was read.
@Suite("sweep auto reads its data once")
struct DataReadOnceTests {
    /// 120 rows of three features and a class from 0 to 2 that follows the first feature.
    static let csv: String = {
        var generator = SplitMix64(seed: 5)
        var lines = ["a,b,c,label"]
        for _ in 0..<120 {
            let a = generator.nextUnitDouble(), b = generator.nextUnitDouble(), c = generator.nextUnitDouble()
            lines.append(String(format: "%.4f,%.4f,%.4f,%d", a, b, c, min(2, Int(a * 3))))
        }
        return lines.joined(separator: "\n") + "\n"
    }()

    static func spec(name: String, source: String) -> String {
        """
        {"name": "\(name)", "data": {"source": "\(source)", "folds": 3, "test_fraction": 0}, "method": "random", "trials": 3, "seed": 2,
         "fixed": {"hidden_layers": [8], "epochs": 3, "batch_size": 16},
         "parameters": {"lr": {"distribution": "log_uniform", "min": 0.005, "max": 0.05}}}
        """
    }

    @Test func theTableReadAlreadyIsPreparedWithoutReadingTheFileAgain() throws {
        let directory = try ScratchDirectory()
        let csv = try directory.write("data.csv", Self.csv)
        let spec = try SweepSpec.parse(Data(Self.spec(name: "once", source: csv).utf8), source: "spec.json")
        let dataset = try Dataset.load(source: csv)
        try FileManager.default.removeItem(atPath: csv)
        let (_, prepared) = try loadData(for: spec, jobs: 1, dataset: dataset)
        #expect(prepared.folds.count == 3)
        #expect(prepared.folds.map { $0.train.rowCount + $0.validation.rowCount } == [120, 120, 120])
        // A table of another source is not taken for the spec's: the file is read, and it is gone.
        let other = try Dataset.load(source: "builtin:phone-price?rows=120")
        #expect(throws: ExitCode.self) { try loadData(for: spec, jobs: 1, dataset: other) }
    }

    @Test func theExportTrainsFoldModelsAgainOnTheDataTheSweepTrainedOn() async throws {
        let directory = try ScratchDirectory()
        let csv = try directory.write("data.csv", Self.csv)
        let specPath = try directory.write("spec.json", Self.spec(name: "refit", source: csv))
        let database = directory.path("results.sqlite")
        let run = try await sweep("run", specPath, "--db", database, in: directory)
        #expect(run.status == 0, "\(run)")
        let spec = try SweepSpec.parse(Data(Self.spec(name: "refit", source: csv).utf8), source: "spec.json")
        let (_, trainedOn) = try loadData(for: spec, jobs: 1)
        try FileManager.default.removeItem(atPath: csv)

        let model = directory.path("m.safetensors")
        let export = try ExportCommand.parse(["refit", "--db", database, "--ensemble", "2", "--folds", "-o", model])
        // Without the data: the file is gone, which it says.
        #expect(throws: ExitCode.self) { try export.run(until: nil) }
        // With it, nothing is read: the fold models are trained again, and (no test rows) not scored on any.
        try export.run(until: nil, trainedOn: trainedOn)
        let header = String(decoding: try Data(contentsOf: URL(fileURLWithPath: model)).prefix(20_000), as: UTF8.self)
        #expect(header.contains("sweep.ensemble"))
    }

    /// New rows come without the target column. predict read the file with the model's target,
    /// and on finding no such column read it again: a pipe was empty by then ("the file is empty").
    @Test func predictReadsAPipeWithoutTheTargetColumnOnce() async throws {
        let directory = try ScratchDirectory()
        let features = ["a", "b", "c"]
        try directory.write("model.safetensors", bytes: try ModelFixture.wideBytes(featureNames: features, in: directory))
        let rows = (0..<12).map { row in features.indices.map { String((row * 5 + $0) % 9) }.joined(separator: ",") }
        let csv = (features.joined(separator: ",") + "\n") + rows.joined(separator: "\n") + "\n"
        try directory.write("new.csv", csv)
        let fifo = directory.path("new.fifo")
        try #require(mkfifo(fifo, 0o600) == 0)
        let writer = Thread {
            guard let handle = FileHandle(forWritingAtPath: fifo) else { return }
            try? handle.write(contentsOf: Data(csv.utf8))
            try? handle.close()
        }
        writer.start()

        let piped = try await sweep("predict", "model.safetensors", fifo, in: directory)
        let file = try await sweep("predict", "model.safetensors", "new.csv", in: directory)

        #expect(file.status == 0 && file.standardOutput.split(separator: "\n").count == 13, "\(file)")
        #expect(piped.status == 0, "\(piped)")
        #expect(piped.standardOutput == file.standardOutput)
    }

    @Test func aPipeIsRefusedBeforeAnythingIsWritten() async throws {
        let directory = try ScratchDirectory()
        let fifo = directory.path("data.csv")
        try #require(mkfifo(fifo, 0o600) == 0)
        let spec = directory.path("sweeps/auto.json")
        // Nothing writes to the pipe: reading it would wait, so the refusal must come first.
        let auto = try await sweep("auto", fifo, "--budget", "5s", "--spec", spec, "--db", directory.path("r.sqlite"), in: directory, timeout: .seconds(30))
        #expect(auto.isCleanFailure && auto.status == 2, "\(auto)")
        #expect(auto.standardError.contains("'\(fifo)' is a pipe, which can be read only once"), "\(auto)")
        #expect(auto.standardError.contains("Save it to a file first"), "\(auto)")
        #expect(!FileManager.default.fileExists(atPath: spec))
        #expect(!FileManager.default.fileExists(atPath: directory.path("r.sqlite")))
    }
}
