import Datasets
import Foundation
import GRDB
import GRDBSQLite
import NeuralNet
import SweepKit
import Synchronization

// Reading trials, epochs and models, and the conversions between records and rows.
extension SQLiteResultStore {
    public func trials(sweep: String) throws -> [TrialRecord] {
        try reading { db in
            guard let sweepID = try Self.sweepID(db, sweep) else { return [] }
            // The metrics and each fold's, keyed by trial id (and fold), one query each.
            func rows(of table: String) throws -> [Row] {
                try Row.fetchAll(
                    db, sql: "SELECT \(table).* FROM \(table) JOIN trials ON trials.id = \(table).trial_id WHERE trials.sweep_id = ?",
                    arguments: [sweepID])
            }
            var metrics: [Int64: [String: Double]] = [:]
            for row in try rows(of: "trial_metrics") {
                metrics[try row.decode(forColumn: "trial_id"), default: [:]][try row.decode(forColumn: "name")] =
                    try StoredNumber.readRequired(row, column: "value", kindColumn: "kind")
            }
            var foldMetrics: [Int64: [Int: [String: Double]]] = [:]
            for row in try rows(of: "fold_metrics") {
                let fold: Int = try row.decode(forColumn: "fold")
                foldMetrics[try row.decode(forColumn: "trial_id"), default: [:]][fold, default: [:]][try row.decode(forColumn: "name")] =
                    try StoredNumber.readRequired(row, column: "value", kindColumn: "kind")
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM trials WHERE sweep_id = ? ORDER BY number", arguments: [sweepID])
                .map { row in
                    let id: Int64 = try row.decode(forColumn: "id")
                    var record = try Self.trialRecord(row, metrics: metrics[id] ?? [:])
                    if let folds = foldMetrics[id] { record.foldMetrics = folds.keys.sorted().map { folds[$0]! } }
                    return record
                }
        }
    }

    /// One query over the status column: resuming a sweep needs no trial decoded.
    public func finalTrialNumbers(sweep: String) throws -> Set<Int> {
        try reading { db in
            guard let sweepID = try Self.sweepID(db, sweep) else { return [] }
            let final = TrialStatus.allCases.filter(\.isFinal).map(\.rawValue)
            let placeholders = Array(repeating: "?", count: final.count).joined(separator: ", ")
            return Set(try Int.fetchAll(
                db, sql: "SELECT number FROM trials WHERE sweep_id = ? AND status IN (\(placeholders))",
                arguments: StatementArguments([sweepID] + final)))
        }
    }

    public func epochs(sweep: String, trial: Int) throws -> [EpochRecord] {
        try reading { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT epochs.* FROM epochs
                    JOIN trials ON trials.id = epochs.trial_id JOIN sweeps ON sweeps.id = trials.sweep_id
                    WHERE sweeps.name = ? AND trials.number = ?
                    ORDER BY epochs.fold, epochs.epoch
                    """,
                arguments: [sweep, trial])
            return try rows.map { row in
                EpochRecord(
                    fold: try row.decode(forColumn: "fold"), epoch: try row.decode(forColumn: "epoch"),
                    trainLoss: try StoredNumber.readRequired(row, column: "train_loss"),
                    trainMetric: try StoredNumber.read(row, column: "train_metric"),
                    validationLoss: try StoredNumber.read(row, column: "validation_loss"),
                    validationMetric: try StoredNumber.read(row, column: "validation_metric"),
                    learningRate: try StoredNumber.readRequired(row, column: "learning_rate"),
                    seconds: try StoredNumber.readRequired(row, column: "seconds"))
            }
        }
    }

    public func epochCounts(sweep: String) throws -> [Int: [Int: Int]] {
        try reading { db in
            guard let sweepID = try Self.sweepID(db, sweep) else { return [:] }
            var counts: [Int: [Int: Int]] = [:]
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT trials.number AS number, epochs.fold AS fold, MAX(epochs.epoch) AS epochs
                    FROM epochs JOIN trials ON trials.id = epochs.trial_id
                    WHERE trials.sweep_id = ? GROUP BY epochs.trial_id, epochs.fold
                    """,
                arguments: [sweepID])
            for row in rows {
                counts[try row.decode(forColumn: "number"), default: [:]][try row.decode(forColumn: "fold")] = try row.decode(forColumn: "epochs")
            }
            return counts
        }
    }

    public func model(sweep: String, trial: Int) throws -> TrainedModel? {
        let row = try reading { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT models.* FROM models
                    JOIN trials ON trials.id = models.trial_id JOIN sweeps ON sweeps.id = trials.sweep_id
                    WHERE sweeps.name = ? AND trials.number = ?
                    """,
                arguments: [sweep, trial])
        }
        guard let row else { return nil }
        // TrainedModel has no public memberwise initialiser, so the columns (JSON already) are
        // assembled into its Codable form without the weights, which are then set directly.
        func json(_ column: String) throws -> String {
            let text: String? = try row.decode(forColumn: column)
            return text ?? "null"
        }
        let members = [
            ("network", try json("network_json")), ("tensors", "[]"),
            ("task", try Self.jsonText(try row.decode(String.self, forColumn: "task"))),
            ("featureNames", try json("feature_names_json")),
            ("targetName", try Self.jsonText(try row.decode(String.self, forColumn: "target_name"))),
            ("classLabels", try json("class_labels_json")), ("standardizer", try json("standardizer_json")),
            ("targetScale", try json("target_scale_json")),
        ]
        let document = "{" + members.map { #""\#($0.0)":\#($0.1)"# }.joined(separator: ",") + "}"
        var model: TrainedModel
        do {
            model = try Self.jsonDecoder.decode(TrainedModel.self, from: Data(document.utf8))
        } catch {
            throw SQLiteResultStoreError.corrupt("the model of sweep '\(sweep)' trial \(trial) is not readable: \(error)")
        }
        model.tensors = try TensorBlob.decode(try row.decode(forColumn: "tensors"))
        return model
    }

    // MARK: Writing rows

    /// The named arguments `number`, `parameters_json`, `configuration_json` and `seed`.
    static func planArguments(_ plan: TrialPlan, texts: KnownJSON<JSONValue>) throws -> [String: (any DatabaseValueConvertible)?] {
        [
            "number": plan.number, "parameters_json": try texts.text(plan.parameters),
            "configuration_json": plan.configurationJSON, "seed": String(plan.seed),
        ]
    }

    static func replaceMetrics(_ db: Database, trialID: Int64, metrics: [String: Double]) throws {
        try db.cachedStatement(sql: "DELETE FROM trial_metrics WHERE trial_id = ?").execute(arguments: [trialID])
        // One prepared statement for every row (GRDB caches it per connection).
        let insert = try db.cachedStatement(sql: "INSERT INTO trial_metrics (trial_id, name, value, kind) VALUES (?, ?, ?, ?)")
        for (name, number) in metrics {
            let stored = StoredNumber(number)
            try insert.execute(arguments: [trialID, name, stored.value, stored.kind?.rawValue])
        }
    }

    static func replaceFoldMetrics(_ db: Database, trialID: Int64, foldMetrics: [[String: Double]]) throws {
        try db.cachedStatement(sql: "DELETE FROM fold_metrics WHERE trial_id = ?").execute(arguments: [trialID])
        let insert = try db.cachedStatement(sql: "INSERT INTO fold_metrics (trial_id, fold, name, value, kind) VALUES (?, ?, ?, ?, ?)")
        for (index, metrics) in foldMetrics.enumerated() {
            for (name, number) in metrics {
                let stored = StoredNumber(number)
                try insert.execute(arguments: [trialID, index + 1, name, stored.value, stored.kind?.rawValue])
            }
        }
    }

    static func replaceEpochs(_ db: Database, trialID: Int64, epochs: [EpochRecord]) throws {
        try db.cachedStatement(sql: "DELETE FROM epochs WHERE trial_id = ?").execute(arguments: [trialID])
        // Several rows per INSERT: SQLite's per-statement work (step, reset, opening the table)
        // then comes once per chunk, which made a trial's 200 epoch rows about a quarter cheaper.
        var remaining = epochs[...]
        for chunk in epochInsertChunks {
            while remaining.count >= chunk {
                try insertEpochs(db, trialID: trialID, remaining.prefix(chunk))
                remaining = remaining.dropFirst(chunk)
            }
        }
    }

    /// Rows per INSERT, largest first; the last must be 1.
    private static let epochInsertChunks = [32, 8, 1]

    /// The INSERT of each chunk size, written once (the statements are cached by their text).
    private static let epochInsertSQL: [Int: String] = Dictionary(uniqueKeysWithValues: epochInsertChunks.map { rows in
        let row = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        return (rows, """
            INSERT INTO epochs (trial_id, fold, epoch, train_loss, train_loss_kind, train_metric,
                train_metric_kind, validation_loss, validation_loss_kind, validation_metric,
                validation_metric_kind, learning_rate, learning_rate_kind, seconds, seconds_kind)
            VALUES \(Array(repeating: row, count: rows).joined(separator: ", "))
            """)
    })

    private static func insertEpochs(_ db: Database, trialID: Int64, _ epochs: ArraySlice<EpochRecord>) throws {
        let insert = try db.cachedStatement(sql: epochInsertSQL[epochs.count]!)
        // Every epoch of every trial passes here, so the values are bound through SQLite's C API:
        // building `StatementArguments` boxed each one and cost more than SQLite's own insert.
        let handle = insert.sqliteStatement
        sqlite3_reset(handle)
        defer {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
        }
        var index: Int32 = 1
        func bind(_ integer: Int64) {
            sqlite3_bind_int64(handle, index, integer)
            index += 1
        }
        func bind(_ number: Double?) {
            let stored = StoredNumber(number)
            if let value = stored.value { sqlite3_bind_double(handle, index, value) } else { sqlite3_bind_null(handle, index) }
            if let kind = stored.kind {
                // Static text lives as long as the program: SQLite may keep the pointer (SQLITE_STATIC).
                let text = UnsafeRawPointer(kind.staticText.utf8Start).assumingMemoryBound(to: CChar.self)
                sqlite3_bind_text(handle, index + 1, text, Int32(kind.staticText.utf8CodeUnitCount), nil)
            } else {
                sqlite3_bind_null(handle, index + 1)
            }
            index += 2
        }
        for epoch in epochs {
            bind(trialID)
            bind(Int64(epoch.fold))
            bind(Int64(epoch.epoch))
            bind(epoch.trainLoss)
            bind(epoch.trainMetric)
            bind(epoch.validationLoss)
            bind(epoch.validationMetric)
            bind(epoch.learningRate)
            bind(epoch.seconds)
        }
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE else {
            throw DatabaseError(
                resultCode: ResultCode(rawValue: sqlite3_extended_errcode(db.sqliteConnection)),
                message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: insert.sql)
        }
    }

    static func insertModel(_ db: Database, trialID: Int64, model: TrainedModel, texts: ModelColumnTexts) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO models (trial_id, network_json, task, feature_names_json, target_name,
                    class_labels_json, standardizer_json, target_scale_json, tensors)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(
            arguments: [
                trialID, try texts.network.text(model.network), model.task.rawValue,
                try texts.featureNames.text(model.featureNames), model.targetName,
                try texts.classLabels.text(model.classLabels), try model.standardizer.map { try texts.standardizer.text($0) },
                try model.targetScale.map { try jsonText($0) }, try TensorBlob.encode(model.tensors),
            ])
    }

    /// The first (fold, epoch) that occurs twice, for the error message.
    static func firstDuplicate(in epochs: [EpochRecord]) -> (fold: Int, epoch: Int)? {
        var seen = Set<[Int]>()
        return epochs.first { !seen.insert([$0.fold, $0.epoch]).inserted }.map { ($0.fold, $0.epoch) }
    }

    // MARK: Reading rows

    static func sweepRecord(_ row: Row) throws -> SweepRecord {
        SweepRecord(
            name: try row.decode(forColumn: "name"), specJSON: try row.decode(forColumn: "spec_json"),
            created: Date(timeIntervalSince1970: try row.decode(forColumn: "created")),
            status: try decodeStatus(SweepStatus.self, row, column: "status"),
            dataFingerprint: try row.decode(forColumn: "data_fingerprint"))
    }

    static func trialRecord(_ row: Row, metrics: [String: Double]) throws -> TrialRecord {
        let seedText: String = try row.decode(forColumn: "seed")
        guard let seed = UInt64(seedText) else { throw SQLiteResultStoreError.corrupt("seed '\(seedText)' is not a UInt64") }
        let parametersText: String = try row.decode(forColumn: "parameters_json")
        let parameters: JSONValue
        do {
            parameters = try JSONValue.parse(Data(parametersText.utf8), source: "trials.parameters_json")
        } catch {
            throw SQLiteResultStoreError.corrupt(error.description)
        }
        func date(_ column: String) throws -> Date? {
            try row.decode(Double?.self, forColumn: column).map(Date.init(timeIntervalSince1970:))
        }
        let plan = TrialPlan(
            number: try row.decode(forColumn: "number"), parameters: parameters,
            configurationJSON: try row.decode(forColumn: "configuration_json"), seed: seed)
        return TrialRecord(
            plan: plan, status: try decodeStatus(TrialStatus.self, row, column: "status"),
            startedAt: try date("started_at"), endedAt: try date("ended_at"),
            trainSeconds: try StoredNumber.read(row, column: "train_seconds"),
            epochsRun: try row.decode(forColumn: "epochs_run"), bestEpoch: try row.decode(forColumn: "best_epoch"),
            divergedEpoch: try row.decode(forColumn: "diverged_epoch"), metrics: metrics,
            errorMessage: try row.decode(forColumn: "error_message"))
    }

    static func decodeStatus<Status: RawRepresentable<String>>(_ type: Status.Type, _ row: Row, column: String) throws -> Status {
        let text: String = try row.decode(forColumn: column)
        guard let status = Status(rawValue: text) else {
            throw SQLiteResultStoreError.corrupt("\(column) '\(text)' is not a \(Status.self)")
        }
        return status
    }

    // MARK: JSON

    /// The JSON of each model column, kept for every value written: the trials of a sweep share
    /// their data's feature names, class labels and standardiser, and alternate between a few
    /// network shapes (with and without batch norm or dropout), and encoding them again for every
    /// trial cost about a tenth of storing it.
    final class ModelColumnTexts: Sendable {
        let network = KnownJSON<NetworkDescription>(allowingNonFinite: true)
        let featureNames = KnownJSON<[String]>(allowingNonFinite: true)
        let classLabels = KnownJSON<[String]>(allowingNonFinite: true)
        let standardizer = KnownJSON<Standardizer>(allowingNonFinite: true)
    }

    /// `jsonText` of values seen before, kept (up to `capacity` of them): a trial's parameters
    /// are encoded when the sweep is planned and found here when the trial finishes, where
    /// JSONEncoder took about a quarter of storing it. A value not equal to itself (holding NaN)
    /// could never be found again, so it is not kept.
    final class KnownJSON<Value: Encodable & Hashable & Sendable>: Sendable {
        private let texts = Mutex<[Value: String]>([:])
        private let capacity = 100_000
        private let allowingNonFinite: Bool

        init(allowingNonFinite: Bool) { self.allowingNonFinite = allowingNonFinite }

        func text(_ value: Value) throws -> String {
            if let known = texts.withLock({ $0[value] }) { return known }
            let text = try jsonText(value, allowingNonFinite: allowingNonFinite)
            guard value == value else { return text }
            texts.withLock {
                if $0.count >= capacity { $0.removeAll() }
                $0[value] = text
            }
            return text
        }
    }

    /// Compact JSON with sorted keys, like `JSONValue.canonicalText`, but throwing rather than
    /// writing "null" for a value JSON cannot hold. In model columns non-finite floats (a
    /// standardiser fitted on broken data) are written as the strings "nan", "+inf" and "-inf"
    /// and read back as numbers; in `JSONValue`s they would read back as strings, so they throw.
    static func jsonText(_ value: some Encodable, allowingNonFinite: Bool = true) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        if allowingNonFinite {
            encoder.nonConformingFloatEncodingStrategy = .convertToString(
                positiveInfinity: "+inf", negativeInfinity: "-inf", nan: "nan")
        }
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static var jsonDecoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "+inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }
}
