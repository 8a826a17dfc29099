import Foundation
import NeuralNet

/// A feature's domain and the probability measure on it that functional ANOVA integrates over.
enum FeatureDomain: Sendable, Hashable {
    /// Uniform on [lower, upper], and, when `absentMass` > 0, a point mass of that size at
    /// `absentCode` (below `lower`) for the trials in which the feature does not apply.
    case interval(lower: Double, upper: Double, absentCode: Double, absentMass: Double)
    /// Categories 0 ..< masses.count with these probabilities (summing to 1).
    case categories(masses: [Double])

    var isCategorical: Bool {
        if case .categories = self { return true }
        return false
    }

    /// The whole domain as an interval (categorical domains have none).
    var bounds: (lower: Double, upper: Double) {
        switch self {
        case .interval(let lower, let upper, let absentCode, let absentMass):
            return (absentMass > 0 ? absentCode : lower, upper)
        case .categories:
            return (0, 0)
        }
    }

    /// The measure of [low, high] ∩ the domain.
    func measure(low: Double, high: Double) -> Double {
        guard case .interval(let lower, let upper, let absentCode, let absentMass) = self else { return 0 }
        var mass = 0.0
        if absentMass > 0, low <= absentCode, absentCode <= high { mass += absentMass }
        let overlap = min(high, upper) - max(low, lower)
        if overlap > 0, upper > lower { mass += (1 - absentMass) * overlap / (upper - lower) }
        return mass
    }

    /// The measure of a set of categories.
    func measure(of members: [Bool]) -> Double {
        guard case .categories(let masses) = self else { return 0 }
        var mass = 0.0
        for index in masses.indices where members[index] { mass += masses[index] }
        return mass
    }
}

/// A regression tree reduced to what functional ANOVA needs: its leaves, each with its value and
/// its box (an interval per continuous feature, a set of categories per categorical one).
struct RegressionTree: Sendable {
    struct Leaf: Sendable {
        var value: Double
        /// Per feature; unused (0) for categorical features.
        var lowers: [Double]
        var uppers: [Double]
        /// Per feature: which categories the leaf covers; empty for continuous features.
        var categories: [[Bool]]
    }

    var leaves: [Leaf]
}

/// Growth limits of the trees, as scikit-learn's `RandomForestRegressor` names them; the
/// defaults are those of Optuna's `FanovaImportanceEvaluator`.
public struct ForestOptions: Sendable, Hashable, Codable {
    public var treeCount: Int
    public var maximumDepth: Int
    public var minimumSamplesToSplit: Int
    public var minimumSamplesPerLeaf: Int
    /// Seeds the bootstrap samples (`SplitMix64.derived(seed:stream:)`, one stream per tree).
    public var seed: UInt64

    public init(treeCount: Int = 64, maximumDepth: Int = 64, minimumSamplesToSplit: Int = 2, minimumSamplesPerLeaf: Int = 1, seed: UInt64 = 0) {
        self.treeCount = max(treeCount, 1)
        self.maximumDepth = max(maximumDepth, 0)
        self.minimumSamplesToSplit = max(minimumSamplesToSplit, 2)
        self.minimumSamplesPerLeaf = max(minimumSamplesPerLeaf, 1)
        self.seed = seed
    }
}

/// A random forest of CART regression trees (Breiman, "Random Forests", Machine Learning 45,
/// 2001), as scikit-learn's `RandomForestRegressor` with `max_features=1.0` grows them: each tree
/// on a bootstrap sample (n draws with replacement, kept as a weight per row), every feature
/// considered at every split, the split that most lowers the weighted squared error taken.
///
/// - A continuous feature splits at the midpoint between two neighbouring distinct values
///   (`x ≤ threshold` goes left).
/// - A categorical feature splits its categories into two sets: the categories present in the
///   node ordered by their mean target, and the best of the cuts of that order, which is the
///   best of all 2^(m−1) − 1 partitions for squared error (Breiman et al., Classification and
///   Regression Trees, 1984, §9.4). A category the node's box holds but none of its rows has
///   goes to the side with the larger weight (the left one on a tie).
/// - Ties between splits go to the lower feature index, then to the earlier cut, so a forest
///   depends only on its inputs and seed.
struct RegressionForest: Sendable {
    let trees: [RegressionTree]

    /// - Parameters:
    ///   - columns: one array per feature with a coordinate per row; categorical features hold
    ///     category indices (0, 1, …) as Doubles.
    ///   - targets: one per row.
    init(domains: [FeatureDomain], columns: [[Double]], targets: [Double], options: ForestOptions) {
        let rowCount = targets.count
        // Each continuous feature's rows in ascending order of value (ties by row) once; a
        // tree's order is this one with the rows its bootstrap left out removed.
        let sortedRows: [[Int]] = domains.indices.map { feature in
            guard !domains[feature].isCategorical else { return [] }
            let column = columns[feature]
            return (0..<rowCount).sorted { column[$0] != column[$1] ? column[$0] < column[$1] : $0 < $1 }
        }
        var trees: [RegressionTree] = []
        trees.reserveCapacity(options.treeCount)
        for index in 0..<options.treeCount {
            var generator = SplitMix64.derived(seed: options.seed, stream: UInt64(index))
            var weights = [Double](repeating: 0, count: rowCount)
            for _ in 0..<rowCount { weights[generator.nextIndex(below: rowCount)] += 1 }
            var grower = TreeGrower(domains: domains, columns: columns, targets: targets, weights: weights, sortedRows: sortedRows, options: options)
            trees.append(grower.grow())
        }
        self.trees = trees
    }
}

/// Grows one tree on weighted rows. The rows of a node occupy the same range [start, end) of
/// `members` and of every continuous feature's sorted array; a split partitions each range
/// stably, so no node sorts anything.
private struct TreeGrower {
    let domains: [FeatureDomain]
    let columns: [[Double]]
    let targets: [Double]
    let weights: [Double]
    let options: ForestOptions
    /// The rows with a positive weight, ascending.
    var members: [Int]
    /// Per continuous feature, the same rows in ascending order of value; empty for categorical.
    var ordered: [[Int]]
    var goesLeft: [Bool]
    var buffer: [Int]
    var leaves: [RegressionTree.Leaf] = []

    init(domains: [FeatureDomain], columns: [[Double]], targets: [Double], weights: [Double], sortedRows: [[Int]], options: ForestOptions) {
        self.domains = domains
        self.columns = columns
        self.targets = targets
        self.weights = weights
        self.options = options
        members = weights.indices.filter { weights[$0] > 0 }
        ordered = sortedRows.map { $0.filter { weights[$0] > 0 } }
        goesLeft = [Bool](repeating: false, count: targets.count)
        buffer = [Int](repeating: 0, count: members.count)
    }

    mutating func grow() -> RegressionTree {
        var lowers: [Double] = [], uppers: [Double] = [], categories: [[Bool]] = []
        for domain in domains {
            let bounds = domain.bounds
            lowers.append(bounds.lower)
            uppers.append(bounds.upper)
            if case .categories(let masses) = domain { categories.append([Bool](repeating: true, count: masses.count)) } else { categories.append([]) }
        }
        split(start: 0, end: members.count, depth: 0, box: RegressionTree.Leaf(value: 0, lowers: lowers, uppers: uppers, categories: categories))
        return RegressionTree(leaves: leaves)
    }

    private struct Split {
        var feature: Int
        var score: Double
        var threshold: Double = 0
        var leftCategories: [Bool] = []
    }

    private mutating func split(start: Int, end: Int, depth: Int, box: RegressionTree.Leaf) {
        var totalWeight = 0.0, totalSum = 0.0
        var smallest = Double.infinity, largest = -Double.infinity
        for position in start..<end {
            let row = members[position]
            totalWeight += weights[row]
            totalSum += weights[row] * targets[row]
            smallest = min(smallest, targets[row])
            largest = max(largest, targets[row])
        }
        let count = end - start
        guard depth < options.maximumDepth, count >= options.minimumSamplesToSplit, smallest < largest,
            let best = bestSplit(start: start, end: end, totalWeight: totalWeight, totalSum: totalSum)
        else {
            var leaf = box
            leaf.value = totalSum / totalWeight
            leaves.append(leaf)
            return
        }
        // Mark each row's side, then partition every range stably.
        let column = columns[best.feature]
        for position in start..<end {
            let row = members[position]
            goesLeft[row] = domains[best.feature].isCategorical ? best.leftCategories[Int(column[row])] : column[row] <= best.threshold
        }
        let middle = Self.partition(&members, start: start, end: end, goesLeft: goesLeft, buffer: &buffer)
        for feature in ordered.indices where !ordered[feature].isEmpty {
            _ = Self.partition(&ordered[feature], start: start, end: end, goesLeft: goesLeft, buffer: &buffer)
        }
        var left = box, right = box
        if domains[best.feature].isCategorical {
            left.categories[best.feature] = zip(box.categories[best.feature], best.leftCategories).map { $0 && $1 }
            right.categories[best.feature] = zip(box.categories[best.feature], best.leftCategories).map { $0 && !$1 }
        } else {
            left.uppers[best.feature] = best.threshold
            right.lowers[best.feature] = best.threshold
        }
        split(start: start, end: middle, depth: depth + 1, box: left)
        split(start: middle, end: end, depth: depth + 1, box: right)
    }

    /// Moves the rows marked `goesLeft` to the front of the range, keeping the order on both
    /// sides; returns where the right side starts.
    private static func partition(_ rows: inout [Int], start: Int, end: Int, goesLeft: [Bool], buffer: inout [Int]) -> Int {
        var next = 0
        for position in start..<end where goesLeft[rows[position]] {
            buffer[next] = rows[position]
            next += 1
        }
        let middle = start + next
        for position in start..<end where !goesLeft[rows[position]] {
            buffer[next] = rows[position]
            next += 1
        }
        for offset in 0..<(end - start) { rows[start + offset] = buffer[offset] }
        return middle
    }

    /// The split with the largest S_L²/W_L + S_R²/W_R (S a side's weighted target sum, W its
    /// weight), which is the one with the smallest weighted squared error; nil when no feature
    /// varies within the node (or none leaves enough rows on both sides).
    private func bestSplit(start: Int, end: Int, totalWeight: Double, totalSum: Double) -> Split? {
        let count = end - start, minimumLeaf = options.minimumSamplesPerLeaf
        var best: Split?
        for feature in domains.indices {
            let column = columns[feature]
            if case .categories(let masses) = domains[feature] {
                var categoryWeight = [Double](repeating: 0, count: masses.count)
                var categorySum = [Double](repeating: 0, count: masses.count)
                var categoryCount = [Int](repeating: 0, count: masses.count)
                for position in start..<end {
                    let row = members[position], category = Int(column[row])
                    categoryWeight[category] += weights[row]
                    categorySum[category] += weights[row] * targets[row]
                    categoryCount[category] += 1
                }
                let present = masses.indices.filter { categoryCount[$0] > 0 }
                guard present.count >= 2 else { continue }
                let byMean = present.sorted { first, second in
                    let a = categorySum[first] / categoryWeight[first], b = categorySum[second] / categoryWeight[second]
                    return a != b ? a < b : first < second
                }
                var leftWeight = 0.0, leftSum = 0.0, leftCount = 0
                for cut in 0..<(byMean.count - 1) {
                    let category = byMean[cut]
                    leftWeight += categoryWeight[category]
                    leftSum += categorySum[category]
                    leftCount += categoryCount[category]
                    guard leftCount >= minimumLeaf, count - leftCount >= minimumLeaf else { continue }
                    let rightWeight = totalWeight - leftWeight, rightSum = totalSum - leftSum
                    let score = leftSum * leftSum / leftWeight + rightSum * rightSum / rightWeight
                    if best == nil || score > best!.score {
                        var left = [Bool](repeating: false, count: masses.count)
                        for index in 0...cut { left[byMean[index]] = true }
                        // Categories of the box that no row of the node has follow the heavier side.
                        if leftWeight >= rightWeight {
                            for index in masses.indices where categoryCount[index] == 0 { left[index] = true }
                        }
                        best = Split(feature: feature, score: score, leftCategories: left)
                    }
                }
            } else {
                let rows = ordered[feature]
                var leftWeight = 0.0, leftSum = 0.0
                for position in start..<(end - 1) {
                    let row = rows[position]
                    leftWeight += weights[row]
                    leftSum += weights[row] * targets[row]
                    let value = column[row], nextValue = column[rows[position + 1]]
                    let leftCount = position - start + 1
                    guard nextValue > value, leftCount >= minimumLeaf, count - leftCount >= minimumLeaf else { continue }
                    let rightWeight = totalWeight - leftWeight, rightSum = totalSum - leftSum
                    let score = leftSum * leftSum / leftWeight + rightSum * rightSum / rightWeight
                    if best == nil || score > best!.score {
                        var threshold = value + (nextValue - value) / 2
                        if threshold >= nextValue { threshold = value }
                        best = Split(feature: feature, score: score, threshold: threshold)
                    }
                }
            }
        }
        return best
    }
}
