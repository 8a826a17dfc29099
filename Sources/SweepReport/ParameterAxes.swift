import Foundation
import SweepKit

/// The searched settings of a sweep as plot axes, and each trial's coordinate on them.
///
/// - A setting with listed values is categorical, its categories in the spec's order; values a
///   trial holds that the list lacks (an enqueued configuration's) are added after them.
/// - A layer list searched by depth and width (`hidden_layers`) is categorical too, over the
///   lists the trials hold, shortest first and then by width (as `leaderboard --effects` orders them).
/// - A distribution is a range, logarithmic for `log_uniform` and `int_log_uniform` (as it is
///   sampled), widened to any value a trial holds outside it.
struct ParameterAxes {
    let parameters: [ReportParameter]
    /// Per parameter of a categorical axis, the index of each value.
    private let categoryIndex: [[JSONValue: Int]]

    init(space: SearchSpace, trials: [TrialRecord]) {
        var parameters: [ReportParameter] = []
        var indices: [[JSONValue: Int]] = []
        let members: [[String: JSONValue]] = trials.map {
            if case .object(let members) = $0.plan.parameters { return members }
            return [:]
        }
        for name in space.settingNames {
            let held = members.compactMap { $0[name] }
            let conditional = held.count < trials.count
            if space.layerLists[name] != nil {
                let distinct = Array(Set(held)).sorted(by: Self.precedes)
                parameters.append(ReportParameter(name: name, kind: .categorical, labels: distinct.map(\.shortText), conditional: conditional))
                indices.append(Dictionary(uniqueKeysWithValues: distinct.enumerated().map { ($0.element, $0.offset) }))
                continue
            }
            guard let dimension = space.dimension(named: name) else { continue }
            switch dimension.parameter {
            case .values(let listed):
                var values = listed
                var index: [JSONValue: Int] = [:]
                for (offset, value) in listed.enumerated() where index[value] == nil { index[value] = offset }
                for value in Set(held).subtracting(index.keys).sorted(by: Self.precedes) {
                    index[value] = values.count
                    values.append(value)
                }
                parameters.append(ReportParameter(name: name, kind: .categorical, labels: values.map(\.shortText), conditional: conditional))
                indices.append(index)
            case .uniform(let low, let high), .logUniform(let low, let high), .quantizedUniform(let low, let high, _):
                parameters.append(Self.range(name, low, high, held, log: Self.isLogarithmic(dimension.parameter), conditional))
                indices.append([:])
            case .integerUniform(let low, let high), .integerLogUniform(let low, let high):
                parameters.append(Self.range(name, Double(low), Double(high), held, log: Self.isLogarithmic(dimension.parameter), conditional))
                indices.append([:])
            }
        }
        self.parameters = parameters
        categoryIndex = indices
    }

    /// A trial's coordinate on each axis: a category index or the number; nil where it does not
    /// carry the setting, or holds a value the axis cannot place.
    func coordinates(of trial: TrialRecord) -> [Double?] {
        guard case .object(let members) = trial.plan.parameters else { return parameters.map { _ in nil } }
        return parameters.enumerated().map { offset, parameter in
            guard let value = members[parameter.name] else { return nil }
            if parameter.kind == .categorical { return categoryIndex[offset][value].map(Double.init) }
            if case .number(let number) = value, number.isFinite { return number }
            return nil
        }
    }

    /// Numbers ascending, lists by length and then element by element, anything else by its
    /// text: the order `leaderboard --effects` lists values a spec does not.
    static func precedes(_ first: JSONValue, _ second: JSONValue) -> Bool {
        switch (first, second) {
        case let (.number(a), .number(b)) where a != b:
            return a < b
        case let (.array(a), .array(b)) where a != b:
            if a.count != b.count { return a.count < b.count }
            for (x, y) in zip(a, b) where x != y { return precedes(x, y) }
            return false
        default:
            return first.shortText < second.shortText
        }
    }

    private static func isLogarithmic(_ parameter: SearchParameter) -> Bool {
        switch parameter {
        case .logUniform, .integerLogUniform: true
        default: false
        }
    }

    private static func range(_ name: String, _ low: Double, _ high: Double, _ held: [JSONValue], log: Bool, _ conditional: Bool) -> ReportParameter {
        var minimum = low, maximum = high
        for case .number(let number) in held where number.isFinite && (!log || number > 0) {
            minimum = min(minimum, number)
            maximum = max(maximum, number)
        }
        return ReportParameter(name: name, kind: log ? .log : .linear, minimum: minimum, maximum: maximum, conditional: conditional)
    }
}
