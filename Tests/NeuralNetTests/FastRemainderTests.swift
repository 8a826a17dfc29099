import Testing
@testable import NeuralNet

/// `FastRemainder` must agree with the `%` it replaces in the epoch shuffle for every 64-bit
/// value; the theorem it rests on covers divisors below 2³², so these divisors span that range.
@Suite struct FastRemainderTests {
    /// Values where a remainder formula slips first: the ends of the range, and the neighbours
    /// of multiples of the divisor (including the largest multiple that fits in 64 bits).
    private func edgeValues(for divisor: UInt64) -> [UInt64] {
        let largestMultiple = UInt64.max / divisor * divisor
        var values: [UInt64] = [0, 1, 2, UInt64.max, UInt64.max - 1, 1 << 63, (1 << 63) - 1, 1 << 32, (1 << 32) - 1]
        for multiple in [divisor, 2 * divisor, largestMultiple, largestMultiple - divisor] {
            values += [multiple &- 1, multiple, multiple &+ 1]
        }
        return values
    }

    private func agrees(_ divisor: UInt64, draws: Int, generator: inout SplitMix64) -> Bool {
        let fast = FastRemainder(divisor: divisor)
        let values = edgeValues(for: divisor) + (0..<draws).map { _ in generator.next() }
        return values.allSatisfy { fast.remainder($0) == $0 % divisor }
    }

    @Test func everySmallDivisorAgreesWithTheRemainderOperator() {
        var generator = SplitMix64(seed: 17)
        let failing = (1...4096).filter { !agrees(UInt64($0), draws: 200, generator: &generator) }
        #expect(failing.isEmpty, "wrong remainders for divisors \(failing.prefix(10))")
    }

    @Test func divisorsUpToTwoToTheThirtyTwoAgree() {
        var generator = SplitMix64(seed: 18)
        let large: [UInt64] = [
            (1 << 31) - 1, 1 << 31, (1 << 31) + 1, 4_294_967_291 /* largest prime below 2³² */,
            UInt64(UInt32.max) - 1, UInt64(UInt32.max), 1_000_003, 65_536, 65_537, 3 << 30,
        ]
        var divisors = large
        for _ in 0..<200 { divisors.append(generator.next() % UInt64(UInt32.max) + 1) }
        let failing = divisors.filter { !agrees($0, draws: 2000, generator: &generator) }
        #expect(failing.isEmpty, "wrong remainders for divisors \(failing.prefix(10))")
    }

    @Test func thePreparedShuffleGivesTheSamePermutationAsTheGenericOne() {
        for count in Array(0...130) + [959, 960, 1280, 1600, 4097] {
            let shuffle = ReproducibleShuffle(count: count)
            var fast = SplitMix64(seed: UInt64(count) &* 31 &+ 7)
            var reference = fast
            for _ in 0..<3 {
                var prepared = Array(0..<count)
                shuffle.shuffle(&prepared, using: &fast)
                var generic = Array(0..<count)
                generic.shuffleReproducibly(using: &reference)
                #expect(prepared == generic, "count \(count)")
            }
            // Both drew count − 1 values per shuffle.
            #expect(fast == reference, "count \(count)")
        }
    }
}
