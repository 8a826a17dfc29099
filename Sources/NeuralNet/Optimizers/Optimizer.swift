/// Updates parameters from their gradients (section 6 of the founding document). Each
/// optimizer owns one small state per parameter and follows PyTorch's update rule and defaults.
/// The learning rate is set from outside by a schedule, once per epoch.
public protocol Optimizer: AnyObject {
    var learningRate: Float { get set }
    /// Applies one update to every parameter from its current gradient.
    func step()
}

/// The optimizers a configuration can name.
public enum OptimizerKind: String, CaseIterable, Codable, Sendable, NamedChoice {
    public static let choiceKind = "optimizer"

    case sgd, momentum, adagrad, rmsprop, adam, adamw

    /// The options this optimizer takes, by PyTorch's keyword names (`OptimizerConfiguration`'s
    /// JSON keys): those `OptimizerConfiguration.makeOptimizer` passes it. A configuration that
    /// gives it another is refused when read, rather than trained without it.
    public var optionNames: [String] {
        switch self {
        case .sgd, .momentum: ["lr", "momentum", "dampening", "nesterov", "weight_decay"]
        case .adagrad: ["lr", "eps", "weight_decay"]
        case .rmsprop: ["lr", "alpha", "eps", "momentum", "weight_decay"]
        case .adam, .adamw: ["lr", "betas", "eps", "weight_decay"]
        }
    }
}

/// An optimizer and its options as a configuration names them, with PyTorch's keyword names in
/// JSON (`lr`, `momentum`, `dampening`, `nesterov`, `alpha`, `eps`, `betas`, `weight_decay`).
/// Options left out take PyTorch's defaults for that optimizer; `momentum` is SGD with
/// momentum 0.9 unless given.
public struct OptimizerConfiguration: Codable, Sendable, Hashable {
    public var kind: OptimizerKind
    public var learningRate: Float?
    public var momentum: Float?
    public var dampening: Float?
    public var nesterov: Bool?
    public var alpha: Float?
    public var epsilon: Float?
    public var betas: [Float]?
    public var weightDecay: Float?

    public init(
        kind: OptimizerKind, learningRate: Float? = nil, momentum: Float? = nil, dampening: Float? = nil,
        nesterov: Bool? = nil, alpha: Float? = nil, epsilon: Float? = nil, betas: [Float]? = nil,
        weightDecay: Float? = nil
    ) {
        self.kind = kind
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.alpha = alpha
        self.epsilon = epsilon
        self.betas = betas
        self.weightDecay = weightDecay
    }

    enum CodingKeys: String, CodingKey {
        case kind = "name", learningRate = "lr", momentum, dampening, nesterov, alpha
        case epsilon = "eps", betas, weightDecay = "weight_decay"
    }

    /// PyTorch's default learning rate for each optimizer (SGD's is 0.001 since PyTorch 2.2).
    public var defaultLearningRate: Float {
        switch kind {
        case .sgd, .momentum: 0.001
        case .adagrad: 0.01
        case .rmsprop: 0.01
        case .adam, .adamw: 0.001
        }
    }

    /// Checks every option against its allowed range.
    public func validate() throws(NeuralNetError) {
        if let rate = learningRate, !(rate > 0) || !rate.isFinite {
            throw .invalidValue(setting: "learning rate (lr)", value: "\(rate)", allowed: "must be a positive number")
        }
        if let value = momentum, !(value >= 0 && value < 1) {
            throw .invalidValue(setting: "momentum", value: "\(value)", allowed: "must be in [0, 1)")
        }
        if let value = dampening, !(value >= 0 && value <= 1) {
            throw .invalidValue(setting: "dampening", value: "\(value)", allowed: "must be in [0, 1]")
        }
        if nesterov == true {
            let effectiveMomentum = momentum ?? (kind == .momentum ? 0.9 : 0)
            if effectiveMomentum <= 0 || (dampening ?? 0) != 0 {
                throw .invalidValue(setting: "nesterov", value: "true", allowed: "needs momentum > 0 and dampening 0 (as in PyTorch)")
            }
        }
        if let value = alpha, !(value >= 0 && value < 1) {
            throw .invalidValue(setting: "alpha", value: "\(value)", allowed: "must be in [0, 1)")
        }
        if let value = epsilon, !(value > 0) {
            throw .invalidValue(setting: "eps", value: "\(value)", allowed: "must be positive")
        }
        if let betas {
            guard betas.count == 2, betas.allSatisfy({ $0 >= 0 && $0 < 1 }) else {
                throw .invalidValue(setting: "betas", value: "\(betas)", allowed: "must be two numbers in [0, 1)")
            }
        }
        if let value = weightDecay, !(value >= 0) || !value.isFinite {
            throw .invalidValue(setting: "weight_decay", value: "\(value)", allowed: "must be zero or positive")
        }
    }

    /// Builds the optimizer over `parameters`, its updates running on `kernelPath` (the network's).
    public func makeOptimizer(
        for parameters: [Parameter], kernelPath: KernelPath = .selected
    ) throws(NeuralNetError) -> any Optimizer {
        try validate()
        let rate = learningRate ?? defaultLearningRate
        let decay = weightDecay ?? (kind == .adamw ? 0.01 : 0)
        switch kind {
        case .sgd, .momentum:
            return SGD(
                parameters: parameters, learningRate: rate,
                momentum: momentum ?? (kind == .momentum ? 0.9 : 0),
                dampening: dampening ?? 0, nesterov: nesterov ?? false, weightDecay: decay, kernelPath: kernelPath)
        case .adagrad:
            return AdaGrad(
                parameters: parameters, learningRate: rate, epsilon: epsilon ?? 1e-10, weightDecay: decay,
                kernelPath: kernelPath)
        case .rmsprop:
            return RMSprop(
                parameters: parameters, learningRate: rate, alpha: alpha ?? 0.99, epsilon: epsilon ?? 1e-8,
                momentum: momentum ?? 0, weightDecay: decay, kernelPath: kernelPath)
        case .adam, .adamw:
            let pair = betas ?? [0.9, 0.999]
            return Adam(
                parameters: parameters, learningRate: rate, beta1: pair[0], beta2: pair[1],
                epsilon: epsilon ?? 1e-8, weightDecay: decay, decoupled: kind == .adamw, kernelPath: kernelPath)
        }
    }
}
