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

    public init(
        parameters: [Parameter], learningRate: Float, momentum: Float = 0, dampening: Float = 0,
        nesterov: Bool = false, weightDecay: Float = 0
    ) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        velocities = momentum > 0 ? parameters.map { Matrix(rows: $0.value.rows, columns: $0.value.columns) } : []
    }

    public func step() {
        for (index, parameter) in parameters.enumerated() {
            let w = parameter.value.pointer, g = parameter.gradient.pointer, count = parameter.count
            let rate = learningRate, decay = weightDecay
            guard momentum > 0 else {
                for i in 0..<count { w[i] -= rate * (g[i] + decay * w[i]) }
                continue
            }
            let b = velocities[index].pointer
            let mu = momentum, keep = 1 - dampening
            for i in 0..<count {
                let gradient = g[i] + decay * w[i]
                let velocity = hasVelocity ? mu * b[i] + keep * gradient : gradient
                b[i] = velocity
                w[i] -= rate * (nesterov ? gradient + mu * velocity : velocity)
            }
        }
        hasVelocity = true
    }
}
