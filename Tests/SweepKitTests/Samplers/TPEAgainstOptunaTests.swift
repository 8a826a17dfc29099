import Foundation
import Testing
@testable import SweepKit

/// The sampler's rules compared with Optuna's own functions on hand-built histories
/// (tools/tpe_reference.py writes the expected values).
@Suite("TPE sampler against Optuna: split, weights, estimators, acquisition")
struct TPEAgainstOptunaTests {
    static let reference = TPEReference.shared

    @Test func weightsMatchOptunasDefaultWeights() {
        for reference in Self.reference.weights {
            let weights = TPESampler.defaultWeights(count: reference.count)
            // Optuna's default_weights(n), including numpy's linspace for the ramp.
            #expect(agree(weights, reference.weights, within: 1e-15), "n = \(reference.count): \(weights) vs \(reference.weights)")
        }
    }

    @Test func goodGroupSizeMatchesOptunasDefaultGamma() {
        for reference in Self.reference.gamma {
            // Optuna's default_gamma(n) = min(ceil(0.1 n), 25).
            #expect(TPESampler.belowCount(finished: reference.finished, gamma: 0.1) == reference.below, "n = \(reference.finished)")
        }
    }

    @Test(arguments: TPEReference.shared.splits.map(\.name))
    func splitMatchesOptuna(_ name: String) {
        let reference = Self.reference.splits.first { $0.name == name }!
        let split = TPESampler.split(finishedTrials(reference.trials, ranked: reference.ranked), gamma: 0.1)
        // Optuna's _split_trials on a study of the same trials, each group in number order.
        #expect(split.below.map(\.number) == reference.expected.below)
        #expect(split.above.map(\.number) == reference.expected.above)
    }

    @Test(arguments: TPEReference.shared.acquisitions.map(\.name))
    func chosenCandidateIsOptunasArgmaxOfTheAcquisition(_ name: String) {
        let reference = Self.reference.acquisitions.first { $0.name == name }!
        let domains = reference.dimensions.map(\.domain)
        func estimator(_ rows: [[Double]]) -> ParzenEstimator {
            ParzenEstimator(observations: columns(rows, dimensions: domains.count), domains: domains,
                            weights: TPESampler.defaultWeights(count: rows.count), options: TPEOptions())
        }
        let below = estimator(reference.below), above = estimator(reference.above)
        let candidates = columns(reference.candidates, dimensions: domains.count)
        // Optuna's log_pdf of each estimator and the index np.argmax takes in TPESampler._compare.
        #expect(agree(below.logDensities(of: candidates), reference.expected.logBelow, within: 1e-12))
        #expect(agree(above.logDensities(of: candidates), reference.expected.logAbove, within: 1e-12))
        #expect(TPESampler.bestCandidate(candidates, below: below, above: above) == reference.expected.best)
    }

    @Test(arguments: TPEReference.shared.pipelines.map(\.name))
    func independentEstimatorsOfAConditionalSpaceMatchOptuna(_ name: String) {
        let reference = Self.reference.pipelines.first { $0.name == name }!
        let space = reference.searchSpace
        let sampler = TPESampler(space: space, options: TPEOptions())
        let trials = history(reference.trials, ranked: reference.ranked)
        let split = TPESampler.split(trials.finished, gamma: 0.1)
        // The constant liar (on by default, as in Optuna) puts the running trials after the bad.
        #expect(split.below.map(\.number) == reference.expected.below)
        #expect(split.above.map(\.number) + trials.pending.map(\.number) == reference.expected.above)
        let observed = sampler.observations(of: trials)
        for (index, dimension) in space.dimensions.enumerated() {
            let (good, bad) = sampler.estimators(for: [index], observed)
            // TPESampler._build_parzen_estimator(study, {name: distribution}, below or above):
            // only the trials that have the parameter, weighted among themselves.
            let expected = reference.expected.independent[dimension.name]!
            expectSameMixture(good, expected.below, "\(dimension.name), good trials")
            expectSameMixture(bad, expected.above, "\(dimension.name), bad trials")
        }
    }

    @Test(arguments: TPEReference.shared.pipelines.map(\.name))
    func groupDecompositionAndJointEstimatorsMatchOptuna(_ name: String) {
        let reference = Self.reference.pipelines.first { $0.name == name }!
        let space = reference.searchSpace
        let sampler = TPESampler(space: space, options: TPEOptions())
        let observed = sampler.observations(of: history(reference.trials, ranked: reference.ranked))
        let groups = observed.groups().map { $0.map { space.dimensions[$0].name }.sorted() }
        // Optuna's _GroupDecomposedSearchSpace(include_pruned=True), each group's names sorted.
        #expect(Set(groups) == Set(reference.expected.groups.map(\.names)))
        for expected in reference.expected.groups {
            // Optuna orders a group's parameters by name; so does this comparison.
            let indices = expected.names.map { name in space.dimensions.firstIndex { $0.name == name }! }
            let (good, bad) = sampler.estimators(for: indices, observed)
            expectSameMixture(good, expected.below, "\(expected.names), good trials")
            expectSameMixture(bad, expected.above, "\(expected.names), bad trials")
        }
    }
}
