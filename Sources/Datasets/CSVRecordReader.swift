// The tokenising half of CSV reading: bytes to records of cells, with no idea of numbers or
// column names, so that the loader can name columns in the errors it raises.

/// One cell as written, quotes removed; unquoted cells are views into the file's bytes.
struct CSVCell: Equatable {
    var bytes: ArraySlice<UInt8>
    var wasQuoted: Bool

    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// The bytes without the spaces and tabs around them.
    var trimmedBytes: ArraySlice<UInt8> {
        let isPadding = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let first = bytes.firstIndex(where: { !isPadding($0) }),
              let last = bytes.lastIndex(where: { !isPadding($0) })
        else { return [] }
        return bytes[first...last]
    }
}

/// One logical record: its cells and the 1-based line it starts on.
struct CSVRecord: Equatable {
    var line: Int
    var cells: [CSVCell]
    /// Cells read past the reader's limit and not kept, so that a line of millions of commas
    /// costs a count, not millions of cells in memory.
    var droppedCellCount = 0

    /// How many cells the record has, kept or not.
    var cellCount: Int { cells.count + droppedCellCount }
}

/// A syntax problem found by the tokeniser, before column names are known to it.
struct CSVSyntaxIssue: Error, Equatable {
    enum Kind { case unterminatedQuote, textAfterClosingQuote }
    var kind: Kind
    var line: Int
    /// 0-based position of the cell in its record.
    var cellPosition: Int

    func error(path: String, columnNames: [String]) -> DatasetError {
        let column = cellPosition < columnNames.count ? columnNames[cellPosition] : "column \(cellPosition + 1)"
        switch kind {
        case .unterminatedQuote: return .unterminatedQuote(path: path, line: line, column: column)
        case .textAfterClosingQuote: return .textAfterClosingQuote(path: path, line: line, column: column)
        }
    }
}

/// Splits bytes into records, one at a time, so that the first bad row stops the work.
///
/// Quoted cells may span lines, so the record's line is where it starts and the counter follows
/// every line break, inside quotes or not. Blank lines yield no record.
struct CSVRecordReader {
    private let bytes: [UInt8]
    private var position = 0
    private var line = 1

    private static let comma = UInt8(ascii: ",")
    private static let quote = UInt8(ascii: "\"")
    private static let carriageReturn = UInt8(ascii: "\r")
    private static let lineFeed = UInt8(ascii: "\n")
    private static let space = UInt8(ascii: " ")
    private static let tab = UInt8(ascii: "\t")

    /// - Parameters:
    ///   - bytes: the text.
    ///   - start: where reading begins (past a byte-order mark), so that the bytes need no copy.
    init(bytes: [UInt8], start: Int = 0) {
        self.bytes = bytes
        position = min(max(start, 0), bytes.count)
    }

    /// The next non-blank record, `nil` at the end, or the syntax problem that stopped it.
    ///
    /// - Parameter maximumCells: the most cells kept; later cells of the record are read and
    ///   counted in `droppedCellCount` but not kept.
    mutating func nextRecord(keepingAtMost maximumCells: Int = .max) -> Result<CSVRecord, CSVSyntaxIssue>? {
        while position < bytes.count {
            let startLine = line
            var cells: [CSVCell] = []
            var droppedCellCount = 0
            var recordEnded = false
            while !recordEnded {
                let cell: CSVCell
                switch readCell(cellPosition: cells.count + droppedCellCount) {
                case let .failure(issue): return .failure(issue)
                case let .success(read): cell = read
                }
                if cells.count < maximumCells { cells.append(cell) } else { droppedCellCount += 1 }
                // readCell stops at a comma, a line break or the end.
                if position < bytes.count, bytes[position] == Self.comma {
                    position += 1
                } else {
                    consumeLineBreak()
                    recordEnded = true
                }
            }
            let isBlank = cells.count == 1 && droppedCellCount == 0 && !cells[0].wasQuoted
                && cells[0].trimmedBytes.isEmpty
            if !isBlank {
                return .success(CSVRecord(line: startLine, cells: cells, droppedCellCount: droppedCellCount))
            }
        }
        return nil
    }

    /// At most how many valid records are left to read, each of `cellsPerRecord` cells that are
    /// not empty, counted without reading them: one per line that ends right after something
    /// other than a line break (a blank line holds none), plus the last line; and no more than
    /// the bytes left can hold, at a byte per cell, a comma between cells and a line break.
    /// A quoted cell over several lines makes the count larger, never smaller. Lines of fewer
    /// bytes than that are refused when read, so a file of them (a wide header over millions of
    /// short lines) is not counted by its lines.
    func recordCountBound(cellsPerRecord: Int) -> Int {
        var lineCount = 0
        var previous = Self.lineFeed
        for index in position..<bytes.count {
            let byte = bytes[index]
            let isLineBreak = byte == Self.lineFeed || byte == Self.carriageReturn
            if isLineBreak, previous != Self.lineFeed, previous != Self.carriageReturn { lineCount += 1 }
            previous = byte
        }
        return min(lineCount + 1, (bytes.count - position) / (2 * max(cellsPerRecord, 1)) + 1)
    }

    private mutating func readCell(cellPosition: Int) -> Result<CSVCell, CSVSyntaxIssue> {
        // Spaces before an opening quote are allowed, so look past them before deciding.
        var lookahead = position
        while lookahead < bytes.count, bytes[lookahead] == Self.space || bytes[lookahead] == Self.tab {
            lookahead += 1
        }
        if lookahead < bytes.count, bytes[lookahead] == Self.quote {
            return readQuotedCell(openingAt: lookahead, cellPosition: cellPosition)
        }
        let start = position
        while position < bytes.count, !isCellEnd(bytes[position]) {
            position += 1
        }
        return .success(CSVCell(bytes: bytes[start..<position], wasQuoted: false))
    }

    private mutating func readQuotedCell(openingAt opening: Int, cellPosition: Int) -> Result<CSVCell, CSVSyntaxIssue> {
        let startLine = line
        position = opening + 1
        var content: [UInt8] = []
        while true {
            guard position < bytes.count else {
                return .failure(CSVSyntaxIssue(kind: .unterminatedQuote, line: startLine, cellPosition: cellPosition))
            }
            let byte = bytes[position]
            if byte == Self.quote {
                if position + 1 < bytes.count, bytes[position + 1] == Self.quote {
                    content.append(Self.quote)
                    position += 2
                    continue
                }
                position += 1
                break
            }
            if byte == Self.lineFeed || (byte == Self.carriageReturn && !(position + 1 < bytes.count && bytes[position + 1] == Self.lineFeed)) {
                line += 1
            }
            content.append(byte)
            position += 1
        }
        while position < bytes.count, bytes[position] == Self.space || bytes[position] == Self.tab {
            position += 1
        }
        if position < bytes.count, !isCellEnd(bytes[position]) {
            return .failure(CSVSyntaxIssue(kind: .textAfterClosingQuote, line: line, cellPosition: cellPosition))
        }
        return .success(CSVCell(bytes: content[...], wasQuoted: true))
    }

    private func isCellEnd(_ byte: UInt8) -> Bool {
        byte == Self.comma || byte == Self.lineFeed || byte == Self.carriageReturn
    }

    /// Steps over `\n`, `\r\n` or a lone `\r`, counting one line.
    private mutating func consumeLineBreak() {
        guard position < bytes.count else { return }
        if bytes[position] == Self.carriageReturn {
            position += 1
            if position < bytes.count, bytes[position] == Self.lineFeed {
                position += 1
            }
            line += 1
        } else if bytes[position] == Self.lineFeed {
            position += 1
            line += 1
        }
    }
}
