import Foundation

extension Dataset {
    /// The dataset as CSV text that `CSVLoader` reads back to the same values.
    ///
    /// Columns are `featureNames` then the target, one line per row, `\n` line ends. Whole numbers
    /// are written without a decimal point (`842`, not `842.0`) and other values in Swift's
    /// shortest round-trip form (`2.2`), so that the file reads like the one it imitates and
    /// every value parses back to the identical `Float`.
    public func csvText() -> String {
        var text = (featureNames + [targetName]).map(quotedIfNeeded).joined(separator: ",")
        text += "\n"
        for row in 0..<rowCount {
            var cells = featureRow(row).map(csvNumber)
            cells.append(csvNumber(targets[row]))
            text += cells.joined(separator: ",")
            text += "\n"
        }
        return text
    }

    /// Writes `csvText()` to a file, replacing it if it exists.
    public func writeCSV(to path: String) throws {
        try csvText().write(toFile: path, atomically: true, encoding: .utf8)
    }
}

private func csvNumber(_ value: Float) -> String {
    // Below 2^24 every whole Float is exact as an Int, so the conversion loses nothing.
    if value == value.rounded(), abs(value) < 16_777_216 {
        return String(Int(value))
    }
    return "\(value)"
}

private func quotedIfNeeded(_ name: String) -> String {
    guard name.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else {
        return name
    }
    return "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}
