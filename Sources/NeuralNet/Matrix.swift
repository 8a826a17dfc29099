import CKernels

/// A row-major Float32 matrix with contiguous, 64-byte aligned storage, owned by exactly one layer
/// or optimizer.
///
/// It is a reference type on purpose: layers keep their outputs and gradients in matrices they
/// allocate once and overwrite every step, so a training step allocates nothing. `resize(rows:)`
/// changes the row count within the capacity (a smaller last batch) and only allocates when a
/// larger batch than ever before arrives.
public final class Matrix {
    public private(set) var rows: Int
    public let columns: Int
    private var rowCapacity: Int
    public private(set) var pointer: UnsafeMutablePointer<Float>

    /// A rows × columns matrix filled with `value`.
    public init(rows: Int, columns: Int, repeating value: Float = 0) {
        precondition(rows >= 0 && columns >= 0, "matrix dimensions must not be negative")
        self.rows = rows
        self.columns = columns
        self.rowCapacity = max(rows, 1)
        self.pointer = Matrix.allocate(count: max(rows, 1) * max(columns, 1))
        pointer.initialize(repeating: value, count: max(rows, 1) * max(columns, 1))
    }

    /// A matrix holding `values` row by row; throws when the count does not match the shape.
    public convenience init(rows: Int, columns: Int, values: [Float]) throws(NeuralNetError) {
        guard rows >= 0, columns >= 0 else {
            throw .shapeMismatch("a \(rows)×\(columns) matrix is impossible: rows and columns must not be negative")
        }
        guard values.count == rows * columns else {
            throw .shapeMismatch(
                "\(values.count) values cannot fill a \(rows)×\(columns) matrix (needs \(rows * columns))")
        }
        self.init(rows: rows, columns: columns)
        values.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { pointer.update(from: base, count: values.count) }
        }
    }

    /// A matrix from nested rows, which must all have the same length.
    public convenience init(_ nestedRows: [[Float]]) throws(NeuralNetError) {
        let columns = nestedRows.first?.count ?? 0
        if let ragged = nestedRows.firstIndex(where: { $0.count != columns }) {
            throw .shapeMismatch(
                "row \(ragged) has \(nestedRows[ragged].count) values but row 0 has \(columns); every row needs the same length")
        }
        try self.init(rows: nestedRows.count, columns: columns, values: nestedRows.flatMap { $0 })
    }

    deinit {
        pointer.deallocate()
    }

    private static func allocate(count: Int) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer
            .allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: count)
    }

    public var count: Int { rows * columns }

    /// The elements as a buffer; valid until the next `resize`.
    public var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }

    /// A copy of the elements, row by row.
    public var values: [Float] { Array(buffer) }

    /// A copy of the elements as nested rows.
    public var nestedRows: [[Float]] {
        (0..<rows).map { row in Array(UnsafeBufferPointer(start: pointer + row * columns, count: columns)) }
    }

    public subscript(row: Int, column: Int) -> Float {
        get { pointer[row * columns + column] }
        set { pointer[row * columns + column] = newValue }
    }

    /// Sets the row count, keeping the storage when it is large enough. Contents are unspecified
    /// afterwards unless the row count is unchanged.
    public func resize(rows newRows: Int) {
        precondition(newRows >= 0)
        if newRows > rowCapacity {
            pointer.deallocate()
            rowCapacity = newRows
            pointer = Matrix.allocate(count: newRows * max(columns, 1))
            pointer.initialize(repeating: 0, count: newRows * max(columns, 1))
        }
        rows = newRows
    }

    /// Copies `values` in, which must have `count` elements.
    public func assign(_ values: [Float]) throws(NeuralNetError) {
        guard values.count == count else {
            throw .shapeMismatch("\(values.count) values cannot fill a \(rows)×\(columns) matrix (needs \(count))")
        }
        values.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { pointer.update(from: base, count: count) }
        }
    }

    public func fill(_ value: Float) {
        pointer.update(repeating: value, count: count)
    }

    /// An independent copy.
    public func copy() -> Matrix {
        let result = Matrix(rows: rows, columns: columns)
        result.pointer.update(from: pointer, count: count)
        return result
    }
}

/// The scratch memory the matrix multiply packs its panels into, and the kernel path its products
/// run on: one per network, so that concurrent trials never share it and a step allocates nothing.
public final class GemmWorkspace {
    let pointer: UnsafeMutablePointer<Float>
    /// The instruction set this workspace's products run on.
    public let kernelPath: KernelPath

    /// A workspace whose products run on `kernelPath`, which the processor must support.
    public init(kernelPath: KernelPath = .selected) {
        precondition(kernelPath.isSupported, "this processor cannot run the \(kernelPath.name) kernels")
        self.kernelPath = kernelPath
        let count = sweep_sgemm_workspace_count()
        pointer = UnsafeMutableRawPointer
            .allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: count)
    }

    deinit {
        pointer.deallocate()
    }

    /// The kernels a process runs by default (`KernelPath.selected`), for benchmark reports:
    /// "avx512", "avx2-fma" or "portable".
    public static var kernelName: String { String(cString: sweep_sgemm_kernel_name()) }

    /// result = alpha · op(a) · op(b) + beta · result, plus `rowBias` (one value per column)
    /// added to every row when given. The shapes must agree; `result` is resized to op(a)'s row
    /// count.
    public func multiply(
        _ a: Matrix, transposingFirst transposeA: Bool = false,
        by b: Matrix, transposingSecond transposeB: Bool = false,
        into result: Matrix, alpha: Float = 1, beta: Float = 0, rowBias: Matrix? = nil
    ) {
        let m = transposeA ? a.columns : a.rows
        let k = transposeA ? a.rows : a.columns
        let n = transposeB ? b.rows : b.columns
        precondition(k == (transposeB ? b.columns : b.rows), "inner dimensions differ")
        precondition(n == result.columns, "result has the wrong column count")
        precondition(rowBias.map { $0.count == n } ?? true, "the bias has the wrong length")
        if result.rows != m { result.resize(rows: m) }
        sweep_sgemm(
            kernelPath.kernel, transposeA ? 1 : 0, transposeB ? 1 : 0, Int32(m), Int32(n), Int32(k), alpha,
            a.pointer, Int32(a.columns), b.pointer, Int32(b.columns), beta,
            result.pointer, Int32(result.columns), rowBias.map { UnsafePointer($0.pointer) }, pointer)
    }

    /// result = leaky(x · weightᵀ + bias), a Linear layer's forward pass through the leaky ReLU
    /// (slope 0: ReLU) after it (`sweep_linear_leaky_relu_forward`). `result` is resized to x's
    /// row count.
    public func multiply(_ x: Matrix, byTransposed weight: Matrix, bias: Matrix, intoLeakyReLU result: Matrix, slope: Float) {
        precondition(x.columns == weight.columns, "inner dimensions differ")
        precondition(weight.rows == result.columns && bias.count == result.columns, "result has the wrong column count")
        if result.rows != x.rows { result.resize(rows: x.rows) }
        sweep_linear_leaky_relu_forward(
            kernelPath.kernel, Int32(x.rows), Int32(weight.rows), Int32(x.columns), x.pointer, Int32(x.columns), weight.pointer,
            Int32(weight.columns), bias.pointer, result.pointer, Int32(result.columns), slope, pointer)
    }

    /// result = a · b passed back through a leaky ReLU (slope 0: ReLU): each element of a·b where
    /// `gate` is not positive is multiplied by `slope` (`sweep_sgemm_leaky_relu_backward`).
    /// `gate` is the activation's input, or its output when slope ≥ 0, and has the result's
    /// shape; `result` is resized to a's row count.
    public func multiply(_ a: Matrix, by b: Matrix, into result: Matrix, throughLeakyReLUWhere gate: Matrix, slope: Float) {
        precondition(a.columns == b.rows, "inner dimensions differ")
        precondition(b.columns == result.columns, "result has the wrong column count")
        precondition(gate.rows == a.rows && gate.columns == b.columns, "the gate has the wrong shape")
        if result.rows != a.rows { result.resize(rows: a.rows) }
        sweep_sgemm_leaky_relu_backward(
            kernelPath.kernel, Int32(a.rows), Int32(b.columns), Int32(a.columns), a.pointer, Int32(a.columns), b.pointer, Int32(b.columns),
            result.pointer, Int32(result.columns), gate.pointer, Int32(gate.columns), slope, pointer)
    }
}
