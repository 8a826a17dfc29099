/// A fully-connected network as a value: what `Network` is built from, and what travels in
/// configurations, the database and exported metadata.
///
/// Each hidden layer is Linear → BatchNorm1d (if `batchNorm`) → activation → Dropout (if
/// `dropout` > 0), the order the founding document recommends; then an output Linear and the
/// output activation. An ordinal output (`OutputActivation.ordinal`, `outputWidth` classes) is a
/// Linear to one score, `OrdinalThresholds` and `OrdinalProbabilities`.
public struct NetworkDescription: Codable, Sendable, Hashable {
    public var inputWidth: Int
    public var hiddenWidths: [Int]
    public var outputWidth: Int
    public var activation: Activation
    /// LeakyReLU's slope for negative inputs.
    public var negativeSlope: Float
    public var initializer: Initializer
    public var dropout: Float
    public var batchNorm: Bool
    public var output: OutputActivation

    public init(
        inputWidth: Int, hiddenWidths: [Int], outputWidth: Int, activation: Activation = .relu,
        negativeSlope: Float = 0.01, initializer: Initializer = .pytorchDefault, dropout: Float = 0,
        batchNorm: Bool = false, output: OutputActivation = .softmax
    ) {
        self.inputWidth = inputWidth
        self.hiddenWidths = hiddenWidths
        self.outputWidth = outputWidth
        self.activation = activation
        self.negativeSlope = negativeSlope
        self.initializer = initializer
        self.dropout = dropout
        self.batchNorm = batchNorm
        self.output = output
    }

    enum CodingKeys: String, CodingKey {
        case inputWidth = "input_width", hiddenWidths = "hidden_widths", outputWidth = "output_width"
        case activation, negativeSlope = "negative_slope", initializer, dropout, batchNorm = "batch_norm", output
    }

    /// Checks widths, dropout and the initialiser before anything is built.
    public func validate() throws(NeuralNetError) {
        try requirePositive(inputWidth, "input width")
        for (index, width) in hiddenWidths.enumerated() where width <= 0 {
            throw .invalidValue(setting: "hidden layer \(index + 1) width", value: "\(width)", allowed: "must be a positive integer")
        }
        try requirePositive(outputWidth, "output width")
        if output == .ordinal, outputWidth < 2 {
            throw .invalidValue(setting: "output width", value: "\(outputWidth)", allowed: "must be at least 2 classes for an ordinal output")
        }
        guard dropout >= 0, dropout < 1 else {
            throw .invalidValue(setting: "dropout p", value: "\(dropout)", allowed: "must be in [0, 1)")
        }
        guard negativeSlope.isFinite, negativeSlope >= 0 else {
            throw .invalidValue(setting: "negative_slope", value: "\(negativeSlope)", allowed: "must be zero or positive")
        }
        try initializer.validate()
    }
}

/// A trainable fully-connected network: its layers, its own mode and random generator, and its
/// matrix-multiply workspace. It is used by one trial at a time and never shared.
public final class Network {
    public let description: NetworkDescription
    /// Every layer in order, the output activation last.
    public let layers: [any Layer]
    /// The layers up to and including the output Linear (what fused losses train on).
    private let logitLayerCount: Int
    public let context: ExecutionContext
    /// ∂loss/∂output handed to `backward`, kept so a step allocates nothing. As wide as the
    /// output Linear's logits (or an ordinal output's thresholds), what the fused losses take; a
    /// loss on an ordinal output's probabilities, one wider, passes its own.
    public let outputGradient: Matrix
    /// For each layer index, the ReLU or leaky ReLU just after it when that layer is a Linear:
    /// `forward` applies the activation in the Linear's multiply.
    private let rectifiersAfter: [LinearAndRectifier?]
    /// For each layer index, the ReLU or leaky ReLU just below it when that layer is a Linear
    /// computing ∂x: `backward` carries ∂x through the activation in the Linear's multiply.
    private let rectifiersBelow: [LinearAndRectifier?]

    private struct LinearAndRectifier {
        let linear: Linear
        let activation: ElementwiseActivation
        let slope: Float

        /// The Linear at `linearIndex` and the ReLU or leaky ReLU (slope ≥ 0, as a network's
        /// are) at `activationIndex`, if that is what the layers there are.
        init?(_ layers: [any Layer], linearIndex: Int, activationIndex: Int) {
            guard layers.indices.contains(linearIndex), layers.indices.contains(activationIndex),
                let linear = layers[linearIndex] as? Linear,
                let activation = layers[activationIndex] as? ElementwiseActivation,
                let slope = activation.rectifierSlope, slope >= 0
            else { return nil }
            self.linear = linear
            self.activation = activation
            self.slope = slope
        }
    }

    /// Builds and initialises the network. Weights, then dropout masks, draw from one generator
    /// seeded with `seed`. Its kernels run on `kernelPath`, by default the process's
    /// (`KernelPath.selected`); a path the processor lacks, or a SWEEP_KERNEL it cannot follow,
    /// is an error.
    public init(_ description: NetworkDescription, seed: UInt64, kernelPath: KernelPath? = nil) throws(NeuralNetError) {
        try description.validate()
        self.description = description
        let path = if let kernelPath { try kernelPath.checked() } else { try KernelPath.checkedSelection() }
        context = ExecutionContext(mode: .training, seed: seed, kernelPath: path)
        var layers: [any Layer] = []
        let gain = description.activation.gain(negativeSlope: description.negativeSlope)
        var width = description.inputWidth
        for hiddenWidth in description.hiddenWidths {
            layers.append(try Linear(
                inputCount: width, outputCount: hiddenWidth, initializer: description.initializer,
                gain: gain, generator: &context.generator))
            if description.batchNorm {
                layers.append(try BatchNorm1d(features: hiddenWidth))
            }
            switch description.activation {
            case .relu: layers.append(try ElementwiseActivation(.relu, width: hiddenWidth))
            case .sigmoid: layers.append(try ElementwiseActivation(.sigmoid, width: hiddenWidth))
            case .tanh: layers.append(try ElementwiseActivation(.tanh, width: hiddenWidth))
            case .leakyReLU:
                layers.append(try ElementwiseActivation(.leakyReLU(negativeSlope: description.negativeSlope), width: hiddenWidth))
            case .prelu: layers.append(try PReLU(width: hiddenWidth))
            }
            if description.dropout > 0 {
                layers.append(try Dropout(probability: description.dropout, width: hiddenWidth))
            }
            width = hiddenWidth
        }
        // An ordinal output is one score and its thresholds (`OrdinalThresholds`).
        let ordinal = description.output == .ordinal
        layers.append(try Linear(
            inputCount: width, outputCount: ordinal ? 1 : description.outputWidth, initializer: description.initializer,
            gain: gain, generator: &context.generator))
        if ordinal { layers.append(try OrdinalThresholds(classCount: description.outputWidth)) }
        logitLayerCount = layers.count
        layers.append(try ElementwiseActivation.output(description.output, width: description.outputWidth))
        (layers.first as? Linear)?.computesInputGradient = false
        self.layers = layers
        rectifiersAfter = layers.indices.map { LinearAndRectifier(layers, linearIndex: $0, activationIndex: $0 + 1) }
        rectifiersBelow = layers.indices.map { index in
            (layers[index] as? Linear)?.computesInputGradient == true
                ? LinearAndRectifier(layers, linearIndex: index, activationIndex: index - 1) : nil
        }
        outputGradient = Matrix(rows: 0, columns: layers[logitLayerCount - 1].outputWidth)
    }

    public var mode: Mode { context.mode }

    /// Dropout on, batch statistics in BatchNorm. Affects this network only.
    public func train() { context.mode = .training }

    /// Dropout off, running statistics in BatchNorm. Affects this network only.
    public func eval() { context.mode = .evaluation }

    /// Every learnable parameter, in layer order.
    public func parameters() -> [Parameter] { layers.flatMap(\.parameters) }

    public var parameterCount: Int { parameters().reduce(0) { $0 + $1.count } }

    /// Runs the network on `input` [batch, inputWidth]. Returns the output activation's result,
    /// or the output Linear's z when `applyingOutputActivation` is false (for fused losses).
    /// The returned matrix belongs to the network and is overwritten by the next call.
    @discardableResult
    public func forward(_ input: Matrix, applyingOutputActivation: Bool = true) throws(NeuralNetError) -> Matrix {
        guard input.columns == description.inputWidth else {
            throw .shapeMismatch(
                "the network expects \(description.inputWidth) input features but got a \(input.rows)×\(input.columns) matrix")
        }
        guard input.rows > 0 else {
            throw .shapeMismatch("the network needs at least one input row")
        }
        let count = applyingOutputActivation ? layers.count : logitLayerCount
        var current = input
        var index = 0
        while index < count {
            if index + 1 < count, let after = rectifiersAfter[index] {
                // The Linear and the activation after it in one pass (see Linear.forward).
                try after.linear.forward(current, context: context, through: after.activation, slope: after.slope)
                current = after.activation.output
                index += 2
            } else {
                try layers[index].forward(current, context: context)
                current = layers[index].output
                index += 1
            }
        }
        return current
    }

    /// Backpropagates ∂loss/∂output (held in `outputGradient`, or given) through the layers that
    /// the last forward pass ran, filling every parameter's gradient.
    public func backward(_ input: Matrix, outputGradient gradient: Matrix? = nil, throughOutputActivation: Bool = true) {
        var upstream = gradient ?? outputGradient
        var index = throughOutputActivation ? layers.count - 1 : logitLayerCount - 1
        while index >= 0 {
            let layerInput = index == 0 ? input : layers[index - 1].output
            if let below = rectifiersBelow[index] {
                // The Linear and the activation below it in one pass (see Linear.backward).
                below.linear.backward(
                    layerInput, outputGradient: upstream, context: context, through: below.activation, slope: below.slope)
                upstream = below.activation.inputGradient
                index -= 2
            } else {
                layers[index].backward(layerInput, outputGradient: upstream, context: context)
                upstream = layers[index].inputGradient
                index -= 1
            }
        }
    }

    /// `backward`, then `optimizer.step()`, with the same values. An optimizer that can update a
    /// weight in the pass that computes its gradient (`WeightUpdateDuringBackward`: Adam, RMSprop, Adagrad) does
    /// so, overlapping its work with the product's.
    public func backward(_ input: Matrix, throughOutputActivation: Bool = true, thenStep optimizer: any Optimizer) {
        guard let updating = optimizer as? any WeightUpdateDuringBackward else {
            backward(input, throughOutputActivation: throughOutputActivation)
            optimizer.step()
            return
        }
        updating.beginStep()
        context.weightUpdate = updating
        backward(input, throughOutputActivation: throughOutputActivation)
        context.weightUpdate = nil
        updating.finishStep()
    }

    /// Tensors named as an equivalent PyTorch `nn.Sequential`'s state_dict: "0.weight",
    /// "1.running_mean", ... The output activation is not part of that Sequential.
    public func namedTensors() -> [NamedTensor] {
        var tensors: [NamedTensor] = []
        for (index, layer) in layers.prefix(logitLayerCount).enumerated() {
            for parameter in layer.parameters {
                tensors.append(NamedTensor(name: "\(index).\(parameter.name)", shape: parameter.shape, values: parameter.value.values))
            }
            for buffer in layer.buffers {
                tensors.append(NamedTensor(name: "\(index).\(buffer.name)", shape: buffer.shape, values: buffer.values))
            }
        }
        return tensors
    }

    /// Loads tensors by their state_dict names; every parameter and buffer must be present with
    /// its shape.
    public func load(_ tensors: [NamedTensor]) throws(NeuralNetError) {
        let byName = Dictionary(tensors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        func tensor(_ name: String, shape: [Int]) throws(NeuralNetError) -> [Float] {
            guard let found = byName[name] else { throw .shapeMismatch("tensor '\(name)' is missing") }
            guard found.shape == shape, found.values.count == shape.reduce(1, *) else {
                throw .shapeMismatch("tensor '\(name)' has shape \(found.shape), expected \(shape)")
            }
            return found.values
        }
        for (index, layer) in layers.prefix(logitLayerCount).enumerated() {
            for parameter in layer.parameters {
                try parameter.value.assign(try tensor("\(index).\(parameter.name)", shape: parameter.shape))
            }
            if let norm = layer as? BatchNorm1d {
                let width = norm.inputWidth
                let tracked = byName["\(index).num_batches_tracked"]?.values.first ?? 0
                try norm.setRunningStatistics(
                    mean: try tensor("\(index).running_mean", shape: [width]),
                    variance: try tensor("\(index).running_var", shape: [width]),
                    batchesTracked: Int(tracked))
            }
        }
    }
}

/// A tensor with its PyTorch state_dict name, as it crosses into storage and export.
public struct NamedTensor: Sendable, Hashable, Codable {
    public let name: String
    public let shape: [Int]
    public let values: [Float]

    public init(name: String, shape: [Int], values: [Float]) {
        self.name = name
        self.shape = shape
        self.values = values
    }
}
