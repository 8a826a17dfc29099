/// An optimizer that can update a Linear layer's weight in the pass that computes the weight's
/// gradient, where the update's work overlaps the product's (`Network.backward(_:thenStep:)`).
///
/// A step is `beginStep()`, then the backward pass, in which each Linear layer hands its weight
/// to `updateWeight(_:outputGradient:input:workspace:)`, then `finishStep()` for every parameter
/// not updated yet. The values are those of `backward` followed by `step()`: the gradients are
/// the same and are still stored, and each parameter is updated once, from its own gradient.
public protocol WeightUpdateDuringBackward: Optimizer {
    /// Starts a step: the step count and this step's scalars, as `step()` would.
    func beginStep()

    /// Computes `weight.gradient` = ∂zᵀ·x (`outputGradient` ∂z, `input` x) on `workspace` and
    /// updates `weight` from it. Returns false, having done nothing, when it cannot: `weight` is
    /// not one of its parameters, or its kernel path is not the workspace's.
    func updateWeight(_ weight: Parameter, outputGradient: Matrix, input: Matrix, workspace: GemmWorkspace) -> Bool

    /// Updates the parameters that `updateWeight` did not, ending the step.
    func finishStep()
}

/// Which of an optimizer's parameters `updateWeight` has updated in the current step, for
/// `finishStep` to leave alone.
struct UpdatedDuringBackward {
    private var updated: [Bool]

    init(count: Int) {
        updated = Array(repeating: false, count: count)
    }

    /// The index of `weight` among `parameters`, marked as updated this step, when the update can
    /// run on `workspace`: the optimizer holds the weight and runs on the workspace's kernel path.
    /// The gradient's operands must fit the weight.
    mutating func claim(
        _ weight: Parameter, in parameters: [Parameter], kernelPath: KernelPath, workspace: GemmWorkspace,
        outputGradient: Matrix, input: Matrix
    ) -> Int? {
        guard workspace.kernelPath == kernelPath else { return nil }
        precondition(
            outputGradient.columns == weight.value.rows && input.columns == weight.value.columns
                && outputGradient.rows == input.rows,
            "the weight's gradient has the wrong shape")
        // Indices rather than firstIndex(where:), which may allocate unspecialised (debug builds),
        // and a training step must allocate nothing.
        for index in parameters.indices where parameters[index] === weight {
            updated[index] = true
            return index
        }
        return nil
    }

    /// Whether the parameter at `index` was updated this step, clearing the mark for the next.
    mutating func take(_ index: Int) -> Bool {
        defer { updated[index] = false }
        return updated[index]
    }
}
