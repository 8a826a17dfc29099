import Foundation
import Testing

/// --db paths that cannot be a results database, as a person meets them on the command line.
@Suite("Results database faults on the command line")
struct DatabaseCommandTests {
    @Test(arguments: ["list", "leaderboard", "run"])
    func aDirectoryGivenAsTheDatabaseSaysSoAndWhatToPass(command: String) async throws {
        let directory = try ScratchDirectory()
        let spec = try directory.write("grid.json", SmallSpecs.grid())
        try FileManager.default.createDirectory(atPath: directory.path("results"), withIntermediateDirectories: true)
        let arguments = command == "run" ? [command, spec, "--db", directory.path("results")] : [command, "--db", directory.path("results")]
        let result = try await SweepProcess(arguments, in: directory).wait()
        #expect(result.isCleanFailure, "\(result)")
        #expect(result.standardError.contains("is a directory; --db takes the database file"), "\(result)")
    }

    @Test func aFileThatIsNotADatabaseIsNamedAsSuch() async throws {
        let directory = try ScratchDirectory()
        let notes = try directory.write("notes.txt", "shopping list\n")
        let result = try await sweep("list", "--db", notes, in: directory)
        #expect(result.isCleanFailure, "\(result)")
        #expect(result.standardError.contains("is not a sweep results database"), "\(result)")
    }

    @Test func keepingNoWeightsPrintsNoExportCommand() async throws {
        let directory = try ScratchDirectory()
        let spec = try directory.write("grid.json", SmallSpecs.grid(name: "weightless"))
        let result = try await sweep("run", spec, "--db", directory.path("r.sqlite"), "--keep-weights", "0", in: directory)
        #expect(result.status == 0, "\(result)")
        #expect(!result.standardOutput.contains("export it with"), "\(result)")
        #expect(result.standardOutput.contains("no weights kept (--keep-weights 0)"))
    }
}
