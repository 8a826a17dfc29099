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

    public static func decode(_ file: Data, path: String) throws(SafeTensorsError) -> (tensors: [StoredTensor], metadata: [String: String]) {
        let bytes = [UInt8](file)
        guard bytes.count >= 8 else { throw .malformed(path: path, reason: "shorter than its 8-byte header length") }
        var headerLength = 0
        for index in 0..<8 { headerLength |= Int(bytes[index]) << (8 * index) }
        guard headerLength > 0, headerLength <= bytes.count - 8 else {
            throw .malformed(path: path, reason: "header length \(headerLength) does not fit a \(bytes.count)-byte file")
        }
        guard let header = (try? JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + headerLength)]))) as? [String: Any] else {
            throw .malformed(path: path, reason: "the header is not a JSON object")
        }
        let payloadStart = 8 + headerLength
        var metadata: [String: String] = [:]
        var tensors: [StoredTensor] = []
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
            let count = shape.reduce(1, *)
            let begin = payloadStart + offsets[0], end = payloadStart + offsets[1]
            guard offsets[0] >= 0, end <= bytes.count, end - begin == count * 4 * (dataType == .i64 ? 2 : 1) else {
                throw .malformed(path: path, reason: "tensor '\(name)' has offsets \(offsets) that do not match its shape \(shape)")
            }
            var values: [Float] = []
            values.reserveCapacity(count)
            let width = dataType == .i64 ? 8 : 4
            for index in 0..<count {
                var raw: UInt64 = 0
                for byte in 0..<width { raw |= UInt64(bytes[begin + index * width + byte]) << (8 * UInt64(byte)) }
                values.append(dataType == .f32 ? Float(bitPattern: UInt32(truncatingIfNeeded: raw)) : Float(Int64(bitPattern: raw)))
            }
            tensors.append(StoredTensor(name: name, dataType: dataType, shape: shape, values: values))
        }
        return (tensors.sorted { $0.name < $1.name }, metadata)
    }
}
