import Testing
@testable import NeuralNet

/// Ten full-batch steps of every optimizer against `torch.optim` (optimizers.json): the tiny
/// network Linear(4,3) → ReLU → Linear(3,2) with cross-entropy, started from PyTorch's initial
/// weights. Both the loss before each step and the weights after the tenth must agree.
@Suite struct GoldenOptimizerTests {
    /// The keyword arguments of a `torch.optim` constructor, as given or as resolved with defaults.
    struct Options: Decodable, Sendable {
        let learningRate: Double?
        let momentum: Double?
        let dampening: Double?
        let nesterov: Bool?
        let alpha: Double?
        let epsilon: Double?
        let betas: [Double]?
        let weightDecay: Double?
        let decoupledWeightDecay: Bool?
        let learningRateDecay: Double?
        let initialAccumulatorValue: Double?
        let centered: Bool?
        let amsgrad: Bool?
        let maximize: Bool?

        enum CodingKeys: String, CodingKey {
            case learningRate = "lr", momentum, dampening, nesterov, alpha, epsilon = "eps", betas
            case weightDecay = "weight_decay", decoupledWeightDecay = "decoupled_weight_decay"
            case learningRateDecay = "lr_decay", initialAccumulatorValue = "initial_accumulator_value"
            case centered, amsgrad, maximize
        }
    }

    struct OptimizerCase: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let optimizer: String
        let options: Options
        let resolvedOptions: Options
        let steps: Int
        let losses: [Double]
        let final: FixtureStateDictionary

        enum CodingKeys: String, CodingKey {
            case name, optimizer, options, resolvedOptions = "resolved_options", steps, losses, final
        }

        var testDescription: String { name }

        /// The engine configuration with exactly the keyword arguments PyTorch was given.
        func configuration() throws -> OptimizerConfiguration {
            guard let kind = OptimizerKind(rawValue: optimizer) else {
                throw FixtureError("unknown optimizer '\(optimizer)' in optimizers.json")
            }
            return OptimizerConfiguration(
                kind: kind, learningRate: options.learningRate.map(Float.init), momentum: options.momentum.map(Float.init),
                dampening: options.dampening.map(Float.init), nesterov: options.nesterov,
                alpha: options.alpha.map(Float.init), epsilon: options.epsilon.map(Float.init),
                betas: options.betas?.map(Float.init), weightDecay: options.weightDecay.map(Float.init))
        }
    }

    struct TinyNetwork: Decodable, Sendable {
        let initial: FixtureStateDictionary
        let input: FixtureTensor
        let target: FixtureTensor

        enum CodingKeys: String, CodingKey {
            case initial, input = "x", target
        }
    }

    struct Document: Decodable, Sendable {
        let network: TinyNetwork
        let cases: [OptimizerCase]
    }

    static func document() throws -> Document {
        try Fixtures.load(Document.self, from: "optimizers.json")
    }

    static func cases() throws -> [OptimizerCase] {
        try document().cases
    }

    /// Runs `golden.steps` steps as the fixture's PyTorch loop does: loss of the current weights,
    /// backward, step, on `path`. Returns the losses and the network afterwards.
    static func train(_ golden: OptimizerCase, on path: KernelPath) throws -> (losses: [Float], network: Network) {
        let tiny = try document().network
        let network = try Network(
            NetworkDescription(inputWidth: 4, hiddenWidths: [3], outputWidth: 2, activation: .relu), seed: 0,
            kernelPath: path)
        try network.load(tiny.initial.map { name, tensor in
            NamedTensor(name: name, shape: tensor.shape, values: tensor.values)
        })
        let optimizer = try golden.configuration().makeOptimizer(for: network.parameters(), kernelPath: path)
        let input = try tiny.input.matrix(), target = try tiny.target.columnMatrix()
        var losses: [Float] = []
        for _ in 0..<golden.steps {
            let logits = try network.forward(input, applyingOutputActivation: false)
            losses.append(try Loss.crossEntropy.evaluate(
                prediction: logits, target: target, gradient: network.outputGradient, kernelPath: path))
            network.backward(input, throughOutputActivation: false)
            optimizer.step()
        }
        return (losses, network)
    }

    @Test(arguments: try cases(), KernelPath.supported)
    func lossBeforeEachOfTenStepsMatchesPyTorch(_ golden: OptimizerCase, path: KernelPath) throws {
        let (losses, _) = try Self.train(golden, on: path)
        // losses[i] is PyTorch's CrossEntropyLoss before optimizer step i.
        expectClose(losses, golden.losses.map(Float.init), named: "\(golden.name) losses")
    }

    @Test(arguments: try cases(), KernelPath.supported)
    func weightsAfterTenStepsMatchPyTorch(_ golden: OptimizerCase, path: KernelPath) throws {
        let (_, network) = try Self.train(golden, on: path)
        let tensors = Dictionary(uniqueKeysWithValues: network.namedTensors().map { ($0.name, $0) })
        #expect(Set(tensors.keys) == Set(golden.final.keys))
        for (name, expected) in golden.final.sorted(by: { $0.key < $1.key }) {
            let actual = try #require(tensors[name], "the network has no tensor '\(name)'")
            #expect(actual.shape == expected.shape, "\(name) shape")
            // model.named_parameters() after the tenth optimizer.step().
            expectClose(actual.values, expected, named: "\(golden.name) \(name)")
        }
    }

    @Test(arguments: try cases())
    func defaultOptionsAreTorchOptimsDefaults(_ golden: OptimizerCase) throws {
        let resolved = golden.resolvedOptions
        let optimizer = try golden.configuration().makeOptimizer(for: [])
        // resolved_options is optimizer.param_groups[0]: the given options plus PyTorch's defaults.
        expectClose(optimizer.learningRate, Float(try #require(resolved.learningRate)), named: "lr")
        #expect(resolved.maximize == false)
        switch optimizer {
        case let sgd as SGD:
            expectClose(sgd.momentum, Float(try #require(resolved.momentum)), named: "momentum")
            expectClose(sgd.dampening, Float(try #require(resolved.dampening)), named: "dampening")
            #expect(sgd.nesterov == resolved.nesterov)
            expectClose(sgd.weightDecay, Float(try #require(resolved.weightDecay)), named: "weight_decay")
        case let adaGrad as AdaGrad:
            expectClose(adaGrad.epsilon, Float(try #require(resolved.epsilon)), named: "eps")
            expectClose(adaGrad.weightDecay, Float(try #require(resolved.weightDecay)), named: "weight_decay")
            // The engine implements Adagrad without a learning-rate decay and from a zero sum.
            #expect(resolved.learningRateDecay == 0)
            #expect(resolved.initialAccumulatorValue == 0)
        case let rmsprop as RMSprop:
            expectClose(rmsprop.alpha, Float(try #require(resolved.alpha)), named: "alpha")
            expectClose(rmsprop.epsilon, Float(try #require(resolved.epsilon)), named: "eps")
            expectClose(rmsprop.momentum, Float(try #require(resolved.momentum)), named: "momentum")
            expectClose(rmsprop.weightDecay, Float(try #require(resolved.weightDecay)), named: "weight_decay")
            #expect(resolved.centered == false)
        case let adam as Adam:
            let betas = try #require(resolved.betas)
            expectClose([adam.beta1, adam.beta2], betas.map(Float.init), named: "betas")
            expectClose(adam.epsilon, Float(try #require(resolved.epsilon)), named: "eps")
            expectClose(adam.weightDecay, Float(try #require(resolved.weightDecay)), named: "weight_decay")
            #expect(adam.decoupled == resolved.decoupledWeightDecay)
            #expect(resolved.amsgrad == false)
        default:
            Issue.record("\(golden.optimizer) made an unexpected optimizer type \(type(of: optimizer))")
        }
    }
}
