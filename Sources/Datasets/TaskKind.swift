/// What kind of prediction the target asks for.
///
/// The raw values are what the CLI, the sweep spec JSON and the result store use.
public enum TaskKind: String, CaseIterable, Codable, Sendable {
    /// Three or more classes: softmax outputs, cross-entropy loss.
    case multiclass
    /// Exactly two classes.
    case binary
    /// A continuous target: one linear output, squared-error loss.
    case regression

    /// Whether the target is a class label rather than a quantity.
    public var isClassification: Bool { self != .regression }

    /// The most distinct target values a column may have and still be taken for class labels.
    ///
    /// Twenty leaves room for realistic label sets (ratings, digit classes) while a measured
    /// quantity with integer values, such as a price in whole euros, almost always has more.
    public static let maximumClassCount = 20

    /// 2²⁴: from here on a 32-bit float, which holds a target, cannot tell every whole number
    /// from the next, so class labels must stay below it.
    public static let largestExactClassLabel: Float = 16_777_216

    /// Infers the task from the target values alone, for when the configuration names none.
    ///
    /// All values whole numbers with `2 ≤ distinct ≤ maximumClassCount` → `.binary` if exactly two
    /// distinct values, else `.multiclass`; anything else (fractions, a single value, many values)
    /// → `.regression`.
    public static func infer(fromTargets targets: [Float]) -> TaskKind {
        var distinct = Set<Float>()
        for value in targets {
            guard value.isFinite, value == value.rounded() else { return .regression }
            distinct.insert(value)
            if distinct.count > maximumClassCount { return .regression }
        }
        switch distinct.count {
        case 2: return .binary
        case 3...maximumClassCount: return .multiclass
        default: return .regression
        }
    }
}

extension Dataset {
    /// The task its target suggests; see `TaskKind.infer(fromTargets:)`.
    public func inferTask() -> TaskKind {
        TaskKind.infer(fromTargets: targets)
    }

    /// The task to train for: the requested one after checking it fits the target, or the
    /// inferred one when none is requested.
    ///
    /// Inference refuses two targets rather than guess: one value in every row (nothing to
    /// learn, and most likely the wrong column), and whole numbers with few distinct values,
    /// as class labels are, except in a few rows (at most one in a hundred), which is most
    /// likely a typo in a class column. Naming the task accepts either.
    ///
    /// - Throws: the `validateClassification(as:)` errors when a classification is requested;
    ///   `DatasetError.constantTarget` or `.nearlyClassLabels` when none is.
    public func resolveTask(requested: TaskKind?) throws(DatasetError) -> TaskKind {
        guard let requested else {
            let inferred = inferTask()
            if inferred == .regression { try checkInferredRegressionTarget() }
            return inferred
        }
        try validateClassification(as: requested)
        return requested
    }

    /// The checks behind inference's two refusals; see `resolveTask(requested:)`.
    private func checkInferredRegressionTarget() throws(DatasetError) {
        guard let first = targets.first else { return }
        if targets.allSatisfy({ $0 == first }) {
            throw .constantTarget(source: source, target: targetName, value: first, rowCount: rowCount)
        }
        var wholeValues = Set<Float>()
        var firstOther: Int?
        var otherCount = 0
        for (row, value) in targets.enumerated() {
            if value.isFinite, value == value.rounded() {
                wholeValues.insert(value)
                if wholeValues.count > TaskKind.maximumClassCount { return }
            } else {
                otherCount += 1
                if firstOther == nil { firstOther = row }
                if otherCount > max(1, rowCount / 100) { return }
            }
        }
        guard let firstOther, wholeValues.count >= 2 else { return }
        throw .nearlyClassLabels(
            source: source, target: targetName, line: lineNumbers[firstOther], value: targets[firstOther],
            labels: wholeValues.sorted(), otherRowCount: otherCount, rowCount: rowCount)
    }

    /// Checks that the target can serve as class labels for `task` and returns their encoding.
    ///
    /// The checks, in order: every value is a whole number (else the first offending line is
    /// named), every one below 2²⁴ in size (`TaskKind.largestExactClassLabel`), at most `TaskKind.maximumClassCount` distinct values, at least two, and exactly two
    /// for `.binary`. A `.regression` task needs no check and gets the encoding of whatever
    /// values there are.
    @discardableResult
    public func validateClassification(as task: TaskKind) throws(DatasetError) -> ClassEncoding {
        guard task.isClassification else { return ClassEncoding(targets: targets) }
        for (row, value) in targets.enumerated() where !(value.isFinite && value == value.rounded()) {
            throw .nonIntegerTarget(source: source, target: targetName, line: lineNumbers[row], value: value)
        }
        for (row, value) in targets.enumerated() where value.magnitude >= TaskKind.largestExactClassLabel {
            throw .classLabelTooLarge(source: source, target: targetName, line: lineNumbers[row], value: value)
        }
        let encoding = ClassEncoding(targets: targets)
        if encoding.classCount > TaskKind.maximumClassCount {
            throw .tooManyClasses(
                source: source, target: targetName,
                distinctCount: encoding.classCount, limit: TaskKind.maximumClassCount)
        }
        if encoding.classCount == 1, let only = encoding.classLabels.first {
            throw .singleClass(source: source, target: targetName, value: only)
        }
        if task == .binary, encoding.classCount != 2 {
            throw .binaryNeedsTwoClasses(source: source, target: targetName, classCount: encoding.classCount)
        }
        return encoding
    }
}
