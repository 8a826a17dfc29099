import CKernels

/// RMSprop, PyTorch's `optim.RMSprop` (not centered).
///
/// g = ∇ + λw; v ← αv + (1−α)g²; without momentum w ← w − η·g/(√v + ε); with momentum μ:
/// b ← μb + g/(√v + ε), w ← w − ηb. Defaults α = 0.99, ε = 1e-8.
/// Tieleman & Hinton, Lecture 6.5, COURSERA: Neural Networks for Machine Learning, 2012.
public final class RMSprop: WeightUpdateDuringBackward {
    public var learningRate: Float
    public let alpha: Float
    public let epsilon: Float
    public let momentum: Float
    public let weightDecay: Float
    private let parameters: [Parameter]
    private let squareAverages: [Matrix]
    private let velocities: [Matrix]
    /// The instruction set the update runs on.
    public let kernelPath: KernelPath

    public init(
        parameters: [Parameter], learningRate: Float, alpha: Float = 0.99, epsilon: Float = 1e-8,
        momentum: Float = 0, weightDecay: Float = 0, kernelPath: KernelPath = .selected
    ) {
        self.parameters = parameters
        self.kernelPath = kernelPath
        self.learningRate = learningRate
        self.alpha = alpha
        self.epsilon = epsilon
        self.momentum = momentum
        self.weightDecay = weightDecay
        squareAverages = parameters.map { Matrix(rows: $0.value.rows, columns: $0.value.columns) }
        velocities = momentum > 0 ? parameters.map { Matrix(rows: $0.value.rows, columns: $0.value.columns) } : []
        updated = UpdatedDuringBackward(count: parameters.count)
    }

    /// Which parameters `updateWeight` has updated this step.
    private var updated: UpdatedDuringBackward

    public func step() {
        beginStep()
        finishStep()
    }

    /// RMSprop's step has no scalars of its own to fix: the rate is set once per epoch.
    public func beginStep() {}

    public func updateWeight(_ weight: Parameter, outputGradient: Matrix, input: Matrix, workspace: GemmWorkspace) -> Bool {
        guard let index = updated.claim(
            weight, in: parameters, kernelPath: kernelPath, workspace: workspace, outputGradient: outputGradient, input: input)
        else { return false }
        let value = weight.value
        sweep_weight_gradient_rmsprop(
            kernelPath.kernel, Int32(value.rows), Int32(value.columns), Int32(input.rows), outputGradient.pointer,
            Int32(outputGradient.columns), input.pointer, Int32(input.columns), weight.gradient.pointer, value.pointer,
            squareAverages[index].pointer, momentum > 0 ? velocities[index].pointer : nil, learningRate, weightDecay,
            alpha, epsilon, momentum, workspace.pointer)
        return true
    }

    public func finishStep() {
        // Indices rather than enumerated(): unspecialised (debug) generic iteration allocates a
        // coroutine frame per element, and a training step must allocate nothing.
        for index in parameters.indices {
            if updated.take(index) { continue }
            let parameter = parameters[index]
            sweep_rmsprop_step(
                kernelPath.kernel, parameter.value.pointer, parameter.gradient.pointer, squareAverages[index].pointer,
                momentum > 0 ? velocities[index].pointer : nil, parameter.count, learningRate, weightDecay, alpha,
                epsilon, momentum)
        }
    }
}
