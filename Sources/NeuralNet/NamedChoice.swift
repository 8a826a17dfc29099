/// A fixed set of choices named by strings (activations, losses, optimizers): one enum serves
/// the CLI, the JSON and SQLite, and an unknown name is refused with the list of known ones,
/// whether it comes from code or from decoding.
public protocol NamedChoice: RawRepresentable, CaseIterable where RawValue == String {
    /// What the choice is called in messages: "activation", "loss", ...
    static var choiceKind: String { get }
}

extension NamedChoice {
    public init(validating name: String) throws(NeuralNetError) {
        guard let value = Self(rawValue: name) else {
            throw .unknownName(kind: Self.choiceKind, name: name, known: Self.allCases.map(\.rawValue))
        }
        self = value
    }
}

extension NamedChoice where Self: Decodable {
    /// Decodes a name, refusing an unknown one with the list of known names.
    public init(from decoder: any Decoder) throws {
        self = try Self(validating: decoder.singleValueContainer().decode(String.self))
    }
}
