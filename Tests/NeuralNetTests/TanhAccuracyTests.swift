import Foundation
import Testing
@testable import NeuralNet

/// The vector tanh is a rational approximation (see elementwise.c); tools/check_tanh.c checks
/// every float by hand. Here: a million inputs spread over every exponent, against tanh in
/// double, within the bound that check found (5.2 ulp), and the edges exactly.
@Suite struct TanhAccuracyTests {
    /// Error in units in the last place of the correctly rounded result.
    static func ulpError(_ value: Float, _ exact: Double) -> Double {
        let rounded = Float(exact)
        let ulp = rounded == 0 ? Double(Float.leastNonzeroMagnitude) : Double(rounded.ulp)
        return abs(Double(value) - exact) / ulp
    }

    static func tanhLayer(_ inputs: [Float]) throws -> [Float] {
        let layer = try ElementwiseActivation(.tanh, width: inputs.count)
        try layer.forward(Matrix(rows: 1, columns: inputs.count, values: inputs), context: ExecutionContext(mode: .training))
        return layer.output.values
    }

    @Test func everyExponentIsWithinTheMeasuredBound() throws {
        // Every 4099th bit pattern of the non-negative floats below infinity, and their negatives.
        let patterns = stride(from: UInt32(0), to: Float.infinity.bitPattern, by: 4099)
        let positive = patterns.map { Float(bitPattern: $0) }
        let inputs = positive + positive.map { -$0 }
        let outputs = try Self.tanhLayer(inputs)

        var worst = 0.0
        for (x, y) in zip(inputs, outputs) { worst = max(worst, Self.ulpError(y, Foundation.tanh(Double(x)))) }
        #expect(worst <= 5.25, "largest error \(worst) ulp")
        #expect(inputs.count > 1_000_000)
    }

    @Test func edgesAreExact() throws {
        let inputs: [Float] = [0, -0.0, 9.0109133, -9.0109133, 20, -1e30, .infinity, -.infinity, .nan, 1e-30, -1e-30]
        let outputs = try Self.tanhLayer(inputs)

        #expect(outputs[0] == 0 && outputs[0].sign == .plus)
        #expect(outputs[1] == 0 && outputs[1].sign == .minus)
        #expect(Array(outputs[2...7]) == [1, -1, 1, -1, 1, -1])
        #expect(outputs[8].isNaN)
        // tanh(x) = x to float precision for tiny x.
        #expect(outputs[9] == 1e-30 && outputs[10] == -1e-30)
    }

    /// Inputs that do not fill a vector of 8 go through the same approximation.
    @Test func aShortTailRoundsLikeTheRest() throws {
        let inputs: [Float] = (0..<11).map { Float($0) * 0.37 - 1.9 }
        let whole = try Self.tanhLayer(inputs)
        for count in 1...10 {
            #expect(try Self.tanhLayer(Array(inputs.prefix(count))) == Array(whole.prefix(count)), "\(count) inputs")
        }
    }
}
