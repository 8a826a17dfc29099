import Testing
@testable import NeuralNet

/// Adam, RMSprop and Adagrad can update a Linear weight in the pass that computes its gradient
/// (`sweep_weight_gradient_adam` and its siblings: on the AVX-512 path, each tile's update runs
/// during the next tile's product). The values must be exactly those of the product followed by
/// the optimizer's step, on every kernel path, for the shapes the fused kernel takes and for those
/// it leaves to the two separate calls.
@Suite struct WeightUpdateDuringBackwardTests {
    struct Shape: Sendable, CustomTestStringConvertible {
        let outputs, inputs, rows: Int
        var testDescription: String { "∂W \(outputs)×\(inputs) over \(rows) rows" }
    }

    /// Fused on AVX-512: the reference layer; one tile; fewer rows than a tile's 16 update
    /// vectors; 256 rows, the most in one block; 512 inputs and 131,072 weights, the most. Left
    /// to the two calls: 257 rows (two blocks of k), 12 outputs (not whole tiles of 8), 40 inputs
    /// (not whole tiles of 32), 3 rows (a small product), 544 inputs, 131,328 weights.
    static let shapes = [
        (256, 128, 32), (8, 32, 1), (16, 64, 5), (64, 96, 256), (256, 512, 9), (16, 32, 257), (12, 32, 8), (24, 40, 9),
        (32, 64, 3), (8, 544, 7), (4104, 32, 6),
    ]
        .map { Shape(outputs: $0, inputs: $1, rows: $2) }

    enum Variant: String, CaseIterable, Sendable {
        case adam, adamL2, adamW, rmsprop, rmspropMomentum, adagrad
        func optimizer(_ parameters: [Parameter], path: KernelPath) -> any WeightUpdateDuringBackward {
            switch self {
            case .adam: Adam(parameters: parameters, learningRate: 0.01, kernelPath: path)
            case .adamL2: Adam(parameters: parameters, learningRate: 0.01, weightDecay: 0.1, kernelPath: path)
            case .adamW: Adam(parameters: parameters, learningRate: 0.01, weightDecay: 0.1, decoupled: true, kernelPath: path)
            case .rmsprop: RMSprop(parameters: parameters, learningRate: 0.01, kernelPath: path)
            case .rmspropMomentum: RMSprop(parameters: parameters, learningRate: 0.01, momentum: 0.9, weightDecay: 0.1, kernelPath: path)
            case .adagrad: AdaGrad(parameters: parameters, learningRate: 0.05, weightDecay: 0.1, kernelPath: path)
            }
        }
    }

    @Test(arguments: shapes, Variant.allCases)
    func theFusedUpdateEqualsTheProductThenAdamsStep(_ shape: Shape, variant: Variant) throws {
        for path in KernelPath.supported {
            try expectFusedEqualsSeparate(shape, variant: variant, path: path)
        }
    }

    private func expectFusedEqualsSeparate(_ shape: Shape, variant: Variant, path: KernelPath) throws {
        var generator = SplitMix64(seed: UInt64(shape.outputs * 10_000 + shape.inputs * 100 + shape.rows))
        func random(_ rows: Int, _ columns: Int) throws -> Matrix {
            try Matrix(rows: rows, columns: columns, values: (0..<(rows * columns)).map { _ in Float(generator.nextUnitDouble() * 2 - 1) })
        }
        let weightValues = try random(shape.outputs, shape.inputs).values
        let fusedWeight = Parameter(name: "weight", shape: [shape.outputs, shape.inputs])
        let separateWeight = Parameter(name: "weight", shape: [shape.outputs, shape.inputs])
        try fusedWeight.value.assign(weightValues)
        try separateWeight.value.assign(weightValues)
        let fused = variant.optimizer([fusedWeight], path: path)
        let separate = variant.optimizer([separateWeight], path: path)
        let workspace = GemmWorkspace(kernelPath: path)

        // Three steps, so the moments are not zero when the last one runs; gradients with zeros,
        // a whole zero column of ∂z, so that some weights see a zero gradient.
        for step in 0..<3 {
            let outputGradient = try random(shape.rows, shape.outputs)
            for row in 0..<shape.rows { outputGradient.pointer[row * shape.outputs + (step % shape.outputs)] = 0 }
            let input = try random(shape.rows, shape.inputs)

            fused.beginStep()
            #expect(fused.updateWeight(fusedWeight, outputGradient: outputGradient, input: input, workspace: workspace))
            fused.finishStep()

            workspace.multiply(outputGradient, transposingFirst: true, by: input, into: separateWeight.gradient)
            separate.step()

            #expect(firstDifference(fusedWeight.gradient.values, separateWeight.gradient.values) == nil,
                    "∂W on \(path.name), step \(step + 1)")
            #expect(firstDifference(fusedWeight.value.values, separateWeight.value.values) == nil,
                    "the weight on \(path.name), step \(step + 1)")
        }
        if let adam = fused as? Adam { #expect(adam.stepCount == 3) }
    }

    /// A weight the optimizer does not hold is refused, and so is a workspace on another path:
    /// the layer then computes ∂W itself and the optimizer updates the weight in `finishStep`.
    @Test func aWeightItCannotUpdateIsLeftToTheLayer() throws {
        let held = Parameter(name: "weight", shape: [8, 32])
        let other = Parameter(name: "weight", shape: [8, 32])
        let optimizer = Adam(parameters: [held], kernelPath: .portable)
        let outputGradient = Matrix(rows: 4, columns: 8), input = Matrix(rows: 4, columns: 32)
        optimizer.beginStep()
        #expect(!optimizer.updateWeight(other, outputGradient: outputGradient, input: input, workspace: GemmWorkspace(kernelPath: .portable)))
        if let wider = KernelPath.supported.first(where: { $0 != .portable }) {
            #expect(!optimizer.updateWeight(held, outputGradient: outputGradient, input: input, workspace: GemmWorkspace(kernelPath: wider)))
        }
    }

    /// A network trained with `backward(_:thenStep:)` against `backward` then `step()`: every
    /// parameter and buffer after five steps, bit for bit, on every path. The 64 → 256 Linear is
    /// fused on AVX-512 (below a ReLU, so its ∂x runs through the activation), the others are
    /// not; batch norm's and the biases' parameters are updated in `finishStep`. SGD has no fused
    /// update and takes the plain route.
    @Test(arguments: [
        NetworkDescription(inputWidth: 20, hiddenWidths: [64, 256], outputWidth: 4, activation: .relu),
        NetworkDescription(inputWidth: 20, hiddenWidths: [64, 256], outputWidth: 4, activation: .tanh, batchNorm: true),
        NetworkDescription(inputWidth: 32, hiddenWidths: [32], outputWidth: 3, activation: .leakyReLU, dropout: 0.25),
    ], [OptimizerKind.adam, .adamw, .rmsprop, .adagrad, .sgd])
    func aNetworkStepsAsWithBackwardThenStep(_ description: NetworkDescription, kind: OptimizerKind) throws {
        for path in KernelPath.supported {
            let fused = try Network(description, seed: 5, kernelPath: path)
            let separate = try Network(description, seed: 5, kernelPath: path)
            func optimizer(for network: Network) -> any Optimizer {
                switch kind {
                case .adam: Adam(parameters: network.parameters(), learningRate: 0.01, kernelPath: path)
                case .adamw: Adam(parameters: network.parameters(), learningRate: 0.01, weightDecay: 0.05, decoupled: true, kernelPath: path)
                case .rmsprop: RMSprop(parameters: network.parameters(), learningRate: 0.01, momentum: 0.5, kernelPath: path)
                case .adagrad: AdaGrad(parameters: network.parameters(), learningRate: 0.05, kernelPath: path)
                default: SGD(parameters: network.parameters(), learningRate: 0.1, kernelPath: path)
                }
            }
            let fusedOptimizer = optimizer(for: fused), separateOptimizer = optimizer(for: separate)
            var generator = SplitMix64(seed: 6)
            for _ in 0..<5 {
                let input = try Matrix(rows: 32, columns: description.inputWidth,
                                       values: (0..<(32 * description.inputWidth)).map { _ in Float(generator.nextUnitDouble() * 2 - 1) })
                for (network, optimizer) in [(fused, fusedOptimizer), (separate, separateOptimizer)] {
                    let output = try network.forward(input, applyingOutputActivation: false)
                    network.outputGradient.resize(rows: output.rows)
                    for index in 0..<output.count { network.outputGradient.pointer[index] = output.pointer[index] * 0.5 - 0.1 }
                    if network === fused {
                        network.backward(input, throughOutputActivation: false, thenStep: optimizer)
                    } else {
                        network.backward(input, throughOutputActivation: false)
                        optimizer.step()
                    }
                }
            }
            let fusedTensors = fused.namedTensors(), separateTensors = separate.namedTensors()
            #expect(fusedTensors.map(\.name) == separateTensors.map(\.name))
            for (a, b) in zip(fusedTensors, separateTensors) {
                #expect(firstDifference(a.values, b.values) == nil, "\(a.name) on \(path.name) with \(kind)")
            }
        }
    }

    /// The first index where the two differ bit for bit (or the length where one ends), with both
    /// values; nil when they are the same.
    private func firstDifference(_ a: [Float], _ b: [Float]) -> String? {
        guard let index = (0..<min(a.count, b.count)).first(where: { a[$0].bitPattern != b[$0].bitPattern }) else {
            return a.count == b.count ? nil : "lengths \(a.count) and \(b.count)"
        }
        return "index \(index): \(a[index]) against \(b[index])"
    }
}
