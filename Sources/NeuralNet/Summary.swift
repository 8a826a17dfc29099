import Foundation

/// A torchsummary-style table of a network (section 4 of the founding document): one row per
/// layer with its type, output shape for a batch size and parameter count, then totals.
/// BatchNorm's running statistics are buffers, so they count in neither the trainable nor the
/// non-trainable parameters; they are reported separately.
public struct ModelSummary: Sendable, Hashable {
    public struct Row: Sendable, Hashable {
        public let type: String
        public let outputShape: [Int]
        public let parameterCount: Int
    }

    public let batchSize: Int
    public let inputWidth: Int
    public let rows: [Row]
    public let totalParameters: Int
    public let trainableParameters: Int
    public let nonTrainableParameters: Int
    public let bufferElements: Int

    public init(network: Network, batchSize: Int) {
        self.init(layers: network.layers, inputWidth: network.description.inputWidth, batchSize: batchSize)
    }

    /// The table of any stack of layers, such as a hand-written `nn.Sequential` that mixes
    /// activations (the founding document's Linear → Sigmoid → Linear → ReLU → Linear).
    public init(layers: [any Layer], inputWidth: Int, batchSize: Int) {
        self.batchSize = batchSize
        self.inputWidth = inputWidth
        rows = layers.map { layer in
            Row(
                type: layer.typeName, outputShape: [batchSize, layer.outputWidth],
                parameterCount: layer.parameters.reduce(0) { $0 + $1.count })
        }
        totalParameters = rows.reduce(0) { $0 + $1.parameterCount }
        trainableParameters = totalParameters
        nonTrainableParameters = 0
        bufferElements = layers.flatMap(\.buffers).reduce(0) { $0 + $1.values.count }
    }

    private static let megabyte = 1024.0 * 1024.0

    public var inputSizeMegabytes: Double { Double(batchSize * inputWidth * 4) / Self.megabyte }
    /// Activations kept for backward, counted twice (values and gradients) as torchsummary does.
    public var forwardBackwardSizeMegabytes: Double {
        Double(2 * rows.reduce(0) { $0 + $1.outputShape.reduce(1, *) } * 4) / Self.megabyte
    }
    public var parameterSizeMegabytes: Double { Double(totalParameters * 4) / Self.megabyte }
    public var estimatedTotalMegabytes: Double {
        inputSizeMegabytes + forwardBackwardSizeMegabytes + parameterSizeMegabytes
    }

    /// The table as torchsummary prints it.
    public var text: String {
        let rule = String(repeating: "-", count: 64)
        let doubleRule = String(repeating: "=", count: 64)
        func padLeft(_ text: String, _ width: Int) -> String {
            text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
        }
        func megabytes(_ value: Double) -> String { String(format: "%.2f", value) }
        var lines = [rule, padLeft("Layer (type)", 20) + padLeft("Output Shape", 25) + padLeft("Param #", 15), doubleRule]
        for (index, row) in rows.enumerated() {
            let shape = "[" + row.outputShape.map(String.init).joined(separator: ", ") + "]"
            lines.append(padLeft("\(row.type)-\(index + 1)", 20) + padLeft(shape, 25) + padLeft(row.parameterCount.formatted(), 15))
        }
        lines += [
            doubleRule,
            "Total params: \(totalParameters.formatted())",
            "Trainable params: \(trainableParameters.formatted())",
            "Non-trainable params: \(nonTrainableParameters.formatted())",
            "Buffers (BatchNorm running statistics): \(bufferElements.formatted())",
            rule,
            "Input size (MB): \(megabytes(inputSizeMegabytes))",
            "Forward/backward pass size (MB): \(megabytes(forwardBackwardSizeMegabytes))",
            "Params size (MB): \(megabytes(parameterSizeMegabytes))",
            "Estimated Total Size (MB): \(megabytes(estimatedTotalMegabytes))",
            rule,
        ]
        return lines.joined(separator: "\n")
    }
}

extension Int {
    /// Thousands separated by commas, as torchsummary prints counts.
    func formatted() -> String {
        let digits = String(self.magnitude)
        var groups: [String] = []
        var end = digits.endIndex
        while end > digits.startIndex {
            let start = digits.index(end, offsetBy: -3, limitedBy: digits.startIndex) ?? digits.startIndex
            groups.insert(String(digits[start..<end]), at: 0)
            end = start
        }
        return (self < 0 ? "-" : "") + groups.joined(separator: ",")
    }
}
