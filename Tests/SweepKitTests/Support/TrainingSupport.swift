import Datasets
import Foundation
import NeuralNet
import Testing
@testable import SweepKit

/// A small, fast slice of the built-in data: 400 phones, 100 per class. With the default split
/// (test 0.2, validation 0.1, rounded per class) that is 70 + 10 + 20 rows per class, so
/// 280 training, 40 validation and 80 test rows.
let smallPhoneSource = "builtin:phone-price?rows=400"
/// 4 classes × 70: see `smallPhoneSource`.
let smallPhoneTrainingRowCount = 280

/// Parses a configuration written as JSON, the way `sweep train` reads its file.
func configuration(_ json: String) throws -> TrainingConfiguration {
    try TrainingConfiguration.parse(Data(json.utf8), source: "test configuration")
}

/// Every problem a configuration written as JSON has; empty when it is valid.
func problems(in json: String) throws -> [ConfigurationProblem] {
    var found: [ConfigurationProblem] = []
    _ = TrainingConfiguration.read(try JSONValue.parse(Data(json.utf8), source: "test"), problems: &found)
    return found
}

/// Parses, loads the data and trains: the whole `sweep train` path without the terminal.
func train(
    _ json: String, observe: (TrainingEvent) -> Void = { _ in }, shouldStop: () -> Bool = { false }
) throws -> TrainingResult {
    let parsed = try configuration(json)
    let data = try PreparedData.load(parsed.data)
    return try Trainer(configuration: parsed, data: data).run(observe: observe, shouldStop: shouldStop)
}

/// The number of `.batch` events a run reports for each (fold, epoch), and the batch count
/// those events announce.
final class BatchCounter {
    private(set) var events: [(fold: Int, epoch: Int, batch: Int, batchCount: Int)] = []

    func observe(_ event: TrainingEvent) {
        if case .batch(let fold, let epoch, let batch, let batchCount) = event {
            events.append((fold, epoch, batch, batchCount))
        }
    }

    func batches(inEpoch epoch: Int, fold: Int = 1) -> [(batch: Int, batchCount: Int)] {
        events.filter { $0.fold == fold && $0.epoch == epoch }.map { ($0.batch, $0.batchCount) }
    }
}

/// The epoch records with their wall-clock seconds zeroed, so that two runs compare on what
/// was computed only.
func withoutTimings(_ records: [EpochRecord]) -> [EpochRecord] {
    records.map { record in
        var copy = record
        copy.seconds = 0
        return copy
    }
}

/// A directory of its own for one test, removed when the test lets go of it. Tests run in
/// parallel, so fixtures never share a path.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("SweepKitTests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Writes `text` as UTF-8 to a file in the directory and returns its path.
    func write(_ text: String, named name: String) throws -> String {
        let filePath = (path as NSString).appendingPathComponent(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: filePath))
        return filePath
    }
}

/// Small synthetic tables with a known rule, written as CSV so that they go through the same
/// loader as a user's file. Features are independent N(0, 1) draws from a fixed seed.
enum SyntheticTable {
    /// 200 rows of x1, x2, x3 and `label = 1` when `x1 + x2 + 0.03·ε > 0` (ε ~ N(0, 1)); x3 is
    /// noise. The noise flips only rows very near the boundary, so about 98% of rows follow
    /// `x1 + x2 > 0` and a small network should score well above 0.9.
    static func binaryCSV(rows: Int = 200, seed: UInt64 = 7) -> String {
        var rng = SplitMix64(seed: seed)
        var lines = ["x1,x2,x3,label"]
        for _ in 0..<rows {
            let x = (0..<3).map { _ in rng.nextStandardNormal() }
            let label = x[0] + x[1] + 0.03 * rng.nextStandardNormal() > 0 ? 1 : 0
            lines.append("\(format(x[0])),\(format(x[1])),\(format(x[2])),\(label)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// 200 rows of x1, x2, x3 and `y = 2·x1 − x2 + 0.1·ε` (ε ~ N(0, 1)); x3 is noise. The target's
    /// standard deviation is about √(4 + 1 + 0.01) ≈ 2.24 and the best possible RMSE is the
    /// noise's 0.1.
    static func regressionCSV(rows: Int = 200, seed: UInt64 = 11) -> String {
        var rng = SplitMix64(seed: seed)
        var lines = ["x1,x2,x3,y"]
        for _ in 0..<rows {
            let x = (0..<3).map { _ in rng.nextStandardNormal() }
            let y = 2 * x[0] - x[1] + 0.1 * rng.nextStandardNormal()
            lines.append("\(format(x[0])),\(format(x[1])),\(format(x[2])),\(format(y))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func format(_ value: Double) -> String {
        String(format: "%.5f", value)
    }
}

/// The population standard deviation of `values`.
func standardDeviation(_ values: [Float]) -> Double {
    let mean = values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
    let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(values.count)
    return variance.squareRoot()
}
