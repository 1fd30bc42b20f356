import ConcordCore
import Testing

@testable import ConcordAnalysis

private let oneDay: Int64 = 86_400_000
private let oneMinute: Int64 = 60_000
/// 2026-01-01T00:00:00Z.
private let start = Timestamp(milliseconds: 1_767_225_600_000)
private let later = Timestamp(milliseconds: start.milliseconds + 100 * oneDay)

private func hex16(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
}

/// A record-like id (64 hex digits) for report number `n`.
private func reportID(_ n: Int) -> String {
    var random = SeededRandom(seed: 0x5EED_0000 &+ UInt64(n))
    return (0..<4).map { _ in hex16(random.next()) }.joined()
}

/// Report number `n`, happening `n` minutes after `start` unless `day` is given.
private func report(
    _ n: Int,
    _ identifiers: [String],
    jurisdiction: String = "TH",
    origin: String? = nil,
    typology: Typology = .investment,
    loss: Money? = nil,
    victims: Int = 1,
    day: Int? = nil
) -> ReportFacts {
    let time = day.map { start.milliseconds + Int64($0) * oneDay } ?? start.milliseconds + Int64(n) * oneMinute
    return ReportFacts(
        id: reportID(n),
        origin: origin ?? "node-" + jurisdiction.lowercased(),
        jurisdiction: jurisdiction,
        typology: typology,
        loss: loss,
        victims: victims,
        occurredAt: Timestamp(milliseconds: time),
        identifiers: identifiers
    )
}

private func phone(_ n: Int) -> String { "phone:+668\(10_000_000 + n)" }

@Test func reportsSharingAPhoneNumberAreOneCampaign() throws {
    var linker = CampaignLinker()
    let a = report(1, [phone(1), "email:boss@scam-invest.example"])
    let b = report(2, [phone(1)])
    let c = report(3, [phone(2)])
    let first = linker.add(a)
    let second = linker.add(b)
    let third = linker.add(c)

    #expect(first.status == .added && !first.joinedExisting)
    #expect(second.joinedExisting && second.reportCount == 2)
    #expect(second.campaignID == first.campaignID)
    #expect(!third.joinedExisting && third.campaignID != first.campaignID)

    let campaign = try #require(linker.campaign(containingReport: b.id, now: later))
    #expect(campaign.id == "c-" + String(a.id.prefix(16)))
    #expect(campaign.reports == [a.id, b.id])
    #expect(campaign.identifiers.first == CampaignIdentifier(key: phone(1), reports: 2, reportsOverall: 2, linking: true))
    #expect(campaign.identifiers.first?.kind == "phone")
    #expect(linker.campaign(id: campaign.id, now: later) == campaign)
    #expect(linker.campaign(id: "c-not-a-campaign", now: later) == nil)
    #expect(linker.campaigns(now: later).map(\.id) == [campaign.id])
    #expect(linker.campaigns(minimumReports: 1, now: later).count == 2)
    #expect(linker.reportCount == 3 && linker.identifierCount == 3)
}

@Test func aChainThroughDifferentIdentifiersIsOneCampaign() throws {
    var linker = CampaignLinker()
    let account = "bank_account:TH:014:1234567890"
    let wallet = "wallet:tron:TXyz123"
    let a = report(1, [phone(1)])
    let b = report(2, [phone(1), account])
    let c = report(3, [account, wallet])
    linker.add(c)
    let oldID = try #require(linker.add(b).campaignID)
    let outcome = linker.add(a)

    #expect(outcome.joinedExisting && outcome.reportCount == 3)
    let campaign = try #require(linker.campaign(containingReport: c.id, now: later))
    #expect(campaign.reports == [a.id, b.id, c.id])
    #expect(campaign.identifiers.map(\.key) == [account, phone(1), wallet])
    #expect(campaign.identifiers.map(\.reports) == [2, 2, 1])
    // The earlier report gave the campaign a new id; the old one still leads to it.
    #expect(oldID == "c-" + String(b.id.prefix(16)))
    #expect(campaign.id == "c-" + String(a.id.prefix(16)))
    #expect(linker.campaign(id: oldID, now: later)?.id == campaign.id)

    // A report bridging two separate groups merges them.
    let d = report(4, [phone(7)])
    let e = report(5, [phone(8)])
    linker.add(d)
    linker.add(e)
    let bridge = linker.add(report(6, [phone(7), phone(8)]))
    #expect(bridge.reportCount == 3)
    #expect(linker.campaigns(now: later).map(\.reportCount) == [3, 3])
}

@Test func warningListedDomainsDoNotLink() throws {
    var linker = CampaignLinker()
    linker.add(report(1, ["domain:facebook.com", phone(1)]))
    let second = linker.add(report(2, ["domain:facebook.com", phone(2)]))
    let third = linker.add(report(3, ["domain:m.facebook.com", phone(3)]))
    let fourth = linker.add(report(4, ["domain:m.facebook.com", phone(4)]))
    #expect(!second.joinedExisting && !third.joinedExisting && !fourth.joinedExisting)

    let campaign = try #require(linker.campaign(containingReport: reportID(2), now: later))
    #expect(campaign.reportCount == 1)
    let shown = try #require(campaign.identifiers.first { $0.key == "domain:facebook.com" })
    #expect(!shown.linking && shown.reportsOverall == 2)

    // A site under a shared hosting suffix belongs to whoever made it and links, even if an operator
    // lists the suffix itself.
    linker.addOperatorWarnings(["domain:github.io"])
    linker.add(report(5, ["domain:lucky-shop.github.io"]))
    #expect(linker.add(report(6, ["domain:lucky-shop.github.io"])).joinedExisting)
    #expect(!linker.needsRebuild)
}

@Test func operatorWarningsUndoLinksOnRebuild() {
    var linker = CampaignLinker()
    let switchboard = "phone:+6621234567"
    let a = report(1, [switchboard, phone(1)])
    let b = report(2, [switchboard, phone(2)])
    linker.add(a)
    #expect(linker.add(b).joinedExisting)

    linker.addOperatorWarnings([switchboard])
    #expect(linker.needsRebuild)
    linker.rebuild()
    #expect(!linker.needsRebuild)
    #expect(linker.campaign(containingReport: a.id, now: later)?.reports == [a.id])
    #expect(linker.campaign(containingReport: b.id, now: later)?.reports == [b.id])
    #expect(!linker.add(report(3, [switchboard])).joinedExisting)
}

@Test func aPaymentGatewayStopsLinkingButOneScamsNumberKeepsLinking() throws {
    let gateway = "bank_account:TH:014:9999999999"
    let kinds = Typology.allCases
    var linker = CampaignLinker()
    for i in 0..<60 {
        linker.add(report(i, [gateway, phone(i)], typology: kinds[i % kinds.count]))
    }
    #expect(linker.needsRebuild)
    linker.rebuild()
    #expect(linker.campaigns(now: later).isEmpty)
    #expect(linker.commonIdentifiers == [gateway])
    let single = try #require(linker.campaign(containingReport: reportID(7), now: later))
    #expect(single.identifiers.contains(CampaignIdentifier(key: gateway, reports: 1, reportsOverall: 60, linking: false)))

    let scamNumber = phone(999)
    var jobScam = CampaignLinker()
    for i in 100..<160 {
        jobScam.add(report(i, [scamNumber, phone(i)], typology: .job))
    }
    #expect(!jobScam.needsRebuild)
    #expect(jobScam.commonIdentifiers.isEmpty)
    #expect(jobScam.campaigns(now: later).map(\.reportCount) == [60])
}

@Test func theHardCapStopsEvenASingleTypologyHub() {
    var linker = CampaignLinker(policy: .init(commonAfter: 3, hardCap: 5))
    let hub = phone(0)
    for i in 1...5 {
        linker.add(report(i, [hub], typology: .job))
    }
    #expect(linker.campaigns(now: later).map(\.reportCount) == [5])
    linker.add(report(6, [hub], typology: .job))
    #expect(linker.needsRebuild)
    linker.rebuild()
    #expect(linker.commonIdentifiers == [hub])
    #expect(linker.campaigns(now: later).isEmpty)
}

@Test func retractionSplitsACampaignOnRebuild() throws {
    var linker = CampaignLinker()
    let a = report(1, [phone(1)], loss: Money(minorUnits: 10_000, currency: "THB"))
    let b = report(2, [phone(1), phone(2)], loss: Money(minorUnits: 20_000, currency: "THB"))
    let c = report(3, [phone(2)])
    linker.add(a)
    linker.add(b)
    linker.add(c)
    #expect(linker.campaign(containingReport: a.id, now: later)?.losses == [Money(minorUnits: 30_000, currency: "THB")])

    linker.retract(reportID: b.id)
    #expect(linker.needsRebuild)
    #expect(linker.campaign(containingReport: b.id, now: later) == nil)
    // Before the rebuild the report already leaves the list and the sums.
    let before = try #require(linker.campaign(containingReport: a.id, now: later))
    #expect(before.reports == [a.id, c.id])
    #expect(before.losses == [Money(minorUnits: 10_000, currency: "THB")])

    linker.rebuild()
    #expect(linker.campaign(containingReport: a.id, now: later)?.reports == [a.id])
    #expect(linker.campaign(containingReport: c.id, now: later)?.reports == [c.id])
    #expect(linker.reportCount == 2)
    #expect(linker.campaigns(now: later).isEmpty)

    // A retraction that arrives before its report keeps the report out; a repeat is a duplicate.
    let d = report(4, [phone(1)])
    linker.retract(reportID: d.id, by: d.origin)
    #expect(linker.add(d).status == .retracted)
    #expect(linker.campaign(containingReport: a.id, now: later)?.reportCount == 1)
    #expect(linker.add(a).status == .duplicate)
}

@Test func onlyTheReportsOwnOriginCanWithdrawIt() throws {
    var linker = CampaignLinker()
    let a = report(1, [phone(1)], origin: "node-a")
    let b = report(2, [phone(1)], origin: "node-b")
    linker.add(a)
    linker.add(b)
    linker.retract(reportID: b.id, by: "node-a")
    #expect(linker.campaign(containingReport: a.id, now: later)?.reportCount == 2)
    // Nor before the report arrives.
    let c = report(3, [phone(1)], origin: "node-c")
    linker.retract(reportID: c.id, by: "node-a")
    #expect(linker.add(c).status == .added)
    #expect(linker.campaign(containingReport: a.id, now: later)?.reportCount == 3)
    linker.retract(reportID: b.id, by: "node-b")
    #expect(linker.campaign(containingReport: a.id, now: later)?.reportCount == 2)
}

@Test func aReportFromAnotherJurisdictionRaisesACrossBorderAlert() throws {
    var linker = CampaignLinker()
    let wallet = "wallet:ethereum:0x52908400098527886e0f7030069857d2e4169ee7"
    let thai = linker.add(report(1, [wallet], jurisdiction: "TH"))
    #expect(thai.newJurisdictions.isEmpty && thai.jurisdictions == ["TH"] && !thai.raisesCrossBorderAlert)

    let malaysian = linker.add(report(2, [wallet], jurisdiction: "MY"))
    #expect(malaysian.joinedExisting)
    #expect(malaysian.newJurisdictions == ["MY"])
    #expect(malaysian.jurisdictions == ["MY", "TH"])
    #expect(malaysian.raisesCrossBorderAlert)

    let again = linker.add(report(3, [wallet], jurisdiction: "TH"))
    #expect(again.newJurisdictions.isEmpty && !again.raisesCrossBorderAlert)

    linker.add(report(4, [phone(4)], jurisdiction: "TH"))
    linker.add(report(5, [phone(4)], jurisdiction: "TH"))
    let crossBorder = linker.campaigns(crossBorderOnly: true, now: later)
    #expect(crossBorder.count == 1)
    let campaign = try #require(crossBorder.first)
    #expect(campaign.crossBorder && campaign.jurisdictions == ["MY", "TH"])
    #expect(campaign.origins == ["node-my", "node-th"])
    #expect(linker.campaigns(now: later).count == 2)
}

@Test func campaignIDsDoNotDependOnArrivalOrder() {
    var random = SeededRandom(seed: 42)
    var reports: [ReportFacts] = []
    for n in 0..<60 {
        let count = 1 + Int(random.next() % 2)
        let identifiers = (0..<count).map { _ in phone(Int(random.next() % 50)) }
        reports.append(report(n, Array(Set(identifiers)).sorted()))
    }
    var inOrder = CampaignLinker()
    var reversed = CampaignLinker()
    var shuffled = CampaignLinker()
    var bulk = CampaignLinker()
    reports.forEach { inOrder.add($0) }
    reports.reversed().forEach { reversed.add($0) }
    reports.shuffled(using: &random).forEach { shuffled.add($0) }
    bulk.add(contentsOf: reports.reversed())

    let expected = inOrder.campaigns(minimumReports: 1, now: later)
    #expect(expected.contains { $0.reportCount > 1 })
    #expect(reversed.campaigns(minimumReports: 1, now: later) == expected)
    #expect(shuffled.campaigns(minimumReports: 1, now: later) == expected)
    #expect(bulk.campaigns(minimumReports: 1, now: later) == expected)
    for campaign in expected {
        #expect(campaign.id == "c-" + String(campaign.reports[0].prefix(16)))
    }
}

@Test func campaignsSumLossesPerCurrencyAndMeasureGrowth() throws {
    var linker = CampaignLinker()
    let shared = phone(1)
    linker.add(report(1, [shared], loss: Money(minorUnits: 150_000, currency: "THB"), day: 95))
    linker.add(report(2, [shared], loss: Money(minorUnits: 20_000, currency: "USD"), victims: 3, day: 80))
    linker.add(report(3, [shared], jurisdiction: "SG", typology: .job, loss: Money(minorUnits: 50_000, currency: "THB"), day: 50))
    linker.add(report(4, [shared], day: 10))

    let campaign = try #require(linker.campaign(containingReport: reportID(1), now: later))
    #expect(campaign.losses == [Money(minorUnits: 200_000, currency: "THB"), Money(minorUnits: 20_000, currency: "USD")])
    #expect(campaign.victims == 6)
    #expect(campaign.firstSeen == Timestamp(milliseconds: start.milliseconds + 10 * oneDay))
    #expect(campaign.lastSeen == Timestamp(milliseconds: start.milliseconds + 95 * oneDay))
    #expect(campaign.reports == [reportID(4), reportID(3), reportID(2), reportID(1)])
    #expect(campaign.growth == CampaignGrowth(recent: 2, previous: 1))
    #expect(campaign.growth.ratio == 2.0)
    #expect(campaign.typologies == [.init(typology: .investment, reports: 3), .init(typology: .job, reports: 1)])
    #expect(campaign.jurisdictions == ["SG", "TH"])

    let total = campaign.totalLoss(in: ExchangeRates(base: "USD", rates: ["THB": 0.03]))
    #expect(abs(total.amount - 260) < 1e-9 && total.unconverted.isEmpty)

    // Nothing in the earlier window: no ratio.
    let quiet = Timestamp(milliseconds: start.milliseconds + 12 * oneDay)
    let early = try #require(linker.campaign(containingReport: reportID(4), now: quiet))
    #expect(early.growth.recent == 1 && early.growth.previous == 0 && early.growth.ratio == nil)
}

/// Random reports over a pool of identifiers, like a small national node's.
private func randomReports(seed: UInt64, count: Int, hub: String? = nil) -> [ReportFacts] {
    var random = SeededRandom(seed: seed)
    let kinds = Typology.allCases
    let places = ["TH", "MY", "SG", "PH"]
    var reports: [ReportFacts] = []
    for n in 0..<count {
        var identifiers = Set<String>()
        for _ in 0..<(1 + Int(random.next() % 3)) {
            switch random.next() % 4 {
            case 0: identifiers.insert("bank_account:TH:014:\(1_000_000_000 + random.next() % 100)")
            case 1: identifiers.insert("domain:shop\(random.next() % 50).example")
            default: identifiers.insert(phone(Int(random.next() % 300)))
            }
        }
        if random.next() % 20 == 0 { identifiers.insert("domain:gmail.com") }
        if let hub, n % 3 == 0 { identifiers.insert(hub) }
        let typology = hub != nil && n % 3 == 0 ? kinds[(n / 3) % kinds.count] : kinds[Int(random.next() % 11)]
        reports.append(
            report(
                n,
                identifiers.sorted(),
                jurisdiction: places[Int(random.next() % 4)],
                typology: typology,
                loss: Money(minorUnits: Int64(random.next() % 1_000_000), currency: "THB"),
                day: Int(random.next() % 120)
            )
        )
    }
    return reports
}

@Test func incrementalAddsGiveTheCampaignsABulkLoadGives() {
    let reports = randomReports(seed: 7, count: 300)
    var incremental = CampaignLinker()
    for report in reports {
        incremental.add(report)
    }
    var bulk = CampaignLinker()
    bulk.add(contentsOf: reports)

    #expect(!incremental.needsRebuild)
    let expected = bulk.campaigns(minimumReports: 1, now: later)
    #expect(expected.contains { $0.reportCount >= 3 })
    #expect(incremental.campaigns(minimumReports: 1, now: later) == expected)
    incremental.rebuild()
    #expect(incremental.campaigns(minimumReports: 1, now: later) == expected)
}

@Test func afterAHubTurnsCommonARebuildGivesTheCampaignsABulkLoadGives() {
    let hub = "bank_account:TH:002:5555555555"
    let reports = randomReports(seed: 11, count: 300, hub: hub)
    let policy = CampaignLinker.LinkPolicy(commonAfter: 20)
    var incremental = CampaignLinker(policy: policy)
    for report in reports {
        incremental.add(report)
    }
    var bulk = CampaignLinker(policy: policy)
    bulk.add(contentsOf: reports)

    #expect(incremental.needsRebuild)
    #expect(bulk.commonIdentifiers == [hub])
    incremental.rebuild()
    #expect(incremental.commonIdentifiers == [hub])
    #expect(incremental.campaigns(minimumReports: 1, now: later) == bulk.campaigns(minimumReports: 1, now: later))

    // Reports added after the rebuild keep the two in step.
    let more = randomReports(seed: 12, count: 40).map {
        ReportFacts(
            id: "x" + $0.id,
            origin: $0.origin,
            jurisdiction: $0.jurisdiction,
            typology: $0.typology,
            loss: $0.loss,
            victims: $0.victims,
            occurredAt: $0.occurredAt,
            identifiers: $0.identifiers
        )
    }
    for report in more {
        incremental.add(report)
    }
    bulk.add(contentsOf: more)
    #expect(!incremental.needsRebuild)
    #expect(incremental.campaigns(minimumReports: 1, now: later) == bulk.campaigns(minimumReports: 1, now: later))
}
