import Datasets
import Foundation
import NeuralNet
import Testing
@testable import SweepKit

/// Records to store. Dates have whole milliseconds, which both backends return bit for bit
/// (see `SQLiteStorageTests.datesKeepSubMillisecondPrecision` for arbitrary dates).
enum Sample {
    static let created = Date(timeIntervalSince1970: 1_700_000_000.123)
    /// Above `Int64.max`, so a seed stored as a plain SQLite integer would not survive.
    static let largeSeed: UInt64 = .max - 12

    static func sweep(_ name: String = "phone-price", created: Date = created, status: SweepStatus = .running) -> SweepRecord {
        SweepRecord(
            name: name, specJSON: #"{"name":"\#(name)","parameters":{"learning_rate":{"values":[0.001,0.01]}}}"#,
            created: created, status: status, dataFingerprint: "0123456789abcdef")
    }

    static func plan(_ number: Int, seed: UInt64? = nil) -> TrialPlan {
        let parameters = JSONValue.object([
            "learning_rate": .number(0.001 * Double(number)),
            "hidden_layers": .array([.number(64), .number(32)]),
            "activation": .string("leaky_relu"),
            "batch_norm": .bool(number.isMultiple(of: 2)),
            "dropout": .number(0),
            "note": .null,
        ])
        return TrialPlan(
            number: number, parameters: parameters,
            configurationJSON: #"{"epochs":20,"learning_rate":\#(0.001 * Double(number))}"#,
            seed: seed ?? largeSeed - UInt64(number))
    }

    static func plans(_ numbers: ClosedRange<Int>) -> [TrialPlan] {
        numbers.map { plan($0) }
    }

    /// A complete trial whose headline metrics are `accuracy` and `loss`.
    static func completeRecord(_ number: Int, accuracy: Double = 0.9, loss: Double = 0.3) -> TrialRecord {
        TrialRecord(
            plan: plan(number), status: .complete,
            startedAt: Date(timeIntervalSince1970: 1_700_000_100.250), endedAt: Date(timeIntervalSince1970: 1_700_000_160.5),
            trainSeconds: 60.25, epochsRun: 3, bestEpoch: 2, divergedEpoch: nil,
            metrics: [
                MetricName.validationAccuracy.rawValue: accuracy, MetricName.validationLoss.rawValue: loss,
                MetricName.trainLoss.rawValue: 0.25, MetricName.testAccuracy.rawValue: 0.875,
                "best_validation_metric": accuracy,
            ],
            errorMessage: nil)
    }

    /// A diverged trial: NaN and infinite metrics, a zero that must not become nil, no model.
    static func divergedRecord(_ number: Int) -> TrialRecord {
        TrialRecord(
            plan: plan(number), status: .diverged,
            startedAt: Date(timeIntervalSince1970: 1_700_000_200), endedAt: Date(timeIntervalSince1970: 1_700_000_201.001),
            trainSeconds: 0, epochsRun: 2, bestEpoch: nil, divergedEpoch: 2,
            metrics: [
                MetricName.validationLoss.rawValue: .nan, MetricName.trainLoss.rawValue: .infinity,
                MetricName.validationAccuracy.rawValue: 0, "best_validation_metric": -.infinity,
            ],
            errorMessage: "loss became NaN in epoch 2")
    }

    /// Two folds of `count` epochs with every optional metric present.
    static func epochs(count: Int = 3, folds: Int = 2) -> [EpochRecord] {
        var epochs: [EpochRecord] = []
        for fold in 1...folds {
            for epoch in 1...count {
                let step = Double(epoch)
                epochs.append(EpochRecord(
                    fold: fold, epoch: epoch, trainLoss: 1 / (step + Double(fold)), trainMetric: 0.5 + 0.01 * step,
                    validationLoss: 1.25 / step, validationMetric: 0.4 + 0.02 * step,
                    learningRate: 0.001 * pow(0.5, step - 1), seconds: 0.125 * step))
            }
        }
        return epochs
    }

    /// Epochs of a run that diverged: NaN, ±∞, absent metrics, and zeros that must stay zero.
    static let nonFiniteEpochs: [EpochRecord] = [
        EpochRecord(
            fold: 1, epoch: 1, trainLoss: 2.5, trainMetric: nil, validationLoss: nil, validationMetric: 0,
            learningRate: 0, seconds: 0),
        EpochRecord(
            fold: 1, epoch: 2, trainLoss: .nan, trainMetric: .infinity, validationLoss: -.infinity,
            validationMetric: .nan, learningRate: .infinity, seconds: .nan),
    ]

    /// A trained model of a small batch-norm network, weights from its initialiser.
    static func model(
        standardizer: Standardizer? = Standardizer(means: [1, 2, 3], standardDeviations: [0.5, 1, 2])
    ) throws -> TrainedModel {
        let description = NetworkDescription(
            inputWidth: 3, hiddenWidths: [4], outputWidth: 3, activation: .leakyReLU, negativeSlope: 0.02,
            dropout: 0.25, batchNorm: true, output: .softmax)
        let network = try Network(description, seed: 7)
        return TrainedModel(
            network: description, tensors: network.namedTensors(), task: .multiclass,
            featureNames: ["battery_power", "ram", "px_height"], targetName: "price_range",
            classLabels: ["0", "1", "2"], standardizer: standardizer)
    }
}

/// Whether two stored numbers are the same: both absent, both NaN, or equal.
func sameNumber(_ first: Double?, _ second: Double?) -> Bool {
    switch (first, second) {
    case (nil, nil): true
    case let (a?, b?): a.isNaN ? b.isNaN : a == b
    default: false
    }
}

/// `==` on trial records, except that NaN equals NaN.
func sameRecord(_ first: TrialRecord?, _ second: TrialRecord?) -> Bool {
    guard var first, var second else { return first == nil && second == nil }
    guard Set(first.metrics.keys) == Set(second.metrics.keys),
          first.metrics.allSatisfy({ sameNumber($0.value, second.metrics[$0.key]) }),
          sameNumber(first.trainSeconds, second.trainSeconds)
    else { return false }
    first.metrics = [:]
    second.metrics = [:]
    first.trainSeconds = nil
    second.trainSeconds = nil
    return first == second
}

func sameRecords(_ first: [TrialRecord], _ second: [TrialRecord]) -> Bool {
    first.count == second.count && zip(first, second).allSatisfy(sameRecord)
}

/// `==` on epochs, except that NaN equals NaN.
func sameEpochs(_ first: [EpochRecord], _ second: [EpochRecord]) -> Bool {
    func numbers(_ epoch: EpochRecord) -> [Double?] {
        [Double(epoch.fold), Double(epoch.epoch), epoch.trainLoss, epoch.trainMetric, epoch.validationLoss,
         epoch.validationMetric, epoch.learningRate, epoch.seconds]
    }
    return first.count == second.count
        && zip(first, second).allSatisfy { pair in
            zip(numbers(pair.0), numbers(pair.1)).allSatisfy(sameNumber)
        }
}

/// Equal models, weights compared bit for bit (so NaN weights compare too).
func sameModel(_ first: TrainedModel?, _ second: TrainedModel?) -> Bool {
    guard let first, let second else { return first == nil && second == nil }
    return first.network == second.network && first.task == second.task && first.featureNames == second.featureNames
        && first.targetName == second.targetName && first.classLabels == second.classLabels
        && first.standardizer == second.standardizer && sameTensors(first.tensors, second.tensors)
}

func sameTensors(_ first: [NamedTensor], _ second: [NamedTensor]) -> Bool {
    first.count == second.count
        && zip(first, second).allSatisfy { pair in
            pair.0.name == pair.1.name && pair.0.shape == pair.1.shape
                && pair.0.values.map(\.bitPattern) == pair.1.values.map(\.bitPattern)
        }
}
