import Foundation

/// Everything that can go wrong while reading, checking, splitting or generating a dataset.
///
/// Each message names where the problem is (file, 1-based line, column) and says how to fix it,
/// because the person reading it is looking at their own spreadsheet, not at this code.
public enum DatasetError: Error, Equatable, Sendable, CustomStringConvertible {
    // MARK: Reading a CSV file

    /// No file exists at the path.
    case fileNotFound(path: String)
    /// The file exists but could not be read (permissions, a directory, an I/O error).
    case unreadableFile(path: String, reason: String)
    /// The bytes are not UTF-8 text (a file saved as Latin-1 or UTF-16, for example); `line` and
    /// `byte` are where the first byte that is not UTF-8 is, and its value.
    case notUTF8Text(path: String, line: Int, byte: UInt8)
    /// The file is compressed (gzip) or an archive (ZIP, as an .xlsx workbook is): `format` names it.
    case compressedFile(path: String, format: String)
    /// The file is larger than `CSVLimits.maximumByteCount`; `byteCount` is its size, or the
    /// number of bytes read before giving up on a stream that does not end.
    case fileTooLarge(path: String, byteCount: Int, limit: Int)
    /// The header has more columns than `CSVLimits.maximumColumnCount`.
    case tooManyColumns(path: String, line: Int, count: Int, limit: Int)
    /// The file holds nothing, not even a header line.
    case emptyFile(path: String)
    /// The header is there but no data row follows it.
    case noDataRows(path: String)
    /// A header cell is blank; `position` is 1-based.
    case emptyColumnName(path: String, line: Int, position: Int)
    /// Two header cells carry the same name; positions are 1-based.
    case duplicateColumnName(path: String, line: Int, name: String, firstPosition: Int, secondPosition: Int)
    /// The header has a target column but nothing to learn from.
    case noFeatureColumns(path: String, columns: [String])
    /// The first line is Excel's separator line (`sep=,`) rather than the header.
    case separatorLine(path: String, line: Int, separator: String)
    /// Every name of the header is a number: most likely the file has no header line, and its
    /// first row of data stands in for the names.
    case headerOfNumbers(path: String, line: Int, names: [String])
    /// The requested target column is not in the header.
    case unknownTargetColumn(path: String, requested: String, available: [String])
    /// A data row is the header again, as files joined with `cat` have.
    case repeatedHeader(path: String, line: Int, headerLine: Int)
    /// A data row has a different number of cells from the header.
    case raggedRow(path: String, line: Int, expected: Int, found: Int)
    /// A cell is blank: missing values are not supported.
    case emptyCell(path: String, line: Int, column: String)
    /// A cell is not a finite decimal number.
    case nonNumericCell(path: String, line: Int, column: String, value: String)
    /// A quoted cell opens with `"` but never closes.
    case unterminatedQuote(path: String, line: Int, column: String)
    /// Something other than spaces follows the closing `"` of a quoted cell.
    case textAfterClosingQuote(path: String, line: Int, column: String)

    // MARK: Checking a classification target

    /// Classification was asked for, but every row has the same target value.
    case singleClass(source: String, target: String, value: Float)
    /// No task was named and every row has the same target value: nothing to learn.
    case constantTarget(source: String, target: String, value: Float, rowCount: Int)
    /// Every feature column has one value in all rows: nothing to learn from.
    case constantFeatures(source: String, rowCount: Int, columns: [String], values: [Float])
    /// No task was named and the target is whole numbers with few values, as class labels are,
    /// except for a few rows; `line` and `value` are the first of those, `labels` the whole values.
    case nearlyClassLabels(source: String, target: String, line: Int, value: Float, labels: [Float], otherRowCount: Int, rowCount: Int)
    /// Classification was asked for, but a target value is not a whole number.
    case nonIntegerTarget(source: String, target: String, line: Int, value: Float)
    /// A class label too large for a 32-bit float to tell it from its neighbours.
    case classLabelTooLarge(source: String, target: String, line: Int, value: Float)
    /// Classification was asked for, but the target has more distinct values than classes allowed.
    case tooManyClasses(source: String, target: String, distinctCount: Int, limit: Int)
    /// Binary classification was asked for, but the target does not have exactly two values.
    case binaryNeedsTwoClasses(source: String, target: String, classCount: Int)
    /// A row's target value is not one of the classes a model was trained on.
    case unseenClassLabel(source: String, target: String, line: Int, value: Float, knownLabels: [Float])

    // MARK: Splitting

    /// A split fraction is negative, not below 1, or not a number. `source`: the data split,
    /// once known (`Splits` works on row groups alone; `Dataset.split` names it, `naming(source:)`).
    case invalidFraction(source: String? = nil, name: String, value: Double)
    /// The test and validation fractions together leave nothing for training; `source` as for
    /// `invalidFraction`.
    case fractionsTooLarge(source: String? = nil, testFraction: Double, validationFraction: Double)
    /// After rounding, a part of the split that was asked for holds no row; `largestGroup` is
    /// the row count of the largest class (all rows for regression), which sets the smallest
    /// fraction that gives the part a row; `source` as for `invalidFraction`.
    case emptySplitPart(source: String? = nil, part: String, rowCount: Int, fraction: Double, largestGroup: Int)
    /// The fold count is outside what the data allows; `source` as for `emptySplitPart`.
    case invalidFoldCount(source: String? = nil, k: Int, limit: Int, rowCount: Int, stratified: Bool)
    /// One copy of the rows per fold would not fit in memory; the sizes are as people read them.
    case foldCopiesTooLarge(source: String, folds: Int, rowCount: Int, neededBytes: String, usableBytes: String)

    // MARK: Standardising

    /// A standardiser fitted on one width of rows met rows of another width; `found` is the
    /// dataset's feature count, or the value count of a raw buffer that is not whole rows.
    case featureCountMismatch(expected: Int, found: Int, source: String)

    /// Saved standardisation statistics that cannot be used (mismatched counts, a NaN, σ ≤ 0).
    case damagedStandardizer(reason: String)

    // MARK: Built-in data

    /// The generator needs a multiple of 4 rows (balanced classes), at least 8 and at most
    /// `PhonePriceGenerator.maximumRowCount`.
    case invalidGeneratedRowCount(rowCount: Int)
    /// `builtin:<name>` names no built-in dataset.
    case unknownBuiltin(name: String, available: [String])
    /// A `builtin:` query has a parameter the dataset does not take.
    case unknownBuiltinParameter(source: String, parameter: String, allowed: [String])
    /// A `builtin:` query parameter has a value that is not usable.
    case invalidBuiltinParameter(source: String, parameter: String, value: String, expected: String)
    /// A `builtin:` query names a parameter twice.
    case repeatedBuiltinParameter(source: String, parameter: String)

    public var description: String {
        switch self {
        case let .fileNotFound(path) where path.isEmpty:
            return "The data source is empty. Give a CSV path, or builtin:phone-price for the built-in data."
        case let .fileNotFound(path):
            return "\(path): no such file. Check the path (relative paths start from the current directory), or use builtin:phone-price for the built-in data."
        case let .unreadableFile(path, reason):
            return "\(path): the file could not be read (\(reason)). Check that it is a regular file you are allowed to read."
        case let .notUTF8Text(path, line, byte):
            let hex = "0x" + String(byte, radix: 16, uppercase: true)
            // A byte-order mark of 0xFF 0xFE or 0xFE 0xFF opens a UTF-16 file.
            let conversion = line == 1 && byte >= 0xFE ? "it looks like UTF-16: iconv -f UTF-16 -t UTF-8" : "from Latin-1 or Windows-1252, iconv -f WINDOWS-1252 -t UTF-8"
            return "\(path), line \(line): byte \(hex) is not UTF-8 text, so the file was saved in another encoding. Export it from your spreadsheet as CSV (comma-separated, UTF-8), or convert it (\(conversion) FILE > new.csv)."
        case let .compressedFile(path, format) where format == "gzip":
            return "\(path): the file is gzip-compressed, not CSV text. Decompress it first (gunzip), or read it through a pipe: <(zcat \(path)) in place of the path."
        case let .compressedFile(path, format):
            return "\(path): the file is a \(format) archive (an Excel .xlsx workbook is one), not CSV text. Save the sheet as CSV (comma-separated, UTF-8), or extract the CSV from the archive."
        case let .fileTooLarge(path, byteCount, limit):
            return "\(path): the file holds \(byteCount > limit ? "more than \(byteSize(limit))" : byteSize(byteCount)), above the \(byteSize(limit)) a CSV may have: its numbers are held in memory, and copied once per fold of the split, so a larger file would need many gigabytes before training starts. Train on a sample of the rows (e.g. head -n 1000000), or drop columns you do not need."
        case let .tooManyColumns(path, line, count, limit):
            return "\(path), line \(line): the header has \(count) columns, above the limit of \(limit): each column is an input of the network's first layer, and a table that wide is not what a fully-connected network on tabular data is for. Drop columns, or check that the file is comma-separated with one header line."
        case let .emptyFile(path):
            return "\(path): the file is empty. A CSV file needs a header line naming the columns, then one line per row."
        case let .noDataRows(path):
            return "\(path): the file has a header line but no data rows. Add at least one row of numbers under the header."
        case let .emptyColumnName(path, line, position):
            return "\(path), line \(line): column \(position) of the header has no name. Give it a name or delete the column: a comma at the end of the header line adds an unnamed last column, and a row index written by pandas has no name (re-export with index=False)."
        case let .duplicateColumnName(path, line, name, first, second):
            return "\(path), line \(line): the column name '\(shown(name))' appears twice (columns \(first) and \(second)). Rename one of them so that every column name is unique."
        case let .repeatedHeader(path, line, headerLine):
            return "\(path), line \(line): the line repeats the header (line \(headerLine)), as CSV files joined together do. Delete the repeated header lines, or join the files keeping one header (tail -n +2 on every file but the first)."
        case let .separatorLine(path, line, separator):
            let convert = separator == "," ? "" : ", and convert the file to commas"
            return "\(path), line \(line): '\(shown("sep=" + separator))' is the separator line Excel writes, not a header. Delete the line, so that the header naming the columns comes first\(convert)."
        case let .headerOfNumbers(path, line, names):
            let shownNames = names.prefix(5).map { shown($0) }.joined(separator: ", ") + (names.count > 5 ? ", …" : "")
            return "\(path), line \(line): the header holds only numbers (\(shownNames)), so the file most likely has no header line: its first row would be taken for the column names and lost as a row. Add a header line naming the columns (such as x1,x2,…,target) at the top of the file; if these numbers are the names, rename one (the target, say) with a word."
        case let .noFeatureColumns(path, columns):
            let listed = shownList(columns)
            return "\(path), line 1: the header has only the column \(listed), so no feature is left besides the target. If the file separates cells with ';' or tabs, convert it to commas."
        case let .unknownTargetColumn(path, requested, available):
            let listed = shownList(available)
            var hint = ""
            if let close = available.first(where: { $0.lowercased() == requested.lowercased() }) {
                hint = " Did you mean '\(close)'? Names are case-sensitive."
            } else if !requested.isEmpty, let close = available.first(where: { $0.lowercased().contains(requested.lowercased()) }) {
                hint = " Did you mean '\(shown(close))'?"
            }
            return "\(path): there is no column named '\(shown(requested))' to use as the target.\(hint) Available columns: \(listed)."
        case let .raggedRow(path, line, expected, found):
            return "\(path), line \(line): expected \(expected) cells, as in the header, but found \(found). Check for a missing or extra comma; a cell that contains a comma must be quoted, and a quote left open runs on over the following lines."
        case let .emptyCell(path, line, column):
            return "\(path), line \(line), column '\(shown(column))': the cell is empty. Missing values are not supported: fill in a value or delete the row."
        case let .nonNumericCell(path, line, column, value):
            if isOutOfFloatRange(value) {
                return "\(path), line \(line), column '\(shown(column))': \(shown(value)) is beyond the range of the 32-bit floats the network computes with (about ±3.4e38). Rescale the column (other units, or a logarithm) or fix the cell."
            }
            return "\(path), line \(line), column '\(shown(column))': '\(shown(value))' is not a number. Every cell must be a finite number such as 12, -0.5 or 1e-3 (no units, no thousands separators, no NA): fix the cell, delete the row, or encode text categories as numbers."
        case let .unterminatedQuote(path, line, column):
            return "\(path), line \(line), column '\(shown(column))': a quoted cell starts with \" but never ends. Add the closing quote (write a quote inside a quoted cell as \"\")."
        case let .textAfterClosingQuote(path, line, column):
            return "\(path), line \(line), column '\(shown(column))': text follows the closing quote of a quoted cell. Put the whole cell inside the quotes, or remove them."
        case let .singleClass(source, target, value):
            return "\(source): classification needs at least two classes, but every row of '\(shown(target))' is \(labelText(value)). Use data with more than one class, or set the task to regression (\"task\": \"regression\" in the spec's data, or sweep auto --task regression)."
        case let .constantTarget(source, target, value, rowCount):
            return "\(source), column '\(shown(target))': all \(rowCount) row\(rowCount == 1 ? " has" : "s have") the value \(labelText(value)), so there is nothing to learn. Check that '\(shown(target))' is the column to predict (name another with data.target or --target) and that the file holds all of its rows."
        case let .constantFeatures(source, rowCount, columns, values):
            let shownColumns = zip(columns, values).prefix(5).map { "'\(shown($0))' is \(labelText($1))" }.joined(separator: ", ")
            let more = columns.count > 5 ? " and \(columns.count - 5) more" : ""
            return "\(source): every feature column has one value in all \(rowCount) rows (\(shownColumns)\(more)), so there is nothing to learn from: a model would predict the same for every row. Check that the file holds all of its columns and rows, and that the target (data.target or --target) is not the one column that varies."
        case let .nearlyClassLabels(source, target, line, value, labels, otherRowCount, rowCount):
            let listed = labels.prefix(TaskKind.maximumClassCount).map(labelText).joined(separator: ", ")
            let others = otherRowCount == 1 ? "one row is not" : "\(otherRowCount) rows are not"
            return "\(source), line \(line), column '\(shown(target))': the target looks like class labels (\(listed) in \(rowCount - otherRowCount) of \(rowCount) rows), but \(others) a whole number, the first being \(labelText(value)) here. If that is a typo, fix the cell; if '\(shown(target))' is a quantity to predict, set the task to regression (\"task\": \"regression\" in the spec's data, or sweep auto --task regression)."
        case let .nonIntegerTarget(source, target, line, value):
            return "\(source), line \(line), column '\(target)': classification needs whole-number class labels, but this row has \(labelText(value)). The target looks continuous: set the task to regression (\"task\": \"regression\" in the spec's data, or sweep auto --task regression), or round the labels to classes."
        case let .classLabelTooLarge(source, target, line, value):
            return "\(source), line \(line), column '\(target)': the class label here (read as \(String(format: "%.0f", Double(value)))) is \(String(format: "%.0f", Double(TaskKind.largestExactClassLabel))) or more in size, beyond which 32-bit floats, which hold the targets, cannot tell neighbouring whole numbers apart (16777217 reads as 16777216), so classes would merge or change. Renumber the classes 0, 1, 2, …, or, if the column is a quantity, set the task to regression (\"task\": \"regression\" in the spec's data, or sweep auto --task regression)."
        case let .tooManyClasses(source, target, distinctCount, limit):
            return "\(source), column '\(target)': classification allows at most \(limit) classes, but the target has \(distinctCount) distinct values, which looks like a regression target. Set the task to regression (\"task\": \"regression\" in the spec's data, or sweep auto --task regression), or group the values into fewer classes."
        case let .binaryNeedsTwoClasses(source, target, classCount):
            return "\(source), column '\(target)': binary classification needs exactly 2 classes, but the target has \(classCount). Set the task to multiclass, or choose another target."
        case let .unseenClassLabel(source, target, line, value, knownLabels):
            let known = knownLabels.map(labelText).joined(separator: ", ")
            return "\(source), line \(line), column '\(target)': the class \(labelText(value)) was not among the classes the model was trained on (\(known)). Remove the row or retrain on data that contains this class."
        case let .invalidFraction(source, name, value):
            return located("The \(name) fraction \(value) is outside [0, 1). Use a value such as 0.2 (20% of the rows).", in: source)
        case let .fractionsTooLarge(source, test, validation):
            return located("The test fraction \(test) and validation fraction \(validation) add up to \(test + validation), leaving no rows for training. Make them sum to less than 1, e.g. 0.2 and 0.1.", in: source)
        case let .emptySplitPart(source, part, rowCount, fraction, largestGroup):
            if part == "training" {
                return located("With \(rowCount) row\(rowCount == 1 ? "" : "s"), the split leaves the training part empty. Lower the test and validation fractions or use more rows.", in: source)
            }
            let rows = "With \(rowCount) row\(rowCount == 1 ? "" : "s")" + (largestGroup < rowCount ? " (\(largestGroup) in the largest class)" : "")
            let raise = "Raise the \(part) fraction to at least \(smallestFraction(givingOneRowOf: largestGroup))"
            let alternative = part == "validation" ? ", cross-validate with folds instead" : ""
            return located("\(rows), a \(part) fraction of \(fraction) rounds to no row in the \(part) part. \(raise)\(alternative), or use more rows.", in: source)
        case let .invalidFoldCount(source, k, limit, rowCount, stratified):
            let reason = stratified
                ? "the largest class has \(limit) rows and stratified folds deal each class round-robin, so a fold would be empty"
                : "there are \(rowCount) rows"
            guard limit >= 2 else {
                return located("Cross-validation with k = \(k) folds is not possible: every fold needs a row of the largest class, and \(reason). Use more rows, or no folds (a validation fraction instead).", in: source)
            }
            let range = limit == 2 ? "k must be 2" : "k must be at least 2 and at most \(limit)"
            let choose = limit == 2 ? "Use 2 folds" : "Choose k between 2 and \(limit)"
            return located("Cross-validation with k = \(k) folds is not possible: \(range) because \(reason). \(choose), or use more rows.", in: source)
        case let .foldCopiesTooLarge(source, folds, rowCount, needed, usable):
            return located("Cross-validation with \(folds) folds keeps a copy of the \(rowCount) rows for each fold and the final fit: about \(needed) of memory, more than the \(usable) a run may use on this machine. Use fewer folds (5 or 10 are usual) or fewer rows.", in: source)
        case let .featureCountMismatch(expected, found, source):
            return "\(source): the standardiser was fitted on rows of \(expected) features but was given \(found), which is not whole rows of that width. Use data with the same feature columns as the training data."
        case let .damagedStandardizer(reason):
            return "The saved standardisation statistics are damaged: \(reason). Export the model again from its sweep."
        case let .invalidGeneratedRowCount(rowCount):
            let limit = PhonePriceGenerator.maximumRowCount
            if rowCount > limit {
                return "The built-in phone-price data takes at most \(grouped(limit)) rows, 500 times the real file's 2,000 (more would take gigabytes and minutes just to generate, and it is a demonstration set); \(rowCount) is too many. Use rows=2000, or your own CSV for a larger table."
            }
            return "The built-in phone-price data needs a row count that is a multiple of 4 (one quarter per price class), from 8 to \(grouped(limit)); \(rowCount) is not. Try rows=2000."
        case let .unknownBuiltin(name, available):
            let listed = available.map { "builtin:\($0)" }.joined(separator: ", ")
            return "There is no built-in dataset named '\(name)'. Available: \(listed)."
        case let .unknownBuiltinParameter(source, parameter, allowed):
            let listed = allowed.joined(separator: ", ")
            return "\(source): the built-in dataset takes no parameter '\(parameter)'. Allowed parameters: \(listed), e.g. builtin:phone-price?rows=2000&seed=7."
        case let .invalidBuiltinParameter(source, parameter, value, expected):
            return "\(shown(source)): '\(shown(value))' is not a valid value for '\(shown(parameter))'; expected \(expected)."
        case let .repeatedBuiltinParameter(source, parameter):
            return "\(shown(source)): the parameter '\(shown(parameter))' is given twice. Give it once, e.g. builtin:phone-price?rows=2000&seed=7."
        }
    }
}

extension DatasetError {
    /// This error naming the data it is about: the split errors `Splits` throws know only row
    /// groups, and the file they are about is named where the rows were read.
    public func naming(source: String) -> DatasetError {
        switch self {
        case let .invalidFraction(nil, name, value):
            .invalidFraction(source: source, name: name, value: value)
        case let .fractionsTooLarge(nil, test, validation):
            .fractionsTooLarge(source: source, testFraction: test, validationFraction: validation)
        case let .emptySplitPart(nil, part, rowCount, fraction, largestGroup):
            .emptySplitPart(source: source, part: part, rowCount: rowCount, fraction: fraction, largestGroup: largestGroup)
        case let .invalidFoldCount(nil, k, limit, rowCount, stratified):
            .invalidFoldCount(source: source, k: k, limit: limit, rowCount: rowCount, stratified: stratified)
        default:
            self
        }
    }
}

/// A sentence of a message, after the data source it is about when known: "phone.csv: with 5
/// rows, …" (its first letter then lower case), else the sentence as it is.
private func located(_ sentence: String, in source: String?) -> String {
    guard let source else { return sentence }
    return "\(source): " + sentence.prefix(1).lowercased() + sentence.dropFirst()
}

/// Text from a file or a command line as a message shows it: control characters escaped (a NUL
/// or an escape sequence would garble the terminal), and so are invisible ones (a byte-order
/// mark, a zero-width space, a right-to-left override, a line separator), which would make a
/// cell or a name read as another; at most `limit` characters, so that a cell of a million
/// characters does not become a message of a million characters.
func shown(_ text: String, limit: Int = 60) -> String {
    var result = ""
    var count = 0
    for scalar in text.unicodeScalars {
        if count == limit {
            result += "…"
            break
        }
        if scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value) || isInvisible(scalar) {
            result += scalar.escaped(asASCII: true)
        } else {
            result.unicodeScalars.append(scalar)
        }
        count += 1
    }
    return result
}

/// Format characters (Unicode category Cf: U+FEFF, U+200B…U+200F, U+202A…U+202E, …) and the line
/// and paragraph separators: characters a terminal shows as nothing, or as a line break.
private func isInvisible(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.properties.generalCategory {
    case .format, .lineSeparator, .paragraphSeparator: return true
    default: return false
    }
}

/// Column names for a message: quoted, and of a list longer than thirty the first twenty with a
/// count of the rest, so that a file of thousands of columns does not make a message of
/// thousands of names.
public func shownList(_ names: [String]) -> String {
    guard names.count > 30 else { return names.map { "'\(shown($0))'" }.joined(separator: ", ") }
    return names.prefix(20).map { "'\(shown($0))'" }.joined(separator: ", ") + " and \(names.count - 20) more"
}

/// Plain decimal notation whose value a Float cannot hold: `1e39`, `-4e40`.
private func isOutOfFloatRange(_ text: String) -> Bool {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    guard !trimmed.isEmpty, trimmed.utf8.allSatisfy({ "0123456789+-.eE".utf8.contains($0) }),
        let value = Float(trimmed) else { return false }
    return value.isInfinite
}

/// The smallest fraction, to two significant digits, for which `⌊n · f + 0.5⌋ ≥ 1` with n the
/// largest group's size: the rounding `Splits` applies to each class.
func smallestFraction(givingOneRowOf largestGroup: Int) -> String {
    guard largestGroup > 0 else { return "1" }
    let exact = 0.5 / Double(largestGroup)
    let step = pow(10, (log10(exact)).rounded(.down) - 1)
    var fraction = (exact / step).rounded(.up) * step
    while (Double(largestGroup) * fraction + 0.5).rounded(.down) < 1 { fraction += step }
    return String(format: "%.2g", fraction)
}

/// A byte count as people read it: "1 GiB", "640 MiB", "12 KiB".
func byteSize(_ bytes: Int) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024, unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    if unit == 0 { return "\(bytes) bytes" }
    return value == value.rounded() ? "\(Int(value)) \(units[unit])" : String(format: "%.1f", value) + " " + units[unit]
}

/// 1000000 as "1,000,000".
func grouped(_ number: Int) -> String {
    let digits = String(number.magnitude)
    var result = ""
    for (index, digit) in digits.enumerated() {
        if index > 0, (digits.count - index) % 3 == 0 { result += "," }
        result.append(digit)
    }
    return (number < 0 ? "-" : "") + result
}

/// A target value as a person would write it: `3` rather than `3.0` for whole numbers.
func labelText(_ value: Float) -> String {
    // Class labels run to 2^24; "1e+07" would name the class 10000000 otherwise.
    if value.isFinite, value == value.rounded(), abs(value) < 1e15 {
        return String(Int(value))
    }
    return "\(value)"
}
