import Foundation
import Testing
@testable import NeuralNet

/// Initialisers draw the distributions their formulas promise, and every random draw in the
/// engine is reproducible from its seed alone.
///
/// The weights are a Linear(250 → 400): 100,000 draws with fan_in = 250 and fan_out = 400, so
/// that a formula using the wrong fan is far outside the statistical tolerance. Sample means
/// and standard deviations are allowed 5 standard errors (σ/√n for the mean, σ/√(2n) for the
/// standard deviation, which is exact for a normal and conservative for a uniform); a correct
/// initialiser fails that with probability below 1e-6, while fan_out instead of fan_in moves
/// the spread by 21%, some 90 standard errors.
@Suite("Initializers and reproducibility")
struct InitializerTests {
    // MARK: Distributions

    @Test(arguments: InitializerCase.all)
    func weightsFollowTheInitializersFormula(_ example: InitializerCase) throws {
        var generator = SplitMix64(seed: 1)
        let layer = try Linear(
            inputCount: 250, outputCount: 400, initializer: example.initializer, gain: example.gain,
            generator: &generator)
        let statistics = SampleStatistics(layer.weight.value.values)
        #expect(statistics.count == 100_000)  // 400 × 250
        switch example.expected {
        case .uniform(let lower, let upper):
            expectUniform(statistics, lower: lower, upper: upper)
        case .normal(let mean, let standardDeviation):
            expectNormal(statistics, mean: mean, standardDeviation: standardDeviation)
        }
    }

    @Test func constantInitializersFillEveryWeightWithTheirValue() throws {
        let cases: [(Initializer, Float)] = [(.zeros, 0), (.ones, 1), (.constant(0.37), 0.37)]
        for (initializer, value) in cases {
            var generator = SplitMix64(seed: 1)
            let layer = try Linear(inputCount: 250, outputCount: 400, initializer: initializer, generator: &generator)
            #expect(layer.weight.value.values.allSatisfy { $0 == value }, "\(initializer.name)")
        }
    }

    @Test(arguments: [
        Initializer.zeros, .ones, .constant(0.37), .uniform(lower: -0.3, upper: 0.5),
        .normal(mean: 0.5, standardDeviation: 0.02), .kaimingNormal, .kaimingUniform,
        .xavierNormal(gain: 1), .xavierUniform(gain: 1),
    ])
    func biasesStartAtZeroUnderEveryNamedInitializer(_ initializer: Initializer) throws {
        let weight = Parameter(name: "weight", shape: [400, 250])
        let bias = Parameter(name: "bias", shape: [400])
        // A non-zero start, so that an initialiser that leaves the bias alone fails.
        bias.value.fill(7)
        var generator = SplitMix64(seed: 1)
        try initializer.initialize(weight: weight, bias: bias, gain: Float(2).squareRoot(), generator: &generator)
        #expect(bias.value.values.allSatisfy { $0 == 0 })
    }

    @Test func pytorchDefaultBiasIsUniformWithinOneOverRootFanIn() throws {
        var generator = SplitMix64(seed: 1)
        let layer = try Linear(inputCount: 250, outputCount: 400, initializer: .pytorchDefault, generator: &generator)
        let bound = 1 / 250.0.squareRoot()  // nn.Linear's bias: U(±1/√fan_in)
        let statistics = SampleStatistics(layer.bias.value.values)
        #expect(statistics.count == 400)  // one per output
        #expect(statistics.minimum >= -bound * (1 + 1e-6) && statistics.maximum <= bound * (1 + 1e-6))
        // 400 draws all inside 0.8·bound has probability 0.8⁴⁰⁰ ≈ 1e-39; this also rules out
        // 1/√fan_out = 0.05 < 0.8 · 0.0632.
        #expect(max(-statistics.minimum, statistics.maximum) > 0.8 * bound)
        let deviation = bound / 3.0.squareRoot()  // a uniform's σ is its half-width over √3
        #expect(abs(statistics.standardDeviation - deviation) <= 5 * deviation / (2.0 * 400).squareRoot())
    }

    @Test func activationGainsMatchTorchCalculateGain() {
        #expect(Activation.relu.gain(negativeSlope: 0) == Float(2).squareRoot())  // √2
        #expect(abs(Activation.leakyReLU.gain(negativeSlope: 0.2) - (2 / 1.04 as Float).squareRoot()) < 1e-6)  // √(2/(1+0.2²))
        #expect(abs(Activation.tanh.gain(negativeSlope: 0) - 5.0 / 3.0) < 1e-6)  // 5/3
        #expect(Activation.sigmoid.gain(negativeSlope: 0) == 1)
    }

    @Test func networkPassesItsActivationsGainToKaimingInitialization() throws {
        let description = NetworkDescription(
            inputWidth: 250, hiddenWidths: [400], outputWidth: 2, activation: .leakyReLU, negativeSlope: 0.2,
            initializer: .kaimingUniform)
        let network = try Network(description, seed: 3)
        let firstWeight = try #require(network.parameters().first)
        #expect(firstWeight.shape == [400, 250])
        // kaiming_uniform: gain √(2/(1+0.2²)) times √(3/fan_in)
        let bound = (2 / 1.04).squareRoot() * (3 / 250.0).squareRoot()
        expectUniform(SampleStatistics(firstWeight.value.values), lower: -bound, upper: bound)
    }

    // MARK: Seeds

    @Test(arguments: InitializerCase.all)
    func theSameSeedGivesBitIdenticalWeightsAndAnotherSeedDifferentOnes(_ example: InitializerCase) throws {
        func weightsAndBias(seed: UInt64) throws -> (weights: [UInt32], bias: [UInt32]) {
            var generator = SplitMix64(seed: seed)
            let layer = try Linear(
                inputCount: 250, outputCount: 400, initializer: example.initializer, gain: example.gain,
                generator: &generator)
            return (layer.weight.value.values.map(\.bitPattern), layer.bias.value.values.map(\.bitPattern))
        }
        let first = try weightsAndBias(seed: 42), again = try weightsAndBias(seed: 42)
        let other = try weightsAndBias(seed: 43)
        #expect(first.weights == again.weights && first.bias == again.bias)
        // Continuous draws coincide by chance almost never; allow a handful of Float collisions
        // among the 100,000. (Biases are all zero except under pytorch_default.)
        let identical = zip(first.weights, other.weights).filter { $0 == $1 }.count
        #expect(identical < 100)
    }

    // MARK: JSON

    @Test(arguments: [
        (#""kaiming_normal""#, Initializer.kaimingNormal),
        (#""kaiming_uniform""#, .kaimingUniform),
        (#""he_normal""#, .kaimingNormal),
        (#""pytorch_default""#, .pytorchDefault),
        (#""zeros""#, .zeros),
        (#""ones""#, .ones),
        (#""xavier_normal""#, .xavierNormal(gain: 1)),
        (#"{"name": "xavier_uniform"}"#, .xavierUniform(gain: 1)),
        (#"{"name": "xavier_uniform", "gain": 1.5}"#, .xavierUniform(gain: 1.5)),
        (#"{"name": "uniform", "a": -0.1, "b": 0.1}"#, .uniform(lower: -0.1, upper: 0.1)),
        (#"{"name": "normal", "mean": 0, "std": 0.01}"#, .normal(mean: 0, standardDeviation: 0.01)),
        (#"{"name": "constant", "val": 0.5}"#, .constant(0.5)),
        (#"{"name": "kaiming_normal"}"#, .kaimingNormal),
    ])
    func initializerDecodesFromItsJSONForms(json: String, expected: Initializer) throws {
        let decoded = try JSONDecoder().decode(Initializer.self, from: Data(json.utf8))
        #expect(decoded == expected)
        let roundTripped = try JSONDecoder().decode(Initializer.self, from: JSONEncoder().encode(decoded))
        #expect(roundTripped == expected)
    }

    // MARK: SplitMix64

    @Test func splitMix64MatchesTheReferenceSequence() {
        // Vigna's splitmix64.c started from state 0 (also what Java's SplittableRandom mixes).
        var zero = SplitMix64(seed: 0)
        #expect(zero.next() == 0xE220_A839_7B1D_CDAF)
        #expect(zero.next() == 0x6E78_9E6A_A1B9_65F4)
        #expect(zero.next() == 0x06C4_5D18_8009_454F)
        // The same algorithm from state 42, computed independently in Python.
        var fortyTwo = SplitMix64(seed: 42)
        #expect(fortyTwo.next() == 0xBDD7_3226_2FEB_6E95)
        #expect(fortyTwo.next() == 0x28EF_E333_B266_F103)
    }

    @Test func splitMix64WithOneSeedRepeatsAndWithAnotherDiffers() {
        var first = SplitMix64(seed: 7), again = SplitMix64(seed: 7), other = SplitMix64(seed: 8)
        let a = (0..<1000).map { _ in first.next() }
        let b = (0..<1000).map { _ in again.next() }
        let c = (0..<1000).map { _ in other.next() }
        #expect(a == b)
        #expect(zip(a, c).allSatisfy { $0 != $1 })
        // Derived streams depend on the stream number, and only on (seed, stream).
        var streamOne = SplitMix64.derived(seed: 7, stream: 1), streamOneAgain = SplitMix64.derived(seed: 7, stream: 1)
        var streamTwo = SplitMix64.derived(seed: 7, stream: 2)
        let one = streamOne.next()
        #expect(one == streamOneAgain.next())
        #expect(one != streamTwo.next())
    }

    @Test func splitMix64UnitDrawsAreUniformOnTheHalfOpenInterval() {
        var generator = SplitMix64(seed: 5)
        let count = 100_000
        let floats = (0..<count).map { _ in generator.nextUnitFloat() }
        // 24-bit draws are exact multiples of 2⁻²⁴ in [0, 1).
        #expect(floats.allSatisfy { $0 >= 0 && $0 < 1 && ($0 * 16_777_216).rounded() == $0 * 16_777_216 })
        expectUniform(SampleStatistics(floats), lower: 0, upper: 1)
        let doubles = (0..<count).map { _ in generator.nextUnitDouble() }
        expectUniform(SampleStatistics(doubles), lower: 0, upper: 1)
        // nextIndex(below: 10) hits every index about 10,000 times (binomial σ = 95).
        var counts = Array(repeating: 0, count: 10)
        for _ in 0..<count { counts[generator.nextIndex(below: 10)] += 1 }
        #expect(counts.allSatisfy { abs($0 - 10_000) < 5 * 95 })
    }

    @Test func splitMix64StandardNormalDrawsHaveMeanZeroAndUnitSpread() {
        var generator = SplitMix64(seed: 6)
        let draws = (0..<100_000).map { _ in generator.nextStandardNormal() }
        expectNormal(SampleStatistics(draws), mean: 0, standardDeviation: 1)
    }

    @Test func reproducibleShuffleIsAPermutationFixedByTheSeed() {
        var first = SplitMix64(seed: 9), again = SplitMix64(seed: 9), other = SplitMix64(seed: 10)
        var a = Array(0..<50), b = Array(0..<50), c = Array(0..<50)
        a.shuffleReproducibly(using: &first)
        b.shuffleReproducibly(using: &again)
        c.shuffleReproducibly(using: &other)
        #expect(a == b)
        #expect(a != c)
        #expect(a.sorted() == Array(0..<50))
        #expect(a != Array(0..<50))
    }

    // MARK: Networks

    @Test func networksBuiltWithTheSameSeedHaveBitIdenticalWeights() throws {
        let description = NetworkDescription(
            inputWidth: 5, hiddenWidths: [8, 6], outputWidth: 3, activation: .relu, initializer: .kaimingNormal,
            dropout: 0.5, batchNorm: true)
        let first = try Network(description, seed: 21), again = try Network(description, seed: 21)
        let other = try Network(description, seed: 22)
        #expect(bitPatterns(first) == bitPatterns(again))
        #expect(bitPatterns(first) != bitPatterns(other))
    }

    @Test func trainingWithDropoutIsBitIdenticalForOneSeedEvenWithAnotherNetworkTrainingInBetween() throws {
        let description = NetworkDescription(
            inputWidth: 5, hiddenWidths: [8, 6], outputWidth: 3, activation: .relu, dropout: 0.5, batchNorm: true)
        var dataGenerator = SplitMix64(seed: 30)
        let input = try Matrix(rows: 16, columns: 5, values: (0..<80).map { _ in dataGenerator.nextUnitFloat() * 4 - 2 })
        let labels = try Matrix(rows: 16, columns: 1, values: (0..<16).map { _ in Float(dataGenerator.nextIndex(below: 3)) })

        let first = try TrainingRun(description, seed: 21, input: input, labels: labels)
        let intruder = try TrainingRun(description, seed: 99, input: input, labels: labels)
        let second = try TrainingRun(description, seed: 21, input: input, labels: labels)
        var firstLosses: [Float] = [], intruderLosses: [Float] = [], secondLosses: [Float] = []
        for _ in 0..<5 {
            // Interleaved step by step: if anything (a mask generator, a workspace, a mode) were
            // shared, the intruder's steps would leak into the second run.
            firstLosses.append(try first.step())
            intruderLosses.append(try intruder.step())
            intruderLosses.append(try intruder.step())
            secondLosses.append(try second.step())
        }
        #expect(firstLosses.map(\.bitPattern) == secondLosses.map(\.bitPattern))
        #expect(bitPatterns(first.network) == bitPatterns(second.network))
        // The runs really train and really draw masks: losses change, and another seed differs.
        #expect(Set(firstLosses).count == firstLosses.count)
        #expect(intruderLosses[0] != firstLosses[0])
    }
}

// MARK: - Cases

/// What an initialiser's weights should look like.
enum ExpectedDistribution: Sendable {
    case uniform(lower: Double, upper: Double)
    case normal(mean: Double, standardDeviation: Double)
}

struct InitializerCase: Sendable, CustomTestStringConvertible {
    let testDescription: String
    let initializer: Initializer
    /// The activation's gain handed to the layer; only kaiming uses it.
    let gain: Float
    let expected: ExpectedDistribution

    static let fanIn = 250.0, fanOut = 400.0

    static let all: [InitializerCase] = [
        InitializerCase(
            testDescription: "pytorch_default", initializer: .pytorchDefault, gain: 1,
            // nn.Linear: kaiming_uniform with a = √5 is U(±1/√fan_in)
            expected: .uniform(lower: -1 / fanIn.squareRoot(), upper: 1 / fanIn.squareRoot())),
        InitializerCase(
            testDescription: "uniform(-0.3, 0.5)", initializer: .uniform(lower: -0.3, upper: 0.5), gain: 1,
            expected: .uniform(lower: -0.3, upper: 0.5)),
        InitializerCase(
            testDescription: "normal(0.5, 0.02)", initializer: .normal(mean: 0.5, standardDeviation: 0.02), gain: 1,
            expected: .normal(mean: 0.5, standardDeviation: 0.02)),
        InitializerCase(
            testDescription: "kaiming_normal, relu gain", initializer: .kaimingNormal,
            gain: Activation.relu.gain(negativeSlope: 0),
            // gain √2 for relu over √fan_in
            expected: .normal(mean: 0, standardDeviation: 2.0.squareRoot() / fanIn.squareRoot())),
        InitializerCase(
            testDescription: "kaiming_normal, leaky_relu(0.2) gain", initializer: .kaimingNormal,
            gain: Activation.leakyReLU.gain(negativeSlope: 0.2),
            // gain √(2/(1+0.2²)) over √fan_in
            expected: .normal(mean: 0, standardDeviation: (2 / 1.04).squareRoot() / fanIn.squareRoot())),
        InitializerCase(
            testDescription: "kaiming_uniform, relu gain", initializer: .kaimingUniform,
            gain: Activation.relu.gain(negativeSlope: 0),
            // bound = gain · √(3/fan_in) = √2 · √(3/250)
            expected: .uniform(lower: -(2.0 * 3 / fanIn).squareRoot(), upper: (2.0 * 3 / fanIn).squareRoot())),
        InitializerCase(
            testDescription: "kaiming_uniform, leaky_relu(0.2) gain", initializer: .kaimingUniform,
            gain: Activation.leakyReLU.gain(negativeSlope: 0.2),
            // bound = √(2/(1+0.2²)) · √(3/fan_in)
            expected: .uniform(
                lower: -(2 / 1.04).squareRoot() * (3 / fanIn).squareRoot(),
                upper: (2 / 1.04).squareRoot() * (3 / fanIn).squareRoot())),
        InitializerCase(
            testDescription: "xavier_normal, gain 1", initializer: .xavierNormal(gain: 1), gain: 1,
            // σ = gain · √(2/(fan_in + fan_out)) = √(2/650)
            expected: .normal(mean: 0, standardDeviation: (2 / (fanIn + fanOut)).squareRoot())),
        InitializerCase(
            testDescription: "xavier_normal, gain 5/3", initializer: .xavierNormal(gain: 5.0 / 3.0),
            gain: 1,  // the activation gain does not enter xavier; its own gain option does
            expected: .normal(mean: 0, standardDeviation: 5.0 / 3.0 * (2 / (fanIn + fanOut)).squareRoot())),
        InitializerCase(
            testDescription: "xavier_uniform, gain 1", initializer: .xavierUniform(gain: 1), gain: 1,
            // bound = gain · √(6/(fan_in + fan_out)) = √(6/650)
            expected: .uniform(lower: -(6 / (fanIn + fanOut)).squareRoot(), upper: (6 / (fanIn + fanOut)).squareRoot())),
        InitializerCase(
            testDescription: "xavier_uniform, gain 2", initializer: .xavierUniform(gain: 2), gain: 1,
            // bound = 2 · √(6/650)
            expected: .uniform(
                lower: -2 * (6 / (fanIn + fanOut)).squareRoot(), upper: 2 * (6 / (fanIn + fanOut)).squareRoot())),
    ]
}

// MARK: - Statistics

private struct SampleStatistics {
    let count: Int
    let mean: Double
    let standardDeviation: Double
    let minimum: Double
    let maximum: Double
    let values: [Double]

    init(_ floats: [Float]) {
        self.init(floats.map(Double.init))
    }

    init(_ values: [Double]) {
        self.values = values
        count = values.count
        let average = values.reduce(0, +) / Double(values.count)
        let squares = values.reduce(0) { $0 + ($1 - average) * ($1 - average) }
        mean = average
        standardDeviation = (squares / Double(values.count - 1)).squareRoot()
        minimum = values.min() ?? .nan
        maximum = values.max() ?? .nan
    }

    func fraction(within range: ClosedRange<Double>) -> Double {
        Double(values.filter { range.contains($0) }.count) / Double(count)
    }
}

/// Bounds never exceeded and nearly reached, mean and spread within 5 standard errors.
private func expectUniform(
    _ statistics: SampleStatistics, lower: Double, upper: Double, sourceLocation: SourceLocation = #_sourceLocation
) {
    let width = upper - lower
    // The engine computes its bound in Float; allow that rounding (relative 1e-6) at the edges.
    let slack = 1e-6 * max(abs(lower), abs(upper))
    #expect(statistics.minimum >= lower - slack, "minimum \(statistics.minimum) below \(lower)", sourceLocation: sourceLocation)
    #expect(statistics.maximum <= upper + slack, "maximum \(statistics.maximum) above \(upper)", sourceLocation: sourceLocation)
    // The gap between the bound and the extreme of n uniform draws is about width/n; a gap of
    // width/1000 has probability (1 − 1/1000)ⁿ ≈ e⁻¹⁰⁰ for n = 100,000.
    #expect(statistics.minimum < lower + width / 1000, "minimum \(statistics.minimum) far from \(lower)", sourceLocation: sourceLocation)
    #expect(statistics.maximum > upper - width / 1000, "maximum \(statistics.maximum) far from \(upper)", sourceLocation: sourceLocation)
    let deviation = width / 12.0.squareRoot()  // a uniform's σ = (b − a)/√12
    expectMoments(statistics, mean: (lower + upper) / 2, standardDeviation: deviation, sourceLocation: sourceLocation)
}

/// Mean and spread within 5 standard errors, and the share within one σ of the mean that a
/// normal has (68.27%), which a uniform of the same σ (57.7%) does not.
private func expectNormal(
    _ statistics: SampleStatistics, mean: Double, standardDeviation: Double,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    expectMoments(statistics, mean: mean, standardDeviation: standardDeviation, sourceLocation: sourceLocation)
    let share = statistics.fraction(within: (mean - standardDeviation)...(mean + standardDeviation))
    let expectedShare = 0.682_689  // erf(1/√2)
    let standardError = (expectedShare * (1 - expectedShare) / Double(statistics.count)).squareRoot()
    #expect(
        abs(share - expectedShare) <= 5 * standardError, "share within one σ \(share), normal \(expectedShare)",
        sourceLocation: sourceLocation)
}

private func expectMoments(
    _ statistics: SampleStatistics, mean: Double, standardDeviation: Double, sourceLocation: SourceLocation
) {
    let n = Double(statistics.count)
    let meanError = standardDeviation / n.squareRoot()
    let deviationError = standardDeviation / (2 * n).squareRoot()
    #expect(
        abs(statistics.mean - mean) <= 5 * meanError, "mean \(statistics.mean), expected \(mean) ± \(5 * meanError)",
        sourceLocation: sourceLocation)
    #expect(
        abs(statistics.standardDeviation - standardDeviation) <= 5 * deviationError,
        "standard deviation \(statistics.standardDeviation), expected \(standardDeviation) ± \(5 * deviationError)",
        sourceLocation: sourceLocation)
}

// MARK: - Training

/// A network with its optimizer and one fixed batch: every `step()` is forward, cross-entropy,
/// backward and an Adam update, returning the loss.
private final class TrainingRun {
    let network: Network
    let optimizer: any Optimizer
    let input: Matrix
    let labels: Matrix

    init(_ description: NetworkDescription, seed: UInt64, input: Matrix, labels: Matrix) throws {
        network = try Network(description, seed: seed)
        optimizer = try OptimizerConfiguration(kind: .adam, learningRate: 0.01).makeOptimizer(for: network.parameters())
        self.input = input
        self.labels = labels
    }

    func step() throws -> Float {
        network.train()
        let logits = try network.forward(input, applyingOutputActivation: false)
        let loss = try Loss.crossEntropy.evaluate(prediction: logits, target: labels, gradient: network.outputGradient)
        network.backward(input, throughOutputActivation: false)
        optimizer.step()
        return loss
    }
}

/// Every parameter and buffer of `network` as bit patterns, in state_dict order.
private func bitPatterns(_ network: Network) -> [[UInt32]] {
    network.namedTensors().map { $0.values.map(\.bitPattern) }
}
