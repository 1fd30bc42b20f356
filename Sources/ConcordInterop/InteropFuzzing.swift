public import ConcordCore

/// The interoperability readers as a fuzz target: bytes read as a STIX bundle (split, parsed, mapped through
/// all three passes), as a STIX pattern, and as a MISP event, exactly as an import reads them.
public enum InteropFuzzing {
    /// Realistic starting inputs: a bundle with an indicator, a report and a sighting, a pattern, a MISP event.
    public static var seeds: [[UInt8]] {
        [
            #"""
            {"type":"bundle","id":"bundle--6a3b1c2d-0e4f-4a5b-8c7d-9e0f1a2b3c4d","objects":[
            {"type":"url","spec_version":"2.1","id":"url--6a3b1c2d-0e4f-5a5b-8c7d-9e0f1a2b3c4d","value":"http://a.example/"},
            {"type":"indicator","spec_version":"2.1","id":"indicator--6a3b1c2d-0e4f-4a5b-8c7d-9e0f1a2b3c4d",
             "pattern":"[url:value = 'http://a.example/' OR domain-name:value = 'a.example']","pattern_type":"stix",
             "labels":["phishing"],"object_marking_refs":["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]},
            {"type":"report","spec_version":"2.1","id":"report--6a3b1c2d-0e4f-4a5b-8c7d-9e0f1a2b3c4d",
             "object_refs":["url--6a3b1c2d-0e4f-5a5b-8c7d-9e0f1a2b3c4d"],"published":"2026-01-01T00:00:00Z","x_n":[1,{"a":null}]},
            {"type":"sighting","spec_version":"2.1","id":"sighting--6a3b1c2d-0e4f-4a5b-8c7d-9e0f1a2b3c4d",
             "sighting_of_ref":"indicator--6a3b1c2d-0e4f-4a5b-8c7d-9e0f1a2b3c4d"}]}
            """#,
            "[user-account:account_login = 'x\\'y' AND user-account:account_type = 'telegram'] WITHIN 60 SECONDS",
            #"""
            {"Event":{"uuid":"5e0c5f31-1f43-4b71-9a37-6b1a7e2b8f11","info":"x","distribution":"0","Tag":[{"name":"tlp:amber"},
             {"name":"concord:kind=\"report\""}],"Attribute":[{"type":"phone-number","value":"+66812345678","to_ids":true,
             "Tag":[{"name":"concord:role=\"contact\""}]},{"type":"text","comment":"narrative","value":"n"}],
             "Object":[{"name":"bank-account","Attribute":[{"type":"iban","value":"GB82WEST12345698765432"}]}]}}
            """#,
        ].map { Array($0.utf8) }
    }

    /// Reads `bytes` every way an import does; returns nothing, and must neither crash nor hang.
    public static func exercise(_ bytes: [UInt8]) {
        var importer = STIXImporter(options: .init(jurisdiction: "TH"))
        var objects: [JSONValue] = []
        var splitter = STIXBundleSplitter(maximumElementBytes: 1 << 16)
        let half = bytes.count / 2
        if let first = try? splitter.feed(bytes[..<half]), let second = try? splitter.feed(bytes[half...]) {
            for element in first + second {
                if case .bytes(let b) = element, let object = try? JSONValue.parse(b) { objects.append(object) }
            }
        }
        _ = try? splitter.finish()
        for object in objects { importer.noteReferences(object) }
        for object in objects { importer.learn(object) }
        for object in objects {
            switch importer.map(object) {
            case .indicators(let inputs): for input in inputs { _ = try? RecordInput.indicator(input, nodeJurisdiction: "TH") }
            case .report(let input): _ = try? RecordInput.report(input, nodeJurisdiction: "TH")
            case .skipped, .rejected, .revoked: break
            }
        }
        _ = try? STIXPattern(String(decoding: bytes, as: UTF8.self))
        if let json = try? JSONValue.parse(bytes) {
            let outcome = MISPMapping.read(event: json, options: .init(jurisdiction: "TH"))
            for input in outcome.indicators { _ = try? RecordInput.indicator(input, nodeJurisdiction: "TH") }
            if let report = outcome.report { _ = try? RecordInput.report(report, nodeJurisdiction: "TH") }
        }
    }
}
