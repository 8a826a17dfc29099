import Foundation
import NeuralNet
import Testing
@testable import SweepStore

/// The binary layout of stored weights.
struct TensorBlobTests {
    private let tensors = [
        NamedTensor(name: "0.weight", shape: [2, 3], values: [1, -2.5, 0, -0.0, .nan, .infinity]),
        NamedTensor(name: "1.num_batches_tracked", shape: [], values: [17]),
        NamedTensor(name: "2.empty", shape: [0], values: []),
        NamedTensor(name: "3.bias", shape: [2], values: [-.infinity, .leastNonzeroMagnitude]),
    ]

    @Test func tensorsReadBackWithTheirNamesShapesAndBitPatterns() throws {
        let blob = try TensorBlob.encode(tensors)

        #expect(sameTensors(try TensorBlob.decode(blob), tensors))
        #expect(try TensorBlob.decode(try TensorBlob.encode([])).isEmpty)
    }

    @Test func blobIsALengthPrefixedJSONHeaderThenLittleEndianFloats() throws {
        let blob = [UInt8](try TensorBlob.encode([NamedTensor(name: "w", shape: [2], values: [1, -2])]))
        let header = #"[{"count":2,"name":"w","shape":[2]}]"#

        let headerLength = Int(blob[0]) | Int(blob[1]) << 8 | Int(blob[2]) << 16 | Int(blob[3]) << 24
        let decodedHeader = try JSONSerialization.jsonObject(with: Data(blob[4..<(4 + headerLength)])) as? [[String: Any]]
        #expect(decodedHeader?.first?["name"] as? String == "w")
        #expect(String(decoding: blob[4..<(4 + headerLength)], as: UTF8.self) == header)
        // 1.0f is 0x3F800000 and −2.0f is 0xC0000000, least significant byte first.
        #expect(Array(blob[(4 + headerLength)...]) == [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0])
    }

    /// The header is written by hand: names that need escaping in JSON must still read back.
    @Test func namesThatJSONMustEscapeReadBack() throws {
        let names = ["a\"quote", "back\\slash", "new\nline\ttab\r", "bell\u{07}\u{1F}", "é→∑ 𝔵", ""]
        let tensors = names.map { NamedTensor(name: $0, shape: [1], values: [2]) }
        #expect(try TensorBlob.decode(try TensorBlob.encode(tensors)).map(\.name) == names)
    }

    @Test(arguments: [0, 3, 10, 1])
    func damagedBlobIsReportedAsCorrupt(droppedBytes: Int) throws {
        var blob = try TensorBlob.encode(tensors)
        if droppedBytes > 0 {
            blob.removeLast(droppedBytes)
        } else {
            blob[4] = UInt8(ascii: "{")  // the header's opening bracket
        }

        #expect(throws: SQLiteResultStoreError.self) { try TensorBlob.decode(blob) }
        #expect(throws: SQLiteResultStoreError.self) { try TensorBlob.decode(Data([1, 0])) }
    }

    /// A header whose counts are negative or add up past Int.max is corrupt, not a trap.
    @Test(arguments: [
        #"[{"count":-4,"name":"w","shape":[2]},{"count":6,"name":"b","shape":[2]}]"#,
        #"[{"count":9223372036854775807,"name":"w","shape":[2]},{"count":2,"name":"b","shape":[2]}]"#,
        #"[{"count":4611686018427387904,"name":"w","shape":[2]}]"#,
    ])
    func impossibleCountsAreCorrupt(header: String) throws {
        var blob = Data()
        let bytes = Array(header.utf8)
        withUnsafeBytes(of: UInt32(bytes.count).littleEndian) { blob.append(contentsOf: $0) }
        blob.append(contentsOf: bytes)
        blob.append(contentsOf: [UInt8](repeating: 0, count: 8))
        #expect(throws: SQLiteResultStoreError.self) { try TensorBlob.decode(blob) }
    }
}
