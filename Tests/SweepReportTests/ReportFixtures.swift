import Foundation
import NeuralNet
@testable import SweepKit
@testable import SweepReport

/// Specs, trial records and stores for the report tests.
enum ReportFixtures {
    static let created = Date(timeIntervalSince1970: 1_700_000_000)

    static func spec(_ text: String) throws -> SweepSpec {
        try SweepSpec.parse(Data(text.utf8), source: "spec.json")
    }

    /// A random search over an optimizer, a log-uniform learning rate and a conditional momentum.
    static let randomSpecText = """
        {"name": "report-random", "data": "builtin:phone-price?rows=200", "method": "random", "trials": 10000,
         "parameters": {"optimizer": {"values": ["sgd", "adam"]},
                        "momentum": {"values": [0.5, 0.9], "when": {"optimizer": ["sgd"]}},
                        "lr": {"distribution": "log_uniform", "min": 0.0001, "max": 0.1}}}
        """

    static let gridSpecText = """
        {"name": "report-grid", "data": "builtin:phone-price?rows=200",
         "parameters": {"optimizer": {"values": ["sgd", {"name": "adam", "lr": 0.005}]}, "dropout": {"values": [0, 0.2]}}}
        """

    static func record(_ spec: SweepSpec, name: String? = nil) -> SweepRecord {
        SweepRecord(name: name ?? spec.name, specJSON: spec.canonicalJSON, created: created, status: .complete)
    }

    /// A trial with these parameters, status and metrics (validation accuracy unless named).
    static func trial(
        _ number: Int, _ parameters: [String: JSONValue], accuracy: Double?, status: TrialStatus = .complete,
        extra: [String: Double] = [:], error: String? = nil
    ) -> TrialRecord {
        var metrics = extra
        if let accuracy { metrics[MetricName.validationAccuracy.rawValue] = accuracy }
        return TrialRecord(
            plan: TrialPlan(number: number, parameters: .object(parameters), configurationJSON: "{}", seed: UInt64(number)),
            status: status, epochsRun: 3, metrics: metrics, errorMessage: error)
    }

    /// `count` trials of the random spec, deterministic: mostly complete, with a diverged trial
    /// every 997th, a failed one every 1,999th, a pruned one every 101st and the last running.
    static func manyTrials(_ count: Int) -> [TrialRecord] {
        var generator = SplitMix64(seed: 11)
        return (1...count).map { number in
            let sgd = generator.nextUnitDouble() < 0.5
            var parameters: [String: JSONValue] = [
                "optimizer": .string(sgd ? "sgd" : "adam"), "lr": .number(0.0001 * pow(1000, generator.nextUnitDouble())),
            ]
            if sgd { parameters["momentum"] = .number(generator.nextUnitDouble() < 0.5 ? 0.5 : 0.9) }
            let accuracy = 0.5 + 0.4 * generator.nextUnitDouble()
            let status: TrialStatus =
                number == count ? .running
                : number % 1999 == 0 ? .failed
                : number % 997 == 0 ? .diverged
                : number % 101 == 0 ? .pruned
                : .complete
            switch status {
            case .complete, .pruned: return trial(number, parameters, accuracy: accuracy, status: status)
            case .diverged: return trial(number, parameters, accuracy: nil, status: status, extra: ["validation_loss": .nan, "train_loss": .infinity])
            case .failed: return trial(number, parameters, accuracy: nil, status: status, error: "the trial failed")
            default: return trial(number, parameters, accuracy: nil, status: status)
            }
        }
    }

    /// A memory store holding `trials` of `spec`, with `epochs` for some of them.
    static func store(_ spec: SweepSpec, _ trials: [TrialRecord], epochs: [Int: [EpochRecord]] = [:]) throws -> (MemoryResultStore, SweepRecord) {
        let store = MemoryResultStore()
        let record = record(spec)
        try store.createSweep(record)
        for trial in trials {
            try store.startTrial(sweep: record.name, plan: trial.plan, at: created)
            if trial.status != .running {
                try store.finish(sweep: record.name, record: trial, epochs: epochs[trial.number] ?? [], model: nil)
            }
        }
        return (store, try store.sweep(named: record.name) ?? record)
    }

    static func epoch(fold: Int, _ epoch: Int, loss: Double, accuracy: Double?) -> EpochRecord {
        EpochRecord(
            fold: fold, epoch: epoch, trainLoss: loss, trainMetric: accuracy, validationLoss: loss * 1.1,
            validationMetric: accuracy, learningRate: 0.01, seconds: 0.01)
    }
}
