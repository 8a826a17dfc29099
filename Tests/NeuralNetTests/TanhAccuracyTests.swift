import Foundation
import Testing
@testable import NeuralNet

/// The vector tanh is a rational approximation (see elementwise.c); tools/check_tanh.c checks
/// every float by hand. Here: a million inputs spread over every exponent, against tanh in
/// double, within the bound that check found (5.2 ulp), and the edges exactly, on every kernel
/// path (the portable one calls tanhf).
@Suite struct TanhAccuracyTests {
    /// Error in units in the last place of the correctly rounded result.
    static func ulpError(_ value: Float, _ exact: Double) -> Double {
        let rounded = Float(exact)
        let ulp = rounded == 0 ? Double(Float.leastNonzeroMagnitude) : Double(rounded.ulp)
        return abs(Double(value) - exact) / ulp
    }

    static func tanhLayer(_ inputs: [Float], on path: KernelPath) throws -> [Float] {
        let layer = try ElementwiseActivation(.tanh, width: inputs.count)
        let context = ExecutionContext(mode: .training, kernelPath: path)
        try layer.forward(Matrix(rows: 1, columns: inputs.count, values: inputs), context: context)
        return layer.output.values
    }

    /// Every 4099th bit pattern of the non-negative floats below infinity, and their negatives.
    static var spreadInputs: [Float] {
        let patterns = stride(from: UInt32(0), to: Float.infinity.bitPattern, by: 4099)
        let positive = patterns.map { Float(bitPattern: $0) }
        return positive + positive.map { -$0 }
    }

    @Test(arguments: KernelPath.supported)
    func everyExponentIsWithinTheMeasuredBound(path: KernelPath) throws {
        let inputs = Self.spreadInputs
        let outputs = try Self.tanhLayer(inputs, on: path)

        var worst = 0.0
        for (x, y) in zip(inputs, outputs) { worst = max(worst, Self.ulpError(y, Foundation.tanh(Double(x)))) }
        #expect(worst <= 5.25, "largest error \(worst) ulp")
        #expect(inputs.count > 1_000_000)
    }

    @Test(arguments: KernelPath.supported)
    func edgesAreExact(path: KernelPath) throws {
        let inputs: [Float] = [0, -0.0, 9.0109133, -9.0109133, 20, -1e30, .infinity, -.infinity, .nan, 1e-30, -1e-30]
        let outputs = try Self.tanhLayer(inputs, on: path)

        #expect(outputs[0] == 0 && outputs[0].sign == .plus)
        #expect(outputs[1] == 0 && outputs[1].sign == .minus)
        // ±13·ln 2, where the approximation saturates: tanh rounds to ±1 from there on (it is
        // 1 − 2⁻²⁵ plus a little); glibc's tanhf, on the portable path, gives 1 − 2⁻²⁴ there.
        let saturated: [Float] = path == .portable ? [1 - 0x1p-24, -(1 - 0x1p-24)] : [1, -1]
        #expect(Array(outputs[2...3]) == saturated)
        #expect(Array(outputs[4...7]) == [1, -1, 1, -1])
        #expect(outputs[8].isNaN)
        // tanh(x) = x to float precision for tiny x.
        #expect(outputs[9] == 1e-30 && outputs[10] == -1e-30)
    }

    /// Inputs that do not fill a vector of 8 or 16 go through the same approximation.
    @Test(arguments: KernelPath.supported)
    func aShortTailRoundsLikeTheRest(path: KernelPath) throws {
        let inputs: [Float] = (0..<19).map { Float($0) * 0.37 - 1.9 }
        let whole = try Self.tanhLayer(inputs, on: path)
        for count in 1...18 {
            #expect(try Self.tanhLayer(Array(inputs.prefix(count)), on: path) == Array(whole.prefix(count)), "\(count) inputs")
        }
    }

    /// The AVX2 and AVX-512 versions evaluate the same rational function with the same
    /// operations, 8 and 16 lanes wide: the same bits.
    @Test(.enabled(if: KernelPath.avx512.isSupported, "this processor has no AVX-512"))
    func bothVectorPathsGiveTheSameValues() throws {
        let inputs = Self.spreadInputs
        let avx2 = try Self.tanhLayer(inputs, on: .avx2), avx512 = try Self.tanhLayer(inputs, on: .avx512)
        #expect(avx2.map(\.bitPattern) == avx512.map(\.bitPattern))
    }
}
