import Foundation

/// The settings of the Tree-structured Parzen Estimator, under `"sampler"` in a spec, with
/// Optuna's `TPESampler` defaults (its argument names in brackets).
public struct TPEOptions: Sendable, Hashable {
    /// Random trials before TPE takes over (`n_startup_trials`): TPE proposes trial n only once
    /// this many finished trials are visible to it.
    public var startupTrials = 10
    /// Points drawn from the good trials' estimator, of which the one with the largest ratio
    /// l(x)/g(x) is proposed (`n_ei_candidates`).
    public var candidates = 24
    /// One joint estimator over the dimensions that occur together, instead of one per dimension
    /// (`multivariate=True`, with `group=True` for conditional spaces).
    public var multivariate = false
    /// The weight of the prior, a wide kernel at the centre of each range (`prior_weight`).
    public var priorWeight = 1.0
    /// Whether the outermost kernels' bandwidths reach to the bounds (`consider_endpoints`).
    public var considerEndpoints = false
    /// Optuna's lower bound on bandwidths, range / min(100, kernels + 1) (`consider_magic_clip`).
    public var magicClip = true
    /// The share of finished trials counted as good: ⌈gamma · n⌉, at most 25 (Optuna's
    /// `default_gamma`).
    public var gamma = 0.1
    /// Whether the trials that are proposed but whose results the proposal may not use (those
    /// the lag hides) count as bad trials, so that trials proposed from the same history spread
    /// out instead of crowding the same good region (`constant_liar`, Optuna's default since 5.0).
    public var constantLiar = true

    public init() {}

    static let keys = ["startup_trials", "candidates", "multivariate", "prior_weight", "consider_endpoints", "magic_clip", "gamma", "constant_liar"]

    /// Reads the TPE keys of a `"sampler"` object; the caller reads the rest (`lag`).
    static func read(_ reader: inout ObjectReader, problems: inout [ConfigurationProblem]) -> TPEOptions {
        var options = TPEOptions()
        if let count = reader.integer("startup_trials", problems: &problems, where: { $0 >= 0 && $0 <= 100_000 }, rule: "startup_trials must be between 0 and 100000") {
            options.startupTrials = count
        }
        if let count = reader.integer("candidates", problems: &problems, where: { $0 >= 1 && $0 <= 10_000 }, rule: "candidates must be between 1 and 10000") {
            options.candidates = count
        }
        if let flag = reader.bool("multivariate", problems: &problems) { options.multivariate = flag }
        if let weight = reader.number("prior_weight", problems: &problems, where: { $0 > 0 && $0.isFinite }, rule: "prior_weight must be a positive number") {
            options.priorWeight = weight
        }
        if let flag = reader.bool("consider_endpoints", problems: &problems) { options.considerEndpoints = flag }
        if let flag = reader.bool("magic_clip", problems: &problems) { options.magicClip = flag }
        if let gamma = reader.number("gamma", problems: &problems, where: { $0 > 0 && $0 < 1 }, rule: "gamma must be in (0, 1)") {
            options.gamma = gamma
        }
        if let flag = reader.bool("constant_liar", problems: &problems) { options.constantLiar = flag }
        return options
    }
}
