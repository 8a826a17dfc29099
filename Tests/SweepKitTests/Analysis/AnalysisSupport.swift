import Foundation
import NeuralNet
import Testing
@testable import SweepKit

/// Builders for the analysis tests: search spaces read from spec text, and trial records with
/// the parameters, metric and per-fit values an analysis reads.
enum AnalysisFixtures {
    static let accuracy = SweepMetric(name: .validationAccuracy, maximize: true)
    static let loss = SweepMetric(name: .validationLoss, maximize: false)

    /// The search space of a spec's `parameters` object (JSON text).
    static func space(method: String = "random", _ parameters: String) throws -> SearchSpace {
        let trials = method == "grid" ? "" : #""trials": 10,"#
        let spec = try SweepSpec.parse(Data("""
            {"name": "analysis", "data": "builtin:phone-price", "method": "\(method)", \(trials)
             "parameters": \(parameters)}
            """.utf8), source: "spec.json")
        return spec.space
    }

    /// A finished trial: its parameters, its metric (under `metric`'s name) and its fits' values.
    static func trial(
        _ number: Int, _ parameters: [String: JSONValue], _ value: Double?, metric: SweepMetric = accuracy,
        status: TrialStatus = .complete, fits: [Double] = []
    ) -> TrialRecord {
        let plan = TrialPlan(number: number, parameters: .object(parameters), configurationJSON: "{}", seed: 0)
        var metrics: [String: Double] = [:]
        if let value { metrics[metric.name.rawValue] = value }
        return TrialRecord(
            plan: plan, status: status, metrics: metrics, foldMetrics: fits.map { [metric.name.rawValue: $0] })
    }

    /// A trial whose metric is the mean of its fits, as the trainer stores it.
    static func trial(_ number: Int, fits: [Double], metric: SweepMetric = accuracy) -> TrialRecord {
        trial(number, [:], fits.reduce(0, +) / Double(fits.count), metric: metric, fits: fits)
    }

    /// `count` random draws from `space`, numbered 1…count, scored by `score` (of the draw's
    /// parameters and a generator for noise). Deterministic in `seed`.
    static func randomTrials(
        _ count: Int, in space: SearchSpace, seed: UInt64 = 1, metric: SweepMetric = accuracy,
        score: ([String: JSONValue], inout SplitMix64) -> Double
    ) -> [TrialRecord] {
        var generator = SplitMix64(seed: seed)
        return (1...count).map { number in
            let parameters = space.parameters(for: space.randomPoint(using: &generator))
            return trial(number, parameters, score(parameters, &generator), metric: metric)
        }
    }

    /// The committed reference values of tools/analysis_reference.py.
    static func referenceValues<Document: Decodable>(_ type: Document.Type, from fileName: String) throws -> Document {
        let url: URL
        if let directory = Bundle.module.url(forResource: "ReferenceValues", withExtension: nil) {
            url = directory.appendingPathComponent(fileName)
        } else {
            url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("ReferenceValues").appendingPathComponent(fileName)
        }
        return try JSONDecoder().decode(Document.self, from: Data(contentsOf: url))
    }
}

extension JSONValue {
    /// The number a JSON number holds, for test scoring functions.
    var testNumber: Double {
        if case .number(let number) = self { return number }
        Issue.record("\(self) is not a number")
        return .nan
    }
}
