import ConcordAnalysis
import ConcordCore
import ConcordStore
import Foundation
import Hummingbird
import Logging

/// Cross-border action requests (docs/decisions/0005-action-requests.md): `POST /requests` asks another node to
/// act, `GET /requests?direction=inbound|outbound` lists them with their state, `GET /requests/{id}` gives a
/// request's chain, `POST /requests/{id}/responses` answers one addressed to this node. Requests and responses
/// are records, so both nodes hold the same signed history.
struct ActionController {
    let node: RunningNode

    func addRoutes(to group: RouterGroup<ConcordRequestContext>) {
        group.post("requests", use: create)
        group.get("requests", use: list)
        group.get("requests/{id}", use: chain)
        group.post("requests/{id}/responses", use: respond)
        group.post("requests/{id}/escalate", use: escalate)
        group.get("cooperation", use: cooperation)
    }

    /// `GET /cooperation`: per partner and direction, how many requests, how fast acknowledged and actioned,
    /// the share actioned, and how many are open or overdue.
    @Sendable func cooperation(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        _ = try StrictQuery(request, allowed: [])
        let threads = try await ActionThreads.read(node.store).filter { !$0.request.exercise }.map(\.facts)
        let figures = Cooperation.figures(threads, own: node.key.nodeID, now: .now())
        return Response.json([
            "partners": .array(
                figures.map { f in
                    var out: [String: JSONValue] = [
                        "partner": .string(f.partner), "direction": .string(f.direction),
                        "requests": .integer(Int64(f.requests)), "acknowledged": .integer(Int64(f.acknowledged)),
                        "actioned": .integer(Int64(f.actioned)), "declined": .integer(Int64(f.declined)),
                        "open": .integer(Int64(f.open)), "overdue": .integer(Int64(f.overdue)),
                    ]
                    if let m = f.medianSecondsToAcknowledge { out["median_seconds_to_acknowledge"] = .integer(m) }
                    if let m = f.medianSecondsToAction { out["median_seconds_to_action"] = .integer(m) }
                    if let share = f.shareActioned { out["share_actioned"] = .double(share) }
                    return .object(out)
                }
            )
        ])
    }

    @Sendable func create(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        let (record, outcome) = try await Self.send(try await request.jsonBody(context: context), node: node)
        context.logger.info("action request written", metadata: ["record.id": "\(record.id)"])
        return RecordController.created(record, outcome)
    }

    /// Writes this node's request read from `json`; shared with the requests page. A request may name a
    /// directory entry (`provider`) instead of a node: the entry says which node takes requests for it.
    static func send(_ json: JSONValue, node: RunningNode) async throws -> (Record, AppendOutcome) {
        var json = json
        if json["to"] != nil && json["to"] != .null && json["provider"] != nil && json["provider"] != .null {
            throw Problem.invalid(
                pointer: "/provider",
                "give either to or provider, not both: the provider's entry names the node"
            )
        }
        if json["to"] == nil, let provider = json["provider"]?.stringValue, ByteText.isSHA256Hex(provider) {
            guard let entry = try await node.store.record(id: provider), entry.record.kind == .directoryEntry,
                entry.retractedBy == nil, let to = entry.record.body["node"]
            else { throw Problem.invalid(pointer: "/provider", "is not a directory entry held by this node") }
            if case .object(var members) = json {
                members["to"] = to
                json = .object(members)
            }
        }
        let draft = try RecordInput.actionRequest(json, requester: node.key.nodeID, nodeJurisdiction: node.profile.jurisdiction)
        guard let written = try await node.write([draft]).first else {
            throw Problem.malformed("the request could not be written")
        }
        return written
    }

    @Sendable func respond(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        let id = try context.parameters.require("id").lowercased()
        let (record, outcome) = try await Self.answer(id, try await request.jsonBody(context: context), node: node)
        return RecordController.created(record, outcome)
    }

    /// Writes this node's answer to the request `id`; shared with the requests page.
    static func answer(_ id: String, _ json: JSONValue, node: RunningNode) async throws -> (Record, AppendOutcome) {
        guard ByteText.isSHA256Hex(id), let stored = try await node.store.record(id: id), stored.record.kind == .actionRequest
        else {
            throw Problem.notFound("no action request \(id) on this node")
        }
        let draft = try RecordInput.actionResponse(json, to: stored.record, responder: node.key.nodeID)
        guard let written = try await node.write([draft]).first else {
            throw Problem.malformed("the response could not be written")
        }
        return written
    }

    /// `POST /requests/{id}/escalate`: the same request again, immediate, to the addressee's 24/7 point of
    /// contact from the directory, marked as escalating the first. The body may add a `note`.
    @Sendable func escalate(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        let id = try context.parameters.require("id").lowercased()
        let json = try await request.jsonBody(context: context)
        guard let members = json.objectValue else {
            throw Problem.invalid(pointer: "", "expected an object, got \(json.typeName)")
        }
        for key in members.keys.sorted() where key != "note" { throw Problem.invalid(pointer: "/" + key, "is not a known field") }
        let (record, outcome) = try await Self.escalation(of: id, note: json["note"]?.stringValue, node: node)
        context.logger.info("action request escalated", metadata: ["record.id": "\(record.id)", "escalates": "\(id)"])
        return RecordController.created(record, outcome)
    }

    /// Writes the escalation of this node's request `id`; shared with the requests page.
    static func escalation(of id: String, note: String?, node: RunningNode) async throws -> (Record, AppendOutcome) {
        guard ByteText.isSHA256Hex(id), let stored = try await node.store.record(id: id), stored.record.kind == .actionRequest,
            stored.retractedBy == nil
        else { throw Problem.notFound("no action request \(id) on this node") }
        let original = stored.record
        guard original.origin == node.key.nodeID else {
            throw Problem.forbidden("only the node that sent a request escalates it")
        }
        guard !original.exercise else {
            throw Problem.conflict("an exercise request is never escalated: the 24/7 contacts in the directory are real")
        }
        guard let addressee = original.body["to"]?.stringValue else { throw Problem.notFound("request \(id) has no addressee") }
        if let closing = try await ActionThreads.read(node.store).first(where: { $0.request.id == id })?.summary(now: .now()),
            closing["closed"] == .bool(true)
        {
            throw Problem.conflict(
                "request \(id) is closed (\(closing["status"]?.stringValue ?? "answered")): there is nothing to escalate"
            )
        }
        let peers = try await node.store.peers()
        let jurisdiction = peers.first { $0.nodeID == addressee }?.jurisdiction
        let local = Set(peers.filter { $0.jurisdiction != nil && $0.jurisdiction == jurisdiction }.map(\.nodeID))
        let entries = try await Directory.entries(node.store)
        guard let contact = Directory.contact(for: addressee, jurisdiction: jurisdiction, in: entries, localPublishers: local),
            let target = contact.body["node"]?.stringValue
        else {
            throw Problem.conflict(
                "the directory holds no 24/7 point of contact published by \(addressee)"
                    + "\(jurisdiction.map { " or by a peer in \($0)" } ?? ""): "
                    + "ask the member to publish one (POST /api/v1/directory with contact_24_7 true)"
            )
        }
        guard target != node.key.nodeID else {
            throw Problem.conflict(
                "the 24/7 point of contact found for \(addressee) is this node itself: escalate by other means"
            )
        }
        var body: [String: JSONValue] = [
            "action": original.body["action"] ?? .null,
            "to": .string(target),
            "identifiers": original.body["identifiers"] ?? [],
            "reports": original.body["reports"] ?? [],
            "legal_basis": original.body["legal_basis"] ?? .null,
            "urgency": .string(RequestUrgency.immediate.rawValue),
            "escalates": .string(original.id),
            "provider": .string(contact.id),
            "jurisdiction": original.body["jurisdiction"] ?? .null,
        ]
        let due = original.body["due"]?.stringValue ?? "?"
        let text =
            note.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
            ?? "No answer to request \(original.id) due \(due)."
        body["note"] = .string(String(text.prefix(4000)))
        let draft = try RecordInput.actionRequest(
            .object(body),
            requester: node.key.nodeID,
            nodeJurisdiction: node.profile.jurisdiction
        )
        guard let written = try await node.write([draft]).first else {
            throw Problem.malformed("the escalation could not be written")
        }
        return written
    }

    @Sendable func list(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        let q = try StrictQuery(request, allowed: ["direction", "exercise"])
        let direction = q["direction"] ?? "inbound"
        guard direction == "inbound" || direction == "outbound" else {
            throw Problem.invalid(pointer: "/direction", "is inbound or outbound")
        }
        guard let exercise = ["false": false, "true": true][q["exercise"] ?? "false"] else {
            throw Problem.invalid(pointer: "/exercise", "is true (the requests of joint exercises) or false (live ones)")
        }
        let own = node.key.nodeID
        // Live and exercise queues never mix.
        let threads = try await ActionThreads.read(node.store).filter { $0.request.exercise == exercise }
        let now = Timestamp.now()
        let chosen = threads.filter {
            direction == "inbound" ? $0.request.body["to"]?.stringValue == own : $0.request.origin == own
        }
        return Response.json(["requests": .array(chosen.map { $0.summary(now: now) })])
    }

    @Sendable func chain(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        let id = try context.parameters.require("id").lowercased()
        guard let thread = try await ActionThreads.read(node.store).first(where: { $0.request.id == id }) else {
            throw Problem.notFound("no action request \(id) on this node")
        }
        var summary = thread.summary(now: .now()).objectValue ?? [:]
        summary["chain"] = .array(([thread.request] + thread.responses).map(\.wire))
        return Response.json(.object(summary))
    }
}

/// Requests with the responses their addressee wrote, read from the store.
struct ActionThreads {
    let request: Record
    var responses: [Record] = []

    /// Every request held, newest first, each with its addressee's responses in time order. A response from
    /// any other node is not part of the thread.
    static func read(_ store: any RecordStore) async throws -> [ActionThreads] {
        var threads: [String: ActionThreads] = [:]
        var order: [String] = []
        try await store.forEachPage(of: .actionRequest) { page in
            for stored in page where stored.retractedBy == nil {
                threads[stored.record.id] = ActionThreads(request: stored.record)
                order.append(stored.record.id)
            }
        }
        try await store.forEachPage(of: .actionResponse) { page in
            for stored in page {
                guard let id = stored.record.body["request"]?.stringValue, let thread = threads[id],
                    thread.request.body["to"]?.stringValue == stored.record.origin
                else { continue }
                threads[id]?.responses.append(stored.record)
            }
        }
        return order.reversed().compactMap { id in
            threads[id].map {
                var t = $0
                t.responses.sort { $0.created < $1.created }
                return t
            }
        }
    }

    /// What the cooperation figures need of this thread.
    var facts: Cooperation.Thread {
        Cooperation.Thread(
            requester: request.origin,
            addressee: request.body["to"]?.stringValue ?? "",
            created: request.created,
            due: request.body["due"]?.stringValue.flatMap(Timestamp.init(rfc3339:)),
            answers: responses.compactMap { r in
                r.body["status"]?.stringValue.flatMap(ResponseStatus.init(rawValue:)).map {
                    Cooperation.Answer($0, at: r.created)
                }
            }
        )
    }

    /// The request's state: its last answer, whether it is closed, whether it is overdue, and the times taken.
    func summary(now: Timestamp) -> JSONValue {
        let body = request.body
        let due = body["due"]?.stringValue.flatMap(Timestamp.init(rfc3339:))
        let last = responses.last
        let status = last?.body["status"]?.stringValue ?? "open"
        let closed = last.flatMap { $0.body["status"]?.stringValue }.flatMap(ResponseStatus.init(rawValue:))?.closes ?? false
        var out: [String: JSONValue] = [
            "id": .string(request.id),
            "from": .string(request.origin),
            "to": body["to"] ?? .null,
            "action": body["action"] ?? .null,
            "urgency": body["urgency"] ?? .null,
            "legal_basis": body["legal_basis"] ?? .null,
            "identifiers": body["identifiers"] ?? [],
            "created": .string(request.created.rfc3339),
            "status": .string(status),
            "closed": .bool(closed),
            "overdue": .bool(!closed && due.map { $0 < now } == true),
            "responses": .integer(Int64(responses.count)),
        ]
        if let escalates = body["escalates"] { out["escalates"] = escalates }
        if let provider = body["provider"] { out["provider"] = provider }
        if let due { out["due"] = .string(due.rfc3339) }
        if let acknowledged = responses.first {
            out["seconds_to_acknowledge"] = .integer((acknowledged.created.milliseconds - request.created.milliseconds) / 1000)
        }
        if let actioned = responses.first(where: { $0.body["status"] == "actioned" }) {
            out["seconds_to_action"] = .integer((actioned.created.milliseconds - request.created.milliseconds) / 1000)
        }
        return .object(out)
    }
}
