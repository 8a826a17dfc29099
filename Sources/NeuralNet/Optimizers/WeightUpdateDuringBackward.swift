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
