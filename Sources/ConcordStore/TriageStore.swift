public import ConcordCore
import Foundation
import SQLKit

/// Something a member of the public sent through the public page, waiting for an analyst: a scam report or a
/// dispute of a flag. Nothing in the queue is shared or checked against until an analyst accepts it.
public struct TriageItem: Sendable, Equatable {
    /// What was sent.
    public enum Kind: String, Sendable, CaseIterable {
        case report
        case dispute
    }

    /// Where it stands.
    public enum Status: String, Sendable, CaseIterable {
        case pending
        case accepted
        case rejected
    }

    /// Public reference: 16 hex digits, shown to the sender.
    public let id: String
    public let kind: Kind
    public let received: Timestamp
    public let status: Status
    /// What was sent, as read and limited by the public page.
    public let body: JSONValue
    /// When and by whom it was decided.
    public let decided: Timestamp?
    public let decidedBy: String?
    /// The record an accepted item became.
    public let recordID: String?
    /// The analyst's note (why it was rejected).
    public let note: String?
}

extension SQLStore {
    private static let triageColumns = "id, kind, received_ms, status, body, decided_ms, decided_by, record_id, note"

    /// Queues what the public page received.
    public func addTriageItem(kind: TriageItem.Kind, body: JSONValue) async throws -> TriageItem {
        let id = ByteText.hex(Array((0..<8).map { _ in UInt8.random(in: 0...255) }))
        let now = Timestamp.now()
        let text = String(decoding: body.canonicalData, as: UTF8.self)
        try await transaction { db in
            try await db.raw(
                """
                INSERT INTO triage (id, kind, received_ms, status, body) \
                VALUES (\(bind: id), \(bind: kind.rawValue), \(bind: now.milliseconds), 'pending', \(bind: text))
                """
            ).run()
        }
        return TriageItem(
            id: id,
            kind: kind,
            received: now,
            status: .pending,
            body: body,
            decided: nil,
            decidedBy: nil,
            recordID: nil,
            note: nil
        )
    }

    /// The queue, newest first, optionally of one status.
    public func triageItems(status: TriageItem.Status?, limit: Int = 200) async throws -> [TriageItem] {
        var sql: SQLQueryString = "SELECT \(unsafeRaw: Self.triageColumns) FROM triage"
        if let status { sql += " WHERE status = \(bind: status.rawValue)" }
        sql += " ORDER BY received_ms DESC, id LIMIT \(bind: max(0, min(limit, 10_000)))"
        return try await reader.raw(sql).all().compactMap(Self.triageItem)
    }

    /// One item of the queue.
    public func triageItem(id: String) async throws -> TriageItem? {
        try await reader.raw("SELECT \(unsafeRaw: Self.triageColumns) FROM triage WHERE id = \(bind: id)").all()
            .compactMap(Self.triageItem).first
    }

    /// Decides a pending item; false when it was not pending (decided meanwhile by someone else). Accepting
    /// claims the item before anything is written, so that two analysts cannot both accept it; the records it
    /// became are filled in by `setTriageRecords`, or the claim given back by `releaseTriageItem`.
    public func decideTriageItem(
        id: String,
        status: TriageItem.Status,
        by analyst: String,
        recordID: String?,
        note: String?
    ) async throws -> Bool {
        let now = Timestamp.now()
        return try await transaction { db in
            try await !db.raw(
                """
                UPDATE triage SET status = \(bind: status.rawValue), decided_ms = \(bind: now.milliseconds), \
                decided_by = \(bind: analyst), record_id = \(bind: recordID), note = \(bind: note) \
                WHERE id = \(bind: id) AND status = 'pending' RETURNING id
                """
            ).all().isEmpty
        }
    }

    /// Records what an accepted item became (record ids, comma-separated).
    public func setTriageRecords(id: String, recordIDs: [String]) async throws {
        try await transaction { db in
            try await db.raw("UPDATE triage SET record_id = \(bind: recordIDs.joined(separator: ",")) WHERE id = \(bind: id)")
                .run()
        }
    }

    /// Gives back an accepted item's claim when writing its records failed: it is pending again.
    public func releaseTriageItem(id: String) async throws {
        try await transaction { db in
            try await db.raw(
                """
                UPDATE triage SET status = 'pending', decided_ms = NULL, decided_by = NULL \
                WHERE id = \(bind: id) AND status = 'accepted' AND record_id IS NULL
                """
            ).run()
        }
    }

    /// How many items wait, to cap the queue.
    public func pendingTriageCount() async throws -> Int {
        let rows = try await rawReader.rows("SELECT COUNT(*) FROM triage WHERE status = 'pending'", [])
        return Int(rows.first?.first?.integer ?? 0)
    }

    private static func triageItem(_ row: any SQLRow) -> TriageItem? {
        guard let id = try? row.decode(column: "id", as: String.self),
            let kind = (try? row.decode(column: "kind", as: String.self)).flatMap(TriageItem.Kind.init(rawValue:)),
            let received = try? row.decode(column: "received_ms", as: Int64.self),
            let status = (try? row.decode(column: "status", as: String.self)).flatMap(TriageItem.Status.init(rawValue:)),
            let text = try? row.decode(column: "body", as: String.self),
            let body = try? JSONValue.parse(Data(text.utf8))
        else { return nil }
        return TriageItem(
            id: id,
            kind: kind,
            received: Timestamp(milliseconds: received),
            status: status,
            body: body,
            decided: (try? row.decode(column: "decided_ms", as: Int64?.self))?.map { Timestamp(milliseconds: $0) },
            decidedBy: try? row.decode(column: "decided_by", as: String?.self),
            recordID: try? row.decode(column: "record_id", as: String?.self),
            note: try? row.decode(column: "note", as: String?.self)
        )
    }

    /// The live (not withdrawn, not exercise) reports and indicators that name `identifier`, directly or (for a
    /// domain) through a URL on it: what a dispute about it is about, with the node that wrote each.
    public func flaggingRecords(naming identifier: Identifier) async throws -> [(id: String, origin: String, kind: RecordKind)] {
        try await reader.raw(
            """
            SELECT DISTINCT r.id, r.origin, r.kind FROM record_identifiers ri JOIN records r ON r.seq = ri.record_seq \
            WHERE ri.kind = \(bind: identifier.kind.rawValue) AND ri.value = \(bind: identifier.canonical) \
            AND r.retracted_by IS NULL AND r.exercise = 0 AND r.kind IN ('report', 'indicator')
            """
        ).all().compactMap { row in
            guard let id = try? row.decode(column: "id", as: String.self),
                let origin = try? row.decode(column: "origin", as: String.self),
                let kind = (try? row.decode(column: "kind", as: String.self)).flatMap(RecordKind.init(rawValue:))
            else { return nil }
            return (id, origin, kind)
        }
    }
}
