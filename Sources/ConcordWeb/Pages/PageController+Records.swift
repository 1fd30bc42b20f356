import ConcordCore
import ConcordStore
import Foundation
import Hummingbird
import Logging

/// The records this node holds, as pages: the log with filters and a cursor, and one record whole.
extension PageController {
    @Sendable func records(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let session = try await require(request, .analyst)
            let q = request.uri.queryParameters
            var query = RecordQuery(limit: 50)
            var message: String?
            let kindText = q["kind"].map(String.init) ?? ""
            if !kindText.isEmpty {
                if let kind = RecordKind(rawValue: kindText) {
                    query.kind = kind
                } else {
                    message = "Unknown kind “\(kindText.prefix(20))”."
                }
            }
            let originText = q["origin"].map(String.init) ?? ""
            if !originText.isEmpty {
                if NodeID.isWellFormed(originText) {
                    query.origin = originText
                } else {
                    message = "“\(originText.prefix(40))” is not a node id."
                }
            }
            if let after = q["after"].flatMap({ Int64(String($0)) }), after >= 0 { query.after = after }
            var probe = query
            probe.limit = query.limit + 1
            var page = try await node.store.records(probe)
            let more = page.count > query.limit
            if more { page.removeLast() }
            var next: String?
            if more, let last = page.last {
                var parts = ["after=\(last.sequence)"]
                if let kind = query.kind { parts.append("kind=\(kind.rawValue)") }
                if let origin = query.origin { parts.append("origin=\(origin)") }
                next = "/records?" + parts.joined(separator: "&")
            }
            let rows = page.map { stored -> [String: Any] in
                let record = stored.record
                return [
                    "sequence": stored.sequence, "id": record.id, "short": String(record.id.prefix(12)),
                    "kind": record.kind.rawValue, "origin": String(record.origin.prefix(16)),
                    "own": record.origin == node.key.nodeID, "tlp": record.label.tlp.rawValue.uppercased(),
                    "created": record.created.rfc3339, "retracted": stored.retractedBy != nil,
                ]
            }
            return pages.page(
                "records",
                title: "Records",
                node: node,
                session: session,
                nav: "Records",
                values: [
                    "records": rows, "hasRecords": !rows.isEmpty, "next": next, "message": message,
                    "origin": query.origin ?? "",
                    "kinds": RecordKind.allCases.map { ["value": $0.rawValue, "selected": $0 == query.kind] },
                ]
            )
        }
    }

    @Sendable func record(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let session = try await require(request, .analyst)
            return try await recordPage((context.parameters.get("id") ?? "").lowercased(), session: session)
        }
    }

    @Sendable func retract(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let session = try await require(request, .analyst)
            let form = try await form(request, session)
            let id = (context.parameters.get("id") ?? "").lowercased()
            guard ByteText.isSHA256Hex(id) else { return try await recordPage(id, session: session) }
            do {
                let (retraction, _) = try await RecordController.withdraw(
                    id,
                    reason: form["reason"] ?? "",
                    role: session.user.role,
                    node: node
                )
                node.logger.info(
                    "record retracted from the pages",
                    metadata: ["record.id": "\(id)", "retraction.id": "\(retraction.id)"]
                )
                return try await recordPage(
                    id,
                    session: session,
                    notice: "Withdrawn; the retraction is \(retraction.id.prefix(12))."
                )
            } catch let problem as Problem {
                return try await recordPage(id, session: session, message: problem.detail)
            } catch let error as InputError {
                return try await recordPage(id, session: session, message: error.issues.map(\.detail).joined(separator: "; "))
            }
        }
    }

    func recordPage(_ id: String, session: UserSession, notice: String? = nil, message: String? = nil) async throws -> Response {
        guard ByteText.isSHA256Hex(id), let stored = try await node.store.record(id: id) else {
            return pages.page(
                "error",
                title: "No such record",
                node: node,
                session: session,
                status: .notFound,
                values: ["detail": "This node holds no record with that id."]
            )
        }
        let record = stored.record
        let body = record.body.objectValue ?? [:]
        let identifiers = (body["identifiers"]?.arrayValue ?? []).compactMap { item -> [String: Any]? in
            guard let kind = item["kind"]?.stringValue, let value = item["value"]?.stringValue else { return nil }
            return ["kind": kind, "value": value, "role": item["role"]?.stringValue ?? ""]
        }
        var singles: [(String, JSONValue)] = body.filter { $0.key != "identifiers" }.sorted { $0.key < $1.key }
        if record.kind == .indicator, let kind = body["kind"], let value = body["value"] {
            singles = singles.filter { $0.0 != "kind" && $0.0 != "value" }
            singles.insert(("identifier", .string("\(kind.stringValue ?? ""): \(value.stringValue ?? "")")), at: 0)
        }
        let fields = singles.map { name, value -> [String: Any] in
            ["name": name.replacingOccurrences(of: "_", with: " "), "value": Self.text(value)]
        }
        let audience = record.label.audience
        let audienceText =
            (audience.nodes.map { "node \($0.prefix(12))" } + audience.communities.map { "community \($0)" }
            + audience.jurisdictions).joined(separator: ", ")
        let path =
            stored.hops == 0
            ? "written here"
            : stored.hops == 1 ? "received from its origin directly" : "received through \(stored.hops - 1) relaying nodes"
        return pages.page(
            "record",
            title: "\(record.kind.rawValue.capitalized) \(record.id.prefix(12))",
            node: node,
            session: session,
            nav: "Records",
            values: [
                "id": record.id, "kind": record.kind.rawValue, "exercise": record.exercise, "origin": record.origin,
                "own": record.origin == node.key.nodeID, "created": record.created.rfc3339,
                "received": stored.received.rfc3339, "sequence": stored.sequence, "path": path,
                "tlp": record.label.tlp.rawValue.uppercased(), "relay": record.label.relay,
                "audience": audienceText.isEmpty ? nil : audienceText, "retractedBy": stored.retractedBy,
                "retractedShort": stored.retractedBy.map { String($0.prefix(12)) }, "retracts": record.retractedRecordID,
                "identifiers": identifiers, "hasIdentifiers": !identifiers.isEmpty, "fields": fields,
                "notice": notice, "message": message,
                "canRetract": record.origin == node.key.nodeID && stored.retractedBy == nil && record.kind != .retraction
                    && (record.kind != .community || session.user.role >= .admin),
            ]
        )
    }

    /// A body value as a person reads it.
    static func text(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): s
        case .integer(let i): String(i)
        case .double(let d): String(d)
        case .bool(let b): b ? "yes" : "no"
        case .null: "none"
        case .object(let members):
            members.sorted { $0.key < $1.key }.map { "\($0.key.replacingOccurrences(of: "_", with: " ")) \(text($0.value))" }
                .joined(separator: ", ")
        case .array(let items): items.map(text).joined(separator: "; ")
        }
    }
}
