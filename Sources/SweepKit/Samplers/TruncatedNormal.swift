import Foundation

/// The standard normal distribution truncated to [a, b]: the kernel of TPE's Parzen estimators
/// for numbers (Optuna's `optuna/samplers/_tpe/_truncnorm.py`, version 5.1.0, itself taken from
/// SciPy's `truncnorm`).
///
/// density(z) = φ(z) / (Φ(b) − Φ(a)) on [a, b], 0 outside, with φ(z) = exp(−z²/2)/√(2π)
/// and Φ its cumulative distribution. Probability masses are worked out from the tail on the
/// side of zero where they are small, as SciPy does, so that a kernel far from the interval
/// still gets a finite logarithm rather than log(1 − 1).
enum TruncatedNormal {
    /// log √(2π), the normal density's constant.
    static let logNormalizer = 0.5 * Foundation.log(2 * Double.pi)

    /// Φ(−|z|): the normal tail beyond z, the small side of the cumulative distribution, exact
    /// to a few ulp however far out z is (until it underflows, beyond |z| ≈ 38).
    @inline(__always)
    static func tail(_ z: Double) -> Double {
        0.5 * erfc(abs(z) * 0.70710678118654752440)
    }

    /// log Φ(z) (SciPy's and Optuna's `log_ndtr`): Φ's logarithm directly where it is
    /// representable, and below z = −20 the asymptotic series
    /// log Φ(z) = −z²/2 − log(−z) − log √(2π) + log(1 − 1/z² + 3/z⁴ − 15/z⁶ + …).
    static func logCDF(_ z: Double) -> Double {
        if z > 6 { return Foundation.log1p(-tail(z)) }
        if z > -20 { return Foundation.log(z <= 0 ? tail(z) : 1 - tail(z)) }
        let leading = -0.5 * z * z - Foundation.log(-z) - logNormalizer
        // The series' partial sums, stopped when a term no longer changes the sum.
        var sum = 1.0, previous = 0.0, numerator = 1.0, power = 1.0, sign = 1.0, i = 0.0
        let inverseSquare = 1 / (z * z)
        while abs(previous - sum) > Double.ulpOfOne {
            i += 1
            previous = sum
            sign = -sign
            power *= inverseSquare
            numerator *= 2 * i - 1
            sum += sign * numerator * power
        }
        return leading + Foundation.log(sum)
    }

    /// Beyond this many standard deviations the tail, below 1e-267, is worked out as a logarithm.
    static let farTail = 35.0

    /// log Φ(−x) for x ≥ `farTail`: the asymptotic series of `logCDF` cut after the term in
    /// 1/x¹⁶, whose first neglected term is below 1e-20 there.
    @inline(__always)
    static func logFarTail(_ x: Double) -> Double {
        let r = 1 / (x * x)
        let series = r * (-1 + r * (3 + r * (-15 + r * (105 + r * (-945 + r * (10395 + r * (-135135 + r * 2027025)))))))
        return -0.5 * x * x - Foundation.log(x) - logNormalizer + Foundation.log1p(series)
    }

    /// log(Φ(b) − Φ(a)) for a ≤ b (Optuna's `_log_gauss_mass`): the interval's probability,
    /// computed in the tail where both ends lie on one side of zero, and as
    /// log(1 − Φ(a) − Φ(−b)) when it holds zero.
    static func logMass(_ a: Double, _ b: Double) -> Double {
        if b <= 0 { return logDifference(logCDF(b), logCDF(a)) }
        if a > 0 { return logDifference(logCDF(-a), logCDF(-b)) }
        return Foundation.log1p(-tail(a) - tail(b))
    }

    /// `logMass(a, b)` from the tails Φ(−|a|) and Φ(−|b|) and, where a tail is beyond
    /// `farTail`, its logarithm instead (the tail itself then 0): the discrete kernels share
    /// these between neighbouring values.
    @inline(__always)
    static func logMass(_ a: Double, _ b: Double, tailA: Double, tailB: Double, logTailA: Double, logTailB: Double) -> Double {
        if a <= 0 && b > 0 { return Foundation.log1p(-tailA - tailB) }
        // Both ends on one side of zero: the end nearer zero has the larger tail.
        let nearTail = b <= 0 ? tailB : tailA, farTail = b <= 0 ? tailA : tailB
        let mass = nearTail - farTail
        if mass > 1e-280 { return Foundation.log(mass) }
        let logNear = b <= 0 ? logTailB : logTailA, logFar = b <= 0 ? logTailA : logTailB
        // A representable near tail with a mass that underflows: an interval too narrow for
        // the difference of tails.
        guard !logNear.isNaN, !logFar.isNaN else { return logMass(a, b) }
        return logDifference(logNear, logFar)
    }

    /// log(p − q) from log p and log q, p ≥ q.
    static func logDifference(_ logP: Double, _ logQ: Double) -> Double {
        logP + Foundation.log1p(-Foundation.exp(logQ - logP))
    }

    /// The point where the standard normal truncated to [a, b] reaches probability `q` (its
    /// quantile function, Optuna's `ppf`), for drawing by inversion. The cumulative probability
    /// is set up from the side of zero where it is below ½, so that neither tail loses digits.
    static func quantile(_ q: Double, a: Double, b: Double) -> Double {
        if a > 0 { return -quantile(1 - q, a: -b, b: -a) }
        let tailA = tail(a), tailB = tail(b)
        let z: Double
        if b <= 0 {
            z = inverseCDF(tailA + q * (tailB - tailA))
        } else {
            let mass = 1 - tailA - tailB
            let below = tailA + q * mass
            z = below <= 0.5 ? inverseCDF(below) : -inverseCDF(tailB + (1 - q) * mass)
        }
        return min(max(z, a), b)
    }

    /// Φ⁻¹(p) for 0 ≤ p ≤ ½: Acklam's rational approximation (relative error 1.2e-9), then one
    /// Halley step on Φ(x) − p, which brings it to the precision of erfc.
    /// P. J. Acklam, "An algorithm for computing the inverse normal cumulative distribution
    /// function" (2003).
    static func inverseCDF(_ p: Double) -> Double {
        guard p > 0 else { return -.infinity }
        var x: Double
        if p < 0.02425 {
            let q = (-2 * Foundation.log(p)).squareRoot()
            x = (((((-7.784894002430293e-03 * q - 3.223964580411365e-01) * q - 2.400758277161838e+00) * q
                - 2.549732539343734e+00) * q + 4.374664141464968e+00) * q + 2.938163982698783e+00)
                / ((((7.784695709041462e-03 * q + 3.224671290700398e-01) * q + 2.445134137142996e+00) * q
                    + 3.754408661907416e+00) * q + 1)
        } else {
            let q = p - 0.5, r = q * q
            x = (((((-3.969683028665376e+01 * r + 2.209460984245205e+02) * r - 2.759285104469687e+02) * r
                + 1.383577518672690e+02) * r - 3.066479806614716e+01) * r + 2.506628277459239e+00) * q
                / (((((-5.447609879822406e+01 * r + 1.615858368580409e+02) * r - 1.556989798598866e+02) * r
                    + 6.680131188771972e+01) * r - 1.328068155288572e+01) * r + 1)
        }
        // Φ(x) for x ≤ 0 is the lower tail, accurate however small.
        let error = 0.5 * erfc(-x * 0.70710678118654752440) - p
        let step = error * (2 * Double.pi).squareRoot() * Foundation.exp(0.5 * x * x)
        x -= step / (1 + 0.5 * x * step)
        return x
    }
}
