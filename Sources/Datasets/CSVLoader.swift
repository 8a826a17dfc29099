import Foundation

/// How large a CSV file may be. Every count is checked before the memory it sizes is taken:
/// a file's size before it is read, a header's width while it is read.
public struct CSVLimits: Sendable, Equatable {
    /// The largest file read. Its numbers take about as much memory again as the text, and each
    /// fold of a split copies them, so a larger file would need many gigabytes before training
    /// starts; 1 GiB is some 100 million values.
    public var maximumByteCount: Int
    /// The most columns. Each feature column is an input of the network's first layer; beyond
    /// this the table is not the kind of data a fully-connected network on tabular data fits.
    public var maximumColumnCount: Int

    public init(maximumByteCount: Int = 1 << 30, maximumColumnCount: Int = 100_000) {
        self.maximumByteCount = maximumByteCount
        self.maximumColumnCount = maximumColumnCount
    }

    public static let standard = CSVLimits()
}

/// Reads a comma-separated file of numbers into a `Dataset`.
///
/// The accepted format is RFC 4180 restricted to numbers: a header line of unique column names,
/// then one line per row with as many cells as the header. A cell may be quoted (`"1.5"`, with
/// `""` for a quote inside), may carry spaces around it, and must hold a finite decimal number
/// (`12`, `-0.5`, `3.`, `.25`, `1e-3`). Lines may end in `\n`, `\r\n` or `\r`; a UTF-8 byte-order
/// mark, a trailing newline and blank lines are ignored. Like `pandas.read_csv` with the default
/// dialect, minus missing-value handling: an empty cell is an error, not a NaN, because a NaN
/// would silently poison every gradient it touches.
///
/// Every problem surfaces as a `DatasetError` that names the file, the 1-based line and the
/// column; nothing in here traps on malformed input, and `CSVLimits` bounds what it allocates.
public enum CSVLoader {
    /// Reads the file at `path`: a regular file, or a stream such as a pipe (`<(zcat x.csv.gz)`),
    /// read up to the size limit.
    ///
    /// - Parameters:
    ///   - path: the file to read, quoted as given in error messages.
    ///   - target: the name of the target column; `nil` picks the last column.
    ///   - limits: the largest file and header accepted.
    ///   - requiringFeatures: whether a file of one column, the target alone, is refused, as
    ///     training needs it to be; predicting from a one-feature model reads its one column as
    ///     the target of a table without features.
    public static func load(
        path: String, target: String? = nil, limits: CSVLimits = .standard, requiringFeatures: Bool = true
    ) throws(DatasetError) -> Dataset {
        try parse(
            bytes: readBytes(at: path, limit: limits.maximumByteCount), path: path, target: target, limits: limits,
            requiringFeatures: requiringFeatures)
    }

    /// Parses CSV text already in memory; `path` is only used in error messages and as `source`.
    public static func parse(text: String, path: String, target: String? = nil, limits: CSVLimits = .standard) throws(DatasetError) -> Dataset {
        try parse(bytes: Array(text.utf8), path: path, target: target, limits: limits)
    }

    /// Parses raw bytes: checks the size and the encoding, steps over a byte-order mark, then
    /// reads the table.
    public static func parse(
        bytes: [UInt8], path: String, target: String? = nil, limits: CSVLimits = .standard, requiringFeatures: Bool = true
    ) throws(DatasetError) -> Dataset {
        guard bytes.count <= limits.maximumByteCount else {
            throw .fileTooLarge(path: path, byteCount: bytes.count, limit: limits.maximumByteCount)
        }
        if bytes.starts(with: [0x1F, 0x8B]) {
            throw .compressedFile(path: path, format: "gzip")
        }
        if bytes.starts(with: Array("PK".utf8) + [0x03, 0x04]) {
            throw .compressedFile(path: path, format: "ZIP")
        }
        guard String(validating: bytes, as: UTF8.self) != nil else {
            let offset = firstInvalidUTF8Offset(in: bytes)
            throw .notUTF8Text(path: path, line: lineNumber(ofOffset: offset, in: bytes), byte: bytes[offset])
        }
        let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]
        var reader = CSVRecordReader(bytes: bytes, start: bytes.starts(with: byteOrderMark) ? 3 : 0)
        return try readTable(from: &reader, path: path, target: target, limits: limits, requiringFeatures: requiringFeatures)
    }

    /// The file's bytes, mapping `readFileBytes`'s problems to the loader's errors: for a reader
    /// that parses them more than once (`parse(bytes:…)`), as a pipe can be read only once.
    public static func readBytes(at path: String, limit: Int) throws(DatasetError) -> [UInt8] {
        do {
            return try readFileBytes(at: path, limit: limit)
        } catch {
            switch error {
            case .notFound: throw .fileNotFound(path: path)
            case .directory: throw .unreadableFile(path: path, reason: "it is a directory")
            case .tooLarge(let byteCount): throw .fileTooLarge(path: path, byteCount: byteCount, limit: limit)
            case .unreadable(let reason): throw .unreadableFile(path: path, reason: reason)
            }
        }
    }

    private static func readTable(
        from reader: inout CSVRecordReader,
        path: String,
        target: String?,
        limits: CSVLimits,
        requiringFeatures: Bool
    ) throws(DatasetError) -> Dataset {
        // The header: without column names there is no way to name anything else. Its cells are
        // kept only up to the column limit, so a line of a billion commas is counted, not stored.
        let header: CSVRecord
        switch reader.nextRecord(keepingAtMost: limits.maximumColumnCount) {
        case nil:
            throw .emptyFile(path: path)
        case let .failure(issue)?:
            throw issue.error(path: path, columnNames: [])
        case let .success(record)?:
            header = record
        }
        guard header.cellCount <= limits.maximumColumnCount else {
            throw .tooManyColumns(path: path, line: header.line, count: header.cellCount, limit: limits.maximumColumnCount)
        }
        let columnNames = header.cells.map { String(decoding: $0.trimmedBytes, as: UTF8.self) }
        // Excel reads and writes a first line "sep=," naming the separator; the header follows it.
        if let first = header.cells.first.map({ String(decoding: $0.bytes, as: UTF8.self) }), first.hasPrefix("sep="),
           first.count <= 5, header.cellCount <= 2, columnNames.dropFirst().allSatisfy(\.isEmpty) {
            // "sep=," splits at its comma, leaving "sep=" and an empty cell.
            throw .separatorLine(path: path, line: header.line, separator: first.dropFirst(4).first.map(String.init) ?? ",")
        }
        var firstPosition: [String: Int] = [:]
        for (position, name) in columnNames.enumerated() {
            if name.isEmpty {
                throw .emptyColumnName(path: path, line: header.line, position: position + 1)
            }
            if let earlier = firstPosition[name] {
                throw .duplicateColumnName(
                    path: path, line: header.line, name: name,
                    firstPosition: earlier + 1, secondPosition: position + 1)
            }
            firstPosition[name] = position
        }

        // A file without a header line would give its first row as the column names and lose it
        // as a row. Names that are all numbers give that away, except the column numbers that
        // pandas writes for a table without names (0, 1, 2, …).
        if columnNames.allSatisfy(isNumber), !isColumnNumbering(columnNames) {
            throw .headerOfNumbers(path: path, line: header.line, names: columnNames)
        }

        let targetName = target ?? columnNames.last ?? ""
        guard let targetIndex = firstPosition[targetName] else {
            throw .unknownTargetColumn(path: path, requested: targetName, available: columnNames)
        }
        guard columnNames.count >= 2 || !requiringFeatures else {
            throw .noFeatureColumns(path: path, columns: columnNames)
        }

        // Each column's room is taken once, from a bound on the rows left: grown by doubling, an
        // array is copied into one twice its size and both are held at once, which made a narrow
        // file (a few short cells a row) peak at 5.5 times its size while read, 4.2 times without.
        // Room reserved and never written takes no memory.
        let rowBound = reader.recordCountBound(cellsPerRecord: columnNames.count)
        var features: [Float] = []
        features.reserveCapacity(rowBound * (columnNames.count - 1))
        var targets: [Float] = []
        targets.reserveCapacity(rowBound)
        var lineNumbers: [Int] = []
        lineNumbers.reserveCapacity(rowBound)
        while let next = reader.nextRecord(keepingAtMost: columnNames.count) {
            let record: CSVRecord
            switch next {
            case let .failure(issue): throw issue.error(path: path, columnNames: columnNames)
            case let .success(row): record = row
            }
            guard record.cellCount == columnNames.count else {
                throw .raggedRow(path: path, line: record.line, expected: columnNames.count, found: record.cellCount)
            }
            for (column, cell) in record.cells.enumerated() {
                let value: Float
                do {
                    value = try number(in: cell, path: path, line: record.line, column: columnNames[column])
                } catch {
                    // Files joined with cat repeat the header, each with its byte-order mark if
                    // it had one: say so rather than blame a cell.
                    var names = record.cells.map { String(decoding: $0.trimmedBytes, as: UTF8.self) }
                    if names[0].hasPrefix("\u{FEFF}") { names[0].removeFirst() }
                    if names == columnNames {
                        throw .repeatedHeader(path: path, line: record.line, headerLine: header.line)
                    }
                    throw error
                }
                if column == targetIndex {
                    targets.append(value)
                } else {
                    features.append(value)
                }
            }
            lineNumbers.append(record.line)
        }
        guard !targets.isEmpty else {
            throw .noDataRows(path: path)
        }

        var featureNames = columnNames
        featureNames.remove(at: targetIndex)
        return Dataset(
            featureNames: featureNames,
            targetName: targetName,
            features: features,
            targets: targets,
            lineNumbers: lineNumbers,
            source: path
        )
    }

    /// The value of one cell, or the error that explains why it has none.
    private static func number(in cell: CSVCell, path: String, line: Int, column: String) throws(DatasetError) -> Float {
        let trimmed = cell.trimmedBytes
        if trimmed.isEmpty {
            throw .emptyCell(path: path, line: line, column: column)
        }
        // Float(String) would also take "nan", "inf" and hexadecimal; none of them belongs in a
        // table of measurements, so only plain decimal notation gets through. Checking bytes
        // first also keeps the String short enough to live inline, with no allocation per cell.
        if let value = exactlyRoundedShortDecimal(trimmed) {
            return value
        }
        guard trimmed.allSatisfy(isDecimalNotation),
              let value = Float(String(decoding: trimmed, as: UTF8.self)), value.isFinite
        else {
            // At most a few hundred characters of the cell travel in the error: a cell can be
            // as long as the file.
            let text = String(decoding: cell.bytes.prefix(400), as: UTF8.self)
            throw .nonNumericCell(path: path, line: line, column: column, value: text)
        }
        return value
    }
}

/// The offset of the first byte that does not belong to a valid UTF-8 sequence, for text
/// already known not to be UTF-8 (a CSV here; a spec or configuration in SweepKit).
public func firstInvalidUTF8Offset(in bytes: [UInt8]) -> Int {
    var parser = Unicode.UTF8.ForwardParser()
    var iterator = bytes.makeIterator()
    var offset = 0
    while true {
        switch parser.parseScalar(from: &iterator) {
        case .valid(let encoded): offset += encoded.count
        case .emptyInput: return max(bytes.count - 1, 0)
        case .error: return offset
        }
    }
}

/// The 1-based line of a byte, counting line breaks as the record reader does: `\n`, `\r\n` and
/// a lone `\r`, inside quotes or not.
private func lineNumber(ofOffset offset: Int, in bytes: [UInt8]) -> Int {
    var line = 1
    for index in 0..<offset {
        let byte = bytes[index]
        if byte == UInt8(ascii: "\n") || (byte == UInt8(ascii: "\r") && (index + 1 >= bytes.count || bytes[index + 1] != UInt8(ascii: "\n"))) {
            line += 1
        }
    }
    return line
}

/// Whether a column name reads as a number, as a cell of data would.
private func isNumber(_ name: String) -> Bool {
    name.utf8.allSatisfy(isDecimalNotation) && Float(name) != nil
}

/// Whether names count the columns, from 0 or from 1 and in any order, as
/// `pandas.DataFrame(array).to_csv()` and other tools name columns that have no names of their
/// own (reordered, as a table to predict may have them).
private func isColumnNumbering(_ names: [String]) -> Bool {
    let given = Set(names)
    return given == Set(names.indices.map(String.init)) || given == Set(names.indices.map { String($0 + 1) })
}

/// Whether a byte can appear in plain decimal or scientific notation: digits, sign, point, e/E.
private func isDecimalNotation(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
         UInt8(ascii: "e"), UInt8(ascii: "E"):
        return true
    default:
        return false
    }
}

/// The value of a short plain decimal such as `842`, `-2.2` or `0.125`, or `nil` for anything
/// else (exponents, more than 24 bits of digits, more than 10 decimals), which then takes the
/// slower general path.
///
/// Clinger's fast path: with the digits read as an integer `m ≤ 2²⁴` and `k ≤ 10` decimals, both
/// `m` and `10ᵏ` (5¹⁰ < 2²⁴) are exact Floats, so the one IEEE division `m / 10ᵏ` is correctly
/// rounded, the same Float that `strtof` returns. It makes loading about three times faster,
/// since nearly every cell of a tabular file is such a number.
/// W. D. Clinger, "How to read floating point numbers accurately", PLDI 1990.
func exactlyRoundedShortDecimal(_ bytes: ArraySlice<UInt8>) -> Float? {
    var index = bytes.startIndex
    var isNegative = false
    if index < bytes.endIndex, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
        isNegative = bytes[index] == UInt8(ascii: "-")
        index += 1
    }
    var mantissa = 0
    var digitCount = 0
    var decimalCount = 0
    var hasPoint = false
    while index < bytes.endIndex {
        let byte = bytes[index]
        if byte == UInt8(ascii: ".") {
            if hasPoint { return nil }
            hasPoint = true
        } else if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
            mantissa = mantissa * 10 + Int(byte - UInt8(ascii: "0"))
            if mantissa > 1 << 24 { return nil }
            digitCount += 1
            if hasPoint { decimalCount += 1 }
        } else {
            return nil
        }
        index += 1
    }
    guard digitCount > 0, decimalCount < exactPowersOfTen.count else { return nil }
    let magnitude = Float(mantissa) / exactPowersOfTen[decimalCount]
    return isNegative ? -magnitude : magnitude
}

/// 10⁰ … 10¹⁰, each exactly representable as a Float.
private let exactPowersOfTen: [Float] = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10]

extension Dataset {
    /// Reads a CSV file; see `CSVLoader` for the format.
    ///
    /// - Parameters:
    ///   - path: the file to read.
    ///   - target: the target column's name; `nil` picks the last column.
    ///   - requiringFeatures: whether a file of the target alone is refused.
    public static func load(
        csvAt path: String, target: String? = nil, limits: CSVLimits = .standard, requiringFeatures: Bool = true
    ) throws(DatasetError) -> Dataset {
        try CSVLoader.load(path: path, target: target, limits: limits, requiringFeatures: requiringFeatures)
    }
}
