import Foundation
import NeuralNet
import Testing
@testable import Datasets

@Suite struct CSVLoaderParsingTests {
    /// Each column is given its room once, from a bound on the rows, rather than grown by
    /// doubling: a grown array is copied into one twice its size, both held at once, which made
    /// loading a narrow file peak at 5.5 times the file's size instead of 4.2. Measured here by
    /// the arrays' room: reserved, it exceeds what they hold by at most the allocator's
    /// rounding (16 bytes, 4 values); grown by doubling it would exceed it by up to half.
    @Test func aNarrowFileIsReadIntoColumnsSizedOnce() throws {
        // 1,100 rows: 3,300 feature values, and no power of two or doubling of one near it.
        let rows = (0..<1_100).map { "\($0 % 10),\($0 % 7),\($0 % 3),\($0 % 2)" }
        let dataset = try CSVLoader.parse(text: (["a,b,c,y"] + rows).joined(separator: "\n") + "\n", path: "narrow.csv")
        #expect(dataset.rowCount == 1_100 && dataset.featureNames == ["a", "b", "c"])
        // The bound is the rows plus one (the empty line after the last line break).
        #expect(dataset.features.capacity - dataset.features.count <= 3 + 4, "\(dataset.features.capacity)")
        #expect(dataset.targets.capacity - dataset.targets.count <= 1 + 4, "\(dataset.targets.capacity)")
        #expect(dataset.lineNumbers.capacity - dataset.lineNumbers.count <= 1 + 2, "\(dataset.lineNumbers.capacity)")
        #expect(dataset.features[3_297...] == [9, 0, 1] && dataset.targets.last == 1 && dataset.lineNumbers.last == 1_101)
    }

    @Test func headerGivesFeatureNamesAndTheLastColumnIsTheDefaultTarget() throws {
        let dataset = try CSVLoader.parse(text: "ram,battery_power,price_range\n2549,842,1\n2631,1021,2\n", path: "phones.csv")
        #expect(dataset.featureNames == ["ram", "battery_power"])
        #expect(dataset.targetName == "price_range")
        #expect(dataset.features == [2549, 842, 2631, 1021])
        #expect(dataset.targets == [1, 2])
        #expect(dataset.rowCount == 2)
        #expect(dataset.featureCount == 2)
        #expect(dataset.source == "phones.csv")
    }

    @Test func targetChosenByNameLeavesTheOtherColumnsInFileOrder() throws {
        let dataset = try CSVLoader.parse(text: "a,label,b,c\n1,0,2,3\n4,1,5,6\n", path: "t.csv", target: "label")
        #expect(dataset.featureNames == ["a", "b", "c"])
        #expect(dataset.features == [1, 2, 3, 4, 5, 6])
        #expect(dataset.targets == [0, 1])
    }

    @Test func integersDecimalsScientificAndSignedNumbersAllParse() throws {
        let dataset = try CSVLoader.parse(text: "x,y\n-12,+3\n0.5,.25\n3.,1e-3\n2.5E2,-1.5e+1\n", path: "n.csv")
        #expect(dataset.features == [-12, 0.5, 3, 250])
        #expect(dataset.targets == [3, 0.25, 0.001, -15])
    }

    @Test func spacesAndTabsAroundCellsAndNamesAreTrimmed() throws {
        let dataset = try CSVLoader.parse(text: " x ,\ty\n  1 , 2\t\n", path: "s.csv")
        #expect(dataset.featureNames == ["x"])
        #expect(dataset.targetName == "y")
        #expect(dataset.features == [1])
        #expect(dataset.targets == [2])
    }

    @Test func quotedCellsAndNamesAreUnquotedIncludingCommasAndDoubledQuotes() throws {
        let text = "\"screen, height\",\"say \"\"hi\"\"\",y\n\"1.5\", \"2\" ,\"3\"\n"
        let dataset = try CSVLoader.parse(text: text, path: "q.csv")
        #expect(dataset.featureNames == ["screen, height", "say \"hi\""])
        #expect(dataset.features == [1.5, 2])
        #expect(dataset.targets == [3])
    }

    @Test func windowsLineEndingsAndATrailingNewlineAreHandled() throws {
        let dataset = try CSVLoader.parse(text: "x,y\r\n1,2\r\n3,4\r\n", path: "crlf.csv")
        #expect(dataset.targetName == "y")
        #expect(dataset.features == [1, 3])
        #expect(dataset.targets == [2, 4])
        #expect(dataset.lineNumbers == [2, 3])
    }

    @Test func oldMacLineEndingsAndNoFinalNewlineAreHandled() throws {
        let dataset = try CSVLoader.parse(text: "x,y\r1,2\r3,4", path: "cr.csv")
        #expect(dataset.features == [1, 3])
        #expect(dataset.targets == [2, 4])
    }

    @Test(arguments: ["0,1,2", "1,2,3", " 0 , 1 ,2", "2,0,1"])
    func aHeaderNumberingTheColumnsAsPandasWritesAnUnnamedTableIsAccepted(header: String) throws {
        // pandas.DataFrame(array).to_csv(index=False) names the columns 0, 1, 2, …: a header, not data.
        let dataset = try CSVLoader.parse(text: header + "\n5,6,1\n7,8,0\n", path: "numbered.csv")
        #expect(dataset.rowCount == 2)
        #expect(dataset.featureNames.count == 2)
    }

    @Test func aByteOrderMarkDoesNotBecomePartOfTheFirstColumnName() throws {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("ram,y\n1,0\n".utf8)
        let dataset = try CSVLoader.parse(bytes: bytes, path: "bom.csv")
        #expect(dataset.featureNames == ["ram"])
        #expect(dataset.targets == [0])
    }

    @Test func blankLinesAreSkippedAndRowsKeepTheirOwnLineNumbers() throws {
        let dataset = try CSVLoader.parse(text: "x,y\n1,0\n\n   \n2,1\n\n\n", path: "gaps.csv")
        #expect(dataset.rowCount == 2)
        // Header on line 1, rows on lines 2 and 5 (lines 3 and 4 are blank).
        #expect(dataset.lineNumbers == [2, 5])
    }

    @Test func aQuotedCellSpanningLinesKeepsLaterLineNumbersRight() throws {
        let dataset = try CSVLoader.parse(text: "\"multi\nline\",y\n1,0\n2,1\n", path: "m.csv")
        #expect(dataset.featureNames == ["multi\nline"])
        // The header takes lines 1–2, so the rows are on lines 3 and 4.
        #expect(dataset.lineNumbers == [3, 4])
    }

    @Test func loadingFromDiskReadsTheSameTableAsParsingText() throws {
        let directory = try TemporaryDirectory()
        let text = "a,b,y\n1,2,0\n3,4,1\n"
        let path = try directory.write(text, named: "disk.csv")
        let fromDisk = try Dataset.load(csvAt: path)
        let fromText = try CSVLoader.parse(text: text, path: path)
        #expect(fromDisk == fromText)
        #expect(fromDisk.source == path)
    }

    @Test func theFastPathForShortDecimalsGivesExactlyTheStandardLibrarysFloat() {
        // Random plain decimals of up to 9 digits with up to 10 decimals, fixed seed: wherever
        // the fast path answers, its Float must be bit-identical to Float(String) (strtof).
        var rng = SplitMix64(seed: 17)
        var answered = 0
        for _ in 0..<50_000 {
            let digits = (0...rng.nextIndex(below: 9)).map { _ in Character(String(rng.nextIndex(below: 10))) }
            var text = String(digits)
            let point = rng.nextIndex(below: text.count + 2)
            if point <= text.count {
                text.insert(".", at: text.index(text.startIndex, offsetBy: point))
            }
            if rng.nextIndex(below: 3) == 0 { text = "-" + text }
            guard let fast = exactlyRoundedShortDecimal(Array(text.utf8)[...]) else { continue }
            answered += 1
            #expect(fast.bitPattern == Float(text)?.bitPattern, "\(text)")
        }
        // Most such strings are within the fast path's reach, so the comparison means something.
        #expect(answered > 30_000)
        #expect(exactlyRoundedShortDecimal(Array("1e3".utf8)[...]) == nil)
        #expect(exactlyRoundedShortDecimal(Array("16777217".utf8)[...]) == nil)  // 2²⁴ + 1
        #expect(exactlyRoundedShortDecimal(Array("0.00000000001".utf8)[...]) == nil)  // 11 decimals
    }

    @Test func arbitraryBytesNeverTrapTheParser() {
        // Short strings over the characters that matter to CSV, drawn from a fixed seed: each
        // must either parse or throw a DatasetError; a trap would abort the whole test run.
        let alphabet: [UInt8] = Array("0123456789.,-+eE\"\r\n \tax".utf8) + [0xEF, 0xBB, 0xBF, 0xFF, 0x00]
        var rng = SplitMix64(seed: 99)
        var parsed = 0
        var rejected = 0
        for _ in 0..<5000 {
            let length = rng.nextIndex(below: 40)
            let bytes = (0..<length).map { _ in alphabet[rng.nextIndex(below: alphabet.count)] }
            for target in [nil, "x", "a"] as [String?] {
                do {
                    let dataset = try CSVLoader.parse(bytes: bytes, path: "fuzz.csv", target: target)
                    #expect(dataset.features.count == dataset.rowCount * dataset.featureCount)
                    parsed += 1
                } catch {
                    #expect(!error.description.isEmpty)
                    rejected += 1
                }
            }
        }
        #expect(parsed + rejected == 15_000)
    }
}

@Suite struct CSVLoaderErrorTests {
    /// Asserts the error case and that its message mentions every given fragment.
    private func expectError(
        _ expected: DatasetError,
        mentioning fragments: [String],
        sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () throws -> Dataset
    ) {
        let error = datasetError(body)
        #expect(error == expected, sourceLocation: sourceLocation)
        let message = error?.description ?? ""
        for fragment in fragments {
            #expect(message.contains(fragment), "message lacks '\(fragment)': \(message)", sourceLocation: sourceLocation)
        }
    }

    @Test func aMissingFileIsReportedWithItsPath() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/absent.csv"
        expectError(.fileNotFound(path: path), mentioning: ["absent.csv", "no such file"]) {
            try Dataset.load(csvAt: path)
        }
    }

    @Test func aDirectoryIsReportedAsUnreadable() throws {
        let directory = try TemporaryDirectory()
        expectError(.unreadableFile(path: directory.path, reason: "it is a directory"), mentioning: [directory.path, "directory"]) {
            try Dataset.load(csvAt: directory.path)
        }
    }

    @Test func anEmptyFileIsReportedAsHavingNoHeader() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("", named: "empty.csv")
        expectError(.emptyFile(path: path), mentioning: ["empty.csv", "header"]) {
            try Dataset.load(csvAt: path)
        }
    }

    @Test func aFileOfBlankLinesCountsAsEmpty() {
        expectError(.emptyFile(path: "blank.csv"), mentioning: ["blank.csv"]) {
            try CSVLoader.parse(text: "\n\r\n  \n", path: "blank.csv")
        }
    }

    @Test func aHeaderWithoutRowsIsReported() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("ram,price_range\n", named: "header-only.csv")
        expectError(.noDataRows(path: path), mentioning: ["header-only.csv", "no data rows"]) {
            try Dataset.load(csvAt: path)
        }
    }

    @Test func aNonNumericCellNamesFileLineColumnAndValue() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("ram,battery_power,price_range\n2549,842,1\n2631,lots,2\n", named: "words.csv")
        expectError(
            .nonNumericCell(path: path, line: 3, column: "battery_power", value: "lots"),
            mentioning: ["words.csv", "line 3", "'battery_power'", "'lots'", "not a number"]
        ) {
            try Dataset.load(csvAt: path)
        }
    }

    @Test(arguments: ["nan", "NaN", "inf", "-infinity", "0x1p3", "1,5", "1.2.3", "e5", "-", "NA", "1e39", "12 kg"])
    func textThatSwiftCouldReadAsAFloatButIsNotAPlainFiniteNumberIsRejected(cell: String) {
        let text = "x,y\n\"\(cell)\",0\n"
        expectError(.nonNumericCell(path: "odd.csv", line: 2, column: "x", value: cell), mentioning: ["odd.csv", "line 2", "'x'"]) {
            try CSVLoader.parse(text: text, path: "odd.csv")
        }
    }

    @Test func anEmptyCellNamesFileLineAndColumn() {
        expectError(.emptyCell(path: "gaps.csv", line: 4, column: "ram"), mentioning: ["gaps.csv", "line 4", "'ram'", "empty"]) {
            try CSVLoader.parse(text: "ram,y\n1,0\n2,1\n ,0\n", path: "gaps.csv")
        }
    }

    @Test func anEmptyQuotedCellIsAnEmptyCell() {
        expectError(.emptyCell(path: "q.csv", line: 2, column: "y"), mentioning: ["q.csv", "line 2", "'y'"]) {
            try CSVLoader.parse(text: "x,y\n1,\"\"\n", path: "q.csv")
        }
    }

    @Test func aRowWithTooFewCellsSaysExpectedAndFound() {
        expectError(.raggedRow(path: "short.csv", line: 3, expected: 3, found: 2), mentioning: ["short.csv", "line 3", "expected 3", "found 2"]) {
            try CSVLoader.parse(text: "a,b,y\n1,2,0\n1,2\n", path: "short.csv")
        }
    }

    @Test func aRowWithTooManyCellsSaysExpectedAndFound() {
        expectError(.raggedRow(path: "long.csv", line: 2, expected: 2, found: 3), mentioning: ["long.csv", "line 2", "expected 2", "found 3"]) {
            try CSVLoader.parse(text: "a,y\n1,2,3\n", path: "long.csv")
        }
    }

    @Test func anUnknownTargetListsTheAvailableColumns() {
        expectError(
            .unknownTargetColumn(path: "t.csv", requested: "price", available: ["ram", "price_range"]),
            mentioning: ["t.csv", "'price'", "'ram'", "'price_range'"]
        ) {
            try CSVLoader.parse(text: "ram,price_range\n1,0\n", path: "t.csv", target: "price")
        }
    }

    @Test func anUnknownTargetDifferingOnlyInCaseSuggestsTheRealName() {
        let error = datasetError { () throws(DatasetError) -> Dataset in
            try CSVLoader.parse(text: "ram,Price\n1,0\n", path: "t.csv", target: "price")
        }
        #expect(error?.description.contains("Did you mean 'Price'?") == true)
    }

    @Test func aDuplicateColumnNameGivesBothPositions() {
        expectError(
            .duplicateColumnName(path: "dup.csv", line: 1, name: "ram", firstPosition: 1, secondPosition: 3),
            mentioning: ["dup.csv", "line 1", "'ram'", "columns 1 and 3"]
        ) {
            try CSVLoader.parse(text: "ram,fc,ram,y\n1,2,3,0\n", path: "dup.csv")
        }
    }

    @Test func aNamelessIndexColumnAsPandasWritesItIsReported() {
        expectError(.emptyColumnName(path: "pandas.csv", line: 1, position: 1), mentioning: ["pandas.csv", "line 1", "column 1", "index=False"]) {
            try CSVLoader.parse(text: ",ram,y\n0,1,0\n", path: "pandas.csv")
        }
    }

    @Test func aHeaderWithOnlyTheTargetHintsAtTheWrongSeparator() {
        expectError(.noFeatureColumns(path: "semi.csv", columns: ["ram;y"]), mentioning: ["semi.csv", "';'"]) {
            try CSVLoader.parse(text: "ram;y\n1;0\n", path: "semi.csv")
        }
    }

    @Test func anUnclosedQuoteNamesTheLineWhereItOpens() {
        expectError(.unterminatedQuote(path: "open.csv", line: 3, column: "y"), mentioning: ["open.csv", "line 3", "'y'"]) {
            try CSVLoader.parse(text: "x,y\n1,0\n2,\"1\n3,0\n", path: "open.csv")
        }
    }

    @Test func textAfterAClosingQuoteIsReported() {
        expectError(.textAfterClosingQuote(path: "tail.csv", line: 2, column: "x"), mentioning: ["tail.csv", "line 2", "'x'"]) {
            try CSVLoader.parse(text: "x,y\n\"1\"2,0\n", path: "tail.csv")
        }
    }

    @Test func bytesThatAreNotUTF8AreReportedAsNotText() {
        // 0xFF never occurs in UTF-8; a UTF-16 file starts with it.
        let bytes: [UInt8] = [0xFF, 0xFE] + Array("x,y\n1,0\n".utf8)
        expectError(.notUTF8Text(path: "utf16.csv", line: 1, byte: 0xFF), mentioning: ["utf16.csv", "UTF-8", "UTF-16"]) {
            try CSVLoader.parse(bytes: bytes, path: "utf16.csv")
        }
    }
}
