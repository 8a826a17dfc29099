import CKernels

/// AdaGrad, PyTorch's `optim.Adagrad` (lr_decay 0, initial accumulator 0).
///
/// g = ∇ + λw; s ← s + g²; w ← w − η·g/(√s + ε), ε = 1e-10.
/// Duchi, Hazan & Singer, "Adaptive Subgradient Methods", JMLR 12, 2011.
public final class AdaGrad: Optimizer {
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
    }

    public func step() {
        // Indices rather than enumerated(): unspecialised (debug) generic iteration allocates a
        // coroutine frame per element, and a training step must allocate nothing.
        for index in parameters.indices {
            let parameter = parameters[index]
            sweep_adagrad_step(
                kernelPath.kernel, parameter.value.pointer, parameter.gradient.pointer, sums[index].pointer, parameter.count,
                learningRate, weightDecay, epsilon)
        }
    }
}
