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
public final class Adam: WeightUpdateDuringBackward {
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
        updated = UpdatedDuringBackward(count: parameters.count)
    }

    public func step() {
        beginStep()
        finishStep()
    }

    /// This step's scalars, set by `beginStep`.
    private var stepSize: Float = 0
    private var inverseRootCorrection2: Float = 0
    private var l2: Float = 0
    private var shrink: Float = 1
    /// Which parameters `updateWeight` has updated this step.
    private var updated: UpdatedDuringBackward

    public func beginStep() {
        stepCount += 1
        // Bias corrections in double precision, as PyTorch computes them in Python floats.
        let correction1 = 1 - Foundation.pow(Double(beta1), Double(stepCount))
        let correction2 = 1 - Foundation.pow(Double(beta2), Double(stepCount))
        stepSize = Float(Double(learningRate) / correction1)
        inverseRootCorrection2 = Float(1 / correction2.squareRoot())
        l2 = decoupled ? 0 : weightDecay
        shrink = decoupled ? 1 - learningRate * weightDecay : 1
    }

    public func updateWeight(_ weight: Parameter, outputGradient: Matrix, input: Matrix, workspace: GemmWorkspace) -> Bool {
        guard let index = updated.claim(
            weight, in: parameters, kernelPath: kernelPath, workspace: workspace, outputGradient: outputGradient, input: input)
        else { return false }
        let value = weight.value
        sweep_weight_gradient_adam(
            kernelPath.kernel, Int32(value.rows), Int32(value.columns), Int32(input.rows), outputGradient.pointer,
            Int32(outputGradient.columns), input.pointer, Int32(input.columns), weight.gradient.pointer, value.pointer,
            firstMoments[index].pointer, secondMoments[index].pointer, beta1, beta2, stepSize, inverseRootCorrection2,
            epsilon, l2, shrink, workspace.pointer)
        return true
    }

    public func finishStep() {
        // Indices rather than enumerated(): unspecialised (debug) generic iteration allocates a
        // coroutine frame per element, and a training step must allocate nothing.
        for index in parameters.indices {
            if updated.take(index) { continue }
            let parameter = parameters[index]
            sweep_adam_step(
                kernelPath.kernel, parameter.value.pointer, parameter.gradient.pointer, firstMoments[index].pointer,
                secondMoments[index].pointer, parameter.count, beta1, beta2, stepSize, inverseRootCorrection2,
                epsilon, l2, shrink)
        }
    }
}
