import Foundation
import SweepStore
import Testing

/// A sweep resumed on data that changed under the same path is refused, not mixed.
@Suite("Resuming on changed data")
struct ResumeSafetyCommandTests {
    /// A small classification CSV: two features, a label from their sum; `swap` exchanges the
    /// labels of the first two rows of each class pair.
    private func csv(swapping: Bool) -> String {
        var lines = ["a,b,label"]
        for row in 0..<120 {
            let a = Double(row % 17) / 17, b = Double(row % 11) / 11
            var label = a + b > 1 ? 1 : 0
            if swapping, row < 40 { label = 1 - label }
            lines.append("\(a),\(b),\(label)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The data file moved (the same bytes elsewhere): it was refused as another spec ("its
    /// "data" differ"), with --restart, which throws every result away, as the advice. It
    /// resumes, and the stored spec names the new path. Data of other content at the new path
    /// is refused naming the path the sweep trained on; an edited split is a spec change.
    @Test func aMovedDataFileResumesItsSweep() async throws {
        let directory = try ScratchDirectory()
        try directory.write("data.csv", csv(swapping: false))
        func spec(_ data: String) -> String {
            """
            {"name": "moving", "data": \(data), "method": "random", "trials": 6, "seed": 1,
             "fixed": {"hidden_layers": [4], "epochs": 2}, "parameters": {"lr": {"distribution": "log_uniform", "min": 0.001, "max": 0.1}}}
            """
        }
        let database = directory.path("results.sqlite")
        let first = try directory.write("first.json", spec("\"\(directory.path("data.csv"))\""))
        #expect(try await sweep("run", first, "--db", database, "--trials", "3", in: directory).status == 0)
        try FileManager.default.createDirectory(atPath: directory.path("moved"), withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: directory.path("data.csv"), toPath: directory.path("moved/data.csv"))

        let moved = try directory.write("moved.json", spec("\"\(directory.path("moved/data.csv"))\""))
        let resumed = try await sweep("run", moved, "--db", database, in: directory)
        #expect(resumed.status == 0, "\(resumed)")
        #expect(resumed.standardOutput.contains("resuming: 3 already finished"), "\(resumed)")
        let store = try SQLiteResultStore(path: database)
        #expect(try store.trials(sweep: "moving").count == 6)
        #expect(try store.sweep(named: "moving")?.specJSON.contains("moved/data.csv") == true)

        try directory.write("other.csv", csv(swapping: true))
        let other = try await sweep("run", moved, "--db", database, "--data", directory.path("other.csv"), "--trials", "1", in: directory)
        expectCleanRefusal(other, mentioning: ["sweep 'moving' was trained on '\(directory.path("moved/data.csv"))'", "--data \(directory.path("moved/data.csv"))"])
        let split = try directory.write("split.json", spec("{\"source\": \"\(directory.path("moved/data.csv"))\", \"split_seed\": 9}"))
        let resplit = try await sweep("run", split, "--db", database, in: directory)
        expectCleanRefusal(resplit, mentioning: ["a sweep named 'moving' already exists with a different spec (its \"data\" differ"])
    }

    @Test func aShuffledTargetColumnStopsTheResumeWithWhatToDo() async throws {
        let directory = try ScratchDirectory()
        let data = try directory.write("data.csv", csv(swapping: false))
        let spec = try directory.write("spec.json", """
            {"name": "changing", "data": {"source": "\(data)", "folds": 3}, "method": "random", "trials": 6, "seed": 1,
             "fixed": {"hidden_layers": [4], "epochs": 2}, "parameters": {"lr": {"distribution": "log_uniform", "min": 0.001, "max": 0.1}}}
            """)
        let database = directory.path("results.sqlite")
        #expect(try await sweep("run", spec, "--db", database, "--trials", "3", in: directory).status == 0)

        try directory.write("data.csv", csv(swapping: true))
        let refused = try await sweep("run", spec, "--db", database, in: directory)
        #expect(refused.isCleanFailure, "\(refused)")
        #expect(refused.standardError.contains("the data of sweep 'changing' changed"), "\(refused)")
        #expect(refused.standardError.contains("--restart"))
        #expect(try SQLiteResultStore(path: database).trials(sweep: "changing").count == 3)

        // An ensemble of fold models trains them again on the data: refused the same way, once,
        // with the status of a refusal (it added "cannot build the ensemble: ExitCode(rawValue: 2)").
        let folds = try await sweep("export", "changing", "--folds", "--db", database, "-o", directory.path("m.safetensors"), in: directory)
        expectCleanRefusal(folds, mentioning: ["the data of sweep 'changing' changed"])
        #expect(folds.status == 2, "\(folds)")

        let restarted = try await sweep("run", spec, "--db", database, "--restart", in: directory)
        #expect(restarted.status == 0, "\(restarted)")
        #expect(try SQLiteResultStore(path: database).trials(sweep: "changing").count == 6)
    }
}
