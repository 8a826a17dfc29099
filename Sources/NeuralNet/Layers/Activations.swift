import CKernels
import Foundation

/// Hidden-layer nonlinearities (section 2 of the founding document). One String-backed enum
/// serves the CLI, the JSON specs and SQLite.
public enum Activation: String, CaseIterable, Codable, Sendable, NamedChoice {
    public static let choiceKind = "activation"

    case relu, sigmoid, tanh
    case leakyReLU = "leaky_relu"
    case prelu

    /// PyTorch's module name, used in summaries.
    public var moduleName: String {
        switch self {
        case .relu: "ReLU"
        case .sigmoid: "Sigmoid"
        case .tanh: "Tanh"
        case .leakyReLU: "LeakyReLU"
        case .prelu: "PReLU"
        }
    }

    /// `torch.nn.init.calculate_gain` for this nonlinearity: relu √2, leaky_relu √(2/(1+slope²)),
    /// tanh 5/3, sigmoid 1. PReLU uses its initial slope 0.25.
    public func gain(negativeSlope: Float) -> Float {
        switch self {
        case .relu: return Float(2).squareRoot()
        case .leakyReLU: return (2 / (1 + negativeSlope * negativeSlope)).squareRoot()
        case .prelu: return (2 / (1 + 0.25 * 0.25 as Float)).squareRoot()
        case .tanh: return 5.0 / 3.0
        case .sigmoid: return 1
        }
    }


}

/// What the output layer applies to the last Linear's z: softmax for several classes, sigmoid
/// for two, identity for regression. Losses that fuse it (cross-entropy, BCE with logits) take
/// z directly.
public enum OutputActivation: String, CaseIterable, Codable, Sendable, NamedChoice {
    public static let choiceKind = "output activation"

    case softmax, sigmoid, identity
    /// K ordered classes from one score and K−1 thresholds (`OrdinalThresholds`), whose
    /// probabilities `OrdinalProbabilities` gives.
    case ordinal


}

/// An element-wise activation without parameters: a = f(z).
///
/// - sigmoid: 1/(1+e⁻ᶻ), f' = a(1−a)
/// - tanh: f' = 1−a²
/// - relu: max(0, z), f' = 1 for z > 0 else 0 (PyTorch's choice at 0)
/// - leaky_relu: z for z > 0 else slope·z, f' = 1 or slope
/// - identity: z
public final class ElementwiseActivation: Layer {
    public enum Function: Sendable, Equatable {
        case sigmoid, tanh, relu, identity
        case leakyReLU(negativeSlope: Float)
    }

    public let function: Function
    public let inputWidth: Int
    public var outputWidth: Int { inputWidth }
    public let output: Matrix
    public let inputGradient: Matrix

    public init(_ function: Function, width: Int) throws(NeuralNetError) {
        try requirePositive(width, "activation width")
        self.function = function
        inputWidth = width
        output = Matrix(rows: 0, columns: width)
        inputGradient = Matrix(rows: 0, columns: width)
    }

    /// The negative slope of a ReLU (0) or leaky ReLU, whose forward and backward passes the
    /// Linear next to it can carry out in its own (`Linear.forward(_:context:through:slope:)`,
    /// `Linear.backward(_:outputGradient:context:through:slope:)`); nil for the other functions.
    public var rectifierSlope: Float? {
        switch function {
        case .relu: 0
        case .leakyReLU(let slope): slope
        case .sigmoid, .tanh, .identity: nil
        }
    }

    public var typeName: String {
        switch function {
        case .sigmoid: "Sigmoid"
        case .tanh: "Tanh"
        case .relu: "ReLU"
        case .identity: "Identity"
        case .leakyReLU: "LeakyReLU"
        }
    }

    public func forward(_ input: Matrix, context: ExecutionContext) throws(NeuralNetError) {
        try checkInput(input)
        output.resize(rows: input.rows)
        let z = input.pointer, a = output.pointer, count = input.count
        switch function {
        case .sigmoid:
            sweep_sigmoid_forward(context.kernel, z, a, count)
        case .tanh:
            sweep_tanh_forward(context.kernel, z, a, count)
        case .relu:
            sweep_leaky_relu_forward(context.kernel, z, a, count, 0)
        case .leakyReLU(let slope):
            sweep_leaky_relu_forward(context.kernel, z, a, count, slope)
        case .identity:
            a.update(from: z, count: count)
        }
    }

    /// Uses the output of the last `forward` (and `input` only for a leaky ReLU with a negative
    /// slope): a Linear that applied a ReLU in its own forward pass leaves the input unwritten.
    public func backward(_ input: Matrix, outputGradient: Matrix, context: ExecutionContext) {
        inputGradient.resize(rows: outputGradient.rows)
        let z = input.pointer, a = output.pointer, da = outputGradient.pointer
        let dz = inputGradient.pointer, count = outputGradient.count
        switch function {
        case .sigmoid:
            sweep_sigmoid_backward(context.kernel, a, da, dz, count)
        case .tanh:
            sweep_tanh_backward(context.kernel, a, da, dz, count)
        case .relu:
            // a > 0 exactly where z > 0.
            sweep_leaky_relu_backward(context.kernel, a, da, dz, count, 0)
        case .leakyReLU(let slope):
            sweep_leaky_relu_backward(context.kernel, slope >= 0 ? a : z, da, dz, count, slope)
        case .identity:
            dz.update(from: da, count: count)
        }
    }
}

/// PReLU with one learnable slope for the whole layer, PyTorch's `nn.PReLU()` (initial slope
/// 0.25): a = z for z > 0 else s·z; ∂z = ∂a or s·∂a; ∂s = Σ_{z≤0} ∂a·z.
/// He et al., "Delving Deep into Rectifiers", ICCV 2015.
public final class PReLU: Layer {
    public let typeName = "PReLU"
    public let inputWidth: Int
    public var outputWidth: Int { inputWidth }
    public let slope: Parameter
    public let output: Matrix
    public let inputGradient: Matrix

    public init(width: Int, initialSlope: Float = 0.25) throws(NeuralNetError) {
        try requirePositive(width, "PReLU width")
        inputWidth = width
        slope = Parameter(name: "weight", shape: [1])
        slope.value.fill(initialSlope)
        output = Matrix(rows: 0, columns: width)
        inputGradient = Matrix(rows: 0, columns: width)
    }

    public var parameters: [Parameter] { [slope] }

    public func forward(_ input: Matrix, context: ExecutionContext) throws(NeuralNetError) {
        try checkInput(input)
        output.resize(rows: input.rows)
        let s = slope.value.pointer[0]
        let z = input.pointer, a = output.pointer
        for i in 0..<input.count { a[i] = z[i] > 0 ? z[i] : s * z[i] }
    }

    public func backward(_ input: Matrix, outputGradient: Matrix, context: ExecutionContext) {
        inputGradient.resize(rows: input.rows)
        let s = slope.value.pointer[0]
        let z = input.pointer, da = outputGradient.pointer, dz = inputGradient.pointer
        var slopeGradient: Float = 0
        for i in 0..<input.count {
            if z[i] > 0 {
                dz[i] = da[i]
            } else {
                dz[i] = s * da[i]
                slopeGradient += da[i] * z[i]
            }
        }
        slope.gradient.pointer[0] = slopeGradient
    }
}

/// Row-wise softmax, aᵢ = e^{zᵢ−max z} / Σⱼ e^{zⱼ−max z}; ∂z = a ⊙ (∂a − Σ ∂a⊙a).
public final class Softmax: Layer {
    public let typeName = "Softmax"
    public let inputWidth: Int
    public var outputWidth: Int { inputWidth }
    public let output: Matrix
    public let inputGradient: Matrix

    public init(width: Int) throws(NeuralNetError) {
        try requirePositive(width, "softmax width")
        inputWidth = width
        output = Matrix(rows: 0, columns: width)
        inputGradient = Matrix(rows: 0, columns: width)
    }

    public func forward(_ input: Matrix, context: ExecutionContext) throws(NeuralNetError) {
        try checkInput(input)
        output.resize(rows: input.rows)
        for row in 0..<input.rows {
            softmaxRow(input.pointer + row * inputWidth, into: output.pointer + row * inputWidth, count: inputWidth)
        }
    }

    public func backward(_ input: Matrix, outputGradient: Matrix, context: ExecutionContext) {
        inputGradient.resize(rows: input.rows)
        for row in 0..<input.rows {
            let a = output.pointer + row * inputWidth
            let da = outputGradient.pointer + row * inputWidth
            let dz = inputGradient.pointer + row * inputWidth
            var dot: Float = 0
            for j in 0..<inputWidth { dot += da[j] * a[j] }
            for j in 0..<inputWidth { dz[j] = a[j] * (da[j] - dot) }
        }
    }
}

/// Stable softmax of one row; shared by the Softmax layer and cross-entropy.
@inline(__always)
func softmaxRow(_ z: UnsafePointer<Float>, into a: UnsafeMutablePointer<Float>, count: Int) {
    var largest = -Float.infinity
    for j in 0..<count { largest = max(largest, z[j]) }
    var total: Float = 0
    for j in 0..<count {
        a[j] = expf(z[j] - largest)
        total += a[j]
    }
    let scale = 1 / total
    for j in 0..<count { a[j] *= scale }
}

extension ElementwiseActivation {
    /// The layer for an output activation that is element-wise (sigmoid, identity).
    static func output(_ kind: OutputActivation, width: Int) throws(NeuralNetError) -> any Layer {
        switch kind {
        case .softmax: return try Softmax(width: width)
        case .sigmoid: return try ElementwiseActivation(.sigmoid, width: width)
        case .identity: return try ElementwiseActivation(.identity, width: width)
        case .ordinal: return try OrdinalProbabilities(classCount: width)
        }
    }
}
