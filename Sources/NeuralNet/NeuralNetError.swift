/// Everything the engine refuses, with a message that says what is wrong and what is allowed.
public enum NeuralNetError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Matrix or parameter shapes that do not fit together.
    case shapeMismatch(String)
    /// A setting outside its allowed range: (setting, value given, what is allowed).
    case invalidValue(setting: String, value: String, allowed: String)
    /// A name that is not one of the known choices: (kind, name given, known names).
    case unknownName(kind: String, name: String, known: [String])
    /// BatchNorm1d in training mode on a batch of one row, which has no variance.
    case batchTooSmallForBatchNorm(layer: String)

    public var description: String {
        switch self {
        case .shapeMismatch(let message):
            return "shape mismatch: \(message)"
        case .invalidValue(let setting, let value, let allowed):
            return "invalid \(setting) \(value): \(allowed)"
        case .unknownName(let kind, let name, let known):
            return "unknown \(kind) '\(name)'; choose one of: \(known.joined(separator: ", "))"
        case .batchTooSmallForBatchNorm(let layer):
            return "\(layer) needs at least 2 rows per batch in training mode (a batch of one has no variance); "
                + "use a batch size of 2 or more, or switch the network to evaluation mode"
        }
    }
}

/// Throws `invalidValue` unless `value` (a width or count) is a positive integer.
func requirePositive(_ value: Int, _ setting: String) throws(NeuralNetError) {
    guard value > 0 else {
        throw .invalidValue(setting: setting, value: "\(value)", allowed: "must be a positive integer")
    }
}
