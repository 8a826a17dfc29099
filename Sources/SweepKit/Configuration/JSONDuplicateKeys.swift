import Foundation

// JSON allows an object to name a key twice and every parser then keeps one of the two values,
// silently. A spec or configuration with `"epochs": 10, …, "epochs": 100` is a mistake whichever
// value wins, so the text is scanned for repeated keys before its values are used.

/// A key an object names more than once: its JSON path and the 1-based lines of the first two
/// occurrences.
struct DuplicateKey: Equatable {
    var path: String
    var firstLine: Int
    var secondLine: Int
}

/// The repeated keys of well-formed JSON text, in the order they occur.
///
/// The text must already have parsed as JSON: the scanner follows its structure (objects,
/// arrays, strings with escapes) without checking it.
func duplicateKeys(in bytes: [UInt8]) -> [DuplicateKey] {
    enum Frame {
        case object(keys: [String: Int], current: String?, expectingKey: Bool)
        case array(index: Int)
    }
    var frames: [Frame] = []
    var duplicates: [DuplicateKey] = []
    var line = 1
    var index = 0

    func path(_ frames: [Frame]) -> String {
        var text = "$"
        for frame in frames {
            switch frame {
            case .object(_, let current?, _): text += ".\(current)"
            case .object: break
            case .array(let index): text += "[\(index)]"
            }
        }
        return text
    }

    while index < bytes.count {
        let byte = bytes[index]
        switch byte {
        case UInt8(ascii: "\n"):
            line += 1
        case UInt8(ascii: "{"):
            frames.append(.object(keys: [:], current: nil, expectingKey: true))
        case UInt8(ascii: "["):
            frames.append(.array(index: 0))
        case UInt8(ascii: "}"), UInt8(ascii: "]"):
            _ = frames.popLast()
        case UInt8(ascii: ","):
            switch frames.last {
            case .object(let keys, let current, _)?: frames[frames.count - 1] = .object(keys: keys, current: current, expectingKey: true)
            case .array(let position)?: frames[frames.count - 1] = .array(index: position + 1)
            case nil: break
            }
        case UInt8(ascii: "\""):
            let start = index
            var hasEscape = false
            index += 1
            while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                if bytes[index] == UInt8(ascii: "\\") {
                    hasEscape = true
                    index += 1
                }
                index += 1
            }
            guard case .object(var keys, _, true)? = frames.last else { break }
            let raw = bytes[(start + 1)..<min(index, bytes.count)]
            let key = hasEscape ? decodedString(quoted: Array(bytes[start...min(index, bytes.count - 1)])) : String(decoding: raw, as: UTF8.self)
            if let firstLine = keys[key] {
                var withKey = frames
                withKey[withKey.count - 1] = .object(keys: keys, current: key, expectingKey: false)
                duplicates.append(DuplicateKey(path: path(withKey), firstLine: firstLine, secondLine: line))
            } else {
                keys[key] = line
            }
            frames[frames.count - 1] = .object(keys: keys, current: key, expectingKey: false)
        default:
            break
        }
        index += 1
    }
    return duplicates
}

/// The value of a JSON string literal with escapes (`"\u0065pochs"` is `epochs`).
private func decodedString(quoted: [UInt8]) -> String {
    (try? JSONSerialization.jsonObject(with: Data(quoted), options: [.fragmentsAllowed])) as? String
        ?? String(decoding: quoted, as: UTF8.self)
}
