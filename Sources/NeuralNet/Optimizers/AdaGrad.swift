import CKernels

/// AdaGrad, PyTorch's `optim.Adagrad` (lr_decay 0, initial accumulator 0).
///
/// g = ∇ + λw; s ← s + g²; w ← w − η·g/(√s + ε), ε = 1e-10.
/// Duchi, Hazan & Singer, "Adaptive Subgradient Methods", JMLR 12, 2011.
public final class AdaGrad: WeightUpdateDuringBackward {
    public var learningRate: Float
    public let epsilon: Float
    public let weightDecay: Float
    private let parameters: [Parameter]
    private let sums: [Matrix]
    /// The instruction set the update runs on.
    public let kernelPath: KernelPath

    public init(
        parameters: [Parameter], learningRate: Float, epsilon: Float = 1e-10, weightDecay: Float = 0,
        kernelPath: KernelPath = .selected
    ) {
        self.parameters = parameters
        self.kernelPath = kernelPath
        self.learningRate = learningRate
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        sums = parameters.map { Matrix(rows: $0.value.rows, columns: $0.value.columns) }
        updated = UpdatedDuringBackward(count: parameters.count)
    }

    /// Which parameters `updateWeight` has updated this step.
    private var updated: UpdatedDuringBackward

    public func step() {
        beginStep()
        finishStep()
    }

    /// Adagrad's step has no scalars of its own to fix: the rate is set once per epoch.
    public func beginStep() {}

    public func updateWeight(_ weight: Parameter, outputGradient: Matrix, input: Matrix, workspace: GemmWorkspace) -> Bool {
        guard let index = updated.claim(
            weight, in: parameters, kernelPath: kernelPath, workspace: workspace, outputGradient: outputGradient, input: input)
        else { return false }
        let value = weight.value
        sweep_weight_gradient_adagrad(
            kernelPath.kernel, Int32(value.rows), Int32(value.columns), Int32(input.rows), outputGradient.pointer,
            Int32(outputGradient.columns), input.pointer, Int32(input.columns), weight.gradient.pointer, value.pointer,
            sums[index].pointer, learningRate, weightDecay, epsilon, workspace.pointer)
        return true
    }

    public func finishStep() {
        // Indices rather than enumerated(): unspecialised (debug) generic iteration allocates a
        // coroutine frame per element, and a training step must allocate nothing.
        for index in parameters.indices {
            if updated.take(index) { continue }
            let parameter = parameters[index]
            sweep_adagrad_step(
                kernelPath.kernel, parameter.value.pointer, parameter.gradient.pointer, sums[index].pointer, parameter.count,
                learningRate, weightDecay, epsilon)
        }
    }
}
