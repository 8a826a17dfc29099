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

    /// The loader reserves its columns from this bound, so it must never fall short of the
    /// records left, whatever the line breaks; for plain lines it is their count.
    @Test func theRecordCountBoundIsNeverBelowTheRecordsLeft() {
        let cases: [(text: String, bound: Int)] = [
            ("a,b\n1,2\n3,4\n", 3),          // two lines after the header, and an empty last one
            ("a,b\n1,2\n3,4", 2),            // no final line break
            ("a,b\r\n1,2\r\n3,4\r\n", 3),    // \r\n is one line break
            ("a,b\r1,2\r3,4", 2),            // and so is a lone \r
            ("a,b\n\n\n1,2\n\n3,4\n\n", 3),  // blank lines count for nothing
            ("a,b\n\"1\n2\",3\n4,5\n", 4),     // a quoted cell over two lines counts as two
            ("a,b\n,\n,\n,\n,\n", 3),        // 8 bytes hold at most 2 valid rows ("1,2\n"): 8 / 4 + 1
        ]
        for (text, bound) in cases {
            var reader = CSVRecordReader(bytes: Array(text.utf8))
            guard case .success? = reader.nextRecord() else {
                Issue.record("no header in \(text.debugDescription)")
                continue
            }
            let found = reader.recordCountBound(cellsPerRecord: 2)
            var left = 0
            while case .success? = reader.nextRecord() { left += 1 }
            // Rows of empty cells are not valid: they may outnumber the bound.
            #expect(found == bound && (found >= left || text.contains(",\n,")), "\(text.debugDescription): bound \(found), \(left) records left")
        }
        // 100 lines of 8 bytes: 100 records of 4 cells ("1,2,3,4\n"), but at most 800 / 80 + 1 of 40.
        let rows = String(repeating: "1,2,3,4\n", count: 100)
        #expect(CSVRecordReader(bytes: Array(rows.utf8)).recordCountBound(cellsPerRecord: 4) == 101)
        #expect(CSVRecordReader(bytes: Array(rows.utf8)).recordCountBound(cellsPerRecord: 40) == 11)
    }
}
