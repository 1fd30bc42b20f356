import Foundation

/// The entry points where bytes from outside the node are first read, gathered so that fuzzers and the seeded
/// random-input tests drive exactly the code that peers and API clients reach. Each call must return (or throw)
/// for any input: a crash or a hang is a bug.
public enum UntrustedInput {
    /// A reader of untrusted bytes.
    public enum Target: String, CaseIterable, Sendable {
        /// The JSON parser every body and record goes through.
        case json
        /// A record as a peer sends it: parsed, signed by a test key (so that the content gets past the signature),
        /// verified and checked by admission.
        case record
        /// Every identifier normaliser: the first byte picks the kind, the rest is the value.
        case identifier
        /// The structured-field and signature-component parsing of a signed request's headers.
        case structuredField
        /// NDJSON lines: a feed page's lines and a streamed check's flat objects.
        case ndjson
    }

    /// The key records are signed with in the `record` target: fixed, so that runs repeat.
    private static let key: NodeKey = (try? NodeKey(seed: Data(repeating: 7, count: 32))) ?? NodeKey()

    /// Reads `bytes` as `target` does, discarding the outcome.
    public static func exercise(_ target: Target, _ bytes: [UInt8]) {
        switch target {
        case .json:
            if let value = try? JSONValue.parse(bytes) { _ = value.canonicalData }
        case .record:
            guard let content = try? JSONValue.parse(bytes), content.objectValue != nil else { return }
            let canonical = content.canonicalData
            let record = try? Record.verified(
                id: ByteText.sha256Hex(canonical),
                canonical: canonical,
                signature: key.sign(canonical)
            )
            if let record {
                try? RecordAdmission.check(record)
                _ = record.indexedIdentifiers
            }
        case .identifier:
            guard let first = bytes.first else { return }
            let kinds = IdentifierKind.allCases
            let kind = kinds[Int(first) % kinds.count]
            let value = String(decoding: bytes.dropFirst(), as: UTF8.self)
            let hints = NormalizationHints(
                region: ["TH", "MY", "GB", "KE", nil][Int(first / 8) % 5],
                chain: Int(first) % 3 == 0 ? "ethereum" : nil,
                platform: Int(first) % 5 == 0 ? "telegram" : nil,
                bank: Int(first) % 7 == 0 ? "004" : nil
            )
            if let identifier = try? Identifier.normalize(kind: kind, value: value, hints: hints) {
                _ = identifier.display
            }
        case .structuredField:
            // The first line is Signature-Input, the rest Signature, as a peer's request would carry them.
            let text = String(decoding: bytes, as: UTF8.self)
            let parts = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            _ = try? HTTPMessageSignature.verify(
                method: "GET",
                path: "/federation/v1/records",
                query: "after=0",
                contentDigest: nil,
                signatureInput: parts.first,
                signature: parts.count > 1 ? parts[1] : "",
                publicKeyFor: { _ in key.publicKey },
                now: .now()
            )
            _ = ContentDigest.verify(text, body: bytes)
        case .ndjson:
            for line in bytes.split(separator: UInt8(ascii: "\n")) {
                let line = Array(line)
                _ = try? RecordFeedLine.parse(line)
                _ = JSONValue.parseFlatStrings(line)
            }
        }
    }

    /// A request, its response, a dispute, its decision and a directory entry, as peers send them.
    static func actSeeds(key: NodeKey) -> [Record] {
        let other = NodeKey().nodeID
        let account: JSONValue = ["kind": "bank_account", "value": "GB82WEST12345698765432"]
        guard
            let request = try? RecordInput.actionRequest(
                [
                    "action": "freeze_account", "to": .string(other), "identifiers": [account],
                    "legal_basis": ["kind": "voluntary"],
                ],
                requester: key.nodeID,
                nodeJurisdiction: "TH"
            ).sign(with: key),
            let dispute = try? RecordInput.dispute(
                ["identifier": account, "statement": "my salary account", "to": [.string(key.nodeID)]],
                filer: key.nodeID,
                nodeJurisdiction: "TH"
            ).sign(with: key),
            let decision = try? RecordInput.disputeDecision(
                ["outcome": "retracted", "reason": "mistyped"],
                on: dispute,
                decider: key.nodeID,
                withdrawn: [request.id]
            ).sign(with: key),
            let entry = try? RecordInput.directoryEntry(
                ["name": "Duty desk", "sector": "police", "contact_24_7": true, "accepts": ["budapest_preservation"]],
                writer: key.nodeID,
                nodeJurisdiction: "TH"
            ).sign(with: key)
        else { return [] }
        return [request, dispute, decision, entry]
    }

    /// A joint exercise's records: the director's `exercise` (with its scenario), an inject, and a report.
    static func exerciseSeeds(key: NodeKey) -> [Record] {
        let player = NodeKey().nodeID
        let scenario: JSONValue = [
            "id": "drill", "version": "1", "title": "Drill", "jurisdiction": "TH", "duration_minutes": 60,
            "roles": [["id": "centre", "title": "Centre"]],
            "injects": [
                [
                    "id": "start", "at_minutes": 0, "to": ["centre"], "title": "Calls", "message": "Victims call.",
                    "reports": [["typology": "job", "identifiers": [["kind": "phone", "value": "0812345678"]]]],
                    "request": [
                        "action": "freeze_account", "identifiers": [["kind": "bank_account", "value": "TH:004:1234567890"]],
                        "legal_basis": ["kind": "domestic_law"],
                    ],
                ]
            ],
            "expectations": [
                [
                    "id": "flag", "title": "Flag", "role": "centre", "after": "start", "within_minutes": 10,
                    "action": "indicator",
                    "identifiers": [["kind": "phone", "value": "0812345678"]], "factor": "threat-sharing", "lesson": "Flag fast",
                ]
            ],
        ]
        guard
            let exercise = try? RecordInput.exercise(
                ["scenario": scenario, "roles": ["centre": .string(player)], "speed": 60],
                director: key.nodeID,
                nodeJurisdiction: "TH"
            ).sign(with: key),
            let start = try? ExerciseScenario(json: scenario).injects.first,
            let report = try? RecordInput.exerciseReport(
                ["summary": "Slow on flags."],
                of: exercise,
                scores: [
                    [
                        "expectation": "flag", "role": "centre", "node": .string(player), "outcome": "missed", "detail": "none",
                        "factor": "threat-sharing", "lesson": "Flag fast",
                    ]
                ]
            ).sign(with: key)
        else { return [] }
        let inject = RecordInput.exerciseInject(exercise: exercise, inject: start, to: [player], scheduled: .now(), records: [])
            .sign(with: key)
        return [exercise, inject, report]
    }

    /// Realistic inputs of each target, for the mutations to start from.
    public static func seeds(_ target: Target) -> [[UInt8]] {
        let key = NodeKey()
        let report = Record.make(
            kind: .report,
            body: .object([
                "typology": .string("investment"), "jurisdiction": .string("TH"), "victims": .integer(1),
                "loss": .object(["amount": .string("125000.00"), "currency": .string("THB")]),
                "identifiers": .array([
                    .object(["kind": .string("phone"), "value": .string("+66812345678"), "role": .string("contact")]),
                    .object([
                        "kind": .string("url"), "value": .string("https://xn--bcher-kva.example/login"),
                        "role": .string("website"),
                    ]),
                ]),
            ]),
            label: SharingLabel(tlp: .green),
            key: key
        )
        let line = RecordFeedLine.record(sequence: 12, hops: 1, record: report)
        var feed: [UInt8] = []
        line.appendCanonical(to: &feed)
        switch target {
        case .json, .record:
            return [
                Array(report.canonical), Array(#"{"a":[1,2.5e3,"x\u00e9",null,true,{"b":{}}]}"#.utf8),
                Array(#"[[[[[[[[[[]]]]]]]]]]"#.utf8),
            ] + (actSeeds(key: key) + exerciseSeeds(key: key)).map { Array($0.canonical) }
        case .identifier:
            let values = [
                "081 234 5678", "+44 20 7946 0958", "GB82 WEST 1234 5698 7654 32", "HTTPS://Bücher.Example/ä?x=1#y",
                "xn--bcher-kva.example", "Scam.Desk@Example.COM", "2001:db8::1", "0x52908400098527886E0F7030069857D2E4169EE7",
                "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "@crypto_guru", "123-4-56789-0",
            ]
            return values.enumerated().map { [UInt8($0.offset * 3)] + Array($0.element.utf8) }
        case .structuredField:
            let (input, signature) = HTTPMessageSignature.sign(
                method: "GET",
                path: "/federation/v1/records",
                query: "after=0",
                contentDigest: nil,
                keyID: key.nodeID,
                created: .now(),
                nonce: HTTPMessageSignature.makeNonce(),
                key: key,
                tag: "x"
            )
            return [Array((input + "\n" + signature).utf8), Array("sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:".utf8)]
        case .ndjson:
            return [
                feed + Array("\n".utf8) + Array(#"{"cursor":12,"more":false,"head":40}"#.utf8),
                Array(#"{"kind":"phone","value":"0812345678","region":"TH"}"#.utf8),
            ]
        }
    }
}
