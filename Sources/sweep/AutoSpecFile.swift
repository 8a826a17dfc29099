import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The spec file `sweep auto` writes: never over a file the user keeps, however its path is
/// spelt; kept as it is when it already holds this sweep's spec.
extension AutoCommand {
    /// Whether `stored` is the spec `text` but for the data's path, both paths naming one file;
    /// the stored path if so.
    static func sameSpec(_ stored: [String: Any], asText text: String) -> String? {
        guard let new = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
              var storedData = stored["data"] as? [String: Any], var newData = new["data"] as? [String: Any],
              let storedSource = storedData.removeValue(forKey: "source") as? String,
              let newSource = newData.removeValue(forKey: "source") as? String,
              let identity = FileIdentity(path: storedSource), identity == FileIdentity(path: newSource)
        else { return nil }
        var storedRest = stored, newRest = new
        storedRest["data"] = storedData
        newRest["data"] = newData
        return NSDictionary(dictionary: storedRest).isEqual(to: newRest) ? storedSource : nil
    }

    /// Writes the spec, or keeps an identical one (running again continues the sweep); a different
    /// file at that path is refused rather than replaced, however the path is spelt: `--spec
    /// data.csv/` was not seen to exist, and the write, which drops the slash, replaced the data.
    func writeSpec(_ text: String, named name: String, to path: String) throws {
        func refuse(_ message: String) throws -> Never {
            Terminal.error(message)
            throw ExitCode(2)
        }
        guard !path.isEmpty else { try refuse("--spec needs a file name, such as --spec sweeps/mine.json") }
        var status = stat()
        let exists = stat(path, &status) == 0
        if path.hasSuffix("/") || (exists && status.st_mode & S_IFMT == S_IFDIR) {
            try refuse("--spec '\(path)' names a folder, not a file; name the spec's file, such as --spec \((path as NSString).appendingPathComponent("spec.json"))")
        }
        if exists {
            // A database or a model is not text, and a FIFO would never be read to its end:
            // refused as firmly as another spec.
            guard status.st_mode & S_IFMT == S_IFREG, let existing = try? String(contentsOfFile: path, encoding: .utf8) else {
                try refuse("'\(path)' exists and is not a spec (it is not a text file); writing the spec there would replace it. Name a new file with --spec PATH")
            }
            if existing == text {
                Terminal.note("\(path) exists with this spec: \(restart ? "starting its sweep again" : "continuing its sweep")")
                return
            }
            guard let stored = (try? JSONSerialization.jsonObject(with: Data(existing.utf8))) as? [String: Any] else {
                try refuse("'\(path)' exists and is not a spec; writing the spec there would replace it. Name a new file with --spec PATH")
            }
            // The same spec with the same file spelt another way (./data.csv, an absolute path, a
            // link): its sweep, continued with the spec as it is.
            if let written = Self.sameSpec(stored, asText: text) {
                Terminal.note("\(path) exists with this spec, its data named '\(written)': \(restart ? "starting its sweep again" : "continuing its sweep")")
                return
            }
            // Another file's sweep under the same name (p1/train.csv and p2/train.csv are both
            // auto-train): --restart would discard it, so it is not offered.
            if let other = ((stored["data"] as? [String: Any])?["source"] as? String), other != data,
               case let otherFile = FileIdentity(path: other), otherFile != FileIdentity(path: data) {
                let advice = otherFile == nil
                    ? " (no longer there). If this is that file moved, continue its sweep with sweep run \(shellWord(path)) --data \(shellWord(data))\(store.databaseOption); else give"
                    : ". Give"
                try refuse("'\(path)' holds the sweep '\(stored["name"] as? String ?? name)' of another file, '\(other)'\(advice) this file a sweep of its own with --name, e.g. --name \(name)-2")
            }
            // The same sweep's spec, written for other data or by another version: --restart
            // starts that sweep again, so its spec goes too.
            guard restart, stored["name"] as? String == name else {
                try refuse("'\(path)' exists and holds another spec; run it with sweep run \(shellWord(path)), start this sweep again with --restart, or write this one elsewhere with --spec PATH")
            }
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            } catch {
                try refuse("cannot write the spec to '\(path)': \(error.localizedDescription)")
            }
            Terminal.note("\(path) held this sweep's spec for other data; replaced (--restart)")
            return
        }
        do {
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            // Never over a file, should one appear at the path since it was looked at.
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .withoutOverwriting)
        } catch {
            try refuse("cannot write the spec to '\(path)': \(error.localizedDescription)")
        }
    }
}
