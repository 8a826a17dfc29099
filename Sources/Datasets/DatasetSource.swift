extension Dataset {
    /// The built-in dataset names, as written after `builtin:`.
    public static let builtinNames = [PhonePriceGenerator.builtinName]

    /// Loads a dataset from a source string: a CSV path, or a built-in name.
    ///
    /// Built-ins read `builtin:<name>` with an optional query, e.g.
    /// `builtin:phone-price?rows=2000&seed=7`; `rows` and `seed` are the generator's parameters.
    ///
    /// - Parameters:
    ///   - source: a file path, or `builtin:` followed by one of `builtinNames`.
    ///   - target: the target column; `nil` means the last column of a file, or the built-in's
    ///     own target. Naming another column of a built-in makes it the target and turns the
    ///     usual target into a feature.
    /// - Throws: the `CSVLoader` errors for a file; `DatasetError.unknownBuiltin`,
    ///   `.unknownBuiltinParameter`, `.invalidBuiltinParameter` or the generator's error for a
    ///   built-in; `.unknownTargetColumn` for a target the data does not have.
    ///   - requiringFeatures: whether a file of one column, the target alone, is refused; see
    ///     `CSVLoader.load`.
    public static func load(source: String, target: String? = nil, requiringFeatures: Bool = true) throws(DatasetError) -> Dataset {
        let prefix = "builtin:"
        guard source.hasPrefix(prefix) else {
            return try load(csvAt: source, target: target, requiringFeatures: requiringFeatures)
        }
        let reference = source.dropFirst(prefix.count)
        let parts = reference.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let name = String(parts.first ?? "")
        let query = parts.count > 1 ? String(parts[1]) : ""

        guard name == PhonePriceGenerator.builtinName else {
            throw .unknownBuiltin(name: name, available: builtinNames)
        }
        var generator = PhonePriceGenerator()
        var seen: Set<String> = []
        for pair in query.split(separator: "&") {
            let keyAndValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(keyAndValue[0])
            let value = keyAndValue.count > 1 ? String(keyAndValue[1]) : ""
            guard seen.insert(key).inserted else {
                throw .repeatedBuiltinParameter(source: source, parameter: key)
            }
            switch key {
            case "rows":
                guard let rows = Int(value) else {
                    throw .invalidBuiltinParameter(
                        source: source, parameter: key, value: value,
                        expected: "a whole number of rows that is a multiple of 4, from 8 to \(grouped(PhonePriceGenerator.maximumRowCount))")
                }
                generator.rowCount = rows
            case "seed":
                guard let seed = UInt64(value) else {
                    throw .invalidBuiltinParameter(
                        source: source, parameter: key, value: value,
                        expected: "a non-negative whole number below 2^64")
                }
                generator.seed = seed
            default:
                throw .unknownBuiltinParameter(source: source, parameter: key, allowed: ["rows", "seed"])
            }
        }
        let dataset = try generator.make()
        guard let target else { return dataset }
        return try dataset.retargeted(to: target)
    }
}
