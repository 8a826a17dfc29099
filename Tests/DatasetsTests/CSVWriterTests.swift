import Testing
@testable import Datasets

@Suite struct CSVWriterTests {
    @Test func writtenTextReadsBackToIdenticalValues() throws {
        let generated = try PhonePriceGenerator(rowCount: 200, seed: 5).make()
        let reread = try CSVLoader.parse(text: generated.csvText(), path: generated.source)
        #expect(reread.featureNames == generated.featureNames)
        #expect(reread.targetName == generated.targetName)
        #expect(reread.features == generated.features)
        #expect(reread.targets == generated.targets)
    }

    @Test func wholeNumbersAreWrittenWithoutADecimalPoint() {
        let dataset = Dataset(featureNames: ["a", "b"], targetName: "y", features: [842, 2.2], targets: [1], source: "memory")
        #expect(dataset.csvText() == "a,b,y\n842,2.2,1\n")
    }

    @Test func namesWithCommasOrQuotesAreQuoted() throws {
        let dataset = Dataset(featureNames: ["a,b", "say \"hi\""], targetName: "y", features: [1, 2], targets: [0], source: "memory")
        #expect(dataset.csvText() == "\"a,b\",\"say \"\"hi\"\"\",y\n1,2,0\n")
        #expect(try CSVLoader.parse(text: dataset.csvText(), path: "x").featureNames == ["a,b", "say \"hi\""])
    }

    @Test func writingToAFileThenLoadingItGivesTheSameTable() throws {
        let directory = try TemporaryDirectory()
        let dataset = Dataset(featureNames: ["a"], targetName: "y", features: [0.1, -3], targets: [0, 1], source: "memory")
        let path = directory.path + "/out.csv"
        try dataset.writeCSV(to: path)
        let loaded = try Dataset.load(csvAt: path)
        #expect(loaded.features == dataset.features)
        #expect(loaded.targets == dataset.targets)
    }
}
