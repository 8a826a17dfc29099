import GRDB

/// What a stored `Double` is, kept in the `x_kind` column beside its `x` REAL column (see
/// `Schema`). SQLite would store NaN as NULL, so non-finite values are named, never stored.
enum NumberKind: String, CaseIterable, Sendable {
    case finite
    case nan
    case positiveInfinity = "+inf"
    case negativeInfinity = "-inf"

    init(_ number: Double) {
        if number.isNaN {
            self = .nan
        } else if number.isInfinite {
            self = number > 0 ? .positiveInfinity : .negativeInfinity
        } else {
            self = .finite
        }
    }
}

/// A possibly absent, possibly non-finite `Double` as its pair of columns.
struct StoredNumber {
    /// The number when it is finite, else nil (stored as NULL).
    let value: Double?
    /// nil when the number itself is absent.
    let kind: NumberKind?

    init(_ number: Double?) {
        guard let number else {
            value = nil
            kind = nil
            return
        }
        let kind = NumberKind(number)
        self.value = kind == .finite ? number : nil
        self.kind = kind
    }

    /// Reads the pair `column`, `column_kind` back; nil when both are NULL.
    ///
    /// - Throws: `SQLiteResultStoreError.corrupt` for an unknown kind or a finite kind
    ///   without a value (the table's CHECK constraints make both impossible).
    static func read(_ row: Row, column: String, kindColumn: String? = nil) throws -> Double? {
        let kindColumn = kindColumn ?? "\(column)_kind"
        guard let kindText: String = try row.decode(forColumn: kindColumn) else { return nil }
        switch NumberKind(rawValue: kindText) {
        case .finite:
            guard let value: Double = try row.decode(forColumn: column) else {
                throw SQLiteResultStoreError.corrupt("\(column) is 'finite' but NULL")
            }
            return value
        case .nan: return .nan
        case .positiveInfinity: return .infinity
        case .negativeInfinity: return -.infinity
        case nil:
            throw SQLiteResultStoreError.corrupt("\(kindColumn) holds unknown kind '\(kindText)'")
        }
    }

    /// Like `read`, for a column that is never absent.
    static func readRequired(_ row: Row, column: String, kindColumn: String? = nil) throws -> Double {
        guard let number = try read(row, column: column, kindColumn: kindColumn) else {
            throw SQLiteResultStoreError.corrupt("\(column) is missing")
        }
        return number
    }
}
