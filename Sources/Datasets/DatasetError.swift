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
    /// The bytes are not UTF-8 text (a spreadsheet saved in its native format, for example).
    case notUTF8Text(path: String)
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
    /// The requested target column is not in the header.
    case unknownTargetColumn(path: String, requested: String, available: [String])
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
    /// Classification was asked for, but a target value is not a whole number.
    case nonIntegerTarget(source: String, target: String, line: Int, value: Float)
    /// Classification was asked for, but the target has more distinct values than classes allowed.
    case tooManyClasses(source: String, target: String, distinctCount: Int, limit: Int)
    /// Binary classification was asked for, but the target does not have exactly two values.
    case binaryNeedsTwoClasses(source: String, target: String, classCount: Int)
    /// A row's target value is not one of the classes a model was trained on.
    case unseenClassLabel(source: String, target: String, line: Int, value: Float, knownLabels: [Float])

    // MARK: Splitting

    /// A split fraction is negative, not below 1, or not a number.
    case invalidFraction(name: String, value: Double)
    /// The test and validation fractions together leave nothing for training.
    case fractionsTooLarge(testFraction: Double, validationFraction: Double)
    /// After rounding, a part of the split that was asked for holds no row.
    case emptySplitPart(part: String, rowCount: Int, fraction: Double)
    /// The fold count is outside what the data allows.
    case invalidFoldCount(k: Int, limit: Int, rowCount: Int, stratified: Bool)

    // MARK: Standardising

    /// A standardiser fitted on one width of rows met rows of another width; `found` is the
    /// dataset's feature count, or the value count of a raw buffer that is not whole rows.
    case featureCountMismatch(expected: Int, found: Int, source: String)

    /// Saved standardisation statistics that cannot be used (mismatched counts, a NaN, σ ≤ 0).
    case damagedStandardizer(reason: String)

    // MARK: Built-in data

    /// The generator needs a positive multiple of 4 rows (balanced classes), at least 8.
    case invalidGeneratedRowCount(rowCount: Int)
    /// `builtin:<name>` names no built-in dataset.
    case unknownBuiltin(name: String, available: [String])
    /// A `builtin:` query has a parameter the dataset does not take.
    case unknownBuiltinParameter(source: String, parameter: String, allowed: [String])
    /// A `builtin:` query parameter has a value that is not usable.
    case invalidBuiltinParameter(source: String, parameter: String, value: String, expected: String)

    public var description: String {
        switch self {
        case let .fileNotFound(path):
            return "\(path): no such file. Check the path (relative paths start from the current directory), or use builtin:phone-price for the built-in data."
        case let .unreadableFile(path, reason):
            return "\(path): the file could not be read (\(reason)). Check that it is a regular file you are allowed to read."
        case let .notUTF8Text(path):
            return "\(path): the file is not UTF-8 text. Export it from your spreadsheet as CSV (comma-separated, UTF-8)."
        case let .emptyFile(path):
            return "\(path): the file is empty. A CSV file needs a header line naming the columns, then one line per row."
        case let .noDataRows(path):
            return "\(path): the file has a header line but no data rows. Add at least one row of numbers under the header."
        case let .emptyColumnName(path, line, position):
            return "\(path), line \(line): column \(position) of the header has no name. Give it a name or delete the column: a comma at the end of the header line adds an unnamed last column, and a row index written by pandas has no name (re-export with index=False)."
        case let .duplicateColumnName(path, line, name, first, second):
            return "\(path), line \(line): the column name '\(name)' appears twice (columns \(first) and \(second)). Rename one of them so that every column name is unique."
        case let .noFeatureColumns(path, columns):
            let listed = columns.map { "'\($0)'" }.joined(separator: ", ")
            return "\(path), line 1: the header has only the column \(listed), so no feature is left besides the target. If the file separates cells with ';' or tabs, convert it to commas."
        case let .unknownTargetColumn(path, requested, available):
            let listed = available.map { "'\($0)'" }.joined(separator: ", ")
            var hint = ""
            if let close = available.first(where: { $0.lowercased() == requested.lowercased() }) {
                hint = " Did you mean '\(close)'? Names are case-sensitive."
            }
            return "\(path): there is no column named '\(requested)' to use as the target.\(hint) Available columns: \(listed)."
        case let .raggedRow(path, line, expected, found):
            return "\(path), line \(line): expected \(expected) cells, as in the header, but found \(found). Check for a missing or extra comma; a cell that contains a comma must be quoted."
        case let .emptyCell(path, line, column):
            return "\(path), line \(line), column '\(column)': the cell is empty. Missing values are not supported: fill in a value or delete the row."
        case let .nonNumericCell(path, line, column, value):
            return "\(path), line \(line), column '\(column)': '\(value)' is not a number. Every cell must be a finite number such as 12, -0.5 or 1e-3 (no units, no thousands separators, no NA): fix the cell, delete the row, or encode text categories as numbers."
        case let .unterminatedQuote(path, line, column):
            return "\(path), line \(line), column '\(column)': a quoted cell starts with \" but never ends. Add the closing quote (write a quote inside a quoted cell as \"\")."
        case let .textAfterClosingQuote(path, line, column):
            return "\(path), line \(line), column '\(column)': text follows the closing quote of a quoted cell. Put the whole cell inside the quotes, or remove them."
        case let .singleClass(source, target, value):
            return "\(source): classification needs at least two classes, but every row of '\(target)' is \(labelText(value)). Use data with more than one class, or set the task to regression."
        case let .nonIntegerTarget(source, target, line, value):
            return "\(source), line \(line), column '\(target)': classification needs whole-number class labels, but this row has \(labelText(value)). The target looks continuous: set the task to regression, or round the labels to classes."
        case let .tooManyClasses(source, target, distinctCount, limit):
            return "\(source), column '\(target)': classification allows at most \(limit) classes, but the target has \(distinctCount) distinct values, which looks like a regression target. Set the task to regression, or group the values into fewer classes."
        case let .binaryNeedsTwoClasses(source, target, classCount):
            return "\(source), column '\(target)': binary classification needs exactly 2 classes, but the target has \(classCount). Set the task to multiclass, or choose another target."
        case let .unseenClassLabel(source, target, line, value, knownLabels):
            let known = knownLabels.map(labelText).joined(separator: ", ")
            return "\(source), line \(line), column '\(target)': the class \(labelText(value)) was not among the classes the model was trained on (\(known)). Remove the row or retrain on data that contains this class."
        case let .invalidFraction(name, value):
            return "The \(name) fraction \(value) is outside [0, 1). Use a value such as 0.2 (20% of the rows)."
        case let .fractionsTooLarge(test, validation):
            return "The test fraction \(test) and validation fraction \(validation) add up to \(test + validation), leaving no rows for training. Make them sum to less than 1, e.g. 0.2 and 0.1."
        case let .emptySplitPart(part, rowCount, fraction):
            if part == "training" {
                return "With \(rowCount) row\(rowCount == 1 ? "" : "s"), the split leaves the training part empty. Lower the test and validation fractions or use more rows."
            }
            return "With \(rowCount) row\(rowCount == 1 ? "" : "s"), a \(part) fraction of \(fraction) rounds to no row in the \(part) part. Raise the fraction, set it to 0, or use more rows."
        case let .invalidFoldCount(k, limit, rowCount, stratified):
            let reason = stratified
                ? "the largest class has \(limit) rows and stratified folds deal each class round-robin, so a fold would be empty"
                : "there are \(rowCount) rows"
            return "Cross-validation with k = \(k) folds is not possible: k must be at least 2 and at most \(limit) because \(reason). Choose k between 2 and \(limit)."
        case let .featureCountMismatch(expected, found, source):
            return "\(source): the standardiser was fitted on rows of \(expected) features but was given \(found), which is not whole rows of that width. Use data with the same feature columns as the training data."
        case let .damagedStandardizer(reason):
            return "The saved standardisation statistics are damaged: \(reason). Export the model again from its sweep."
        case let .invalidGeneratedRowCount(rowCount):
            return "The built-in phone-price data needs a row count that is a multiple of 4 (one quarter per price class) and at least 8; \(rowCount) is not. Try rows=2000."
        case let .unknownBuiltin(name, available):
            let listed = available.map { "builtin:\($0)" }.joined(separator: ", ")
            return "There is no built-in dataset named '\(name)'. Available: \(listed)."
        case let .unknownBuiltinParameter(source, parameter, allowed):
            let listed = allowed.joined(separator: ", ")
            return "\(source): the built-in dataset takes no parameter '\(parameter)'. Allowed parameters: \(listed), e.g. builtin:phone-price?rows=2000&seed=7."
        case let .invalidBuiltinParameter(source, parameter, value, expected):
            return "\(source): '\(value)' is not a valid value for '\(parameter)'; expected \(expected)."
        }
    }
}

/// A target value as a person would write it: `3` rather than `3.0` for whole numbers.
func labelText(_ value: Float) -> String {
    if value.isFinite, value == value.rounded(), abs(value) < 1e7 {
        return String(Int(value))
    }
    return "\(value)"
}
