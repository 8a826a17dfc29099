import Foundation
import CKernels

/// Loss functions (section 5 of the founding document) with mean reduction, as PyTorch's
/// `nn.CrossEntropyLoss`, `nn.BCELoss`, `nn.BCEWithLogitsLoss`, `nn.L1Loss`, `nn.MSELoss` and
/// `nn.SmoothL1Loss(beta)`. N below is the number of averaged terms: rows for cross-entropy,
/// elements for the others.
///
/// - cross_entropy (logits z, class index y): mean(logΣe^z − z_y); ∂z = (softmax(z) − onehot(y))/N
/// - bce (probabilities p, targets t): −mean(t·max(log p, −100) + (1−t)·max(log(1−p), −100));
///   ∂p = (p − t)/max(p(1−p), 1e-12)/N
/// - bce_with_logits: mean(max(z,0) − z·t + log(1+e^{−|z|})); ∂z = (σ(z) − t)/N
/// - l1: mean|x−t|; ∂x = sign(x−t)/N.  mse: mean (x−t)²; ∂x = 2(x−t)/N
/// - smooth_l1: d = x−t; 0.5d²/β if |d| < β else |d| − 0.5β; ∂x = d/β or sign(d), over N
/// - ordinal (K−1 threshold logits z of an `OrdinalThresholds` output, class index y): CORAL's
///   loss as coral-pytorch's `coral_loss`, the binary cross-entropies of "y > k" summed over the
///   thresholds and averaged over rows, mean_rows Σ_k (max(z_k,0) − z_k·[y>k] + log(1+e^{−|z_k|}));
///   ∂z_k = (σ(z_k) − [y>k])/N
public enum Loss: String, CaseIterable, Codable, Sendable, NamedChoice {
    public static let choiceKind = "loss"

    case crossEntropy = "cross_entropy"
    case binaryCrossEntropy = "bce"
    case binaryCrossEntropyWithLogits = "bce_with_logits"
    case l1
    case mse
    case smoothL1 = "smooth_l1"
    case ordinal



    /// Whether the loss expects the output activation applied (probabilities) rather than the
    /// last Linear's z. Cross-entropy and BCE-with-logits fuse the activation for stability.
    public var takesProbabilities: Bool { self == .binaryCrossEntropy }

    /// Whether the target is one class index per row rather than a value per output.
    public var takesClassIndices: Bool { self == .crossEntropy || self == .ordinal }

    /// The mean loss of `prediction` against `target`, writing ∂loss/∂prediction into
    /// `gradient` when given. For cross-entropy `target` is [rows, 1] of class indices; for the
    /// others it has `prediction`'s shape. `smoothL1Beta` is SmoothL1's β. Cross-entropy's e^x and
    /// ln x run on `kernelPath` (the network's).
    public func evaluate(
        prediction: Matrix, target: Matrix, gradient: Matrix? = nil, smoothL1Beta: Float = 1,
        kernelPath: KernelPath = .selected
    ) throws(NeuralNetError) -> Float {
        try checkShapes(prediction: prediction, target: target)
        if let gradient {
            guard gradient.columns == prediction.columns else {
                throw .shapeMismatch("loss gradient needs \(prediction.columns) columns, has \(gradient.columns)")
            }
            gradient.resize(rows: prediction.rows)
        }
        let x = prediction.pointer, t = target.pointer
        let dx = gradient?.pointer
        switch self {
        case .crossEntropy:
            return try crossEntropy(prediction, target, dx, kernelPath)
        case .ordinal:
            return try ordinal(prediction, target, dx)
        case .binaryCrossEntropy:
            return try elementwise(prediction.count, dx) { i in
                let p = x[i], y = t[i]
                // NaN passes through so that a diverging run reports a NaN loss rather than an error.
                if p < 0 || p > 1 { return nil }
                let logP = max(Foundation.log(Double(p)), -100)
                let logQ = max(Foundation.log(Double(1 - p)), -100)
                let value = -(Double(y) * logP + Double(1 - y) * logQ)
                let slope = (p - y) / max(p * (1 - p), 1e-12)
                return (value, slope)
            }
        case .binaryCrossEntropyWithLogits:
            return try elementwise(prediction.count, dx) { i in
                let z = Double(x[i]), y = Double(t[i])
                let value = max(z, 0) - z * y + Foundation.log1p(Foundation.exp(-abs(z)))
                let sigmoid = 1 / (1 + Foundation.exp(-z))
                return (value, Float(sigmoid - y))
            }
        case .l1:
            return try elementwise(prediction.count, dx) { i in
                let d = x[i] - t[i]
                return (Double(abs(d)), d > 0 ? 1 : (d < 0 ? -1 : 0))
            }
        case .mse:
            return try elementwise(prediction.count, dx) { i in
                let d = x[i] - t[i]
                return (Double(d) * Double(d), 2 * d)
            }
        case .smoothL1:
            guard smoothL1Beta > 0 else {
                throw .invalidValue(setting: "smooth_l1 beta", value: "\(smoothL1Beta)", allowed: "must be positive")
            }
            let beta = smoothL1Beta
            return try elementwise(prediction.count, dx) { i in
                let d = x[i] - t[i]
                if abs(d) < beta {
                    return (0.5 * Double(d) * Double(d) / Double(beta), d / beta)
                }
                return (Double(abs(d)) - 0.5 * Double(beta), d > 0 ? 1 : -1)
            }
        }
    }

    private func checkShapes(prediction: Matrix, target: Matrix) throws(NeuralNetError) {
        guard prediction.rows == target.rows else {
            throw .shapeMismatch(
                "\(rawValue) needs one target row per prediction row, got \(prediction.rows) predictions but \(target.rows) targets")
        }
        guard prediction.rows > 0 else {
            throw .shapeMismatch("\(rawValue) needs at least one row")
        }
        if takesClassIndices {
            guard target.columns == 1 else {
                throw .shapeMismatch("\(rawValue) takes one class index per row, got \(target.columns) target columns")
            }
        } else if target.columns != prediction.columns {
            throw .shapeMismatch(
                "\(rawValue) needs targets shaped like the predictions (\(prediction.rows)×\(prediction.columns)), got \(target.rows)×\(target.columns)")
        }
    }

    private func crossEntropy(
        _ logits: Matrix, _ target: Matrix, _ dx: UnsafeMutablePointer<Float>?, _ kernelPath: KernelPath
    ) throws(NeuralNetError) -> Float {
        let rows = logits.rows, classes = logits.columns
        let t = target.pointer
        try checkClassIndices(target, classes: classes)
        let total = sweep_softmax_cross_entropy(kernelPath.kernel, logits.pointer, t, rows, classes, dx, 1 / Float(rows))
        return Float(total / Double(rows))
    }

    /// Every target a whole number from 0 to `classes` − 1.
    private func checkClassIndices(_ target: Matrix, classes: Int) throws(NeuralNetError) {
        let t = target.pointer
        for row in 0..<target.rows {
            let label = t[row]
            // A whole number in range: the comparison fails for NaN, so the conversion is safe.
            guard label >= 0, label < Float(classes), Float(Int(label)) == label else {
                throw .invalidValue(
                    setting: "\(rawValue) target", value: "\(label) in row \(row)",
                    allowed: "must be a class index from 0 to \(classes - 1)")
            }
        }
    }

    /// CORAL's loss over K−1 threshold logits per row (see the type's documentation).
    private func ordinal(_ logits: Matrix, _ target: Matrix, _ dx: UnsafeMutablePointer<Float>?) throws(NeuralNetError) -> Float {
        let rows = logits.rows, thresholds = logits.columns
        try checkClassIndices(target, classes: thresholds + 1)
        let z = logits.pointer, t = target.pointer
        let inverseRows = 1 / Float(rows)
        var total: Double = 0
        for row in 0..<rows {
            let label = Int(t[row])
            for k in 0..<thresholds {
                let index = row * thresholds + k
                let logit = Double(z[index]), above: Double = label > k ? 1 : 0
                total += max(logit, 0) - logit * above + Foundation.log1p(Foundation.exp(-abs(logit)))
                dx?[index] = Float(1 / (1 + Foundation.exp(-logit)) - above) * inverseRows
            }
        }
        return Float(total / Double(rows))
    }

    /// Mean of per-element terms; `term(i)` gives (loss term, unscaled derivative) or nil for an
    /// input outside the loss's domain.
    private func elementwise(
        _ count: Int, _ dx: UnsafeMutablePointer<Float>?, term: (Int) -> (Double, Float)?
    ) throws(NeuralNetError) -> Float {
        var total: Double = 0
        let inverseCount = 1 / Float(count)
        for i in 0..<count {
            guard let (value, slope) = term(i) else {
                throw .invalidValue(
                    setting: "\(rawValue) input", value: "at element \(i)",
                    allowed: "must be a probability in [0, 1]; use bce_with_logits for raw scores")
            }
            total += value
            dx?[i] = slope * inverseCount
        }
        return Float(total / Double(count))
    }
}
