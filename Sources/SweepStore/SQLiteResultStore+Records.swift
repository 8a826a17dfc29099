import Datasets
import Foundation
import GRDB
import GRDBSQLite
import NeuralNet
import SweepKit

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
            ("task", try StoredJSON.text(try row.decode(String.self, forColumn: "task"))),
            ("featureNames", try json("feature_names_json")),
            ("targetName", try StoredJSON.text(try row.decode(String.self, forColumn: "target_name"))),
            ("classLabels", try json("class_labels_json")), ("standardizer", try json("standardizer_json")),
            ("targetScale", try json("target_scale_json")),
        ]
        let document = "{" + members.map { #""\#($0.0)":\#($0.1)"# }.joined(separator: ",") + "}"
        var model: TrainedModel
        do {
            model = try StoredJSON.decoder.decode(TrainedModel.self, from: Data(document.utf8))
        } catch {
            throw SQLiteResultStoreError.corrupt("the model of sweep '\(sweep)' trial \(trial) is not readable: \(error)")
        }
        model.tensors = try TensorBlob.decode(try row.decode(forColumn: "tensors"))
        return model
    }

    // MARK: Writing rows

    /// The named arguments `number`, `parameters_json`, `configuration_json` and `seed`.
    static func planArguments(_ plan: TrialPlan, texts: StoredJSON.Known<JSONValue>) throws -> [String: (any DatabaseValueConvertible)?] {
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

    static func insertModel(_ db: Database, trialID: Int64, model: TrainedModel, texts: StoredJSON.ModelColumnTexts) throws {
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
                try model.targetScale.map { try StoredJSON.text($0) }, try TensorBlob.encode(model.tensors),
            ])
    }

    /// The first (fold, epoch) that occurs twice, for the error message.
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
}
