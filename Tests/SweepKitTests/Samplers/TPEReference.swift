import Foundation
import Testing
@testable import SweepKit

/// Optuna's values for the TPE sampler, written by tools/tpe_reference.py into
/// Tests/SweepKitTests/Samplers/Fixtures/tpe_reference.json (see that script for what each
/// section holds). The test target copies the folder as a resource; a run from an unusual place
/// reads it next to this file.
struct TPEReference: Decodable {
    let optunaVersion: String
    let weights: [WeightCase]
    let gamma: [GammaCase]
    let estimators: [EstimatorCase]
    let acquisitions: [AcquisitionCase]
    let splits: [SplitCase]
    let pipelines: [PipelineCase]

    static let shared: TPEReference = {
        let directory = Bundle.module.url(forResource: "Fixtures", withExtension: nil)
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            let data = try Data(contentsOf: directory.appendingPathComponent("tpe_reference.json"))
            return try decoder.decode(TPEReference.self, from: data)
        } catch {
            fatalError("tpe_reference.json cannot be read: \(error)")
        }
    }()

    struct WeightCase: Decodable {
        let count: Int
        let weights: [Double]
    }

    struct GammaCase: Decodable {
        let finished: Int
        let below: Int
    }

    /// A dimension as the spec writes it.
    struct Dimension: Decodable {
        let kind: String
        let min: Double?
        let max: Double?
        let q: Double?
        let count: Int?

        var parameter: SearchParameter {
            switch kind {
            case "values": .values((0..<count!).map { .number(Double($0)) })
            case "uniform": .uniform(minimum: min!, maximum: max!)
            case "log_uniform": .logUniform(minimum: min!, maximum: max!)
            case "int_uniform": .integerUniform(minimum: Int(min!), maximum: Int(max!))
            case "int_log_uniform": .integerLogUniform(minimum: Int(min!), maximum: Int(max!))
            case "q_uniform": .quantizedUniform(minimum: min!, maximum: max!, quantum: q!)
            default: fatalError("unknown kind \(kind)")
            }
        }

        var domain: ParzenDomain { ParzenDomain(parameter)! }
    }

    /// An estimator as Optuna built it: mixture weights, and per dimension the kernels' centres
    /// and bandwidths (numbers) or probabilities (lists).
    struct Mixture: Decodable {
        let weights: [Double]
        let dimensions: [Kernels]

        struct Kernels: Decodable {
            let mus: [Double]?
            let sigmas: [Double]?
            let probabilities: [[Double]]?
        }
    }

    struct EstimatorCase: Decodable {
        let name: String
        let dimensions: [Dimension]
        /// Rows: one per observation.
        let observations: [[Double]]
        let points: [[Double]]
        let priorWeight: Double?
        let magicClip: Bool?
        let endpoints: Bool?
        let expected: Expected

        struct Expected: Decodable {
            let weights: [Double]
            let dimensions: [Mixture.Kernels]
            let logPdf: [Double]
            var mixture: Mixture { Mixture(weights: weights, dimensions: dimensions) }
        }

        var options: TPEOptions {
            var options = TPEOptions()
            if let priorWeight { options.priorWeight = priorWeight }
            if let magicClip { options.magicClip = magicClip }
            if let endpoints { options.considerEndpoints = endpoints }
            return options
        }
    }

    struct AcquisitionCase: Decodable {
        let name: String
        let dimensions: [Dimension]
        let below: [[Double]]
        let above: [[Double]]
        let candidates: [[Double]]
        let expected: Expected

        struct Expected: Decodable {
            let logBelow: [Double]
            let logAbove: [Double]
            let best: Int
        }
    }

    struct Trial: Decodable {
        let number: Int
        let state: String
        /// nil for a running trial.
        let value: Double?
        let params: [String: Double]?

        var status: TrialStatus { state == "pruned" ? .pruned : state == "running" ? .running : .complete }
    }

    struct SplitCase: Decodable {
        let name: String
        let trials: [Trial]
        /// Trial numbers best first, as the sweep's ranking orders them.
        let ranked: [Int]
        let expected: Expected

        struct Expected: Decodable {
            let below: [Int]
            let above: [Int]
        }
    }

    struct PipelineCase: Decodable {
        let name: String
        let space: [SpaceEntry]
        let trials: [Trial]
        let ranked: [Int]
        let expected: Expected

        struct SpaceEntry: Decodable {
            let name: String
            let dimension: Dimension
            let when: When?

            struct When: Decodable {
                let parent: String
                let coordinates: [Double]
            }
        }

        struct Expected: Decodable {
            let below: [Int]
            let above: [Int]
            let independent: [String: Pair]
            let groups: [Group]
        }

        struct Pair: Decodable {
            let below: Mixture
            let above: Mixture
        }

        struct Group: Decodable {
            let names: [String]
            let below: Mixture
            let above: Mixture
        }

        /// The search space in the sweep's form; `SearchSpace` orders parents first, which
        /// the fixture's list already does.
        var searchSpace: SearchSpace {
            let dimensions = space.map { entry in
                SearchDimension(
                    name: entry.name, parameter: entry.dimension.parameter,
                    conditions: entry.when.map { [Condition(parent: $0.parent, coordinates: Set($0.coordinates))] } ?? [])
            }
            return SearchSpace(dimensions: dimensions, layerLists: [:])
        }
    }
}

extension TPEReference.Trial {
    var point: SearchPoint { params ?? [:] }
}

/// Finished trials best first in the fixture's ranked order, as a sweep's history holds them.
func finishedTrials(_ trials: [TPEReference.Trial], ranked: [Int]) -> [FinishedTrial] {
    let byNumber = Dictionary(uniqueKeysWithValues: trials.map { ($0.number, $0) })
    return ranked.map { number in
        let trial = byNumber[number]!
        return FinishedTrial(number: number, point: trial.point, status: trial.status, loss: trial.status == .complete ? trial.value! : .nan)
    }
}

/// A fixture's trials as a sampler's history: the finished ones best first, the running ones as
/// the lag's pending trials (Optuna's running trials under `constant_liar`).
func history(_ trials: [TPEReference.Trial], ranked: [Int]) -> SearchHistory {
    SearchHistory(
        finished: finishedTrials(trials, ranked: ranked),
        pending: trials.filter { $0.status == .running }.sorted { $0.number < $1.number }.map { PendingTrial(number: $0.number, point: $0.point) })
}

/// Rows of a fixture's observation or candidate list, as the estimator's per-dimension columns.
func columns(_ rows: [[Double]], dimensions: Int) -> [[Double]] {
    (0..<dimensions).map { d in rows.map { $0[d] } }
}

/// |actual − expected| ≤ tolerance · max(1, |expected|), element by element.
func agree(_ actual: [Double], _ expected: [Double], within tolerance: Double) -> Bool {
    actual.count == expected.count
        && zip(actual, expected).allSatisfy { abs($0 - $1) <= tolerance * max(1, abs($1)) }
}

/// Records every way `estimator` differs from Optuna's `mixture`: the mixture weights in order,
/// each list dimension's kernel probabilities in order, and each number dimension's kernels as a
/// set of (centre, bandwidth) pairs. Equal observations share a centre, and which of them takes
/// which neighbour gap follows numpy's `argsort`, which is not stable (its order depends on the
/// machine's sort kernel); the sweep gives them out in trial order.
func expectSameMixture(_ estimator: ParzenEstimator, _ mixture: TPEReference.Mixture, _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(agree(estimator.weights, mixture.weights, within: 1e-13), "\(label): weights \(estimator.weights) vs Optuna's \(mixture.weights)", sourceLocation: sourceLocation)
    #expect(estimator.dimensions.count == mixture.dimensions.count, "\(label): dimension count", sourceLocation: sourceLocation)
    for (index, (kernels, expected)) in zip(estimator.dimensions, mixture.dimensions).enumerated() {
        if let probabilities = expected.probabilities {
            let choices = probabilities[0].count
            let rows = stride(from: 0, to: kernels.probabilities.count, by: choices).map { Array(kernels.probabilities[$0..<($0 + choices)]) }
            #expect(rows.count == probabilities.count && zip(rows, probabilities).allSatisfy { agree($0, $1, within: 1e-13) },
                    "\(label), dimension \(index): probabilities \(rows) vs Optuna's \(probabilities)", sourceLocation: sourceLocation)
        } else {
            #expect(agree(kernels.centres, expected.mus!, within: 1e-13) || kernels.centres.sorted() == expected.mus!.sorted(),
                    "\(label), dimension \(index): centres \(kernels.centres) vs Optuna's \(expected.mus!)", sourceLocation: sourceLocation)
            let pairs = zip(kernels.centres, kernels.bandwidths).sorted { ($0.0, $0.1) < ($1.0, $1.1) }
            let expectedPairs = zip(expected.mus!, expected.sigmas!).sorted { ($0.0, $0.1) < ($1.0, $1.1) }
            #expect(agree(pairs.map(\.0), expectedPairs.map(\.0), within: 1e-13) && agree(pairs.map(\.1), expectedPairs.map(\.1), within: 1e-13),
                    "\(label), dimension \(index): kernels \(pairs) vs Optuna's \(expectedPairs)", sourceLocation: sourceLocation)
        }
    }
}

/// Whether a case's observations repeat a number under unequal weights: there, numpy's sort
/// order decides which repeat gets which bandwidth, and so the density itself.
func tiesMatter(_ rows: [[Double]]) -> Bool {
    guard rows.count >= 26 else { return false }
    return (0..<(rows.first?.count ?? 0)).contains { d in Set(rows.map { $0[d] }).count < rows.count }
}
