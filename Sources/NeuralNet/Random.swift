import Foundation

/// SplitMix64, a small, fast, statistically sound 64-bit generator.
///
/// `state += 0x9E3779B97F4A7C15; z = state; z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;`
/// `z = (z ^ (z >> 27)) * 0x94D049BB133111EB; return z ^ (z >> 31)`
///
/// Every random draw in the engine (initialisation, dropout masks, shuffles) comes from a value
/// of this type that is passed in or owned by its user, never from a global, so that one seed
/// gives bit-identical results whatever else runs in the process.
/// Steele, Lea & Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014.
public struct SplitMix64: RandomNumberGenerator, Sendable, Hashable {
    public var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    @inlinable
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform draw in [0, 1) with 24 bits of precision, so every value is exact in Float.
    @inlinable
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// A uniform draw in [0, 1) with 53 bits of precision.
    @inlinable
    public mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// A uniform integer in 0..<bound, by `next() % bound` (bias below 2⁻⁴⁰ for the sizes used
    /// here). Kept this simple so that tools/ scripts can reproduce shuffles exactly.
    @inlinable
    public mutating func nextIndex(below bound: Int) -> Int {
        precondition(bound > 0)
        return Int(next() % UInt64(bound))
    }

    /// A standard normal draw by the Box–Muller transform (one of the pair is used).
    @inlinable
    public mutating func nextStandardNormal() -> Double {
        // 1 - u keeps the logarithm's argument in (0, 1].
        let u1 = 1.0 - nextUnitDouble()
        let u2 = nextUnitDouble()
        return (-2.0 * Foundation.log(u1)).squareRoot() * Foundation.cos(2.0 * Double.pi * u2)
    }

    /// A generator for a sub-stream: deterministic in (this seed, stream), independent of draws.
    public static func derived(seed: UInt64, stream: UInt64) -> SplitMix64 {
        var mixer = SplitMix64(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03))
        return SplitMix64(seed: mixer.next())
    }
}

extension MutableCollection where Self: RandomAccessCollection, Index == Int {
    /// Fisher–Yates from the last index down: `for i in (1..<n).reversed() { j = rng.nextIndex(below: i + 1); swap(i, j) }`.
    // Inlinable so that callers in other modules get it specialised for their collection; the
    // generic version costs a protocol call per swap.
    @inlinable
    public mutating func shuffleReproducibly(using generator: inout SplitMix64) {
        guard count > 1 else { return }
        for i in stride(from: endIndex - 1, to: startIndex, by: -1) {
            let j = startIndex + generator.nextIndex(below: i - startIndex + 1)
            if i != j { swapAt(i, j) }
        }
    }
}

/// `x % divisor` for any 64-bit `x` by four multiplications instead of a 64-bit division (about
/// 40 cycles here): the remainder by direct computation of Lemire, Kaser & Kurz, "Faster
/// Remainder by Direct Computation", Software: Practice and Experience 49(6), 2019. With
/// M = ⌊(2¹²⁸ − 1) / d⌋ + 1, x mod d = ⌊((M·x) mod 2¹²⁸) · d / 2¹²⁸⌋, exact for every 64-bit x
/// and every d < 2³² (their theorem 1 with N = 64, L = 32, F = 128). Computing M costs two
/// divisions, so this pays when one divisor serves many draws (an epoch shuffle reuses its
/// table of divisors every epoch).
public struct FastRemainder: Sendable, Hashable {
    public let divisor: UInt64
    /// M's high and low 64-bit words.
    @usableFromInline let high: UInt64
    @usableFromInline let low: UInt64

    /// - Precondition: 1 ≤ divisor < 2³².
    public init(divisor: UInt64) {
        precondition(divisor >= 1 && divisor <= UInt64(UInt32.max), "divisor \(divisor) out of 1..<2³²")
        self.divisor = divisor
        if divisor == 1 {
            // M would be 2¹²⁸; with M = 0 the formula gives 0, the remainder by 1.
            (high, low) = (0, 0)
            return
        }
        // ⌊(2¹²⁸ − 1) / d⌋ as two 64-bit words, then + 1.
        let (quotientHigh, remainderHigh) = UInt64.max.quotientAndRemainder(dividingBy: divisor)
        let quotientLow = divisor.dividingFullWidth((remainderHigh, UInt64.max)).quotient
        let (sum, carry) = quotientLow.addingReportingOverflow(1)
        (high, low) = (quotientHigh &+ (carry ? 1 : 0), sum)
    }

    /// x mod `divisor`.
    @inlinable
    public func remainder(_ x: UInt64) -> UInt64 {
        // The low 128 bits of M·x.
        let (productHigh, productLow) = low.multipliedFullWidth(by: x)
        let fractionHigh = productHigh &+ high &* x
        // ⌊(fractionHigh·2⁶⁴ + productLow) · d / 2¹²⁸⌋.
        let carryIn = divisor.multipliedFullWidth(by: productLow).high
        let (top, middle) = divisor.multipliedFullWidth(by: fractionHigh)
        let (_, carry) = middle.addingReportingOverflow(carryIn)
        return top &+ (carry ? 1 : 0)
    }
}

/// The Fisher–Yates shuffle of `shuffleReproducibly(using:)` for collections of one fixed size,
/// with the divisors 2…count prepared once, so that each draw's `next() % (i + 1)` is a few
/// multiplications (`FastRemainder`). It gives exactly the permutation `shuffleReproducibly`
/// gives from the same generator.
public struct ReproducibleShuffle: Sendable {
    public let count: Int
    /// `remainders[n]` takes values modulo n (entries 0 and 1 unused).
    private let remainders: [FastRemainder]

    /// - Precondition: 0 ≤ count < 2³².
    public init(count: Int) {
        precondition(count >= 0 && UInt64(count) <= UInt64(UInt32.max), "shuffle size \(count) out of range")
        self.count = count
        remainders = (0...max(count, 1)).map { FastRemainder(divisor: UInt64(max($0, 1))) }
    }

    /// Shuffles `items` (which must hold `count` elements) in place, advancing `generator` by
    /// `count − 1` draws.
    public func shuffle(_ items: inout [Int], using generator: inout SplitMix64) {
        precondition(items.count == count, "shuffling \(items.count) items with a shuffle for \(count)")
        guard count > 1 else { return }
        remainders.withUnsafeBufferPointer { divisors in
            items.withUnsafeMutableBufferPointer { buffer in
                for i in stride(from: count - 1, to: 0, by: -1) {
                    let j = Int(divisors[i + 1].remainder(generator.next()))
                    if i != j { buffer.swapAt(i, j) }
                }
            }
        }
    }
}
