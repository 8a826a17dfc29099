import Foundation
import SweepKit

/// The searched settings of a sweep as plot axes, and each trial's coordinate on them.
///
/// - A setting with listed values is categorical, its categories in the spec's order; values a
///   trial holds that the list lacks (an enqueued configuration's) are added after them.
/// - A layer list searched by depth and width (`hidden_layers`) is two axes: its depth, over the
///   depths the trials hold, and its width, the geometric mean of the layers' widths on a log
///   range. As one categorical axis of every list, a sweep of hundreds of lists was unreadable.
/// - A distribution is a range, logarithmic for `log_uniform` and `int_log_uniform` (as it is
///   sampled), widened to any value a trial holds outside it.
struct ParameterAxes {
    let parameters: [ReportParameter]
    /// Per parameter, a trial's coordinate from its settings: a category index or the number.
    private let coordinate: [([String: JSONValue]) -> Double?]

    init(space: SearchSpace, trials: [TrialRecord]) {
        var parameters: [ReportParameter] = []
        var coordinate: [([String: JSONValue]) -> Double?] = []
        /// A categorical axis: the index of each value.
        func categories(_ index: [JSONValue: Int], of name: String) -> ([String: JSONValue]) -> Double? {
            { members in members[name].flatMap { index[$0] }.map(Double.init) }
        }
        let members: [[String: JSONValue]] = trials.map {
            if case .object(let members) = $0.plan.parameters { return members }
            return [:]
        }
        for name in space.settingNames {
            let held = members.compactMap { $0[name] }
            let conditional = held.count < trials.count
            if space.layerLists[name] != nil {
                let depths = Array(Set(held.compactMap { Self.widths($0)?.count })).sorted()
                let depthIndex = Dictionary(uniqueKeysWithValues: depths.enumerated().map { ($0.element, $0.offset) })
                parameters.append(ReportParameter(name: name + " depth", kind: .categorical, labels: depths.map(String.init), conditional: conditional))
                coordinate.append { members in members[name].flatMap(Self.widths).flatMap { depthIndex[$0.count] }.map(Double.init) }
                let means = held.compactMap { Self.widths($0).flatMap(Self.geometricMean) }
                parameters.append(ReportParameter(
                    name: name + " width", kind: .log, minimum: means.min() ?? 1, maximum: means.max() ?? 1, conditional: conditional))
                coordinate.append { members in members[name].flatMap(Self.widths).flatMap(Self.geometricMean) }
                continue
            }
            guard let dimension = space.dimension(named: name) else { continue }
            switch dimension.parameter {
            case .values(let listed):
                var values = listed
                var index: [JSONValue: Int] = [:]
                for (offset, value) in listed.enumerated() where index[value] == nil { index[value] = offset }
                for value in Set(held).subtracting(index.keys).sorted(by: MainEffects.precedes) {
                    index[value] = values.count
                    values.append(value)
                }
                parameters.append(ReportParameter(name: name, kind: .categorical, labels: values.map(\.shortText), conditional: conditional))
                coordinate.append(categories(index, of: name))
            case .uniform(let low, let high), .logUniform(let low, let high), .quantizedUniform(let low, let high, _):
                parameters.append(Self.range(name, low, high, held, log: Self.isLogarithmic(dimension.parameter), conditional))
                coordinate.append(Self.number(of: name))
            case .integerUniform(let low, let high), .integerLogUniform(let low, let high):
                parameters.append(Self.range(name, Double(low), Double(high), held, log: Self.isLogarithmic(dimension.parameter), conditional))
                coordinate.append(Self.number(of: name))
            }
        }
        self.parameters = parameters
        self.coordinate = coordinate
    }

    private static func number(of name: String) -> ([String: JSONValue]) -> Double? {
        { members in
            if case .number(let number) = members[name], number.isFinite { return number }
            return nil
        }
    }

    /// A layer list's widths; nil unless it is a list of positive numbers.
    private static func widths(_ value: JSONValue) -> [Double]? {
        guard case .array(let items) = value else { return nil }
        let widths = items.compactMap { item -> Double? in
            if case .number(let width) = item, width > 0, width.isFinite { return width }
            return nil
        }
        return widths.count == items.count ? widths : nil
    }

    /// The geometric mean of the widths; nil for no layer (a linear model has no width).
    private static func geometricMean(_ widths: [Double]) -> Double? {
        widths.isEmpty ? nil : pow(widths.reduce(1, *), 1 / Double(widths.count))
    }

    /// A trial's coordinate on each axis: a category index or the number; nil where it does not
    /// carry the setting, or holds a value the axis cannot place.
    func coordinates(of trial: TrialRecord) -> [Double?] {
        guard case .object(let members) = trial.plan.parameters else { return parameters.map { _ in nil } }
        return coordinate.map { $0(members) }
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
