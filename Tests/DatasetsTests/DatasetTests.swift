import Testing
@testable import Datasets

@Suite struct DatasetTests {
    private let table = Dataset(
        featureNames: ["a", "b"],
        targetName: "y",
        features: [1, 2, 3, 4, 5, 6],
        targets: [10, 20, 30],
        source: "memory"
    )

    @Test func countsComeFromTargetsAndFeatureNames() {
        #expect(table.rowCount == 3)
        #expect(table.featureCount == 2)
    }

    @Test func rowsWithoutGivenLineNumbersAreNumberedAsIfBelowAHeader() {
        // Row 0 would be on line 2 of a CSV file whose line 1 is the header.
        #expect(table.lineNumbers == [2, 3, 4])
    }

    @Test func featureRowAndFeatureColumnReadRowMajorStorage() {
        #expect(Array(table.featureRow(1)) == [3, 4])
        #expect(table.featureColumn(1) == [2, 4, 6])
        #expect(table.featureIndex(named: "b") == 1)
        #expect(table.featureIndex(named: "z") == nil)
    }

    @Test func aSubsetCopiesTheChosenRowsInTheGivenOrderWithTheirLineNumbers() {
        let subset = table.subset(rows: [2, 0])
        #expect(subset.features == [5, 6, 1, 2])
        #expect(subset.targets == [30, 10])
        #expect(subset.lineNumbers == [4, 2])
        #expect(subset.featureNames == table.featureNames)
        #expect(table[rows: [2, 0]] == subset)
    }

    @Test func anEmptySubsetHasNoRowsButKeepsTheColumns() {
        let subset = table.subset(rows: [])
        #expect(subset.rowCount == 0)
        #expect(subset.featureNames == ["a", "b"])
    }

    @Test func retargetingMakesTheOldTargetTheLastFeature() throws {
        let retargeted = try table.retargeted(to: "a")
        #expect(retargeted.targetName == "a")
        #expect(retargeted.featureNames == ["b", "y"])
        #expect(retargeted.features == [2, 10, 4, 20, 6, 30])
        #expect(retargeted.targets == [1, 3, 5])
        #expect(try table.retargeted(to: "y") == table)
    }

    @Test func retargetingToAnUnknownColumnListsTheColumns() {
        let error = datasetError { () throws(DatasetError) -> Dataset in try table.retargeted(to: "c") }
        #expect(error == .unknownTargetColumn(path: "memory", requested: "c", available: ["a", "b", "y"]))
    }
}
