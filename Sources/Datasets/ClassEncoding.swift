/// The mapping between a classification target's values and class indices `0..<classCount`.
///
/// Classes are numbered in ascending order of value, like scikit-learn's `LabelEncoder`: targets
/// `{3, 0, 2, 1}` give `classLabels == [0, 1, 2, 3]` and value `2` is class 2; targets `{-1, 1}`
/// give class 0 for `-1`. The encoding travels with a trained model so that its outputs can be
/// turned back into the labels of the file it learnt from.
public struct ClassEncoding: Codable, Sendable, Equatable {
    /// The distinct target values, ascending; class `i` stands for `classLabels[i]`.
    public let classLabels: [Float]

    /// The number of classes.
    public var classCount: Int { classLabels.count }

    /// The labels as text, whole numbers without a decimal point: `["0", "1", "2", "3"]`.
    public var labelNames: [String] { classLabels.map(labelText) }

    /// The encoding of the distinct values among `targets`.
    public init(targets: [Float]) {
        classLabels = Array(Set(targets)).sorted()
    }

    /// An encoding with the given labels, sorted and deduplicated so that indices stay ascending.
    public init(classLabels: [Float]) {
        self.classLabels = Array(Set(classLabels)).sorted()
    }

    /// The class index of a target value, or `nil` when the value is not one of the labels.
    public func classIndex(of value: Float) -> Int? {
        // Binary search: labels are sorted and at most a handful, but a dataset has many rows.
        var low = 0
        var high = classLabels.count
        while low < high {
            let middle = (low + high) / 2
            if classLabels[middle] < value {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low < classLabels.count && classLabels[low] == value ? low : nil
    }

    /// The target value a class index stands for.
    public func label(ofClass index: Int) -> Float {
        precondition(index >= 0 && index < classCount, "class \(index) is out of range 0..<\(classCount)")
        return classLabels[index]
    }

    /// The class index of every row of `dataset`.
    ///
    /// - Throws: `DatasetError.unseenClassLabel` naming the line of the first value that is not
    ///   one of `classLabels`.
    public func classIndices(of dataset: Dataset) throws(DatasetError) -> [Int] {
        var indices: [Int] = []
        indices.reserveCapacity(dataset.rowCount)
        for (row, value) in dataset.targets.enumerated() {
            guard let index = classIndex(of: value) else {
                throw .unseenClassLabel(
                    source: dataset.source, target: dataset.targetName,
                    line: dataset.lineNumbers[row], value: value, knownLabels: classLabels)
            }
            indices.append(index)
        }
        return indices
    }
}
