import Testing
@testable import NeuralNet

/// An ordinal network against PyTorch (ordinal.json): Sequential(Linear(5,3), Tanh(),
/// Linear(3,1), OrdinalThresholds(4)) as coral-pytorch builds it, from PyTorch's state_dict. The
/// thresholds' logits, the class probabilities, the predicted classes, CORAL's loss and every
/// parameter's gradient must agree, and a new network's thresholds start where coral-pytorch's do.
@Suite struct GoldenOrdinalTests {
    struct StoredTensor: Decodable, Sendable {
        let shape: [Int]
        let values: FixtureTensor
    }

    struct OrdinalCase: Decodable, Sendable {
        let classes: Int
        let state: [String: StoredTensor]
        let gradients: [String: StoredTensor]
        let input: FixtureTensor
        let target: FixtureTensor
        let logits: FixtureTensor
        let probabilities: FixtureTensor
        let predicted: [Int]
        let loss: Double
        let initialThresholds: FixtureTensor

        enum CodingKeys: String, CodingKey {
            case classes, state, gradients = "grads", input = "x", target, logits, probabilities, predicted, loss
            case initialThresholds = "initial_thresholds"
        }
    }

    static func golden() throws -> OrdinalCase {
        try Fixtures.load(OrdinalCase.self, from: "ordinal.json")
    }

    static func network(_ golden: OrdinalCase, path: KernelPath) throws -> Network {
        let network = try Network(
            NetworkDescription(inputWidth: 5, hiddenWidths: [3], outputWidth: golden.classes, activation: .tanh, output: .ordinal),
            seed: 0, kernelPath: path)
        try network.load(golden.state.map { NamedTensor(name: $0.key, shape: $0.value.shape, values: $0.value.values.values) })
        return network
    }

    @Test(arguments: KernelPath.supported)
    func logitsProbabilitiesLossAndGradientsMatchPyTorch(path: KernelPath) throws {
        let golden = try Self.golden()
        let network = try Self.network(golden, path: path)
        let input = try golden.input.matrix()
        let target = try golden.target.columnMatrix()

        let probabilities = try network.forward(input)
        expectClose(probabilities, golden.probabilities, named: "class probabilities")
        // The first most probable class, as torch.argmax picks it.
        let predicted = (0..<input.rows).map { row in
            var best = 0
            for k in 1..<golden.classes where probabilities[row, k] > probabilities[row, best] { best = k }
            return best
        }
        #expect(predicted == golden.predicted)

        let logits = try network.forward(input, applyingOutputActivation: false)
        expectClose(logits, golden.logits, named: "threshold logits")
        for row in 0..<input.rows {
            let chosen = logits.pointer.advanced(by: row * logits.columns)
            #expect(OrdinalProbabilities.predictedClass(logits: chosen, thresholds: logits.columns) == golden.predicted[row])
        }
        let loss = try Loss.ordinal.evaluate(prediction: logits, target: target, gradient: network.outputGradient, kernelPath: path)
        expectClose(loss, Float(golden.loss), named: "ordinal loss")

        network.backward(input, throughOutputActivation: false)
        let parameters = Dictionary(uniqueKeysWithValues: network.namedParameters())
        #expect(Set(parameters.keys) == Set(golden.gradients.keys))
        for (name, expected) in golden.gradients {
            let parameter = try #require(parameters[name])
            #expect(parameter.shape == expected.shape)
            expectClose(parameter.gradient.values, expected.values, named: "∂\(name)")
        }
    }

    @Test func aNewNetworksThresholdsStartAsCoralPytorchs() throws {
        let golden = try Self.golden()
        let network = try Network(NetworkDescription(inputWidth: 5, hiddenWidths: [3], outputWidth: 4, output: .ordinal), seed: 3)
        let thresholds = try #require(network.layers.compactMap { $0 as? OrdinalThresholds }.first)
        expectClose(thresholds.bias.value.values, golden.initialThresholds, named: "initial thresholds")
        // A Linear to one score, then the thresholds: 5·3 + 3 + 3 + 1 + 3 parameters.
        #expect(network.parameterCount == 25)
        #expect(network.namedTensors().map(\.name) == ["0.weight", "0.bias", "2.weight", "2.bias", "3.bias"])
    }
}

extension Network {
    /// Every parameter by its state_dict name ("0.weight", …, "3.bias").
    func namedParameters() -> [(String, Parameter)] {
        layers.enumerated().flatMap { index, layer in layer.parameters.map { ("\(index).\($0.name)", $0) } }
    }
}
