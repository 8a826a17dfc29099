import CKernels

/// Stochastic gradient descent with optional momentum, PyTorch's `optim.SGD`.
///
/// g = ∇ + λw; with momentum μ: b₁ = g, bₜ = μbₜ₋₁ + (1−τ)g (τ = dampening); the step uses
/// g + μb (Nesterov) or b; w ← w − η·step. The founding document's exponential-moving-average
/// momentum sₜ = βsₜ₋₁ + (1−β)gₜ is dampening = momentum.
/// Sutskever et al., "On the importance of initialization and momentum", ICML 2013.
public final class SGD: Optimizer {
    public var learningRate: Float
    public let momentum: Float
    public let dampening: Float
    public let nesterov: Bool
    public let weightDecay: Float
    private let parameters: [Parameter]
    private let velocities: [Matrix]
    private var hasVelocity = false
    /// The instruction set the update runs on.
    public let kernelPath: KernelPath

    public init(
        parameters: [Parameter], learningRate: Float, momentum: Float = 0, dampening: Float = 0,
        nesterov: Bool = false, weightDecay: Float = 0, kernelPath: KernelPath = .selected
    ) {
        self.parameters = parameters
        self.kernelPath = kernelPath
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        velocities = momentum > 0 ? parameters.map { Matrix(rows: $0.value.rows, columns: $0.value.columns) } : []
    }

    public func step() {
        // Indices rather than enumerated(): unspecialised (debug) generic iteration allocates a
        // coroutine frame per element, and a training step must allocate nothing.
        for index in parameters.indices {
            let parameter = parameters[index]
            sweep_sgd_step(
                kernelPath.kernel, parameter.value.pointer, parameter.gradient.pointer, momentum > 0 ? velocities[index].pointer : nil,
                parameter.count, learningRate, weightDecay, momentum, 1 - dampening, hasVelocity ? 0 : 1, nesterov ? 1 : 0)
        }
        hasVelocity = true
    }
}
