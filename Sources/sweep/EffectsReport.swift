import Foundation
import SweepKit

/// `sweep leaderboard --effects`: what each searched setting does to the metric. For a grid,
/// the main effects (each value's mean over the trials that took it, with its 95% t interval,
/// and the effect: best value's mean minus the worst's), the founding document's comparison
/// answered with numbers. For random and TPE sweeps, whose settings are not balanced, an
/// importance estimate (fANOVA over a random forest), labelled as such.
struct EffectsReport {
    let spec: SweepSpec
    let effects: MainEffects?
    let importance: ParameterImportance?

    init(trials: [TrialRecord], spec: SweepSpec) {
        self.spec = spec
        if spec.method == .grid {
            effects = MainEffects(trials: trials, spec: spec)
            importance = nil
        } else {
            effects = nil
            importance = ParameterImportance(trials: trials, spec: spec)
        }
    }

    private var metric: String { spec.metric.name.rawValue }

    /// A value's canonical JSON, shortened as the leaderboard shows it.
    private func shown(_ canonical: String) -> String {
        (try? JSONValue.parse(Data(canonical.utf8), source: "value"))?.shortText ?? canonical
    }

    func text() -> String {
        if let effects {
            var lines = ["main effects on \(metric) (\(spec.metric.maximize ? "higher" : "lower") is better), mean over the complete trials with each value, 95% t interval"]
            for setting in effects.settings {
                let effect = setting.effect.map { String(format: "%+.4f", $0) } ?? "-"
                var heading = setting.levels.count == 1
                    ? "\n\(setting.setting): one value, nothing to compare"
                    : "\n\(setting.setting): effect \(effect) (best \(setting.bestLevel.map(shown) ?? "-") over worst \(setting.worstLevel.map(shown) ?? "-"))"
                if setting.absentCount > 0 { heading += "; absent in \(setting.absentCount) trials" }
                if setting.leftOutCount > 0 { heading += "; \(setting.leftOutCount) trials without a finite metric left out" }
                lines.append(heading)
                let rows = setting.levels.map { level -> [String] in
                    [
                        "  " + shown(level.value), String(level.trialCount), format(level.mean),
                        level.interval.map { "\(format($0.lower)) … \(format($0.upper))" } ?? "-",
                    ]
                }
                lines += aligned([["  value", "trials", "mean", "95% interval"]] + rows)
            }
            if !effects.continuousSettings.isEmpty {
                lines.append("\nno main effect for settings drawn from a distribution: \(effects.continuousSettings.joined(separator: ", "))")
            }
            return lines.joined(separator: "\n")
        }
        guard let importance else {
            return "no importance estimate: it needs at least two complete trials whose \(metric) differs"
        }
        var lines = [
            "importance of each setting for \(metric) by \(ParameterImportance.methodName), over \(importance.trialCount) complete trials"
                + (importance.leftOutCount > 0 ? " (\(importance.leftOutCount) without a finite metric left out)" : ""),
            "(the share of the metric's variance each setting explains on its own, normalised to sum to 1; the settings alone explain \(Int((importance.mainEffectShare * 100).rounded()))% of it)",
            "",
        ]
        let rows = importance.settings.map { setting in
            [setting.setting, String(format: "%.3f", setting.importance), String(repeating: "█", count: Int((setting.importance * 40).rounded()))]
        }
        lines += aligned([["setting", "importance", ""]] + rows)
        return lines.joined(separator: "\n")
    }

    func csv() -> String {
        var rows: [[String]]
        if let effects {
            rows = [["setting", "value", "trials", "mean", "ci95_lower", "ci95_upper", "effect"]]
            for setting in effects.settings {
                for level in setting.levels {
                    rows.append([
                        setting.setting, level.value, String(level.trialCount), format(level.mean),
                        format(level.interval?.lower), format(level.interval?.upper), format(setting.effect),
                    ])
                }
            }
        } else {
            rows = [["setting", "importance"]] + (importance?.settings ?? []).map { [$0.setting, String($0.importance)] }
        }
        func quote(_ cell: String) -> String {
            cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : cell
        }
        return rows.map { $0.map(quote).joined(separator: ",") }.joined(separator: "\n") + "\n"
    }

    func json(sweep: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        struct Document: Encodable {
            var sweep: String
            var mainEffects: MainEffects?
            var importance: ParameterImportance?
            enum CodingKeys: String, CodingKey { case sweep, mainEffects = "main_effects", importance }
        }
        let data = try? encoder.encode(Document(sweep: sweep, mainEffects: effects, importance: importance))
        return data.map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
