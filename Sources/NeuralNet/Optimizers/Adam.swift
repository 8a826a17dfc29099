import CKernels
import Foundation

/// Adam and AdamW, PyTorch's `optim.Adam` and `optim.AdamW`.
///
/// Adam: g = ∇ + λw (L2); m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²;
/// w ← w − (η/(1−β₁ᵗ)) · m / (√v/√(1−β₂ᵗ) + ε).
/// AdamW (decoupled): w ← w(1 − ηλ) first, then the same step with g = ∇.
/// Defaults β = (0.9, 0.999), ε = 1e-8; AdamW's λ defaults to 0.01.
/// Kingma & Ba, "Adam", ICLR 2015; Loshchilov & Hutter, "Decoupled Weight Decay
/// Regularization", ICLR 2019.
public final class Adam: Optimizer {
    public var learningRate: Float
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    public let weightDecay: Float
    /// AdamW's decoupled weight decay instead of Adam's L2 term.
    public let decoupled: Bool
    private let parameters: [Parameter]
    private let firstMoments: [Matrix]
    private let secondMoments: [Matrix]
    public private(set) var stepCount = 0
    /// The instruction set the update runs on.
    public let kernelPath: KernelPath

    public init(
        parameters: [Parameter], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
        epsilon: Float = 1e-8, weightDecay: Float = 0, decoupled: Bool = false, kernelPath: KernelPath = .selected
    ) {
        self.parameters = parameters
        self.kernelPath = kernelPath
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupled = decoupled
        firstMoments = parameters.map { Matrix(rows: $0.value.rows, columns: $0.value.columns) }
        secondMoments = parameters.map { Matrix(rows: $0.value.rows, columns: $0.value.columns) }
    }

    public func step() {
        stepCount += 1
        // Bias corrections in double precision, as PyTorch computes them in Python floats.
        let correction1 = 1 - Foundation.pow(Double(beta1), Double(stepCount))
        let correction2 = 1 - Foundation.pow(Double(beta2), Double(stepCount))
        let stepSize = Float(Double(learningRate) / correction1)
        let inverseRootCorrection2 = Float(1 / correction2.squareRoot())
        let l2 = decoupled ? 0 : weightDecay
        let shrink = decoupled ? 1 - learningRate * weightDecay : 1
        // Indices rather than enumerated(): unspecialised (debug) generic iteration allocates a
        // coroutine frame per element, and a training step must allocate nothing.
        for index in parameters.indices {
            let parameter = parameters[index]
            sweep_adam_step(
                kernelPath.kernel, parameter.value.pointer, parameter.gradient.pointer, firstMoments[index].pointer,
                secondMoments[index].pointer, parameter.count, beta1, beta2, stepSize, inverseRootCorrection2,
                epsilon, l2, shrink)
        }
    }
}
