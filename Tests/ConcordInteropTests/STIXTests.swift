import ConcordAnalysis
import ConcordCore
import ConcordInterop
import Foundation
import Testing

@Suite("STIX 2.1 mapping")
struct STIXTests {
    let key = NodeKey()

    @Test("observable ids are the UUIDv5 that the OASIS stix2 library derives from the same value")
    func observableIDs() {
        // Reference values printed by Python stix2 3.0.2 (stix2.DomainName(value=...).id and so on).
        #expect(STIXID.observable("domain-name", ["value": "example.com"]) == "domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7")
        #expect(
            STIXID.observable("url", ["value": "https://scam-shop.example/pay?x=1"])
                == "url--ddc05083-9f7b-5cbd-9ed5-3d4035a3876a"
        )
        #expect(STIXID.observable("ipv4-addr", ["value": "203.0.113.7"]) == "ipv4-addr--9ddd739e-87b1-587d-83f2-62ef1130af2f")
        let handle = STIXVocabulary.observable(Identifier(kind: .handle, canonical: "telegram:fastmoney_th"))
        #expect(handle["id"] == "user-account--4daf72e8-e6db-5156-8e95-ee14b96a5b44")
    }

    @Test("object ids are stable, version 4 in form, and differ by name and type")
    func objectIDs() throws {
        let a = STIXID.object("indicator", named: "abc")
        #expect(a == STIXID.object("indicator", named: "abc"))
        #expect(a != STIXID.object("indicator", named: "abd"))
        #expect(STIXID.isWellFormed(a))
        let uuid = try #require(UUID(uuidString: String(a.dropFirst("indicator--".count))))
        #expect(uuid.uuidString.lowercased().dropFirst(14).first == "4")
        #expect(!STIXID.isWellFormed("indicator-abc"))
        #expect(!STIXID.isWellFormed("Indicator--" + uuid.uuidString))
    }

    // MARK: Splitting

    static let bundle = Array(
        """
        {"type": "bundle", "id": "bundle--1", "note": {"objects": [1, 2]},
         "objects": [ {"type": "url", "value": "a]}\\"{"}, 7, "text, with comma", [1, [2]],
           {"nested": {"deep": [{"x": "}"}]}} ],
         "after": true}
        """.utf8
    )

    @Test("a bundle splits into the same elements however its bytes are cut")
    func splitsAtEveryCut() throws {
        var whole = STIXBundleSplitter()
        let expected = try whole.feed(Self.bundle)
        try whole.finish()
        #expect(expected.count == 5)
        #expect(expected[0] == .bytes(Array(#"{"type": "url", "value": "a]}\"{"}"#.utf8)))
        #expect(expected[1] == .bytes(Array("7".utf8)))
        #expect(expected[2] == .bytes(Array(#""text, with comma""#.utf8)))
        for cut in 1..<Self.bundle.count {
            var s = STIXBundleSplitter()
            let got = try s.feed(Self.bundle[..<cut]) + s.feed(Self.bundle[cut...])
            try s.finish()
            #expect(got == expected, "cut at \(cut)")
        }
    }

    @Test("the splitter notes each object's own type and id, and says when it cannot be sure")
    func noting() throws {
        let text = #"""
            {"objects": [{"id": "url--1", "value": {"type": "x", "id": "inner"}, "type": "url"},
             {"type": "re\u0070ort", "id": "report--2"}, {"type": "a", "type": "b"}, 5]}
            """#
        for cut in 1..<text.utf8.count {
            var s = STIXBundleSplitter()
            let bytes = Array(text.utf8)
            let noted = try s.feedNoting(bytes[..<cut]) + s.feedNoting(bytes[cut...])
            #expect(noted.map(\.type) == ["url", nil, "b", nil], "cut at \(cut)")
            #expect(noted.map(\.id) == ["url--1", "report--2", nil, nil], "cut at \(cut)")
            #expect(noted.map(\.certain) == [true, false, false, false], "cut at \(cut)")
        }
    }

    @Test("broken bundles are refused with the reason; oversized objects are measured, not kept")
    func splitterFailures() throws {
        for (text, reason) in [
            ("[1]", "a bundle is a JSON object"),
            (#"{"objects": [{"a": 1}"#, "the bundle ends before its closing brace"),
            (#"{"type": "bundle"}"#, "the bundle has no objects array"),
            (#"{"objects": {}}"#, "objects is not an array"),
            (#"{"objects": []} x"#, "there is more after the bundle's closing brace"),
        ] {
            var s = STIXBundleSplitter()
            #expect(throws: STIXBundleSplitter.Failure(detail: reason)) {
                _ = try s.feed(Array(text.utf8))
                try s.finish()
            }
        }
        var small = STIXBundleSplitter(maximumElementBytes: 10)
        let got = try small.feed(Array(#"{"objects": [{"a": "0123456789"}, {"b": 1}]}"#.utf8))
        #expect(got == [.oversized(19), .bytes(Array(#"{"b": 1}"#.utf8))])
    }

    // MARK: Patterns

    @Test("patterns: equality comparisons become alternatives; what says more is refused with the reason")
    func patterns() throws {
        let one = try STIXPattern("[url:value = 'http://x.example/']")
        #expect(one.alternatives.count == 1)
        let escaped = try STIXPattern(#"[url:value = 'http://x.example/it\'s']"#)
        #expect(escaped.alternatives[0][0].value == "http://x.example/it's")
        let or = try STIXPattern(
            "[phone-number:value = '+66812345678' OR phone-number:value = '+60123456789'] OR [domain-name:value = 'a.example']"
        )
        #expect(or.alternatives.map { $0.map(\.value) } == [["+66812345678"], ["+60123456789"], ["a.example"]])
        let and = try STIXPattern(
            "[user-account:account_login = 'x' AND user-account:account_type = 'telegram'] WITHIN 600 SECONDS"
        )
        #expect(and.alternatives.count == 1 && and.alternatives[0].count == 2)
        let hashes = try STIXPattern("[file:hashes.'SHA-256' = 'ab']")
        #expect(hashes.alternatives[0][0].property == "hashes.'SHA-256'")
        for (text, fragment) in [
            ("[ipv4-addr:value ISSUBSET '198.51.100.0/24']", "only = comparisons"),
            ("[url:value = 'a'] AND [url:value = 'b']", "joined by AND"),
            ("[url:value = 'a' AND url:value = 'b' OR url:value = 'c']", "mixes AND and OR"),
            ("[url:value = 'a'", "not closed"),
            ("[file:size = 5]", "other than a string"),
            ("", "no observation"),
        ] {
            #expect {
                _ = try STIXPattern(text)
            } throws: { error in
                (error as? STIXPattern.Failure)?.detail.contains(fragment) == true
            }
        }
    }

    // MARK: Export and import

    func records() throws -> [Record] {
        let indicator = try RecordInput.indicator(
            [
                "kind": "phone", "value": "+66 81 234 5678", "typology": "investment", "confidence": .integer(90),
                "tlp": "green", "first_seen": "2026-03-01T00:00:00Z",
            ],
            nodeJurisdiction: "TH"
        )
        let handle = try RecordInput.indicator(
            ["kind": "handle", "value": "telegram:@FastMoney_TH", "typology": "job", "tlp": "amber+strict"],
            nodeJurisdiction: "TH"
        )
        let report = try RecordInput.report(
            [
                "typology": "investment", "narrative": "Lost savings to a fake trading app.",
                "occurred_at": "2026-04-02T10:00:00Z",
                "loss": ["amount": "125000", "currency": "THB"],
                "identifiers": [
                    ["kind": "phone", "value": "+66812345678", "role": "contact"],
                    ["kind": "bank_account", "value": "TH:004:1234567890", "role": "payment"],
                    ["kind": "url", "value": "https://trade-app.example/login"],
                ],
                "tlp": "amber",
            ],
            nodeJurisdiction: "TH"
        )
        return [indicator, handle, report].map { $0.sign(with: key) }
    }

    func exported(_ records: [Record], withdrawn: Set<String> = [], campaigns: [Campaign] = []) -> [JSONValue] {
        var exporter = STIXExporter(exporter: key.nodeID, names: [key.nodeID: "Thai centre"], campaigns: campaigns)
        var out = exporter.preamble()
        for record in records {
            let retraction = withdrawn.contains(record.id) ? STIXExporter.Retraction(created: .now(), reason: "wrong") : nil
            out += exporter.objects(for: record, retraction: retraction)
        }
        for campaign in campaigns { out += exporter.objects(for: campaign) }
        return out
    }

    @Test("export: each shared object once, patterns per kind, a sighting of the indicator the report names")
    func export() throws {
        let records = try records()
        let objects = exported(records)
        let ids = objects.compactMap { $0["id"]?.stringValue }
        #expect(Set(ids).count == ids.count, "no object twice")
        let types = objects.compactMap { $0["type"]?.stringValue }
        #expect(types.filter { $0 == "identity" }.count == 2)
        #expect(types.filter { $0 == "marking-definition" }.count == 3)
        #expect(types.filter { $0 == "indicator" }.count == 2)
        let patterns = objects.filter { $0["type"] == "indicator" }.compactMap { $0["pattern"]?.stringValue }
        #expect(
            patterns == [
                "[phone-number:value = '+66812345678']",
                "[user-account:account_login = 'fastmoney_th' AND user-account:account_type = 'telegram']",
            ]
        )
        let sighting = try #require(objects.first { $0["type"] == "sighting" })
        #expect(sighting["sighting_of_ref"]?.stringValue == STIXID.object("indicator", named: records[0].id))
        let report = try #require(objects.first { $0["type"] == "report" })
        #expect(report["object_refs"]?.arrayValue?.count == 3)
        #expect(report["object_marking_refs"] == [.string(STIXVocabulary.tlpMarkings[.amber] ?? "")])
        let bank = try #require(objects.first { $0["type"] == "bank-account" })
        #expect(bank["account_number"] == "1234567890")
        #expect(bank["extensions"]?[STIXVocabulary.openCTIObservableExtension]?["extension_type"] == "new-sco")
        // Exporting again gives the same objects: ids are derived, not drawn.
        #expect(exported(records) == objects)
    }

    @Test("a withdrawn record is exported revoked; a revoked indicator names what to withdraw on import")
    func revoked() throws {
        let records = try records()
        let objects = exported(records, withdrawn: [records[0].id])
        let indicator = try #require(objects.first { $0["type"] == "indicator" })
        #expect(indicator["revoked"] == .bool(true))
        #expect(
            STIXImporter(options: .init(jurisdiction: "MY")).map(indicator)
                == .revoked([["kind": "phone", "value": "+66812345678"]])
        )
        let report = try #require(objects.first { $0["type"] == "report" })
        #expect(
            STIXImporter(options: .init(jurisdiction: "MY")).map(report.adding("revoked", true))
                == .skipped("revoked by its producer")
        )
    }

    func imported(_ objects: [JSONValue], options: STIXImporter.Options) -> [STIXImporter.Outcome] {
        var importer = STIXImporter(options: options)
        for object in objects { importer.noteReferences(object) }
        for object in objects { importer.learn(object) }
        return objects.map { importer.map($0) }
    }

    @Test("round trip: what another node imports reads back as the same identifiers, typology, label and loss")
    func roundTrip() throws {
        let records = try records()
        let outcomes = imported(exported(records), options: .init(jurisdiction: "MY"))
        var indicators: [JSONValue] = []
        var reports: [JSONValue] = []
        for outcome in outcomes {
            switch outcome {
            case .indicators(let inputs): indicators += inputs
            case .report(let input): reports.append(input)
            case .rejected(let reason): Issue.record("rejected: \(reason)")
            case .skipped, .revoked: break
            }
        }
        #expect(indicators.count == 2)
        #expect(reports.count == 2, "the report, and the sighting of the phone indicator")
        let drafts = try indicators.map { try RecordInput.indicator($0, nodeJurisdiction: "MY") }
        #expect(drafts[0].body["identifier"] == records[0].body["identifier"])
        #expect(drafts[0].body["typology"] == "investment")
        #expect(drafts[0].body["jurisdiction"] == "TH")
        #expect(drafts[0].label.tlp == .green)
        #expect(drafts[1].body["identifier"] == records[1].body["identifier"])
        #expect(drafts[1].label.tlp == .amberStrict)
        let report = try RecordInput.report(reports[0], nodeJurisdiction: "MY")
        #expect(report.body["identifiers"] == records[2].body["identifiers"])
        #expect(report.body["loss"] == records[2].body["loss"])
        #expect(report.body["occurred_at"] == records[2].body["occurred_at"])
        #expect(report.label.tlp == .amber)
        #expect(report.body["external"]?["id"]?.stringValue == STIXID.object("report", named: records[2].id))
    }

    @Test("markings: TLP 2.0, TLP 1.0 and OpenCTI's ids, a bundle's own TLP marking, the most restrictive, the assigned level")
    func markings() throws {
        func level(_ refs: [String], extra: [JSONValue] = [], assigned: TLPLevel? = nil) throws -> TLPLevel {
            let indicator: JSONValue = [
                "type": "indicator", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                "pattern": "[domain-name:value = 'a.example']", "pattern_type": "stix",
                "object_marking_refs": .array(refs.map(JSONValue.string)),
            ]
            let outcomes = imported(
                extra + [indicator],
                options: .init(jurisdiction: "TH", defaultTLP: .amber, assignedTLP: assigned)
            )
            guard case .indicators(let inputs) = try #require(outcomes.last) else {
                throw STIXPattern.Failure(detail: "not imported")
            }
            return try RecordInput.indicator(inputs[0], nodeJurisdiction: "TH").label.tlp
        }
        #expect(try level([]) == .amber)
        #expect(try level(["marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"]) == .clear)
        #expect(try level(["marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"]) == .clear)
        #expect(
            try level([
                "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
                "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
            ]) == .red
        )
        let own: JSONValue = [
            "type": "marking-definition", "id": "marking-definition--0b2c5c3e-3c6a-4a1e-9d3e-5e9f7a6b1c2d",
            "definition_type": "tlp", "definition": ["tlp": "green"],
        ]
        #expect(try level(["marking-definition--0b2c5c3e-3c6a-4a1e-9d3e-5e9f7a6b1c2d"], extra: [own]) == .green)
        #expect(try level(["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"], assigned: .green) == .green)
    }

    @Test("foreign objects: OR patterns give one indicator each, custom properties are kept, the rest skipped with reasons")
    func foreign() throws {
        let objects: [JSONValue] = [
            [
                "type": "indicator", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                "pattern": "[domain-name:value = 'a.example' OR file:name = 'x.exe'] OR [email-addr:value = 'B@c.example']",
                "pattern_type": "stix", "labels": ["phishing"], "x_acme_score": .integer(7),
                "external_references": [["source_name": "acme", "url": "https://acme.example/1"]],
            ],
            ["type": "malware", "id": "malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "name": "x"],
            ["type": "url", "id": "url--8e2e2d2b-17d4-5cbf-938f-98ee46b3cd3f", "value": "http://a.example/"],
            ["type": "relationship", "id": "relationship--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"],
            ["type": "indicator", "id": "bad-id"],
            ["type": "indicator", "id": "indicator--9e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "pattern": "[file:name = 'x']"],
            [
                "type": "sighting", "id": "sighting--9e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                "sighting_of_ref": "indicator--0e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            ],
        ]
        let outcomes = imported(objects, options: .init(jurisdiction: "TH"))
        guard case .indicators(let inputs) = outcomes[0] else {
            Issue.record("not imported: \(outcomes[0])")
            return
        }
        #expect(inputs.count == 2)
        #expect(inputs.map { $0["kind"] } == ["domain", "email"])
        #expect(inputs[0]["typology"] == "phishing")
        let kept = inputs[0]["external"]?["properties"]
        #expect(kept?["x_acme_score"] == .integer(7))
        #expect(kept?["external_references"]?.arrayValue?.count == 1)
        #expect(kept?["pattern"] == nil, "what the record holds is not kept twice")
        guard case .skipped = outcomes[1], case .skipped = outcomes[2], case .skipped = outcomes[3] else {
            Issue.record("expected skips: \(outcomes[1...3])")
            return
        }
        #expect(outcomes[4] == .rejected("the object's id is missing or is not indicator--UUID"))
        guard case .rejected(let none) = outcomes[5], none.contains("names no kind of identifier") else {
            Issue.record("expected a rejection: \(outcomes[5])")
            return
        }
        guard case .rejected(let missing) = outcomes[6], missing.contains("not in the bundle") else {
            Issue.record("expected a rejection: \(outcomes[6])")
            return
        }
    }
}
