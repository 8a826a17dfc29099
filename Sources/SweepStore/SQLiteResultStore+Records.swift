import Datasets
import Foundation
import GRDB
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
        let history = try reading { db in
            try Data.fetchOne(
                db,
                sql: """
                    SELECT trial_epochs.history FROM trial_epochs
                    JOIN trials ON trials.id = trial_epochs.trial_id JOIN sweeps ON sweeps.id = trials.sweep_id
                    WHERE sweeps.name = ? AND trials.number = ?
                    """,
                arguments: [sweep, trial])
        }
        return try history.map(EpochHistory.epochs) ?? []
    }

    public func epochCounts(sweep: String) throws -> [Int: [Int: Int]] {
        let histories = try reading { db -> [(Int, Data)] in
            guard let sweepID = try Self.sweepID(db, sweep) else { return [] }
            return try Row.fetchAll(
                db,
                sql: "SELECT trials.number, trial_epochs.history FROM trial_epochs JOIN trials ON trials.id = trial_epochs.trial_id WHERE trials.sweep_id = ?",
                arguments: [sweepID]
            ).map { row in (row[0], row[1]) }
        }
        var counts: [Int: [Int: Int]] = [:]
        for (number, history) in histories {
            for epoch in try EpochHistory.epochs(from: history) {
                counts[number, default: [:]][epoch.fold] = max(counts[number]?[epoch.fold] ?? 0, epoch.epoch)
            }
        }
        return counts
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

    static func replaceMetrics(_ db: Database, trialID: Int64, metrics: [String: Double]) throws {
        try db.cachedStatement(sql: "DELETE FROM trial_metrics WHERE trial_id = ?").execute(arguments: [trialID])
        try insertRows(db, into: "trial_metrics (trial_id, name, value, kind)", metrics.map { name, number in
            let stored = StoredNumber(number)
            return [trialID, name, stored.value, stored.kind?.rawValue]
        })
    }

    static func replaceFoldMetrics(_ db: Database, trialID: Int64, foldMetrics: [[String: Double]]) throws {
        try db.cachedStatement(sql: "DELETE FROM fold_metrics WHERE trial_id = ?").execute(arguments: [trialID])
        try insertRows(db, into: "fold_metrics (trial_id, fold, name, value, kind)", foldMetrics.enumerated().flatMap { index, metrics in
            metrics.map { name, number in
                let stored = StoredNumber(number)
                return [trialID, index + 1, name, stored.value, stored.kind?.rawValue]
            }
        })
    }

    /// Inserts the rows with one statement (cached by its text, so one for each row count):
    /// SQLite's work per statement then comes once, not once a row.
    private static func insertRows(_ db: Database, into table: String, _ rows: [[(any DatabaseValueConvertible)?]]) throws {
        guard let width = rows.first?.count else { return }
        let row = "(" + Array(repeating: "?", count: width).joined(separator: ", ") + ")"
        try db.cachedStatement(sql: "INSERT INTO \(table) VALUES " + Array(repeating: row, count: rows.count).joined(separator: ", "))
            .execute(arguments: StatementArguments(rows.flatMap { $0 }))
    }

    /// Replaces the trial's epochs by one `trial_epochs` row (none without epochs), in fold order.
    ///
    /// - Throws: `ResultStoreError.duplicateEpoch` when a fold has an epoch number twice.
    static func replaceEpochs(_ db: Database, sweep: String, trial: Int, trialID: Int64, epochs: [EpochRecord]) throws {
        try db.cachedStatement(sql: "DELETE FROM trial_epochs WHERE trial_id = ?").execute(arguments: [trialID])
        guard !epochs.isEmpty else { return }
        let ordered = epochs.inFoldOrder
        // In fold order a repeated epoch is next to itself; which one it is, as every store reports it.
        if zip(ordered, ordered.dropFirst()).contains(where: { $0.fold == $1.fold && $0.epoch == $1.epoch }),
            let twice = epochs.firstDuplicate {
            throw ResultStoreError.duplicateEpoch(sweep: sweep, trial: trial, fold: twice.fold, epoch: twice.epoch)
        }
        try db.cachedStatement(sql: "INSERT INTO trial_epochs (trial_id, history) VALUES (?, ?)")
            .execute(arguments: [trialID, EpochHistory.blob(of: ordered)])
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
