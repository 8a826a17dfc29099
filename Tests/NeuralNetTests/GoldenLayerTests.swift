import Testing
@testable import NeuralNet

/// Linear and the activations against PyTorch (layers.json): each forward output and every
/// gradient of one backward pass with a random ∂output.
@Suite struct GoldenLayerTests {
    struct LinearCase: Decodable, Sendable, CustomTestStringConvertible {
        let inputCount: Int
        let outputCount: Int
        let input: FixtureTensor
        let weight: FixtureTensor
        let bias: FixtureTensor
        let outputGradient: FixtureTensor
        let output: FixtureTensor
        let inputGradient: FixtureTensor
        let weightGradient: FixtureTensor
        let biasGradient: FixtureTensor

        enum CodingKeys: String, CodingKey {
            case inputCount = "in_features", outputCount = "out_features", input = "x", weight, bias
            case outputGradient = "grad_output", output, inputGradient = "grad_input"
            case weightGradient = "grad_weight", biasGradient = "grad_bias"
        }

        var testDescription: String { "Linear(\(inputCount), \(outputCount)) on \(input.rows) rows" }

        /// The layer with PyTorch's weight and bias, run forward on the fixture's input.
        func forwardLayer(context: ExecutionContext) throws -> Linear {
            let layer = try Linear(inputCount: inputCount, outputCount: outputCount)
            try weight.load(into: layer.weight)
            try bias.load(into: layer.bias)
            try layer.forward(try input.matrix(), context: context)
            return layer
        }
    }

    struct ActivationCase: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let input: FixtureTensor
        let outputGradient: FixtureTensor
        let output: FixtureTensor
        let inputGradient: FixtureTensor
        let negativeSlope: Double?
        let initialSlope: Double?
        let slopeGradient: Double?

        enum CodingKeys: String, CodingKey {
            case name, input = "x", outputGradient = "grad_output", output, inputGradient = "grad_input"
            case negativeSlope = "negative_slope", initialSlope = "prelu_weight", slopeGradient = "grad_prelu_weight"
        }

        var testDescription: String {
            if let negativeSlope { return "\(name)(\(negativeSlope))" }
            if let initialSlope { return "\(name)(\(initialSlope))" }
            return name
        }

        func makeLayer() throws -> any Layer {
            let width = input.columns
            switch name {
            case "sigmoid": return try ElementwiseActivation(.sigmoid, width: width)
            case "tanh": return try ElementwiseActivation(.tanh, width: width)
            case "relu": return try ElementwiseActivation(.relu, width: width)
            case "identity": return try ElementwiseActivation(.identity, width: width)
            case "softmax": return try Softmax(width: width)
            case "leaky_relu":
                guard let negativeSlope else { throw FixtureError("leaky_relu case without negative_slope") }
                return try ElementwiseActivation(.leakyReLU(negativeSlope: Float(negativeSlope)), width: width)
            case "prelu":
                guard let initialSlope else { throw FixtureError("prelu case without prelu_weight") }
                return try PReLU(width: width, initialSlope: Float(initialSlope))
            default:
                throw FixtureError("unknown activation '\(name)' in layers.json")
            }
        }

        /// The layer after one forward and one backward pass over the fixture's tensors on `path`.
        func differentiatedLayer(_ path: KernelPath) throws -> any Layer {
            let context = ExecutionContext(mode: .training, seed: 0, kernelPath: path)
            let layer = try makeLayer()
            let x = try input.matrix()
            try layer.forward(x, context: context)
            layer.backward(x, outputGradient: try outputGradient.matrix(), context: context)
            return layer
        }
    }

    struct Document: Decodable {
        let linear: [LinearCase]
        let activations: [ActivationCase]
    }

    static func document() throws -> Document {
        try Fixtures.load(Document.self, from: "layers.json")
    }

    static func preluCases() throws -> [ActivationCase] {
        try document().activations.filter { $0.name == "prelu" }
    }

    // MARK: Linear

    @Test(arguments: try document().linear, KernelPath.supported)
    func linearOutputIsInputTimesTransposedWeightPlusBias(_ golden: LinearCase, path: KernelPath) throws {
        let layer = try golden.forwardLayer(context: ExecutionContext(mode: .training, seed: 0, kernelPath: path))
        // nn.Linear(x) = x·Wᵀ + b, from make_goldens.py's linear_case.
        expectClose(layer.output, golden.output, named: "output")
    }

    @Test(arguments: try document().linear, KernelPath.supported)
    func linearBackwardGivesPyTorchsInputWeightAndBiasGradients(_ golden: LinearCase, path: KernelPath) throws {
        let context = ExecutionContext(mode: .training, seed: 0, kernelPath: path)
        let layer = try golden.forwardLayer(context: context)
        layer.backward(try golden.input.matrix(), outputGradient: try golden.outputGradient.matrix(), context: context)
        // x.grad, weight.grad and bias.grad after (output · grad_output).sum().backward().
        expectClose(layer.inputGradient, golden.inputGradient, named: "∂x")
        expectClose(layer.weight.gradient.values, golden.weightGradient, named: "∂W")
        expectClose(layer.bias.gradient.values, golden.biasGradient, named: "∂b")
    }

    @Test(arguments: try document().linear, KernelPath.supported)
    func linearBackwardGivesTheSameGradientsWhenRepeated(_ golden: LinearCase, path: KernelPath) throws {
        // Gradients are overwritten, not accumulated as PyTorch's .grad would be without zero_grad().
        let context = ExecutionContext(mode: .training, seed: 0, kernelPath: path)
        let layer = try golden.forwardLayer(context: context)
        let x = try golden.input.matrix(), outputGradient = try golden.outputGradient.matrix()
        layer.backward(x, outputGradient: outputGradient, context: context)
        layer.backward(x, outputGradient: outputGradient, context: context)
        expectClose(layer.weight.gradient.values, golden.weightGradient, named: "∂W")
        expectClose(layer.bias.gradient.values, golden.biasGradient, named: "∂b")
    }

    /// ∂b is summed in registers over column blocks of 64, 32, 8 and the rest; every width that
    /// takes each block, and batches of one row up, must give exactly the row-by-row float sum.
    @Test(arguments: [1, 4, 8, 20, 33, 64, 100, 137, 256], KernelPath.supported)
    func linearBiasGradientIsTheInOrderSumOfTheOutputGradientRows(width: Int, path: KernelPath) throws {
        for rows in [1, 3, 32] {
            var generator = SplitMix64(seed: UInt64(width * 100 + rows))
            let layer = try Linear(inputCount: 2, outputCount: width)
            let x = try Matrix(rows: rows, columns: 2, values: (0..<(rows * 2)).map { _ in Float(generator.nextUnitDouble()) })
            let gradient = (0..<(rows * width)).map { _ in Float(generator.nextUnitDouble() * 2 - 1) }
            let context = ExecutionContext(mode: .training, seed: 0, kernelPath: path)
            try layer.forward(x, context: context)
            layer.backward(x, outputGradient: try Matrix(rows: rows, columns: width, values: gradient), context: context)
            for column in 0..<width {
                var sum: Float = 0
                for row in 0..<rows { sum += gradient[row * width + column] }
                #expect(layer.bias.gradient.values[column] == sum, "\(rows) rows, column \(column)")
            }
        }
    }

    // MARK: Activations

    @Test(arguments: try document().activations, KernelPath.supported)
    func activationOutputMatchesPyTorch(_ golden: ActivationCase, path: KernelPath) throws {
        let layer = try golden.makeLayer()
        let context = ExecutionContext(mode: .training, seed: 0, kernelPath: path)
        try layer.forward(try golden.input.matrix(), context: context)
        // The torch.nn module's output on an input with ±8 entries and nothing within 1e-3 of 0.
        expectClose(layer.output, golden.output, named: "\(golden.testDescription) output")
    }

    @Test(arguments: try document().activations, KernelPath.supported)
    func activationInputGradientMatchesPyTorch(_ golden: ActivationCase, path: KernelPath) throws {
        let layer = try golden.differentiatedLayer(path)
        // x.grad after (module(x) · grad_output).sum().backward().
        expectClose(layer.inputGradient, golden.inputGradient, named: "\(golden.testDescription) ∂x")
    }

    @Test(arguments: try preluCases(), KernelPath.supported)
    func preluSlopeGradientSumsOutputGradientTimesNegativeInputs(_ golden: ActivationCase, path: KernelPath) throws {
        let layer = try #require(try golden.differentiatedLayer(path) as? PReLU)
        let expected = try #require(golden.slopeGradient)
        // PReLU.weight.grad = Σ_{x ≤ 0} grad_output · x, a [1] tensor in PyTorch.
        expectClose(layer.slope.gradient.values, [Float(expected)], named: "∂slope")
    }

    @Test func everyActivationFamilyHasAGoldenCase() throws {
        let names = Set(try Self.document().activations.map(\.name))
        // make_layers() writes these nine cases over seven functions.
        #expect(names == ["sigmoid", "tanh", "relu", "leaky_relu", "prelu", "softmax", "identity"])
    }
}
