import Foundation
import Testing

@testable import ConcordCore

@Suite("Federation wire formats")
struct FederationWireTests {
    let key = NodeKey()

    func record() throws -> Record {
        try RecordInput.indicator(
            .object(["kind": .string("phone"), "value": .string("0812345678"), "typology": .string("job")]),
            nodeJurisdiction: "TH"
        ).sign(with: key)
    }

    @Test("the spliced feed line is byte for byte the canonical JSON of the line")
    func splicedLine() throws {
        for (sequence, hops) in [(Int64(7), 2), (1_234_567_890_123, 0), (0, 64)] {
            let line = RecordFeedLine.record(sequence: sequence, hops: hops, record: try record())
            var spliced: [UInt8] = []
            line.appendCanonical(to: &spliced)
            #expect(spliced == Array(line.json.canonicalData))
        }
        var end: [UInt8] = []
        RecordFeedLine.end(cursor: 9, more: false).appendCanonical(to: &end)
        #expect(end == Array(RecordFeedLine.end(cursor: 9, more: false).json.canonicalData))
    }

    @Test("a feed line round-trips and verifies")
    func roundTrip() throws {
        let record = try record()
        let line = Array(RecordFeedLine.record(sequence: 7, hops: 2, record: record).json.canonicalData)
        guard case .record(let sequence, let hops, let read) = try RecordFeedLine.parse(line) else {
            Issue.record("not a record line")
            return
        }
        #expect(sequence == 7 && hops == 2 && read == record)
        guard
            case .end(let cursor, let more, _) = try RecordFeedLine.parse(
                Array(RecordFeedLine.end(cursor: 9, more: true).json.canonicalData)
            )
        else {
            Issue.record("not an end line")
            return
        }
        #expect(cursor == 9 && more)
    }

    @Test("a tampered or forged record in a feed is refused, never read")
    func tampered() throws {
        let record = try record()
        let text = String(decoding: RecordFeedLine.record(sequence: 1, hops: 0, record: record).json.canonicalData, as: UTF8.self)
        let changed = text.replacingOccurrences(of: "+66812345678", with: "+66812345679")
        #expect(throws: RecordError.self) { try RecordFeedLine.parse(Array(changed.utf8)) }
        // Re-signed by another key but still claiming the first node as origin.
        let other = NodeKey()
        guard case .object(var content) = record.content else { return }
        content["body"] = .object(["identifier": .object(["kind": .string("phone"), "value": .string("+66899999999")])])
        let forgedContent = JSONValue.object(content)
        let forged = JSONValue.object([
            "sequence": .integer(1), "hops": .integer(0),
            "record": .object([
                "id": .string(ByteText.sha256Hex(forgedContent.canonicalData)), "content": forgedContent,
                "signature": .string(ByteText.base64url(other.sign(forgedContent.canonicalData))),
            ]),
        ])
        #expect(throws: RecordError.badSignature) { try RecordFeedLine.parse(Array(forged.canonicalData)) }
        #expect(throws: FeedError.self) { try RecordFeedLine.parse(Array(#"{"hello":"world"}"#.utf8)) }
    }

    @Test("a signed profile proves its node id; a profile for another id, or edited, does not")
    func profile() {
        let profile = NodeProfile(organisation: "Fiji Police", kind: .lawEnforcement, jurisdiction: "FJ")
        let document = SignedProfile.make(profile: profile, key: key)
        #expect(SignedProfile.verify(document, expectedNodeID: key.nodeID)?.jurisdiction == "FJ")
        #expect(SignedProfile.verify(document, expectedNodeID: NodeKey().nodeID) == nil)
        #expect(SignedProfile.verify(document.adding("jurisdiction", .string("AU")), expectedNodeID: key.nodeID) == nil)
        // Signed, but naming no country: the jurisdiction is refused, so the peer is served nothing yet.
        for code in ["Fiji", "XX", "fj", String(repeating: "F", count: 100_000)] {
            let odd = SignedProfile.make(
                profile: NodeProfile(organisation: "Odd", kind: .lawEnforcement, jurisdiction: code),
                key: key
            )
            #expect(SignedProfile.verify(odd, expectedNodeID: key.nodeID) == nil, "\(code.prefix(8))")
        }
    }
}
