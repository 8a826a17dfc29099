import Foundation

/// Writes any `Encodable` as the text `JSONEncoder` writes with `[.sortedKeys,
/// .withoutEscapingSlashes]`, byte for byte, at a fraction of its cost: planning a trial writes its
/// whole configuration out this way, and JSONEncoder, which checks every value it wraps against
/// the types it treats specially, took as long as the rest of planning.
///
/// Compact, members sorted by their keys' UTF-8 bytes, numbers as their shortest text without a
/// trailing ".0", `Data` as Base64 and `URL` as its absolute string, as JSONEncoder writes them.
/// A float JSON cannot hold (NaN, ±infinity) throws, or is written as the string given for it.
/// `CanonicalJSONEncoderTests` compares the two on many values.
public struct CanonicalJSONEncoder {
    /// The strings written for NaN, +infinity and -infinity; nil: such a float throws.
    public struct NonFiniteStrings: Sendable {
        public var positiveInfinity: String
        public var negativeInfinity: String
        public var nan: String

        public init(positiveInfinity: String, negativeInfinity: String, nan: String) {
            self.positiveInfinity = positiveInfinity
            self.negativeInfinity = negativeInfinity
            self.nan = nan
        }
    }

    public var nonFinite: NonFiniteStrings?

    public init(nonFinite: NonFiniteStrings? = nil) {
        self.nonFinite = nonFinite
    }

    public func text<T: Encodable>(_ value: T) throws -> String {
        let root = Node()
        try Self.encode(value, into: root, codingPath: [], options: self)
        guard !root.isEmpty else {
            throw EncodingError.invalidValue(
                value, .init(codingPath: [], debugDescription: "Top-level \(T.self) did not encode any values."))
        }
        var output = ""
        root.write(to: &output)
        return output
    }

    /// Encodes `value` into `node`: the types JSONEncoder writes its own way directly, anything
    /// else through its `encode(to:)`.
    fileprivate static func encode<T: Encodable>(_ value: T, into node: Node, codingPath: [any CodingKey], options: Self) throws {
        // Type comparisons, not casts: a cast of every value was JSONEncoder's own cost.
        if T.self == String.self {
            node.content = .string(value as! String)
        } else if T.self == Double.self {
            node.content = try number(value as! Double, codingPath: codingPath, options: options)
        } else if T.self == Float.self {
            node.content = try number(value as! Float, codingPath: codingPath, options: options)
        } else if T.self == Int.self {
            node.content = .literal((value as! Int).description)
        } else if T.self == Bool.self {
            node.content = .literal((value as! Bool) ? "true" : "false")
        } else if T.self == Data.self {
            node.content = .string((value as! Data).base64EncodedString())
        } else if T.self == URL.self {
            node.content = .string((value as! URL).absoluteString)
        } else if T.self == Decimal.self {
            node.content = .literal((value as! Decimal).description)
        } else {
            try value.encode(to: NodeEncoder(node: node, codingPath: codingPath, options: options))
        }
    }

    fileprivate static func number<F: BinaryFloatingPoint & CustomStringConvertible>(
        _ value: F, codingPath: [any CodingKey], options: Self
    ) throws -> Node.Content {
        guard value.isFinite else {
            if let strings = options.nonFinite {
                return .string(value.isNaN ? strings.nan : value > 0 ? strings.positiveInfinity : strings.negativeInfinity)
            }
            throw EncodingError.invalidValue(
                value, .init(codingPath: codingPath, debugDescription: "Unable to encode \(value) directly in JSON."))
        }
        let text = value.description
        return .literal(text.hasSuffix(".0") ? String(text.dropLast(2)) : text)
    }
}

/// One value being built: nothing yet, a finished scalar, or a container whose members are
/// nodes of their own (containers handed out earlier keep writing into them).
private final class Node {
    enum Content {
        case empty
        /// Written as it is: a number, true, false or null.
        case literal(String)
        /// Written quoted and escaped.
        case string(String)
        case object([String: Node])
        case array([Node])
    }

    var content = Content.empty

    var isEmpty: Bool {
        if case .empty = content { return true }
        return false
    }

    /// The members of an object, made one if still empty. Taken out while changed, so that the
    /// dictionary is not copied.
    func withMembers<R>(_ body: (inout [String: Node]) -> R) -> R {
        var members: [String: Node] = [:]
        if case .object(let existing) = content { members = existing }
        content = .empty
        defer { content = .object(members) }
        return body(&members)
    }

    func withItems<R>(_ body: (inout [Node]) -> R) -> R {
        var items: [Node] = []
        if case .array(let existing) = content { items = existing }
        content = .empty
        defer { content = .array(items) }
        return body(&items)
    }

    func write(to output: inout String) {
        switch content {
        // A value that encoded nothing, nested in another, is an empty object to JSONEncoder.
        case .empty: output += "{}"
        case .literal(let text): output += text
        case .string(let text): Self.writeString(text, to: &output)
        case .array(let items):
            output += "["
            for (index, item) in items.enumerated() {
                if index > 0 { output += "," }
                item.write(to: &output)
            }
            output += "]"
        case .object(let members):
            output += "{"
            let sorted = members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            for (index, member) in sorted.enumerated() {
                if index > 0 { output += "," }
                Self.writeString(member.key, to: &output)
                output += ":"
                member.value.write(to: &output)
            }
            output += "}"
        }
    }

    /// Quoted, with `"` and `\` escaped, the control characters with a short escape as such
    /// (\b \f \n \r \t) and the others as \u00XX in lower-case hex; slashes as they are.
    static func writeString(_ text: String, to output: inout String) {
        output += "\""
        let bytes = text.utf8
        guard bytes.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
            output += text
            output += "\""
            return
        }
        var escaped: [UInt8] = []
        escaped.reserveCapacity(bytes.count + 8)
        let hex = Array("0123456789abcdef".utf8)
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""): escaped += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): escaped += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x08: escaped += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
            case 0x0C: escaped += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
            case 0x0A: escaped += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: escaped += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: escaped += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case ..<0x20: escaped += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default: escaped.append(byte)
            }
        }
        output += String(decoding: escaped, as: UTF8.self)
        output += "\""
    }
}

private struct NodeEncoder: Encoder {
    let node: Node
    let codingPath: [any CodingKey]
    let options: CanonicalJSONEncoder
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        node.withMembers { _ in }
        return KeyedEncodingContainer(KeyedNodes(node: node, codingPath: codingPath, options: options))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        node.withItems { _ in }
        return UnkeyedNodes(node: node, codingPath: codingPath, options: options)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleNode(node: node, codingPath: codingPath, options: options)
    }
}

private struct KeyedNodes<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: Node
    let codingPath: [any CodingKey]
    let options: CanonicalJSONEncoder

    /// A new member for `name`, replacing any earlier one (as JSONEncoder does), or with
    /// `reusing`, the one already there (a nested container asked for twice).
    private func member(_ name: String, reusing: Bool = false) -> Node {
        node.withMembers { members in
            if reusing, let existing = members[name] { return existing }
            let child = Node()
            members[name] = child
            return child
        }
    }

    private func literal(_ text: String, _ key: Key) { member(key.stringValue).content = .literal(text) }

    mutating func encodeNil(forKey key: Key) throws { literal("null", key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { literal(value ? "true" : "false", key) }
    mutating func encode(_ value: String, forKey key: Key) throws { member(key.stringValue).content = .string(value) }
    mutating func encode(_ value: Int, forKey key: Key) throws { literal(value.description, key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { literal(value.description, key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { literal(value.description, key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { literal(value.description, key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { literal(value.description, key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { literal(value.description, key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { literal(value.description, key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { literal(value.description, key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { literal(value.description, key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { literal(value.description, key) }

    mutating func encode(_ value: Double, forKey key: Key) throws {
        member(key.stringValue).content = try CanonicalJSONEncoder.number(value, codingPath: codingPath + [key], options: options)
    }

    mutating func encode(_ value: Float, forKey key: Key) throws {
        member(key.stringValue).content = try CanonicalJSONEncoder.number(value, codingPath: codingPath + [key], options: options)
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try CanonicalJSONEncoder.encode(value, into: member(key.stringValue), codingPath: codingPath + [key], options: options)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        NodeEncoder(node: member(key.stringValue, reusing: true), codingPath: codingPath + [key], options: options).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        NodeEncoder(node: member(key.stringValue, reusing: true), codingPath: codingPath + [key], options: options).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        NodeEncoder(node: member("super"), codingPath: codingPath, options: options)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        NodeEncoder(node: member(key.stringValue), codingPath: codingPath + [key], options: options)
    }
}

private struct UnkeyedNodes: UnkeyedEncodingContainer {
    let node: Node
    let codingPath: [any CodingKey]
    let options: CanonicalJSONEncoder

    var count: Int {
        if case .array(let items) = node.content { return items.count }
        return 0
    }

    private func append() -> Node {
        node.withItems { items in
            let child = Node()
            items.append(child)
            return child
        }
    }

    private func literal(_ text: String) { append().content = .literal(text) }

    private var nextPath: [any CodingKey] { codingPath + [IndexKey(intValue: count)] }

    mutating func encodeNil() throws { literal("null") }
    mutating func encode(_ value: Bool) throws { literal(value ? "true" : "false") }
    mutating func encode(_ value: String) throws { append().content = .string(value) }
    mutating func encode(_ value: Int) throws { literal(value.description) }
    mutating func encode(_ value: Int8) throws { literal(value.description) }
    mutating func encode(_ value: Int16) throws { literal(value.description) }
    mutating func encode(_ value: Int32) throws { literal(value.description) }
    mutating func encode(_ value: Int64) throws { literal(value.description) }
    mutating func encode(_ value: UInt) throws { literal(value.description) }
    mutating func encode(_ value: UInt8) throws { literal(value.description) }
    mutating func encode(_ value: UInt16) throws { literal(value.description) }
    mutating func encode(_ value: UInt32) throws { literal(value.description) }
    mutating func encode(_ value: UInt64) throws { literal(value.description) }

    mutating func encode(_ value: Double) throws {
        let content = try CanonicalJSONEncoder.number(value, codingPath: nextPath, options: options)
        append().content = content
    }

    mutating func encode(_ value: Float) throws {
        let content = try CanonicalJSONEncoder.number(value, codingPath: nextPath, options: options)
        append().content = content
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let path = nextPath
        try CanonicalJSONEncoder.encode(value, into: append(), codingPath: path, options: options)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let path = nextPath
        return NodeEncoder(node: append(), codingPath: path, options: options).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let path = nextPath
        return NodeEncoder(node: append(), codingPath: path, options: options).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        let path = nextPath
        return NodeEncoder(node: append(), codingPath: path, options: options)
    }
}

private struct IndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "Index \(intValue ?? 0)" }
    init(intValue: Int) { self.intValue = intValue }
    init?(stringValue: String) { nil }
}

private struct SingleNode: SingleValueEncodingContainer {
    let node: Node
    let codingPath: [any CodingKey]
    let options: CanonicalJSONEncoder

    mutating func encodeNil() throws { node.content = .literal("null") }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try CanonicalJSONEncoder.encode(value, into: node, codingPath: codingPath, options: options)
    }

    mutating func encode(_ value: Bool) throws { node.content = .literal(value ? "true" : "false") }
    mutating func encode(_ value: String) throws { node.content = .string(value) }
    mutating func encode(_ value: Int) throws { node.content = .literal(value.description) }
    mutating func encode(_ value: Double) throws {
        node.content = try CanonicalJSONEncoder.number(value, codingPath: codingPath, options: options)
    }
    mutating func encode(_ value: Float) throws {
        node.content = try CanonicalJSONEncoder.number(value, codingPath: codingPath, options: options)
    }
    mutating func encode(_ value: Int8) throws { node.content = .literal(value.description) }
    mutating func encode(_ value: Int16) throws { node.content = .literal(value.description) }
    mutating func encode(_ value: Int32) throws { node.content = .literal(value.description) }
    mutating func encode(_ value: Int64) throws { node.content = .literal(value.description) }
    mutating func encode(_ value: UInt) throws { node.content = .literal(value.description) }
    mutating func encode(_ value: UInt8) throws { node.content = .literal(value.description) }
    mutating func encode(_ value: UInt16) throws { node.content = .literal(value.description) }
    mutating func encode(_ value: UInt32) throws { node.content = .literal(value.description) }
    mutating func encode(_ value: UInt64) throws { node.content = .literal(value.description) }
}
