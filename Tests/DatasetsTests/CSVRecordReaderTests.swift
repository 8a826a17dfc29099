import Testing
@testable import Datasets

@Suite struct CSVRecordReaderTests {
    /// All records of `text`, cells as strings, with their lines; stops at the first issue.
    private func records(_ text: String) -> [(line: Int, cells: [String])] {
        var reader = CSVRecordReader(bytes: Array(text.utf8))
        var result: [(line: Int, cells: [String])] = []
        while case let .success(record)? = reader.nextRecord() {
            result.append((record.line, record.cells.map(\.text)))
        }
        return result
    }

    @Test func cellsKeepTheirSpacesUntilTheLoaderTrimsThem() {
        let read = records(" 1 ,2\n")
        #expect(read.map(\.cells) == [[" 1 ", "2"]])
    }

    @Test func aTrailingCommaMakesAnEmptyLastCell() {
        #expect(records("1,2,\n").map(\.cells) == [["1", "2", ""]])
    }

    @Test func everyKindOfLineBreakCountsOneLine() {
        let read = records("a\nb\r\nc\rd")
        #expect(read.map(\.line) == [1, 2, 3, 4])
        #expect(read.map(\.cells) == [["a"], ["b"], ["c"], ["d"]])
    }

    @Test func lineBreaksInsideQuotesStayInTheCellButAdvanceTheLineCount() {
        let read = records("\"x\r\ny\",1\n2,3\n")
        #expect(read.map(\.cells) == [["x\r\ny", "1"], ["2", "3"]])
        #expect(read.map(\.line) == [1, 3])
    }

    @Test func anUnclosedQuoteIsAnIssueAtItsOpeningLineAndCell() {
        var reader = CSVRecordReader(bytes: Array("1,2\n3,\"4\n5\n".utf8))
        _ = reader.nextRecord()
        guard case let .failure(issue)? = reader.nextRecord() else {
            Issue.record("expected an unterminated quote")
            return
        }
        #expect(issue == CSVSyntaxIssue(kind: .unterminatedQuote, line: 2, cellPosition: 1))
    }

    @Test func aRecordOfSpacesIsBlankButAQuotedEmptyCellIsNot() {
        #expect(records("  \t \n\"\"\n").map(\.cells) == [[""]])
    }
}
