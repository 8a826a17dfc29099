import Foundation

/// An estimate of how much of the metric's variance each searched setting explains, for random
/// and TPE sweeps (and grids): functional ANOVA over a random forest fitted to the trials, as
/// Optuna's default `FanovaImportanceEvaluator` computes it (Hutter, Hoos & Leyton-Brown, "An
/// Efficient Approach for Assessing Hyperparameter Importance", ICML 2014).
///
/// 1. The complete trials with a finite metric, in trial order, become rows: each searched
///    dimension's coordinate from `SearchSpace.point(of:)`. A listed setting is categorical (one
///    category per listed value, never an ordinal index); a distribution is continuous, on a log
///    scale for `log_uniform` and `int_log_uniform` as it is sampled (Optuna's evaluator measures
///    them on the raw scale, where 1e-4 … 1e-2 is 1% of the range of 1e-4 … 1), with integers
///    widened by ½ on each side so that every whole number has the same share of the range.
/// 2. A forest of 64 CART trees (`RegressionForest`, Optuna's defaults: fully grown, bootstrap
///    samples, every feature at every split) is fitted to the metric, seeded by `SplitMix64`.
/// 3. For each tree, each dimension's share of the variance of the tree's prediction over the
///    search space — the variance of its marginal over the total (`TreeVarianceDecomposition`) —
///    is averaged over the trees whose prediction varies.
/// 4. A setting's fraction is the sum of its dimensions' (`hidden_layers.depth`,
///    `hidden_layers.width_1`, … for a layer list); `importance` is the fraction normalised so
///    that the settings' importances add up to 1, as Optuna reports them.
///
/// The measure integrated over is the search space's own: uniform over a range, equal mass for
/// each listed value. Where a dimension is absent (a conditional setting that did not apply),
/// the absence is one more category, or one more point below a continuous range, whose mass is
/// the share of trials lacking it; the rest of the mass is spread as above. Optuna instead drops
/// such parameters. Like any functional ANOVA over a product measure, this averages over
/// combinations that never occur together (momentum with Adam), so conditional settings'
/// numbers are the roughest.
///
/// It is an estimate: a different seed gives slightly different numbers, a forest fitted to
/// few trials is rough, and it says nothing about interactions beyond `mainEffectShare`. For 1,000
/// trials of 10 settings it takes about 0.14 s (release build, one core).
public struct ParameterImportance: Sendable, Hashable, Codable {
    public static let methodName = "fANOVA over a random forest (estimate)"

    public let method: String
    public let metric: String
    /// The trials the forest was fitted to: complete, with a finite metric.
    public let trialCount: Int
    /// Finished trials left out: diverged and failed ones, and complete ones whose metric is
    /// missing or not finite.
    public let leftOutCount: Int
    public let options: ForestOptions
    /// Most important first (ties by name).
    public let settings: [SettingImportance]
    /// The sum of every dimension's variance fraction: the share of the forest's variance that
    /// single settings explain on their own. The rest is their interactions.
    public let mainEffectShare: Double

    public struct SettingImportance: Sendable, Hashable, Codable {
        public let setting: String
        /// `varianceFraction` normalised over the settings (they sum to 1, unless no setting
        /// explains anything on its own, when all are 0).
        public let importance: Double
        /// The setting's share of the variance of the forest's prediction, averaged over trees.
        public let varianceFraction: Double
        /// The standard deviation of that share over the trees (of one dimension; for a layer
        /// list, of the sum of its dimensions' shares per tree).
        public let standardDeviation: Double
        /// Its dimensions: itself, or a layer list's depth and widths.
        public let dimensions: [String]
    }

    /// The estimate for these trials, or nil with fewer than two usable trials or a metric that
    /// does not vary.
    public init?(trials: [TrialRecord], space: SearchSpace, metric: SweepMetric, options: ForestOptions = ForestOptions()) {
        let metricName = metric.name.rawValue
        let usable = trials.filter { $0.status == .complete && ($0.metrics[metricName]?.isFinite ?? false) }
            .sorted { $0.number < $1.number }
        let leftOut = trials.filter { $0.status == .complete || $0.status == .diverged || $0.status == .failed }.count - usable.count
        guard usable.count >= 2, !space.dimensions.isEmpty else { return nil }
        let points = usable.map { space.point(of: $0.plan.parameters) }
        var domains: [FeatureDomain] = [], columns: [[Double]] = []
        for dimension in space.dimensions {
            let (domain, column) = Self.encode(dimension, points: points)
            domains.append(domain)
            columns.append(column)
        }
        let values = usable.map { $0.metrics[metricName]! }
        // Centred targets keep the split scores (sums of squares) small, so that splits compare
        // on the digits that differ.
        let mean = values.reduce(0, +) / Double(values.count)
        let forest = RegressionForest(domains: domains, columns: columns, targets: values.map { $0 - mean }, options: options)

        // Per tree whose prediction varies: each dimension's fraction of its variance.
        var fractionsByTree: [[Double]] = []
        for tree in forest.trees {
            let decomposition = TreeVarianceDecomposition(tree: tree, domains: domains)
            guard decomposition.totalVariance > 0 else { continue }
            fractionsByTree.append(decomposition.marginalVariances.map { $0 / decomposition.totalVariance })
        }
        guard !fractionsByTree.isEmpty else { return nil }

        var importances: [SettingImportance] = []
        for setting in space.settingNames {
            let dimensionIndices = space.dimensions.indices.filter { Self.setting(of: space.dimensions[$0].name) == setting }
            let perTree = fractionsByTree.map { fractions in dimensionIndices.reduce(0) { $0 + fractions[$1] } }
            let (fraction, variance) = Self.meanAndPopulationVariance(perTree)
            importances.append(SettingImportance(
                setting: setting, importance: 0, varianceFraction: fraction, standardDeviation: variance.squareRoot(),
                dimensions: dimensionIndices.map { space.dimensions[$0].name }))
        }
        let total = importances.reduce(0) { $0 + $1.varianceFraction }
        importances = importances.map { entry in
            SettingImportance(
                setting: entry.setting, importance: total > 0 ? entry.varianceFraction / total : 0,
                varianceFraction: entry.varianceFraction, standardDeviation: entry.standardDeviation, dimensions: entry.dimensions)
        }
        method = Self.methodName
        self.metric = metricName
        trialCount = usable.count
        leftOutCount = leftOut
        self.options = options
        settings = importances.sorted { $0.importance != $1.importance ? $0.importance > $1.importance : $0.setting < $1.setting }
        mainEffectShare = total
    }

    /// The estimate for a sweep's trials, its space and metric.
    public init?(trials: [TrialRecord], spec: SweepSpec, options: ForestOptions = ForestOptions()) {
        self.init(trials: trials, space: spec.space, metric: spec.metric, options: options)
    }

    /// The importance of one setting, by name.
    public func importance(of setting: String) -> SettingImportance? {
        settings.first { $0.setting == setting }
    }

    /// The setting a dimension belongs to: `hidden_layers` for `hidden_layers.width_2`.
    static func setting(of dimension: String) -> String {
        String(dimension.prefix { $0 != "." })
    }

    /// Optuna reports the standard deviation over trees with NumPy's default (divisor n).
    static func meanAndPopulationVariance(_ values: [Double]) -> (Double, Double) {
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
        return (mean, variance)
    }

    /// A dimension's domain and each row's coordinate on it (see the type's comment).
    static func encode(_ dimension: SearchDimension, points: [SearchPoint]) -> (FeatureDomain, [Double]) {
        let coordinates = points.map { $0[dimension.name] }
        let absentCount = coordinates.count(where: { $0 == nil })
        let absentMass = Double(absentCount) / Double(max(points.count, 1))
        if case .values(let values) = dimension.parameter {
            let listed = values.count
            var masses = [Double](repeating: (1 - absentMass) / Double(listed), count: listed)
            if absentCount > 0 { masses.append(absentMass) }
            return (.categories(masses: masses), coordinates.map { $0.map { Double(min(max(Int($0), 0), listed - 1)) } ?? Double(listed) })
        }
        let transform: (Double) -> Double
        let lower: Double, upper: Double
        switch dimension.parameter {
        case .uniform(let minimum, let maximum):
            (lower, upper, transform) = (minimum, maximum, { $0 })
        case .logUniform(let minimum, let maximum):
            (lower, upper, transform) = (Foundation.log(minimum), Foundation.log(maximum), { Foundation.log($0) })
        case .integerUniform(let minimum, let maximum):
            (lower, upper, transform) = (Double(minimum) - 0.5, Double(maximum) + 0.5, { $0 })
        case .integerLogUniform(let minimum, let maximum):
            (lower, upper, transform) = (Foundation.log(Double(minimum) - 0.5), Foundation.log(Double(maximum) + 0.5), { Foundation.log($0) })
        case .quantizedUniform(let minimum, let maximum, let quantum):
            let stepped = dimension.parameter.steppedRange(minimum: minimum, maximum: maximum, quantum: quantum)
            (lower, upper, transform) = (min(minimum, stepped.low), max(maximum, stepped.high), { $0 })
        case .values:
            fatalError("listed values are categorical")
        }
        let absentCode = lower - max(upper - lower, 1)
        let column = coordinates.map { $0.map { min(max(transform($0), lower), upper) } ?? absentCode }
        return (.interval(lower: lower, upper: upper, absentCode: absentCode, absentMass: absentMass), column)
    }
}
