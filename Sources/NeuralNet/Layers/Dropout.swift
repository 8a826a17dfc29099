import CKernels

/// Inverted dropout, PyTorch's `nn.Dropout(p)`: in training each element is zeroed with
/// probability p and survivors are scaled by 1/(1−p), so E[output] = input; in evaluation it is
/// the identity. The mask is drawn from the network's generator, so one seed gives one mask.
/// Srivastava et al., "Dropout", JMLR 15, 2014.
public final class Dropout: Layer {
    public let typeName = "Dropout"
    public let probability: Float
    public let inputWidth: Int
    public var outputWidth: Int { inputWidth }
    public let output: Matrix
    public let inputGradient: Matrix
    /// 0 or 1/(1−p) per element, from the last training forward pass.
    public let lastMask: Matrix
    private var lastMode: Mode = .evaluation

    public init(probability: Float, width: Int) throws(NeuralNetError) {
        guard probability >= 0, probability < 1 else {
            throw .invalidValue(
                setting: "dropout probability", value: "\(probability)",
                allowed: "must be in [0, 1): 0 disables dropout, 1 would drop every unit")
        }
        try requirePositive(width, "dropout width")
        self.probability = probability
        inputWidth = width
        output = Matrix(rows: 0, columns: width)
        inputGradient = Matrix(rows: 0, columns: width)
        lastMask = Matrix(rows: 0, columns: width)
    }

    public func forward(_ input: Matrix, context: ExecutionContext) throws(NeuralNetError) {
        try checkInput(input)
        output.resize(rows: input.rows)
        lastMode = context.mode
        let x = input.pointer, y = output.pointer, count = input.count
        guard context.mode == .training, probability > 0 else {
            y.update(from: x, count: count)
            return
        }
        lastMask.resize(rows: input.rows)
        let mask = lastMask.pointer
        // mask[i] = generator.nextUnitFloat() < p ? 0 : 1/(1−p), one draw per element in order;
        // the kernel computes the same SplitMix64 draws four at a time.
        sweep_dropout_mask(context.kernel, &context.generator.state, mask, count, probability, 1 / (1 - probability))
        sweep_multiply(context.kernel, x, mask, y, count)
    }

    public func backward(_ input: Matrix, outputGradient: Matrix, context: ExecutionContext) {
        inputGradient.resize(rows: input.rows)
        let dy = outputGradient.pointer, dx = inputGradient.pointer, count = input.count
        guard lastMode == .training, probability > 0 else {
            dx.update(from: dy, count: count)
            return
        }
        sweep_multiply(context.kernel, dy, lastMask.pointer, dx, count)
    }
}
