import Foundation
@testable import Datasets

/// A directory of its own for one test, removed when the test lets go of it. Tests run in
/// parallel, so fixtures never share a path.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("DatasetsTests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Writes `text` as UTF-8 to a file in the directory and returns its path.
    func write(_ text: String, named name: String) throws -> String {
        try write(bytes: Array(text.utf8), named: name)
    }

    /// Writes raw bytes to a file in the directory and returns its path.
    func write(bytes: [UInt8], named name: String) throws -> String {
        let filePath = (path as NSString).appendingPathComponent(name)
        try Data(bytes).write(to: URL(fileURLWithPath: filePath))
        return filePath
    }
}

/// Runs `body` and returns the `DatasetError` it throws, or `nil` if it throws nothing.
/// Another kind of error also gives `nil`, which fails the expectation that follows.
func datasetError<Result>(_ body: () throws -> Result) -> DatasetError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error as? DatasetError
    }
}

/// A classification dataset with one feature (the row index) whose classes are dealt
/// round-robin in file order until each class has its count: counts [2, 1] give classes 0, 1, 0.
func interleavedClassDataset(classCounts: [Int]) -> Dataset {
    var remaining = classCounts
    var targets: [Float] = []
    while remaining.contains(where: { $0 > 0 }) {
        for classIndex in remaining.indices where remaining[classIndex] > 0 {
            targets.append(Float(classIndex))
            remaining[classIndex] -= 1
        }
    }
    return Dataset(
        featureNames: ["row"],
        targetName: "class",
        features: targets.indices.map { Float($0) },
        targets: targets,
        source: "memory"
    )
}
