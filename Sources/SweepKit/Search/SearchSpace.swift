import Foundation
import NeuralNet

/// A trial's place in a search space: the coordinate of each dimension that applies to it (the
/// index into a list of values, or the number drawn). Dimensions that do not apply are absent.
public typealias SearchPoint = [String: Double]

/// One searched coordinate: a setting such as `lr`, or a part of one (`hidden_layers.depth`).
public struct SearchDimension: Sendable, Hashable {
    public let name: String
    public let parameter: SearchParameter
    /// The dimension applies only when every condition holds: it is Optuna's conditional
    /// parameter, asked for only on some branches of the objective.
    public let conditions: [Condition]
    /// Each listed value's first index: a trial's point is read back from its parameters with one
    /// lookup, not a scan of the list (a grid of 50,000 values compared every trial with every value).
    private let listedIndexes: [JSONValue: Int]

    public init(name: String, parameter: SearchParameter, conditions: [Condition] = []) {
        self.name = name
        self.parameter = parameter
        self.conditions = conditions
        if case .values(let values) = parameter {
            listedIndexes = Dictionary(zip(values, values.indices), uniquingKeysWith: { first, _ in first })
        } else {
            listedIndexes = [:]
        }
    }

    /// Whether a trial's parameters hold this dimension under its name: not a layer list's depth
    /// or one of its widths, whose names have a dot ("hidden_layers.width_2"). Compares bytes:
    /// Foundation's `contains(_: String)` went through NSString, half of a random trial's claim.
    public var isTopLevel: Bool { !name.utf8.contains(UInt8(ascii: ".")) }

    /// `parameter.coordinate(of:)`, with a listed value found by its hash.
    public func coordinate(of value: JSONValue) -> Double? {
        guard case .values = parameter else { return parameter.coordinate(of: value) }
        return listedIndexes[value].map(Double.init)
    }

    // The index follows from the parameter, so it takes no part in comparing dimensions.
    public static func == (left: SearchDimension, right: SearchDimension) -> Bool {
        left.name == right.name && left.parameter == right.parameter && left.conditions == right.conditions
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(parameter)
        hasher.combine(conditions)
    }
}

/// "Only when `parent` took one of these values", as coordinates of the parent.
public struct Condition: Sendable, Hashable {
    public let parent: String
    public let coordinates: Set<Double>

    public init(parent: String, coordinates: Set<Double>) {
        self.parent = parent
        self.coordinates = coordinates
    }
}

/// The searched settings of a sweep, as dimensions a sampler draws in order (parents before the
/// dimensions their conditions name), and the conversions between a point and the trial's
/// parameters as stored and shown (`{"lr": 0.01, "hidden_layers": [64, 32]}`).
///
/// Spec forms (`parameters` object):
/// - `"lr": {"distribution": "log_uniform", "min": 1e-4, "max": 0.1}` or `{"values": [...]}`;
/// - `"momentum": {"values": [0.8, 0.9], "when": {"optimizer": ["sgd", "momentum"]}}`: searched
///   only for trials whose optimizer is one of those (a name matches a `{"name": ...}` value too);
///   trials where it does not apply do not carry it, and take the fixed or default setting;
/// - `"hidden_layers": {"depth": {"values": [1, 2, 3]}, "width": {"distribution": "int_log_uniform",
///   "min": 16, "max": 256}}`: the depth, then each layer's width drawn on its own, as dimensions
///   `hidden_layers.depth` and `hidden_layers.width_1`, `width_2`, … (width i applies when the
///   depth is at least i).
public struct SearchSpace: Sendable, Hashable {
    /// Parents before children, otherwise in name order: the order of grid enumeration (the
    /// first dimension varies slowest) and of random draws.
    public let dimensions: [SearchDimension]
    /// Settings searched as a layer list (`hidden_layers`): their depth and width dimensions.
    public let layerLists: [String: LayerList]

    public struct LayerList: Sendable, Hashable {
        public let depth: SearchDimension
        /// Width dimension i − 1 applies to layer i.
        public let widths: [SearchDimension]
    }

    public static let empty = SearchSpace(dimensions: [], layerLists: [:])

    init(dimensions: [SearchDimension], layerLists: [String: LayerList]) {
        self.dimensions = dimensions
        self.layerLists = layerLists
    }

    /// The settings the space searches, as the trial parameters name them.
    public var settingNames: [String] {
        var names = Set(layerLists.keys)
        for dimension in dimensions where dimension.isTopLevel { names.insert(dimension.name) }
        return names.sorted()
    }

    public func dimension(named name: String) -> SearchDimension? {
        dimensions.first { $0.name == name }
    }

    /// Whether `dimension` applies to a point whose earlier dimensions are drawn.
    public func isActive(_ dimension: SearchDimension, in point: SearchPoint) -> Bool {
        dimension.conditions.allSatisfy { condition in
            point[condition.parent].map { condition.coordinates.contains($0) } ?? false
        }
    }

    /// The trial parameters of a point: each active dimension's value, layer lists assembled.
    public func parameters(for point: SearchPoint) -> [String: JSONValue] {
        var members: [String: JSONValue] = [:]
        for dimension in dimensions where dimension.isTopLevel {
            if let coordinate = point[dimension.name] { members[dimension.name] = dimension.parameter.value(at: coordinate) }
        }
        for (name, list) in layerLists {
            guard let depthCoordinate = point[list.depth.name],
                case .number(let depth) = list.depth.parameter.value(at: depthCoordinate)
            else { continue }
            let widths = list.widths.prefix(Int(depth)).compactMap { width in
                point[width.name].map { width.parameter.value(at: $0) }
            }
            members[name] = .array(widths)
        }
        return members
    }

    /// The point of stored trial parameters: the inverse of `parameters(for:)`. A value the space
    /// cannot take (an enqueued trial's, say) leaves its dimension, and those under it, out.
    public func point(of parameters: JSONValue) -> SearchPoint {
        guard case .object(let members) = parameters else { return [:] }
        var point: SearchPoint = [:]
        for dimension in dimensions where isActive(dimension, in: point) {
            if let list = layerLists.first(where: { $0.value.depth.name == dimension.name })?.value {
                guard case .array(let widths)? = members[String(dimension.name.prefix { $0 != "." })],
                    let depth = dimension.coordinate(of: .number(Double(widths.count)))
                else { continue }
                point[dimension.name] = depth
                for (width, value) in zip(list.widths, widths) {
                    if let coordinate = width.coordinate(of: value) { point[width.name] = coordinate }
                }
            } else if dimension.isTopLevel, let value = members[dimension.name],
                let coordinate = dimension.coordinate(of: value) {
                point[dimension.name] = coordinate
            }
        }
        return point
    }

    /// Every combination of listed values that the conditions allow, first dimension slowest; nil
    /// when a dimension is a distribution. Stops after `limit` combinations.
    public func gridPoints(limit: Int = .max) -> [SearchPoint]? {
        guard dimensions.allSatisfy(\.parameter.isEnumerable) else { return nil }
        var points: [SearchPoint] = []
        func extend(_ index: Int, _ point: SearchPoint) {
            guard points.count < limit else { return }
            guard index < dimensions.count else {
                points.append(point)
                return
            }
            let dimension = dimensions[index]
            guard isActive(dimension, in: point), let count = dimension.parameter.choiceCount else {
                extend(index + 1, point)
                return
            }
            for choice in 0..<count {
                var next = point
                next[dimension.name] = Double(choice)
                extend(index + 1, next)
            }
        }
        extend(0, [:])
        return points
    }

    /// One random draw: each active dimension in order from `generator`. With no conditions this
    /// is one draw per dimension in name order.
    public func randomPoint(using generator: inout SplitMix64, fixing fixed: SearchPoint = [:]) -> SearchPoint {
        var point: SearchPoint = [:]
        for dimension in dimensions where isActive(dimension, in: point) {
            let drawn = dimension.parameter.sampleCoordinate(using: &generator)
            point[dimension.name] = fixed[dimension.name] ?? drawn
        }
        return point
    }
}

// MARK: Reading a spec's parameters

extension SearchSpace {
    /// The `parameters` object of a spec. `enumerable`: a grid, whose every dimension must list
    /// its values. `settings` are the searchable setting names; `fixed`, the spec's fixed ones.
    static func read(
        _ value: JSONValue?, enumerable: Bool, settings: [String], fixed: [String: JSONValue],
        problems: inout [ConfigurationProblem]
    ) -> SearchSpace {
        guard let value else { return .empty }
        guard case .object(let members) = value else {
            problems.append(.init(path: "$.parameters", message: "must be an object mapping settings to {\"values\": [...]} or a distribution, got \(value.kindDescription)"))
            return .empty
        }
        var dimensions: [SearchDimension] = []
        var layerLists: [String: LayerList] = [:]
        var whens: [(name: String, when: JSONValue, path: String)] = []
        for key in members.keys.sorted() {
            let path = "$.parameters.\(key)"
            guard settings.contains(key) else {
                problems.append(.init(path: path, message: unsearchableMessage(key, settings: settings)))
                continue
            }
            let member = members[key]!
            // A conditional parameter may also be fixed: the fixed value is the setting of the
            // trials whose condition does not hold (linear models training longer, for one).
            if fixed[key] != nil, member["when"] == nil {
                problems.append(.init(path: path, message: "'\(key)' is both fixed and searched; remove it from one of them, or make the parameter conditional (\"when\") so that the fixed value applies where its condition does not hold"))
            }
            if let when = member["when"] { whens.append((key, when, "\(path).when")) }
            if key == "hidden_layers", member["depth"] != nil {
                if let list = readLayerList(member, path: path, problems: &problems) {
                    layerLists[key] = list
                    dimensions.append(list.depth)
                    dimensions += list.widths
                }
                continue
            }
            guard let parameter = SearchParameter.read(member, path: path, extraKeys: ["when"], problems: &problems) else { continue }
            dimensions.append(SearchDimension(name: key, parameter: parameter))
        }
        if enumerable {
            for dimension in dimensions where !dimension.parameter.isEnumerable {
                let path = specPath(of: dimension.name)
                if !problems.contains(where: { $0.path == path }) {
                    problems.append(.init(path: path, message: "a grid cannot enumerate a continuous distribution; list the values instead, e.g. {\"values\": [0.001, 0.01, 0.1]}, or use \"method\": \"random\" or \"tpe\""))
                }
            }
        }
        // Conditions, once every dimension is known.
        var conditionsByName: [String: [Condition]] = [:]
        for (name, when, path) in whens {
            conditionsByName[name] = readConditions(when, of: name, path: path, dimensions: dimensions, problems: &problems)
        }
        dimensions = dimensions.map { dimension in
            let owner = String(dimension.name.prefix { $0 != "." })
            // A layer list's condition applies to its depth; its widths follow the depth.
            guard let conditions = conditionsByName[owner], dimension.name == owner || dimension.name.hasSuffix(".depth") else { return dimension }
            return SearchDimension(name: dimension.name, parameter: dimension.parameter, conditions: dimension.conditions + conditions)
        }
        layerLists = layerLists.mapValues { list in
            LayerList(depth: dimensions.first { $0.name == list.depth.name }!, widths: list.widths)
        }
        guard let ordered = orderedParentsFirst(dimensions, problems: &problems) else { return .empty }
        return SearchSpace(dimensions: ordered, layerLists: layerLists)
    }

    /// The lists a new spec may not hold (`SearchParameter.listProblem(of:path:)`) in its
    /// `parameters` object, by the spec path of their parameter (`$.parameters.lr`,
    /// `$.parameters.hidden_layers.depth`). Read from the JSON, for the space keeps each listed
    /// value once.
    static func listProblems(in parameters: JSONValue?) -> [String: ConfigurationProblem] {
        guard case .object(let members)? = parameters else { return [:] }
        var found: [String: ConfigurationProblem] = [:]
        func check(_ parameter: JSONValue?, path: String) {
            guard case .array(let values)? = parameter?["values"],
                let problem = SearchParameter.listProblem(of: values, path: path + ".values")
            else { return }
            found[path] = problem
        }
        for (key, member) in members {
            if key == "hidden_layers", member["depth"] != nil {
                check(member["depth"], path: "$.parameters.\(key).depth")
                check(member["width"], path: "$.parameters.\(key).width")
            } else {
                check(member, path: "$.parameters.\(key)")
            }
        }
        return found
    }

    static func unsearchableMessage(_ key: String, settings: [String]) -> String {
        if key == "seed" {
            return "'seed' is not searched: every trial's seed derives from the sweep's seed; to train each configuration with several seeds, set \"repeats\" at the top level of the spec"
        }
        if key == "data" { return "'data' is not searchable; set data at the top level of the spec" }
        if key == "repeats" { return "'repeats' is not searchable; set it at the top level of the spec" }
        var message = "'\(key)' is not a searchable setting"
        if let suggestion = closestName(to: key, among: settings), suggestion != key { message += "; did you mean '\(suggestion)'?" }
        else { message += "; searchable settings: \(settings.joined(separator: ", "))" }
        return message
    }

    /// `{"depth": parameter, "width": parameter}`: the depth must take whole numbers from 0 to 16.
    private static func readLayerList(_ value: JSONValue, path: String, problems: inout [ConfigurationProblem]) -> LayerList? {
        guard var reader = ObjectReader(value, path: path, problems: &problems) else { return nil }
        _ = reader.value("when")
        defer { reader.reportUnknownKeys(known: ["depth", "width", "when"], problems: &problems) }
        let depthValue = reader.value("depth"), widthValue = reader.value("width")
        guard let widthValue else {
            problems.append(.init(path: reader.childPath("width"), message: "is required with depth: the width of each layer, e.g. {\"distribution\": \"int_log_uniform\", \"min\": 16, \"max\": 256}"))
            return nil
        }
        guard let depthValue, let depth = SearchParameter.read(depthValue, path: reader.childPath("depth"), problems: &problems),
            let width = SearchParameter.read(widthValue, path: reader.childPath("width"), problems: &problems)
        else { return nil }
        let depths: [Double]
        switch depth {
        case .values(let values):
            depths = values.compactMap { if case .number(let n) = $0 { n } else { nil } }
            if depths.count != values.count || depths.contains(where: { $0 != $0.rounded() }) {
                problems.append(.init(path: reader.childPath("depth"), message: "must list whole numbers of hidden layers, e.g. [1, 2, 3]"))
                return nil
            }
        case .integerUniform(let minimum, let maximum), .integerLogUniform(let minimum, let maximum):
            depths = [Double(minimum), Double(maximum)]
        default:
            problems.append(.init(path: reader.childPath("depth"), message: "must be {\"values\": [whole numbers]} or an int_uniform distribution"))
            return nil
        }
        guard let smallest = depths.min(), let largest = depths.max(), smallest >= 0, largest <= 16 else {
            problems.append(.init(path: reader.childPath("depth"), message: "a depth must be between 0 and 16 hidden layers"))
            return nil
        }
        let widthNumbers: [Double] = switch width {
        case .values(let values): values.map { if case .number(let n) = $0 { n } else { .nan } }
        case .integerUniform(let minimum, let maximum), .integerLogUniform(let minimum, let maximum): [Double(minimum), Double(maximum)]
        default: [.nan]
        }
        let widest = Double(TrainingConfiguration.maximumLayerWidth)
        if widthNumbers.contains(where: { !($0 == $0.rounded() && $0 >= 1 && $0 <= widest) }) {
            problems.append(.init(path: reader.childPath("width"), message: "widths must be whole numbers from 1 to \(TrainingConfiguration.maximumLayerWidth): listed values, int_uniform or int_log_uniform"))
            return nil
        }
        let name = String(path.dropFirst("$.parameters.".count))
        let depthDimension = SearchDimension(name: "\(name).depth", parameter: depth)
        let widths = (1...max(1, Int(largest))).map { layer in
            // Width i applies when the depth is at least i.
            let deep: Set<Double> = switch depth {
            case .values(let values):
                Set(values.indices.filter { index in
                    if case .number(let n) = values[index] { return Int(n) >= layer }
                    return false
                }.map(Double.init))
            default:
                Set(stride(from: Double(max(layer, Int(smallest))), through: largest, by: 1))
            }
            return SearchDimension(name: "\(name).width_\(layer)", parameter: width, conditions: [Condition(parent: depthDimension.name, coordinates: deep)])
        }
        return LayerList(depth: depthDimension, widths: Int(largest) == 0 ? [] : widths)
    }

    /// `{"parent": [values...], ...}`: every parent a searched setting with listed values (or
    /// whole numbers), every value one it can take.
    private static func readConditions(
        _ when: JSONValue, of name: String, path: String, dimensions: [SearchDimension], problems: inout [ConfigurationProblem]
    ) -> [Condition] {
        guard case .object(let members) = when, !members.isEmpty else {
            problems.append(.init(path: path, message: "must be an object naming the parameters it depends on, e.g. {\"optimizer\": [\"sgd\"]}"))
            return []
        }
        var conditions: [Condition] = []
        for parentName in members.keys.sorted() {
            let parentPath = "\(path).\(parentName)"
            guard parentName != name else {
                problems.append(.init(path: parentPath, message: "a parameter cannot depend on itself"))
                continue
            }
            guard let parent = dimensions.first(where: { $0.name == parentName }) else {
                let searched = dimensions.map(\.name).filter { !$0.contains("width_") && $0 != name }
                var message = "'\(parentName)' is not a searched parameter"
                if let suggestion = closestName(to: parentName, among: searched) { message += "; did you mean '\(suggestion)'?" }
                else if !searched.isEmpty { message += "; searched parameters: \(searched.joined(separator: ", "))" }
                problems.append(.init(path: parentPath, message: message))
                continue
            }
            let listed: [JSONValue]
            switch members[parentName]! {
            case .array(let values) where !values.isEmpty: listed = values
            case let single: listed = [single]
            }
            var coordinates = Set<Double>()
            for (index, value) in listed.enumerated() {
                let matches = matchingCoordinates(of: value, in: parent.parameter)
                if matches.isEmpty {
                    problems.append(.init(path: "\(parentPath)[\(index)]", message: "'\(parentName)' never takes \(value.shortText); it takes \(parent.parameter.summary)"))
                }
                coordinates.formUnion(matches)
            }
            conditions.append(Condition(parent: parentName, coordinates: coordinates))
        }
        return conditions
    }

    /// The parent coordinates a `when` value names: the equal listed value, every listed
    /// `{"name": value, ...}` for a bare name, or the whole number of an integer distribution.
    private static func matchingCoordinates(of value: JSONValue, in parameter: SearchParameter) -> Set<Double> {
        switch parameter {
        case .values(let values):
            return Set(values.indices.filter { index in
                values[index] == value
                    || (value.isString && values[index]["name"] == value)
            }.map(Double.init))
        case .integerUniform, .integerLogUniform:
            return parameter.coordinate(of: value).map { [$0] } ?? []
        default:
            return []
        }
    }

    /// Dimensions with every parent before its children, otherwise in name order; nil (with a
    /// problem) when conditions form a cycle.
    private static func orderedParentsFirst(_ dimensions: [SearchDimension], problems: inout [ConfigurationProblem]) -> [SearchDimension]? {
        var remaining = dimensions.sorted { naturallyOrdered($0.name, $1.name) }
        var placed: Set<String> = []
        var ordered: [SearchDimension] = []
        while !remaining.isEmpty {
            guard let next = remaining.firstIndex(where: { $0.conditions.allSatisfy { placed.contains($0.parent) } }) else {
                let names = remaining.map(\.name).joined(separator: ", ")
                problems.append(.init(path: "$.parameters", message: "the \"when\" conditions of \(names) depend on each other in a cycle; one of them must not depend on the others"))
                return nil
            }
            placed.insert(remaining[next].name)
            ordered.append(remaining.remove(at: next))
        }
        return ordered
    }
}

/// Where a dimension is written in the spec: `$.parameters.lr`, `$.parameters.hidden_layers.width`.
func specPath(of dimension: String) -> String {
    let owner = dimension.prefix { $0 != "." }
    if dimension.contains(".width_") { return "$.parameters.\(owner).width" }
    return "$.parameters.\(dimension)"
}

/// Name order, except that a trailing number counts as a number: `width_2` before `width_10`.
func naturallyOrdered(_ first: String, _ second: String) -> Bool {
    func split(_ name: String) -> (String, Int?) {
        let digits = name.reversed().prefix { $0.isNumber }
        guard !digits.isEmpty, let number = Int(String(digits.reversed())) else { return (name, nil) }
        return (String(name.dropLast(digits.count)), number)
    }
    let (firstStem, firstNumber) = split(first), (secondStem, secondNumber) = split(second)
    if firstStem == secondStem, let firstNumber, let secondNumber { return firstNumber < secondNumber }
    return first < second
}

extension JSONValue {
    var isString: Bool {
        if case .string = self { return true }
        return false
    }
}
