import Foundation

/// Output helpers: whether stdout is a terminal, a one-line progress display, and errors on stderr.
enum Terminal {
    static var isInteractive: Bool { isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb" }

    static func error(_ message: String) {
        FileHandle.standardError.write(Data(("error: " + message + "\n").utf8))
    }

    static func note(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }

    /// Rewrites the current terminal line (no newline).
    static func status(_ line: String) {
        let width = 118
        let clipped = line.count > width ? String(line.prefix(width)) : line
        FileHandle.standardOutput.write(Data(("\r\u{1B}[2K" + clipped).utf8))
    }

    static func endStatus() {
        FileHandle.standardOutput.write(Data("\r\u{1B}[2K".utf8))
    }

    static func bar(fraction: Double, width: Int = 24) -> String {
        let filled = max(0, min(width, Int((fraction * Double(width)).rounded())))
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
    }
}

func format(_ value: Double?, digits: Int = 4) -> String {
    guard let value else { return "-" }
    if value.isNaN { return "NaN" }
    if value.isInfinite { return value > 0 ? "inf" : "-inf" }
    return String(format: "%.\(digits)f", value)
}

func formatDuration(_ seconds: Double) -> String {
    if !seconds.isFinite || seconds < 0 { return "?" }
    if seconds < 60 { return String(format: "%.1fs", seconds) }
    let minutes = Int(seconds) / 60
    if minutes < 60 { return "\(minutes)m\(String(format: "%02d", Int(seconds) % 60))s" }
    return "\(minutes / 60)h\(String(format: "%02d", minutes % 60))m"
}

/// Rows padded to aligned columns, two spaces apart.
func aligned(_ rows: [[String]]) -> [String] {
    let widths = (0..<(rows.map(\.count).max() ?? 0)).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
    return rows.map { row in
        row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
            .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
    }
}
