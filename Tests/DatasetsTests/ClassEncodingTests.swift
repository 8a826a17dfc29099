import Foundation
import Testing
@testable import Datasets

@Suite struct ClassEncodingTests {
    @Test func classesAreNumberedInAscendingOrderOfValue() {
        let encoding = ClassEncoding(targets: [3, 0, 2, 1, 3, 0])
        #expect(encoding.classLabels == [0, 1, 2, 3])
        #expect(encoding.classCount == 4)
        #expect(encoding.labelNames == ["0", "1", "2", "3"])
    }

    /// Labels run to 2^24, and are named as the file writes them: 10000000 was "1e+07".
    @Test func largeWholeLabelsAreNamedAsWholeNumbers() {
        let encoding = ClassEncoding(targets: [10_000_000, 12_345_678, 16_777_216, -9_999_999])
        #expect(encoding.labelNames == ["-9999999", "10000000", "12345678", "16777216"])
    }

    @Test func negativeAndGappedLabelsMapToConsecutiveIndices() {
        let encoding = ClassEncoding(targets: [10, -1, 5])
        #expect(encoding.classIndex(of: -1) == 0)
        #expect(encoding.classIndex(of: 5) == 1)
        #expect(encoding.classIndex(of: 10) == 2)
        #expect(encoding.classIndex(of: 7) == nil)
        #expect(encoding.label(ofClass: 2) == 10)
    }

    @Test func encodingADatasetThenDecodingGivesBackItsTargets() throws {
        let dataset = interleavedClassDataset(classCounts: [2, 3, 1])
        let encoding = ClassEncoding(targets: dataset.targets)
        let indices = try encoding.classIndices(of: dataset)
        #expect(indices.map { encoding.label(ofClass: $0) } == dataset.targets)
    }

    @Test func aLabelTheModelNeverSawIsReportedAtItsLine() throws {
        let encoding = ClassEncoding(classLabels: [0, 1])
        let newData = try CSVLoader.parse(text: "x,y\n1,0\n2,5\n", path: "new.csv")
        let error = datasetError { () throws(DatasetError) -> [Int] in try encoding.classIndices(of: newData) }
        #expect(error == .unseenClassLabel(source: "new.csv", target: "y", line: 3, value: 5, knownLabels: [0, 1]))
        #expect(error?.description.contains("line 3") == true)
    }

    @Test func theEncodingSurvivesAJSONRoundTrip() throws {
        let encoding = ClassEncoding(targets: [1, 0, 2])
        let decoded = try JSONDecoder().decode(ClassEncoding.self, from: JSONEncoder().encode(encoding))
        #expect(decoded == encoding)
    }
}
