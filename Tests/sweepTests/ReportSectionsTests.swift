import Foundation
import Testing
@testable import sweep

/// Sections of BENCHMARKS.md that different commands rewrite, each leaving the others alone.
@Suite struct ReportSectionsTests {
    @Test func aNewSectionIsAddedAtTheEndAndAnExistingOneReplacedInPlace() {
        let start = "# Benchmarks\n\nspeed figures\n"
        let added = ReportSections.replacing("search", with: "TPE: 40 trials", in: start)
        #expect(added == "# Benchmarks\n\nspeed figures\n\n<!-- begin search -->\nTPE: 40 trials\n<!-- end search -->\n")
        let pruning = ReportSections.replacing("pruning", with: "median: 60%", in: added)
        let replaced = ReportSections.replacing("search", with: "TPE: 35 trials", in: pruning)
        #expect(replaced.contains("<!-- begin search -->\nTPE: 35 trials\n<!-- end search -->"))
        #expect(!replaced.contains("40 trials"))
        // The other section, and its place after the first, are kept.
        #expect(replaced.range(of: "TPE: 35")!.lowerBound < replaced.range(of: "median: 60%")!.lowerBound)
    }

    @Test func theSectionsOfADocumentAreFoundToCarryOver() {
        let document = ReportSections.replacing("b", with: "second\nsection", in: ReportSections.replacing("a", with: "first", in: "speed\n"))
        let sections = ReportSections.sections(in: document)
        #expect(sections.map(\.name) == ["a", "b"])
        #expect(sections.map(\.content) == ["first", "second\nsection"])
        // A rewritten speed report keeps them.
        var rewritten = "new speed\n"
        for (name, content) in sections { rewritten = ReportSections.replacing(name, with: content, in: rewritten) }
        #expect(ReportSections.sections(in: rewritten).map(\.content) == ["first", "second\nsection"])
        #expect(rewritten.hasPrefix("new speed\n"))
    }
}
