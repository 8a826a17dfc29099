import NeuralNet
import Testing
@testable import Datasets

@Suite struct TrainValidationTestSplitTests {
    @Test func fourHundredRowsPerClassSplitInto1280TrainingAnd320TestRows() throws {
        let dataset = interleavedClassDataset(classCounts: [400, 400, 400, 400])
        let split = try dataset.split(task: .multiclass, testFraction: 0.2, seed: 88)
        // Per class ⌊400 · 0.2 + 0.5⌋ = 80 test rows, so 4 · 80 = 320 test and 1600 − 320 = 1280 training.
        #expect(split.train.count == 1280)
        #expect(split.test.count == 320)
        #expect(split.validation.isEmpty)
        for classValue in 0..<4 {
            #expect(split.test.filter { dataset.targets[$0] == Float(classValue) }.count == 80)
        }
    }

    @Test(arguments: [UInt64(0), 1, 2, 3, 88])
    func eachPartKeepsTheWholeDatasetsClassProportionsWithinOneRowPerClass(seed: UInt64) throws {
        let classCounts = [37, 50, 13]
        let dataset = interleavedClassDataset(classCounts: classCounts)
        let split = try dataset.split(task: .multiclass, testFraction: 0.2, validationFraction: 0.15, seed: seed)
        for part in [split.train, split.validation, split.test] {
            for (classValue, classCount) in classCounts.enumerated() {
                let inPart = part.filter { dataset.targets[$0] == Float(classValue) }.count
                let proportional = Double(part.count) * Double(classCount) / Double(dataset.rowCount)
                #expect(abs(Double(inPart) - proportional) <= 1, "class \(classValue): \(inPart) vs \(proportional)")
            }
        }
    }

    @Test func thePartsAreDisjointSortedAndCoverEveryRow() throws {
        let dataset = interleavedClassDataset(classCounts: [21, 34, 9])
        let split = try dataset.split(task: .multiclass, testFraction: 0.25, validationFraction: 0.1, seed: 3)
        let all = split.train + split.validation + split.test
        #expect(all.sorted() == Array(0..<dataset.rowCount))
        for part in [split.train, split.validation, split.test] {
            #expect(part == part.sorted())
        }
    }

    @Test func theSameSeedGivesTheSameSplitAndAnotherSeedADifferentOne() throws {
        let dataset = interleavedClassDataset(classCounts: [50, 50])
        let first = try dataset.split(task: .binary, testFraction: 0.2, seed: 11)
        let again = try dataset.split(task: .binary, testFraction: 0.2, seed: 11)
        let other = try dataset.split(task: .binary, testFraction: 0.2, seed: 12)
        #expect(first == again)
        #expect(first.test != other.test)
    }

    @Test func eachClassRoundsItsShareHalfUp() throws {
        // ⌊6 · 0.25 + 0.5⌋ = ⌊2.0⌋ = 2 test rows per class (plain truncation would give 1), and
        // ⌊6 · 0.1 + 0.5⌋ = ⌊1.1⌋ = 1 validation row; 3 classes × (2, 1, 3).
        let dataset = interleavedClassDataset(classCounts: [6, 6, 6])
        let split = try dataset.split(task: .multiclass, testFraction: 0.25, validationFraction: 0.1, seed: 9)
        #expect(split.test.count == 6)
        #expect(split.validation.count == 3)
        #expect(split.train.count == 9)
    }

    @Test func theSplitMatchesTheReferenceAlgorithmRowForRow() throws {
        // Expected indices from a Python replication of the documented algorithm (SplitMix64,
        // Fisher–Yates with next() % (i+1), classes ascending, ⌊n·f + 0.5⌋ per class), the same
        // code the tools/ scripts use; classes are 0,1,2,0,1,2,… over 15 rows.
        let dataset = interleavedClassDataset(classCounts: [5, 5, 5])
        let split = try dataset.split(task: .multiclass, testFraction: 0.2, validationFraction: 0.2, seed: 42)
        #expect(split.train == [0, 1, 2, 4, 7, 8, 9, 11, 12])
        #expect(split.validation == [6, 13, 14])
        #expect(split.test == [3, 5, 10])
    }

    @Test func regressionShufflesAllRowsAsOneGroup() throws {
        // Same Python replication with one group of 10 rows, seed 5: ⌊10 · 0.3 + 0.5⌋ = 3 test rows.
        let split = try Splits.trainValidationTest(.none(rowCount: 10), testFraction: 0.3, validationFraction: 0, seed: 5)
        #expect(split.train == [1, 2, 4, 5, 7, 8, 9])
        #expect(split.test == [0, 3, 6])
        #expect(split.validation.isEmpty)
    }

    @Test(arguments: [-0.1, 1.0, 1.5, Double.nan])
    func aTestFractionOutsideZeroToOneIsRefused(fraction: Double) {
        let error = datasetError { () throws(DatasetError) -> DatasetSplit in
            try Splits.trainValidationTest(.none(rowCount: 10), testFraction: fraction, validationFraction: 0, seed: 1)
        }
        guard case let .invalidFraction(_, name, value)? = error else {
            Issue.record("expected invalidFraction, got \(String(describing: error))")
            return
        }
        #expect(name == "test")
        #expect(value == fraction || (value.isNaN && fraction.isNaN))
        #expect(error?.description.contains("test fraction") == true)
    }

    @Test func aNegativeValidationFractionIsRefused() {
        let error = datasetError { () throws(DatasetError) -> DatasetSplit in
            try Splits.trainValidationTest(.none(rowCount: 10), testFraction: 0.2, validationFraction: -0.2, seed: 1)
        }
        #expect(error == .invalidFraction(name: "validation", value: -0.2))
    }

    @Test func fractionsSummingToOneAreRefused() {
        let error = datasetError { () throws(DatasetError) -> DatasetSplit in
            try Splits.trainValidationTest(.none(rowCount: 10), testFraction: 0.6, validationFraction: 0.4, seed: 1)
        }
        #expect(error == .fractionsTooLarge(testFraction: 0.6, validationFraction: 0.4))
        #expect(error?.description.contains("no rows for training") == true)
    }

    @Test func aSplitLeavingNoTrainingRowsIsRefused() {
        // One row per class: ⌊1 · 0.5 + 0.5⌋ = 1 test row per class, so nothing is left to train on.
        let dataset = interleavedClassDataset(classCounts: [1, 1])
        let error = datasetError { () throws(DatasetError) -> DatasetSplit in
            try dataset.split(task: .binary, testFraction: 0.5, seed: 1)
        }
        #expect(error == .emptySplitPart(source: "memory", part: "training", rowCount: 2, fraction: 0.5, largestGroup: 1))
        #expect(error?.description.contains("training part empty") == true)
    }

    @Test func aTestFractionThatRoundsToNoRowIsRefused() {
        // ⌊3 · 0.1 + 0.5⌋ = 0 test rows although a test part was asked for.
        let error = datasetError { () throws(DatasetError) -> DatasetSplit in
            try Splits.trainValidationTest(.none(rowCount: 3), testFraction: 0.1, validationFraction: 0, seed: 1)
        }
        #expect(error == .emptySplitPart(part: "test", rowCount: 3, fraction: 0.1, largestGroup: 3))
    }

    @Test func classificationSplitsRefuseARegressionTarget() throws {
        let dataset = try CSVLoader.parse(text: "x,y\n1,0.5\n2,1.5\n", path: "r.csv")
        let error = datasetError { () throws(DatasetError) -> DatasetSplit in
            try dataset.split(task: .multiclass, testFraction: 0.5, seed: 1)
        }
        #expect(error == .nonIntegerTarget(source: "r.csv", target: "y", line: 2, value: 0.5))
    }
}

@Suite struct KFoldTests {
    @Test func foldsPartitionTheRowsAndEachTrainsOnTheRest() throws {
        let dataset = interleavedClassDataset(classCounts: [17, 23, 8])
        let folds = try dataset.kFold(k: 5, seed: 4, task: .multiclass)
        #expect(folds.count == 5)
        #expect(folds.flatMap(\.validation).sorted() == Array(0..<dataset.rowCount))
        for fold in folds {
            #expect(fold.validation == fold.validation.sorted())
            #expect(fold.train == fold.train.sorted())
            #expect((fold.train + fold.validation).sorted() == Array(0..<dataset.rowCount))
        }
    }

    @Test func eachFoldHoldsEveryClassWithinOneRowOfAnEvenShare() throws {
        let classCounts = [17, 23, 8]
        let dataset = interleavedClassDataset(classCounts: classCounts)
        let folds = try dataset.kFold(k: 5, seed: 4, task: .multiclass)
        for fold in folds {
            for (classValue, classCount) in classCounts.enumerated() {
                let inFold = fold.validation.filter { dataset.targets[$0] == Float(classValue) }.count
                // Dealing round-robin gives ⌊count/k⌋ or ⌈count/k⌉ rows of each class per fold.
                #expect(inFold == classCount / 5 || inFold == (classCount + 4) / 5)
            }
        }
    }

    @Test func foldsMatchTheReferenceAlgorithmRowForRow() throws {
        // Expected folds from the Python replication: classes 0,1,2,… over 15 rows, each class
        // shuffled in turn by one SplitMix64(seed: 7), position p of a class dealt to fold p % 3.
        let dataset = interleavedClassDataset(classCounts: [5, 5, 5])
        let folds = try dataset.kFold(k: 3, seed: 7, task: .multiclass)
        #expect(folds.map(\.validation) == [[0, 4, 5, 7, 8, 12], [1, 2, 3, 6, 13, 14], [9, 10, 11]])
    }

    @Test func theSameSeedGivesTheSameFoldsAndAnotherSeedDifferentOnes() throws {
        let dataset = interleavedClassDataset(classCounts: [30, 30])
        let first = try dataset.kFold(k: 3, seed: 1, task: .binary)
        #expect(try dataset.kFold(k: 3, seed: 1, task: .binary) == first)
        #expect(try dataset.kFold(k: 3, seed: 2, task: .binary) != first)
    }

    @Test func regressionFoldsCanGoUpToOneRowEach() throws {
        let folds = try Splits.kFold(.none(rowCount: 4), k: 4, seed: 9)
        #expect(folds.map(\.validation.count) == [1, 1, 1, 1])
    }

    @Test(arguments: [-1, 0, 1, 11])
    func aFoldCountOutsideTwoToTheRowCountIsRefused(k: Int) {
        let error = datasetError { () throws(DatasetError) -> [CrossValidationFold] in
            try Splits.kFold(.none(rowCount: 10), k: k, seed: 1)
        }
        #expect(error == .invalidFoldCount(k: k, limit: 10, rowCount: 10, stratified: false))
        #expect(error?.description.contains("between 2 and 10") == true)
    }

    @Test func stratifiedFoldsCannotOutnumberTheLargestClass() {
        // The largest class has 3 rows, so a fourth fold would receive no row at all.
        let dataset = interleavedClassDataset(classCounts: [3, 2])
        let error = datasetError { () throws(DatasetError) -> [CrossValidationFold] in
            try dataset.kFold(k: 4, seed: 1, task: .binary)
        }
        #expect(error == .invalidFoldCount(source: "memory", k: 4, limit: 3, rowCount: 5, stratified: true))
    }

    /// `Splits` knows only groups of rows; a dataset's split names the file in its message, so
    /// that a sweep over several files (or a command given one) says which cannot be split.
    @Test func aDatasetThatCannotBeSplitIsNamedInTheMessage() throws {
        // Classes 0, 1, 0, 1, 0: 3 rows in the largest. ⌊3 · 0.05 + 0.5⌋ = 0 test rows.
        let dataset = try CSVLoader.parse(text: "a,y\n1,0\n2,1\n3,0\n4,1\n5,0\n", path: "few.csv")
        let split = datasetError { () throws(DatasetError) -> DatasetSplit in
            try dataset.split(task: .binary, testFraction: 0.05, seed: 1)
        }
        #expect(split?.description.hasPrefix("few.csv: with 5 rows (3 in the largest class), a test fraction of 0.05 rounds to no row") == true, "\(String(describing: split))")
        let folds = datasetError { () throws(DatasetError) -> [CrossValidationFold] in
            try dataset.kFold(k: 4, seed: 1, task: .binary)
        }
        #expect(folds?.description.hasPrefix("few.csv: cross-validation with k = 4 folds is not possible: k must be at least 2 and at most 3") == true, "\(String(describing: folds))")
        // Without a file the sentence stands alone, as before.
        let unnamed = datasetError { () throws(DatasetError) -> [CrossValidationFold] in
            try Splits.kFold(.none(rowCount: 2), k: 3, seed: 1)
        }
        #expect(unnamed?.description.hasPrefix("Cross-validation with k = 3 folds is not possible: k must be 2 because there are 2 rows. Use 2 folds") == true, "\(String(describing: unnamed))")
    }

    /// The fractions' errors name the file as the other split errors do. A spec's fractions
    /// are refused when it is read, so these reach a person only through code that splits with
    /// fractions of its own.
    @Test func unusableFractionsAreNamedWithTheDataset() throws {
        let dataset = try CSVLoader.parse(text: "a,y\n1,0\n2,1\n3,0\n4,1\n", path: "few.csv")
        let outside = datasetError { () throws(DatasetError) -> DatasetSplit in
            try dataset.split(task: .binary, testFraction: 1.5, seed: 1)
        }
        #expect(outside == .invalidFraction(source: "few.csv", name: "test", value: 1.5))
        #expect(outside?.description == "few.csv: the test fraction 1.5 is outside [0, 1). Use a value such as 0.2 (20% of the rows).")
        let tooLarge = datasetError { () throws(DatasetError) -> DatasetSplit in
            try dataset.split(task: .binary, testFraction: 0.6, validationFraction: 0.5, seed: 1)
        }
        #expect(tooLarge?.description.hasPrefix("few.csv: the test fraction 0.6 and validation fraction 0.5 add up to 1.1") == true, "\(String(describing: tooLarge))")
    }
}
