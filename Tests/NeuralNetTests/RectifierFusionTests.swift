import Testing
@testable import NeuralNet

/// A Linear's backward pass carries ∂x through the ReLU or leaky ReLU below it in its own
/// multiply (`sweep_sgemm_leaky_relu_backward`): with few outputs each row passes through the
/// activation before it is stored, otherwise the product is masked in place. Either way the
/// values must be exactly those of the two separate passes, on every kernel path.
@Suite struct RectifierFusionTests {
    struct Shape: Sendable, CustomTestStringConvertible {
        let m, n, k: Int
        let slope: Float
        var testDescription: String { "\(m)×\(k)·\(k)×\(n) slope \(slope)" }
    }

    /// k ≤ 4 takes the fused rows (5 and 21 columns leave masked tails of 5); larger k the
    /// product and then the in-place mask.
    static let shapes: [Shape] = [(32, 256, 4), (7, 21, 3), (5, 13, 1), (6, 19, 2), (32, 128, 256), (3, 9, 37)]
        .flatMap { m, n, k in [Float(0), 0.1].map { Shape(m: m, n: n, k: k, slope: $0) } }

    @Test(arguments: shapes, KernelPath.supported)
    func productThroughTheActivationEqualsTheProductThenTheActivationsBackward(_ shape: Shape, path: KernelPath) throws {
        var generator = SplitMix64(seed: UInt64(shape.m * 1000 + shape.n * 10 + shape.k))
        func random(_ rows: Int, _ columns: Int) throws -> Matrix {
            try Matrix(rows: rows, columns: columns, values: (0..<(rows * columns)).map { _ in Float(generator.nextUnitDouble() * 2 - 1) })
        }
        let a = try random(shape.m, shape.k), b = try random(shape.k, shape.n)
        // The activation's input, with the values its comparison must get right: 0, −0, NaN.
        var gateValues = try random(shape.m, shape.n).values
        for (index, special) in [Float(0), -0.0, .nan, -1, 1].enumerated() where index < gateValues.count {
            gateValues[index * 3 % gateValues.count] = special
        }
        let gate = try Matrix(rows: shape.m, columns: shape.n, values: gateValues)
        let workspace = GemmWorkspace(kernelPath: path)

        let fused = Matrix(rows: 0, columns: shape.n)
        workspace.multiply(a, by: b, into: fused, throughLeakyReLUWhere: gate, slope: shape.slope)
        let product = Matrix(rows: 0, columns: shape.n)
        workspace.multiply(a, by: b, into: product)
        let activation = try ElementwiseActivation(
            shape.slope == 0 ? .relu : .leakyReLU(negativeSlope: shape.slope), width: shape.n)
        let context = ExecutionContext(kernelPath: path)
        try activation.forward(gate, context: context)
        activation.backward(gate, outputGradient: product, context: context)

        #expect(fused.values.map(\.bitPattern) == activation.inputGradient.values.map(\.bitPattern))
    }

    /// A Linear's forward pass through the ReLU or leaky ReLU after it (applied as each result is
    /// stored for 16 to 64 rows and k ≥ 48, else in place afterwards) against the layers' own
    /// forward passes one by one: the network's output and every activation, bit for bit.
    @Test(arguments: [
        NetworkDescription(inputWidth: 50, hiddenWidths: [64, 48], outputWidth: 4, activation: .relu),
        NetworkDescription(inputWidth: 60, hiddenWidths: [70], outputWidth: 3, activation: .leakyReLU, negativeSlope: 0.2),
        // k = 300 takes two blocks of k: the activation applies after the second only.
        NetworkDescription(inputWidth: 300, hiddenWidths: [20], outputWidth: 3, activation: .relu),
        NetworkDescription(inputWidth: 6, hiddenWidths: [9, 9], outputWidth: 2, activation: .relu, dropout: 0.3),
    ], [9, 32, 300])
    func networkForwardGivesTheLayerByLayerOutputs(_ description: NetworkDescription, rows: Int) throws {
        for path in KernelPath.supported {
            try expectForwardGivesTheLayerByLayerOutputs(description, rows: rows, path: path)
        }
    }

    private func expectForwardGivesTheLayerByLayerOutputs(
        _ description: NetworkDescription, rows: Int, path: KernelPath
    ) throws {
        let network = try Network(description, seed: 21, kernelPath: path)
        var generator = SplitMix64(seed: 22)
        var values = (0..<(rows * description.inputWidth)).map { _ in Float(generator.nextUnitDouble() * 4 - 2) }
        values[0] = .nan
        let input = try Matrix(rows: rows, columns: description.inputWidth, values: values)
        // Dropout draws from the network's generator: both passes start from the same state.
        let start = network.context.generator
        let fused = try network.forward(input).values.map(\.bitPattern)
        let fusedActivations = network.layers.compactMap { $0 as? ElementwiseActivation }.map { $0.output.values.map(\.bitPattern) }

        network.context.generator = start
        var current = input
        for layer in network.layers {
            try layer.forward(current, context: network.context)
            current = layer.output
        }
        let separateActivations = network.layers.compactMap { $0 as? ElementwiseActivation }.map { $0.output.values.map(\.bitPattern) }

        #expect(fused == current.values.map(\.bitPattern), "\(path)")
        #expect(fusedActivations == separateActivations, "\(path)")
    }

    /// Networks whose Linears fuse the activation below them (ReLU and leaky ReLU, with batch norm
    /// between, and an output layer of 3 or of 6) against the same layers' backward passes called
    /// one by one: every parameter's gradient bit for bit. With dropout after the activation
    /// nothing is fused, and the result must be the same too.
    @Test(arguments: [
        NetworkDescription(inputWidth: 5, hiddenWidths: [16, 8], outputWidth: 3, activation: .relu),
        NetworkDescription(inputWidth: 4, hiddenWidths: [7, 5], outputWidth: 6, activation: .leakyReLU, negativeSlope: 0.1),
        NetworkDescription(inputWidth: 6, hiddenWidths: [12], outputWidth: 4, activation: .relu, batchNorm: true),
        NetworkDescription(inputWidth: 6, hiddenWidths: [9, 9], outputWidth: 2, activation: .relu, dropout: 0.3),
    ], KernelPath.supported)
    func networkBackwardGivesTheLayerByLayerGradients(_ description: NetworkDescription, path: KernelPath) throws {
        let network = try Network(description, seed: 11, kernelPath: path)
        var generator = SplitMix64(seed: 12)
        let input = try Matrix(rows: 9, columns: description.inputWidth, values: (0..<(9 * description.inputWidth)).map { _ in
            Float(generator.nextUnitDouble() * 4 - 2)
        })
        let gradient = try Matrix(rows: 9, columns: description.outputWidth, values: (0..<(9 * description.outputWidth)).map { _ in
            Float(generator.nextUnitDouble() * 2 - 1)
        })
        try network.forward(input, applyingOutputActivation: false)

        network.backward(input, outputGradient: gradient, throughOutputActivation: false)
        let fused = network.parameters().map { $0.gradient.values.map(\.bitPattern) }

        let logitLayers = network.layers.count - 1
        var upstream = gradient
        for index in stride(from: logitLayers - 1, through: 0, by: -1) {
            let layerInput = index == 0 ? input : network.layers[index - 1].output
            network.layers[index].backward(layerInput, outputGradient: upstream, context: network.context)
            upstream = network.layers[index].inputGradient
        }
        let separate = network.parameters().map { $0.gradient.values.map(\.bitPattern) }

        #expect(fused == separate)
    }
}
