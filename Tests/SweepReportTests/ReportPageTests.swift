import Foundation
import Testing
@testable import SweepKit
@testable import SweepReport

/// The HTML file: one page holding its data, style and script, with nothing from the network.
@Suite struct ReportPageTests {
    private func page(name: String = "report-random", error: String? = nil) throws -> String {
        let spec = try ReportFixtures.spec(ReportFixtures.randomSpecText.replacingOccurrences(of: "report-random", with: name))
        let trials = [
            ReportFixtures.trial(1, ["optimizer": .string("adam"), "lr": .number(0.001)], accuracy: 0.8),
            ReportFixtures.trial(2, ["optimizer": .string("adam"), "lr": .number(0.01)], accuracy: nil, status: .failed, error: error),
        ]
        let (store, record) = try ReportFixtures.store(spec, trials)
        var options = ReportOptions()
        options.evaluatesBestModel = false
        return String(decoding: try ReportPage.html(for: SweepReport(store: store, sweep: record, options: options)), as: UTF8.self)
    }

    @Test func thePageCarriesItsDataStyleAndScriptAndLoadsNothing() throws {
        let html = try page()
        #expect(html.hasPrefix("<!doctype html>"))
        #expect(html.contains(#"<script type="application/json" id="report-data">{"#))
        #expect(html.contains("function render(data)"))
        #expect(html.contains(".panel {"))
        // No placeholder left, and nothing fetched from elsewhere.
        #expect(!html.contains("{{"))
        for reference in ["src=", "href=\"http", "@import", "url(http", "rel=\"stylesheet"] { #expect(!html.contains(reference), "\(reference)") }
    }

    @Test func textInTheDataCannotEndItsScriptEarly() throws {
        let html = try page(error: "</script><script>alert(1)</script><!--")
        // The two script elements of the template, and no others.
        #expect(html.components(separatedBy: "</script>").count - 1 == 2)
        #expect(!html.contains("<!--"))
        // The data still reads back as the same text.
        let start = try #require(html.range(of: #"<script type="application/json" id="report-data">"#)).upperBound
        let end = try #require(html[start...].range(of: "</script>")).lowerBound
        let json = try #require(try JSONSerialization.jsonObject(with: Data(html[start..<end].utf8)) as? [String: Any])
        let trials = try #require(json["trials"] as? [[String: Any]])
        #expect(trials.last?["error"] as? String == "</script><script>alert(1)</script><!--")
    }

    @Test func theDashboardPageHasNoDataAndFetchesItsOwn() {
        let html = String(decoding: ReportPage.live(), as: UTF8.self)
        #expect(html.contains(#"<body data-mode="live">"#))
        #expect(html.contains(#"id="report-data">null</script>"#))
    }
}

/// The best model's scores on the test rows, from its predictions.
@Suite struct BestModelScoreTests {
    @Test func theConfusionMatrixCountsEachActualClassAgainstThePredictedOne() {
        // actual:    0 0 0 1 1 2
        // predicted: 0 0 1 1 2 2
        let matrix = BestModelEvaluation.confusionMatrix(labels: ["a", "b", "c"], actual: [0, 0, 0, 1, 1, 2], predicted: [0, 0, 1, 1, 2, 2])
        #expect(matrix.counts == [[2, 1, 0], [0, 1, 1], [0, 0, 1]])
        // Precision per predicted class: a 2/2, b 1/2, c 1/2; recall per actual class: a 2/3, b 1/2, c 1/1.
        #expect(matrix.precision == [1, 0.5, 0.5])
        #expect(matrix.recall == [2.0 / 3.0, 0.5, 1])
        #expect(matrix.accuracy == 4.0 / 6.0)
    }

    @Test func aClassNeverPredictedHasNoPrecisionRatherThanZero() {
        let matrix = BestModelEvaluation.confusionMatrix(labels: ["0", "1"], actual: [0, 1], predicted: [0, 0])
        #expect(matrix.precision == [0.5, nil])
        #expect(matrix.recall == [1, 0])
    }

    @Test func regressionScoresEveryRowAndDrawsAtMostTheLimit() {
        let actual = (0..<5_000).map(Double.init)
        let predicted = actual.map { $0 + ($0.truncatingRemainder(dividingBy: 2) == 0 ? 1 : -3) }
        let fit = BestModelEvaluation.regressionFit(actual: actual, predicted: predicted)
        // Errors +1 and −3 in equal numbers: RMSE √((1 + 9) / 2) = √5, MAE (1 + 3) / 2 = 2.
        #expect(abs(fit.rmse - 5.0.squareRoot()) < 1e-12)
        #expect(abs(fit.mae - 2) < 1e-12)
        #expect(fit.rows == 5_000)
        #expect(fit.actual.count <= BestModelEvaluation.plottedRowLimit && fit.actual.count == fit.predicted.count)
    }
}
