import Foundation
import Testing
@testable import Datasets

#if canImport(Glibc)
import Glibc
#endif

/// A CSV a hostile or careless user might hand over, and the words its one message must hold.
struct BadCSV: Sendable, CustomTestStringConvertible {
    var name: String
    var bytes: [UInt8]
    var target: String?
    var limits = CSVLimits.standard
    /// Words the message must contain, besides the file's name.
    var phrases: [String]

    var testDescription: String { name }

    init(_ name: String, _ text: String, target: String? = nil, limits: CSVLimits = .standard, _ phrases: [String]) {
        self.init(name, bytes: Array(text.utf8), target: target, limits: limits, phrases)
    }

    init(_ name: String, bytes: [UInt8], target: String? = nil, limits: CSVLimits = .standard, _ phrases: [String]) {
        self.name = name
        self.bytes = bytes
        self.target = target
        self.limits = limits
        self.phrases = phrases
    }

    static let catalogue: [BadCSV] = [
        BadCSV("zero bytes", "", ["empty", "header line"]),
        BadCSV("only a byte-order mark", bytes: [0xEF, 0xBB, 0xBF], ["empty"]),
        BadCSV("only blank lines", "\n\r\n  \n\t\n", ["empty"]),
        BadCSV("a header and no rows", "ram,price_range\n", ["no data rows"]),
        BadCSV("a header and blank CRLF lines", "\u{FEFF}ram,price_range\r\n\r\n\r\n", ["no data rows"]),
        BadCSV("a PNG image", bytes: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0xFF], ["not UTF-8"]),
        BadCSV("UTF-16 with its byte-order mark", bytes: [0xFF, 0xFE] + Array("x,y\n".utf8).flatMap { [$0, 0] }, ["not UTF-8"]),
        BadCSV("Latin-1 accents", bytes: Array("caf".utf8) + [0xE9] + Array(",y\n1,0\n".utf8), ["not UTF-8"]),
        BadCSV("a Latin-1 class label deep in the file", bytes: Array(("x,y\n" + String(repeating: "1,0\n", count: 900) + "2,caf").utf8) + [0xE9] + Array("\n".utf8),
               ["line 902", "byte 0xE9", "not UTF-8", "iconv"]),
        BadCSV("a gzip-compressed CSV", bytes: [0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x4B, 0xCE], ["gzip-compressed", "zcat"]),
        BadCSV("an Excel workbook", bytes: Array("PK".utf8) + [0x03, 0x04, 0x14, 0x00, 0x06, 0x00, 0x08, 0x00, 0x00, 0x00, 0x21, 0x00, 0x62, 0xEE], ["ZIP archive", ".xlsx", "Save the sheet as CSV"]),
        BadCSV("UTF-16 big-endian", bytes: [0xFE, 0xFF] + Array("x,y\n".utf8).flatMap { [0, $0] }, ["line 1", "UTF-16", "iconv -f UTF-16"]),
        BadCSV("a NUL byte in a cell", "x,y\n1\u{0}2,0\n", ["line 2", "'x'", "\\0", "not a number"]),
        BadCSV("a file of NUL bytes", String(repeating: "\u{0}", count: 5000), ["only the column", "\\0", "…"]),
        BadCSV("a right-to-left override in a cell", "x,y\n1\u{202E}2,0\n", ["line 2", "'1\\u{202E}2'", "not a number"]),
        BadCSV("a byte-order mark inside a cell", "x,y\n\u{FEFF}1,0\n", ["line 2", "'\\u{FEFF}1'", "not a number"]),
        BadCSV("a zero-width space in a column name", "x\u{200B},y\n1,0\n2,?\n", target: "x", ["'x\\u{200B}'"]),
        BadCSV("an escape sequence in a cell", "x,y\n\u{1B}[2J,0\n", ["line 2", "\\u{1B}[2J", "not a number"]),
        BadCSV("a duplicate column name", "ram,fc,ram,y\n1,2,3,0\n", ["'ram'", "columns 1 and 3"]),
        BadCSV("a duplicate name hidden by spaces", "ram, ram ,y\n1,2,0\n", ["'ram'", "twice"]),
        BadCSV("a trailing comma on the header", "ram,y,\n1,0,\n", ["column 3", "no name"]),
        BadCSV("Excel's separator line", "sep=,\nram,y\n1,0\n", ["line 1", "'sep=,'", "Delete the line"]),
        BadCSV("a semicolon-separated file", "ram;y\n1;0\n", ["';'"]),
        BadCSV("no header line", "17,72,9.5,0\n8,32,15,1\n", ["line 1", "only numbers", "17, 72, 9.5, 0", "no header", "Add a header line"]),
        BadCSV("no header line, wide", (0..<40).map { "\($0 * 3)" }.joined(separator: ",") + "\n" + (0..<40).map { "\($0)" }.joined(separator: ",") + "\n",
               ["line 1", "only numbers", "0, 3, 6, 9, 12, …"]),
        BadCSV("a header repeated by joining files", "x,y\r\n1,0\r\n2,1\r\n\"x\", y\r\n3,0\r\n", ["line 4", "repeats the header", "joined", "tail -n +2"]),
        BadCSV("a header repeated by joining files with byte-order marks", "\u{FEFF}x,y\n1,0\n\u{FEFF}x,y\n2,1\n", ["line 3", "repeats the header"]),
        BadCSV("a short row", "a,b,y\n1,2,0\n1,2\n", ["line 3", "expected 3", "found 2"]),
        BadCSV("a row of a hundred thousand commas", "a,y\n" + String(repeating: "1,", count: 100_000) + "1\n", ["line 2", "expected 2", "found 100001"]),
        BadCSV("a quote left open", "x,y\n1,0\n2,\"1\n3,0\n", ["line 3", "never ends"]),
        BadCSV("text after a closing quote", "x,y\n\"1\"2,0\n", ["line 2", "closing quote"]),
        BadCSV("a quoted line break inside a number", "x,y\n\"1\n2\",0\n", ["line 2", "'x'", "\\n", "not a number"]),
        BadCSV("a NaN cell", "x,y\nNaN,0\n", ["line 2", "'NaN'", "not a number"]),
        BadCSV("an infinite cell", "x,y\n1,-inf\n", ["line 2", "'y'", "not a number"]),
        BadCSV("a number beyond Float", "x,y\n1e39,0\n", ["line 2", "1e39", "beyond the range", "3.4e38"]),
        BadCSV("a negative number beyond Float", "x,y\n1,-4.5e40\n", ["line 2", "-4.5e40", "beyond the range"]),
        BadCSV("an empty cell", "x,y\n1,0\n,1\n", ["line 3", "'x'", "empty"]),
        BadCSV("a thousands separator", "x,y\n\"1,000\",0\n", ["'1,000'", "thousands"]),
        BadCSV("a megabyte-long cell", "x,y\n" + String(repeating: "a", count: 1 << 20) + ",0\n", ["line 2", "'x'", "…", "not a number"]),
        BadCSV("a missing target among many columns",
               (0..<300).map { "c\($0)" }.joined(separator: ",") + "\n" + (0..<300).map { _ in "1" }.joined(separator: ",") + "\n",
               target: "price", ["'price'", "'c0'", "and 280 more"]),
        BadCSV("a header wider than the limit", "a,b,c,d,y\n1,2,3,4,0\n", limits: CSVLimits(maximumColumnCount: 3), ["line 1", "5 columns", "limit of 3"]),
        BadCSV("a file larger than the limit", "x,y\n1,0\n2,1\n", limits: CSVLimits(maximumByteCount: 8), ["more than 8 bytes", "a CSV may have"]),
    ]
}

@Suite("Bad CSV files and built-in sources: one clear DatasetError each")
struct BadDataCatalogueTests {
    @Test("a bad CSV is refused with one message naming the file and the problem", arguments: BadCSV.catalogue)
    func badCSVIsRefused(_ bad: BadCSV) {
        let error = datasetError { () throws(DatasetError) -> Dataset in
            try CSVLoader.parse(bytes: bad.bytes, path: "bad.csv", target: bad.target, limits: bad.limits)
        }
        let message = error?.description ?? "no error"
        #expect(error != nil, "\(bad.name) was accepted")
        #expect(message.hasPrefix("bad.csv"), "\(message)")
        for phrase in bad.phrases {
            #expect(message.contains(phrase), "\(bad.name): '\(phrase)' missing from: \(message)")
        }
        // One line of readable text, however long or binary the file's cells are.
        #expect(message.count < 1200, "\(bad.name): a message of \(message.count) characters")
        #expect(!message.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }, "\(bad.name): raw control characters in \(message)")
    }

    @Test func aFileLargerThanTheLimitIsRefusedFromItsSizeBeforeItIsRead() throws {
        // A sparse file: 1 GiB and one byte long, taking no disk space and never read.
        let directory = try TemporaryDirectory()
        let path = try directory.write("x,y\n", named: "huge.csv")
        #expect(truncate(path, off_t(CSVLimits.standard.maximumByteCount) + 1) == 0)
        let error = datasetError { () throws(DatasetError) -> Dataset in try CSVLoader.load(path: path) }
        #expect(error == .fileTooLarge(path: path, byteCount: (1 << 30) + 1, limit: 1 << 30))
        #expect(error?.description.contains("above the 1 GiB a CSV may have") == true, "\(String(describing: error))")
    }

    @Test func aStreamThatNeverEndsIsCutOffAtTheLimit() throws {
        let directory = try TemporaryDirectory()
        let path = (directory.path as NSString).appendingPathComponent("endless.csv")
        #expect(mkfifo(path, 0o600) == 0)
        // A writer that keeps writing until the reader closes its end.
        let writer = Thread {
            let descriptor = open(path, O_WRONLY)
            guard descriptor >= 0 else { return }
            signal(SIGPIPE, SIG_IGN)
            let line = Array("1,2\n".utf8)
            while line.withUnsafeBytes({ write(descriptor, $0.baseAddress, $0.count) }) > 0 {}
            close(descriptor)
        }
        writer.start()
        let limit = 1 << 16
        let error = datasetError { () throws(DatasetError) -> Dataset in
            try CSVLoader.load(path: path, limits: CSVLimits(maximumByteCount: limit))
        }
        guard case .fileTooLarge(_, let read, limit)? = error else {
            Issue.record("expected fileTooLarge, got \(String(describing: error))")
            return
        }
        // The reader stops within one read of the limit.
        #expect(read > limit && read <= limit + (1 << 20))
    }

    @Test func aCSVStreamedThroughAPipeIsRead() throws {
        let directory = try TemporaryDirectory()
        let path = (directory.path as NSString).appendingPathComponent("piped.csv")
        #expect(mkfifo(path, 0o600) == 0)
        let writer = Thread {
            let descriptor = open(path, O_WRONLY)
            guard descriptor >= 0 else { return }
            let text = Array("x,y\n1,0\n2,1\n".utf8)
            _ = text.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            close(descriptor)
        }
        writer.start()
        let dataset = try CSVLoader.load(path: path)
        #expect(dataset.features == [1, 2])
        #expect(dataset.targets == [0, 1])
    }

    @Test func aFIFONothingWritesToIsRefusedAfterAWaitInsteadOfHanging() throws {
        let directory = try TemporaryDirectory()
        let path = (directory.path as NSString).appendingPathComponent("fifo.csv")
        #expect(mkfifo(path, 0o600) == 0)
        // Opening a FIFO for reading blocks until a writer comes, and none does: the load runs on
        // a thread of its own so that a hang fails the test instead of stopping the suite.
        let outcome = LoadOutcome()
        let reader = Thread {
            outcome.finish(datasetError { () throws(DatasetError) -> Dataset in try CSVLoader.load(path: path) })
        }
        reader.start()
        let finished = outcome.done.wait(timeout: .now() + 20) == .success
        if !finished {
            // Let the reader go: a writer that opens and closes gives it an end of file.
            let descriptor = open(path, O_WRONLY | O_NONBLOCK)
            if descriptor >= 0 { close(descriptor) }
        }
        #expect(finished, "the load still waits for a writer after 20 s")
        guard finished, case .unreadableFile(path, let reason)? = outcome.error else {
            Issue.record("expected unreadableFile, got \(String(describing: outcome.error))")
            return
        }
        #expect(reason.contains("named pipe (FIFO)") && reason.contains("nothing wrote to it"), "\(reason)")
    }

    @Test func aFIFOWhoseWriterComesLateIsReadWhenItComes() throws {
        let directory = try TemporaryDirectory()
        let path = (directory.path as NSString).appendingPathComponent("late.csv")
        #expect(mkfifo(path, 0o600) == 0)
        // The writer opens its end after the reader, then writes after a pause: both within
        // the wait, so the reader takes the text rather than an empty file.
        let writer = Thread {
            Thread.sleep(forTimeInterval: 0.3)
            let descriptor = open(path, O_WRONLY)
            guard descriptor >= 0 else { return }
            Thread.sleep(forTimeInterval: 0.3)
            let text = Array("x,y\n1,0\n".utf8)
            _ = text.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            close(descriptor)
        }
        writer.start()
        let dataset = try CSVLoader.load(path: path)
        #expect(dataset.features == [1])
        #expect(dataset.targets == [0])
    }

    @Test func aDirectoryIsRefusedAsADirectory() throws {
        let directory = try TemporaryDirectory()
        let error = datasetError { () throws(DatasetError) -> Dataset in try CSVLoader.load(path: directory.path) }
        #expect(error == .unreadableFile(path: directory.path, reason: "it is a directory"))
    }

    @Test func aDanglingSymlinkIsAMissingFile() throws {
        let directory = try TemporaryDirectory()
        let link = (directory.path as NSString).appendingPathComponent("link.csv")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "gone.csv")
        let error = datasetError { () throws(DatasetError) -> Dataset in try CSVLoader.load(path: link) }
        #expect(error == .fileNotFound(path: link))
    }
}

@Suite("Built-in data sizes")
struct BuiltinSizeTests {
    @Test(arguments: ["1000000000000", "1000004", "9223372036854775804"])
    func aRowCountAboveTheLimitIsRefusedBeforeAnythingIsGenerated(rows: String) {
        let error = datasetError { () throws(DatasetError) -> Dataset in try Dataset.load(source: "builtin:phone-price?rows=\(rows)") }
        #expect(error == .invalidGeneratedRowCount(rowCount: Int(rows)!))
        let message = error?.description ?? ""
        #expect(message.contains("at most 1,000,000 rows") && message.contains("CSV"), "\(message)")
    }

    @Test func theLimitIsAMultipleOfFourSoThatItIsItselfAValidCount() {
        #expect(PhonePriceGenerator.maximumRowCount % 4 == 0)
    }

    @Test func aRowCountTooLargeForAnIntegerStatesTheRange() {
        let error = datasetError { () throws(DatasetError) -> Dataset in try Dataset.load(source: "builtin:phone-price?rows=99999999999999999999") }
        #expect(error?.description.contains("from 8 to 1,000,000") == true, "\(String(describing: error))")
    }

    @Test func aParameterGivenTwiceIsRefused() {
        let error = datasetError { () throws(DatasetError) -> Dataset in try Dataset.load(source: "builtin:phone-price?rows=8&rows=12") }
        #expect(error == .repeatedBuiltinParameter(source: "builtin:phone-price?rows=8&rows=12", parameter: "rows"))
    }
}

@Suite("Targets and splits: the message blames the data and says what works")
struct TargetAndSplitMessageTests {
    @Test func aTargetWithOneValueIsRefusedWhenNoTaskIsNamed() throws {
        let dataset = try CSVLoader.parse(text: "x,price_range\n1,2\n2,2\n3,2\n", path: "one.csv")
        let error = datasetError { () throws(DatasetError) -> TaskKind in try dataset.resolveTask(requested: nil) }
        #expect(error == .constantTarget(source: "one.csv", target: "price_range", value: 2, rowCount: 3))
        let message = error?.description ?? ""
        #expect(message.contains("one.csv") && message.contains("'price_range'") && message.contains("all 3 rows have the value 2"), "\(message)")
        #expect(message.contains("nothing to learn") && message.contains("--target"), "\(message)")
    }

    @Test func oneFractionalValueInAColumnOfClassLabelsIsRefusedAtItsLine() throws {
        // 200 rows of classes 0…3, then 1.5 on line 202 (the header is line 1).
        let rows = (0..<200).map { "\($0),\($0 % 4)" } + ["200,1.5"]
        let dataset = try CSVLoader.parse(text: "x,price_range\n" + rows.joined(separator: "\n"), path: "typo.csv")
        let error = datasetError { () throws(DatasetError) -> TaskKind in try dataset.resolveTask(requested: nil) }
        #expect(error == .nearlyClassLabels(
            source: "typo.csv", target: "price_range", line: 202, value: 1.5, labels: [0, 1, 2, 3], otherRowCount: 1, rowCount: 201))
        let message = error?.description ?? ""
        #expect(message.contains("typo.csv, line 202") && message.contains("1.5") && message.contains("0, 1, 2, 3 in 200 of 201 rows"), "\(message)")
        #expect(message.contains("set the task to regression"), "\(message)")
        // Naming the task settles it either way.
        #expect(try dataset.resolveTask(requested: .regression) == .regression)
    }

    @Test func aRealRegressionTargetIsStillInferred() throws {
        let rows = (0..<50).map { "\($0),\(Double($0) * 0.37)" }
        let dataset = try CSVLoader.parse(text: "x,y\n" + rows.joined(separator: "\n"), path: "r.csv")
        #expect(try dataset.resolveTask(requested: nil) == .regression)
        // Whole numbers with more values than classes allow, and some fractions, are a quantity too.
        let counts = (0..<100).map { "\($0),\($0 % 30 == 0 ? "2.5" : String($0))" }
        let quantity = try CSVLoader.parse(text: "x,y\n" + counts.joined(separator: "\n"), path: "q.csv")
        #expect(try quantity.resolveTask(requested: nil) == .regression)
    }

    @Test func aTestPartTooSmallSaysWhichFractionWorksAndNeverZero() throws {
        // 8 rows, 2 per class: ⌊2 · 0.05 + 0.5⌋ = 0 test rows; ⌊2 · 0.25 + 0.5⌋ = 1.
        let dataset = try Dataset.load(source: "builtin:phone-price?rows=8")
        let error = datasetError { () throws(DatasetError) -> DatasetSplit in
            try dataset.split(task: .multiclass, testFraction: 0.05, seed: 88)
        }
        #expect(error == .emptySplitPart(source: "builtin:phone-price?rows=8", part: "test", rowCount: 8, fraction: 0.05, largestGroup: 2))
        let message = error?.description ?? ""
        #expect(message.contains("at least 0.25") && !message.contains("set it to 0"), "\(message)")
        #expect(try dataset.split(task: .multiclass, testFraction: 0.25, seed: 88).test.count == 4)
    }

    @Test(arguments: [1, 3, 7, 40, 999, 2000, 123_456])
    func theSuggestedFractionGivesTheLargestGroupARow(largestGroup: Int) throws {
        let suggested = try #require(Double(smallestFraction(givingOneRowOf: largestGroup)))
        #expect((Double(largestGroup) * suggested + 0.5).rounded(.down) >= 1)
        // Two significant digits, rounded up: at most 10% above the exact 0.5 / n.
        #expect(suggested <= 0.5 / Double(largestGroup) * 1.1 + 1e-12)
    }

    @Test func aValidationPartTooSmallOffersFoldsInstead() throws {
        let error = datasetError { () throws(DatasetError) -> DatasetSplit in
            try Splits.trainValidationTest(.none(rowCount: 3), testFraction: 0, validationFraction: 0.1, seed: 1)
        }
        let message = error?.description ?? ""
        #expect(message.contains("at least 0.17") && message.contains("folds") && !message.contains("set it to 0"), "\(message)")
    }

    @Test func foldsImpossibleForAnyKSayNotToUseThem() {
        let error = datasetError { () throws(DatasetError) -> [CrossValidationFold] in
            try Splits.kFold(.byClass([0, 1, 2]), k: 2, seed: 1)
        }
        let message = error?.description ?? ""
        #expect(!message.contains("between 2 and 1") && message.contains("Use more rows"), "\(message)")
    }
}

/// What a load on another thread threw, and a signal for when it has finished.
private final class LoadOutcome: @unchecked Sendable {
    let done = DispatchSemaphore(value: 0)
    private(set) var error: DatasetError?

    func finish(_ error: DatasetError?) {
        self.error = error
        done.signal()
    }
}
