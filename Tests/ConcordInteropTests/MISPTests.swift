import ConcordCore
import ConcordInterop
import Foundation
import Testing

@Suite("MISP mapping")
struct MISPTests {
    let key = NodeKey()
    let organisation = MISPFeedWriter.Organisation(name: "Thai centre", nodeID: "x")

    @Test("distribution levels and TLP tags map both ways")
    func labels() {
        #expect(MISPMapping.tlp(distribution: 0) == .red)
        #expect(MISPMapping.tlp(distribution: 1) == .amber)
        #expect(MISPMapping.tlp(distribution: 3) == .green)
        #expect(MISPMapping.tlp(distribution: 5) == nil)
        for level in TLPLevel.allCases {
            #expect(MISPMapping.tlp(distribution: MISPMapping.distribution(level)).map { $0 >= level } == true)
        }
    }

    @Test("an event: detection attributes become indicators; victims' details, deleted and unknown types are skipped")
    func readEvent() throws {
        let event: JSONValue = [
            "Event": [
                "uuid": "5e0c5f31-1f43-4b71-9a37-6b1a7e2b8f11", "info": "Loan app fraud", "distribution": "1",
                "Tag": [["name": "tlp:amber"], ["name": "scam:type=\"loan\""]],
                "Attribute": [
                    ["uuid": "a1", "type": "phone-number", "value": "+66 81 234 5678", "to_ids": true],
                    ["uuid": "a2", "type": "phone-number", "value": "+66899999999", "to_ids": false],
                    ["uuid": "a3", "type": "url", "value": "https://loan.example/", "to_ids": "1", "Tag": [["name": "tlp:red"]]],
                    ["uuid": "a4", "type": "md5", "value": "d41d8cd98f00b204e9800998ecf8427e", "to_ids": true],
                    ["uuid": "a5", "type": "domain", "value": "loan.example", "to_ids": true, "deleted": true],
                    ["uuid": "a6", "type": "domain", "value": "loan-help.example", "to_ids": true, "distribution": "0"],
                ],
                "Object": [
                    [
                        "name": "bank-account",
                        "Attribute": [["uuid": "o1", "type": "iban", "value": "GB82 WEST 1234 5698 7654 32"]],
                    ]
                ],
            ]
        ]
        let outcome = MISPMapping.read(event: event, options: .init(jurisdiction: "TH"))
        #expect(outcome.uuid == "5e0c5f31-1f43-4b71-9a37-6b1a7e2b8f11")
        let drafts = try outcome.indicators.map { try RecordInput.indicator($0, nodeJurisdiction: "TH") }
        #expect(
            drafts.map { $0.body["identifier"]?["value"] } == [
                "+66812345678", "https://loan.example/", "loan-help.example", "GB82WEST12345698765432",
            ]
        )
        #expect(drafts.map(\.label.tlp) == [.amber, .red, .red, .amber])
        #expect(drafts.allSatisfy { $0.body["typology"] == "loan" })
        #expect(drafts[0].body["external"]?["id"] == "a1")
        #expect(outcome.skipped.map(\.attribute) == ["a2", "a4", "a5"])
        let assigned = MISPMapping.read(event: event, options: .init(jurisdiction: "TH", assignedTLP: .green))
        #expect(assigned.indicators.allSatisfy { $0["tlp"] == "green" })
        #expect(MISPMapping.read(event: ["x": 1], options: .init(jurisdiction: "TH")).rejected != nil)
    }

    @Test("records written as events read back as the same identifiers, typology, label, loss and narrative")
    func roundTrip() throws {
        let report = try RecordInput.report(
            [
                "typology": "investment", "narrative": "A fake broker on a chat app.", "occurred_at": "2026-04-02T00:00:00Z",
                "loss": ["amount": "125000", "currency": "THB"], "victims": 2, "tlp": "amber+strict",
                "identifiers": [
                    ["kind": "phone", "value": "+66812345678", "role": "contact"],
                    ["kind": "bank_account", "value": "TH:004:1234567890", "role": "payment"],
                    ["kind": "wallet", "value": "0x52908400098527886E0F7030069857D2E4169EE7"],
                    ["kind": "handle", "value": "telegram:@fastmoney_th"],
                ],
            ],
            nodeJurisdiction: "TH"
        ).sign(with: key)
        let event = try #require(MISPFeedWriter.event(for: report, organisation: organisation))
        #expect(event["Event"]?["distribution"] == "0")
        #expect(MISPFeedWriter.manifestEntry(event)?.uuid == MISPFeedWriter.eventUUID(of: report))
        #expect(MISPFeedWriter.hashLines(event).count == 5)
        let outcome = MISPMapping.read(event: event, options: .init(jurisdiction: "MY"))
        let input = try #require(outcome.report)
        let draft = try RecordInput.report(input, nodeJurisdiction: "MY")
        #expect(draft.body["identifiers"] == report.body["identifiers"])
        #expect(draft.body["typology"] == "investment")
        #expect(draft.body["jurisdiction"] == "TH")
        #expect(draft.body["loss"] == report.body["loss"])
        #expect(draft.body["victims"] == 2)
        #expect(draft.body["narrative"] == "A fake broker on a chat app.")
        #expect(draft.label.tlp == .amberStrict)

        let indicator = try RecordInput.indicator(
            ["kind": "wallet", "value": "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "typology": "extortion", "tlp": "green"],
            nodeJurisdiction: "TH"
        ).sign(with: key)
        let single = try #require(MISPFeedWriter.event(for: indicator, organisation: organisation))
        #expect(single["Event"]?["Attribute"]?.arrayValue?.first?["type"] == "btc")
        let back = MISPMapping.read(event: single, options: .init(jurisdiction: "TH")).indicators
        #expect(
            try back.map { try RecordInput.indicator($0, nodeJurisdiction: "TH").body["identifier"] } == [
                indicator.body["identifier"]
            ]
        )
    }
}
