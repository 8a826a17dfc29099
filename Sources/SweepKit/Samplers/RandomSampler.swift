import NeuralNet

/// Independent draws (Optuna's `RandomSampler`): trial n's point depends only on the sweep seed
/// and n, through a generator of its own, so adding trials never changes the earlier ones.
public struct RandomSampler: Sampler {
    public let space: SearchSpace

    public init(space: SearchSpace) {
        self.space = space
    }

    public var learnsFromResults: Bool { false }

    public func propose(trial number: Int, seed: UInt64, history: SearchHistory) -> SearchPoint? {
        var generator = Self.generator(seed: seed, trial: number)
        return space.randomPoint(using: &generator)
    }

    /// The generator of trial `number`'s random draw; TPE's startup trials use it too, so they
    /// are the random sweep's first trials.
    public static func generator(seed: UInt64, trial number: Int) -> SplitMix64 {
        SplitMix64.derived(seed: seed, stream: UInt64(number))
    }
}
