import Foundation
import Testing

@testable import ConcordCore

@Suite("Signed records")
struct RecordTests {
    let key = NodeKey()

    func report() throws -> Record {
        try RecordInput.report(
            .object([
                "typology": .string("investment"), "occurred_at": .string("2026-11-20"),
                "loss": .object(["amount": .double(1389.5), "currency": .string("sgd")]),
                "identifiers": .array([.object(["kind": .string("phone"), "value": .string("081 234 5678")])]),
            ]),
            nodeJurisdiction: "TH"
        ).sign(with: key)
    }

    @Test("a record's id is the SHA-256 of its canonical content and it verifies against its origin")
    func idAndSignature() throws {
        let record = try report()
        #expect(record.id == ByteText.sha256Hex(record.content.canonicalData))
        #expect(record.origin == key.nodeID)
        let verified = try Record.verified(id: record.id, canonical: record.canonical, signature: record.signature)
        #expect(verified == record)
        #expect(record.body["loss"] == .object(["amount": .string("1389.50"), "currency": .string("SGD")]))
    }

    @Test("changing one byte of the content, the id or the signature is refused")
    func tampering() throws {
        let record = try report()
        var content = record.canonical
        let index = try #require(content.firstRange(of: Data("+6681".utf8))).upperBound
        content[index] = UInt8(ascii: "9")
        #expect(throws: RecordError.self) { try Record.verified(id: record.id, canonical: content, signature: record.signature) }
        let rehashed = ByteText.sha256Hex(content)
        #expect(throws: RecordError.badSignature) {
            try Record.verified(id: rehashed, canonical: content, signature: record.signature)
        }
        var signature = record.signature
        signature[0] ^= 1
        #expect(throws: RecordError.badSignature) {
            try Record.verified(id: record.id, canonical: record.canonical, signature: signature)
        }
    }

    @Test("a record claiming another node's id as origin is refused")
    func forgedOrigin() throws {
        let record = try report()
        guard case .object(var members) = record.content else { return }
        members["origin"] = .string(NodeKey().nodeID)
        let forged = JSONValue.object(members).canonicalData
        let id = ByteText.sha256Hex(forged)
        #expect(throws: RecordError.malformed("origin does not match origin_key")) {
            try Record.verified(id: id, canonical: forged, signature: self.key.sign(forged))
        }
    }

    @Test("non-canonical content is refused even when it hashes and verifies")
    func nonCanonical() throws {
        let record = try report()
        let spaced = Data(String(decoding: record.canonical, as: UTF8.self).replacingOccurrences(of: ",", with: ", ").utf8)
        #expect(throws: RecordError.malformed("content is not in canonical form")) {
            try Record.verified(id: ByteText.sha256Hex(spaced), canonical: spaced, signature: self.key.sign(spaced))
        }
    }

    @Test("a node key survives its seed, and node ids are 32 base32 characters")
    func keys() throws {
        let restored = try NodeKey(seed: key.seed)
        #expect(restored.nodeID == key.nodeID)
        #expect(NodeID.isWellFormed(key.nodeID))
        #expect(!NodeID.isWellFormed("not-a-node"))
        #expect(throws: NodeKeyError.self) { try NodeKey(seed: Data([1, 2, 3])) }
    }

    @Test("a RED label never relays; GREEN relays by default; AMBER does not")
    func labels() {
        #expect(!SharingLabel(tlp: .red, relay: true).relay)
        #expect(SharingLabel(tlp: .green).relay)
        #expect(!SharingLabel(tlp: .amber).relay)
        #expect(TLPLevel(lenient: "TLP:AMBER+STRICT") == .amberStrict)
        #expect(TLPLevel(lenient: "white") == .clear)
        let label = SharingLabel(tlp: .amber, audience: Audience(communities: ["asean-scams"], jurisdictions: ["TH", "MY"]))
        #expect(SharingLabel(json: label.json) == label)
    }
}

@Suite("Report and indicator input")
struct RecordInputTests {
    func issues(_ json: String, indicator: Bool = false) -> [FieldIssue] {
        guard let value = try? JSONValue.parse(Data(json.utf8)) else { return [] }
        do {
            if indicator {
                _ = try RecordInput.indicator(value, nodeJurisdiction: "TH")
            } else {
                _ = try RecordInput.report(value, nodeJurisdiction: "TH")
            }
            return []
        } catch {
            return error.issues
        }
    }

    @Test("every bad field of a report is named by its JSON pointer")
    func reportPointers() {
        let found = issues(
            #"{"typology":"crypto","jurisdiction":"XX","loss":{"amount":"12.345","currency":"USD"},"victims":-1,"identifiers":[{"kind":"phone","value":"+66 81 234 5678"},{"kind":"fax","value":"1"},{"kind":"email","value":"a@"}],"tlp":"purple","colour":"red"}"#
        ).map(\.pointer)
        #expect(
            Set(found) == [
                "/typology", "/jurisdiction", "/loss/amount", "/victims", "/identifiers/1/kind", "/identifiers/2/value", "/tlp",
                "/colour",
            ]
        )
    }

    @Test("an indicator's bad fields are named too, and good ones pass")
    func indicatorPointers() {
        #expect(
            issues(#"{"kind":"phone","value":"081 234 5678","typology":"job","confidence":80,"tlp":"green"}"#, indicator: true)
                .isEmpty
        )
        #expect(
            issues(
                #"{"kind":"phone","value":"081","typology":"job","confidence":101,"first_seen":"2026-13-01"}"#,
                indicator: true
            )
            .map(\.pointer) == ["/value", "/confidence", "/first_seen"]
        )
        #expect(
            issues(#"{"kind":"phone","value":"0812345678","typology":"job","tlp":"red","relay":true}"#, indicator: true).map(
                \.pointer
            ) == ["/relay"]
        )
        #expect(issues(#"[1,2]"#, indicator: true).map(\.pointer) == [""])
    }

    @Test("amounts keep the currency's decimals; too many decimals are refused")
    func money() {
        #expect(Money.parse(amount: .string("1389.5"), currency: "SGD")?.decimalText == "1389.50")
        #expect(Money.parse(amount: .integer(5000), currency: "JPY")?.decimalText == "5000")
        #expect(Money.parse(amount: .string("1.5"), currency: "JPY") == nil)
        #expect(Money.parse(amount: .string("0.125"), currency: "KWD")?.decimalText == "0.125")
        #expect(Money.parse(amount: .double(-3), currency: "USD") == nil)
        #expect(Money.parse(amount: .string("1,000"), currency: "USD") == nil)
    }

    @Test("timestamps read dates, offsets and fractions, and print in UTC")
    func timestamps() throws {
        #expect(Timestamp(rfc3339: "2026-11-20")?.rfc3339 == "2026-11-20T00:00:00.000Z")
        #expect(Timestamp(rfc3339: "2026-11-20T07:30:00+07:00")?.rfc3339 == "2026-11-20T00:30:00.000Z")
        #expect(Timestamp(rfc3339: "2024-02-29T23:59:59.1234Z")?.rfc3339 == "2024-02-29T23:59:59.123Z")
        #expect(Timestamp(rfc3339: "1969-12-31T23:59:59.500Z")?.milliseconds == -500)
        #expect(Timestamp(rfc3339: "2023-02-29") == nil)
        #expect(Timestamp(rfc3339: "2026-11-20T25:00Z") == nil)
        #expect(Timestamp(rfc3339: "20 Nov 2026") == nil)
    }
}

@Suite("Check index")
struct CheckIndexTests {
    func item(
        _ kind: IdentifierKind,
        _ value: String,
        typology: Typology = .investment,
        jurisdiction: String = "TH",
        report: Bool = true
    )
        -> IndexedIdentifier
    {
        IndexedIdentifier(
            identifier: Identifier(kind: kind, canonical: value),
            role: nil,
            typology: typology,
            jurisdiction: jurisdiction,
            confidence: report ? nil : 75,
            firstSeen: Timestamp(milliseconds: 1_700_000_000_000),
            lastSeen: Timestamp(milliseconds: 1_750_000_000_000),
            isReport: report
        )
    }

    @Test("a check sums what every record says of an identifier")
    func aggregates() {
        let index = CheckIndex()
        index.add(item(.phone, "+66812345678"))
        index.add(item(.phone, "+66812345678", typology: .job, jurisdiction: "MY", report: false))
        let result = index.check(Identifier(kind: .phone, canonical: "+66812345678"))
        #expect(result.flagged && result.reports == 1 && result.indicators == 1)
        #expect(result.jurisdictions == ["MY", "TH"])
        #expect(result.typologies == [.investment, .job])
        #expect(result.highestConfidence == 75)
        #expect(result.firstSeen?.milliseconds == 1_700_000_000_000)
        #expect(!index.check(Identifier(kind: .phone, canonical: "+66812345679")).flagged)
        #expect(!index.check(Identifier(kind: .email, canonical: "+66812345678")).flagged)
    }

    @Test("a page on a reported site, or a subdomain of it, is answered by the site's entry")
    func fallbacks() {
        let index = CheckIndex()
        index.add(item(.domain, "scam-shop.com"))
        let page = index.check(Identifier(kind: .url, canonical: "https://scam-shop.com/pay?id=7"))
        #expect(page.flagged && page.matched == Identifier(kind: .domain, canonical: "scam-shop.com"))
        let sub = index.check(Identifier(kind: .domain, canonical: "login.scam-shop.com"))
        #expect(sub.flagged && sub.matched?.canonical == "scam-shop.com")
        // A site on shared hosting is its own registrable domain: a flagged neighbour says nothing of it.
        index.add(item(.domain, "evil.github.io"))
        #expect(!index.check(Identifier(kind: .domain, canonical: "good.github.io")).flagged)
    }
}
