import Foundation

/// How a Linear layer's weight (and bias) start (section 3 of the founding document), with
/// `torch.nn.init` semantics. fan_in = input width, fan_out = output width.
///
/// - zeros, ones, constant(v): every weight the same (does not break symmetry).
/// - uniform(a, b): U(a, b). normal(mean, std): N(mean, std²).
/// - kaiming_normal: N(0, (gain/√fan_in)²); kaiming_uniform: U(±gain·√(3/fan_in)); gain from the
///   activation (relu √2, leaky_relu √(2/(1+slope²))). He et al., ICCV 2015.
/// - xavier_normal: N(0, (g·√(2/(fan_in+fan_out)))²); xavier_uniform: U(±g·√(6/(fan_in+fan_out))),
///   g the `gain` option (default 1). Glorot & Bengio, AISTATS 2010.
/// - pytorch_default: what `nn.Linear` does when nothing is named: weight kaiming_uniform with
///   a = √5, i.e. U(±1/√fan_in), and bias U(±1/√fan_in).
///
/// Biases start at zero except under `pytorchDefault`.
///
/// In JSON an initialiser is a name (`"kaiming_normal"`) or an object with PyTorch's keyword
/// names: `{"name": "uniform", "a": -0.1, "b": 0.1}`, `{"name": "normal", "mean": 0, "std": 0.01}`,
/// `{"name": "constant", "val": 0.5}`, `{"name": "xavier_uniform", "gain": 1.0}`.
public enum Initializer: Sendable, Hashable {
    case pytorchDefault
    case zeros
    case ones
    case constant(Float)
    case uniform(lower: Float, upper: Float)
    case normal(mean: Float, standardDeviation: Float)
    case kaimingNormal
    case kaimingUniform
    case xavierNormal(gain: Float)
    case xavierUniform(gain: Float)

    public static let names = [
        "pytorch_default", "zeros", "ones", "constant", "uniform", "normal",
        "kaiming_normal", "kaiming_uniform", "xavier_normal", "xavier_uniform",
    ]

    public var name: String {
        switch self {
        case .pytorchDefault: "pytorch_default"
        case .zeros: "zeros"
        case .ones: "ones"
        case .constant: "constant"
        case .uniform: "uniform"
        case .normal: "normal"
        case .kaimingNormal: "kaiming_normal"
        case .kaimingUniform: "kaiming_uniform"
        case .xavierNormal: "xavier_normal"
        case .xavierUniform: "xavier_uniform"
        }
    }

    /// The initialiser a bare name stands for, with PyTorch's default options.
    public init(name: String) throws(NeuralNetError) {
        switch name {
        case "pytorch_default", "default": self = .pytorchDefault
        case "zeros": self = .zeros
        case "ones": self = .ones
        case "constant": self = .constant(0)
        case "uniform": self = .uniform(lower: 0, upper: 1)
        case "normal": self = .normal(mean: 0, standardDeviation: 1)
        case "kaiming_normal", "he_normal": self = .kaimingNormal
        case "kaiming_uniform", "he_uniform": self = .kaimingUniform
        case "xavier_normal", "glorot_normal": self = .xavierNormal(gain: 1)
        case "xavier_uniform", "glorot_uniform": self = .xavierUniform(gain: 1)
        default: throw .unknownName(kind: "initializer", name: name, known: Initializer.names)
        }
    }

    /// Checks the options: uniform needs a < b, normal and gains need positive spreads.
    public func validate() throws(NeuralNetError) {
        switch self {
        case .uniform(let lower, let upper) where !(lower < upper) || !lower.isFinite || !upper.isFinite:
            throw .invalidValue(setting: "uniform initializer bounds", value: "a=\(lower), b=\(upper)", allowed: "need finite a < b")
        case .normal(let mean, let deviation) where !(deviation > 0) || !mean.isFinite || !deviation.isFinite:
            throw .invalidValue(setting: "normal initializer std", value: "\(deviation)", allowed: "must be positive and finite")
        case .xavierNormal(let gain), .xavierUniform(let gain):
            if !(gain > 0) || !gain.isFinite {
                throw .invalidValue(setting: "xavier initializer gain", value: "\(gain)", allowed: "must be positive and finite")
            }
        case .constant(let value) where !value.isFinite:
            throw .invalidValue(setting: "constant initializer value", value: "\(value)", allowed: "must be finite")
        default:
            break
        }
    }

    /// Fills a Linear layer's weight [out, in] and bias [out]. `gain` is the activation's gain,
    /// used by the kaiming initialisers. Draws weight elements in storage order, then the bias.
    public func initialize(weight: Parameter, bias: Parameter, gain: Float, generator: inout SplitMix64) throws(NeuralNetError) {
        try validate()
        let fanOut = weight.shape[0]
        let fanIn = weight.shape.count > 1 ? weight.shape[1] : 1
        let w = weight.value.buffer
        switch self {
        case .pytorchDefault:
            let bound = 1 / Float(fanIn).squareRoot()
            fillUniform(w, lower: -bound, upper: bound, generator: &generator)
            fillUniform(bias.value.buffer, lower: -bound, upper: bound, generator: &generator)
            return
        case .zeros: w.update(repeating: 0)
        case .ones: w.update(repeating: 1)
        case .constant(let value): w.update(repeating: value)
        case .uniform(let lower, let upper): fillUniform(w, lower: lower, upper: upper, generator: &generator)
        case .normal(let mean, let deviation): fillNormal(w, mean: mean, standardDeviation: deviation, generator: &generator)
        case .kaimingNormal:
            fillNormal(w, mean: 0, standardDeviation: gain / Float(fanIn).squareRoot(), generator: &generator)
        case .kaimingUniform:
            let bound = gain * (3 / Float(fanIn)).squareRoot()
            fillUniform(w, lower: -bound, upper: bound, generator: &generator)
        case .xavierNormal(let xavierGain):
            let deviation = xavierGain * (2 / Float(fanIn + fanOut)).squareRoot()
            fillNormal(w, mean: 0, standardDeviation: deviation, generator: &generator)
        case .xavierUniform(let xavierGain):
            let bound = xavierGain * (6 / Float(fanIn + fanOut)).squareRoot()
            fillUniform(w, lower: -bound, upper: bound, generator: &generator)
        }
        bias.value.fill(0)
    }
}

private func fillUniform(_ values: UnsafeMutableBufferPointer<Float>, lower: Float, upper: Float, generator: inout SplitMix64) {
    let width = Double(upper) - Double(lower)
    for i in values.indices {
        values[i] = Float(Double(lower) + width * generator.nextUnitDouble())
    }
}

private func fillNormal(_ values: UnsafeMutableBufferPointer<Float>, mean: Float, standardDeviation: Float, generator: inout SplitMix64) {
    for i in values.indices {
        values[i] = Float(Double(mean) + Double(standardDeviation) * generator.nextStandardNormal())
    }
}

extension Initializer: Codable {
    private enum CodingKeys: String, CodingKey {
        case name, a, b, mean, std, val, gain
    }

    public init(from decoder: any Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let name = try? single.decode(String.self) {
            self = try Initializer(name: name)
            return
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let name = try container.decode(String.self, forKey: .name)
        let base = try Initializer(name: name)
        switch base {
        case .constant:
            self = .constant(try container.decodeIfPresent(Float.self, forKey: .val) ?? 0)
        case .uniform:
            self = .uniform(
                lower: try container.decodeIfPresent(Float.self, forKey: .a) ?? 0,
                upper: try container.decodeIfPresent(Float.self, forKey: .b) ?? 1)
        case .normal:
            self = .normal(
                mean: try container.decodeIfPresent(Float.self, forKey: .mean) ?? 0,
                standardDeviation: try container.decodeIfPresent(Float.self, forKey: .std) ?? 1)
        case .xavierNormal:
            self = .xavierNormal(gain: try container.decodeIfPresent(Float.self, forKey: .gain) ?? 1)
        case .xavierUniform:
            self = .xavierUniform(gain: try container.decodeIfPresent(Float.self, forKey: .gain) ?? 1)
        default:
            self = base
        }
        try validate()
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .constant(let value):
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(value, forKey: .val)
        case .uniform(let lower, let upper):
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(lower, forKey: .a)
            try container.encode(upper, forKey: .b)
        case .normal(let mean, let deviation):
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(mean, forKey: .mean)
            try container.encode(deviation, forKey: .std)
        case .xavierNormal(let gain) where gain != 1, .xavierUniform(let gain) where gain != 1:
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(gain, forKey: .gain)
        default:
            var container = encoder.singleValueContainer()
            try container.encode(name)
        }
    }
}
