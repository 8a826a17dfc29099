import Foundation
import NeuralNet
import Testing
@testable import SweepKit

/// The canonical encoder writes what JSONEncoder writes with sorted keys and unescaped slashes,
/// byte for byte: the reference is JSONEncoder itself, on random values and on every kind of
/// value `Codable` can hand an encoder.
@Suite struct CanonicalJSONEncoderTests {
    private func reference<T: Encodable>(_ value: T, nonFinite: Bool = false) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        if nonFinite {
            encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "+inf", negativeInfinity: "-inf", nan: "nan")
        }
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    private let strings = CanonicalJSONEncoder.NonFiniteStrings(positiveInfinity: "+inf", negativeInfinity: "-inf", nan: "nan")

    /// Keys and strings with what needs escaping (quotes, backslashes, every control character),
    /// slashes, non-ASCII text, and keys that sort differently by bytes and by case or locale.
    private static let texts = [
        "", "a", "B", "b", "_", "a_b", "aB", "ab", "T_max", "total_iters", "é", "e\u{301}", "日本", "😀", "a/b", "\"", "\\",
        "\u{0}", "\u{1}", "\u{8}", "\u{9}", "\n", "\u{B}", "\u{C}", "\r", "\u{1F}", "\u{7F}", "line\nbreak\ttab", "10", "9", "k2", "k10",
    ]

    private func randomNumber(_ generator: inout SplitMix64) -> Double {
        switch generator.next() % 8 {
        case 0: return Double(Int64(bitPattern: generator.next()) % 1000)
        case 1: return Double(generator.next() % (1 << 60))  // whole numbers beyond 2^53
        case 2: return Double(bitPattern: generator.next())  // any finite bit pattern
        case 3: return Double(generator.next() % 1_000_000) / 1_000  // short decimals
        case 4: return -0.0
        case 5: return Double.leastNonzeroMagnitude * Double(generator.next() % 100)
        case 6: return pow(10, Double(Int(generator.next() % 40) - 20))
        default: return Double(generator.next() % 10_000) * 1e-7
        }
    }

    private func randomValue(_ generator: inout SplitMix64, depth: Int = 0) -> JSONValue {
        let choice = generator.next() % (depth > 3 ? 4 : 6)
        switch choice {
        case 0: return .null
        case 1: return .bool(generator.next() % 2 == 0)
        case 2:
            var number = randomNumber(&generator)
            while !number.isFinite { number = randomNumber(&generator) }
            return .number(number)
        case 3: return .string(Self.texts[Int(generator.next() % UInt64(Self.texts.count))] + (generator.next() % 2 == 0 ? "x" : ""))
        case 4: return .array((0..<Int(generator.next() % 5)).map { _ in randomValue(&generator, depth: depth + 1) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<Int(generator.next() % 6) {
                members[Self.texts[Int(generator.next() % UInt64(Self.texts.count))]] = randomValue(&generator, depth: depth + 1)
            }
            return .object(members)
        }
    }

    @Test func randomJSONValuesAreWrittenAsJSONEncoderWritesThem() throws {
        var generator = SplitMix64(seed: 11)
        for _ in 0..<3_000 {
            let value = randomValue(&generator)
            #expect(try CanonicalJSONEncoder().text(value) == (try reference(value)))
            #expect(value.canonicalText == (try reference(value)))
        }
    }

    /// Trials' configurations, with drawn learning rates and dropouts stored as 32-bit floats.
    @Test func trainingConfigurationsAreWrittenAsJSONEncoderWritesThem() throws {
        var generator = SplitMix64(seed: 5)
        let optimizers = ["sgd", "momentum", "adagrad", "rmsprop", "adam", "adamw"]
        let schedules: [JSONValue] = [
            .string("none"), .object(["name": .string("step"), "step_size": .number(10), "gamma": .number(0.5)]),
            .object(["name": .string("multistep"), "milestones": .array([.number(20), .number(30)]), "gamma": .number(0.3)]),
            .object(["name": .string("cosine"), "T_max": .number(50), "eta_min": .number(0.0001)]),
        ]
        for index in 0..<500 {
            var settings: [String: JSONValue] = [:]
            let data: [String: JSONValue] = [
                "source": .string("data/a b/\"quoted\".csv"), "folds": .number(Double(2 + index % 4)), "split_seed": .number(88),
            ]
            settings["data"] = .object(data)
            settings["hidden_layers"] = .array((0..<index % 4).map { _ in JSONValue.number(Double(1 + generator.next() % 512)) })
            let rate = pow(10, -4 + 3 * Double(generator.next() % 1_000_000) / 1_000_000)
            settings["optimizer"] = .object(["name": .string(optimizers[index % optimizers.count]), "lr": .number(rate)])
            settings["dropout"] = .number(Double(generator.next() % 900) / 1000)
            settings["schedule"] = schedules[index % schedules.count]
            settings["batch_norm"] = .bool(index % 2 == 0)
            settings["seed"] = .number(Double(generator.next() % (1 << 53)))
            if index % 3 == 0 { settings["patience"] = .number(5) }
            var problems: [ConfigurationProblem] = []
            let configuration = TrainingConfiguration.read(.object(settings), problems: &problems)
            #expect(problems.isEmpty, "\(problems)")
            #expect(configuration.canonicalJSON == (try reference(configuration)))
        }
    }

    private struct Empty: Codable, Equatable {}

    /// Asks for no container at all.
    private struct Silent: Encodable {
        func encode(to encoder: any Encoder) throws {}
    }

    /// What calls its encoder's super encoder, nested containers twice under one key, and
    /// the conditional and optional forms.
    private struct Unusual: Encodable {
        enum Keys: String, CodingKey { case nested, list, z, a }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            var first = container.nestedContainer(keyedBy: Keys.self, forKey: .nested)
            try first.encode(1, forKey: .z)
            var again = container.nestedContainer(keyedBy: Keys.self, forKey: .nested)
            try again.encode("two", forKey: .a)
            var list = container.nestedUnkeyedContainer(forKey: .list)
            try list.encode(Float(0.1))
            var inner = list.nestedUnkeyedContainer()
            try inner.encodeNil()
            try inner.encode(UInt8(255))
            var object = list.nestedContainer(keyedBy: Keys.self)
            try object.encodeIfPresent(Int?.none, forKey: .z)
            try object.encodeIfPresent(Int16?.some(-3), forKey: .a)
            try Empty().encode(to: list.superEncoder())
            try "super".encode(to: container.superEncoder())
            try 7.5.encode(to: container.superEncoder(forKey: .z))
        }
    }

    private struct EveryKind: Encodable {
        var int8 = Int8.min, int16 = Int16.max, int32 = Int32.min, int64 = Int64.max
        var uint = UInt.max, uint8 = UInt8.max, uint16 = UInt16.max, uint32 = UInt32.max, uint64 = UInt64.max
        var float = Float(1) / 3, tinyFloat = Float.leastNonzeroMagnitude, wholeFloat = Float(16_777_216), negativeZero = -0.0
        var double = 1.0 / 3, huge = 1e300, whole = 2.0, bool = false, string = "ü/\u{7}"
        var optionalNil: Double? = nil, optional: Int? = 4
        var strings = ["b", "a"], nested = [[1.5], [], [2]], byKey = ["z": 1, "a": 2, "m": 3], byInt = [10: "ten", 9: "nine"]
        var empty = Empty(), emptyList: [Empty] = [Empty(), Empty()], silent = Silent(), silentList = [Silent()]
        var data = Data([0, 1, 2, 250, 255]), url = URL(string: "https://example.com/a b?q=1")!, date = Date(timeIntervalSince1970: 1_234.5)
        var decimal = Decimal(string: "12.3400")!, unusual = Unusual()
    }

    @Test func everyKindOfValueIsWrittenAsJSONEncoderWritesIt() throws {
        #expect(try CanonicalJSONEncoder().text(EveryKind()) == (try reference(EveryKind())))
        for scalar in [Float(0.1), .leastNonzeroMagnitude, 3.4e38, 100, -0.0, 0.3] {
            #expect(try CanonicalJSONEncoder().text(scalar) == (try reference(scalar)))
        }
        #expect(try CanonicalJSONEncoder().text("top/level\u{0}") == (try reference("top/level\u{0}")))
        #expect(try CanonicalJSONEncoder().text([Empty()]) == (try reference([Empty()])))
    }

    @Test func nonFiniteFloatsThrowOrAreWrittenAsTheirStrings() throws {
        for value in [Double.nan, .infinity, -.infinity] {
            #expect(throws: EncodingError.self) { try CanonicalJSONEncoder().text([value]) }
            #expect(throws: EncodingError.self) { try reference([value]) }
            #expect(try CanonicalJSONEncoder(nonFinite: strings).text(["v": value]) == (try reference(["v": value], nonFinite: true)))
            #expect(try CanonicalJSONEncoder(nonFinite: strings).text(Float(value)) == (try reference(Float(value), nonFinite: true)))
        }
    }

    @Test func aValueThatEncodesNothingThrowsAtTheTopAsJSONEncoderDoes() {
        #expect(throws: EncodingError.self) { try CanonicalJSONEncoder().text(Silent()) }
        #expect(throws: EncodingError.self) { try reference(Silent()) }
    }
}
