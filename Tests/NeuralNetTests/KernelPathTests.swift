import Testing
@testable import NeuralNet

/// Which kernel paths this processor runs, the process's choice (SWEEP_KERNEL), and that the
/// paths compute the same network: each path must match PyTorch's goldens on its own (the other
/// suites run on every path), and here they must agree with one another on the reference
/// network's shapes, which the goldens' small layers do not reach.
@Suite struct KernelPathTests {
    @Test func everyProcessorRunsThePortablePathAndTheSelectedOne() {
        #expect(KernelPath.supported.first == .portable)
        #expect(KernelPath.supported.contains(KernelPath.selected))
        #expect(KernelPath.supported.last == KernelPath.widest)
        // The engine's default is what benchmark reports print.
        #expect(GemmWorkspace.kernelName == KernelPath.selected.name)
    }

    @Test func reportsNameEachPath() {
        #expect(KernelPath.allCases.map(\.name) == ["portable", "avx2-fma", "avx512"])
    }

    @Test func environmentValuesNameAPathOrSayWhatIsWrong() throws {
        #expect(try KernelPath.named(inEnvironment: "portable") == .portable)
        #expect(try KernelPath.named(inEnvironment: "") == KernelPath.widest)
        for path in [KernelPath.avx2, .avx512] {
            if path.isSupported {
                #expect(try KernelPath.named(inEnvironment: path.rawValue) == path)
            } else {
                expectNeuralNetError(.invalidValue, mentioning: ["SWEEP_KERNEL=\(path.rawValue)", "this processor lacks", "unset it"]) {
                    _ = try KernelPath.named(inEnvironment: path.rawValue)
                }
            }
        }
        expectNeuralNetError(.invalidValue, mentioning: ["SWEEP_KERNEL=avx-512", "not a kernel path", "portable"]) {
            _ = try KernelPath.named(inEnvironment: "avx-512")
        }
    }

    /// The reference network (20 → 128 → 256 → 4, ReLU) at batch 32, which takes every large
    /// kernel of the vector paths (weight rows forward, 12×32 or 6×16 tiles for ∂W and ∂x, the
    /// transposed first-layer ∂W, the few-output products), and at batch 17, which takes the
    /// packed forward product with partial tiles: logits, loss and every gradient of one step on
    /// each path against the portable path's, within the golden tolerance.
    @Test(arguments: [32, 17])
    func everyPathComputesTheReferenceNetworksStepAsThePortableOneDoes(rows: Int) throws {
        let description = NetworkDescription(
            inputWidth: 20, hiddenWidths: [128, 256], outputWidth: 4, activation: .relu, initializer: .kaimingNormal)
        var generator = SplitMix64(seed: 5)
        let input = try Matrix(rows: rows, columns: 20, values: (0..<(rows * 20)).map { _ in Float(generator.nextStandardNormal()) })
        let target = try Matrix(rows: rows, columns: 1, values: (0..<rows).map { _ in Float(generator.nextIndex(below: 4)) })

        func step(on path: KernelPath) throws -> (logits: [Float], loss: Float, gradients: [[Float]]) {
            let network = try Network(description, seed: 3, kernelPath: path)
            let logits = try network.forward(input, applyingOutputActivation: false)
            let loss = try Loss.crossEntropy.evaluate(
                prediction: logits, target: target, gradient: network.outputGradient, kernelPath: path)
            network.backward(input, throughOutputActivation: false)
            return (logits.values, loss, network.parameters().map(\.gradient.values))
        }

        let portable = try step(on: .portable)
        for path in KernelPath.supported where path != .portable {
            let other = try step(on: path)
            expectClose(other.logits, portable.logits, named: "\(path) logits")
            expectClose(other.loss, portable.loss, named: "\(path) loss")
            for (index, gradient) in other.gradients.enumerated() {
                expectClose(gradient, portable.gradients[index], named: "\(path) gradient \(index)")
            }
        }
    }

    /// Dropout masks come from SplitMix64 draws, so every path must draw the same mask: a sweep's
    /// trial is the same trial whichever path ran it.
    @Test func everyPathDrawsTheSameDropoutMask() throws {
        let rows = 9, width = 37
        let input = try Matrix(rows: rows, columns: width, values: Array(repeating: 1, count: rows * width))
        var masks: [[Float]] = []
        for path in KernelPath.supported {
            let layer = try Dropout(probability: 0.3, width: width)
            try layer.forward(input, context: ExecutionContext(mode: .training, seed: 41, kernelPath: path))
            masks.append(layer.lastMask.values)
        }
        #expect(masks.allSatisfy { $0 == masks[0] })
    }

    @Test func aNetworkOnAPathTheProcessorLacksIsRefused() throws {
        let description = NetworkDescription(inputWidth: 3, hiddenWidths: [4], outputWidth: 2)
        for path in KernelPath.allCases where !path.isSupported {
            expectNeuralNetError(.invalidValue, mentioning: [path.rawValue, "this processor runs"]) {
                _ = try Network(description, seed: 0, kernelPath: path)
            }
        }
        #expect(try Network(description, seed: 0, kernelPath: .portable).context.kernelPath == .portable)
    }
}
