import Testing
@testable import NeuralNet

/// A whole BatchNorm network against PyTorch (network.json): Sequential(Linear(5,6),
/// BatchNorm1d(6), Tanh(), Linear(6,4), BatchNorm1d(4), ReLU(), Linear(4,3)) in training mode
/// with cross-entropy, from PyTorch's state_dict. Logits, loss, every parameter's gradient and
/// the running statistics after the forward pass must agree.
@Suite struct GoldenNetworkTests {
    struct NetworkCase: Decodable, Sendable {
        let state: FixtureStateDictionary
        let input: FixtureTensor
        let target: FixtureTensor
        let logits: FixtureTensor
        let loss: Double
        let gradients: FixtureStateDictionary
        let runningStatisticsAfter: FixtureStateDictionary

        enum CodingKeys: String, CodingKey {
            case state, input = "x", target, logits, loss, gradients = "grads"
            case runningStatisticsAfter = "running_after"
        }
    }

    /// The engine's layers in the Sequential's order, so that index i is PyTorch's "i." prefix.
    /// The network mixes Tanh and ReLU, which one `NetworkDescription` cannot, so the layers are
    /// chained here directly.
    final class LayerStack {
        let layers: [any Layer]
        let context: ExecutionContext

        init(path: KernelPath) throws {
            context = ExecutionContext(mode: .training, seed: 0, kernelPath: path)
            layers = [
                try Linear(inputCount: 5, outputCount: 6), try BatchNorm1d(features: 6),
                try ElementwiseActivation(.tanh, width: 6),
                try Linear(inputCount: 6, outputCount: 4), try BatchNorm1d(features: 4),
                try ElementwiseActivation(.relu, width: 4),
                try Linear(inputCount: 4, outputCount: 3),
            ]
        }

        /// Loads a PyTorch state_dict: weights, biases and BatchNorm's running statistics.
        func load(_ state: FixtureStateDictionary) throws {
            func tensor(_ name: String) throws -> FixtureTensor {
                guard let found = state[name] else { throw FixtureError("state has no '\(name)'") }
                return found
            }
            for (index, layer) in layers.enumerated() {
                for parameter in layer.parameters {
                    try tensor("\(index).\(parameter.name)").load(into: parameter)
                }
                if let norm = layer as? BatchNorm1d {
                    try norm.setRunningStatistics(
                        mean: try tensor("\(index).running_mean").values,
                        variance: try tensor("\(index).running_var").values,
                        batchesTracked: Int(try tensor("\(index).num_batches_tracked").scalar))
                }
            }
        }

        func forward(_ input: Matrix) throws -> Matrix {
            var current = input
            for layer in layers {
                try layer.forward(current, context: context)
                current = layer.output
            }
            return current
        }

        func backward(_ input: Matrix, outputGradient: Matrix) {
            var upstream = outputGradient
            for index in layers.indices.reversed() {
                let layerInput = index == 0 ? input : layers[index - 1].output
                layers[index].backward(layerInput, outputGradient: upstream, context: context)
                upstream = layers[index].inputGradient
            }
        }

        /// Every parameter by its state_dict name.
        var namedParameters: [String: Parameter] {
            var named: [String: Parameter] = [:]
            for (index, layer) in layers.enumerated() {
                for parameter in layer.parameters { named["\(index).\(parameter.name)"] = parameter }
            }
            return named
        }
    }

    /// The stack after one training step's forward and backward pass on `path`, with its logits
    /// and loss.
    static func differentiatedStack(
        on path: KernelPath
    ) throws -> (stack: LayerStack, golden: NetworkCase, logits: Matrix, loss: Float) {
        let golden = try Fixtures.load(NetworkCase.self, from: "network.json")
        let stack = try LayerStack(path: path)
        try stack.load(golden.state)
        let input = try golden.input.matrix()
        let logits = try stack.forward(input)
        let logitGradient = Matrix(rows: 0, columns: logits.columns)
        let loss = try Loss.crossEntropy.evaluate(
            prediction: logits, target: try golden.target.columnMatrix(), gradient: logitGradient, kernelPath: path)
        stack.backward(input, outputGradient: logitGradient)
        return (stack, golden, logits, loss)
    }

    @Test(arguments: KernelPath.supported)
    func logitsAndLossMatchPyTorch(path: KernelPath) throws {
        let (_, golden, logits, loss) = try Self.differentiatedStack(on: path)
        // model(x) in train mode and nn.CrossEntropyLoss()(logits, target).
        expectClose(logits, golden.logits, named: "logits")
        expectClose(loss, Float(golden.loss), named: "loss")
    }

    @Test(arguments: KernelPath.supported)
    func everyParameterGradientMatchesPyTorch(path: KernelPath) throws {
        let (stack, golden, _, _) = try Self.differentiatedStack(on: path)
        let parameters = stack.namedParameters
        #expect(Set(parameters.keys) == Set(golden.gradients.keys))
        for (name, expected) in golden.gradients.sorted(by: { $0.key < $1.key }) {
            let parameter = try #require(parameters[name], "no parameter '\(name)'")
            // parameter.grad after loss.backward(). The Linear biases before a BatchNorm get
            // gradients of about 1e-9 (exactly 0 in exact arithmetic: the batch mean removes them).
            expectClose(parameter.gradient.values, expected, named: "∂\(name)")
        }
    }

    @Test(arguments: KernelPath.supported)
    func runningStatisticsAfterTheForwardPassMatchPyTorch(path: KernelPath) throws {
        let (stack, golden, _, _) = try Self.differentiatedStack(on: path)
        #expect(golden.runningStatisticsAfter.count == 4)
        for (name, expected) in golden.runningStatisticsAfter.sorted(by: { $0.key < $1.key }) {
            let parts = name.split(separator: ".", maxSplits: 1)
            let index = try #require(Int(parts[0]))
            let norm = try #require(stack.layers[index] as? BatchNorm1d, "layer \(index) is not a BatchNorm1d")
            // model.state_dict() after the one training forward pass.
            switch parts[1] {
            case "running_mean": expectClose(norm.runningMean, expected, named: name)
            case "running_var": expectClose(norm.runningVariance, expected, named: name)
            default: Issue.record("unexpected running statistic '\(name)'")
            }
            #expect(norm.batchesTracked == 1, "num_batches_tracked after one training batch")
        }
    }
}
