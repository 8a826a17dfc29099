import Foundation
import SweepKit
import Testing

/// Model files for the bad-input catalogue: a real one, trained in-process on a slice of the
/// built-in data, and the same file damaged in a chosen way.
enum ModelFixture {
    /// The data the fixtures are trained on and predicted for.
    static let data = "builtin:phone-price?rows=40"

    /// A model written as `sweep export` writes it: 20 → 4 → 4, with BatchNorm1d when asked.
    static func bytes(batchNorm: Bool = false) throws -> [UInt8] {
        var configuration = TrainingConfiguration()
        configuration.data.source = data
        configuration.hiddenLayers = [4]
        configuration.batchNorm = batchNorm
        configuration.epochs = 1
        configuration.batchSize = 8
        let prepared = try PreparedData.load(configuration.data)
        let result = try Trainer(configuration: configuration, data: prepared).run()
        let model = try #require(result.model)
        let file = ModelFile(model: model, metrics: [:], split: configuration.data, sweepName: "fixture", trialNumber: 1,
            dataFingerprint: DataFingerprint.of(prepared))
        return [UInt8](try file.encoded())
    }

    /// A linear model of the given feature columns, trained for an epoch on a CSV of 40 rows
    /// written to `directory` (`wide.csv`, target `label`): a model too wide to list in a message.
    static func wideBytes(featureNames: [String], in directory: ScratchDirectory) throws -> [UInt8] {
        let rows = (0..<40).map { row in
            (featureNames.indices.map { String(($0 * 7 + row * 3) % 11) } + [String(row % 2)]).joined(separator: ",")
        }
        let csv = try directory.write("wide.csv", ((featureNames + ["label"]).joined(separator: ",") + "\n") + rows.joined(separator: "\n") + "\n")
        var configuration = TrainingConfiguration()
        configuration.data.source = csv
        configuration.data.target = "label"
        configuration.hiddenLayers = []
        configuration.epochs = 1
        let prepared = try PreparedData.load(configuration.data)
        let result = try Trainer(configuration: configuration, data: prepared).run()
        let model = try #require(result.model)
        let file = ModelFile(model: model, metrics: [:], split: configuration.data, sweepName: "fixture", trialNumber: 1, dataFingerprint: nil)
        return [UInt8](try file.encoded())
    }

    /// The file's parts: the JSON header as an object, and the tensor bytes after it.
    static func parts(of bytes: [UInt8]) throws -> (header: [String: Any], payload: [UInt8]) {
        var length = 0
        for index in 0..<8 { length |= Int(bytes[index]) << (8 * index) }
        let header = try #require(try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + length)])) as? [String: Any])
        return (header, Array(bytes[(8 + length)...]))
    }

    /// A file from a header object and tensor bytes, with the length prefix and padding the
    /// format asks for.
    static func assemble(header: [String: Any], payload: [UInt8]) throws -> [UInt8] {
        var json = [UInt8](try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
        while json.count % 8 != 0 { json.append(0x20) }
        var file: [UInt8] = []
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { file += $0 }
        return file + json + payload
    }

    /// The model with its header changed by `edit`.
    static func editingHeader(batchNorm: Bool = false, _ edit: (inout [String: Any]) -> Void) throws -> [UInt8] {
        var (header, payload) = try parts(of: bytes(batchNorm: batchNorm))
        edit(&header)
        return try assemble(header: header, payload: payload)
    }

    /// The model with the bytes of tensor `name` replaced by `replacement` (same length).
    static func replacingTensor(_ name: String, batchNorm: Bool = false, with replacement: [UInt8]) throws -> [UInt8] {
        let (header, payload) = try parts(of: bytes(batchNorm: batchNorm))
        let entry = try #require(header[name] as? [String: Any])
        let offsets = try #require(entry["data_offsets"] as? [Int])
        var changed = payload
        changed.replaceSubrange(offsets[0]..<(offsets[0] + replacement.count), with: replacement)
        return try assemble(header: header, payload: changed)
    }

    /// The metadata entry `key` of a header, as JSON text, changed by `edit`.
    static func editMetadata(_ header: inout [String: Any], _ key: String, _ edit: (inout Any) -> Void) {
        var metadata = header["__metadata__"] as? [String: String] ?? [:]
        var value: Any = (try? JSONSerialization.jsonObject(with: Data((metadata[key] ?? "null").utf8), options: [.fragmentsAllowed])) ?? NSNull()
        edit(&value)
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys])) ?? Data()
        metadata[key] = String(decoding: data, as: UTF8.self)
        header["__metadata__"] = metadata
    }
}
