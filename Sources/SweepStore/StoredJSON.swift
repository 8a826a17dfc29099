import Datasets
import Foundation
import NeuralNet
import SweepKit
import Synchronization

/// How both stores write JSON columns (the spec, parameters, model metadata) and read them back:
/// compact text with sorted keys, and the texts of values seen before kept, since encoding them
/// again for every trial was a large share of storing it.
enum StoredJSON {
    /// The JSON of each model column, kept for every value written: the trials of a sweep share
    /// their data's feature names, class labels and standardiser, and alternate between a few
    /// network shapes (with and without batch norm or dropout), and encoding them again for every
    /// trial cost about a tenth of storing it.
    final class ModelColumnTexts: Sendable {
        let network = Known<NetworkDescription>(allowingNonFinite: true)
        let featureNames = Known<[String]>(allowingNonFinite: true)
        let classLabels = Known<[String]>(allowingNonFinite: true)
        let standardizer = Known<Standardizer>(allowingNonFinite: true)
    }

    /// `text` of values seen before, kept (up to `capacity` of them): a trial's parameters
    /// are encoded when the sweep is planned and found here when the trial finishes, where
    /// JSONEncoder took about a quarter of storing it. A value not equal to itself (holding NaN)
    /// could never be found again, so it is not kept.
    final class Known<Value: Encodable & Hashable & Sendable>: Sendable {
        private let texts = Mutex<[Value: String]>([:])
        private let capacity = 100_000
        private let allowingNonFinite: Bool

        init(allowingNonFinite: Bool) { self.allowingNonFinite = allowingNonFinite }

        func text(_ value: Value) throws -> String {
            if let known = texts.withLock({ $0[value] }) { return known }
            let text = try StoredJSON.text(value, allowingNonFinite: allowingNonFinite)
            guard value == value else { return text }
            texts.withLock {
                if $0.count >= capacity { $0.removeAll() }
                $0[value] = text
            }
            return text
        }
    }

    /// Compact JSON with sorted keys, like `JSONValue.canonicalText`, but throwing rather than
    /// writing "null" for a value JSON cannot hold. In model columns non-finite floats (a
    /// standardiser fitted on broken data) are written as the strings "nan", "+inf" and "-inf"
    /// and read back as numbers; in `JSONValue`s they would read back as strings, so they throw.
    static func text(_ value: some Encodable, allowingNonFinite: Bool = true) throws -> String {
        let strings = CanonicalJSONEncoder.NonFiniteStrings(positiveInfinity: "+inf", negativeInfinity: "-inf", nan: "nan")
        return try CanonicalJSONEncoder(nonFinite: allowingNonFinite ? strings : nil).text(value)
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "+inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }
}
