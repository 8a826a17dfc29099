import Datasets
import Foundation

/// Any JSON value. Specs are read into this first so that every problem can be reported with
/// its JSON path, rather than stopping at the first decoding error.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses JSON text; the error says where the syntax breaks (line, column and the line itself).
    /// An object that names a key twice is refused: parsers keep one of the values silently.
    public static func parse(_ data: Data, source: String) throws(ConfigurationError) -> JSONValue {
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw ConfigurationError(source: source, problems: [
                ConfigurationProblem(path: "$", message: "is not valid JSON: \(syntaxProblem(in: data) ?? String(describing: error))")
            ])
        }
        let duplicates = duplicateKeys(in: [UInt8](data))
        guard duplicates.isEmpty else {
            throw ConfigurationError(source: source, problems: duplicates.map { duplicate in
                let lines = duplicate.firstLine == duplicate.secondLine
                    ? "twice on line \(duplicate.firstLine)" : "on lines \(duplicate.firstLine) and \(duplicate.secondLine)"
                return ConfigurationProblem(path: duplicate.path, message: "is given \(lines); JSON keeps only one of the values, so remove the one you do not mean")
            })
        }
        return value
    }

    /// Where and why `data` is not JSON. JSONDecoder's error here says only that it is not, so
    /// the text is parsed again by JSONSerialization, whose error gives the byte offset.
    static func syntaxProblem(in data: Data) -> String? {
        if data.isEmpty { return "the file is empty" }
        // JSON's own white space: a file saved with nothing in it but a line break or two.
        if data.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) { return "the file holds only white space" }
        let bytes = [UInt8](data)
        let detail: String
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            // JSONSerialization reads 1e-400 as 0, which JSONDecoder refuses.
            guard let (offset, number) = firstUnrepresentableNumber(in: bytes, nearZero: true) else { return nil }
            let place = textPosition(offset, in: bytes)
            return "line \(place.line), column \(place.column): the number \(number) is too close to zero to hold (about ±4.9e-324 is the nearest to zero a JSON number here may be); write 0 or a larger number"
        } catch {
            guard let text = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String else { return nil }
            detail = text
        }
        if detail.contains("surrogate") || detail.contains("hex"), let (offset, escape) = firstBadUnicodeEscape(in: bytes) {
            let place = textPosition(offset, in: bytes)
            return "line \(place.line), column \(place.column): the escape \(escape) is not a character (\\u takes four hex digits, and \\ud800-\\udfff only as the two halves of a UTF-16 pair); write the character itself"
        }
        if detail.hasPrefix("Unexpected end of file") {
            return "the text ends inside a value; check for an unclosed {, [ or \""
        }
        if String(validating: bytes, as: UTF8.self) == nil {
            let offset = firstInvalidUTF8Offset(in: bytes)
            let place = textPosition(offset, in: bytes)
            return "line \(place.line), column \(place.column): the text is not UTF-8 (byte 0x\(String(bytes[offset], radix: 16, uppercase: true))); save the file as UTF-8"
        }
        // "Number 1e999 is not representable in Swift.": no offset, so find the number.
        if detail.hasPrefix("Number "), let (offset, number) = firstUnrepresentableNumber(in: bytes) {
            let place = textPosition(offset, in: bytes)
            return "line \(place.line), column \(place.column): the number \(number) is beyond what a JSON number here may be (about ±1.8e308); write a smaller number"
        }
        // "Invalid value around character 44." and the like: a 0-based offset into the bytes.
        guard let range = detail.range(of: #"character (\d+)"#, options: .regularExpression),
            let offset = Int(detail[range].dropFirst("character ".count)), offset >= 0, offset <= data.count
        else { return detail }
        let place = textPosition(offset, in: bytes)
        if detail.hasPrefix("Too many nested") {
            return "line \(place.line), column \(place.column): lists and objects are nested more than 512 deep; a spec or configuration needs a few levels"
        }
        // The parser's own words without the offset ("Badly formed object around character 9.").
        let reason = detail.hasPrefix("Invalid value")
            ? "unexpected text"
            : detail[..<range.lowerBound].replacingOccurrences(of: " around", with: "").trimmingCharacters(in: .whitespaces)
        let shown = place.lineText.count > 80 ? String(place.lineText.prefix(77)) + "..." : place.lineText
        return "line \(place.line), column \(place.column): \(reason) in `\(shown)`; check for a missing or extra comma, quote or bracket"
    }

    /// The 1-based line and column of byte `offset` as an editor shows them (columns count
    /// characters, not bytes), and the text of that line.
    private static func textPosition(_ offset: Int, in bytes: [UInt8]) -> (line: Int, column: Int, lineText: String) {
        let offset = min(max(offset, 0), bytes.count)
        let lineStart = bytes[..<offset].lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        let lineEnd = bytes[offset...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
        let line = bytes[..<offset].reduce(1) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
        let column = String(decoding: bytes[lineStart..<offset], as: UTF8.self).count + 1
        // Control characters (a NUL byte, an escape sequence) would garble the terminal.
        let lineText = String(String.UnicodeScalarView(
            String(decoding: bytes[lineStart..<lineEnd], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                .unicodeScalars.flatMap { $0.value < 0x20 || $0.value == 0x7F ? Array($0.escaped(asASCII: true).unicodeScalars) : [$0] }))
        return (line, column, lineText)
    }

    /// The offset and text of the first `\u` escape that is no character: fewer than four hex
    /// digits, or half of a UTF-16 surrogate pair without the other half.
    private static func firstBadUnicodeEscape(in bytes: [UInt8]) -> (offset: Int, text: String)? {
        let backslash = UInt8(ascii: "\\"), quote = UInt8(ascii: "\""), u = UInt8(ascii: "u")
        func isHexDigit(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte | 0x20)
        }
        func hexDigits(at start: Int) -> Int { bytes[min(start, bytes.count)...].prefix(4).prefix(while: isHexDigit).count }
        func unit(at start: Int) -> Int? {
            hexDigits(at: start) == 4 ? Int(String(decoding: bytes[start..<start + 4], as: UTF8.self), radix: 16) : nil
        }
        var index = 0
        var inString = false
        while index < bytes.count {
            let byte = bytes[index]
            guard inString else {
                inString = byte == quote
                index += 1
                continue
            }
            if byte == quote { inString = false }
            guard byte == backslash, index + 1 < bytes.count else {
                index += 1
                continue
            }
            guard bytes[index + 1] == u else {
                index += 2
                continue
            }
            let text = "\\u" + String(decoding: bytes[(index + 2)..<(index + 2 + hexDigits(at: index + 2))], as: UTF8.self)
            guard let first = unit(at: index + 2) else { return (index, text) }
            switch first {
            case 0xD800...0xDBFF:
                guard index + 7 < bytes.count, bytes[index + 6] == backslash, bytes[index + 7] == u,
                    let second = unit(at: index + 8), (0xDC00...0xDFFF).contains(second)
                else { return (index, text) }
                index += 12
            case 0xDC00...0xDFFF:
                return (index, text)
            default:
                index += 6
            }
        }
        return nil
    }

    /// The offset and text of the first number outside a string that a Double cannot hold:
    /// beyond ±1.8e308, or (`nearZero`) a number other than zero that rounds to it.
    private static func firstUnrepresentableNumber(in bytes: [UInt8], nearZero: Bool = false) -> (offset: Int, text: String)? {
        var index = 0
        var inString = false
        while index < bytes.count {
            let byte = bytes[index]
            if inString {
                if byte == UInt8(ascii: "\\") { index += 2; continue }
                if byte == UInt8(ascii: "\"") { inString = false }
                index += 1
                continue
            }
            if byte == UInt8(ascii: "\"") {
                inString = true
                index += 1
                continue
            }
            guard byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else {
                index += 1
                continue
            }
            let start = index
            while index < bytes.count, "+-.eE0123456789".utf8.contains(bytes[index]) { index += 1 }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            let mantissa = text.prefix { $0 != "e" && $0 != "E" }
            if let value = Double(text), nearZero ? value == 0 && mantissa.contains(where: { ("1"..."9").contains($0) }) : !value.isFinite {
                return (start, text.count > 40 ? String(text.prefix(37)) + "..." : text)
            }
        }
        return nil
    }

    /// The JSON kind, for messages: "a number", "a list", ...
    public var kindDescription: String {
        switch self {
        case .null: "null"
        case .bool: "true/false"
        case .number: "a number"
        case .string: "a string"
        case .array: "a list"
        case .object: "an object"
        }
    }

    /// The kind with the value, for a value of the wrong kind: `the string "40" (write numbers
    /// without quotes)`, `a list [64, 32]`, `true/false (true)`.
    public var kindDescriptionWithValue: String {
        let shown = shortText.count > 40 ? String(shortText.prefix(37)) + "..." : shortText
        switch self {
        case .string(let text):
            let quoted = "the string \"\(text.count > 40 ? String(text.prefix(37)) + "..." : text)\""
            if Double(text.trimmingCharacters(in: .whitespaces)) != nil { return quoted + " (write numbers without quotes)" }
            if text == "true" || text == "false" { return quoted + " (write true and false without quotes)" }
            return quoted
        case .number: return "the number \(shown)"
        case .bool: return shown
        case .null: return "null"
        case .array: return "a list \(shown)"
        case .object: return "an object \(shown)"
        }
    }

    /// Compact JSON text with sorted keys: the canonical form stored and compared.
    public var canonicalText: String {
        (try? CanonicalJSONEncoder().text(self)) ?? "null"
    }

    /// A short human form for leaderboards: strings bare, numbers to four significant digits,
    /// named objects as `adam(lr=0.01)`, lists as `[64,32]`.
    public var shortText: String { text(exact: false) }

    /// `shortText` with every number in full (the shortest text that reads back as the same
    /// Double): for CSV, where 0.0100001 and 0.0100002 must not both read 0.01.
    public var exactText: String { text(exact: true) }

    private func text(exact: Bool) -> String {
        switch self {
        case .string(let text): return text
        case .number(let value):
            // Four significant digits: a drawn learning rate reads 0.006793, not 0.006793100354723485.
            if value == value.rounded() { return value.compactDescription }
            return exact ? "\(value)" : String(format: "%.4g", value)
        case .bool(let flag): return flag ? "true" : "false"
        case .null: return "null"
        case .array(let items): return "[" + items.map { $0.text(exact: exact) }.joined(separator: ",") + "]"
        case .object(let members):
            let options = members.keys.sorted().filter { $0 != "name" }.map { "\($0)=\(members[$0]!.text(exact: exact))" }
            guard case .string(let name)? = members["name"] else { return "{" + options.joined(separator: ",") + "}" }
            return options.isEmpty ? name : "\(name)(\(options.joined(separator: ",")))"
        }
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }
}

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            if value == value.rounded(), abs(value) <= 9_007_199_254_740_992 {
                try container.encode(Int64(value))
            } else {
                try container.encode(value)
            }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

extension Double {
    /// "0.001", "32", "1e-05" — the shortest text that reads back as the same value.
    public var compactDescription: String {
        if self == rounded(), abs(self) <= 9_007_199_254_740_992 { return String(Int64(self)) }
        return "\(self)"
    }
}

/// One thing wrong with a spec or configuration, at a JSON path such as `$.parameters.lr.values[2]`.
public struct ConfigurationProblem: Sendable, Hashable, CustomStringConvertible {
    public let path: String
    public let message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}

/// Every problem found in one file, reported together.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public let source: String
    public let problems: [ConfigurationProblem]

    public init(source: String, problems: [ConfigurationProblem]) {
        self.source = source
        self.problems = problems
    }

    public var description: String {
        let count = problems.count == 1 ? "1 problem" : "\(problems.count) problems"
        return "\(source): \(count)\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}
