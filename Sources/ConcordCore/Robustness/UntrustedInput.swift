public import Foundation

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
}
