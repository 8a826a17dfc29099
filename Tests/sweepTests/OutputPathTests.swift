import Foundation
import SweepKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A pseudo-terminal of the test's own: a character device to write to, or a terminal for a
/// command's standard output.
final class PseudoTerminal: @unchecked Sendable {
    let master: Int32
    let devicePath: String
    private var collected: [UInt8] = []
    private let lock = NSLock()
    private var reader: Thread?

    init() throws {
        // The C library's pty functions, which Swift's Glibc module does not expose.
        func function<T>(_ name: String, as type: T.Type) throws -> T {
            unsafeBitCast(try #require(dlsym(nil, name), "no \(name) in the C library"), to: type)
        }
        let openMaster = try function("posix_openpt", as: (@convention(c) (Int32) -> Int32).self)
        let grant = try function("grantpt", as: (@convention(c) (Int32) -> Int32).self)
        let unlock = try function("unlockpt", as: (@convention(c) (Int32) -> Int32).self)
        let name = try function("ptsname", as: (@convention(c) (Int32) -> UnsafeMutablePointer<CChar>?).self)
        master = openMaster(O_RDWR | O_NOCTTY)
        try #require(master >= 0 && grant(master) == 0 && unlock(master) == 0)
        devicePath = String(cString: try #require(name(master)))
    }

    deinit { close(master) }

    /// The device opened for writing, e.g. to be a command's standard output.
    func openDevice() throws -> FileHandle {
        let descriptor = open(devicePath, O_RDWR | O_NOCTTY)
        try #require(descriptor >= 0)
        return FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }

    /// Reads everything written to the device, on a thread of its own so that a writer never
    /// blocks on a full buffer.
    func startReading() {
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(master, $0.baseAddress, 4096) }
                if count <= 0 { break }
                lock.withLock { collected += buffer[0..<count] }
            }
        }
        reader = thread
        thread.start()
    }

    /// What was read so far, with the terminal's CR LF turned back into LF.
    var text: String {
        lock.withLock { String(decoding: collected, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n") }
    }
}

/// The reading end of a FIFO, held open from before the command starts, so that its writer
/// never waits for a reader, and the test never waits for a writer: if the command replaced the
/// FIFO instead of writing into it, the reader simply finds nothing.
final class FIFOReader {
    private let descriptor: Int32

    init(_ path: String) throws {
        #expect(mkfifo(path, 0o600) == 0)
        descriptor = open(path, O_RDONLY | O_NONBLOCK)
        try #require(descriptor >= 0)
    }

    deinit { close(descriptor) }

    /// What the writer left in the FIFO, read once it has ended. The outputs written here are a
    /// few kilobytes, well within the FIFO's 64 KiB, so the writer never blocks on a full FIFO.
    func written() -> [UInt8] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, 4096) }
            if count <= 0 { return bytes }
            bytes += buffer[0..<count]
        }
    }
}

/// `-o` writes what a path points at without replacing it: through symbolic links, into FIFOs
/// and devices, to standard output for `-`, and atomically into regular files.
@Suite("sweep export and predict -o: write through links, stream to FIFOs, devices and -")
struct OutputPathTests {
    /// A directory with a finished one-trial sweep in `db.sqlite`.
    private func directoryWithSweep() async throws -> ScratchDirectory {
        let directory = try ScratchDirectory()
        try directory.write("spec.json", #"{"name": "one", "data": "builtin:phone-price?rows=40", "fixed": {"hidden_layers": [4], "epochs": 1, "batch_size": 8}}"#)
        let run = try await sweep("run", "spec.json", "--db", "db.sqlite", "--jobs", "1", "--quiet", in: directory)
        try #require(run.status == 0, "\(run)")
        return directory
    }

    private func isSymbolicLink(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFLNK
    }

    private func fileKind(_ path: String) -> mode_t {
        var status = stat()
        return lstat(path, &status) == 0 ? status.st_mode & S_IFMT : 0
    }

    @Test func exportThroughASymbolicLinkWritesItsTargetAndKeepsTheLink() async throws {
        let directory = try await directoryWithSweep()
        try directory.directory("models")
        try directory.write("models/real.safetensors", "old contents")
        // A chain of two relative links, the first in another directory than its target.
        try directory.symlink("models/latest.safetensors", to: "real.safetensors")
        try directory.symlink("best.safetensors", to: "models/latest.safetensors")
        let result = try await sweep("export", "--db", "db.sqlite", "-o", "best.safetensors", in: directory)
        #expect(result.status == 0, "\(result)")
        #expect(isSymbolicLink(directory.path("best.safetensors")) && isSymbolicLink(directory.path("models/latest.safetensors")))
        let model = try ModelFile.read(path: directory.path("models/real.safetensors"))
        #expect(model.sweepName == "one" && model.trialNumber == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path("models")).sorted() == ["latest.safetensors", "real.safetensors"])
    }

    @Test func exportThroughADanglingLinkCreatesItsTarget() async throws {
        let directory = try await directoryWithSweep()
        try directory.symlink("best.safetensors", to: "new/dir/model.safetensors")
        let result = try await sweep("export", "--db", "db.sqlite", "-o", "best.safetensors", in: directory)
        #expect(result.status == 0, "\(result)")
        #expect(isSymbolicLink(directory.path("best.safetensors")))
        #expect(try ModelFile.read(path: directory.path("new/dir/model.safetensors")).trialNumber == 1)
    }

    @Test func exportToDashWritesTheModelToStandardOutputAndTheReportToStandardError() async throws {
        let directory = try await directoryWithSweep()
        let toFile = try await sweep("export", "--db", "db.sqlite", "-o", "file.safetensors", in: directory)
        #expect(toFile.status == 0, "\(toFile)")
        let toStandardOutput = try await limitedSweep(["export", "--db", "db.sqlite", "-o", "-"], in: directory)
        #expect(toStandardOutput.status == 0, "\(toStandardOutput)")
        // The bytes on standard output (captured in a file by the launcher) are the model's.
        let written = try Data(contentsOf: directory.url.appendingPathComponent("file.safetensors"))
        let captured = try FileManager.default.contentsOfDirectory(atPath: directory.url.path)
            .filter { $0.hasSuffix(".stdout") }
            .map { try Data(contentsOf: directory.url.appendingPathComponent($0)) }
        #expect(captured.contains(written))
        #expect(toStandardOutput.standardError.contains("wrote standard output: sweep 'one' trial 1"), "\(toStandardOutput)")
        #expect(!FileManager.default.fileExists(atPath: directory.path("-")))
    }

    @Test func exportToALinkToTheProcesssOwnStandardOutputWritesThere() async throws {
        // The issue's `-o /dev/stdout`, with a link of the test's own to the same place.
        let directory = try await directoryWithSweep()
        try directory.symlink("stdout-link", to: "/proc/self/fd/1")
        let result = try await limitedSweep(["export", "--db", "db.sqlite", "-o", "stdout-link"], in: directory)
        #expect(result.status == 0, "\(result)")
        #expect(isSymbolicLink(directory.path("stdout-link")))
        // Standard output, captured in a file by the launcher, holds the model.
        let captured = try FileManager.default.contentsOfDirectory(atPath: directory.url.path)
            .filter { $0.hasSuffix(".stdout") }
            .map { try Data(contentsOf: directory.url.appendingPathComponent($0)) }
        #expect(captured.contains { (try? SafeTensors.decode($0, path: "stdout"))?.metadata["sweep.sweep"] == "one" }, "\(result)")
    }

    @Test func exportIntoAFIFOStreamsAndLeavesTheFIFO() async throws {
        let directory = try await directoryWithSweep()
        let fifo = directory.path("model.fifo")
        let reader = try FIFOReader(fifo)
        let result = try await sweep("export", "--db", "db.sqlite", "-o", "model.fifo", in: directory)
        #expect(result.status == 0, "\(result)")
        let streamed = reader.written()
        #expect(fileKind(fifo) == S_IFIFO)
        let decoded = try SafeTensors.decode(Data(streamed), path: "stream")
        #expect(decoded.metadata["sweep.sweep"] == "one")
    }

    @Test func exportRefusesToWriteABinaryModelToATerminal() async throws {
        let directory = try await directoryWithSweep()
        let terminal = try PseudoTerminal()
        terminal.startReading()
        let result = try await limitedSweep(["export", "--db", "db.sqlite", "-o", "-"], in: directory, standardOutput: try terminal.openDevice())
        #expect(result.isCleanFailure, "\(result)")
        #expect(result.standardError.contains("would write a binary model to the terminal"), "\(result)")
        #expect(!terminal.text.contains("__metadata__"))
    }

    @Test func predictIntoACharacterDeviceStreamsTheCSV() async throws {
        let directory = try ScratchDirectory()
        try directory.write("model.safetensors", bytes: try ModelFixture.bytes())
        let terminal = try PseudoTerminal()
        // The device stays open here, so the reader sees the end of the stream by the text.
        let held = try terminal.openDevice()
        terminal.startReading()
        let result = try await limitedSweep(["predict", "model.safetensors", ModelFixture.data, "-o", terminal.devicePath], in: directory)
        #expect(result.status == 0, "\(result)")
        let expected = try await limitedSweep(["predict", "model.safetensors", ModelFixture.data], in: directory).standardOutput
        var waited = 0
        while terminal.text.count < expected.count, waited < 2000 {
            try await Task.sleep(for: .milliseconds(5))
            waited += 1
        }
        #expect(terminal.text == expected)
        withExtendedLifetime(held) {}
    }

    @Test func predictToDashOrAFIFOOrALinkWritesTheSameCSVAsStandardOutput() async throws {
        let directory = try ScratchDirectory()
        try directory.write("model.safetensors", bytes: try ModelFixture.bytes())
        let plain = try await limitedSweep(["predict", "model.safetensors", ModelFixture.data], in: directory)
        try #require(plain.status == 0, "\(plain)")
        #expect(plain.standardOutput.hasPrefix("row,prediction,probability_0"))

        let dash = try await limitedSweep(["predict", "model.safetensors", ModelFixture.data, "-o", "-"], in: directory)
        #expect(dash.standardOutput == plain.standardOutput, "\(dash)")

        let reader = try FIFOReader(directory.path("out.fifo"))
        let fifo = try await limitedSweep(["predict", "model.safetensors", ModelFixture.data, "-o", "out.fifo"], in: directory)
        #expect(fifo.status == 0, "\(fifo)")
        #expect(String(decoding: reader.written(), as: UTF8.self) == plain.standardOutput)
        #expect(fileKind(directory.path("out.fifo")) == S_IFIFO)

        try directory.write("target.csv", "old")
        try directory.symlink("link.csv", to: "target.csv")
        let link = try await limitedSweep(["predict", "model.safetensors", ModelFixture.data, "-o", "link.csv"], in: directory)
        #expect(link.status == 0, "\(link)")
        #expect(isSymbolicLink(directory.path("link.csv")))
        #expect(try String(contentsOfFile: directory.path("target.csv"), encoding: .utf8) == plain.standardOutput)
    }

    @Test func predictReplacesARegularFileWholeAndKeepsItsPermissions() async throws {
        let directory = try ScratchDirectory()
        try directory.write("model.safetensors", bytes: try ModelFixture.bytes())
        let path = try directory.write("predictions.csv", String(repeating: "stale line\n", count: 10_000))
        #expect(chmod(path, 0o640) == 0)
        let result = try await limitedSweep(["predict", "model.safetensors", ModelFixture.data, "-o", "predictions.csv"], in: directory)
        #expect(result.status == 0, "\(result)")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasPrefix("row,prediction") && !text.contains("stale"))
        var status = stat()
        #expect(stat(path, &status) == 0 && status.st_mode & 0o777 == 0o640)
        // No temporary file is left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path).filter { $0.hasSuffix(".tmp") }.isEmpty)
    }
}
