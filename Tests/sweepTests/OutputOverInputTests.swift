import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `-o` never names a file the command reads: export and report refuse the results database and
/// the sweep's data CSV, by any name (a symbolic link, a hard link), before writing anything.
@Suite("sweep export and report -o: refuse the database and data they read")
struct OutputOverInputTests {
    /// A directory with a one-trial sweep of `data.csv` (40 rows, two classes) in `db.sqlite`.
    private func directoryWithSweepOfACSV() async throws -> ScratchDirectory {
        let directory = try ScratchDirectory()
        let rows = (0..<40).map { row in "\(row % 7),\(Double(row) / 10),\(row % 2)" }
        try directory.write("data.csv", (["a,b,label"] + rows).joined(separator: "\n") + "\n")
        try directory.write("spec.json", #"{"name": "csv", "data": "data.csv", "fixed": {"hidden_layers": [4], "epochs": 1, "batch_size": 8}}"#)
        let run = try await sweep("run", "spec.json", "--db", "db.sqlite", "--jobs", "1", "--quiet", in: directory)
        try #require(run.status == 0, "\(run)")
        return directory
    }

    private func hardLink(_ name: String, to target: String, in directory: ScratchDirectory) {
        #expect(link(directory.path(target), directory.path(name)) == 0)
    }

    @Test func exportAndReportRefuseToWriteOverTheResultsDatabaseByAnyName() async throws {
        let directory = try await directoryWithSweepOfACSV()
        try directory.symlink("soft.sqlite", to: "db.sqlite")
        hardLink("hard.sqlite", to: "db.sqlite", in: directory)
        let database = try Data(contentsOf: directory.url.appendingPathComponent("db.sqlite"))
        for command in ["export", "report"] {
            for output in ["db.sqlite", "soft.sqlite", "hard.sqlite"] {
                let result = try await sweep(command, "--db", "db.sqlite", "-o", output, in: directory)
                expectCleanRefusal(result, mentioning: ["-o '\(output)'", "is the results database being read", "Name another file"])
            }
        }
        #expect(try Data(contentsOf: directory.url.appendingPathComponent("db.sqlite")) == database)
        let listed = try await sweep("list", "--db", "db.sqlite", in: directory)
        #expect(listed.status == 0 && listed.standardOutput.contains("csv"), "\(listed)")
    }

    @Test func exportAndReportRefuseToWriteOverTheSweepsDataCSV() async throws {
        let directory = try await directoryWithSweepOfACSV()
        hardLink("copy.csv", to: "data.csv", in: directory)
        let data = try String(contentsOfFile: directory.path("data.csv"), encoding: .utf8)
        for command in ["export", "report"] {
            for output in ["data.csv", "copy.csv"] {
                let result = try await sweep(command, "--db", "db.sqlite", "-o", output, in: directory)
                expectCleanRefusal(result, mentioning: ["-o '\(output)'", "is the sweep's data being read ('data.csv')"])
            }
        }
        #expect(try String(contentsOfFile: directory.path("data.csv"), encoding: .utf8) == data)
        // Another file beside them is still written.
        let export = try await sweep("export", "--db", "db.sqlite", "-o", "best.safetensors", in: directory)
        #expect(export.status == 0, "\(export)")
    }
}
