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
        try Self.encode(value, into: root, path: nil, options: self)
        guard !root.isEmpty else {
            throw EncodingError.invalidValue(
                value, .init(codingPath: [], debugDescription: "Top-level \(T.self) did not encode any values."))
        }
        var output = ""
        root.write(to: &output)
        return output
    }

    /// `value`'s JSON text when JSONEncoder writes it its own way (a scalar, `Data`, `URL`),
    /// else nil. Type comparisons, not casts: a cast of every value was JSONEncoder's own cost.
    fileprivate static func scalarText<T: Encodable>(_ value: T, path: @autoclosure () -> [any CodingKey], options: Self) throws -> String? {
        if T.self == String.self { return quoted(value as! String) }
        if T.self == Double.self { return try number(value as! Double, path: path(), options: options) }
        if T.self == Float.self { return try number(value as! Float, path: path(), options: options) }
        if T.self == Int.self { return (value as! Int).description }
        if T.self == Bool.self { return (value as! Bool) ? "true" : "false" }
        if T.self == Data.self { return quoted((value as! Data).base64EncodedString()) }
        if T.self == URL.self { return quoted((value as! URL).absoluteString) }
        if T.self == Decimal.self { return (value as! Decimal).description }
        return nil
    }

    /// Encodes `value` into `node`, whose place is `path`.
    fileprivate static func encode<T: Encodable>(_ value: T, into node: Node, path: CodingPath?, options: Self) throws {
        if let text = try scalarText(value, path: path.codingPath, options: options) {
            node.content = .text(text)
        } else {
            try value.encode(to: NodeEncoder(node: node, path: path, options: options))
        }
    }

    /// `value` as an item of a container: its text, or a node it encodes itself into.
    fileprivate static func item<T: Encodable>(_ value: T, path: @autoclosure () -> CodingPath?, options: Self) throws -> Item {
        if let text = try scalarText(value, path: path().codingPath, options: options) { return .text(text) }
        let node = Node()
        try value.encode(to: NodeEncoder(node: node, path: path(), options: options))
        return .node(node)
    }

    fileprivate static func number<F: BinaryFloatingPoint & CustomStringConvertible>(
        _ value: F, path: @autoclosure () -> [any CodingKey], options: Self
    ) throws -> String {
        guard value.isFinite else {
            if let strings = options.nonFinite {
                return quoted(value.isNaN ? strings.nan : value > 0 ? strings.positiveInfinity : strings.negativeInfinity)
            }
            throw EncodingError.invalidValue(
                value, .init(codingPath: path(), debugDescription: "Unable to encode \(value) directly in JSON."))
        }
        let text = value.description
        return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    }

    /// Quoted, with `"` and `\` escaped, the control characters with a short escape as such
    /// (\b \f \n \r \t) and the others as \u00XX in lower-case hex; slashes as they are.
    fileprivate static func quoted(_ text: String) -> String {
        let bytes = text.utf8
        guard bytes.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
            return "\"" + text + "\""
        }
        var escaped: [UInt8] = [UInt8(ascii: "\"")]
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
        escaped.append(UInt8(ascii: "\""))
        return String(decoding: escaped, as: UTF8.self)
    }
}

/// Where a value is, as links to its container's place: built only when an error needs it.
private final class CodingPath {
    let parent: CodingPath?
    let key: any CodingKey

    init(_ parent: CodingPath?, _ key: any CodingKey) {
        self.parent = parent
        self.key = key
    }

    var keys: [any CodingKey] { (parent?.keys ?? []) + [key] }
}

extension Optional where Wrapped == CodingPath {
    fileprivate var codingPath: [any CodingKey] { self?.keys ?? [] }
}

/// A member of a container: its JSON text, or a container (or a value still being encoded)
/// that containers handed out earlier keep writing into.
private enum Item {
    case text(String)
    case node(Node)

    func write(to output: inout String) {
        switch self {
        case .text(let text): output += text
        case .node(let node): node.write(to: &output)
        }
    }
}

private final class Node {
    enum Content {
        case empty
        /// Written as it is.
        case text(String)
        /// In the order encoded; a key given twice keeps its last value, as in JSONEncoder.
        case object([(key: String, item: Item)])
        case array([Item])
    }

    var content = Content.empty

    var isEmpty: Bool {
        if case .empty = content { return true }
        return false
    }

    /// The members of an object, made one if still empty. Taken out while changed, so that the
    /// array is not copied.
    func withMembers<R>(_ body: (inout [(key: String, item: Item)]) -> R) -> R {
        var members: [(key: String, item: Item)] = []
        if case .object(let existing) = content { members = existing }
        content = .empty
        defer { content = .object(members) }
        return body(&members)
    }

    func withItems<R>(_ body: (inout [Item]) -> R) -> R {
        var items: [Item] = []
        if case .array(let existing) = content { items = existing }
        content = .empty
        defer { content = .array(items) }
        return body(&items)
    }

    func write(to output: inout String) {
        switch content {
        // A value that encoded nothing, nested in another, is an empty object to JSONEncoder.
        case .empty: output += "{}"
        case .text(let text): output += text
        case .array(let items):
            output += "["
            for (index, item) in items.enumerated() {
                if index > 0 { output += "," }
                item.write(to: &output)
            }
            output += "]"
        case .object(let members):
            output += "{"
            // By key bytes, and a key given twice in the order given, so that its last is kept.
            let order = members.indices.sorted { first, second in
                let (a, b) = (members[first].key, members[second].key)
                return a == b ? first < second : a.utf8.lexicographicallyPrecedes(b.utf8)
            }
            var first = true
            for (position, index) in order.enumerated() {
                if position + 1 < order.count, members[order[position + 1]].key == members[index].key { continue }
                if !first { output += "," }
                first = false
                output += CanonicalJSONEncoder.quoted(members[index].key)
                output += ":"
                members[index].item.write(to: &output)
            }
            output += "}"
        }
    }
}

private struct NodeEncoder: Encoder {
    let node: Node
    let path: CodingPath?
    let options: CanonicalJSONEncoder
    var codingPath: [any CodingKey] { path.codingPath }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        node.withMembers { _ in }
        return KeyedEncodingContainer(KeyedNodes(node: node, path: path, options: options))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        node.withItems { _ in }
        return UnkeyedNodes(node: node, path: path, options: options)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleNode(node: node, path: path, options: options)
    }
}

private struct KeyedNodes<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: Node
    let path: CodingPath?
    let options: CanonicalJSONEncoder
    var codingPath: [any CodingKey] { path.codingPath }

    private func set(_ item: Item, _ key: Key) { node.withMembers { $0.append((key.stringValue, item)) } }

    /// The container already under `name` (a nested container asked for twice), or a new one.
    private func container(_ name: String) -> Node {
        node.withMembers { members in
            if let existing = members.last(where: { $0.key == name }), case .node(let node) = existing.item { return node }
            let child = Node()
            members.append((name, .node(child)))
            return child
        }
    }

    private func child(_ key: Key) -> CodingPath { CodingPath(path, key) }

    mutating func encodeNil(forKey key: Key) throws { set(.text("null"), key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { set(.text(value ? "true" : "false"), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { set(.text(CanonicalJSONEncoder.quoted(value)), key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { set(.text(value.description), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { set(.text(value.description), key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { set(.text(value.description), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { set(.text(value.description), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { set(.text(value.description), key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { set(.text(value.description), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { set(.text(value.description), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { set(.text(value.description), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { set(.text(value.description), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { set(.text(value.description), key) }

    mutating func encode(_ value: Double, forKey key: Key) throws {
        set(.text(try CanonicalJSONEncoder.number(value, path: child(key).keys, options: options)), key)
    }

    mutating func encode(_ value: Float, forKey key: Key) throws {
        set(.text(try CanonicalJSONEncoder.number(value, path: child(key).keys, options: options)), key)
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        set(try CanonicalJSONEncoder.item(value, path: child(key), options: options), key)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        NodeEncoder(node: container(key.stringValue), path: child(key), options: options).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        NodeEncoder(node: container(key.stringValue), path: child(key), options: options).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        let node = Node()
        self.node.withMembers { $0.append(("super", .node(node))) }
        return NodeEncoder(node: node, path: path, options: options)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        let node = Node()
        set(.node(node), key)
        return NodeEncoder(node: node, path: child(key), options: options)
    }
}

private struct UnkeyedNodes: UnkeyedEncodingContainer {
    let node: Node
    let path: CodingPath?
    let options: CanonicalJSONEncoder
    var codingPath: [any CodingKey] { path.codingPath }

    var count: Int {
        if case .array(let items) = node.content { return items.count }
        return 0
    }

    private func append(_ item: Item) { node.withItems { $0.append(item) } }

    private func appendNode() -> Node {
        let child = Node()
        append(.node(child))
        return child
    }

    private var next: CodingPath { CodingPath(path, IndexKey(intValue: count)) }

    mutating func encodeNil() throws { append(.text("null")) }
    mutating func encode(_ value: Bool) throws { append(.text(value ? "true" : "false")) }
    mutating func encode(_ value: String) throws { append(.text(CanonicalJSONEncoder.quoted(value))) }
    mutating func encode(_ value: Int) throws { append(.text(value.description)) }
    mutating func encode(_ value: Int8) throws { append(.text(value.description)) }
    mutating func encode(_ value: Int16) throws { append(.text(value.description)) }
    mutating func encode(_ value: Int32) throws { append(.text(value.description)) }
    mutating func encode(_ value: Int64) throws { append(.text(value.description)) }
    mutating func encode(_ value: UInt) throws { append(.text(value.description)) }
    mutating func encode(_ value: UInt8) throws { append(.text(value.description)) }
    mutating func encode(_ value: UInt16) throws { append(.text(value.description)) }
    mutating func encode(_ value: UInt32) throws { append(.text(value.description)) }
    mutating func encode(_ value: UInt64) throws { append(.text(value.description)) }

    mutating func encode(_ value: Double) throws {
        append(.text(try CanonicalJSONEncoder.number(value, path: next.keys, options: options)))
    }

    mutating func encode(_ value: Float) throws {
        append(.text(try CanonicalJSONEncoder.number(value, path: next.keys, options: options)))
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        append(try CanonicalJSONEncoder.item(value, path: next, options: options))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let path = next
        return NodeEncoder(node: appendNode(), path: path, options: options).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let path = next
        return NodeEncoder(node: appendNode(), path: path, options: options).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        let path = next
        return NodeEncoder(node: appendNode(), path: path, options: options)
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
    let path: CodingPath?
    let options: CanonicalJSONEncoder
    var codingPath: [any CodingKey] { path.codingPath }

    private func set(_ text: String) { node.content = .text(text) }

    mutating func encodeNil() throws { set("null") }
    mutating func encode(_ value: Bool) throws { set(value ? "true" : "false") }
    mutating func encode(_ value: String) throws { set(CanonicalJSONEncoder.quoted(value)) }
    mutating func encode(_ value: Int) throws { set(value.description) }
    mutating func encode(_ value: Int8) throws { set(value.description) }
    mutating func encode(_ value: Int16) throws { set(value.description) }
    mutating func encode(_ value: Int32) throws { set(value.description) }
    mutating func encode(_ value: Int64) throws { set(value.description) }
    mutating func encode(_ value: UInt) throws { set(value.description) }
    mutating func encode(_ value: UInt8) throws { set(value.description) }
    mutating func encode(_ value: UInt16) throws { set(value.description) }
    mutating func encode(_ value: UInt32) throws { set(value.description) }
    mutating func encode(_ value: UInt64) throws { set(value.description) }
    mutating func encode(_ value: Double) throws { set(try CanonicalJSONEncoder.number(value, path: codingPath, options: options)) }
    mutating func encode(_ value: Float) throws { set(try CanonicalJSONEncoder.number(value, path: codingPath, options: options)) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try CanonicalJSONEncoder.encode(value, into: node, path: path, options: options)
    }
}
