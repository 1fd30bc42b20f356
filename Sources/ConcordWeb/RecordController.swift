import ConcordCore
import ConcordStore
import Foundation
import Hummingbird
import Logging
import NIOCore
import Prometheus

/// Reports, records and retractions: `POST /reports`, `GET /records`, `GET /records/{id}`, `POST /records/{id}/retract`.
struct RecordController {
    let node: RunningNode

    func addRoutes(to group: RouterGroup<ConcordRequestContext>) {
        group.post("reports", use: createReport)
        group.get("records", use: list)
        group.get("records/{id}", use: get)
        group.post("records/{id}/retract", use: retract)
    }

    @Sendable func createReport(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        let json = try await request.jsonBody(context: context)
        let draft = try node.communities.qualify(RecordInput.report(json, nodeJurisdiction: node.profile.jurisdiction))
        guard let (record, outcome) = try await node.write([draft]).first else {
            throw Problem.malformed("the report could not be written")
        }
        context.logger.info("report created", metadata: ["record.id": "\(record.id)"])
        return Self.created(record, outcome)
    }

    /// The `{id}` path parameter, checked to be a record id.
    private func recordID(_ context: ConcordRequestContext) throws -> String {
        let id = try context.parameters.require("id").lowercased()
        guard id.utf8.count == 64, id.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
            throw Problem.invalid(pointer: "/id", "a record id is 64 hex digits (SHA-256 of its content)")
        }
        return id
    }

    @Sendable func get(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        let id = try recordID(context)
        guard let stored = try await node.store.record(id: id) else { throw Problem.notFound("no record \(id) on this node") }
        return Response.json(Self.json(stored))
    }

    @Sendable func list(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        var q: [String: String] = [:]
        for (name, value) in request.formQuery where q[name] == nil {
            guard ["after", "limit", "kind", "origin"].contains(name) else {
                throw Problem.invalid(pointer: "/\(name)", "is not a listing parameter; use after, limit, kind, origin")
            }
            q[name] = value
        }
        var query = RecordQuery()
        if let after = q["after"] {
            guard let value = Int64(after), value >= 0 else {
                throw Problem.invalid(pointer: "/after", "the cursor is a non-negative whole number from next_cursor")
            }
            query.after = value
        }
        if let limit = q["limit"] {
            guard let value = Int(limit), (1...1000).contains(value) else {
                throw Problem.invalid(pointer: "/limit", "limit is a whole number from 1 to 1000")
            }
            query.limit = value
        }
        if let kind = q["kind"] {
            guard let value = RecordKind(rawValue: kind) else {
                throw Problem.invalid(
                    pointer: "/kind",
                    "kind is one of \(RecordKind.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            query.kind = value
        }
        if let origin = q["origin"] {
            guard NodeID.isWellFormed(origin) else { throw Problem.invalid(pointer: "/origin", "not a node id") }
            query.origin = origin
        }
        // One more than asked tells whether another page follows.
        var probe = query
        probe.limit = query.limit + 1
        var page = try await node.store.records(probe)
        let hasMore = page.count > query.limit
        if hasMore { page.removeLast() }
        let next = page.last?.sequence ?? query.after
        return Response.json(
            .object([
                "records": .array(page.map(Self.json)),
                "next_cursor": .string(String(next)),
                "has_more": .bool(hasMore),
            ])
        )
    }

    @Sendable func retract(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        let token = try context.require(.analyst)
        let id = try recordID(context)
        let json = try await request.jsonBody(context: context)
        guard json.objectValue != nil else { throw Problem.invalid(pointer: "", "expected an object with a reason") }
        if let reason = json["reason"], reason.stringValue == nil, reason != .null {
            throw Problem.invalid(pointer: "/reason", "expected a string, got \(reason.typeName)")
        }
        guard let reason = json["reason"]?.stringValue, !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw Problem.invalid(pointer: "/reason", "is required: say why the record is withdrawn")
        }
        let (record, outcome) = try await Self.withdraw(id, reason: reason, role: token.role, node: node)
        context.logger.info("record retracted", metadata: ["record.id": "\(id)", "retraction.id": "\(record.id)"])
        return Self.created(record, outcome)
    }

    /// Withdraws record `id` of this node with a retraction, under the rules the API and the pages share: only
    /// this node's own records, a community declaration only by an admin, and never twice.
    /// - Throws: a `Problem` naming the rule broken, or an `InputError` for the reason.
    static func withdraw(
        _ id: String,
        reason: String,
        role: TokenRole,
        node: RunningNode
    ) async throws -> (Record, AppendOutcome) {
        guard let stored = try await node.store.record(id: id) else { throw Problem.notFound("no record \(id) on this node") }
        guard stored.record.origin == node.key.nodeID else {
            throw Problem.forbidden("only the node that wrote a record can retract it; ask its origin \(stored.record.origin)")
        }
        // Declaring a community is an admin's act (it decides who sees labelled records); so is withdrawing one.
        if stored.record.kind == .community, role < .admin {
            throw Problem.forbidden(
                "a community declaration is withdrawn by an admin, as it is declared; you are \(role.rawValue)"
            )
        }
        if let by = stored.retractedBy {
            throw Problem(
                slug: "already-retracted",
                title: "Already retracted",
                status: .conflict,
                detail: "record \(id) was already retracted by \(by)",
                extra: ["retracted_by": .string(by)]
            )
        }
        let draft = try RecordInput.retraction(of: stored.record, reason: reason)
        guard let written = try await node.write([draft]).first else {
            throw Problem.malformed("the retraction could not be written")
        }
        return written
    }

    static func created(_ record: Record, _ outcome: AppendOutcome) -> Response {
        var body = record.wire
        if case .object(var members) = body {
            if case .stored(let seq) = outcome { members["sequence"] = .integer(seq) }
            members["duplicate"] = .bool(outcome == .duplicate)
            body = .object(members)
        }
        return Response.json(
            body,
            status: outcome == .duplicate ? .ok : .created,
            headers: [.location: "/api/v1/records/\(record.id)"]
        )
    }

    static func json(_ stored: StoredRecord) -> JSONValue {
        guard case .object(var members) = stored.record.wire else { return stored.record.wire }
        members["sequence"] = .integer(stored.sequence)
        members["received"] = .string(stored.received.rfc3339)
        members["retracted_by"] = stored.retractedBy.map(JSONValue.string) ?? .null
        return .object(members)
    }
}
