import Foundation
import Testing

@testable import ConcordCore

/// A peer's signed record is read as API input before it is stored.
@Suite("Record admission")
struct RecordAdmissionTests {
    let key = NodeKey()
    let green = SharingLabel(tlp: .green, audience: Audience(), relay: true)

    /// A record signed by `key` with any body at all, as a hostile peer would write it.
    func crafted(_ kind: RecordKind = .report, body: JSONValue, label: SharingLabel? = nil) -> Record {
        Record.make(kind: kind, body: body, label: label ?? green, key: key)
    }

    /// A report body as this node writes it, changed by `change`.
    func reportBody(_ change: (inout [String: JSONValue]) -> Void = { _ in }) -> JSONValue {
        var body: [String: JSONValue] = [
            "typology": "investment", "jurisdiction": "TH", "victims": .integer(1),
            "identifiers": .array([.object(["kind": "phone", "value": "+66812345678", "role": "contact"])]),
        ]
        change(&body)
        return .object(body)
    }

    func refusal(_ record: Record) -> InputError? {
        do {
            try RecordAdmission.check(record)
            return nil
        } catch {
            if case .invalid(let input) = error { return input }
            Issue.record("refused with \(error), not as invalid content")
            return nil
        }
    }

    @Test("what this node writes through the API is admitted, for every identifier kind and record kind")
    func ownRecordsAdmitted() throws {
        let identifiers: [String] = [
            #"{"kind":"phone","value":"081 234 5678"}"#,
            #"{"kind":"phone","value":"+44 20 7946 0958"}"#,
            #"{"kind":"bank_account","value":"123-4-56789-0","bank":"004"}"#,
            #"{"kind":"bank_account","value":"GB82 WEST 1234 5698 7654 32"}"#,
            #"{"kind":"url","value":"HTTPS://Invest-Thai.example.COM/login?a=1#x"}"#,
            #"{"kind":"url","value":"http://bücher.example/ä"}"#,
            #"{"kind":"domain","value":"WWW.Bücher.Example."}"#,
            #"{"kind":"email","value":"Scam.Desk@Example.COM"}"#,
            #"{"kind":"ip","value":"2001:DB8::1"}"#,
            #"{"kind":"ip","value":"192.0.2.7"}"#,
            #"{"kind":"wallet","value":"0x52908400098527886E0F7030069857D2E4169EE7","chain":"ethereum"}"#,
            #"{"kind":"wallet","value":"bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"}"#,
            #"{"kind":"handle","value":"@Crypto_Guru","platform":"telegram"}"#,
        ]
        let input = try JSONValue.parse(
            Array(
                #"{"typology":"investment","occurred_at":"2026-11-20","loss":{"amount":125000.5,"currency":"THB"},"narrative":"x","victims":2,"identifiers":[\#(identifiers.joined(separator: ","))],"tlp":"amber","audience":{"jurisdictions":["th","MY"]}}"#
                    .utf8
            )
        )
        let report = try RecordInput.report(input, nodeJurisdiction: "TH").sign(with: key)
        #expect(refusal(report) == nil)
        let indicator = try RecordInput.indicator(
            try JSONValue.parse(
                Array(
                    #"{"kind":"url","value":"https://Pay-Now.example/x","typology":"phishing","valid_until":"2027-01-01"}"#.utf8
                )
            ),
            nodeJurisdiction: "MY"
        ).sign(with: key)
        #expect(refusal(indicator) == nil)
        let community = try RecordInput.community(
            try JSONValue.parse(Array(#"{"name":"asean-scams","title":"ASEAN","members":["\#(NodeKey().nodeID)"]}"#.utf8)),
            steward: key.nodeID
        ).sign(with: key)
        #expect(refusal(community) == nil)
        let retraction = try RecordInput.retraction(of: report, reason: "filed twice").sign(with: key)
        #expect(refusal(retraction) == nil)
    }

    @Test("two thousand synthetic reports in every locale are admitted as written")
    func syntheticAdmitted() throws {
        var generator = SyntheticReports(seed: 7)
        for _ in 0..<2000 {
            let report = generator.next()
            let record = try RecordInput.report(report, nodeJurisdiction: report["jurisdiction"]?.stringValue ?? "TH")
                .sign(with: key)
            let refused = refusal(record)
            #expect(refused == nil, "\(refused?.summary ?? "")")
        }
    }

    @Test("a loss far past any real amount is refused, by the API and from a peer, without trapping")
    func hugeAmounts() throws {
        #expect(Money.parse(amount: .double(1e11), currency: "BTC") == nil)
        #expect(Money.parse(amount: .double(9.9e14), currency: "ETH") == nil)
        #expect(Money.parse(amount: .string("999999999999999.99999999"), currency: "BTC") == nil)
        #expect(Money.parse(amount: .double(1e9), currency: "BTC")?.minorUnits == 100_000_000_000_000_000)
        let input = try JSONValue.parse(
            Array(
                #"{"typology":"investment","loss":{"amount":1e11,"currency":"BTC"},"identifiers":[{"kind":"phone","value":"0812345678"}]}"#
                    .utf8
            )
        )
        #expect(throws: InputError.self) { try RecordInput.report(input, nodeJurisdiction: "TH") }
        let record = crafted(body: reportBody { $0["loss"] = .object(["amount": "100000000000.00000000", "currency": "BTC"]) })
        #expect(refusal(record)?.issues.first?.pointer == "/body/loss/amount")
    }

    @Test("a 70 KB identifier, a NUL byte, an unknown member or a non-canonical value is refused, naming the field")
    func craftedBodies() throws {
        let long = String(repeating: "a", count: 70_000) + ".example"
        let huge = crafted(
            body: reportBody {
                $0["identifiers"] = .array([.object(["kind": "domain", "value": .string(long), "role": "website"])])
            }
        )
        #expect(refusal(huge)?.issues.first?.pointer == "/body/identifiers/0/value")

        let nul = crafted(body: reportBody { $0["narrative"] = "call me\u{0}now" })
        #expect(refusal(nul)?.issues.first?.pointer == "/body/narrative")
        let nulIdentifier = crafted(
            body: reportBody {
                $0["identifiers"] = .array([.object(["kind": "domain", "value": "a\u{0}.example", "role": "website"])])
            }
        )
        #expect(refusal(nulIdentifier)?.issues.first?.pointer == "/body/identifiers/0/value")

        let unknown = crafted(body: reportBody { $0["payload"] = "x" })
        #expect(refusal(unknown)?.issues.first?.pointer == "/body/payload")

        let national = crafted(
            body: reportBody {
                $0["identifiers"] = .array([.object(["kind": "phone", "value": "081 234 5678", "role": "contact"])])
            }
        )
        #expect(refusal(national)?.issues.first?.pointer == "/body/identifiers/0/value")

        let tooMany = crafted(
            body: reportBody { body in
                body["identifiers"] = .array(
                    (0..<1001).map { .object(["kind": "phone", "value": .string("+6681\(1_000_000 + $0)"), "role": "contact"]) }
                )
            }
        )
        #expect(refusal(tooMany)?.issues.first?.pointer == "/body/identifiers")

        let country = crafted(body: reportBody { $0["jurisdiction"] = "XX" })
        #expect(refusal(country)?.issues.first?.pointer == "/body/jurisdiction")

        let oversized = crafted(body: reportBody { $0["narrative"] = .string(String(repeating: "n", count: 1_100_000)) })
        #expect(refusal(oversized)?.issues.first?.pointer == "")
    }

    @Test("a record whose content carries a member outside the format is refused, naming it")
    func extraContentMember() throws {
        let made = crafted(body: reportBody())
        guard case .object(var members) = made.content else { throw RecordError.malformed("not an object") }
        members["padding"] = .string(String(repeating: "p", count: 900_000))
        let content = JSONValue.object(members)
        let canonical = content.canonicalData
        let padded = try Record.verified(
            id: ByteText.sha256Hex(canonical),
            canonical: canonical,
            signature: key.sign(canonical)
        )
        #expect(refusal(padded)?.issues.first?.pointer == "/padding")
        #expect(refusal(made) == nil)
    }

    @Test("labels, indicators, communities and retractions from peers get the API's checks too")
    func otherKinds() throws {
        let badAudience = SharingLabel(
            tlp: .amber,
            audience: Audience(nodes: ["not-a-node"], communities: [], jurisdictions: ["ZZZ"]),
            relay: false
        )
        #expect(refusal(crafted(body: reportBody(), label: badAudience))?.issues.first?.pointer == "/label/audience/nodes/0")
        // A RED label saying it may be relayed: the label type would never write that, so the content is made by hand.
        let red = crafted(body: reportBody(), label: SharingLabel(tlp: .red, audience: Audience(nodes: [NodeKey().nodeID])))
        guard case .object(var content) = red.content, case .object(var label) = content["label"] else {
            Issue.record("a record's content is an object with a label")
            return
        }
        label["relay"] = .bool(true)
        content["label"] = .object(label)
        let redRelay = try Record.verified(
            id: ByteText.sha256Hex(JSONValue.object(content).canonicalData),
            content: .object(content),
            signature: key.sign(JSONValue.object(content).canonicalData)
        )
        #expect(refusal(redRelay)?.issues.first?.pointer == "/label/relay")

        let indicator = crafted(
            .indicator,
            body: .object([
                "identifier": .object(["kind": "phone", "value": "+66812345678"]), "jurisdiction": "TH", "typology": "phishing",
                "confidence": .integer(500),
            ])
        )
        #expect(refusal(indicator)?.issues.first?.pointer == "/body/confidence")
        let nested = crafted(
            .indicator,
            body: .object(["identifier": .object(["kind": "phone", "value": "+66812345678", "x": "y"]), "jurisdiction": "TH"])
        )
        #expect(refusal(nested)?.issues.first?.pointer == "/body/identifier")

        let community = crafted(.community, body: .object(["name": "Bad Name!", "members": .array([])]))
        #expect(refusal(community)?.issues.first?.pointer == "/body/name")

        let retraction = crafted(.retraction, body: .object(["record": "not-an-id", "reason": "x"]))
        #expect(refusal(retraction)?.issues.first?.pointer == "/body/record")
    }

    @Test("host names and punycode labels past their limits are refused before any IDNA work")
    func longHosts() throws {
        let label = "xn--" + String(repeating: "a", count: 600_000)
        let started = ContinuousClock.now
        #expect(throws: IdentifierError.self) { try HostName.normalize(label + ".example") }
        #expect(throws: IdentifierError.self) { try HostName.normalize(String(repeating: "ü", count: 100_000) + ".example") }
        #expect(throws: IdentifierError.self) { try HostName.normalize("ab." + String(repeating: "ü", count: 60) + ".example") }
        #expect(Punycode.decode(String(repeating: "a", count: 600_000)) == nil)
        #expect(Punycode.encode(String(repeating: "ü", count: 600_000)) == nil)
        // What a person can type is unchanged: a 59-letter Unicode label still encodes.
        #expect(try HostName.normalize(String(repeating: "ü", count: 20) + ".example").hasPrefix("xn--"))
        #expect(HostName.unicodeDisplay(label + ".example") == label + ".example")
        #expect(ContinuousClock.now - started < .seconds(1))
    }

    @Test("an identifier key longer than the index can hold is skipped, not a crash")
    func oversizedIndexKey() {
        let index = CheckIndex()
        let long = Identifier(kind: .domain, canonical: String(repeating: "a", count: 70_000) + ".example")
        let now = Timestamp.now()
        index.add(
            IndexedIdentifier(
                identifier: long,
                role: .website,
                typology: .phishing,
                jurisdiction: "TH",
                confidence: nil,
                firstSeen: now,
                lastSeen: now,
                isReport: true
            )
        )
        #expect(!index.isFlagged(long))
        let normal = Identifier(kind: .domain, canonical: "scam.example")
        index.add(
            IndexedIdentifier(
                identifier: normal,
                role: .website,
                typology: .phishing,
                jurisdiction: "TH",
                confidence: nil,
                firstSeen: now,
                lastSeen: now,
                isReport: true
            )
        )
        #expect(index.isFlagged(normal))
    }
}

/// String literals as JSON strings, for writing crafted bodies in these tests.
extension JSONValue: ExpressibleByStringLiteral {
    init(stringLiteral value: String) {
        self = .string(value)
    }
}
