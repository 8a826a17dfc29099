import NeuralNet

// PLACEHOLDER until the TPE implementation lands: random draws.
public struct TPESampler: Sampler {
    public let space: SearchSpace
    public let options: TPEOptions

    public init(space: SearchSpace, options: TPEOptions) {
        self.space = space
        self.options = options
    }

    public var learnsFromResults: Bool { true }

    public func propose(trial number: Int, seed: UInt64, history: SearchHistory) -> SearchPoint? {
        var generator = RandomSampler.generator(seed: seed, trial: number)
        return space.randomPoint(using: &generator)
    }
}
