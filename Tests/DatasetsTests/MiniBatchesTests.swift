import NeuralNet
import Testing
@testable import Datasets

@Suite struct MiniBatchesTests {
    @Test func anEpochOrderIsAPermutationOfAllRows() {
        var rng = SplitMix64(seed: 1)
        let order = epochOrder(rowCount: 100, rng: &rng)
        #expect(order.sorted() == Array(0..<100))
        #expect(order != Array(0..<100))
    }

    @Test func theOrderIsTheReproducibleShuffleOfTheIdentity() {
        var rng = SplitMix64(seed: 3)
        var reference = SplitMix64(seed: 3)
        var expected = Array(0..<50)
        expected.shuffleReproducibly(using: &reference)
        #expect(epochOrder(rowCount: 50, rng: &rng) == expected)
        // Fisher–Yates over 50 rows draws 49 times, so both generators stand at the same state.
        #expect(rng == reference)
    }

    @Test func aPreparedShuffleGivesTheSameOrdersEpochAfterEpoch() {
        let shuffle = ReproducibleShuffle(count: 960)
        var prepared = SplitMix64(seed: 12)
        var plain = SplitMix64(seed: 12)
        for _ in 0..<5 {
            #expect(epochOrder(shuffle, rng: &prepared) == epochOrder(rowCount: 960, rng: &plain))
        }
        #expect(prepared == plain)
    }

    @Test func successiveEpochsGetDifferentOrdersAndTheSameSeedRepeatsThem() {
        var rng = SplitMix64(seed: 8)
        let first = epochOrder(rowCount: 30, rng: &rng)
        let second = epochOrder(rowCount: 30, rng: &rng)
        #expect(first != second)
        var again = SplitMix64(seed: 8)
        #expect(epochOrder(rowCount: 30, rng: &again) == first)
    }

    @Test func anOrderOfGivenRowsPermutesExactlyThoseRows() {
        var rng = SplitMix64(seed: 2)
        let rows = [3, 5, 8, 13, 21]
        #expect(epochOrder(of: rows, rng: &rng).sorted() == rows)
        #expect(epochOrder(rowCount: 0, rng: &rng).isEmpty)
    }

    @Test func batchRangesKeepTheShortLastBatch() {
        #expect(batchRanges(count: 10, batchSize: 4) == [0..<4, 4..<8, 8..<10])
        #expect(batchRanges(count: 8, batchSize: 4) == [0..<4, 4..<8])
        #expect(batchRanges(count: 0, batchSize: 4).isEmpty)
    }

    @Test func gatheringCopiesTheChosenRowsIntoReusedBuffers() {
        let dataset = Dataset(featureNames: ["a", "b"], targetName: "y", features: [1, 2, 3, 4, 5, 6], targets: [7, 8, 9], source: "memory")
        var features: [Float] = [99, 99, 99, 99, 99, 99, 99]
        var targets: [Float] = [99]
        dataset.gather(rows: [2, 0], features: &features, targets: &targets)
        #expect(features == [5, 6, 1, 2])
        #expect(targets == [9, 7])
    }
}
