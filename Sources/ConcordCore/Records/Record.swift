public import Foundation

/// The kinds of record a node writes and exchanges.
public enum RecordKind: String, CaseIterable, Sendable, Codable {
    /// A victim report: typology, loss, identifiers with their roles.
    case report
    /// One identifier flagged with a typology and a confidence.
    case indicator
    /// Withdraws an earlier record of the same origin.
    case retraction
    /// Declares a named community and its members; written by the community's steward node.
    case community
    /// Asks another node to act: freeze an account, block a number, take something down, preserve data.
    case actionRequest = "action_request"
    /// The addressee's answer to an action request.
    case actionResponse = "action_response"
    /// Someone says a flag is wrong; addressed to the nodes whose records flag the identifier.
    case dispute
    /// A flagging node's decision on a dispute: retracted or upheld.
    case disputeDecision = "dispute_decision"
    /// An entry of the directory of whom to ask: a service provider or a 24/7 point of contact.
    case directoryEntry = "directory_entry"
    /// An organisation's capability self-assessment against a framework.
    case assessment
    /// A peer's review of an assessment.
    case assessmentReview = "assessment_review"
    /// An offer to pair a mentee with a mentor.
    case pairingOffer = "pairing_offer"
    /// The other party's answer to a pairing offer.
    case pairingResponse = "pairing_response"
    /// A playbook, case study, legal template or training material in the practice library.
    case practice
    /// A planned learning exchange: who, which factors, when, in what format.
    case exchange
    /// What a learning exchange led to, with follow-ups.
    case exchangeOutcome = "exchange_outcome"
    /// The start of a joint exercise: its scenario, who plays each role, when and how fast.
    case exercise
    /// An inject of a running exercise, delivered by its director.
    case exerciseInject = "exercise_inject"
    /// An exercise's after-action report: scores per expected action, lessons linked to capability factors.
    case exerciseReport = "exercise_report"
}

/// A signed, content-addressed record.
///
/// `content` is the signed object; `id` is the lower-case hex SHA-256 of its RFC 8785 canonical
/// encoding; `signature` is the origin node's Ed25519 signature over the same bytes. Immutable; a class so
/// that passing records through batches costs one reference, not a copy of every field.
public final class Record: Sendable, Hashable {
    /// Hex SHA-256 of the canonical content.
    public let id: String
    /// The signed content.
    public let content: JSONValue
    /// The canonical bytes of `content`.
    public let canonical: Data
    /// The Ed25519 signature over `canonical`.
    public let signature: Data

    /// The record's kind.
    public let kind: RecordKind
    /// The id of the node that wrote it.
    public let origin: String
    /// When the origin wrote it.
    public let created: Timestamp
    /// Its sharing label.
    public let label: SharingLabel
    /// True for records of a joint exercise: they never mix with live data.
    public let exercise: Bool

    init(
        id: String,
        content: JSONValue,
        canonical: Data,
        signature: Data,
        kind: RecordKind,
        origin: String,
        created: Timestamp,
        label: SharingLabel,
        exercise: Bool
    ) {
        self.id = id
        self.content = content
        self.canonical = canonical
        self.signature = signature
        self.kind = kind
        self.origin = origin
        self.created = created
        self.label = label
        self.exercise = exercise
    }

    /// Records are equal when they have the same content (the same id) and the same signature.
    public static func == (lhs: Record, rhs: Record) -> Bool {
        lhs.id == rhs.id && lhs.signature == rhs.signature
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
    }

    /// Content format version written into every record.
    public static let formatVersion: Int64 = 1

    /// The members of a record's content in this format version; admission refuses any other.
    public static let contentMembers: Set<String> = [
        "v", "kind", "origin", "origin_key", "created", "label", "exercise", "body",
    ]

    /// Builds and signs a new record.
    /// - Parameters:
    ///   - kind: what the record is.
    ///   - body: the kind's body, already validated.
    ///   - label: the sharing label.
    ///   - exercise: whether it belongs to an exercise.
    ///   - created: when it was written.
    ///   - key: the writing node's key.
    public static func make(
        kind: RecordKind,
        body: JSONValue,
        label: SharingLabel,
        exercise: Bool = false,
        created: Timestamp = .now(),
        key: NodeKey
    ) -> Record {
        let content: JSONValue = .object([
            "v": .integer(formatVersion),
            "kind": .string(kind.rawValue),
            "origin": .string(key.nodeID),
            "origin_key": .string(ByteText.base64url(key.publicKey)),
            "created": .string(created.rfc3339),
            "label": label.json,
            "exercise": .bool(exercise),
            "body": body,
        ])
        let canonical = content.canonicalData
        return Record(
            id: ByteText.sha256Hex(canonical),
            content: content,
            canonical: canonical,
            signature: key.sign(canonical),
            kind: kind,
            origin: key.nodeID,
            created: created,
            label: label,
            exercise: exercise
        )
    }

    /// Reads a record from its canonical content and signature, checking id, shape and signature.
    /// - Parameters:
    ///   - id: the claimed id.
    ///   - canonical: the canonical content bytes as sent or stored.
    ///   - signature: the origin's signature.
    /// - Throws: `RecordError` naming what does not hold.
    public static func verified(
        id: String,
        canonical: Data,
        signature: Data,
        checkSignature: Bool = true
    ) throws(RecordError) -> Record {
        let content: JSONValue
        do {
            content = try JSONValue.parse(canonical)
        } catch {
            throw .malformed("content is not JSON")
        }
        // Rows of this node's own store (read without the signature check) were canonical when written, and the
        // id below is still checked against these very bytes.
        guard !checkSignature || content.canonicalData == canonical else {
            throw .malformed("content is not in canonical form")
        }
        return try verified(id: id, content: content, canonical: canonical, signature: signature, checkSignature: checkSignature)
    }

    /// Reads a record whose content is already parsed (as a feed line is), checking id, shape and, unless
    /// `checkSignature` is false, the signature. Skipping the signature is only for re-reading this node's own
    /// store, whose rows were verified or signed when written; the id is still checked against the content.
    public static func verified(
        id: String,
        content: JSONValue,
        signature: Data,
        checkSignature: Bool = true
    ) throws(RecordError) -> Record {
        try verified(
            id: id,
            content: content,
            canonical: content.canonicalData,
            signature: signature,
            checkSignature: checkSignature
        )
    }

    private static func verified(
        id: String,
        content: JSONValue,
        canonical: Data,
        signature: Data,
        checkSignature: Bool = true
    ) throws(RecordError) -> Record {
        let computed = ByteText.sha256Hex(canonical)
        guard computed == id else { throw .idMismatch(claimed: id, computed: computed) }
        guard let keyText = content["origin_key"]?.stringValue, let publicKey = ByteText.fromBase64url(keyText),
            publicKey.count == 32
        else { throw .malformed("origin_key is missing or not a 32-byte key") }
        guard let origin = content["origin"]?.stringValue, origin == NodeID.derive(publicKey: publicKey) else {
            throw .malformed("origin does not match origin_key")
        }
        guard !checkSignature || NodeID.verify(signature: signature, message: canonical, publicKey: publicKey) else {
            throw .badSignature
        }
        return try decode(id: id, content: content, canonical: canonical, signature: signature, origin: origin)
    }

    private static func decode(
        id: String,
        content: JSONValue,
        canonical: Data,
        signature: Data,
        origin: String
    ) throws(RecordError) -> Record {
        guard content["v"]?.integerValue == formatVersion else { throw .malformed("unsupported format version") }
        guard let kindText = content["kind"]?.stringValue, let kind = RecordKind(rawValue: kindText) else {
            throw .malformed("unknown kind")
        }
        guard let createdText = content["created"]?.stringValue, let created = Timestamp(rfc3339: createdText) else {
            throw .malformed("created is not a timestamp")
        }
        guard case .bool(let exercise) = content["exercise"] else { throw .malformed("exercise is not a boolean") }
        guard let labelValue = content["label"], let label = SharingLabel(json: labelValue) else {
            throw .malformed("label is not a sharing label")
        }
        guard content["body"]?.objectValue != nil else { throw .malformed("body is not an object") }
        return Record(
            id: id,
            content: content,
            canonical: canonical,
            signature: signature,
            kind: kind,
            origin: origin,
            created: created,
            label: label,
            exercise: exercise
        )
    }

    /// The kind's body.
    public var body: JSONValue { content["body"] ?? .object([:]) }

    /// The record as sent between nodes and shown by the API: `{"id", "content", "signature"}`.
    public var wire: JSONValue {
        .object([
            "id": .string(id),
            "content": content,
            "signature": .string(ByteText.base64url(signature)),
        ])
    }

    /// For a retraction, the id of the record it withdraws.
    public var retractedRecordID: String? {
        kind == .retraction ? body["record"]?.stringValue : nil
    }
}

/// Why a record was refused.
public enum RecordError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The id is not the hash of the content.
    case idMismatch(claimed: String, computed: String)
    /// The content does not have the shape of a record.
    case malformed(String)
    /// The signature does not verify against the origin's key.
    case badSignature
    /// The record is signed, but its content is not what this node takes: the issues name each part.
    case invalid(InputError)

    public var description: String {
        switch self {
        case .idMismatch(let claimed, let computed): "record id \(claimed) does not match its content (\(computed))"
        case .malformed(let what): "malformed record: \(what)"
        case .badSignature: "the signature does not verify against the origin's key"
        case .invalid(let error):
            "record content refused: "
                + error.issues.prefix(3).map { ($0.pointer.isEmpty ? "/" : $0.pointer) + " " + $0.detail }.joined(separator: "; ")
        }
    }
}

extension SharingLabel {
    /// Reads a label from its canonical JSON form; nil when it is not one.
    public init?(json: JSONValue) {
        guard let tlpText = json["tlp"]?.stringValue, let tlp = TLPLevel(rawValue: tlpText),
            case .bool(let relay) = json["relay"], let audience = json["audience"]
        else { return nil }
        func list(_ key: String) -> [String]? {
            guard let items = audience[key]?.arrayValue else { return nil }
            let strings = items.compactMap(\.stringValue)
            return strings.count == items.count ? strings : nil
        }
        guard let nodes = list("nodes"), let communities = list("communities"),
            let jurisdictions = list("jurisdictions")
        else { return nil }
        self.init(
            tlp: tlp,
            audience: Audience(nodes: nodes, communities: communities, jurisdictions: jurisdictions),
            relay: relay
        )
    }
}
