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
        let leaves = tree.leaves
        let featureCount = domains.count
        // μ_j(box_l,j) for each leaf and feature.
        let measures: [[Double]] = leaves.map { leaf in
            domains.indices.map { feature in
                domains[feature].isCategorical
                    ? domains[feature].measure(of: leaf.categories[feature])
                    : domains[feature].measure(low: leaf.lowers[feature], high: leaf.uppers[feature])
            }
        }
        let volumes = measures.map { $0.reduce(1, *) }
        totalVariance = weightedVariance(values: leaves.map(\.value), weights: volumes)
        var marginals: [Double] = []
        for feature in 0..<featureCount {
            // u_l = Π_{j≠i} μ_j(box_l,j): the weight of leaf l in the marginal at any x_i it covers.
            let others = measures.map { row in
                var product = 1.0
                for (index, measure) in row.enumerated() where index != feature { product *= measure }
                return product
            }
            let variance: Double
            switch domains[feature] {
            case .categories(let masses):
                var values: [Double] = [], weights: [Double] = []
                for category in masses.indices where masses[category] > 0 {
                    var weight = 0.0, weightedValue = 0.0
                    for (index, leaf) in leaves.enumerated() where leaf.categories[feature][category] {
                        weight += others[index]
                        weightedValue += others[index] * leaf.value
                    }
                    guard weight > 0 else { continue }
                    values.append(weightedValue / weight)
                    weights.append(masses[category] * weight)
                }
                variance = weightedVariance(values: values, weights: weights)
            case .interval:
                // Segments between the distinct box edges along this feature; a leaf covers the
                // segments from its lower edge's index to its upper edge's, which difference
                // arrays add up in one pass.
                var edges = leaves.flatMap { [$0.lowers[feature], $0.uppers[feature]] }
                edges.sort()
                var distinct: [Double] = []
                for edge in edges where distinct.last != edge { distinct.append(edge) }
                guard distinct.count >= 2 else {
                    variance = 0
                    break
                }
                var weightChanges = [Double](repeating: 0, count: distinct.count)
                var valueChanges = [Double](repeating: 0, count: distinct.count)
                for (index, leaf) in leaves.enumerated() {
                    let first = lowerBound(of: leaf.lowers[feature], in: distinct)
                    let last = lowerBound(of: leaf.uppers[feature], in: distinct)
                    weightChanges[first] += others[index]
                    weightChanges[last] -= others[index]
                    valueChanges[first] += others[index] * leaf.value
                    valueChanges[last] -= others[index] * leaf.value
                }
                var values: [Double] = [], weights: [Double] = []
                var weight = 0.0, weightedValue = 0.0
                for segment in 0..<(distinct.count - 1) {
                    weight += weightChanges[segment]
                    weightedValue += valueChanges[segment]
                    let mass = domains[feature].measure(low: distinct[segment], high: distinct[segment + 1])
                    guard weight > 0, mass > 0 else { continue }
                    values.append(weightedValue / weight)
                    weights.append(mass * weight)
                }
                variance = weightedVariance(values: values, weights: weights)
            }
            marginals.append(max(variance, 0))
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
