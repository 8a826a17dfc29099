import Datasets
import Foundation
import NeuralNet
import PostgresNIO
import SweepKit

// Reading trials, epochs and models, and the conversions between records and rows.
extension PostgresResultStore {
    /// The columns of `trials` that `trialRecord` reads, in its order.
    static let trialColumns = """
        id, number, parameters_json, configuration_json, seed, status, started_at, ended_at, train_seconds,
        train_seconds_kind, epochs_run, best_epoch, diverged_epoch, error_message, revision
        """

    public func trials(sweep: String) throws -> [TrialRecord] {
        try connections.retrying { link in
            guard let sweepID = try Self.sweepID(link, sweep) else { return [] }
            return try Self.trials(link, where: "sweep_id = $1 ORDER BY number", bindings: Self.bindings(sweepID)).map(\.record)
        }
    }

    /// The trials `condition` selects (with `$1`… bound to `bindings`), their metrics and
    /// each fold's, with their row ids and revisions.
    static func trials(_ link: PostgresLink, where condition: String, bindings: PostgresBindings) throws
        -> [(id: Int, revision: Int64, record: TrialRecord)]
    {
        let rows = try link.rows(PostgresQuery(unsafeSQL: "SELECT \(trialColumns) FROM trials WHERE \(condition)", binds: bindings))
        guard !rows.isEmpty else { return [] }
        var trials = try rows.map { row in
            let columns = row.makeRandomAccess()
            return (id: try columns["id"].decode(Int.self), revision: try columns["revision"].decode(Int64.self),
                    record: try trialRecord(columns))
        }
        let ids = trials.map(\.id)
        var metrics: [Int: [String: Double]] = [:]
        for row in try link.rows("SELECT trial_id, name, value, kind FROM trial_metrics WHERE trial_id = ANY(\(ids))") {
            let (id, name, value, kind) = try row.decode((Int, String, Double?, String).self)
            metrics[id, default: [:]][name] = try number(value, kind: kind, column: "trial_metrics.value")
        }
        var foldMetrics: [Int: [Int: [String: Double]]] = [:]
        for row in try link.rows("SELECT trial_id, fold, name, value, kind FROM fold_metrics WHERE trial_id = ANY(\(ids))") {
            let (id, fold, name, value, kind) = try row.decode((Int, Int, String, Double?, String).self)
            foldMetrics[id, default: [:]][fold, default: [:]][name] = try number(value, kind: kind, column: "fold_metrics.value")
        }
        for index in trials.indices {
            let id = trials[index].id
            trials[index].record.metrics = metrics[id] ?? [:]
            if let folds = foldMetrics[id] { trials[index].record.foldMetrics = folds.keys.sorted().map { folds[$0]! } }
        }
        return trials
    }

    public func finalTrialNumbers(sweep: String) throws -> Set<Int> {
        let final = TrialStatus.allCases.filter(\.isFinal).map(\.rawValue)
        return try connections.retrying { link in
            Set(try link.rows("""
                SELECT trials.number FROM trials JOIN sweeps ON sweeps.id = trials.sweep_id
                WHERE sweeps.name = \(sweep) AND trials.status = ANY(\(final))
                """).map { try $0.decode(Int.self) })
        }
    }

    public func epochs(sweep: String, trial: Int) throws -> [EpochRecord] {
        try connections.retrying { link in
            try Self.epochs(link, where: """
                trial_id = (SELECT trials.id FROM trials JOIN sweeps ON sweeps.id = trials.sweep_id
                            WHERE sweeps.name = $1 AND trials.number = $2)
                """, bindings: {
                    var bindings = PostgresBindings()
                    bindings.append(sweep)
                    bindings.append(trial)
                    return bindings
                }()).map(\.epoch)
        }
    }

    /// The epochs `condition` selects, each with its trial's row id, in trial, fold and epoch order.
    static func epochs(_ link: PostgresLink, where condition: String, bindings: PostgresBindings) throws -> [(trialID: Int, epoch: EpochRecord)] {
        let rows = try link.rows(PostgresQuery(
            unsafeSQL: """
                SELECT trial_id, fold, epoch, train_loss, train_loss_kind, train_metric, train_metric_kind, validation_loss,
                    validation_loss_kind, validation_metric, validation_metric_kind, learning_rate, learning_rate_kind,
                    seconds, seconds_kind
                FROM epochs WHERE \(condition) ORDER BY trial_id, fold, epoch
                """,
            binds: bindings))
        return try rows.map { row in
            let (trialID, fold, epoch, trainLoss, trainLossKind, trainMetric, trainMetricKind, validationLoss,
                 validationLossKind, validationMetric, validationMetricKind, learningRate, learningRateKind, seconds,
                 secondsKind) = try row.decode(
                    (Int, Int, Int, Double?, String, Double?, String?, Double?, String?, Double?, String?, Double?, String,
                     Double?, String).self)
            return (trialID, EpochRecord(
                fold: fold, epoch: epoch,
                trainLoss: try number(trainLoss, kind: trainLossKind, column: "train_loss"),
                trainMetric: try optionalNumber(trainMetric, kind: trainMetricKind, column: "train_metric"),
                validationLoss: try optionalNumber(validationLoss, kind: validationLossKind, column: "validation_loss"),
                validationMetric: try optionalNumber(validationMetric, kind: validationMetricKind, column: "validation_metric"),
                learningRate: try number(learningRate, kind: learningRateKind, column: "learning_rate"),
                seconds: try number(seconds, kind: secondsKind, column: "seconds")))
        }
    }

    public func epochCounts(sweep: String) throws -> [Int: [Int: Int]] {
        try connections.retrying { link in
            var counts: [Int: [Int: Int]] = [:]
            for row in try link.rows("""
                SELECT trials.number, epochs.fold, MAX(epochs.epoch)
                FROM epochs JOIN trials ON trials.id = epochs.trial_id JOIN sweeps ON sweeps.id = trials.sweep_id
                WHERE sweeps.name = \(sweep) GROUP BY trials.number, epochs.fold
                """) {
                let (number, fold, epochs) = try row.decode((Int, Int, Int).self)
                counts[number, default: [:]][fold] = epochs
            }
            return counts
        }
    }

    public func model(sweep: String, trial: Int) throws -> TrainedModel? {
        let row = try connections.retrying { link in
            try link.rows("""
                SELECT models.network_json, models.task, models.feature_names_json, models.target_name,
                    models.class_labels_json, models.standardizer_json, models.target_scale_json, models.tensors
                FROM models JOIN trials ON trials.id = models.trial_id JOIN sweeps ON sweeps.id = trials.sweep_id
                WHERE sweeps.name = \(sweep) AND trials.number = \(trial)
                """).first
        }
        guard let row else { return nil }
        let (network, task, featureNames, targetName, classLabels, standardizer, targetScale, tensors) = try row.decode(
            (String, String, String, String, String, String?, String?, Data).self)
        // As in the SQLite store: the JSON columns assembled into TrainedModel's Codable form
        // without the weights, which are then set directly.
        let members = [
            ("network", network), ("tensors", "[]"), ("task", try StoredJSON.text(task)),
            ("featureNames", featureNames), ("targetName", try StoredJSON.text(targetName)),
            ("classLabels", classLabels), ("standardizer", standardizer ?? "null"), ("targetScale", targetScale ?? "null"),
        ]
        let document = "{" + members.map { #""\#($0.0)":\#($0.1)"# }.joined(separator: ",") + "}"
        var model: TrainedModel
        do {
            model = try StoredJSON.decoder.decode(TrainedModel.self, from: Data(document.utf8))
        } catch {
            throw PostgresResultStoreError.corrupt("the model of sweep '\(sweep)' trial \(trial) is not readable: \(error)")
        }
        model.tensors = try TensorBlob.decode(tensors)
        return model
    }

    // MARK: Writing rows

    static func replaceMetrics(_ link: PostgresLink, trialID: Int, metrics: [String: Double], foldMetrics: [[String: Double]]) throws {
        try link.execute("DELETE FROM trial_metrics WHERE trial_id = \(trialID)")
        try link.execute("DELETE FROM fold_metrics WHERE trial_id = \(trialID)")
        if !metrics.isEmpty {
            let names = Array(metrics.keys)
            let column = ArrayColumn(names.map { metrics[$0]! })
            try link.execute("""
                INSERT INTO trial_metrics (trial_id, name, value, kind)
                SELECT \(trialID), name, \(unescaped: ArrayColumn.value("value", "kind")), kind
                FROM unnest(\(names)::text[], \(column.values)::float8[], \(column.kinds)::text[]) AS rows (name, value, kind)
                """)
        }
        var folds: [Int] = [], names: [String] = [], values: [Double] = []
        for (index, metrics) in foldMetrics.enumerated() {
            for (name, value) in metrics {
                folds.append(index + 1)
                names.append(name)
                values.append(value)
            }
        }
        if !folds.isEmpty {
            let column = ArrayColumn(values)
            try link.execute("""
                INSERT INTO fold_metrics (trial_id, fold, name, value, kind)
                SELECT \(trialID), fold, name, \(unescaped: ArrayColumn.value("value", "kind")), kind
                FROM unnest(\(folds)::int8[], \(names)::text[], \(column.values)::float8[], \(column.kinds)::text[])
                    AS rows (fold, name, value, kind)
                """)
        }
    }

    /// A column of possibly absent, possibly non-finite numbers as two arrays to unnest:
    /// PostgresNIO binds arrays without NULL elements, so an absent kind is '' and a value that
    /// is not finite a 0 that `value(_:_:)` turns back into NULL.
    struct ArrayColumn {
        let values: [Double]
        let kinds: [String]

        init(_ numbers: [Double?]) {
            let stored = numbers.map(StoredNumber.init)
            values = stored.map { $0.value ?? 0 }
            kinds = stored.map { $0.kind?.rawValue ?? "" }
        }

        /// The SQL reading the value back from the unnested `value` and `kind` columns.
        static func value(_ value: String, _ kind: String) -> String {
            "CASE WHEN \(kind) = 'finite' THEN \(value) END"
        }
    }

    /// One statement for all of a trial's epochs: each column as an array, unnested.
    static func replaceEpochs(_ link: PostgresLink, trialID: Int, epochs: [EpochRecord]) throws {
        try link.execute("DELETE FROM epochs WHERE trial_id = \(trialID)")
        guard !epochs.isEmpty else { return }
        let trainLoss = ArrayColumn(epochs.map(\.trainLoss)), trainMetric = ArrayColumn(epochs.map(\.trainMetric))
        let validationLoss = ArrayColumn(epochs.map(\.validationLoss)), validationMetric = ArrayColumn(epochs.map(\.validationMetric))
        let learningRate = ArrayColumn(epochs.map(\.learningRate)), seconds = ArrayColumn(epochs.map(\.seconds))
        let pairs = ["tl", "tm", "vl", "vm", "lr", "s"].map { "\(ArrayColumn.value($0, $0 + "k")), NULLIF(\($0)k, '')" }
        try link.execute("""
            INSERT INTO epochs (trial_id, fold, epoch, train_loss, train_loss_kind, train_metric, train_metric_kind,
                validation_loss, validation_loss_kind, validation_metric, validation_metric_kind, learning_rate,
                learning_rate_kind, seconds, seconds_kind)
            SELECT \(trialID), fold, epoch, \(unescaped: pairs.joined(separator: ", "))
            FROM unnest(\(epochs.map(\.fold))::int8[], \(epochs.map(\.epoch))::int8[],
                \(trainLoss.values)::float8[], \(trainLoss.kinds)::text[], \(trainMetric.values)::float8[], \(trainMetric.kinds)::text[],
                \(validationLoss.values)::float8[], \(validationLoss.kinds)::text[],
                \(validationMetric.values)::float8[], \(validationMetric.kinds)::text[],
                \(learningRate.values)::float8[], \(learningRate.kinds)::text[], \(seconds.values)::float8[], \(seconds.kinds)::text[])
                AS rows (fold, epoch, tl, tlk, tm, tmk, vl, vlk, vm, vmk, lr, lrk, s, sk)
            """)
    }

    /// A model's columns, encoded before the transaction (which may run more than once).
    struct ModelColumns {
        let network: String, task: String, featureNames: String, targetName: String, classLabels: String
        let standardizer: String?, targetScale: String?, tensors: Data

        init(_ model: TrainedModel, texts: StoredJSON.ModelColumnTexts) throws {
            network = try texts.network.text(model.network)
            task = model.task.rawValue
            featureNames = try texts.featureNames.text(model.featureNames)
            targetName = model.targetName
            classLabels = try texts.classLabels.text(model.classLabels)
            standardizer = try model.standardizer.map { try texts.standardizer.text($0) }
            targetScale = try model.targetScale.map { try StoredJSON.text($0) }
            tensors = try TensorBlob.encode(model.tensors)
        }

        func insert(_ link: PostgresLink, trialID: Int) throws {
            try link.execute("""
                INSERT INTO models (trial_id, network_json, task, feature_names_json, target_name, class_labels_json,
                    standardizer_json, target_scale_json, tensors)
                VALUES (\(trialID), \(network), \(task), \(featureNames), \(targetName), \(classLabels), \(standardizer),
                    \(targetScale), \(tensors))
                """)
        }
    }

    // MARK: Reading rows

    static func sweepRecord(_ row: PostgresRow) throws -> SweepRecord {
        let columns = row.makeRandomAccess()
        return SweepRecord(
            name: try columns["name"].decode(String.self), specJSON: try columns["spec_json"].decode(String.self),
            created: Date(timeIntervalSince1970: try columns["created"].decode(Double.self)),
            status: try status(SweepStatus.self, try columns["status"].decode(String.self), column: "sweeps.status"),
            dataFingerprint: try columns["data_fingerprint"].decode(String?.self))
    }

    static func trialRecord(_ columns: PostgresRandomAccessRow) throws -> TrialRecord {
        let seedText = try columns["seed"].decode(String.self)
        guard let seed = UInt64(seedText) else { throw PostgresResultStoreError.corrupt("seed '\(seedText)' is not a UInt64") }
        let parametersText = try columns["parameters_json"].decode(String.self)
        let parameters: JSONValue
        do {
            parameters = try JSONValue.parse(Data(parametersText.utf8), source: "trials.parameters_json")
        } catch {
            throw PostgresResultStoreError.corrupt(error.description)
        }
        func date(_ column: String) throws -> Date? {
            try columns[column].decode(Double?.self).map(Date.init(timeIntervalSince1970:))
        }
        let plan = TrialPlan(
            number: try columns["number"].decode(Int.self), parameters: parameters,
            configurationJSON: try columns["configuration_json"].decode(String.self), seed: seed)
        return TrialRecord(
            plan: plan, status: try status(TrialStatus.self, try columns["status"].decode(String.self), column: "trials.status"),
            startedAt: try date("started_at"), endedAt: try date("ended_at"),
            trainSeconds: try optionalNumber(
                try columns["train_seconds"].decode(Double?.self), kind: try columns["train_seconds_kind"].decode(String?.self),
                column: "train_seconds"),
            epochsRun: try columns["epochs_run"].decode(Int?.self), bestEpoch: try columns["best_epoch"].decode(Int?.self),
            divergedEpoch: try columns["diverged_epoch"].decode(Int?.self),
            errorMessage: try columns["error_message"].decode(String?.self))
    }

    static func status<Status: RawRepresentable<String>>(_ type: Status.Type, _ text: String, column: String) throws -> Status {
        guard let status = Status(rawValue: text) else {
            throw PostgresResultStoreError.corrupt("\(column) '\(text)' is not a \(Status.self)")
        }
        return status
    }

    /// A value/kind pair read back; nil when both are NULL.
    static func optionalNumber(_ value: Double?, kind: String?, column: String) throws -> Double? {
        guard let kind else { return nil }
        switch NumberKind(rawValue: kind) {
        case .finite:
            guard let value else { throw PostgresResultStoreError.corrupt("\(column) is 'finite' but NULL") }
            return value
        case .nan: return .nan
        case .positiveInfinity: return .infinity
        case .negativeInfinity: return -.infinity
        case nil: throw PostgresResultStoreError.corrupt("\(column)'s kind holds unknown kind '\(kind)'")
        }
    }

    static func number(_ value: Double?, kind: String?, column: String) throws -> Double {
        guard let number = try optionalNumber(value, kind: kind, column: column) else {
            throw PostgresResultStoreError.corrupt("\(column) is missing")
        }
        return number
    }
}
