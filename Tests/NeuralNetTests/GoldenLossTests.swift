import Testing
@testable import NeuralNet

/// Every loss against PyTorch's `nn` loss modules with mean reduction (losses.json): the value and
/// ∂loss/∂input, including ±100 logits, probabilities of exactly 0 and 1, ±30 logits and soft
/// targets.
@Suite struct GoldenLossTests {
    struct LossCase: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let input: FixtureTensor
        let target: FixtureTensor
        let loss: Double
        let inputGradient: FixtureTensor
        let beta: Double?
        let note: String?

        enum CodingKeys: String, CodingKey {
            case name, input, target, loss, inputGradient = "grad_input", beta, note
        }

        var testDescription: String {
            let shape = "\(name) on \(input.rows)×\(input.columns)"
            guard let note else { return shape }
            return "\(shape): \(note.prefix(40))"
        }

        func lossFunction() throws -> Loss {
            guard let loss = Loss(rawValue: name) else { throw FixtureError("unknown loss '\(name)' in losses.json") }
            return loss
        }

        /// Cross-entropy and the ordinal loss take one class index per row; the others a target per element.
        func targetMatrix() throws -> Matrix {
            try lossFunction().takesClassIndices ? target.columnMatrix() : target.matrix()
        }

        /// The engine's loss value and its ∂loss/∂input, on `path`.
        func evaluate(_ path: KernelPath) throws -> (value: Float, gradient: Matrix) {
            let gradient = Matrix(rows: 0, columns: input.columns)
            let value = try lossFunction().evaluate(
                prediction: try input.matrix(), target: try targetMatrix(), gradient: gradient,
                smoothL1Beta: Float(beta ?? 1), kernelPath: path)
            return (value, gradient)
        }
    }

    struct Document: Decodable {
        let reduction: String
        let cases: [LossCase]
    }

    static func cases() throws -> [LossCase] {
        try Fixtures.load(Document.self, from: "losses.json").cases
    }

    @Test(arguments: try cases(), KernelPath.supported)
    func lossValueMatchesPyTorchsMeanReduction(_ golden: LossCase, path: KernelPath) throws {
        let (value, _) = try golden.evaluate(path)
        // loss_function(input, target).item() with reduction='mean'.
        expectClose(value, Float(golden.loss), named: "\(golden.name) loss")
    }

    @Test(arguments: try cases(), KernelPath.supported)
    func lossGradientMatchesPyTorch(_ golden: LossCase, path: KernelPath) throws {
        let (_, gradient) = try golden.evaluate(path)
        // input.grad after loss.backward(): the 1/N of the mean is part of it.
        expectClose(gradient, golden.inputGradient, named: "\(golden.name) ∂input")
    }

    @Test(arguments: try cases(), KernelPath.supported)
    func lossValueIsTheSameWithoutAGradientMatrix(_ golden: LossCase, path: KernelPath) throws {
        let value = try golden.lossFunction().evaluate(
            prediction: try golden.input.matrix(), target: try golden.targetMatrix(),
            smoothL1Beta: Float(golden.beta ?? 1))
        // Evaluating only (validation) must give the training value, PyTorch's loss.item().
        expectClose(value, Float(golden.loss), named: "\(golden.name) loss")
    }

    @Test func everyLossHasAGoldenCaseWithMeanReduction() throws {
        let document = try Fixtures.load(Document.self, from: "losses.json")
        #expect(document.reduction == "mean")
        // make_losses() covers all six losses the engine offers.
        #expect(Set(document.cases.map(\.name)) == Set(Loss.allCases.map(\.rawValue)))
    }
}
