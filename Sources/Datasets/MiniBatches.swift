import NeuralNet

/// A fresh random order of `0..<rowCount` for one training epoch.
///
/// The identity permutation shuffled by `shuffleReproducibly(using:)` (Fisher–Yates from the last
/// index down), so the generator advances by exactly `rowCount − 1` draws per epoch and the
/// order of epoch `e` depends only on the seed and `e`, as with PyTorch's `DataLoader(shuffle=True)`
/// under a fixed generator.
///
/// - Parameters:
///   - rowCount: the number of rows to order.
///   - rng: the trial's generator, advanced in place.
public func epochOrder(rowCount: Int, rng: inout SplitMix64) -> [Int] {
    var order = Array(0..<max(rowCount, 0))
    order.shuffleReproducibly(using: &rng)
    return order
}

/// `epochOrder(rowCount:rng:)` through a shuffle prepared for that row count: the same order from
/// the same generator, without a 64-bit division per draw. A training run makes one and reuses it
/// every epoch.
public func epochOrder(_ shuffle: ReproducibleShuffle, rng: inout SplitMix64) -> [Int] {
    var order = Array(0..<shuffle.count)
    shuffle.shuffle(&order, using: &rng)
    return order
}

/// A fresh random order of the given rows (the training part of a split, say): `rows` permuted
/// by the same shuffle as `epochOrder(rowCount:rng:)`.
public func epochOrder(of rows: [Int], rng: inout SplitMix64) -> [Int] {
    var order = rows
    order.shuffleReproducibly(using: &rng)
    return order
}

/// The consecutive position ranges of mini-batches of `batchSize` over `count` items; the last
/// batch keeps the remainder (PyTorch's `drop_last=False`).
///
/// `batchRanges(count: 10, batchSize: 4) == [0..<4, 4..<8, 8..<10]`.
public func batchRanges(count: Int, batchSize: Int) -> [Range<Int>] {
    precondition(batchSize > 0, "a mini-batch needs at least one row")
    return stride(from: 0, to: max(count, 0), by: batchSize).map { start in
        start..<min(start + batchSize, count)
    }
}

extension Dataset {
    /// Copies the features and targets of the given rows into reusable buffers, row after row.
    ///
    /// The buffers are resized to `rows.count × featureCount` and `rows.count`; a training loop
    /// keeps them across batches so that gathering allocates nothing after the first batch.
    public func gather<Rows: Collection<Int>>(rows: Rows, features batchFeatures: inout [Float], targets batchTargets: inout [Float]) {
        batchFeatures.removeAll(keepingCapacity: true)
        batchTargets.removeAll(keepingCapacity: true)
        for row in rows {
            batchFeatures.append(contentsOf: featureRow(row))
            batchTargets.append(targets[row])
        }
    }
}
