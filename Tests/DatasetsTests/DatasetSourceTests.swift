import Testing
@testable import Datasets

@Suite struct DatasetSourceTests {
    @Test func theBuiltinNameGivesTheDefaultGeneratedData() throws {
        let dataset = try Dataset.load(source: "builtin:phone-price")
        #expect(dataset == (try PhonePriceGenerator().make()))
    }

    @Test func aQuerySetsTheRowCountAndSeed() throws {
        let dataset = try Dataset.load(source: "builtin:phone-price?rows=400&seed=7")
        #expect(dataset == (try PhonePriceGenerator(rowCount: 400, seed: 7).make()))
        #expect(dataset.source == "builtin:phone-price?rows=400&seed=7")
    }

    @Test func aPathIsReadAsACSVFile() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("a,b\n1,0\n2,1\n", named: "small.csv")
        let dataset = try Dataset.load(source: path, target: "a")
        #expect(dataset.targetName == "a")
        #expect(dataset.targets == [1, 2])
    }

    @Test func anUnknownBuiltinListsTheAvailableOnes() {
        let error = datasetError { () throws(DatasetError) -> Dataset in try Dataset.load(source: "builtin:iris") }
        #expect(error == .unknownBuiltin(name: "iris", available: ["phone-price"]))
        #expect(error?.description.contains("builtin:phone-price") == true)
    }

    @Test func anUnknownQueryParameterListsTheAllowedOnes() {
        let error = datasetError { () throws(DatasetError) -> Dataset in try Dataset.load(source: "builtin:phone-price?size=10") }
        #expect(error == .unknownBuiltinParameter(source: "builtin:phone-price?size=10", parameter: "size", allowed: ["rows", "seed"]))
    }

    @Test(arguments: ["rows=many", "rows=", "seed=-1", "seed"])
    func anUnusableParameterValueIsRefused(query: String) {
        let error = datasetError { () throws(DatasetError) -> Dataset in try Dataset.load(source: "builtin:phone-price?\(query)") }
        guard case .invalidBuiltinParameter? = error else {
            Issue.record("expected invalidBuiltinParameter, got \(String(describing: error))")
            return
        }
    }

    @Test func aRowCountTheGeneratorCannotBalanceIsRefused() {
        let error = datasetError { () throws(DatasetError) -> Dataset in try Dataset.load(source: "builtin:phone-price?rows=10") }
        #expect(error == .invalidGeneratedRowCount(rowCount: 10))
    }

    @Test func anotherBuiltinColumnCanBeTheTarget() throws {
        let dataset = try Dataset.load(source: "builtin:phone-price?rows=40", target: "ram")
        #expect(dataset.targetName == "ram")
        #expect(dataset.featureNames.last == "price_range")
        #expect(dataset.featureCount == 20)
        #expect(dataset.inferTask() == .regression)
    }

    @Test func anUnknownBuiltinTargetListsTheColumns() {
        let error = datasetError { () throws(DatasetError) -> Dataset in try Dataset.load(source: "builtin:phone-price?rows=40", target: "price") }
        guard case let .unknownTargetColumn(_, requested, available)? = error else {
            Issue.record("expected unknownTargetColumn, got \(String(describing: error))")
            return
        }
        #expect(requested == "price")
        #expect(available.count == 21)
    }
}
