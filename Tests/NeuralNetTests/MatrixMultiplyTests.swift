import Testing
@testable import NeuralNet

/// The packed SGEMM against a plain triple loop in double precision, for every transpose
/// combination, shapes that leave partial tiles and cross the MC/KC/NC block sizes, alpha/beta,
/// and a bias row, on every kernel path this processor runs (portable, AVX2, AVX-512: each has
/// its own tiles, packing and special cases).
@Suite struct MatrixMultiplyTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let m, n, k: Int
        let transposeA, transposeB: Bool
        let alpha, beta: Float
        let bias: Bool
        var testDescription: String {
            "\(m)×\(k)·\(k)×\(n) tA=\(transposeA) tB=\(transposeB) α=\(alpha) β=\(beta)\(bias ? " +bias" : "")"
        }
    }

    static let cases: [Case] = {
        // (1, 1, 1) and 5×3 tiles; 32×256·128 is the reference trial's layer (row tiles 6,6,5,5,5,5);
        // 100×300×1100 crosses MC = 96, KC = 256 and NC = 1024, and its B rows (1100 floats) are too far
        // apart to read in place, so they are packed. With B transposed, n ≤ 8 takes the
        // dot-product path: 32×4·256 is the reference output layer, 11×3·37 leaves partial row and
        // column tiles and a k tail, 9×8·7 is all tail; 2×37·45 is a batch of two (dot products
        // for up to three rows when k ≥ 32). With B untransposed, k ≤ 4 adds up scaled rows of B,
        // with one version per k: 1×1·1, 5×3·2, 7×21·3 (a masked tail of 5 columns) and 6×19·4.
        // For AVX-512's 12×32 tiles: 13 rows (tiles of 7 and 6) across 45 columns (a panel and a
        // masked 13), 25×70·19 (tiles of 9, 8, 8; a tail of 6), 4×40·33 (one tile of 4 with
        // interleaved partial sums), and 32×530·300, whose B rows are far apart but read in place
        // for so few rows of A (a partial last panel packed).
        let shapes = [
            (1, 1, 1), (5, 3, 2), (7, 33, 13), (32, 256, 128), (13, 17, 300), (100, 1100, 300),
            (32, 4, 256), (11, 3, 37), (9, 8, 7), (2, 37, 45), (7, 21, 3), (6, 19, 4),
            (13, 45, 70), (25, 70, 19), (4, 40, 33), (32, 530, 300),
        ]
        var cases: [Case] = []
        for (index, (m, n, k)) in shapes.enumerated() {
            for transposeA in [false, true] {
                for transposeB in [false, true] {
                    // α = 0 leaves only beta and the bias (nothing to multiply).
                    let (alpha, beta): (Float, Float) = [(1, 0), (2, 1), (0.5, 0.25), (0, 0.5)][(index + (transposeA ? 1 : 0)) % 4]
                    let bias = (index + (transposeB ? 1 : 0)) % 2 == 0
                    cases.append(Case(
                        m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB, alpha: alpha, beta: beta,
                        bias: bias))
                }
            }
        }
        return cases
    }()

    /// A Linear layer's forward product (A·Bᵀ) for whole 16s of rows up to 64 and k ≥ 48 reads
    /// B's rows in place (weight_rows.c), storing its tiles transposed: every store variant
    /// (overwriting or adding, with and without the bias, alpha ≠ 1), output tiles of 6 and 5
    /// columns and a last one of fewer, and k beyond one block of 256. AVX-512 takes whole 32s of
    /// rows in tiles of 6 to 12 outputs (256: 12s and 11s; 37: 10 and 9s; 9 and 12 alone), 16
    /// and 48 rows on AVX2's kernel.
    static let weightRowsCases: [Case] = {
        let shapes = [
            (16, 6, 48), (32, 256, 128), (48, 37, 300), (64, 13, 64), (32, 20, 257), (64, 37, 100), (32, 9, 48),
            (32, 12, 50),
        ]
        var cases: [Case] = []
        for (m, n, k) in shapes {
            for (alpha, beta) in [(Float(1), Float(0)), (0.5, 1), (2, 0.25)] {
                for bias in [false, true] {
                    cases.append(Case(m: m, n: n, k: k, transposeA: false, transposeB: true, alpha: alpha, beta: beta, bias: bias))
                }
            }
        }
        return cases
    }()

    @Test(arguments: cases, KernelPath.supported)
    func packedMultiplyMatchesTheDefinition(_ example: Case, path: KernelPath) throws {
        try Self.verify(example, path: path)
    }

    @Test(arguments: weightRowsCases, KernelPath.supported)
    func forwardProductReadingWeightRowsMatchesTheDefinition(_ example: Case, path: KernelPath) throws {
        try Self.verify(example, path: path)
    }

    /// ∂W = Aᵀ·B into fewer than 32 columns that are not whole panels of 16, with m in whole 16s
    /// and beta 0, is computed as Bᵀ·A and transposed into C (sgemm.c): a first layer's 20 input
    /// features, fewer than 8 (a scalar transpose tail), k beyond one block of 256, alpha ≠ 1.
    static let transposedResultCases: [Case] = [(128, 20, 32), (32, 20, 37), (16, 7, 9), (48, 31, 300), (64, 17, 5)]
        .flatMap { m, n, k in
            [Float(1), 0.5].map { alpha in
                Case(m: m, n: n, k: k, transposeA: true, transposeB: false, alpha: alpha, beta: 0, bias: false)
            }
        }

    @Test(arguments: transposedResultCases, KernelPath.supported)
    func weightGradientComputedTransposedMatchesTheDefinition(_ example: Case, path: KernelPath) throws {
        try Self.verify(example, path: path)
    }

    /// ∂W = Aᵀ·B with A read in place: each row of tiles goes across every column panel, whole
    /// panels of an in-place B in one call for full tiles (sgemm.c). Rows in 6s and 12s with and
    /// without a shorter tile, a last partial panel, k beyond one block of 256 (the bias and
    /// overwriting only in the first), every store variant, and B rows too far apart to read in
    /// place.
    static let weightGradientCases: [Case] = [
        (12, 37, 40), (256, 128, 32), (17, 48, 300), (6, 16, 1), (24, 600, 8), (36, 64, 20), (12, 32, 3),
    ]
        .flatMap { m, n, k in
            [(Float(1), Float(0), false), (0.5, 1, true), (2, 0.25, false), (1, 0, true)].map { alpha, beta, bias in
                Case(m: m, n: n, k: k, transposeA: true, transposeB: false, alpha: alpha, beta: beta, bias: bias)
            }
        }

    @Test(arguments: weightGradientCases, KernelPath.supported)
    func weightGradientAcrossPanelsMatchesTheDefinition(_ example: Case, path: KernelPath) throws {
        try Self.verify(example, path: path)
    }

    static func verify(_ example: Case, path: KernelPath) throws {
        var generator = SplitMix64(seed: UInt64(example.m * 31 + example.n * 7 + example.k))
        func random(_ rows: Int, _ columns: Int) throws -> Matrix {
            try Matrix(rows: rows, columns: columns, values: (0..<(rows * columns)).map { _ in Float(generator.nextUnitDouble() * 2 - 1) })
        }
        let a = example.transposeA ? try random(example.k, example.m) : try random(example.m, example.k)
        let b = example.transposeB ? try random(example.n, example.k) : try random(example.k, example.n)
        let c = try random(example.m, example.n)
        let bias = example.bias ? try random(1, example.n) : nil
        let original = c.values
        GemmWorkspace(kernelPath: path).multiply(
            a, transposingFirst: example.transposeA, by: b, transposingSecond: example.transposeB,
            into: c, alpha: example.alpha, beta: example.beta, rowBias: bias)

        var worst = 0.0
        for i in 0..<example.m {
            for j in 0..<example.n {
                var sum = 0.0
                for p in 0..<example.k {
                    let left = example.transposeA ? a[p, i] : a[i, p]
                    let right = example.transposeB ? b[j, p] : b[p, j]
                    sum += Double(left) * Double(right)
                }
                let expected = Double(example.alpha) * sum + Double(example.beta) * Double(original[i * example.n + j])
                    + Double(bias?[0, j] ?? 0)
                worst = max(worst, abs(Double(c[i, j]) - expected))
            }
        }
        // Float32 accumulation of k products of magnitude ≤ 1: error grows like k·2⁻²⁴.
        #expect(worst <= Double(example.k) * 1e-6 + 1e-6, "largest error \(worst)")
    }

    /// Both routes: the packed one, and (B transposed, few columns) the dot-product one.
    @Test(arguments: [false, true], KernelPath.supported)
    func betaZeroOverwritesWhateverTheResultHeld(transposeB: Bool, path: KernelPath) throws {
        let a = try Matrix([[1, 2], [3, 4]])
        let b = transposeB ? try Matrix([[5, 7], [6, 8]]) : try Matrix([[5, 6], [7, 8]])
        let c = try Matrix([[Float.nan, .infinity], [-.infinity, .nan]])
        GemmWorkspace(kernelPath: path).multiply(a, by: b, transposingSecond: transposeB, into: c)
        // [[1·5+2·7, 1·6+2·8], [3·5+4·7, 3·6+4·8]]
        #expect(c.values == [19, 22, 43, 50])
    }
}
