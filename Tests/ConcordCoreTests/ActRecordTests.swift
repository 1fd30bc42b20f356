import Testing

@testable import ConcordCore

@Suite("Dispute, decision and directory records")
struct ActRecordTests {
    @Test("each kind written by its reader is admitted as a peer's record; a tampered body is refused")
    func admission() throws {
        let records = UntrustedInput.actSeeds(key: NodeKey())
        #expect(records.map(\.kind) == [.actionRequest, .dispute, .disputeDecision, .directoryEntry])
        for record in records {
            #expect(throws: Never.self) { try RecordAdmission.check(record) }
            #expect(record.indexedIdentifiers.isEmpty, "\(record.kind) flags nothing")
        }
        let key = NodeKey()
        let dispute = try #require(records.first { $0.kind == .dispute })
        #expect(dispute.label.tlp == .red && !dispute.label.relay)
        // The same dispute body with an unknown member, signed by a peer: refused at admission.
        var body = try #require(dispute.body.objectValue)
        body["contact"] = "owner@example.org"
        let tampered = Record.make(kind: .dispute, body: .object(body), label: dispute.label, key: key)
        #expect(throws: (any Error).self) { try RecordAdmission.check(tampered) }
    }

    @Test("readers name the bad field")
    func readers() {
        let key = NodeKey()
        func pointer(_ body: () throws -> RecordDraft) -> String? {
            do {
                _ = try body()
                return nil
            } catch let error as InputError {
                return error.issues.first?.pointer
            } catch {
                return "unexpected"
            }
        }
        #expect(
            pointer {
                try RecordInput.dispute(
                    ["identifier": ["kind": "phone", "value": "0812345678"], "statement": " ", "to": [.string(key.nodeID)]],
                    filer: key.nodeID,
                    nodeJurisdiction: "TH"
                )
            } == "/statement"
        )
        #expect(
            pointer {
                try RecordInput.dispute(
                    ["identifier": ["kind": "phone", "value": "0812345678"], "statement": "mine", "to": ["nobody"]],
                    filer: key.nodeID,
                    nodeJurisdiction: "TH"
                )
            } == "/to/0"
        )
        #expect(
            pointer {
                try RecordInput.directoryEntry(
                    ["name": "Desk", "sector": "police", "languages": ["english"]],
                    writer: key.nodeID,
                    nodeJurisdiction: "TH"
                )
            } == "/languages/0"
        )
        #expect(
            pointer {
                try RecordInput.directoryEntry(
                    ["name": "Desk", "sector": "police", "expected_hours": 9000],
                    writer: key.nodeID,
                    nodeJurisdiction: "TH"
                )
            } == "/expected_hours"
        )
        let report = Record.make(
            kind: .report,
            body: [
                "identifiers": [
                    ["kind": "phone", "value": "+66812345678", "role": "contact"],
                    ["kind": "url", "value": "https://a.example/", "role": "website"],
                ]
            ],
            label: SharingLabel(tlp: .green),
            key: key
        )
        let rest = RecordInput.report(report, without: Identifier(kind: .phone, canonical: "+66812345678"))
        #expect(rest?.body["identifiers"]?.arrayValue?.count == 1)
        let withoutSite = RecordInput.report(report, without: Identifier(kind: .domain, canonical: "a.example"))
        #expect(withoutSite?.body["identifiers"]?.arrayValue?.first?["kind"] == "phone")
        let untouched = RecordInput.report(report, without: Identifier(kind: .domain, canonical: "b.example"))
        #expect(untouched?.body["identifiers"]?.arrayValue?.count == 2)
    }
}
