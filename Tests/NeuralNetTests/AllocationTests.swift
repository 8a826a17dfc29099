import AllocationCounter
import Foundation
import Testing
@testable import NeuralNet

/// The number of heap allocations the calling thread makes while `body` runs, as counted by the
/// AllocationCounter test target (which replaces the process's malloc family on Linux).
/// `body` runs on this thread only, so tests running in parallel do not add to the count.
func allocations(during body: () throws -> Void) rethrows -> Int {
    allocation_counter_start()
    do {
        try body()
    } catch {
        _ = allocation_counter_stop()
        throw error
    }
    return allocation_counter_stop()
}

/// The counter only intercepts allocations where it can replace malloc (Linux with glibc).
let allocationCountingIsAvailable = allocation_counter_is_available() != 0

/// The counter itself: unless it sees allocations that certainly happen, a zero from the
/// training-step tests below would prove nothing.
@Suite(.enabled(if: allocationCountingIsAvailable, "allocations are intercepted on Linux/glibc only"))
struct AllocationCounterTests {
    @Test func counterSeesEveryDirectMallocOnThisThread() {
        let slots = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: 3)
        defer { slots.deallocate() }
        let count = allocations {
            for slot in 0..<3 { slots[slot] = malloc(16) }
        }
        for slot in 0..<3 { free(slots[slot]) }
        // Three calls to malloc and nothing else in between.
        #expect(count == 3)
    }

    @Test func counterSeesASwiftArrayGettingFreshCapacity() {
        var kept: [Int] = []
        let count = allocations {
            kept.reserveCapacity(1_000)
        }
        #expect(kept.capacity >= 1_000)
        #expect(count >= 1)
    }

    @Test func counterSeesTheAlignedAllocationsThatMatrixStorageUses() {
        // Matrix storage is 64-byte aligned, which swift_slowAlloc serves through the aligned
        // entry points (posix_memalign, aligned_alloc), not malloc: those must count too.
        var pointer: UnsafeMutableRawPointer?
        let count = allocations {
            pointer = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 64)
        }
        pointer?.deallocate()
        // One aligned allocation and nothing else.
        #expect(count == 1)
    }

    @Test func counterSeesTheArraysThatCollectingParametersBuilds() throws {
        let network = try Network(AllocationTests.plainDescription, seed: 1)
        var parameters: [Parameter] = []
        let count = allocations {
            parameters = network.parameters()
        }
        // Three Linear layers (20→128, 128→256, 256→4), each a weight and a bias.
        #expect(parameters.count == 6)
        #expect(count >= 1)
    }

    @Test func counterIgnoresAllocationsOfOtherThreads() {
        // Tests run in parallel, so another thread allocating while this one counts must not
        // show up. The other thread exists before counting starts and only wakes on a signal.
        nonisolated(unsafe) let slots = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: 100)
        defer { slots.deallocate() }
        let go = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        let other = Thread {
            go.wait()
            for slot in 0..<100 { slots[slot] = malloc(16) }
            done.signal()
        }
        other.start()
        let count = allocations {
            go.signal()
            done.wait()
        }
        for slot in 0..<100 { free(slots[slot]) }
        #expect(count == 0)
    }
}

/// A training step — forward, loss with its gradient, backward, optimizer step — allocates
/// nothing once its buffers have been sized by the first batch: every layer, loss gradient and
/// optimizer state lives in matrices allocated up front and overwritten.
@Suite(.enabled(if: allocationCountingIsAvailable, "allocations are intercepted on Linux/glibc only"))
struct AllocationTests {
    /// The price network: 20 phone features, hidden [128, 256], 4 price classes.
    static let plainDescription = NetworkDescription(
        inputWidth: 20, hiddenWidths: [128, 256], outputWidth: 4, activation: .relu, initializer: .kaimingNormal)

    /// Every layer kind the engine has: BatchNorm1d, Dropout and a learnt (PReLU) or fixed
    /// (LeakyReLU) negative slope.
    static let descriptions: [NetworkDescription] = [
        plainDescription,
        NetworkDescription(
            inputWidth: 20, hiddenWidths: [128, 256], outputWidth: 4, activation: .prelu,
            initializer: .kaimingNormal, dropout: 0.2, batchNorm: true),
        NetworkDescription(
            inputWidth: 20, hiddenWidths: [128, 256], outputWidth: 4, activation: .leakyReLU,
            initializer: .kaimingNormal, dropout: 0.5, batchNorm: true),
    ]

    /// Every optimizer, and the variants with extra state (momentum buffers, Nesterov).
    static let optimizers: [OptimizerConfiguration] = [
        OptimizerConfiguration(kind: .sgd),
        OptimizerConfiguration(kind: .momentum),
        OptimizerConfiguration(kind: .sgd, momentum: 0.9, nesterov: true),
        OptimizerConfiguration(kind: .rmsprop),
        OptimizerConfiguration(kind: .rmsprop, momentum: 0.9),
        OptimizerConfiguration(kind: .adagrad),
        OptimizerConfiguration(kind: .adam),
        OptimizerConfiguration(kind: .adamw),
    ]

    static let countedSteps = 50

    /// A network, its optimizer and fixed batches of `rows` random features and class indices.
    struct Training {
        let network: Network
        let optimizer: any Optimizer

        init(_ description: NetworkDescription, _ optimizer: OptimizerConfiguration, path: KernelPath) throws {
            network = try Network(description, seed: 1, kernelPath: path)
            self.optimizer = try optimizer.makeOptimizer(for: network.parameters(), kernelPath: path)
        }

        /// One step as the trainer takes it, on the logits with the fused cross-entropy.
        func step(_ input: Matrix, _ target: Matrix) throws {
            let logits = try network.forward(input, applyingOutputActivation: false)
            _ = try Loss.crossEntropy.evaluate(
                prediction: logits, target: target, gradient: network.outputGradient, kernelPath: network.context.kernelPath)
            network.backward(input, throughOutputActivation: false)
            optimizer.step()
        }

        static func batch(rows: Int, seed: UInt64) throws -> (input: Matrix, target: Matrix) {
            var generator = SplitMix64(seed: seed)
            let features = (0..<rows * 20).map { _ in Float(generator.nextStandardNormal()) }
            let classes = (0..<rows).map { _ in Float(generator.nextIndex(below: 4)) }
            return (try Matrix(rows: rows, columns: 20, values: features), try Matrix(rows: rows, columns: 1, values: classes))
        }
    }

    /// On every kernel path.
    @Test(arguments: descriptions, optimizers)
    func trainingStepsAfterTheFirstAllocateNothing(
        description: NetworkDescription, optimizer: OptimizerConfiguration
    ) throws {
        for path in KernelPath.supported {
            let training = try Training(description, optimizer, path: path)
            let (input, target) = try Training.batch(rows: 32, seed: 7)
            // The first steps may size buffers for the batch.
            for _ in 0..<2 { try training.step(input, target) }

            let count = try allocations {
                for _ in 0..<Self.countedSteps { try training.step(input, target) }
            }
            #expect(count == 0, "\(path)")
        }
    }

    @Test(arguments: descriptions, optimizers)
    func aSmallerLastBatchReusesTheBuffersOfTheFullOne(
        description: NetworkDescription, optimizer: OptimizerConfiguration
    ) throws {
        let training = try Training(description, optimizer, path: .selected)
        let full = try Training.batch(rows: 32, seed: 7)
        let last = try Training.batch(rows: 17, seed: 8)
        // Sized by full batches only: the 17-row batch must shrink within that capacity, and
        // the full batch after it must grow back into it.
        for _ in 0..<2 { try training.step(full.input, full.target) }

        let count = try allocations {
            for _ in 0..<Self.countedSteps / 2 {
                try training.step(last.input, last.target)
                try training.step(full.input, full.target)
            }
        }
        #expect(count == 0)
    }
}
