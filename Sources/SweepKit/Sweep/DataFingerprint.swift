import Foundation
import NeuralNet

/// A summary of the data a sweep trains on, to notice a resume on other data: a CSV whose rows
/// changed, were shuffled or re-labelled under the same path would otherwise mix trials of two
/// data sets in one leaderboard. An exported model carries its sweep's (`ModelFile.dataFingerprint`),
/// so that `sweep predict --part` picks the split's rows by position only in that data.
///
/// It hashes the content as the trials see it: column names, class labels, and every part's
/// rows (their indices in the file, features and targets, as 32-bit floats) of every fold. The
/// path is not part of it: a file moved elsewhere is the same data. 64 bits of FNV-1a over the
/// bytes, as 16 hexadecimal digits: it guards against accident, not against an adversary.
public enum DataFingerprint {
    public static func of(_ data: PreparedData) -> String {
        var hasher = Hasher64()
        func feed(_ bytes: UnsafeRawBufferPointer) { hasher.add(bytes) }
        func feed(_ text: String) {
            // The length first, so that names cannot run into each other ("ab" + "c" ≠ "a" + "bc").
            withUnsafeBytes(of: Int64(text.utf8.count).littleEndian) { feed($0) }
            var text = text
            text.withUTF8 { feed(UnsafeRawBufferPointer($0)) }
        }
        func feed(_ values: [Float]) { values.withUnsafeBytes { feed($0) } }
        func feed(_ part: DataPart) {
            part.rowIndices.map(Int64.init).withUnsafeBytes { feed($0) }
            feed(part.features)
            feed(part.targets)
        }
        for name in data.featureNames + [data.targetName, data.task.rawValue] + data.classLabels { feed(name) }
        for fold in data.folds + (data.finalFit.map { [$0] } ?? []) {
            feed(fold.train)
            feed(fold.validation)
            feed(fold.test)
        }
        return String(format: "%016llx", hasher.value)
    }

    /// FNV-1a, 64 bits: h = (h ^ byte) · 0x100000001b3 from 0xcbf29ce484222325.
    private struct Hasher64 {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325

        mutating func add(_ bytes: UnsafeRawBufferPointer) {
            for byte in bytes { value = (value ^ UInt64(byte)) &* 0x100_0000_01b3 }
        }
    }
}
