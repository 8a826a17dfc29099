import Foundation

/// How a spec differs from the one a sweep of the same name was stored with.
public enum SpecChange: Sendable, Hashable {
    /// The same sweep (perhaps with another description).
    case same
    /// The same sweep with more to do: a larger `trials`, or more values in a grid's lists.
    /// Running it keeps every stored trial and adds the new ones.
    case grown
    /// Another sweep under the same name; `reason` says what changed.
    case changed(reason: String)
}

extension SweepSpec {
    /// Compares this spec with the canonical JSON of the stored one. `ignoringDataSource`: where
    /// the data is found is no part of the sweep (the data's fingerprint tells whether it is the
    /// same): a file moved, or named by another path, keeps its sweep.
    public func change(from storedJSON: String, ignoringDataSource: Bool = false) -> SpecChange {
        guard case .object(var stored)? = try? JSONValue.parse(Data(storedJSON.utf8), source: "stored spec"),
            case .object(var current)? = try? JSONValue.parse(Data(canonicalJSON.utf8), source: "spec")
        else { return .changed(reason: "the stored spec cannot be read") }
        stored["description"] = nil
        current["description"] = nil
        if ignoringDataSource {
            Self.removeDataSource(from: &stored)
            Self.removeDataSource(from: &current)
        }
        var grown = false

        switch (stored["trials"], current["trials"]) {
        case (.number(let before)?, .number(let now)?) where now < before:
            return .changed(reason: "it asks for \(now.compactDescription) trials where the stored sweep has \(before.compactDescription); raise trials, or use sweep run --trials N to run fewer")
        case (.number(let before)?, .number(let now)?):
            grown = grown || now > before
            stored["trials"] = nil
            current["trials"] = nil
        default:
            break
        }

        if method == .grid, stored["method"] == current["method"] || stored["method"] == nil {
            // Each listed value of the stored grid must still be listed: trials keep their values.
            var storedParameters = stored["parameters"] ?? .object([:]), currentParameters = current["parameters"] ?? .object([:])
            switch Self.compareValueLists(&storedParameters, &currentParameters, path: "parameters") {
            case .failure(let reason): return .changed(reason: reason.description)
            case .success(let added): grown = grown || added
            }
            stored["parameters"] = storedParameters
            current["parameters"] = currentParameters
        }

        guard JSONValue.object(stored).canonicalText == JSONValue.object(current).canonicalText else {
            let differing = Set(stored.keys).union(current.keys).sorted().filter {
                stored[$0]?.canonicalText != current[$0]?.canonicalText
            }
            return .changed(reason: "its \(differing.map { "\"\($0)\"" }.joined(separator: ", ")) differ from the stored sweep's")
        }
        return grown ? .grown : .same
    }

    /// The spec without where its data is found: `"data": "PATH"` is the source alone, and
    /// `{"source": "PATH", …}` keeps its other settings.
    private static func removeDataSource(from spec: inout [String: JSONValue]) {
        switch spec["data"] {
        case .string?: spec["data"] = nil
        case .object(var settings)?:
            settings["source"] = nil
            spec["data"] = settings.isEmpty ? nil : .object(settings)
        default: break
        }
    }

    /// Walks two `parameters` objects in step; where both hold a `"values"` list (not inside a
    /// `"when"`), the stored list must be contained in the current one. Both lists are then
    /// blanked so that the rest can be compared as text. Success says whether values were added.
    private static func compareValueLists(_ stored: inout JSONValue, _ current: inout JSONValue, path: String) -> Result<Bool, ChangeReason> {
        guard case .object(var storedMembers) = stored, case .object(var currentMembers) = current else { return .success(false) }
        var added = false
        for key in Set(storedMembers.keys).intersection(currentMembers.keys) where key != "when" {
            if key == "values", case .array(let before)? = storedMembers[key], case .array(let now)? = currentMembers[key] {
                let nowTexts = Set(now.map(\.canonicalText))
                if let missing = before.first(where: { !nowTexts.contains($0.canonicalText) }) {
                    return .failure(ChangeReason("\(path).values no longer lists \(missing.shortText); a grid can gain values, not lose them"))
                }
                added = added || now.count > before.count
                storedMembers[key] = .null
                currentMembers[key] = .null
                continue
            }
            var storedChild = storedMembers[key]!, currentChild = currentMembers[key]!
            switch compareValueLists(&storedChild, &currentChild, path: "\(path).\(key)") {
            case .failure(let reason): return .failure(reason)
            case .success(let childAdded): added = added || childAdded
            }
            storedMembers[key] = storedChild
            currentMembers[key] = currentChild
        }
        stored = .object(storedMembers)
        current = .object(currentMembers)
        return .success(added)
    }
}

/// Why a spec is not the stored one, as an `Error` for `Result`.
struct ChangeReason: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
