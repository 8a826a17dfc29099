import Foundation
import NeuralNet

/// The binary layout of a model's weights in `models.tensors`:
///
///     bytes 0..<4      h, the header's length in bytes, UInt32 little-endian
///     bytes 4..<4+h    the header, UTF-8 JSON: [{"count":2560,"name":"0.weight","shape":[128,20]}, ...]
///     the rest         every tensor's values in header order, Float32 little-endian
///
/// so a weight takes 4 bytes, and the names and shapes are readable with any JSON tool (in
/// Python: `struct.unpack('<I', blob[:4])`, `json.loads(blob[4:4+h])`, then
/// `numpy.frombuffer(blob, '<f4', offset=4+h)`). Bit patterns are copied, so NaN, ±∞ and −0
/// survive. `count` is stored beside `shape` so that a tensor whose values do not fill its shape
/// still reads back as written.
enum TensorBlob {
    private struct HeaderEntry: Codable {
        var name: String
        var shape: [Int]
        var count: Int
    }

    static func encode(_ tensors: [NamedTensor]) throws -> Data {
        let headerBytes = Array(headerText(tensors).utf8)
        var blob = Data()
        blob.reserveCapacity(4 + headerBytes.count + 4 * tensors.reduce(0) { $0 + $1.values.count })
        append(UInt32(headerBytes.count), to: &blob)
        blob.append(contentsOf: headerBytes)
        for tensor in tensors {
            // Every trial's weights pass here: on a little-endian machine the array's bytes are
            // already the layout, so they are copied whole rather than a value at a time.
            if UInt32(1).littleEndian == 1 {
                tensor.values.withUnsafeBytes { blob.append(contentsOf: $0) }
            } else {
                for value in tensor.values { append(value.bitPattern, to: &blob) }
            }
        }
        return blob
    }

    /// The header JSON, written directly (keys in sorted order): every trial's weights are
    /// stored, and JSONEncoder took about a third of writing a small network's model row.
    static func headerText(_ tensors: [NamedTensor]) -> String {
        var text = "["
        for (index, tensor) in tensors.enumerated() {
            if index > 0 { text += "," }
            text += #"{"count":\#(tensor.values.count),"name":"#
            appendJSONString(tensor.name, to: &text)
            text += #","shape":["# + tensor.shape.map(String.init).joined(separator: ",") + "]}"
        }
        return text + "]"
    }

    /// `value` as a JSON string literal: quotes, backslashes and control characters escaped.
    private static func appendJSONString(_ value: String, to text: inout String) {
        text += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20:
                text += "\\u00" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }

    /// - Throws: `SQLiteResultStoreError.corrupt` when the lengths do not add up or the header
    ///   is not the JSON described above.
    static func decode(_ blob: Data) throws -> [NamedTensor] {
        let bytes = [UInt8](blob)
        guard bytes.count >= 4 else {
            throw SQLiteResultStoreError.corrupt("a tensor blob of \(bytes.count) bytes has no header")
        }
        let headerLength = Int(readUInt32(bytes, at: 0))
        guard headerLength <= bytes.count - 4 else {
            throw SQLiteResultStoreError.corrupt("a tensor blob's header runs past its end")
        }
        let header: [HeaderEntry]
        do {
            header = try JSONDecoder().decode([HeaderEntry].self, from: Data(bytes[4..<(4 + headerLength)]))
        } catch {
            throw SQLiteResultStoreError.corrupt("a tensor blob's header is not readable: \(error)")
        }
        // Counts from a damaged header may be negative or add up past Int.max: no trap on either.
        var valueCount = 0
        for entry in header {
            let (sum, overflow) = valueCount.addingReportingOverflow(entry.count)
            guard entry.count >= 0, !overflow, sum <= Int.max / 4 else {
                throw SQLiteResultStoreError.corrupt("a tensor blob's header gives tensor '\(entry.name)' an impossible size (\(entry.count) values)")
            }
            valueCount = sum
        }
        guard bytes.count - 4 - headerLength == 4 * valueCount else {
            throw SQLiteResultStoreError.corrupt(
                "a tensor blob holds \(bytes.count - 4 - headerLength) bytes of values, its header promises \(valueCount) values")
        }
        var offset = 4 + headerLength
        return header.map { entry in
            let values = (0..<entry.count).map { index in
                Float(bitPattern: readUInt32(bytes, at: offset + 4 * index))
            }
            offset += 4 * entry.count
            return NamedTensor(name: entry.name, shape: entry.shape, values: values)
        }
    }

    private static func append(_ word: UInt32, to blob: inout Data) {
        withUnsafeBytes(of: word.littleEndian) { blob.append(contentsOf: $0) }
    }

    private static func readUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
            | UInt32(bytes[offset + 3]) << 24
    }
}
