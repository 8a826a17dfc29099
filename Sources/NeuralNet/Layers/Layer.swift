import CKernels

/// Whether a network is training (dropout active, batch statistics) or evaluating (dropout off,
/// running statistics). Each network has its own; there is no global mode.
public enum Mode: Sendable {
    case training, evaluation
}

/// A learnable tensor with its gradient, as an optimizer sees it.
///
/// `shape` is PyTorch's (Linear weight [out, in], bias [out]); the values live in a matrix of
/// the same element count. `gradient` holds the gradient of the most recent backward pass.
public final class Parameter {
    public let name: String
    public let shape: [Int]
    public let value: Matrix
    public let gradient: Matrix

    public init(name: String, shape: [Int]) {
        self.name = name
        self.shape = shape
        let rows = shape.count > 1 ? shape[0] : 1
        let columns = shape.reduce(1, *) / max(rows, 1)
        value = Matrix(rows: rows, columns: columns)
        gradient = Matrix(rows: rows, columns: columns)
    }

    public var count: Int { value.count }
}

/// A non-learnable tensor a layer keeps, such as BatchNorm1d's running mean.
public struct Buffer {
    public let name: String
    public let shape: [Int]
    public let values: [Float]
}

/// The per-network state that layers use while computing: the mode, the random generator for
/// dropout masks, and the matrix-multiply scratch memory with the kernel path the network runs on.
public final class ExecutionContext {
    public var mode: Mode
    public var generator: SplitMix64
    public let workspace: GemmWorkspace
    /// The optimizer that updates each Linear weight as its gradient is computed, during a
    /// backward pass that `Network.backward(_:thenStep:)` runs; nil otherwise.
    var weightUpdate: (any WeightUpdateDuringBackward)?

    /// A context whose kernels run on `kernelPath`, which the processor must support.
    public init(mode: Mode = .training, seed: UInt64 = 0, kernelPath: KernelPath = .selected) {
        self.mode = mode
        self.generator = SplitMix64(seed: seed)
        self.workspace = GemmWorkspace(kernelPath: kernelPath)
    }

    /// The instruction set every kernel of this network runs on.
    public var kernelPath: KernelPath { workspace.kernelPath }

    var kernel: sweep_kernel { workspace.kernelPath.kernel }
}

/// One stage of a fully-connected network. It owns its output and input-gradient matrices and
/// overwrites them on every call.
public protocol Layer: AnyObject {
    /// The PyTorch module name, for summaries: "Linear", "BatchNorm1d", "ReLU", ...
    var typeName: String { get }
    var inputWidth: Int { get }
    var outputWidth: Int { get }
    var parameters: [Parameter] { get }
    var buffers: [Buffer] { get }
    /// The result of the last forward pass (a layer's z or a).
    var output: Matrix { get }
    /// ∂loss/∂input from the last backward pass.
    var inputGradient: Matrix { get }

    func forward(_ input: Matrix, context: ExecutionContext) throws(NeuralNetError)
    /// Given the same input as the last forward and ∂loss/∂output, fills `inputGradient` and the
    /// parameters' gradients.
    func backward(_ input: Matrix, outputGradient: Matrix, context: ExecutionContext)
}

extension Layer {
    public var parameters: [Parameter] { [] }
    public var buffers: [Buffer] { [] }

    func checkInput(_ input: Matrix) throws(NeuralNetError) {
        guard input.columns == inputWidth else {
            throw .shapeMismatch(
                "\(typeName) expects \(inputWidth) input columns but got a \(input.rows)×\(input.columns) matrix")
        }
    }
}
