public import ConcordCore
public import Foundation
import SQLKit

/// A peer this node has agreed to exchange records with, pinned to its node id like an SSH known host.
public struct Peer: Sendable, Equatable {
    /// The peer's node id: its key must hash to this.
    public let nodeID: String
    /// The peer's base URL, e.g. `http://127.0.0.1:8081`.
    public let url: String
    /// The peer's public key, learned on first contact and checked against the id.
    public let publicKey: Data?
    /// The peer's jurisdiction, from its signed profile.
    public let jurisdiction: String?
    /// When it was added.
    public let added: Timestamp
    /// This node's position in the peer's log: everything up to it has been pulled.
    public let cursor: Int64
    /// When the last pull succeeded.
    public let lastPull: Timestamp?
    /// The last error, if the last pull failed.
    public let lastError: String?
    /// Pulls failed in a row.
    public let errors: Int
    /// The peer's newest log position at the last pull, when it said.
    public let head: Int64?

    /// How many of the peer's log positions this node has not pulled yet, as of the last pull (records the
    /// peer holds that are not for this node count too: they are skipped, not sent).
    public var behind: Int64? { head.map { max(0, $0 - cursor) } }

    /// Creates a peer description.
    public init(
        nodeID: String,
        url: String,
        publicKey: Data?,
        jurisdiction: String?,
        added: Timestamp,
        cursor: Int64,
        lastPull: Timestamp?,
        lastError: String?,
        errors: Int,
        head: Int64? = nil
    ) {
        self.nodeID = nodeID
        self.url = url
        self.publicKey = publicKey
        self.jurisdiction = jurisdiction
        self.added = added
        self.cursor = cursor
        self.lastPull = lastPull
        self.lastError = lastError
        self.errors = errors
        self.head = head
    }
}

/// The peers of a node and each one's pull cursor.
public protocol PeerStore: Sendable {
    /// Adds (or re-adds) a peer by id and URL.
    func addPeer(nodeID: String, url: String) async throws
    /// Removes a peer: it is no longer served nor pulled.
    func removePeer(nodeID: String) async throws -> Bool
    /// The live peers.
    func peers() async throws -> [Peer]
    /// The live peer with this id.
    func peer(nodeID: String) async throws -> Peer?
    /// Records what first contact taught about a peer.
    func learnPeer(nodeID: String, publicKey: Data, jurisdiction: String) async throws
    /// Records a failed pull.
    func recordPullFailure(nodeID: String, error: String) async throws
    /// Remembers signed requests' nonces in one transaction, so that a restart or another replica of the node
    /// still refuses a replay; drops those created before `forgetBefore`, which are refused for their age anyway.
    func rememberNonces(_ nonces: [(nonce: String, created: Timestamp)], forgetBefore: Timestamp) async throws
    /// Whether the store already holds `nonce` (written by this process before a restart, or by a replica).
    func hasSeenNonce(_ nonce: String) async throws -> Bool
}

extension SQLStore: PeerStore {
    public func addPeer(nodeID: String, url: String) async throws {
        let now = Timestamp.now().milliseconds
        try await transaction { db in
            try await db.raw(
                """
                INSERT INTO peers (node_id, url, added_ms) VALUES (\(bind: nodeID), \(bind: url), \(bind: now)) \
                ON CONFLICT (node_id) DO UPDATE SET url = \(bind: url), removed_ms = NULL
                """
            ).run()
        }
    }

    public func removePeer(nodeID: String) async throws -> Bool {
        let now = Timestamp.now().milliseconds
        return try await transaction { db in
            !(try await db.raw(
                "UPDATE peers SET removed_ms = \(bind: now) WHERE node_id = \(bind: nodeID) AND removed_ms IS NULL RETURNING node_id"
            ).all()).isEmpty
        }
    }

    static let peerColumns =
        "node_id, url, public_key, jurisdiction, communities, added_ms, cursor, last_pull_ms, last_error, errors, head"

    public func peers() async throws -> [Peer] {
        try await rawReader.rows(
            "SELECT \(Self.peerColumns) FROM peers WHERE removed_ms IS NULL ORDER BY node_id",
            []
        ).compactMap(Self.peer)
    }

    public func peer(nodeID: String) async throws -> Peer? {
        try await rawReader.rows(
            "SELECT \(Self.peerColumns) FROM peers WHERE removed_ms IS NULL AND node_id = ?",
            [.text(nodeID)]
        ).compactMap(Self.peer).first
    }

    public func learnPeer(nodeID: String, publicKey: Data, jurisdiction: String) async throws {
        _ = try await transaction { _ in
            try await rawWriter.rows(
                "UPDATE peers SET public_key = ?, jurisdiction = ? WHERE node_id = ?",
                [.text(ByteText.base64url(publicKey)), .text(jurisdiction), .text(nodeID)]
            )
        }
    }

    public func rememberNonces(_ nonces: [(nonce: String, created: Timestamp)], forgetBefore: Timestamp) async throws {
        guard !nonces.isEmpty else { return }
        _ = try await transaction { _ in
            _ = try await rawWriter.rows("DELETE FROM seen_nonces WHERE created_ms < ?", [.integer(forgetBefore.milliseconds)])
            for chunk in nonces.chunked(into: 400) {
                _ = try await rawWriter.rows(
                    "INSERT INTO seen_nonces (nonce, created_ms) VALUES "
                        + Self.placeholders(rows: chunk.count, columns: 2) + " ON CONFLICT (nonce) DO NOTHING",
                    chunk.flatMap { [SQLValue.text($0.nonce), .integer($0.created.milliseconds)] }
                )
            }
        }
    }

    public func hasSeenNonce(_ nonce: String) async throws -> Bool {
        !(try await rawReader.rows("SELECT 1 FROM seen_nonces WHERE nonce = ?", [.text(nonce)])).isEmpty
    }

    public func recordPullFailure(nodeID: String, error: String) async throws {
        _ = try await transaction { _ in
            try await rawWriter.rows(
                "UPDATE peers SET last_error = ?, errors = errors + 1 WHERE node_id = ?",
                [.text(String(error.prefix(500))), .text(nodeID)]
            )
        }
    }

    static func peer(_ row: [SQLValue]) -> Peer? {
        guard row.count == 11, let id = row[0].text, let url = row[1].text, let added = row[5].integer,
            let cursor = row[6].integer, let errors = row[9].integer
        else { return nil }
        return Peer(
            nodeID: id,
            url: url,
            publicKey: row[2].text.flatMap(ByteText.fromBase64url),
            jurisdiction: row[3].text,
            added: Timestamp(milliseconds: added),
            cursor: cursor,
            lastPull: row[7].integer.map(Timestamp.init(milliseconds:)),
            lastError: row[8].text,
            errors: Int(errors),
            head: row[10].integer
        )
    }
}
