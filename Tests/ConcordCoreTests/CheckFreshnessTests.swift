import ConcordCore
import Testing

@Suite("Check answers: expiry, warning lists and sureness")
struct CheckFreshnessTests {
    let seen = Timestamp(milliseconds: 1_760_000_000_000)

    func indicator(_ kind: IdentifierKind, _ value: String, confidence: Int, validUntil: Timestamp?) -> IndexedIdentifier {
        IndexedIdentifier(
            identifier: Identifier(kind: kind, canonical: value),
            role: nil,
            typology: .investment,
            jurisdiction: "TH",
            confidence: confidence,
            firstSeen: seen,
            lastSeen: seen,
            isReport: false,
            tlp: .green,
            validUntil: validUntil
        )
    }

    func report(_ kind: IdentifierKind, _ value: String, jurisdiction: String = "MY", derived: Bool = false) -> IndexedIdentifier
    {
        IndexedIdentifier(
            identifier: Identifier(kind: kind, canonical: value),
            role: .website,
            typology: .purchase,
            jurisdiction: jurisdiction,
            confidence: nil,
            firstSeen: seen,
            lastSeen: seen,
            isReport: true,
            derived: derived,
            tlp: .green
        )
    }

    func at(days: Int) -> Timestamp { Timestamp(milliseconds: seen.milliseconds + Int64(days) * 86_400_000) }

    @Test("an indicator flags until its valid_until and not after; a report keeps flagging")
    func expiry() {
        let index = CheckIndex()
        let phone = Identifier(kind: .phone, canonical: "+66812345678")
        index.add(indicator(.phone, phone.canonical, confidence: 80, validUntil: at(days: 30)))
        let before = index.check(phone, at: at(days: 29))
        #expect(before.flagged && !before.expired && before.ageDays == 29)
        let after = index.check(phone, at: at(days: 31))
        #expect(!after.flagged && after.expired && after.indicators == 1 && after.sureness == nil)
        #expect(after.lastSeen == Timestamp(milliseconds: seen.milliseconds))
        // A second indicator without an end date keeps it live.
        index.add(indicator(.phone, phone.canonical, confidence: 60, validUntil: nil))
        #expect(index.check(phone, at: at(days: 400)).flagged)

        let account = Identifier(kind: .phone, canonical: "+66899999999")
        index.add(indicator(.phone, account.canonical, confidence: 90, validUntil: at(days: 1)))
        index.add(report(.phone, account.canonical))
        let mixed = index.check(account, at: at(days: 10))
        #expect(mixed.flagged && !mixed.expired)
    }

    @Test("a warning-list value is never flagged, nor are pages answered by it; a specific page still is")
    func knownGood() {
        let index = CheckIndex()
        index.setKnownGood(["domain:facebook.com", "phone:+6622222222"])
        index.add(report(.url, "https://www.facebook.com/scam.page"))
        index.add(report(.domain, "facebook.com", derived: true))
        index.add(report(.phone, "+6622222222"))
        let domain = index.check(Identifier(kind: .domain, canonical: "facebook.com"))
        #expect(!domain.flagged && domain.knownGood && domain.reports == 1)
        let page = index.check(Identifier(kind: .url, canonical: "https://www.facebook.com/scam.page"))
        #expect(page.flagged && !page.knownGood)
        let other = index.check(Identifier(kind: .url, canonical: "https://www.facebook.com/someone.else"))
        #expect(!other.flagged && other.matched == nil && other.knownGood)
        // The reported page's host, www.facebook.com, is derived too: it is covered by facebook.com on the list.
        index.add(report(.domain, "www.facebook.com", derived: true))
        let sibling = index.check(Identifier(kind: .url, canonical: "https://www.facebook.com/another.page"))
        #expect(!sibling.flagged && sibling.knownGood)
        #expect(!index.check(Identifier(kind: .domain, canonical: "www.facebook.com")).flagged)
        let switchboard = Identifier(kind: .phone, canonical: "+6622222222")
        #expect(!index.check(switchboard).flagged && index.check(switchboard).knownGood)
        #expect(!index.isFlagged(switchboard))
        #expect(
            index.areFlagged([switchboard, Identifier(kind: .url, canonical: "https://www.facebook.com/scam.page")]) == [
                false, true,
            ]
        )
        #expect(index.check([switchboard]).map(\.flagged) == [false])
    }

    @Test("sureness is the evidence halved every 90 days")
    func sureness() {
        #expect(Sureness.score(reports: 1, confidence: nil, jurisdictions: 1, ageDays: 0) == 40)
        #expect(Sureness.score(reports: 1, confidence: nil, jurisdictions: 1, ageDays: 90) == 20)
        #expect(Sureness.score(reports: 3, confidence: nil, jurisdictions: 1, ageDays: 0) == 70)
        #expect(Sureness.score(reports: 9, confidence: nil, jurisdictions: 1, ageDays: 0) == 90)
        #expect(Sureness.score(reports: 1, confidence: 80, jurisdictions: 2, ageDays: 0) == 90)
        #expect(Sureness.score(reports: 0, confidence: 100, jurisdictions: 3, ageDays: 180) == 25)
        let index = CheckIndex()
        index.add(report(.phone, "+60123456789", jurisdiction: "MY"))
        index.add(report(.phone, "+60123456789", jurisdiction: "TH"))
        let answer = index.check(Identifier(kind: .phone, canonical: "+60123456789"), at: at(days: 45))
        // Two reports (55) seen in two jurisdictions (+10), 45 days old: 65 x 0.5^0.5.
        #expect(answer.sureness == 46 && answer.ageDays == 45)
    }
}
