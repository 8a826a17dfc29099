import Foundation

/// A tensor as safetensors stores it: F32 values, or one I64 scalar (BatchNorm's
/// num_batches_tracked).
public struct StoredTensor: Sendable, Hashable {
    public enum DataType: String, Sendable { case f32 = "F32", i64 = "I64" }
    public var name: String
    public var dataType: DataType
    public var shape: [Int]
    /// Values as Float (an I64 tensor's integers are converted).
    public var values: [Float]
}

public enum SafeTensorsError: Error, Sendable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case malformed(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot read '\(path)': \(reason)"
        case .malformed(let path, let reason): "'\(path)' is not a valid safetensors file: \(reason)"
        }
    }
}

/// The safetensors format: an 8-byte little-endian header length N, N bytes of JSON
/// (`{"__metadata__": {str: str}, name: {"dtype", "shape", "data_offsets": [begin, end]}}`,
/// padded with spaces to a multiple of 8), then the tensors' little-endian bytes back to back.
public enum SafeTensors {
    public static func encode(_ tensors: [StoredTensor], metadata: [String: String]) throws -> Data {
        var header: [String: Any] = ["__metadata__": metadata]
        var payload = Data()
        for tensor in tensors {
            let begin = payload.count
            switch tensor.dataType {
            case .f32:
                for value in tensor.values { withUnsafeBytes(of: value.bitPattern.littleEndian) { payload.append(contentsOf: $0) } }
            case .i64:
                for value in tensor.values { withUnsafeBytes(of: Int64(value).littleEndian) { payload.append(contentsOf: $0) } }
            }
            header[tensor.name] = ["dtype": tensor.dataType.rawValue, "shape": tensor.shape, "data_offsets": [begin, payload.count]]
        }
        var headerBytes = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        var file = Data()
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(headerBytes)
        file.append(payload)
        return file
    }

    /// Reads the tensors and metadata of a safetensors file held in memory.
    ///
    /// Every number the header gives is checked against the file before it sizes anything: the
    /// header length against the file's length, each shape's product against overflow, each
    /// tensor's byte range against its shape and against the bytes there are. A file that ends
    /// before the header says it should is reported as truncated, with both lengths.
    public static func decode(_ file: Data, path: String) throws(SafeTensorsError) -> (tensors: [StoredTensor], metadata: [String: String]) {
        let bytes = [UInt8](file)
        guard !bytes.isEmpty else {
            throw .malformed(path: path, reason: "the file is empty (0 bytes); export the model again with sweep export")
        }
        guard bytes.count >= 8 else {
            throw .malformed(path: path, reason: "the file has \(bytes.count) bytes, fewer than the 8 of a safetensors header length; it is truncated or not a model file")
        }
        var declaredLength: UInt64 = 0
        for index in 0..<8 { declaredLength |= UInt64(bytes[index]) << (8 * UInt64(index)) }
        guard declaredLength > 0 else { throw .malformed(path: path, reason: "its header length is 0; it is not a model written by sweep export") }
        guard declaredLength <= UInt64(bytes.count - 8) else {
            // A text file or another format reads as an absurd length; a cut-off model as a
            // length just beyond the end.
            let reason = declaredLength > 100_000_000
                ? "its first 8 bytes do not give a plausible header length (\(declaredLength)); it is not a safetensors file"
                : "its header says \(declaredLength) bytes of JSON follow, but only \(bytes.count - 8) bytes do: the file is truncated (cut off while copying or downloading?); copy or export it again"
            throw .malformed(path: path, reason: reason)
        }
        let headerLength = Int(declaredLength)
        guard let header = (try? JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + headerLength)]))) as? [String: Any] else {
            throw .malformed(path: path, reason: "the header is not a JSON object")
        }
        let payloadStart = 8 + headerLength
        let payloadCount = bytes.count - payloadStart
        var metadata: [String: String] = [:]
        var entries: [(name: String, dataType: StoredTensor.DataType, shape: [Int], count: Int, begin: Int, end: Int)] = []
        for (name, entry) in header {
            if name == "__metadata__" {
                metadata = entry as? [String: String] ?? [:]
                continue
            }
            guard let entry = entry as? [String: Any], let typeName = entry["dtype"] as? String,
                let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2
            else { throw .malformed(path: path, reason: "tensor '\(name)' lacks dtype, shape or data_offsets") }
            guard let dataType = StoredTensor.DataType(rawValue: typeName) else {
                throw .malformed(path: path, reason: "tensor '\(name)' has dtype \(typeName); only F32 and I64 are supported")
            }
            var count = 1
            for dimension in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
                guard dimension >= 0, !overflow, product <= Int.max / 8 else {
                    throw .malformed(path: path, reason: "tensor '\(name)' has an impossible shape \(shape)")
                }
                count = product
            }
            guard offsets[0] >= 0, offsets[1] >= offsets[0] else {
                throw .malformed(path: path, reason: "tensor '\(name)' has data_offsets \(offsets), which do not describe a range of bytes")
            }
            entries.append((name, dataType, shape, count, offsets[0], offsets[1]))
        }
        // Truncation first: it explains every later mismatch at once.
        if let last = entries.max(by: { $0.end < $1.end }), last.end > payloadCount {
            throw .malformed(path: path, reason: "the file is truncated: its header places tensor '\(last.name)' up to byte \(payloadStart + last.end), but the file has only \(bytes.count) bytes (cut off while copying or downloading?); copy or export it again")
        }
        var tensors: [StoredTensor] = []
        for entry in entries {
            let width = entry.dataType == .i64 ? 8 : 4
            guard entry.end - entry.begin == entry.count * width else {
                throw .malformed(path: path, reason: "tensor '\(entry.name)' has shape \(entry.shape) (\(entry.count * width) bytes of \(entry.dataType.rawValue)) but data_offsets [\(entry.begin), \(entry.end)] span \(entry.end - entry.begin) bytes; the header contradicts itself")
            }
            var values: [Float] = []
            values.reserveCapacity(entry.count)
            let begin = payloadStart + entry.begin
            for index in 0..<entry.count {
                var raw: UInt64 = 0
                for byte in 0..<width { raw |= UInt64(bytes[begin + index * width + byte]) << (8 * UInt64(byte)) }
                values.append(entry.dataType == .f32 ? Float(bitPattern: UInt32(truncatingIfNeeded: raw)) : Float(Int64(bitPattern: raw)))
            }
            tensors.append(StoredTensor(name: entry.name, dataType: entry.dataType, shape: entry.shape, values: values))
        }
        return (tensors.sorted { $0.name < $1.name }, metadata)
    }
}
