import Foundation
import Testing
@testable import SweepKit

/// Student's t against scipy.stats.t and against 40-digit mpmath quadrature of the density
/// (tools/analysis_reference.py writes both: SciPy 1.17.1, mpmath 1.3.0; 21 degrees of freedom
/// from 1 to 1e8, 18 t values from −1000 to 1000, 17 probabilities from 1e-12 to 0.9999).
/// SciPy agrees with mpmath to 1e-13 everywhere but ν = 1, t = ±1e-6, where it is 1.4e-11 off.
@Suite("Student's t distribution")
struct StudentTTests {
    struct Reference: Decodable {
        struct Distribution: Decodable {
            struct Point: Decodable { let t: Double; let cdf: Double; let sf: Double; let cdf_exact: Double; let sf_exact: Double }
            struct Quantile: Decodable { let p: Double; let t: Double; let t_exact: Double }
            let degrees_of_freedom: Double
            let cdf: [Point]
            let ppf: [Quantile]
        }
        let distributions: [Distribution]
    }

    private let reference: Reference

    init() throws {
        reference = try AnalysisFixtures.referenceValues(Reference.self, from: "student_t.json")
    }

    /// Relative error, or absolute below 1e-300 (for values that are 0 in both).
    private func relativeError(_ value: Double, _ expected: Double) -> Double {
        abs(value - expected) / max(abs(expected), 1e-300)
    }

    @Test func referenceCoversManyDegreesOfFreedom() {
        #expect(reference.distributions.count == 21)
        #expect(reference.distributions.allSatisfy { $0.cdf.count == 18 && $0.ppf.count == 17 })
    }

    @Test func cumulativeProbabilityMatchesSciPyAndTheExactValues() {
        for distribution in reference.distributions {
            let t = StudentT(degreesOfFreedom: distribution.degrees_of_freedom)
            for point in distribution.cdf {
                let value = t.cumulativeProbability(point.t)
                #expect(abs(value - point.cdf_exact) <= 1e-13, "ν = \(distribution.degrees_of_freedom), t = \(point.t): \(value) vs mpmath \(point.cdf_exact)")
                #expect(abs(value - point.cdf) <= 1e-10, "ν = \(distribution.degrees_of_freedom), t = \(point.t): \(value) vs SciPy \(point.cdf)")
            }
        }
    }

    @Test func tailProbabilitiesKeepTheirRelativePrecision() {
        // Relative: 1e-10 of a 3e-7 tail is still 1e-10 of it.
        for distribution in reference.distributions {
            let t = StudentT(degreesOfFreedom: distribution.degrees_of_freedom)
            for point in distribution.cdf {
                let survival = t.survivalProbability(point.t), cumulative = t.cumulativeProbability(point.t)
                #expect(relativeError(survival, point.sf_exact) <= 1e-10, "ν = \(distribution.degrees_of_freedom), t = \(point.t): sf \(survival) vs mpmath \(point.sf_exact)")
                #expect(relativeError(cumulative, point.cdf_exact) <= 1e-10, "ν = \(distribution.degrees_of_freedom), t = \(point.t): cdf \(cumulative) vs mpmath \(point.cdf_exact)")
            }
        }
    }

    @Test func quantileMatchesSciPyAndTheExactValues() {
        for distribution in reference.distributions {
            let t = StudentT(degreesOfFreedom: distribution.degrees_of_freedom)
            for quantile in distribution.ppf {
                let value = t.quantile(quantile.p)
                #expect(relativeError(value, quantile.t_exact) <= 1e-10, "ν = \(distribution.degrees_of_freedom), p = \(quantile.p): \(value) vs mpmath \(quantile.t_exact)")
                #expect(relativeError(value, quantile.t) <= 1e-9, "ν = \(distribution.degrees_of_freedom), p = \(quantile.p): \(value) vs SciPy \(quantile.t)")
            }
        }
    }

    @Test func quantileInvertsTheCumulativeProbability() {
        for degrees in [1.0, 3, 6.5, 40] {
            let t = StudentT(degreesOfFreedom: degrees)
            for p in stride(from: 0.01, to: 1, by: 0.07) {
                #expect(abs(t.cumulativeProbability(t.quantile(p)) - p) <= 1e-12)
            }
        }
    }

    @Test func twoSidedCriticalValuesAreTheTabulatedOnes() {
        // scipy.stats.t.ppf(0.975, df) (SciPy 1.17.1) for df = 1, 4, 9 and 29: 12.706204736174694,
        // 2.7764451051977934, 2.262157162798205, 2.045229642132703 (the 12.71, 2.776, 2.262 and
        // 2.045 of printed t tables).
        let expected: [(Double, Double)] = [(1, 12.706204736174694), (4, 2.7764451051977934), (9, 2.262157162798205), (29, 2.045229642132703)]
        for (degrees, critical) in expected {
            #expect(abs(StudentT(degreesOfFreedom: degrees).twoSidedCriticalValue(level: 0.95) - critical) <= 1e-12 * critical)
        }
    }

    @Test func quantileEndsAreInfinite() {
        let t = StudentT(degreesOfFreedom: 5)
        #expect(t.quantile(0) == -.infinity)
        #expect(t.quantile(1) == .infinity)
        #expect(t.quantile(0.5) == 0)
    }

    @Test func incompleteBetaMatchesClosedForms() {
        // I_x(1, 1) = x; I_x(a, 1) = x^a; I_x(1, b) = 1 − (1 − x)^b (Abramowitz & Stegun 26.5.x).
        #expect(abs(regularizedIncompleteBeta(a: 1, b: 1, x: 0.3) - 0.3) < 1e-15)
        #expect(abs(regularizedIncompleteBeta(a: 2.5, b: 1, x: 0.6) - pow(0.6, 2.5)) < 1e-14)
        #expect(abs(regularizedIncompleteBeta(a: 1, b: 4, x: 0.2) - (1 - pow(0.8, 4))) < 1e-14)
        #expect(regularizedIncompleteBeta(a: 3, b: 2, x: 0) == 0)
        #expect(regularizedIncompleteBeta(a: 3, b: 2, x: 1) == 1)
    }
}
