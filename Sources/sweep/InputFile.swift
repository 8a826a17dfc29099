import ArgumentParser
import Datasets
import Foundation

/// The largest spec or configuration file read: a few hundred bytes is usual, and a bound keeps
/// a wrong path (`/dev/zero`, a dataset) from being read whole.
let maximumSettingsFileSize = 16 << 20

/// Reads a JSON spec or configuration named on the command line, or prints one message saying
/// why it cannot (missing, a directory, too large, unreadable) and exits with status 2.
///
/// - Parameters:
///   - path: the file as given.
///   - kind: what it is, for the message: "configuration file", "spec".
func readSettingsFile(_ path: String, kind: String) throws -> Data {
    do {
        return Data(try readFileBytes(at: path, limit: maximumSettingsFileSize))
    } catch {
        let reason = switch error {
        case .notFound: "no such file"
        case .directory: "it is a directory; name a JSON file"
        case .tooLarge: "it is larger than \(maximumSettingsFileSize >> 20) MiB, which no \(kind) is; check the path"
        case .unreadable(let reason): reason
        }
        Terminal.error("cannot read \(kind) '\(path)': \(reason)")
        throw ExitCode(2)
    }
}

/// Refuses a command line with an argument that is not UTF-8 text. Swift decodes such an
/// argument with U+FFFD in place of the bad bytes, so a path would silently name another file:
/// an input would be "not found" under a name the user never typed, an output written there.
func requireUTF8Arguments() throws {
    for index in 1..<Int(CommandLine.argc) {
        guard let pointer = CommandLine.unsafeArgv[index] else { continue }
        let length = strlen(pointer)
        let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: length)
        if String(validating: bytes, as: UTF8.self) == nil {
            let shown = String(decoding: bytes, as: UTF8.self)
            Terminal.error("argument \(index) ('\(shown)') is not UTF-8 text, so the file it names cannot be told apart from others; rename the file (or its directory) with UTF-8 characters, e.g. with convmv")
            throw ExitCode(2)
        }
    }
}
