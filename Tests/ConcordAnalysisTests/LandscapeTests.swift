import ConcordCore
import Foundation
import Testing

@testable import ConcordAnalysis

private struct BadFixture: Error {}

/// Rates into Singapore dollars.
private let toSGD = ExchangeRates(base: "SGD", rates: ["THB": 1 / 26.5, "MYR": 0.3])

private func report(
    _ jurisdiction: String,
    _ typology: Typology,
    _ when: String,
    loss: Money? = nil,
    victims: Int = 1
) throws -> ReportFacts {
    guard let time = Timestamp(rfc3339: when) else { throw BadFixture() }
    return ReportFacts(
        id: String(repeating: "a", count: 64),
        origin: "node-a",
        jurisdiction: jurisdiction,
        typology: typology,
        loss: loss,
        victims: victims,
        occurredAt: time,
        identifiers: []
    )
}

private func reports(
    _ count: Int,
    _ jurisdiction: String,
    _ typology: Typology,
    _ when: String,
    loss: Money? = nil,
    victims: Int = 1
) throws -> [ReportFacts] {
    try (0..<count).map { _ in try report(jurisdiction, typology, when, loss: loss, victims: victims) }
}

@Test func cellsCountReportsVictimsAndLossesInTheBaseCurrency() throws {
    let facts = [
        try report("TH", .job, "2026-03-05", loss: Money(minorUnits: 2_650_000, currency: "THB")),
        try report("TH", .job, "2026-03-20", loss: Money(minorUnits: 50_000, currency: "SGD"), victims: 3),
        try report("TH", .job, "2026-03-21", loss: Money(minorUnits: 10_000, currency: "EUR")),
        try report("TH", .job, "2026-03-22"),
        try report("TH", .romance, "2026-03-22"),
    ]
    let landscape = Landscape.build(from: facts, rates: toSGD)
    let cells = try landscape.cells(typologies: [.job])
    #expect(cells.count == 1)
    let cell = try #require(cells.first)
    #expect(cell.jurisdiction == "TH")
    #expect(cell.month == "2026-03")
    #expect(cell.reports == 4)
    #expect(cell.victims == 6)
    #expect(cell.lossReports == 2)
    #expect(cell.unconverted == 1)
    // 26,500 THB is 1,000 SGD; plus 500 SGD; the euros have no rate and stay out.
    #expect(abs(cell.loss - 1_500) < 1e-6)
    #expect(landscape.baseCurrency == "SGD")
}

@Test func aReportFallsInTheUTCMonthItHappenedIn() throws {
    // 05:00 on 1 February in Bangkok is 22:00 on 31 January in UTC.
    let landscape = Landscape.build(from: [try report("TH", .job, "2026-02-01T05:00:00+07:00")], rates: toSGD)
    #expect(try landscape.cells().map(\.month) == ["2026-01"])
    #expect(landscape.firstMonth == "2026-01")
}

@Test func incrementalAddsMatchABuild() throws {
    let facts =
        try reports(3, "TH", .job, "2026-01-10")
        + reports(2, "MY", .loan, "2026-02-10", loss: Money(minorUnits: 100, currency: "MYR"))
    var incremental = Landscape(rates: toSGD)
    for fact in facts { incremental.add(fact) }
    #expect(try incremental.cells() == Landscape.build(from: facts, rates: toSGD).cells())
}

@Test func trendFillsMonthsWithoutReports() throws {
    let facts =
        try reports(2, "TH", .job, "2026-01-10") + reports(1, "TH", .job, "2026-04-10")
        + reports(1, "MY", .romance, "2026-06-01")
    let landscape = Landscape.build(from: facts, rates: toSGD)
    let series = try landscape.trend(jurisdiction: "TH", typology: .job)
    // The series spans the whole landscape (January to June), so it lines up with the other series.
    #expect(series.map(\.month) == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"])
    #expect(series.map(\.reports) == [2, 0, 0, 1, 0, 0])
    let window = try landscape.trend(from: "2025-12", to: "2026-02")
    #expect(window.map(\.month) == ["2025-12", "2026-01", "2026-02"])
    #expect(window.map(\.reports) == [0, 2, 0])
}

@Test func queriesRefuseMalformedMonths() throws {
    let landscape = Landscape.build(from: [try report("TH", .job, "2026-01-10")], rates: toSGD)
    #expect(throws: LandscapeError.invalidMonth("2026-13")) { try landscape.trend(from: "2026-13") }
    #expect(throws: LandscapeError.invalidMonth("March")) { try landscape.cells(to: "March") }
    #expect(throws: LandscapeError.invalidRange(from: "2026-05", to: "2026-01")) {
        try landscape.heatTable(from: "2026-05", to: "2026-01")
    }
}

@Test func heatTableTotalsEachJurisdictionAndTypology() throws {
    let facts =
        try reports(2, "TH", .purchase, "2026-01-10", loss: Money(minorUnits: 26_500, currency: "THB"))
        + reports(3, "TH", .purchase, "2026-02-10") + reports(1, "TH", .investment, "2026-02-10")
        + reports(4, "MY", .purchase, "2026-02-10") + reports(9, "MY", .purchase, "2026-05-10")
    let table = try Landscape.build(from: facts, rates: toSGD).heatTable(from: "2026-01", to: "2026-03")
    #expect(table.jurisdictions == ["MY", "TH"])
    #expect(table.typologies == [.investment, .purchase])
    #expect(table.total(jurisdiction: "TH", typology: .purchase)?.reports == 5)
    #expect(abs((table.total(jurisdiction: "TH", typology: .purchase)?.loss ?? 0) - 20) < 1e-9)
    #expect(table.total(jurisdiction: "MY", typology: .purchase)?.reports == 4)
    #expect(table.total(jurisdiction: "MY", typology: .investment) == nil)
    #expect(table.maxReports == 5)
}

@Test func topGrowingIgnoresTinyCounts() throws {
    // Recent window April to June 2026, previous January to March.
    let facts =
        try reports(1, "TH", .phishing, "2026-02-10") + reports(3, "TH", .phishing, "2026-05-10")
        + reports(5, "TH", .investment, "2026-02-10") + reports(10, "TH", .investment, "2026-05-10")
        + reports(6, "MY", .investment, "2026-06-10")
        + reports(8, "TH", .job, "2026-02-10") + reports(6, "TH", .job, "2026-05-10")
    let landscape = Landscape.build(from: facts, rates: toSGD)

    let top = try landscape.topGrowing(asOf: "2026-06")
    // Phishing tripled, but from 1 to 3: too few to rank. Jobs fell.
    #expect(top.map(\.typology) == [.investment])
    #expect(top.first?.recent == 16)
    #expect(top.first?.previous == 5)
    #expect(abs((top.first?.ratio ?? 0) - 3.2) < 1e-12)

    let byCountry = try landscape.topGrowing(asOf: "2026-06", byJurisdiction: true)
    #expect(byCountry.map(\.jurisdiction) == ["MY", "TH"])
    #expect(byCountry.map(\.ratio) == [6, 2])

    let thaiOnly = try landscape.topGrowing(asOf: "2026-06", jurisdiction: "TH")
    #expect(thaiOnly.map(\.recent) == [10])
    #expect(try landscape.topGrowing(limit: 0, asOf: "2026-06").isEmpty)
}

@Test func sharedFormDropsCellsUnderKAndLeaksNoTotals() throws {
    let facts =
        try reports(5, "TH", .job, "2026-03-10", loss: Money(minorUnits: 100_000, currency: "SGD"))
        + reports(4, "MY", .romance, "2026-03-10", loss: Money(minorUnits: 77_700, currency: "SGD"), victims: 2)
    let shared = Landscape.build(from: facts, rates: toSGD).kAnonymous()
    #expect(shared.k == 5)
    #expect(shared.suppressedCells == 1)
    #expect(shared.cells.map(\.jurisdiction) == ["TH"])
    #expect(shared.cells.map(\.reports) == [5])

    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let json = String(decoding: try encoder.encode(shared), as: UTF8.self)
    #expect(json.contains("\"suppressed_cells\":1"))
    #expect(json.contains("\"loss_reports\":5"))
    // Nothing of the 4-report cell: not its keys, its count, its 3,108 SGD, or a total that includes them.
    #expect(!json.contains("MY"))
    #expect(!json.contains("romance"))
    #expect(!json.contains("3108"))
    #expect(!json.contains("\"reports\":4"))
    #expect(!json.contains("\"reports\":9"))
    #expect(!json.contains("\"victims\":8"))
    #expect(!json.contains("\"victims\":13"))

    let decoded = try JSONDecoder().decode(SharedLandscape.self, from: Data(json.utf8))
    #expect(decoded == shared)
}

@Test func aStricterKSuppressesMore() throws {
    let facts = try reports(5, "TH", .job, "2026-03-10") + reports(12, "TH", .loan, "2026-03-10")
    let landscape = Landscape.build(from: facts, rates: toSGD)
    #expect(landscape.kAnonymous(k: 5).cells.map(\.typology) == [.job, .loan])
    #expect(landscape.kAnonymous(k: 10).cells.map(\.typology) == [.loan])
    #expect(landscape.kAnonymous(k: 10).suppressedCells == 1)
}

@Test func decodingAPeersCellUnderKThrows() throws {
    let json = """
        {"k":5,"base_currency":"SGD","suppressed_cells":0,"cells":[
        {"jurisdiction":"TH","typology":"job","month":"2026-03","reports":6,"victims":6,"loss":0,
         "loss_reports":0,"unconverted":0},
        {"jurisdiction":"TH","typology":"loan","month":"2026-03","reports":4,"victims":4,"loss":0,
         "loss_reports":0,"unconverted":0}]}
        """
    let error = #expect(throws: InputError.self) {
        try JSONDecoder().decode(SharedLandscape.self, from: Data(json.utf8))
    }
    #expect(error?.issues.first?.pointer == "/cells/1/reports")
    #expect(error?.summary.contains("under k = 5") == true)
}

@Test(arguments: [
    (#""reports":-6"#, "/cells/0/reports"),
    (#""month":"2026-3""#, "/cells/0/month"),
    (#""typology":"lottery""#, "/cells/0/typology"),
    (#""jurisdiction":"th""#, "/cells/0/jurisdiction"),
    (#""loss":-1"#, "/cells/0/loss"),
])
func decodingRefusesMalformedCells(field: String, pointer: String) throws {
    var cell = [
        #""jurisdiction":"TH""#, #""typology":"job""#, #""month":"2026-03""#, #""reports":6"#, #""victims":6"#,
        #""loss":10"#, #""loss_reports":1"#, #""unconverted":0"#,
    ]
    let name = String(field.prefix { $0 != ":" })
    cell = cell.map { $0.hasPrefix(name + ":") ? field : $0 }
    let json = #"{"k":5,"base_currency":"SGD","suppressed_cells":0,"cells":[{"# + cell.joined(separator: ",") + "}]}"
    let error = #expect(throws: InputError.self) {
        try JSONDecoder().decode(SharedLandscape.self, from: Data(json.utf8))
    }
    #expect(error?.issues.first?.pointer == pointer)
}

@Test func networkViewAddsPeersCellsButNeverRepublishesThem() throws {
    let own = try reports(6, "TH", .job, "2026-03-10", loss: Money(minorUnits: 10_000, currency: "SGD"))
    var network = Landscape.build(from: own, rates: toSGD)
    let peer = try SharedLandscape(
        k: 5,
        baseCurrency: "THB",
        suppressedCells: 2,
        cells: [
            LandscapeCell(
                jurisdiction: "TH",
                typology: .job,
                month: "2026-03",
                reports: 5,
                victims: 5,
                loss: 26_500,
                lossReports: 5,
                unconverted: 0
            ),
            LandscapeCell(
                jurisdiction: "PH",
                typology: .loan,
                month: "2026-03",
                reports: 7,
                victims: 7,
                loss: 0,
                lossReports: 0,
                unconverted: 0
            ),
        ]
    )
    network.merge(peer)

    let thaiCells = try network.cells(jurisdictions: ["TH"])
    let thai = try #require(thaiCells.first)
    #expect(thai.reports == 11)
    // 6 x 100 SGD of our own, and the peer's 26,500 THB as 1,000 SGD.
    #expect(abs(thai.loss - 1_600) < 1e-6)
    #expect(network.includesPeerData(thai))
    #expect(network.peerLandscapes == 1)
    #expect(network.cellsWithheldByPeers == 2)
    #expect(try network.cells().map(\.jurisdiction) == ["PH", "TH"])

    #expect(try network.nodeOnly.cells().map(\.reports) == [6])
    #expect(!network.nodeOnly.includesPeerData(thai))
    // What the node shares is its own 6 reports, not the 11 of the network view, and nothing of PH.
    let republished = network.kAnonymous()
    #expect(republished.cells.map(\.reports) == [6])
    #expect(republished.suppressedCells == 0)
}

@Test func peerLossesInACurrencyWithoutARateCountAsUnconverted() throws {
    let peer = try SharedLandscape(
        k: 5,
        baseCurrency: "KES",
        suppressedCells: 0,
        cells: [
            LandscapeCell(
                jurisdiction: "KE",
                typology: .purchase,
                month: "2026-03",
                reports: 8,
                victims: 8,
                loss: 96_000,
                lossReports: 6,
                unconverted: 1
            )
        ]
    )
    var network = Landscape(rates: toSGD)
    network.merge(peer)
    let cells = try network.cells()
    let cell = try #require(cells.first)
    #expect(cell.reports == 8)
    #expect(cell.loss == 0)
    #expect(cell.lossReports == 0)
    #expect(cell.unconverted == 7)
}

@Test func landscapeFromCellsRefusesBadCells() throws {
    let bad = LandscapeCell(
        jurisdiction: "TH",
        typology: .job,
        month: "2026-03",
        reports: 2,
        victims: 2,
        loss: 10,
        lossReports: 2,
        unconverted: 1
    )
    let error = #expect(throws: InputError.self) { try Landscape(rates: toSGD, cells: [bad]) }
    #expect(error?.issues.first?.pointer == "/0/loss_reports")
}

@Test func aSharedCellWithholdsALossSummedOverFewerThanKReports() throws {
    let rates = ExchangeRates(base: "SGD", rates: [:])
    var landscape = Landscape(rates: rates)
    for n in 0..<6 {
        landscape.add(
            ReportFacts(
                id: "r\(n)",
                origin: "node",
                jurisdiction: "SG",
                typology: .job,
                loss: n == 0 ? Money(minorUnits: 123_456, currency: "SGD") : nil,
                occurredAt: Timestamp(milliseconds: 1_780_000_000_000),
                identifiers: []
            )
        )
    }
    let shared = landscape.kAnonymous(k: 5)
    let cell = try #require(shared.cells.first)
    #expect(cell.reports == 6)
    #expect(cell.loss == 0 && cell.lossReports == 0 && cell.unconverted == 1)
}

@Test("peers see closed months only, each as it stood at its cutoff: polling never shows a cell grow by one report")
func publishedClosedMonths() throws {
    var made = 0
    func filed(_ when: String, occurred: String, loss: Int64, origin: String = "node-a") throws -> ReportFacts {
        guard let time = Timestamp(rfc3339: when), let happened = Timestamp(rfc3339: occurred) else { throw BadFixture() }
        made += 1
        return ReportFacts(
            id: String(format: "%064x", made),
            origin: origin,
            jurisdiction: "TH",
            typology: .job,
            loss: Money(minorUnits: loss * 100, currency: "SGD"),
            occurredAt: happened,
            identifiers: [],
            filed: time
        )
    }
    // Seven October reports filed in October, one more filed late in November, three in November itself.
    var held = try (0..<7).map { _ in try filed("2026-10-20", occurred: "2026-10-10", loss: 1000) }
    held.append(try filed("2026-11-20", occurred: "2026-10-12", loss: 99_999))
    held += try (0..<6).map { _ in try filed("2026-11-03", occurred: "2026-11-02", loss: 10) }
    held += try (0..<9).map { _ in try filed("2026-10-20", occurred: "2026-10-10", loss: 5, origin: "node-b") }
    var withdrawn: [String: Timestamp] = [:]
    func publish(_ when: String) throws -> SharedLandscape {
        guard let now = Timestamp(rfc3339: when) else { throw BadFixture() }
        return Landscape.published(from: held, withdrawn: withdrawn, origin: "node-a", rates: toSGD, k: 5, now: now)
    }
    // Before October's cutoff (7 November) nothing is published, not even October.
    #expect(try publish("2026-11-06T23:00:00Z").cells.isEmpty)
    let october = try publish("2026-11-08T00:00:00Z")
    #expect(october.cells.map(\.month) == ["2026-10"])
    #expect(october.cells.first?.reports == 7)
    #expect(october.cells.first?.loss == 7000)
    // The late October report and November's do not show in October's cell, in November or after.
    let later = try publish("2026-11-30T00:00:00Z")
    #expect(later == october)
    let december = try publish("2026-12-08T00:00:00Z")
    #expect(december.cells.map(\.month) == ["2026-10", "2026-11"])
    #expect(december.cells.first == october.cells.first)
    #expect(december.cells.last?.reports == 6)
    // An October report withdrawn after October's cutoff stays in October's cell: the cell does not move by one
    // report's loss from one day to the next.
    withdrawn[held[0].id] = Timestamp(rfc3339: "2026-11-25T00:00:00Z")
    #expect(try publish("2026-12-08T00:00:00Z") == december)
    // One of November's, withdrawn before November's cutoff, is left out; November still has five.
    withdrawn[held[9].id] = Timestamp(rfc3339: "2026-11-20T00:00:00Z")
    let withdrawnEarly = try publish("2026-12-08T00:00:00Z")
    #expect(withdrawnEarly.cells.first == october.cells.first)
    #expect(withdrawnEarly.cells.last?.reports == 5)
}
