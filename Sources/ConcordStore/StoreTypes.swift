public import ConcordCore

/// A record as held by this node: the verified record and its place in the local log.
public struct StoredRecord: Sendable, Equatable {
    /// Position in this node's append-only log (1, 2, 3, ...): the cursor for listing and pulling.
    public let sequence: Int64
    /// The record.
    public let record: Record
    /// When this node received or wrote it.
    public let received: Timestamp
    /// The id of the retraction that withdrew it, if any.
    public let retractedBy: String?
    /// How many nodes it passed through to reach this one: 0 for this node's own records, 1 from the origin.
    public let hops: Int

    /// Creates a stored record.
    public init(sequence: Int64, record: Record, received: Timestamp, retractedBy: String?, hops: Int = 0) {
        self.sequence = sequence
        self.record = record
        self.received = received
        self.retractedBy = retractedBy
        self.hops = hops
    }
}

/// What became of one record handed to `RecordStore.append`.
public enum AppendOutcome: Sendable, Equatable {
    /// Newly written at this log position.
    case stored(sequence: Int64)
    /// Already held: duplicates are dropped by id.
    case duplicate
}

/// An indicator this node already holds live, as `RecordStore.liveIndicators` finds it.
public struct HeldIndicator: Sendable, Equatable {
    /// The identifier it flags.
    public let identifier: Identifier
    /// Its typology.
    public let typology: Typology?
    /// Its confidence.
    public let confidence: Int?
    /// Its last sighting.
    public let lastSeen: Timestamp
    /// The id of its record.
    public let recordID: String

    /// Creates a description of a held indicator.
    public init(identifier: Identifier, typology: Typology?, confidence: Int?, lastSeen: Timestamp, recordID: String) {
        self.identifier = identifier
        self.typology = typology
        self.confidence = confidence
        self.lastSeen = lastSeen
        self.recordID = recordID
    }
}

/// A filter for listing the log.
public struct RecordQuery: Sendable, Equatable {
    /// Only records after this log position.
    public var after: Int64
    /// At most this many.
    public var limit: Int
    /// Only this kind.
    public var kind: RecordKind?
    /// Only records of this origin node.
    public var origin: String?
    /// Whether to re-check each record's signature on reading. The id is always checked against the content;
    /// a feed to peers skips the signature, which every receiver checks anyway.
    public var checkSignatures = true

    /// Creates a query.
    public init(after: Int64 = 0, limit: Int = 100, kind: RecordKind? = nil, origin: String? = nil) {
        self.after = after
        self.limit = limit
        self.kind = kind
        self.origin = origin
    }
}

/// Records pulled from a peer: who sent them, how far they travelled, and how far the pull got in the peer's log.
public struct Receipt: Sendable, Equatable {
    /// The peer they came from.
    public let peer: String
    /// The peer's log position the pull reached: stored with the records, in the same transaction.
    public let cursor: Int64
    /// Hops each record has travelled on arrival here, in the order of the records.
    public let hops: [Int]
    /// The peer's newest log position when it answered, if it said.
    public let head: Int64?

    /// Creates a receipt.
    public init(peer: String, cursor: Int64, hops: [Int], head: Int64? = nil) {
        self.peer = peer
        self.cursor = cursor
        self.hops = hops
        self.head = head
    }
}

/// The node's append-only log of signed records, with identifier rows for look-up.
public protocol RecordStore: Sendable {
    /// Appends records in one transaction; each is stored or dropped as a duplicate. A retraction also marks
    /// the record it withdraws, when both have the same origin. With a receipt, the peer's pull cursor moves in
    /// the same transaction, so a crash never loses or repeats a pulled record's effect.
    func append(_ records: [Record], receipt: Receipt?) async throws -> [AppendOutcome]
    /// Appends as `append(_:receipt:)` does, and also says which of the newly stored records arrived already
    /// withdrawn: a retraction by the same origin came first (records can travel by different paths).
    func appendNotingRetracted(
        _ records: [Record],
        receipt: Receipt?
    ) async throws -> (
        outcomes: [AppendOutcome], retractedOnArrival: Set<String>
    )
    /// The record with `id`, if held.
    func record(id: String) async throws -> StoredRecord?
    /// Records in log order.
    func records(_ query: RecordQuery) async throws -> [StoredRecord]
    /// The newest log position, 0 when empty.
    func lastSequence() async throws -> Int64
    /// Calls `body` with pages of the identifiers of every live (not exercise) record up to log position
    /// `through`, for building the check index.
    /// - Returns: the number of identifier rows read.
    func forEachIndexedIdentifierPage(
        through: Int64,
        _ body: ([(IndexedIdentifier, retracted: Bool)]) -> Void
    ) async throws -> Int
    /// The live (not retracted) indicators written by `origin` that name any of `identifiers`. Lets a re-import
    /// answer `duplicate`, or supersede what changed, instead of counting twice.
    func liveIndicators(origin: String, naming identifiers: [Identifier]) async throws -> [HeldIndicator]
    /// Every identifier row naming `identifier`, for recomputing its check entry after a retraction.
    func indexedIdentifiers(naming identifier: Identifier) async throws -> [(IndexedIdentifier, retracted: Bool)]
}

/// A role an API token grants.
public enum TokenRole: String, CaseIterable, Sendable, Codable, Comparable {
    /// Checks identifiers only: a bank's payment system, a telco switch.
    case checker
    /// Reads and writes reports and indicators, retracts its node's records.
    case analyst
    /// Everything, including operations endpoints.
    case admin

    private var rank: Int {
        switch self {
        case .checker: 0
        case .analyst: 1
        case .admin: 2
        }
    }

    public static func < (lhs: TokenRole, rhs: TokenRole) -> Bool { lhs.rank < rhs.rank }
}

/// An API token as stored: never the token itself, only its hash.
public struct APIToken: Sendable, Equatable {
    /// Public short id, used to list and revoke.
    public let id: String
    /// What the token may do.
    public let role: TokenRole
    /// Who or what it is for.
    public let label: String
    /// When it was created.
    public let created: Timestamp
    /// When it was revoked, if it was.
    public let revoked: Timestamp?
    /// Which records a checker token's answers draw on; analysts and admins read every record anyway.
    public let scope: CheckScope

    /// Creates a token description.
    public init(id: String, role: TokenRole, label: String, created: Timestamp, revoked: Timestamp?, scope: CheckScope = .green) {
        self.id = id
        self.role = role
        self.label = label
        self.created = created
        self.revoked = revoked
        self.scope = scope
    }

    /// The scope its check answers draw on: its own for a checker, every record for an analyst or admin.
    public var checkScope: CheckScope { role >= .analyst ? .all : scope }
}

/// API tokens, stored as SHA-256 hashes.
public protocol TokenStore: Sendable {
    /// Stores a token's hash with its role, label and check scope.
    func addToken(id: String, hash: String, role: TokenRole, label: String, scope: CheckScope) async throws -> APIToken
    /// The live (not revoked) token with this hash.
    func token(hash: String) async throws -> APIToken?
    /// Every token, newest first.
    func tokens() async throws -> [APIToken]
    /// Revokes the token with `id`; false when there is no such live token.
    func revokeToken(id: String) async throws -> Bool
}

extension TokenStore {
    /// Stores a token's hash with its role and label, and the default check scope (CLEAR and GREEN records).
    public func addToken(id: String, hash: String, role: TokenRole, label: String) async throws -> APIToken {
        try await addToken(id: id, hash: hash, role: role, label: label, scope: .green)
    }
}

extension RecordStore {
    /// Calls `body` with every stored record of `kind`, page by page in log order, as read from this node's own
    /// store (ids checked, signatures not re-checked).
    public func forEachPage(
        of kind: RecordKind,
        pageSize: Int = 2000,
        _ body: ([StoredRecord]) throws -> Void
    ) async throws {
        var query = RecordQuery(after: 0, limit: pageSize, kind: kind)
        query.checkSignatures = false
        while true {
            let page = try await records(query)
            try body(page)
            guard let last = page.last, page.count == pageSize else { return }
            query.after = last.sequence
        }
    }
}
