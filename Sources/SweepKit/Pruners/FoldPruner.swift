import Foundation

/// Stops a cross-validated trial's remaining folds once the folds it has finished are clearly
/// worse than the best trial's on the same folds: the fold-level pruning Optuna's users ask for
/// (optuna#4373), in the spirit of Optuna's `WilcoxonPruner`, which compares a trial with the
/// best one step by step.
///
/// With the trial's finished fits d_j = value_j − best_j (losses: positive is worse), J of them,
/// the one-sided corrected paired t test of Nadeau & Bengio (2003):
///
///     t = d̄ / √((1/J + n_test/n_train) · s²),   p = P(T_{J−1} > t),
///
/// with n_test/n_train = 1/(k − 1) for k-fold (0 for repeats on one validation split). The
/// trial is stopped when p < `p_threshold`, after at least `startup_folds` fits. Optuna's
/// Wilcoxon test cannot reject anything with 4 or 5 folds (its smallest p with J pairs is
/// 2^−J), hence a t test. As Optuna's pruner does, a trial whose mean so far is no worse than
/// the best trial's result is never stopped, and non-finite values stop nothing.
public struct FoldPruner: Pruner {
    public var pThreshold = 0.1
    public var startupFolds = 2
    /// n_test / n_train of one fit: 1/(k − 1) for k-fold, 0 without folds.
    public var testTrainRatio: Double

    public init(testTrainRatio: Double) {
        self.testTrainRatio = testTrainRatio
    }

    public func shouldSkipFits(afterFits values: [Double], reference: PruningReference) -> Bool {
        guard values.count >= max(startupFolds, 2), let best = reference.best, best.fitValues.count >= values.count,
            values.allSatisfy(\.isFinite), best.fitValues.allSatisfy(\.isFinite)
        else { return false }
        let count = Double(values.count)
        let bestResult = best.fitValues.reduce(0, +) / Double(best.fitValues.count)
        guard values.reduce(0, +) / count > bestResult else { return false }
        let differences = zip(values, best.fitValues).map { $0 - $1 }
        let mean = differences.reduce(0, +) / count
        let variance = differences.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (count - 1)
        let standardError = ((1 / count + testTrainRatio) * variance).squareRoot()
        guard standardError > 0 else { return mean > 0 }
        let p = StudentT(degreesOfFreedom: count - 1).survivalProbability(mean / standardError)
        return p < pThreshold
    }

    static func read(_ reader: inout ObjectReader, folds: Int?, problems: inout [ConfigurationProblem]) -> FoldPruner {
        var pruner = FoldPruner(testTrainRatio: folds.map { 1 / Double($0 - 1) } ?? 0)
        if let p = reader.number("p_threshold", problems: &problems, where: { $0 > 0 && $0 < 1 }, rule: "p_threshold must be in (0, 1)") {
            pruner.pThreshold = p
        }
        if let count = reader.integer("startup_folds", problems: &problems, where: { $0 >= 2 }, rule: "startup_folds must be at least 2 (a test needs two differences)") {
            pruner.startupFolds = count
        }
        reader.reportUnknownKeys(known: ["name", "p_threshold", "startup_folds"], problems: &problems)
        return pruner
    }
}
