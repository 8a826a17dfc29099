import Foundation

/// The first-order functional ANOVA of a regression tree: how much of the variance of the tree's
/// prediction f(x), with x drawn from the product of the features' domain measures, is the
/// variance of a single feature's marginal
///
///     f_i(x_i) = ∫ f(x) dμ(x_{−i}) = Σ_leaves v_l · 1[x_i ∈ box_l,i] · Π_{j≠i} μ_j(box_l,j)
///
/// (Hutter, Hoos & Leyton-Brown, "An Efficient Approach for Assessing Hyperparameter
/// Importance", ICML 2014, §3–4; Optuna's `optuna.importance.FanovaImportanceEvaluator`).
/// A tree is constant on each leaf's box, so f_i is constant between neighbouring box edges
/// along feature i (on each category, for a categorical feature), and both variances are
/// finite weighted sums over leaves and segments.
struct TreeVarianceDecomposition {
    /// Var f over the whole domain; 0 for a tree that predicts one value.
    let totalVariance: Double
    /// Var f_i for each feature, clipped at 0 as Optuna does against rounding.
    let marginalVariances: [Double]

    init(tree: RegressionTree, domains: [FeatureDomain]) {
        let leafCount = tree.leafCount, featureCount = domains.count, width = tree.categoryWidth
        let values = tree.values
        // μ_j(box_l,j) for each leaf and feature, at measures[l·featureCount + j].
        var measures = [Double](repeating: 0, count: leafCount * featureCount)
        for leaf in 0..<leafCount {
            for feature in 0..<featureCount {
                let index = leaf * featureCount + feature
                measures[index] = domains[feature].isCategorical
                    ? domains[feature].measure(ofCategoriesIn: tree.categoryMasks, from: leaf * width + tree.categoryOffsets[feature])
                    : domains[feature].measure(low: tree.lowers[index], high: tree.uppers[index])
            }
        }
        let volumes = (0..<leafCount).map { leaf in
            var product = 1.0
            for feature in 0..<featureCount { product *= measures[leaf * featureCount + feature] }
            return product
        }
        totalVariance = weightedVariance(values: values, weights: volumes)
        var marginals: [Double] = []
        var others = [Double](repeating: 0, count: leafCount)
        for feature in 0..<featureCount {
            // u_l = Π_{j≠i} μ_j(box_l,j): the weight of leaf l in the marginal at any x_i it covers.
            for leaf in 0..<leafCount {
                var product = 1.0
                for other in 0..<featureCount where other != feature { product *= measures[leaf * featureCount + other] }
                others[leaf] = product
            }
            var marginalValues: [Double] = [], marginalWeights: [Double] = []
            switch domains[feature] {
            case .categories(let masses):
                let offset = tree.categoryOffsets[feature]
                for category in masses.indices where masses[category] > 0 {
                    var weight = 0.0, weightedValue = 0.0
                    for leaf in 0..<leafCount where tree.categoryMasks[leaf * width + offset + category] {
                        weight += others[leaf]
                        weightedValue += others[leaf] * values[leaf]
                    }
                    guard weight > 0 else { continue }
                    marginalValues.append(weightedValue / weight)
                    marginalWeights.append(masses[category] * weight)
                }
            case .interval:
                // Segments between the distinct box edges along this feature; a leaf covers the
                // segments from its lower edge's index to its upper edge's, which difference
                // arrays add up in one pass.
                var edges: [Double] = []
                edges.reserveCapacity(2 * leafCount)
                for leaf in 0..<leafCount {
                    edges.append(tree.lowers[leaf * featureCount + feature])
                    edges.append(tree.uppers[leaf * featureCount + feature])
                }
                edges.sort()
                var distinct: [Double] = []
                for edge in edges where distinct.last != edge { distinct.append(edge) }
                guard distinct.count >= 2 else { break }
                var weightChanges = [Double](repeating: 0, count: distinct.count)
                var valueChanges = [Double](repeating: 0, count: distinct.count)
                for leaf in 0..<leafCount {
                    let first = lowerBound(of: tree.lowers[leaf * featureCount + feature], in: distinct)
                    let last = lowerBound(of: tree.uppers[leaf * featureCount + feature], in: distinct)
                    weightChanges[first] += others[leaf]
                    weightChanges[last] -= others[leaf]
                    valueChanges[first] += others[leaf] * values[leaf]
                    valueChanges[last] -= others[leaf] * values[leaf]
                }
                var weight = 0.0, weightedValue = 0.0
                for segment in 0..<(distinct.count - 1) {
                    weight += weightChanges[segment]
                    weightedValue += valueChanges[segment]
                    let mass = domains[feature].measure(low: distinct[segment], high: distinct[segment + 1])
                    guard weight > 0, mass > 0 else { continue }
                    marginalValues.append(weightedValue / weight)
                    marginalWeights.append(mass * weight)
                }
            }
            marginals.append(max(weightedVariance(values: marginalValues, weights: marginalWeights), 0))
        }
        marginalVariances = marginals
    }
}

/// Σ w (v − v̄)² / Σ w with v̄ = Σ w v / Σ w; 0 with no weight.
private func weightedVariance(values: [Double], weights: [Double]) -> Double {
    var total = 0.0, sum = 0.0
    for (value, weight) in zip(values, weights) {
        total += weight
        sum += weight * value
    }
    guard total > 0 else { return 0 }
    let mean = sum / total
    var squares = 0.0
    for (value, weight) in zip(values, weights) { squares += weight * (value - mean) * (value - mean) }
    return squares / total
}

/// The first index whose element is not below `value` in an ascending array.
private func lowerBound(of value: Double, in sorted: [Double]) -> Int {
    var low = 0, high = sorted.count
    while low < high {
        let middle = (low + high) / 2
        if sorted[middle] < value { low = middle + 1 } else { high = middle }
    }
    return low
}
