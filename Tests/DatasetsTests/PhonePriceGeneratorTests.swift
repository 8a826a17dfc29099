import Testing
@testable import Datasets

@Suite struct PhonePriceGeneratorTests {
    enum Kind { case integer, binary, tenths }

    /// The columns of the real "Mobile Price Classification" file, as the task specifies them:
    /// name, kind and range, in file order. Written out here rather than read from the
    /// generator so that the test checks the generator against the specification.
    static let specification: [(name: String, kind: Kind, range: ClosedRange<Float>)] = [
        ("battery_power", .integer, 501...1998), ("blue", .binary, 0...1),
        ("clock_speed", .tenths, 0.5...3.0), ("dual_sim", .binary, 0...1),
        ("fc", .integer, 0...18), ("four_g", .binary, 0...1),
        ("int_memory", .integer, 2...64), ("m_dep", .tenths, 0.1...1.0),
        ("mobile_wt", .integer, 80...200), ("n_cores", .integer, 1...8),
        ("pc", .integer, 0...20), ("px_height", .integer, 0...1960),
        ("px_width", .integer, 500...1998), ("ram", .integer, 256...3998),
        ("sc_h", .integer, 5...19), ("sc_w", .integer, 0...18),
        ("talk_time", .integer, 2...20), ("three_g", .binary, 0...1),
        ("touch_screen", .binary, 0...1), ("wifi", .binary, 0...1),
    ]

    let phones: Dataset

    init() throws {
        phones = try PhonePriceGenerator().make()
    }

    @Test func theTwentyColumnsHaveTheRealNamesInTheRealOrder() {
        #expect(phones.featureNames == Self.specification.map(\.name))
        #expect(phones.targetName == "price_range")
        #expect(phones.rowCount == 2000)
        #expect(phones.source == "builtin:phone-price")
    }

    @Test func everyValueHasItsColumnsKindAndLiesInItsRange() {
        for (column, specification) in Self.specification.enumerated() {
            let values = phones.featureColumn(column)
            for value in values {
                #expect(specification.range.contains(value), "\(specification.name) = \(value)")
                switch specification.kind {
                case .integer:
                    #expect(value == value.rounded(), "\(specification.name) = \(value)")
                case .binary:
                    #expect(value == 0 || value == 1, "\(specification.name) = \(value)")
                case .tenths:
                    // The Float nearest some k/10, i.e. the value its one-decimal text parses to.
                    #expect(value == Float((value * 10).rounded()) / 10, "\(specification.name) = \(value)")
                }
                if !specification.range.contains(value) { return }
            }
        }
    }

    @Test func everyColumnSpreadsOverMostOfItsRange() {
        // Uniform draws over 2000 rows come within a tenth of the range of both ends (px_height
        // is capped by px_width, so its top needs the widest phones, 2.5% of them).
        for (column, specification) in Self.specification.enumerated() {
            let values = phones.featureColumn(column)
            let span = specification.range.upperBound - specification.range.lowerBound
            #expect((values.min() ?? .infinity) <= specification.range.lowerBound + span / 10, "\(specification.name)")
            #expect((values.max() ?? -.infinity) >= specification.range.upperBound - span / 10, "\(specification.name)")
        }
    }

    @Test func theFourPriceClassesAreExactlyBalanced() {
        for classValue in 0..<4 {
            // 2000 rows / 4 classes.
            #expect(phones.targets.filter { $0 == Float(classValue) }.count == 500)
        }
    }

    @Test func theSameSeedGivesIdenticalDataAndAnotherSeedOtherData() throws {
        #expect(try PhonePriceGenerator().make() == phones)
        let other = try PhonePriceGenerator(seed: 7).make()
        #expect(other.features != phones.features)
        #expect(other.source == "builtin:phone-price?seed=7")
    }

    @Test func theDefaultDataIsPinnedRowForRow() {
        // Recorded from this generator when it was written. Every result stored for
        // builtin:phone-price depends on these exact rows: a change here must be deliberate.
        let firstPhone: [Float] = [1750, 0, 2.2, 1, 7, 0, 30, 0.2, 182, 1, 10, 9, 1113, 3887, 16, 5, 19, 1, 1, 0]
        #expect(Array(phones.featureRow(0)) == firstPhone)
        #expect(phones.targets[0] == 3)
        #expect(Array(phones.targets.prefix(8)) == [3, 1, 3, 3, 1, 1, 2, 1])
    }

    @Test func ramIsTheMostPredictiveFeature() throws {
        let ram = try #require(phones.featureIndex(named: "ram"))
        let talkTime = try #require(phones.featureIndex(named: "talk_time"))
        let ramMeans = classMeans(column: ram)
        for classValue in 1..<4 {
            // Classes are quartiles of a score dominated by ram, so its means climb steeply.
            #expect(ramMeans[classValue] > ramMeans[classValue - 1] + 300)
        }
        // An irrelevant feature's class means differ by little: talk_time spans 18 hours, and
        // with 500 rows per class the standard error of a class mean is about 5.3/√500 ≈ 0.24.
        let talkMeans = classMeans(column: talkTime)
        #expect((talkMeans.max() ?? 0) - (talkMeans.min() ?? 0) < 1.5)

        let correlations = (0..<phones.featureCount).map { correlationWithTarget(column: $0) }
        let strongest = correlations.indices.max { abs(correlations[$0]) < abs(correlations[$1]) }
        #expect(strongest == ram)
        #expect(correlations[ram] > 0.85)
    }

    @Test func batteryAndResolutionCarrySomeSignalAndTheRestAlmostNone() throws {
        let signal = ["battery_power", "px_height", "px_width"]
        for (column, name) in phones.featureNames.enumerated() where name != "ram" {
            let correlation = correlationWithTarget(column: column)
            if signal.contains(name) {
                #expect(correlation > 0.08, "\(name): \(correlation)")
            } else {
                // Independent of the target: |r| stays within about 3/√2000 ≈ 0.067.
                #expect(abs(correlation) < 0.07, "\(name): \(correlation)")
            }
        }
    }

    @Test func frontCamerasAreMostlyNoBetterThanPrimaryOnes() throws {
        let frontCamera = phones.featureColumn(try #require(phones.featureIndex(named: "fc")))
        let primaryCamera = phones.featureColumn(try #require(phones.featureIndex(named: "pc")))
        let typical = zip(frontCamera, primaryCamera).filter { $0 <= $1 }.count
        #expect(typical > 1800)  // 95% by construction, plus the unusual draws that happen to fit
    }

    @Test(arguments: [0, 4, 7, 10, -8])
    func aRowCountThatIsNotAMultipleOfFourOfAtLeastEightIsRefused(rowCount: Int) {
        let error = datasetError { () throws(DatasetError) -> Dataset in try PhonePriceGenerator(rowCount: rowCount).make() }
        #expect(error == .invalidGeneratedRowCount(rowCount: rowCount))
        #expect(error?.description.contains("multiple of 4") == true)
    }

    @Test func sixteenHundredPhonesSplitLikeTheRealFile() throws {
        // The real file has 400 phones per class; an 80/20 split gives 1280 and 320 rows.
        let small = try PhonePriceGenerator(rowCount: 1600).make()
        let split = try small.split(task: small.inferTask(), testFraction: 0.2, seed: 88)
        #expect(small.inferTask() == .multiclass)
        #expect(split.train.count == 1280)
        #expect(split.test.count == 320)
    }

    private func classMeans(column: Int) -> [Double] {
        let values = phones.featureColumn(column)
        return (0..<4).map { classValue in
            let inClass = values.indices.filter { phones.targets[$0] == Float(classValue) }.map { Double(values[$0]) }
            return inClass.reduce(0, +) / Double(inClass.count)
        }
    }

    private func correlationWithTarget(column: Int) -> Double {
        let x = phones.featureColumn(column).map(Double.init)
        let y = phones.targets.map(Double.init)
        let meanX = x.reduce(0, +) / Double(x.count)
        let meanY = y.reduce(0, +) / Double(y.count)
        var covariance = 0.0, varianceX = 0.0, varianceY = 0.0
        for (a, b) in zip(x, y) {
            covariance += (a - meanX) * (b - meanY)
            varianceX += (a - meanX) * (a - meanX)
            varianceY += (b - meanY) * (b - meanY)
        }
        return covariance / (varianceX * varianceY).squareRoot()
    }
}
