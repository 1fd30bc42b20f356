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

    @Test("the exercise, inject and report records written by their readers are admitted from peers")
    func exerciseAdmission() throws {
        let records = UntrustedInput.exerciseSeeds(key: NodeKey())
        #expect(records.map(\.kind) == [.exercise, .exerciseInject, .exerciseReport])
        for record in records {
            #expect(throws: Never.self) { try RecordAdmission.check(record) }
            #expect(record.exercise && record.indexedIdentifiers.isEmpty)
        }
        let exercise = try #require(records.first)
        #expect(
            exercise.label.tlp == .red && exercise.label.audience.nodes == [exercise.origin],
            "the scenario stays with its director"
        )
        // A scenario whose expected action names a role it does not have, signed by a peer: refused.
        var body = try #require(exercise.body.objectValue)
        var scenario = try #require(body["scenario"]?.objectValue)
        var expectations = try #require(scenario["expectations"]?.arrayValue)
        var first = try #require(expectations.first?.objectValue)
        first["role"] = "ghost"
        expectations[0] = .object(first)
        scenario["expectations"] = .array(expectations)
        body["scenario"] = .object(scenario)
        let tampered = Record.make(kind: .exercise, body: .object(body), label: exercise.label, exercise: true, key: NodeKey())
        #expect(throws: (any Error).self) { try RecordAdmission.check(tampered) }
        // A different end than start and speed give: refused.
        var late = try #require(exercise.body.objectValue)
        late["end"] = "2099-01-01T00:00:00.000Z"
        let moved = Record.make(kind: .exercise, body: .object(late), label: exercise.label, exercise: true, key: NodeKey())
        #expect(throws: (any Error).self) { try RecordAdmission.check(moved) }
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

    @Test("learning readers refuse null or empty required fields, so nothing is stored that peers would refuse")
    func learningReaders() {
        let key = NodeKey()
        let other = NodeKey().nodeID
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
        let base: [String: JSONValue] = [
            "framework": "f", "framework_version": "1", "organisation": "Unit", "region": "pacific", "languages": ["en"],
            "time_zone": "Pacific/Fiji",
        ]
        var nullStage = base
        nullStage["factors"] = [["factor": "x", "stage": .null]]
        #expect(pointer { try RecordInput.assessment(.object(nullStage), nodeJurisdiction: "FJ") } == "/factors/0/stage")
        var emptyVersion = base
        emptyVersion["framework_version"] = ""
        emptyVersion["factors"] = [["factor": "x", "stage": 2]]
        #expect(pointer { try RecordInput.assessment(.object(emptyVersion), nodeJurisdiction: "FJ") } == "/framework_version")
        var madeUpZone = base
        madeUpZone["time_zone"] = "Mars/Olympus_Mons"
        madeUpZone["factors"] = [["factor": "x", "stage": 2]]
        #expect(
            pointer { try RecordInput.assessment(.object(madeUpZone), nodeJurisdiction: "FJ") } == "/time_zone",
            "the API knows zones"
        )
        #expect(
            RecordInput.isTimeZoneName("Mars/Olympus_Mons") && !RecordInput.isTimeZoneName("../../dev/zero"),
            "a peer's only by shape"
        )
        #expect(
            pointer {
                try RecordInput.practice(
                    [
                        "title": "t", "kind": "playbook", "text": "x",
                        "attachments": [
                            [
                                "name": "", "media_type": "a/b", "sha256": .string(String(repeating: "a", count: 64)),
                                "size": .null,
                            ]
                        ],
                    ],
                    nodeJurisdiction: "TH"
                )
            } == "/attachments/0/name"
        )
        let exchange: [String: JSONValue] = [
            "title": "t", "format": "workshop", "participants": [.string(other), .string(NodeKey().nodeID)], "factors": ["x"],
            "start": "2027-01-01",
        ]
        #expect(
            pointer { try RecordInput.exchange(.object(exchange), writer: key.nodeID, nodeJurisdiction: "TH") }
                == "/participants",
            "only a participant plans"
        )
        var nullStart = exchange
        nullStart["participants"] = [.string(other), .string(key.nodeID)]
        nullStart["start"] = .null
        #expect(pointer { try RecordInput.exchange(.object(nullStart), writer: key.nodeID, nodeJurisdiction: "TH") } == "/start")
    }
}
