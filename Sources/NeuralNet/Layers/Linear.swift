import CKernels

/// A fully-connected layer, z = x·Wᵀ + b, PyTorch's `nn.Linear`.
///
/// The weight is stored as PyTorch stores it, [outputCount, inputCount], so exported tensors
/// need no transposition. Gradients: ∂W = ∂zᵀ·x, ∂b = Σ_rows ∂z, ∂x = ∂z·W.
public final class Linear: Layer {
    public let typeName = "Linear"
    public let inputWidth: Int
    public let outputWidth: Int
    public let weight: Parameter
    public let bias: Parameter
    public let output: Matrix
    public let inputGradient: Matrix
    /// The first layer of a network does not need ∂x; skipping it saves a third of its backward work.
    public var computesInputGradient = true

    public init(inputCount: Int, outputCount: Int) throws(NeuralNetError) {
        try requirePositive(inputCount, "Linear input width")
        try requirePositive(outputCount, "Linear output width")
        inputWidth = inputCount
        outputWidth = outputCount
        weight = Parameter(name: "weight", shape: [outputCount, inputCount])
        bias = Parameter(name: "bias", shape: [outputCount])
        output = Matrix(rows: 0, columns: outputCount)
        inputGradient = Matrix(rows: 0, columns: inputCount)
    }

    /// A layer initialised by `initializer`; `gain` is the following activation's gain.
    public convenience init(
        inputCount: Int, outputCount: Int, initializer: Initializer, gain: Float = 1,
        generator: inout SplitMix64
    ) throws(NeuralNetError) {
        try self.init(inputCount: inputCount, outputCount: outputCount)
        try initializer.initialize(weight: weight, bias: bias, gain: gain, generator: &generator)
    }

    public var parameters: [Parameter] { [weight, bias] }

    public func forward(_ input: Matrix, context: ExecutionContext) throws(NeuralNetError) {
        try checkInput(input)
        output.resize(rows: input.rows)
        // x·Wᵀ with the bias added as each tile is stored, in one pass over the output.
        context.workspace.multiply(input, by: weight.value, transposingSecond: true, into: output, rowBias: bias.value)
    }

    /// `forward`, then `activation.forward` (a ReLU, slope 0, or a leaky ReLU taking this
    /// layer's output), in one pass: each result goes through the activation as it is stored in
    /// `activation.output`, and this layer's own `output` is left unwritten. The activation's
    /// backward pass needs only its output (`ElementwiseActivation.backward`).
    public func forward(
        _ input: Matrix, context: ExecutionContext, through activation: ElementwiseActivation, slope: Float
    ) throws(NeuralNetError) {
        try checkInput(input)
        context.workspace.multiply(input, byTransposed: weight.value, bias: bias.value, intoLeakyReLU: activation.output, slope: slope)
    }

    public func backward(_ input: Matrix, outputGradient: Matrix, context: ExecutionContext) {
        if computesInputGradient {
            // ∂x [rows, in] = ∂z [rows, out] · W [out, in]
            context.workspace.multiply(outputGradient, by: weight.value, into: inputGradient)
        }
        parameterGradients(input, outputGradient: outputGradient, context: context)
    }

    /// `backward`, then `activation.backward` (a ReLU, slope 0, or a leaky ReLU with slope ≥ 0
    /// whose output is this layer's input), with ∂x carried through the activation as it is
    /// computed: the activation's ∂z is written, this layer's ∂x is not. The same values as the
    /// two calls; for few outputs (a classifier's last layer) one pass over the activation's
    /// width instead of two.
    public func backward(
        _ input: Matrix, outputGradient: Matrix, context: ExecutionContext,
        through activation: ElementwiseActivation, slope: Float
    ) {
        // The activation's output is positive exactly where its input is (slope ≥ 0).
        context.workspace.multiply(
            outputGradient, by: weight.value, into: activation.inputGradient,
            throughLeakyReLUWhere: activation.output, slope: slope)
        parameterGradients(input, outputGradient: outputGradient, context: context)
    }

    /// ∂W [out, in] = ∂zᵀ [out, rows] · x [rows, in] and ∂b = Σ_rows ∂z. After ∂x, which needs
    /// the weight as it was: an optimizer updating weights during the backward pass
    /// (`ExecutionContext.weightUpdate`) updates this one as it computes ∂W.
    private func parameterGradients(_ input: Matrix, outputGradient: Matrix, context: ExecutionContext) {
        sweep_column_sums(context.kernel, outputGradient.pointer, bias.gradient.pointer, input.rows, outputWidth)
        if let optimizer = context.weightUpdate,
            optimizer.updateWeight(weight, outputGradient: outputGradient, input: input, workspace: context.workspace)
        {
            return
        }
        context.workspace.multiply(outputGradient, transposingFirst: true, by: input, into: weight.gradient)
    }
}
