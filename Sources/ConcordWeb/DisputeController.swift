import ConcordCore
import ConcordStore
import Foundation
import Hummingbird
import Logging

/// The triage queue of what the public page received, and disputes of flags:
/// `GET /triage`, `POST /triage/{id}/accept`, `POST /triage/{id}/reject`, `GET /disputes`,
/// `POST /disputes/{id}/decision`.
struct DisputeController {
    let node: RunningNode

    func addRoutes(to group: RouterGroup<ConcordRequestContext>) {
        group.get("triage", use: triage)
        group.post("triage/{id}/accept", use: accept)
        group.post("triage/{id}/reject", use: reject)
        group.get("disputes", use: disputes)
        group.post("disputes/{id}/decision", use: decide)
    }

    @Sendable func triage(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        let q = try StrictQuery(request, allowed: ["status"])
        var status: TriageItem.Status? = .pending
        if let text = q["status"] {
            guard text == "all" || TriageItem.Status(rawValue: text) != nil else {
                throw Problem.invalid(pointer: "/status", "is pending, accepted, rejected or all")
            }
            status = TriageItem.Status(rawValue: text)
        }
        let items = try await node.store.triageItems(status: status)
        return Response.json(["items": .array(items.map(\.json))])
    }

    @Sendable func accept(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        let token = try context.require(.analyst)
        let id = try Self.triageID(context)
        let json = try await request.jsonBody(context: context)
        guard let members = json.objectValue else {
            throw Problem.invalid(pointer: "", "expected an object, got \(json.typeName)")
        }
        for key in members.keys.sorted() where !["tlp", "audience", "relay"].contains(key) {
            throw Problem.invalid(pointer: "/" + key, "is not a known field; give only the label (tlp, audience, relay)")
        }
        let (item, records) = try await Self.mapped {
            try await Disputes(node: node).accept(id, label: members, by: "token:" + token.id)
        }
        guard let first = records.first else { throw Problem.conflict("nothing was written") }
        return Response.json(
            ["item": item.json, "record": first.wire, "records": .array(records.map(\.wire))],
            status: .created,
            headers: [.location: "/api/v1/records/\(first.id)"]
        )
    }

    @Sendable func reject(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        let token = try context.require(.analyst)
        let id = try Self.triageID(context)
        let json = try await request.jsonBody(context: context)
        guard let members = json.objectValue else {
            throw Problem.invalid(pointer: "", "expected an object, got \(json.typeName)")
        }
        for key in members.keys.sorted() where key != "note" { throw Problem.invalid(pointer: "/" + key, "is not a known field") }
        guard let note = json["note"]?.stringValue, !note.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty,
            note.utf8.count <= 4096, !note.utf8.contains(0)
        else { throw Problem.invalid(pointer: "/note", "is required: a non-empty reason of at most 4096 bytes") }
        let item = try await Self.mapped { try await Disputes(node: node).reject(id, note: note, by: "token:" + token.id) }
        return Response.json(["item": item.json])
    }

    @Sendable func disputes(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        let q = try StrictQuery(request, allowed: ["direction"])
        let direction = q["direction"] ?? "inbound"
        guard direction == "inbound" || direction == "outbound" else {
            throw Problem.invalid(pointer: "/direction", "is inbound or outbound")
        }
        let own = node.key.nodeID
        let threads = try await Disputes(node: node).threads().filter {
            direction == "inbound" ? $0.addressees.contains(own) : $0.dispute.origin == own
        }
        return Response.json(["disputes": .array(threads.map(\.json))])
    }

    @Sendable func decide(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        let id = try context.parameters.require("id").lowercased()
        guard ByteText.isSHA256Hex(id) else { throw Problem.notFound("no dispute \(id) on this node") }
        let json = try await request.jsonBody(context: context)
        let (decision, withdrawn) = try await Self.mapped { try await Disputes(node: node).decide(id, json: json) }
        context.logger.info("dispute decided", metadata: ["record.id": "\(decision.id)", "withdrawn": "\(withdrawn.count)"])
        return Response.json(
            ["decision": decision.wire, "withdrawn": .array(withdrawn.map(JSONValue.string))],
            status: .created,
            headers: [.location: "/api/v1/records/\(decision.id)"]
        )
    }

    static func triageID(_ context: ConcordRequestContext) throws -> String {
        let id = try context.parameters.require("id").lowercased()
        guard id.utf8.count == 16, id.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
            throw Problem.notFound("no triage item \(id)")
        }
        return id
    }

    /// Runs `body`, answering its failures as problems.
    static func mapped<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch Disputes.Failure.notFound(let detail) {
            throw Problem.notFound(detail)
        } catch Disputes.Failure.conflict(let detail) {
            throw Problem.conflict(detail)
        } catch let error as InputError {
            throw Problem.invalid(error)
        }
    }
}
