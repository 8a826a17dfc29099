import CKernels

/// The instruction set the engine's kernels run on: `avx512` (AVX-512 F, VL, BW and DQ: 16 floats
/// per instruction), `avx2` (AVX2 and FMA: 8) or `portable` (plain C, whatever the compiler makes
/// of it for a baseline processor). Each path computes everything on its own; the paths may round
/// differently (they add up products in different groupings, and tanh differs between portable
/// and the others), but a given path gives the same bits on every run.
///
/// A network runs on the path its `ExecutionContext` was made with, `selected` unless told
/// otherwise; the tests run the same checks on every path in `supported`, side by side.
public enum KernelPath: String, CaseIterable, Sendable {
    case portable, avx2, avx512

    /// As reports name it: "avx512", "avx2-fma", "portable".
    public var name: String { String(cString: sweep_kernel_name(kernel)) }

    /// Whether this processor (and its operating system) can run the path.
    public var isSupported: Bool { sweep_kernel_supported(kernel) != 0 }

    /// The paths this processor runs, narrowest first.
    public static var supported: [KernelPath] { allCases.filter(\.isSupported) }

    /// The widest path this processor runs.
    public static var widest: KernelPath { KernelPath(sweep_kernel_widest()) }

    /// The path a process runs by default: the one the environment variable SWEEP_KERNEL names
    /// (`portable`, `avx2` or `avx512`), else the widest this processor runs. Read once and never
    /// changed, so every network of a process runs on the same path. When SWEEP_KERNEL names a
    /// path this processor lacks, or no path, this is the widest and `selectionProblem` says why
    /// (`checkedSelection()` throws it).
    public static let selected = KernelPath(sweep_kernel_selected())

    /// Why SWEEP_KERNEL was not followed, or nil.
    public static var selectionProblem: String? { sweep_kernel_selection_problem().map { String(cString: $0) } }

    /// `selected`, or the reason SWEEP_KERNEL could not be followed as an error: "invalid
    /// environment variable SWEEP_KERNEL=avx512: this processor lacks AVX-512 F, VL, BW and DQ;
    /// use portable or avx2, or unset it".
    public static func checkedSelection() throws(NeuralNetError) -> KernelPath {
        if let problem = selectionProblem {
            let value = sweep_kernel_requested().map { String(cString: $0) } ?? ""
            throw .invalidValue(setting: "environment variable", value: "SWEEP_KERNEL=\(value)", allowed: problem)
        }
        return selected
    }

    /// The path SWEEP_KERNEL=`value` gives on this processor (as `selected` reads it; "" gives the
    /// widest), or the error `checkedSelection()` would throw for it.
    public static func named(inEnvironment value: String) throws(NeuralNetError) -> KernelPath {
        var kernel = SWEEP_KERNEL_PORTABLE
        var problem = [CChar](repeating: 0, count: 256)
        guard sweep_kernel_from_name(value, &kernel, &problem, problem.count) != 0 else {
            let reason = problem.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw .invalidValue(setting: "environment variable", value: "SWEEP_KERNEL=\(value)", allowed: reason)
        }
        return KernelPath(kernel)
    }

    /// This path, or an error saying that the processor cannot run it.
    func checked() throws(NeuralNetError) -> KernelPath {
        guard isSupported else {
            throw .invalidValue(
                setting: "kernel path", value: rawValue,
                allowed: "this processor runs \(KernelPath.supported.map(\.rawValue).joined(separator: ", "))")
        }
        return self
    }

    /// The path as CKernels' entry points take it.
    public var kernel: sweep_kernel {
        switch self {
        case .portable: SWEEP_KERNEL_PORTABLE
        case .avx2: SWEEP_KERNEL_AVX2
        case .avx512: SWEEP_KERNEL_AVX512
        }
    }

    init(_ kernel: sweep_kernel) {
        switch kernel {
        case SWEEP_KERNEL_AVX512: self = .avx512
        case SWEEP_KERNEL_AVX2: self = .avx2
        default: self = .portable
        }
    }
}
