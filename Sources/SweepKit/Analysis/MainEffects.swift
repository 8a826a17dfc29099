import Foundation

/// The main effect of each searched setting on the sweep's metric: for each of its values, the
/// mean metric over the complete trials that took that value, with a t interval over those
/// trials, and the setting's effect size, the best value's mean minus the worst's.
///
/// In a full grid every value of a setting is crossed with the same combinations of the others,
/// so these are the marginal means of a factorial design: which optimizer, schedule, initialiser
/// (…) does better, and by how much. In a random or TPE sweep the other settings are not
/// balanced across a setting's values, and `ParameterImportance` is the better summary.
///
/// - Values are told apart by their canonical JSON text, so `{"name": "adam", "lr": 0.005}` and
///   `[64, 32]` are values like any other. They are listed in the spec's order; a layer list's
///   (searched as depth and widths) shortest first, then by width.
/// - A conditional setting counts only the trials that have it (`absentCount` the others).
/// - Trials whose metric is missing or not finite (diverged, failed, NaN) are left out of the
///   means and counted in `leftOutCount`, per value and per setting. Trials not finished
///   (pending, running, interrupted, pruned) are not counted at all.
/// - Settings whose values come from a continuous distribution are left out: each trial has its
///   own value, and a mean per value says nothing.
public struct MainEffects: Sendable, Hashable, Codable {
    public let metric: String
    public let maximize: Bool
    public let level: Double
    /// One per setting that lists its values, largest effect first (ties by name), those without
    /// an effect last.
    public let settings: [SettingEffect]
    /// Searched settings drawn from a distribution, for which no main effect is given.
    public let continuousSettings: [String]

    public struct SettingEffect: Sendable, Hashable, Codable {
        public let setting: String
        public let levels: [Level]
        /// The level with the best mean (highest when maximizing) and the one with the worst.
        public let bestLevel: String?
        public let worstLevel: String?
        /// Best level's mean − worst level's mean: positive when maximizing, negative when
        /// minimizing (a loss that the best value lowers by that much); nil with fewer than two
        /// levels that have a mean.
        public let effect: Double?
        /// Complete trials in which the setting does not apply (a conditional setting).
        public let absentCount: Int
        /// Trials with a value of this setting whose metric is missing or not finite.
        public let leftOutCount: Int
    }

    public struct Level: Sendable, Hashable, Codable {
        /// The value as canonical JSON text, e.g. `"sgd"` (with quotes), `0.2`, `{"lr":0.005,"name":"adam"}`.
        public let value: String
        /// How many trials with a finite metric took this value.
        public let trialCount: Int
        /// Their mean metric; nil when none.
        public let mean: Double?
        /// The t interval of that mean over the trials; nil for fewer than two.
        public let interval: MeanInterval?
        /// Trials with this value whose metric is missing or not finite.
        public let leftOutCount: Int
    }

    public init(trials: [TrialRecord], space: SearchSpace, metric: SweepMetric, level: Double = 0.95) {
        let metricName = metric.name.rawValue
        self.metric = metricName
        maximize = metric.maximize
        self.level = level
        // Trials that finished: complete ones, and the diverged or failed ones counted as left out.
        let finished = trials.filter { $0.status == .complete || $0.status == .diverged || $0.status == .failed }
            .sorted { $0.number < $1.number }
        var effects: [SettingEffect] = []
        var continuous: [String] = []
        for setting in space.settingNames {
            guard let listed = Self.listedValues(of: setting, in: space) else {
                continuous.append(setting)
                continue
            }
            var valuesByText: [String: [Double]] = [:]
            var leftOutByText: [String: Int] = [:]
            var extra: [String: JSONValue] = [:]
            var absent = 0
            for trial in finished {
                let value = trial.metrics[metricName]
                let usable = trial.status == .complete && (value?.isFinite ?? false)
                guard case .object(let members) = trial.plan.parameters, let setting = members[setting] else {
                    if usable { absent += 1 }
                    continue
                }
                let text = setting.canonicalText
                if !listed.contains(text) { extra[text] = setting }
                if usable { valuesByText[text, default: []].append(value!) } else { leftOutByText[text, default: 0] += 1 }
            }
            let order = listed + extra.values.sorted(by: Self.precedes).map(\.canonicalText)
            let levels = order.map { text in
                let values = valuesByText[text] ?? []
                return Level(
                    value: text, trialCount: values.count,
                    mean: values.isEmpty ? nil : sampleMeanAndVariance(values).mean,
                    interval: MeanInterval.studentT(values, level: level), leftOutCount: leftOutByText[text] ?? 0)
            }
            let measured = levels.filter { $0.mean != nil }
            // The first of equal means wins, so ties keep the listed order.
            let best = measured.reduce(nil as Level?) { best, level in
                guard let best else { return level }
                return (metric.maximize ? level.mean! > best.mean! : level.mean! < best.mean!) ? level : best
            }
            let worst = measured.reduce(nil as Level?) { worst, level in
                guard let worst else { return level }
                return (metric.maximize ? level.mean! < worst.mean! : level.mean! > worst.mean!) ? level : worst
            }
            let effect: Double? = measured.count >= 2 ? best!.mean! - worst!.mean! : nil
            effects.append(SettingEffect(
                setting: setting, levels: levels, bestLevel: best?.value, worstLevel: worst?.value,
                effect: effect, absentCount: absent, leftOutCount: levels.reduce(0) { $0 + $1.leftOutCount }))
        }
        // Settings without an effect (one value, or fewer than two with a mean) come last.
        settings = effects.sorted { first, second in
            let a = first.effect.map(abs) ?? -1, b = second.effect.map(abs) ?? -1
            return a != b ? a > b : first.setting < second.setting
        }
        continuousSettings = continuous
    }

    /// The main effects in a sweep's trials of its searched settings on its metric.
    public init(trials: [TrialRecord], spec: SweepSpec, level: Double = 0.95) {
        self.init(trials: trials, space: spec.space, metric: spec.metric, level: level)
    }

    /// The effect of one setting, by name.
    public func effect(of setting: String) -> SettingEffect? {
        settings.first { $0.setting == setting }
    }

    /// The order of values a spec does not list (a layer list's): numbers ascending, lists by
    /// length and then element by element, anything else by its text. The report's axes use it too.
    public static func precedes(_ first: JSONValue, _ second: JSONValue) -> Bool {
        switch (first, second) {
        case let (.number(a), .number(b)) where a != b:
            return a < b
        case let (.array(a), .array(b)) where a != b:
            if a.count != b.count { return a.count < b.count }
            for (x, y) in zip(a, b) where x != y { return precedes(x, y) }
            return false
        default:
            return first.canonicalText < second.canonicalText
        }
    }

    /// A setting's possible values as canonical text in the spec's order, or nil when it is drawn
    /// from a distribution. A layer list's values are whatever lists the trials hold (empty here).
    static func listedValues(of setting: String, in space: SearchSpace) -> [String]? {
        if let list = space.layerLists[setting] {
            let all = [list.depth] + list.widths
            return all.allSatisfy(\.parameter.isEnumerable) ? [] : nil
        }
        guard let dimension = space.dimension(named: setting), case .values(let values) = dimension.parameter else { return nil }
        return values.map(\.canonicalText)
    }
}
