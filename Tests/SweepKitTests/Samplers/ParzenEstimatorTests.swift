import Foundation
import NeuralNet
import Testing
@testable import SweepKit

@Suite("Parzen estimator: Optuna's kernels, densities and draws")
struct ParzenEstimatorTests {
    static let reference = TPEReference.shared

    static func estimator(_ dimensions: [TPEReference.Dimension], _ rows: [[Double]], options: TPEOptions = TPEOptions()) -> ParzenEstimator {
        ParzenEstimator(
            observations: columns(rows, dimensions: dimensions.count), domains: dimensions.map(\.domain),
            weights: TPESampler.defaultWeights(count: rows.count), options: options)
    }

    @Test func referenceWasWrittenByTheOptunaVersionTheDocCommentsCite() {
        // The doc comments of TPESampler and ParzenEstimator follow Optuna 5.1.0.
        #expect(Self.reference.optunaVersion == "5.1.0")
        #expect(Self.reference.estimators.count >= 20)
    }

    @Test(arguments: TPEReference.shared.estimators.map(\.name))
    func kernelsAndMixtureWeightsMatchOptuna(_ name: String) {
        let reference = Self.reference.estimators.first { $0.name == name }!
        let estimator = Self.estimator(reference.dimensions, reference.observations, options: reference.options)
        // Optuna's _ParzenEstimator on the same observations (tools/tpe_reference.py).
        expectSameMixture(estimator, reference.expected.mixture, name)
    }

    @Test(arguments: TPEReference.shared.estimators.map(\.name))
    func logDensityMatchesOptunaAtFixedPoints(_ name: String) {
        let reference = Self.reference.estimators.first { $0.name == name }!
        let estimator = Self.estimator(reference.dimensions, reference.observations, options: reference.options)
        guard !tiesMatter(reference.observations) else { return }
        let densities = estimator.logDensities(of: columns(reference.points, dimensions: reference.dimensions.count))
        // Optuna's log_pdf at the same points (tools/tpe_reference.py); the two differ only in
        // the last bits of erf, log and exp.
        #expect(agree(densities, reference.expected.logPdf, within: 1e-12), "\(name): \(densities) vs Optuna's \(reference.expected.logPdf)")
    }

    @Test func equalObservationsTakeTheirBandwidthsInTrialOrder() {
        // Sorted within the widened range [1.5, 9.5]: 2, 3, 3, 3, 3, 5. In trial order, the
        // first 3 looks back to 2 (gap 1), the next two see gaps of 0 and are clipped to
        // 8 / min(100, 6 + 2) = 1, the last looks ahead to 5 (gap 2). The outermost, 2 and 5,
        // take their inner gaps, 1 and 2; the prior's bandwidth is the range, 8.
        let integers = TPEReference.Dimension(kind: "int_uniform", min: 2, max: 9, q: nil, count: nil)
        let estimator = Self.estimator([integers], [[3], [5], [3], [2], [3], [3]])
        #expect(estimator.dimensions[0].bandwidths == [1, 2, 1, 1, 1, 2, 8])
    }

    @Test func densityOfAContinuousEstimatorIntegratesToOne() {
        let uniform = TPEReference.Dimension(kind: "uniform", min: -2, max: 3, q: nil, count: nil)
        let estimator = Self.estimator([uniform], [[0.3], [-1.7], [2.9], [0.35]])
        // Midpoint rule over [−2, 3] with 50,000 cells.
        let cells = 50_000, width = 5.0 / Double(cells)
        let points = (0..<cells).map { -2 + (Double($0) + 0.5) * width }
        let total = estimator.logDensities(of: [points]).reduce(0) { $0 + exp($1) * width }
        #expect(abs(total - 1) < 1e-6)
    }

    @Test func massesOfASteppedEstimatorSumToOneOverItsValues() {
        let widths = TPEReference.Dimension(kind: "int_log_uniform", min: 1, max: 512, q: nil, count: nil)
        let estimator = Self.estimator([widths], [[16], [32], [32], [200]])
        let total = estimator.logDensities(of: [(1...512).map(Double.init)]).reduce(0) { $0 + exp($1) }
        // Each value owns [x − ½, x + ½]: together they tile the widened range the kernels are
        // normalised over.
        #expect(abs(total - 1) < 1e-12)
    }

    @Test func drawsFollowTheMixture() {
        // One kernel at 0.3 (σ clipped to 5/3 by the magic clip) and the prior at 0.5 (σ = 5),
        // each with weight ½, on [−2, 3]: compare the histogram of draws with the density.
        let uniform = TPEReference.Dimension(kind: "uniform", min: -2, max: 3, q: nil, count: nil)
        let estimator = Self.estimator([uniform], [[0.3]])
        var generator = SplitMix64(seed: 42)
        let draws = estimator.sample(count: 100_000, using: &generator)[0]
        #expect(draws.allSatisfy { $0 >= -2 && $0 <= 3 })
        for cell in 0..<5 {
            let low = -2 + Double(cell), high = low + 1
            let share = Double(draws.filter { $0 >= low && $0 < high }.count) / Double(draws.count)
            let points = (0..<1000).map { low + (Double($0) + 0.5) / 1000 }
            let expected = estimator.logDensities(of: [points]).reduce(0) { $0 + exp($1) / 1000 }
            // Binomial standard error at 100,000 draws is at most 0.0016; 0.006 is about 4 of them.
            #expect(abs(share - expected) < 0.006, "cell [\(low), \(high)): \(share) drawn, \(expected) expected")
        }
    }

    @Test func categoricalDrawsFollowTheKernelsProbabilities() {
        let choices = TPEReference.Dimension(kind: "values", min: nil, max: nil, q: nil, count: 4)
        let estimator = Self.estimator([choices], [[2], [2], [0], [2], [3]])
        var generator = SplitMix64(seed: 7)
        let draws = estimator.sample(count: 60_000, using: &generator)[0]
        let expected = estimator.logDensities(of: [[0, 1, 2, 3]]).map { exp($0) }
        for choice in 0..<4 {
            let share = Double(draws.filter { $0 == Double(choice) }.count) / Double(draws.count)
            // Binomial standard error at 60,000 draws is at most 0.002.
            #expect(abs(share - expected[choice]) < 0.008, "choice \(choice): \(share) drawn, \(expected[choice]) expected")
        }
    }

    @Test func steppedDrawsLandOnTheStepsInsideTheRange() {
        let dimensions = [
            TPEReference.Dimension(kind: "q_uniform", min: 0, max: 0.5, q: 0.1, count: nil),
            TPEReference.Dimension(kind: "int_log_uniform", min: 16, max: 256, q: nil, count: nil),
            TPEReference.Dimension(kind: "log_uniform", min: 1e-4, max: 0.1, q: nil, count: nil),
        ]
        let estimator = Self.estimator(dimensions, [[0.0, 16, 1e-4], [0.5, 256, 0.1], [0.1, 20, 0.01]], options: {
            var options = TPEOptions()
            options.magicClip = false
            return options
        }())
        var generator = SplitMix64(seed: 3)
        let draws = estimator.sample(count: 5000, using: &generator)
        #expect(draws[0].allSatisfy { $0 >= 0 && $0 <= 0.5 && abs($0 * 10 - ($0 * 10).rounded()) < 1e-9 })
        #expect(draws[1].allSatisfy { $0 >= 16 && $0 <= 256 && $0 == $0.rounded() })
        #expect(draws[2].allSatisfy { $0 >= 1e-4 && $0 <= 0.1 })
        // Both ends are reachable: kernels sit on them.
        #expect(draws[0].contains(0) && draws[0].contains(0.5) && draws[1].contains(16) && draws[1].contains(256))
    }
}

@Suite("Truncated normal")
struct TruncatedNormalTests {
    @Test func quantileInvertsTheCumulativeDistribution() {
        func cdf(_ z: Double) -> Double { 0.5 * erfc(-z / 2.squareRoot()) }
        for (a, b) in [(-1.0, 2.0), (-40.0, 0.5), (0.5, 3.0), (-3.0, -2.5), (-0.1, 0.1), (-8.0, 35.0)] {
            for q in [1e-9, 0.01, 0.3, 0.5, 0.77, 0.999999] {
                let z = TruncatedNormal.quantile(q, a: a, b: b)
                let reached = (cdf(z) - cdf(a)) / (cdf(b) - cdf(a))
                #expect(z >= a && z <= b)
                // Φ near 1 carries absolute error 1e-16, divided by the interval's mass (≥ 1e-4 here).
                #expect(abs(reached - q) < 1e-10 * max(1, q / (cdf(b) - cdf(a))), "q \(q) on [\(a), \(b)] gave \(z), reaching \(reached)")
            }
        }
    }

    @Test func inverseCDFIsExactToTheLastDigitsIncludingTheFarTail() {
        // Φ⁻¹ from Optuna 5.1.0's _truncnorm._ndtri_exp(log p), whose log Φ at each value is
        // log p to 1e-13.
        #expect(abs(TruncatedNormal.inverseCDF(0.5)) < 1e-15)
        #expect(abs(TruncatedNormal.inverseCDF(0.025) - -1.9599639845400543) < 1e-13)
        #expect(abs(TruncatedNormal.inverseCDF(1e-10) - -6.361340902404057) < 1e-12)
        #expect(abs(TruncatedNormal.inverseCDF(1e-300) - -37.0470962993612) < 1e-11)
    }

    @Test func farTailSeriesIsTheLogOfTheTail() {
        // Against logCDF's series run to convergence, as Optuna's _log_ndtr_single runs it.
        for x in [35.0, 35.7, 40, 60, 100, 1e4] {
            #expect(abs(TruncatedNormal.logFarTail(x) - TruncatedNormal.logCDF(-x)) <= 1e-15 * abs(TruncatedNormal.logCDF(-x)), "x = \(x)")
        }
    }

    @Test func logMassKeepsItsDigitsFarInTheTails() {
        // Optuna 5.1.0's _truncnorm: _log_ndtr_single(−30) = −454.32124395634315 (its
        // asymptotic series), _log_gauss_mass([40, 41]) = _log_ndtr_single(−40) =
        // −804.6084420137538, _log_gauss_mass([−1, 1]) = log 0.6826894921370859.
        #expect(abs(TruncatedNormal.logMass(-.infinity, -30) - -454.32124395634315) < 1e-10)
        #expect(abs(TruncatedNormal.logMass(40, 41) - -804.6084420137538) < 1e-10)
        #expect(abs(TruncatedNormal.logMass(-1, 1) - -0.38171514630212616) < 1e-14)
        // The shortcut from precomputed tails, or their logarithms far out, agrees with the full
        // computation.
        for (a, b) in [(-50.0, -49.5), (-36.0, -34.0), (-3.0, -1.0), (-0.5, 0.25), (-40.0, 45.0), (2.0, 2.5), (30.0, 31.0), (35.5, 35.50001), (80.0, 81.0)] {
            func tails(_ z: Double) -> (Double, Double) {
                abs(z) > TruncatedNormal.farTail ? (0, TruncatedNormal.logFarTail(abs(z))) : (TruncatedNormal.tail(z), .nan)
            }
            let (tailA, logTailA) = tails(a), (tailB, logTailB) = tails(b)
            let fast = TruncatedNormal.logMass(a, b, tailA: tailA, tailB: tailB, logTailA: logTailA, logTailB: logTailB)
            let full = TruncatedNormal.logMass(a, b)
            #expect(abs(fast - full) < 1e-11 * max(1, abs(full)), "[\(a), \(b)]: \(fast) vs \(full)")
        }
    }
}
