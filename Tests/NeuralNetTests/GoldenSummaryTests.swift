import Testing
@testable import NeuralNet

/// ModelSummary against the forward hooks of a PyTorch `nn.Sequential` (summary.json): one row
/// per leaf module with its type, output shape and weight + bias count, then the totals.
@Suite struct GoldenSummaryTests {
    struct Row: Decodable, Sendable, Equatable {
        let type: String
        let outputShape: [Int]
        let parameterCount: Int

        enum CodingKeys: String, CodingKey {
            case type, outputShape = "output_shape", parameterCount = "params"
        }
    }

    struct SummaryCase: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let batchSize: Int
        let inputWidth: Int
        let rows: [Row]
        let totalParameters: Int
        let trainableParameters: Int
        let nonTrainableParameters: Int
        let bufferElements: Int

        enum CodingKeys: String, CodingKey {
            case name, batchSize = "batch_size", inputWidth = "input_features", rows
            case totalParameters = "total_params", trainableParameters = "trainable_params"
            case nonTrainableParameters = "non_trainable_params", bufferElements = "buffers"
        }

        var testDescription: String { name }

        /// The engine layers of the Sequential that make_goldens.py's make_summary builds.
        func sequentialLayers() throws -> [any Layer] {
            switch name {
            case "founding_example":
                return [
                    try Linear(inputCount: 3, outputCount: 3), try ElementwiseActivation(.sigmoid, width: 3),
                    try Linear(inputCount: 3, outputCount: 2), try ElementwiseActivation(.relu, width: 2),
                    try Linear(inputCount: 2, outputCount: 2),
                ]
            case "batchnorm_dropout":
                return [
                    try Linear(inputCount: 20, outputCount: 16), try BatchNorm1d(features: 16),
                    try ElementwiseActivation(.relu, width: 16), try Dropout(probability: 0.2, width: 16),
                    try Linear(inputCount: 16, outputCount: 4),
                ]
            default:
                throw FixtureError("no engine layers for summary case '\(name)'")
            }
        }

        func summary() throws -> ModelSummary {
            ModelSummary(layers: try sequentialLayers(), inputWidth: inputWidth, batchSize: batchSize)
        }
    }

    struct Document: Decodable {
        let cases: [SummaryCase]
    }

    static func cases() throws -> [SummaryCase] {
        try Fixtures.load(Document.self, from: "summary.json").cases
    }

    static func goldenCase(named name: String) throws -> SummaryCase {
        guard let found = try cases().first(where: { $0.name == name }) else {
            throw FixtureError("summary.json has no case '\(name)'")
        }
        return found
    }

    static func engineRows(_ summary: ModelSummary) -> [Row] {
        summary.rows.map { Row(type: $0.type, outputShape: $0.outputShape, parameterCount: $0.parameterCount) }
    }

    @Test(arguments: try cases())
    func rowsGiveEachLayersTypeOutputShapeAndParameterCount(_ golden: SummaryCase) throws {
        let summary = try golden.summary()
        // type(module).__name__, list(output.shape) and weight.numel() + bias.numel() per leaf module.
        #expect(Self.engineRows(summary) == golden.rows)
    }

    @Test(arguments: try cases())
    func totalsCountParametersButNotBuffers(_ golden: SummaryCase) throws {
        let summary = try golden.summary()
        // Sums over model.parameters() and model.buffers() in PyTorch.
        #expect(summary.totalParameters == golden.totalParameters)
        #expect(summary.trainableParameters == golden.trainableParameters)
        #expect(summary.nonTrainableParameters == golden.nonTrainableParameters)
        #expect(summary.bufferElements == golden.bufferElements)
    }

    @Test func foundingExampleTextReportsTwentySixParameters() throws {
        let summary = try Self.goldenCase(named: "founding_example").summary()
        // (3+1)·3 + (3+1)·2 + (2+1)·2 = 12 + 8 + 6, the torchsummary table in the founding document.
        #expect(summary.text.contains("Total params: 26"))
        #expect(summary.text.contains("Trainable params: 26"))
        #expect(summary.text.contains("Non-trainable params: 0"))
        #expect(summary.text.contains("Linear-1"))
        #expect(summary.text.contains("[5, 3]"))
    }

    @Test func networkSummaryIsTheSequentialFollowedByTheOutputActivation() throws {
        let golden = try Self.goldenCase(named: "batchnorm_dropout")
        let network = try Network(
            NetworkDescription(
                inputWidth: 20, hiddenWidths: [16], outputWidth: 4, activation: .relu, dropout: 0.2, batchNorm: true),
            seed: 0)
        let summary = ModelSummary(network: network, batchSize: golden.batchSize)
        let rows = Self.engineRows(summary)
        // The network's output activation (softmax) is a module of its own; PyTorch's Sequential
        // in summary.json ends at the last Linear, as it would with torch.softmax in forward().
        #expect(Array(rows.dropLast()) == golden.rows)
        #expect(rows.last == Row(type: "Softmax", outputShape: [golden.batchSize, 4], parameterCount: 0))
        #expect(summary.totalParameters == golden.totalParameters)
        #expect(summary.bufferElements == golden.bufferElements)
    }
}
