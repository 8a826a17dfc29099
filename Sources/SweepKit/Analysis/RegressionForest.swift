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

    /// The measure of a set of categories: those whose flag is set in `mask` from `offset` on.
    func measure(ofCategoriesIn mask: [Bool], from offset: Int) -> Double {
        guard case .categories(let masses) = self else { return 0 }
        var mass = 0.0
        for index in masses.indices where mask[offset + index] { mass += masses[index] }
        return mass
    }

    var categoryCount: Int {
        if case .categories(let masses) = self { return masses.count }
        return 0
    }
}

/// A regression tree reduced to what functional ANOVA needs: its leaves, each with its value and
/// its box (an interval per continuous feature, a set of categories per categorical one), stored
/// flat, leaf after leaf.
struct RegressionTree: Sendable {
    let featureCount: Int
    /// Where each categorical feature's flags start within a leaf's stretch of `categoryMasks`.
    let categoryOffsets: [Int]
    /// How many category flags a leaf has (all categorical features together).
    let categoryWidth: Int
    var values: [Double] = []
    /// Leaf l's interval on feature f is lowers[l·featureCount + f] … uppers[…] (0 … 0 for a
    /// categorical feature).
    var lowers: [Double] = []
    var uppers: [Double] = []
    /// Leaf l covers category c of feature f when categoryMasks[l·categoryWidth + categoryOffsets[f] + c].
    var categoryMasks: [Bool] = []

    var leafCount: Int { values.count }
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
/// stably, so no node sorts anything. The node's box is one mutable box, narrowed on the way down
/// and restored on the way up; each leaf appends a copy of it to the tree.
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
    var tree: RegressionTree
    var lowers: [Double], uppers: [Double], mask: [Bool]
    // Scratch space of the categorical splits, sized for the feature with the most categories.
    var categoryWeight: [Double], categorySum: [Double], categoryCount: [Int]
    var byMean: [Int], bestLeft: [Bool]

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
        var offsets: [Int] = [], width = 0
        for domain in domains {
            offsets.append(width)
            width += domain.categoryCount
        }
        tree = RegressionTree(featureCount: domains.count, categoryOffsets: offsets, categoryWidth: width)
        lowers = domains.map(\.bounds.lower)
        uppers = domains.map(\.bounds.upper)
        mask = [Bool](repeating: true, count: width)
        let most = domains.map(\.categoryCount).max() ?? 0
        categoryWeight = [Double](repeating: 0, count: most)
        categorySum = [Double](repeating: 0, count: most)
        categoryCount = [Int](repeating: 0, count: most)
        byMean = []
        byMean.reserveCapacity(most)
        bestLeft = [Bool](repeating: false, count: most)
    }

    mutating func grow() -> RegressionTree {
        split(start: 0, end: members.count, depth: 0)
        return tree
    }

    private struct Split {
        var feature: Int
        var score: Double
        var threshold: Double = 0
    }

    private mutating func split(start: Int, end: Int, depth: Int) {
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
            tree.values.append(totalSum / totalWeight)
            tree.lowers.append(contentsOf: lowers)
            tree.uppers.append(contentsOf: uppers)
            tree.categoryMasks.append(contentsOf: mask)
            return
        }
        // Mark each row's side, then partition every range stably.
        let feature = best.feature, column = columns[feature]
        let categorical = domains[feature].isCategorical
        // The left categories, kept: deeper splits reuse `bestLeft`.
        let leftCategories = categorical ? Array(bestLeft[0..<domains[feature].categoryCount]) : []
        for position in start..<end {
            let row = members[position]
            goesLeft[row] = categorical ? leftCategories[Int(column[row])] : column[row] <= best.threshold
        }
        let middle = Self.partition(&members, start: start, end: end, goesLeft: goesLeft, buffer: &buffer)
        for index in ordered.indices where !ordered[index].isEmpty {
            _ = Self.partition(&ordered[index], start: start, end: end, goesLeft: goesLeft, buffer: &buffer)
        }
        if categorical {
            let offset = tree.categoryOffsets[feature]
            let saved = Array(mask[offset..<(offset + leftCategories.count)])
            for (index, isLeft) in leftCategories.enumerated() { mask[offset + index] = saved[index] && isLeft }
            split(start: start, end: middle, depth: depth + 1)
            for (index, isLeft) in leftCategories.enumerated() { mask[offset + index] = saved[index] && !isLeft }
            split(start: middle, end: end, depth: depth + 1)
            for (index, flag) in saved.enumerated() { mask[offset + index] = flag }
        } else {
            let savedUpper = uppers[feature], savedLower = lowers[feature]
            uppers[feature] = best.threshold
            split(start: start, end: middle, depth: depth + 1)
            uppers[feature] = savedUpper
            lowers[feature] = best.threshold
            split(start: middle, end: end, depth: depth + 1)
            lowers[feature] = savedLower
        }
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
    /// varies within the node (or none leaves enough rows on both sides). A categorical split's
    /// left categories are left in `bestLeft`.
    private mutating func bestSplit(start: Int, end: Int, totalWeight: Double, totalSum: Double) -> Split? {
        let count = end - start, minimumLeaf = options.minimumSamplesPerLeaf
        var best: Split?
        for feature in domains.indices {
            let column = columns[feature]
            let categories = domains[feature].categoryCount
            if categories > 0 {
                for category in 0..<categories {
                    categoryWeight[category] = 0
                    categorySum[category] = 0
                    categoryCount[category] = 0
                }
                for position in start..<end {
                    let row = members[position], category = Int(column[row])
                    categoryWeight[category] += weights[row]
                    categorySum[category] += weights[row] * targets[row]
                    categoryCount[category] += 1
                }
                byMean.removeAll(keepingCapacity: true)
                for category in 0..<categories where categoryCount[category] > 0 { byMean.append(category) }
                guard byMean.count >= 2 else { continue }
                byMean.sort { [categorySum, categoryWeight] first, second in
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
                        for index in 0..<categories { bestLeft[index] = false }
                        for index in 0...cut { bestLeft[byMean[index]] = true }
                        // Categories of the box that no row of the node has follow the heavier side.
                        if leftWeight >= rightWeight {
                            for index in 0..<categories where categoryCount[index] == 0 { bestLeft[index] = true }
                        }
                        best = Split(feature: feature, score: score)
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
