import Foundation
import Synchronization

/// `text` as one shell word, for the commands a message suggests: as it is when a shell reads
/// it literally, else in single quotes ("sweep predict my model.safetensors" was two words).
func shellWord(_ text: String) -> String {
    let literal = !text.isEmpty && text.unicodeScalars.allSatisfy { scalar in
        scalar.isASCII && (("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) || "_-./:=@%+,".unicodeScalars.contains(scalar))
    }
    return literal ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// Output helpers: whether stdout is a terminal, a one-line progress display, and errors on stderr.
enum Terminal {
    static var isInteractive: Bool { isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb" }

    // A message standard error cannot take has nowhere else to go; the exit status still says
    // how the command ended. The non-throwing `FileHandle.write` would crash instead.
    static func error(_ message: String) {
        try? FileHandle.standardError.write(contentsOf: Data(("error: " + readable(message) + "\n").utf8))
    }

    static func note(_ message: String) {
        try? FileHandle.standardError.write(contentsOf: Data((readable(message) + "\n").utf8))
    }

    /// A message with the control characters and invisible ones (a byte-order mark, a
    /// right-to-left override) of the paths and names it quotes escaped, `\u{1B}` for an escape:
    /// a file named with an escape sequence would otherwise clear or recolour the terminal. Line
    /// breaks and tabs stay, since messages lay out lists with them.
    static func readable(_ message: String) -> String {
        var result = ""
        for scalar in message.unicodeScalars {
            let isLayout = scalar == "\n" || scalar == "\t"
            let isControl = scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value)
            let isInvisible = [.format, .lineSeparator, .paragraphSeparator].contains(scalar.properties.generalCategory)
            if (isControl && !isLayout) || isInvisible {
                result += scalar.escaped(asASCII: true)
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// Rewrites the current terminal line (no newline).
    static func status(_ line: String) {
        let width = 118
        let clipped = line.count > width ? String(line.prefix(width)) : line
        writeStatus("\r\u{1B}[2K" + clipped)
    }

    static func endStatus() {
        writeStatus("\r\u{1B}[2K")
    }

    /// A progress line that cannot be shown (the terminal went away) is dropped: the work it
    /// reports goes on, and its results are stored and printed elsewhere. The non-throwing
    /// `FileHandle.write` would crash instead.
    private static func writeStatus(_ text: String) {
        try? FileHandle.standardOutput.write(contentsOf: Data(text.utf8))
    }

    /// Writes out what `print` has buffered for standard output, throwing when any of it, from
    /// the first line the command printed, could not be written: `print` drops a failed write (a
    /// full disk, a file-size limit, a reader gone while SIGPIPE is ignored).
    ///
    /// C's stdio keeps the bytes a write could not take and writes them again at the next flush,
    /// so a write that failed earlier fails again here, with its reason. (Its error flag would
    /// say so too, but `stdout` is a C global that Swift 6 refuses to read; `fflush(nil)` flushes
    /// it without naming it, and the command has no other stdio stream.)
    static func flushStandardOutput() throws(OutputFileError) {
        if let failed = earlierFlushFailure.withLock({ $0 }) { throw failed }
        guard fflush(nil) != 0 else { return }
        throw flushFailure(errno)
    }

    /// Writes out what `print` has buffered now, as a command goes (progress lines, a summary
    /// before a long export), keeping a failure for `flushStandardOutput` to throw at the end:
    /// a reader that has gone takes the bytes with it, so the last flush would find nothing
    /// left to fail on.
    static func flushStandardOutputNow() {
        guard fflush(nil) != 0 else { return }
        let failure = flushFailure(errno)
        earlierFlushFailure.withLock { $0 = $0 ?? failure }
    }

    private static let earlierFlushFailure = Mutex<OutputFileError?>(nil)

    private static func flushFailure(_ code: Int32) -> OutputFileError {
        code == EPIPE ? .readerClosed(path: "standard output") : .unusable(path: "standard output", reason: String(cString: strerror(code)))
    }

    /// What a command leaves done however its output ended, for the message of a standard
    /// output that failed to say after the failure (`sweep run`: where its results are stored).
    static let doneDespiteOutput = Mutex<String?>(nil)

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

/// `format`'s text with the number in full (the shortest that reads back as the same Double):
/// for CSV, where an RMSE of 1.4e-7 read 0.0000.
func formatExactly(_ value: Double?) -> String {
    guard let value, value.isFinite else { return format(value) }
    return "\(value)"
}

func formatDuration(_ seconds: Double) -> String {
    if !seconds.isFinite || seconds < 0 { return "?" }
    if seconds < 60 { return String(format: "%.1fs", seconds) }
    // Whole minutes and hours as Doubles: a duration beyond Int.max seconds (--budget 1e300)
    // is written out rather than trapped on.
    let minutes = (seconds / 60).rounded(.down)
    if minutes < 60 { return String(format: "%.0fm%02.0fs", minutes, (seconds - minutes * 60).rounded(.down)) }
    return String(format: "%.0fh%02.0fm", (minutes / 60).rounded(.down), minutes.truncatingRemainder(dividingBy: 60))
}

/// Rows padded to aligned columns, two spaces apart.
func aligned(_ rows: [[String]]) -> [String] {
    let widths = (0..<(rows.map(\.count).max() ?? 0)).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
    return rows.map { row in
        row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
            .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
    }
}
