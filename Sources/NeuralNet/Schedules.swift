import Foundation

/// Learning-rate schedules, stepped once per epoch: each is a pure function from the epoch
/// (0-based) and the base rate η₀ to the rate used during that epoch, matching PyTorch's
/// `lr_scheduler` classes with `scheduler.step()` called at the end of every epoch.
///
/// - none: η₀
/// - step (StepLR): η₀·γ^⌊e/step_size⌋
/// - multistep (MultiStepLR): η₀·γ^(number of milestones ≤ e)
/// - exponential (ExponentialLR): η₀·γᵉ
/// - cosine (CosineAnnealingLR): η_min + (η₀ − η_min)(1 + cos(πe/T_max))/2
/// - linear (LinearLR, linear warm-up): η₀·(s + (f − s)·min(e, n)/n), s = start_factor,
///   f = end_factor, n = total_iters
///
/// In JSON a schedule is `"none"` or an object with PyTorch's keyword names:
/// `{"name": "step", "step_size": 10, "gamma": 0.5}`, `{"name": "multistep", "milestones": [20, 40],
/// "gamma": 0.1}`, `{"name": "exponential", "gamma": 0.95}`, `{"name": "cosine", "T_max": 50,
/// "eta_min": 0}`, `{"name": "linear", "start_factor": 0.1, "total_iters": 5}`.
/// Loshchilov & Hutter, "SGDR", ICLR 2017 (cosine); Goyal et al., 2017 (warm-up).
public enum LearningRateSchedule: Sendable, Hashable {
    case none
    case step(stepSize: Int, gamma: Double)
    case multiStep(milestones: [Int], gamma: Double)
    case exponential(gamma: Double)
    case cosine(maximumEpochs: Int, minimumRate: Double)
    case linear(startFactor: Double, endFactor: Double, totalEpochs: Int)

    public static let names = ["none", "step", "multistep", "exponential", "cosine", "linear"]

    public var name: String {
        switch self {
        case .none: "none"
        case .step: "step"
        case .multiStep: "multistep"
        case .exponential: "exponential"
        case .cosine: "cosine"
        case .linear: "linear"
        }
    }

    /// The rate during `epoch` (0-based) for base rate `baseRate`.
    public func learningRate(epoch: Int, baseRate: Double) -> Double {
        switch self {
        case .none:
            return baseRate
        case .step(let stepSize, let gamma):
            return baseRate * Foundation.pow(gamma, Double(epoch / stepSize))
        case .multiStep(let milestones, let gamma):
            return baseRate * Foundation.pow(gamma, Double(milestones.filter { $0 <= epoch }.count))
        case .exponential(let gamma):
            return baseRate * Foundation.pow(gamma, Double(epoch))
        case .cosine(let maximumEpochs, let minimumRate):
            let phase = Double.pi * Double(epoch) / Double(maximumEpochs)
            return minimumRate + (baseRate - minimumRate) * (1 + Foundation.cos(phase)) / 2
        case .linear(let startFactor, let endFactor, let totalEpochs):
            let progress = Double(min(epoch, totalEpochs)) / Double(totalEpochs)
            return baseRate * (startFactor + (endFactor - startFactor) * progress)
        }
    }

    public func validate() throws(NeuralNetError) {
        func positiveGamma(_ gamma: Double) throws(NeuralNetError) {
            guard gamma > 0, gamma.isFinite else {
                throw .invalidValue(setting: "\(name) schedule gamma", value: "\(gamma)", allowed: "must be a positive number (usually below 1)")
            }
        }
        switch self {
        case .none:
            break
        case .step(let stepSize, let gamma):
            guard stepSize > 0 else {
                throw .invalidValue(setting: "step schedule step_size", value: "\(stepSize)", allowed: "must be a positive number of epochs")
            }
            try positiveGamma(gamma)
        case .multiStep(let milestones, let gamma):
            guard !milestones.isEmpty, milestones.allSatisfy({ $0 > 0 }), milestones == milestones.sorted() else {
                throw .invalidValue(setting: "multistep schedule milestones", value: "\(milestones)", allowed: "must be a non-empty increasing list of positive epochs")
            }
            try positiveGamma(gamma)
        case .exponential(let gamma):
            try positiveGamma(gamma)
        case .cosine(let maximumEpochs, let minimumRate):
            guard maximumEpochs > 0 else {
                throw .invalidValue(setting: "cosine schedule T_max", value: "\(maximumEpochs)", allowed: "must be a positive number of epochs")
            }
            guard minimumRate >= 0 else {
                throw .invalidValue(setting: "cosine schedule eta_min", value: "\(minimumRate)", allowed: "must be zero or positive")
            }
        case .linear(let startFactor, let endFactor, let totalEpochs):
            guard startFactor > 0, startFactor <= 1, endFactor >= 0, endFactor <= 1 else {
                throw .invalidValue(setting: "linear schedule factors", value: "start \(startFactor), end \(endFactor)", allowed: "start_factor in (0, 1], end_factor in [0, 1]")
            }
            guard totalEpochs > 0 else {
                throw .invalidValue(setting: "linear schedule total_iters", value: "\(totalEpochs)", allowed: "must be a positive number of epochs")
            }
        }
    }
}

extension LearningRateSchedule: Codable {
    private enum CodingKeys: String, CodingKey {
        case name, stepSize = "step_size", gamma, milestones, maximumEpochs = "T_max", minimumRate = "eta_min"
        case startFactor = "start_factor", endFactor = "end_factor", totalEpochs = "total_iters"
    }

    public init(from decoder: any Decoder) throws {
        let name: String
        let container: KeyedDecodingContainer<CodingKeys>?
        if let single = try? decoder.singleValueContainer(), let bare = try? single.decode(String.self) {
            name = bare
            container = nil
        } else {
            let keyed = try decoder.container(keyedBy: CodingKeys.self)
            name = try keyed.decode(String.self, forKey: .name)
            container = keyed
        }
        func value<T: Decodable>(_ key: CodingKeys, default fallback: T?) throws -> T {
            if let found = try container?.decodeIfPresent(T.self, forKey: key) { return found }
            if let fallback { return fallback }
            throw DecodingError.keyNotFound(
                key, .init(codingPath: decoder.codingPath, debugDescription: "the \(name) schedule needs '\(key.stringValue)'"))
        }
        switch name {
        case "none", "constant": self = .none
        case "step", "StepLR":
            self = .step(stepSize: try value(.stepSize, default: nil as Int?), gamma: try value(.gamma, default: 0.1))
        case "multistep", "MultiStepLR":
            self = .multiStep(milestones: try value(.milestones, default: nil as [Int]?), gamma: try value(.gamma, default: 0.1))
        case "exponential", "ExponentialLR":
            self = .exponential(gamma: try value(.gamma, default: nil as Double?))
        case "cosine", "CosineAnnealingLR":
            self = .cosine(maximumEpochs: try value(.maximumEpochs, default: nil as Int?), minimumRate: try value(.minimumRate, default: 0.0))
        case "linear", "LinearLR", "warmup":
            self = .linear(
                startFactor: try value(.startFactor, default: 1.0 / 3.0), endFactor: try value(.endFactor, default: 1.0),
                totalEpochs: try value(.totalEpochs, default: 5))
        default:
            throw NeuralNetError.unknownName(kind: "learning-rate schedule", name: name, known: LearningRateSchedule.names)
        }
        try validate()
    }

    public func encode(to encoder: any Encoder) throws {
        if case .none = self {
            var single = encoder.singleValueContainer()
            try single.encode("none")
            return
        }
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        switch self {
        case .none: break
        case .step(let stepSize, let gamma):
            try container.encode(stepSize, forKey: .stepSize)
            try container.encode(gamma, forKey: .gamma)
        case .multiStep(let milestones, let gamma):
            try container.encode(milestones, forKey: .milestones)
            try container.encode(gamma, forKey: .gamma)
        case .exponential(let gamma):
            try container.encode(gamma, forKey: .gamma)
        case .cosine(let maximumEpochs, let minimumRate):
            try container.encode(maximumEpochs, forKey: .maximumEpochs)
            try container.encode(minimumRate, forKey: .minimumRate)
        case .linear(let startFactor, let endFactor, let totalEpochs):
            try container.encode(startFactor, forKey: .startFactor)
            try container.encode(endFactor, forKey: .endFactor)
            try container.encode(totalEpochs, forKey: .totalEpochs)
        }
    }
}
