import Testing
@testable import Datasets

@Suite struct TaskInferenceTests {
    @Test func fourWholeNumberClassesAreMulticlass() {
        #expect(TaskKind.infer(fromTargets: [0, 1, 2, 3, 2, 1]) == .multiclass)
    }

    @Test func exactlyTwoWholeNumberValuesAreBinary() {
        #expect(TaskKind.infer(fromTargets: [0, 1, 1, 0]) == .binary)
        #expect(TaskKind.infer(fromTargets: [-1, 1]) == .binary)
    }

    @Test func anyFractionalValueMakesItRegression() {
        #expect(TaskKind.infer(fromTargets: [0, 1, 2, 2.5]) == .regression)
    }

    @Test func twentyDistinctWholeNumbersAreStillClassesButTwentyOneAreRegression() {
        // TaskKind.maximumClassCount is 20: the limit is inclusive.
        #expect(TaskKind.infer(fromTargets: (0..<20).map { Float($0) }) == .multiclass)
        #expect(TaskKind.infer(fromTargets: (0..<21).map { Float($0) }) == .regression)
    }

    @Test func aSingleDistinctValueIsNotAClassificationTask() {
        #expect(TaskKind.infer(fromTargets: [3, 3, 3]) == .regression)
        #expect(TaskKind.infer(fromTargets: []) == .regression)
    }

    @Test func rawValuesAreTheNamesUsedInConfigurations() {
        #expect(TaskKind.allCases.map(\.rawValue) == ["multiclass", "binary", "regression"])
        #expect(TaskKind.binary.isClassification && TaskKind.multiclass.isClassification)
        #expect(!TaskKind.regression.isClassification)
    }

    @Test func resolvingWithoutARequestInfersAndWithOneValidates() throws {
        let dataset = interleavedClassDataset(classCounts: [2, 2, 2])
        #expect(try dataset.resolveTask(requested: nil) == .multiclass)
        #expect(try dataset.resolveTask(requested: .regression) == .regression)
        #expect(datasetError { () throws(DatasetError) -> TaskKind in try dataset.resolveTask(requested: .binary) }
            == .binaryNeedsTwoClasses(source: "memory", target: "class", classCount: 3))
    }
}

@Suite struct ClassificationValidationTests {
    @Test func aSingleClassIsRefusedWithItsValue() throws {
        let dataset = try CSVLoader.parse(text: "x,price_range\n1,2\n2,2\n", path: "one.csv")
        let error = datasetError { () throws(DatasetError) -> ClassEncoding in try dataset.validateClassification(as: .multiclass) }
        #expect(error == .singleClass(source: "one.csv", target: "price_range", value: 2))
        let message = error?.description ?? ""
        #expect(message.contains("one.csv") && message.contains("'price_range'") && message.contains("regression"))
    }

    @Test func aFractionalTargetIsRefusedAtItsLine() throws {
        let dataset = try CSVLoader.parse(text: "x,price\n1,0\n2,1\n3,2.5\n", path: "prices.csv")
        let error = datasetError { () throws(DatasetError) -> ClassEncoding in try dataset.validateClassification(as: .multiclass) }
        // Header on line 1, the 2.5 on line 4.
        #expect(error == .nonIntegerTarget(source: "prices.csv", target: "price", line: 4, value: 2.5))
        let message = error?.description ?? ""
        #expect(message.contains("prices.csv") && message.contains("line 4") && message.contains("'price'") && message.contains("2.5"))
    }

    /// Labels such as 16777216 and 16777217 read as one 32-bit float: classes would merge (or a
    /// date code such as 20240103 become 20240104) without a word.
    @Test func classLabelsTooLargeForA32BitFloatAreRefusedAtTheirLine() throws {
        let dataset = try CSVLoader.parse(text: "x,code\n1,5\n2,16777216\n3,16777217\n4,5\n", path: "codes.csv")
        #expect(dataset.inferTask() == .binary, "what the loader makes of three labels: two values")
        let error = datasetError { () throws(DatasetError) -> ClassEncoding in try dataset.validateClassification(as: .binary) }
        #expect(error == .classLabelTooLarge(source: "codes.csv", target: "code", line: 3, value: 16_777_216))
        let message = error?.description ?? ""
        #expect(message.contains("codes.csv") && message.contains("line 3") && message.contains("Renumber the classes"))
        // Just under 2²⁴ every whole number is its own float, and the labels stand.
        let below = try CSVLoader.parse(text: "x,code\n1,16777213\n2,16777214\n3,16777215\n", path: "below.csv")
        #expect(try below.validateClassification(as: .multiclass).classCount == 3)
    }

    @Test func manyDistinctWholeNumbersAreRefusedAsLookingLikeRegression() throws {
        let text = "x,euros\n" + (0..<25).map { "\($0),\(100 + $0)" }.joined(separator: "\n")
        let dataset = try CSVLoader.parse(text: text, path: "euros.csv")
        let error = datasetError { () throws(DatasetError) -> ClassEncoding in try dataset.validateClassification(as: .multiclass) }
        #expect(error == .tooManyClasses(source: "euros.csv", target: "euros", distinctCount: 25, limit: 20))
        let message = error?.description ?? ""
        #expect(message.contains("euros.csv") && message.contains("'euros'") && message.contains("25") && message.contains("regression"))
    }

    @Test func binaryWithFourClassesIsRefused() {
        let dataset = interleavedClassDataset(classCounts: [1, 1, 1, 1])
        let error = datasetError { () throws(DatasetError) -> ClassEncoding in try dataset.validateClassification(as: .binary) }
        #expect(error == .binaryNeedsTwoClasses(source: "memory", target: "class", classCount: 4))
    }

    @Test func validClassLabelsReturnTheirEncoding() throws {
        let dataset = interleavedClassDataset(classCounts: [1, 1, 1, 1])
        #expect(try dataset.validateClassification(as: .multiclass).classLabels == [0, 1, 2, 3])
    }
}
