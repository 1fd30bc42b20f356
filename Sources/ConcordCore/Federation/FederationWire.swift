public import Foundation

/// A node's profile signed by its key, served at `GET /federation/v1/node`: how a peer learns the key that its
/// pinned node id stands for, and who runs the node.
public enum SignedProfile {
    /// The signed profile document.
    public static func make(profile: NodeProfile, key: NodeKey, at time: Timestamp = .now()) -> JSONValue {
        let unsigned = body(profile: profile, key: key, at: time)
        return unsigned.adding("signature", .string(ByteText.base64url(key.sign(unsigned.canonicalData))))
    }

    static func body(profile: NodeProfile, key: NodeKey, at time: Timestamp) -> JSONValue {
        .object([
            "node_id": .string(key.nodeID),
            "public_key": .string(ByteText.base64url(key.publicKey)),
            "organisation": .string(profile.organisation),
            "kind": .string(profile.kind.rawValue),
            "jurisdiction": .string(profile.jurisdiction),
            "languages": .array(profile.languages.map(JSONValue.string)),
            "time_zone": .string(profile.timeZone),
            "contact": .string(profile.contact),
            "signed_at": .string(time.rfc3339),
        ])
    }

    /// Checks a signed profile against the node id a peer was pinned to.
    /// - Returns: the peer's public key and jurisdiction, or nil when the document does not prove that id or names
    ///   no ISO 3166-1 country code as its jurisdiction (sharing rules match jurisdictions by code).
    public static func verify(_ document: JSONValue, expectedNodeID: String) -> (publicKey: Data, jurisdiction: String)? {
        guard case .object(var members) = document, let signatureText = members.removeValue(forKey: "signature")?.stringValue,
            let signature = ByteText.fromBase64url(signatureText), let keyText = members["public_key"]?.stringValue,
            let publicKey = ByteText.fromBase64url(keyText), publicKey.count == 32,
            NodeID.derive(publicKey: publicKey) == expectedNodeID, members["node_id"]?.stringValue == expectedNodeID,
            let jurisdiction = members["jurisdiction"]?.stringValue, Jurisdiction.codes.contains(jurisdiction),
            NodeID.verify(signature: signature, message: JSONValue.object(members).canonicalData, publicKey: publicKey)
        else { return nil }
        return (publicKey, jurisdiction)
    }
}

/// The lines of `GET /federation/v1/records`: one line per record the peer may see, in log order, then a
/// closing line with the cursor the pull reached.
public enum RecordFeedLine: Sendable {
    /// A record at `sequence` in the serving node's log, which reached it in `hops` hops.
    case record(sequence: Int64, hops: Int, record: Record)
    /// The end of a page: everything up to `cursor` was considered; `more` when the log goes on.
    /// `head`, when the server says, is its newest log position, so that the puller can tell how far behind it is.
    case end(cursor: Int64, more: Bool, head: Int64? = nil)

    /// The line as JSON.
    public var json: JSONValue {
        switch self {
        case .record(let sequence, let hops, let record):
            .object(["sequence": .integer(sequence), "hops": .integer(Int64(hops)), "record": record.wire])
        case .end(let cursor, let more, let head):
            head.map { .object(["cursor": .integer(cursor), "more": .bool(more), "head": .integer($0)]) }
                ?? .object(["cursor": .integer(cursor), "more": .bool(more)])
        }
    }

    /// Appends the line's canonical JSON to `out`, exactly as `json.canonicalData` would write it, but splicing in
    /// a record's stored canonical content instead of writing it out again.
    public func appendCanonical(to out: inout [UInt8]) {
        switch self {
        case .record(let sequence, let hops, let record):
            // Keys in canonical order: hops, record {content, id, signature}, sequence.
            out.append(contentsOf: #"{"hops":"#.utf8)
            out.append(contentsOf: String(hops).utf8)
            out.append(contentsOf: #","record":{"content":"#.utf8)
            out.append(contentsOf: record.canonical)
            out.append(contentsOf: #","id":""#.utf8)
            out.append(contentsOf: record.id.utf8)
            out.append(contentsOf: #"","signature":""#.utf8)
            out.append(contentsOf: ByteText.base64url(record.signature).utf8)
            out.append(contentsOf: #""},"sequence":"#.utf8)
            out.append(contentsOf: String(sequence).utf8)
            out.append(UInt8(ascii: "}"))
        case .end:
            out.append(contentsOf: json.canonicalData)
        }
    }

    /// Reads a line, verifying a record's id, canonical form, origin and signature.
    /// - Throws: `RecordError` for a record that fails verification, `FeedError` for a line of the wrong shape.
    public static func parse(_ bytes: [UInt8]) throws -> RecordFeedLine {
        let json: JSONValue
        do {
            json = try JSONValue.parse(bytes)
        } catch {
            throw FeedError.malformed("a line is not JSON")
        }
        if let cursor = json["cursor"]?.integerValue, case .bool(let more) = json["more"] {
            let head = json["head"]?.integerValue
            if let head, head < 0 { throw FeedError.malformed("the log head is negative") }
            return .end(cursor: cursor, more: more, head: head)
        }
        guard let sequence = json["sequence"]?.integerValue, let hops = json["hops"]?.integerValue, (0...64).contains(hops),
            let wire = json["record"], let id = wire["id"]?.stringValue, let content = wire["content"],
            let signatureText = wire["signature"]?.stringValue, let signature = ByteText.fromBase64url(signatureText)
        else { throw FeedError.malformed("a line is neither a record nor the closing cursor") }
        let record = try Record.verified(id: id, content: content, signature: signature)
        return .record(sequence: sequence, hops: Int(hops), record: record)
    }
}

/// A feed that does not have the expected shape.
public enum FeedError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformed(String)

    public var description: String {
        switch self {
        case .malformed(let what): "malformed feed: \(what)"
        }
    }
}
