import ConcordAnalysis
import ConcordCore
import ConcordStore
import Foundation
import Hummingbird
import Logging

/// Acting across borders from the pages: the request queues (overdue ones stand out, escalation is one button),
/// cooperation health, the directory, the triage queue of the public page and disputes. Every form goes through
/// the same code as the API.
extension PageController {
    func addActRoutes(to router: Router<ConcordRequestContext>) {
        router.get("requests", use: requests)
        router.post("requests", use: sendRequest)
        router.post("requests/{id}/respond", use: respondToRequest)
        router.post("requests/{id}/escalate", use: escalateRequest)
        router.get("cooperation", use: cooperation)
        router.get("directory", use: directory)
        router.post("directory", use: publishEntry)
        router.get("triage", use: triage)
        router.post("triage/{id}/accept", use: acceptItem)
        router.post("triage/{id}/reject", use: rejectItem)
        router.post("disputes/{id}/decide", use: decideDispute)
    }

    /// A node id as people read it: the organisation or jurisdiction when known, with the id's start.
    func partnerNames() async throws -> [String: String] {
        var names: [String: String] = [:]
        for peer in try await node.store.peers() {
            names[peer.nodeID] = (peer.jurisdiction.map { "\($0) · " } ?? "") + String(peer.nodeID.prefix(10))
        }
        for entry in try await Directory.entries(node.store) {
            if let id = entry.body["node"]?.stringValue, entry.origin == id, let name = entry.body["name"]?.stringValue {
                names[id] = name
            }
        }
        names[node.key.nodeID] = node.profile.organisation
        return names
    }

    static func label(_ text: String?) -> String {
        (text ?? "").replacingOccurrences(of: "_", with: " ")
    }

    static func describe(_ error: any Error) -> String? {
        switch error {
        case let problem as Problem:
            problem.issues.isEmpty ? problem.detail : problem.issues.map { "\($0.pointer): \($0.detail)" }.joined(separator: "; ")
        case let input as InputError: input.issues.map { "\($0.pointer): \($0.detail)" }.joined(separator: "; ")
        default: nil
        }
    }

    // MARK: - Requests

    @Sendable func requests(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let session = try await require(request, .analyst)
            return try await requestsPage(session: session)
        }
    }

    func requestsPage(
        session: UserSession,
        notice: String? = nil,
        message: String? = nil,
        form: FormBody? = nil
    ) async throws -> Response {
        let own = node.key.nodeID
        let now = Timestamp.now()
        let names = try await partnerNames()
        let all = try await ActionThreads.read(node.store)
        func rows(_ inbound: Bool, exercise: Bool = false) -> [[String: Any]] {
            all.filter { $0.request.exercise == exercise }.filter {
                inbound ? $0.request.body["to"]?.stringValue == own : $0.request.origin == own
            }.map { thread in
                let summary = thread.summary(now: now)
                let partner = (inbound ? thread.request.origin : summary["to"]?.stringValue) ?? ""
                let identifiers = (thread.request.body["identifiers"]?.arrayValue ?? []).compactMap { $0["value"]?.stringValue }
                let overdue = summary["overdue"] == .bool(true)
                let closed = summary["closed"] == .bool(true)
                return [
                    "id": thread.request.id, "short": String(thread.request.id.prefix(12)),
                    "partner": names[partner] ?? String(partner.prefix(10)),
                    "action": Self.label(summary["action"]?.stringValue), "urgency": summary["urgency"]?.stringValue ?? "",
                    "basis": Self.label(summary["legal_basis"]?["kind"]?.stringValue),
                    "identifiers": identifiers.joined(separator: ", "),
                    "status": Self.label(summary["status"]?.stringValue), "due": summary["due"]?.stringValue ?? "",
                    "overdue": overdue, "open": !closed, "canEscalate": !inbound && !closed,
                    "escalates": summary["escalates"]?.stringValue.map { String($0.prefix(12)) } as Any,
                    "note": thread.request.body["note"]?.stringValue as Any,
                ]
            }
        }
        let inbound = rows(true)
        let outbound = rows(false)
        // Exercise requests are listed apart and never counted as overdue with the live ones.
        let exerciseRows =
            rows(true, exercise: true).map { $0.merging(["inbound": true]) { a, _ in a } }
            + rows(false, exercise: true).map { $0.merging(["inbound": false, "open": false]) { _, b in b } }
        let entries = try await Directory.entries(node.store).filter { $0.body["node"]?.stringValue != own }
        let providers = entries.map { e -> [String: Any] in
            [
                "id": e.id, "name": e.body["name"]?.stringValue ?? "", "jurisdiction": e.body["jurisdiction"]?.stringValue ?? "",
                "sector": Self.label(e.body["sector"]?.stringValue), "selected": form?["provider"] == e.id,
                "publisher": names[e.origin] ?? String(e.origin.prefix(10)),
                "receiver": e.body["node"]?.stringValue.map { names[$0] ?? String($0.prefix(10)) } ?? "",
            ]
        }
        return pages.page(
            "requests",
            title: "Action requests",
            node: node,
            session: session,
            status: message == nil ? .ok : .unprocessableContent,
            nav: "Requests",
            values: [
                "inbound": inbound, "hasInbound": !inbound.isEmpty, "outbound": outbound, "hasOutbound": !outbound.isEmpty,
                "overdueCount": (inbound + outbound).filter { $0["overdue"] as? Bool == true }.count,
                "hasOverdue": (inbound + outbound).contains { $0["overdue"] as? Bool == true },
                "providers": providers, "hasProviders": !providers.isEmpty, "notice": notice, "message": message,
                "exerciseRequests": exerciseRows, "hasExerciseRequests": !exerciseRows.isEmpty,
                "fExercise": form?["exercise"] == "on",
                "actions": RequestedAction.allCases.map {
                    ["value": $0.rawValue, "label": Self.label($0.rawValue), "selected": form?["action"] == $0.rawValue]
                },
                "bases": LegalBasis.allCases.map {
                    ["value": $0.rawValue, "label": Self.label($0.rawValue), "selected": form?["basis"] == $0.rawValue]
                },
                "urgencies": RequestUrgency.allCases.map {
                    ["value": $0.rawValue, "label": $0.rawValue, "selected": (form?["urgency"] ?? "urgent") == $0.rawValue]
                },
                "fIdentifiers": form?["identifiers"], "fBasisText": form?["basis_text"], "fNote": form?["note"],
                "fTo": form?["to"],
            ]
        )
    }

    @Sendable func sendRequest(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let session = try await require(request, .analyst)
            let form = try await form(request, session)
            let region = node.profile.jurisdiction
            let identifiers: [JSONValue] = (form["identifiers"] ?? "").split(whereSeparator: \.isNewline).compactMap { line in
                let text = line.trimmingCharacters(in: .whitespaces)
                guard !text.isEmpty else { return nil }
                guard let identifier = try? Identifier.normalizeGuessingKind(text, hints: NormalizationHints(region: region))
                else {
                    return ["kind": "phone", "value": .string(text)]  // the reader names the problem
                }
                return ["kind": .string(identifier.kind.rawValue), "value": .string(identifier.canonical)]
            }
            var json: [String: JSONValue] = [
                "action": .string(form["action"] ?? ""), "urgency": .string(form["urgency"] ?? "urgent"),
                "identifiers": .array(identifiers), "legal_basis": ["kind": .string(form["basis"] ?? "")],
            ]
            if let text = form["basis_text"], !text.isEmpty {
                json["legal_basis"] = ["kind": .string(form["basis"] ?? ""), "text": .string(text)]
            }
            if let note = form["note"], !note.isEmpty { json["note"] = .string(note) }
            if form["exercise"] == "on" { json["exercise"] = true }
            if let to = form["to"]?.trimmingCharacters(in: .whitespaces), !to.isEmpty {
                json["to"] = .string(to)
            } else if let provider = form["provider"], !provider.isEmpty {
                json["provider"] = .string(provider)
            }
            do {
                let (record, _) = try await ActionController.send(.object(json), node: node)
                return try await requestsPage(session: session, notice: "Request \(record.id.prefix(12)) sent.")
            } catch {
                guard let message = Self.describe(error) else { throw error }
                return try await requestsPage(session: session, message: message, form: form)
            }
        }
    }

    @Sendable func respondToRequest(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let session = try await require(request, .analyst)
            let form = try await form(request, session)
            let id = (context.parameters.get("id") ?? "").lowercased()
            var json: [String: JSONValue] = ["status": .string(form["status"] ?? "")]
            if let detail = form["detail"], !detail.isEmpty { json["detail"] = .string(detail) }
            if let amount = form["amount"], !amount.isEmpty {
                json["amount"] = ["amount": .string(amount), "currency": .string((form["currency"] ?? "").uppercased())]
            }
            do {
                _ = try await ActionController.answer(id, .object(json), node: node)
                return try await requestsPage(session: session, notice: "Answer to \(id.prefix(12)) sent.")
            } catch {
                guard let message = Self.describe(error) else { throw error }
                return try await requestsPage(session: session, message: message)
            }
        }
    }

    @Sendable func escalateRequest(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let session = try await require(request, .analyst)
            _ = try await form(request, session)
            let id = (context.parameters.get("id") ?? "").lowercased()
            do {
                let (record, _) = try await ActionController.escalation(of: id, note: nil, node: node)
                return try await requestsPage(
                    session: session,
                    notice: "Escalated to the 24/7 point of contact as request \(record.id.prefix(12))."
                )
            } catch {
                guard let message = Self.describe(error) else { throw error }
                return try await requestsPage(session: session, message: message)
            }
        }
    }

    // MARK: - Cooperation health

    @Sendable func cooperation(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let session = try await require(request, .analyst)
            let names = try await partnerNames()
            let threads = try await ActionThreads.read(node.store).filter { !$0.request.exercise }.map(\.facts)
            let figures = Cooperation.figures(threads, own: node.key.nodeID, now: .now())
            func duration(_ seconds: Int64?) -> String {
                guard let seconds else { return "–" }
                if seconds < 3600 { return "\(max(1, seconds / 60)) min" }
                if seconds < 172_800 { return String(format: "%.1f h", Double(seconds) / 3600) }
                return String(format: "%.1f days", Double(seconds) / 86_400)
            }
            let rows = figures.map { f -> [String: Any] in
                let health: (String, String) =
                    f.overdue > 0
                    ? ("\(f.overdue) overdue", "unhealthy")
                    : (f.shareActioned.map { $0 >= 0.5 ? ("good", "healthy") : ("few actioned", "unhealthy") } ?? (
                        "no answers yet", ""
                    ))
                return [
                    "partner": names[f.partner] ?? String(f.partner.prefix(10)),
                    "direction": f.direction == "outbound" ? "we asked" : "they asked",
                    "requests": f.requests, "acknowledged": f.acknowledged, "actioned": f.actioned, "declined": f.declined,
                    "open": f.open,
                    "overdue": f.overdue, "ack": duration(f.medianSecondsToAcknowledge), "act": duration(f.medianSecondsToAction),
                    "share": f.shareActioned.map { "\(Int(($0 * 100).rounded())) %" } ?? "–", "health": health.0,
                    "healthClass": health.1,
                ]
            }
            return pages.page(
                "cooperation",
                title: "Cooperation health",
                node: node,
                session: session,
                nav: "Cooperation",
                values: ["rows": rows, "hasRows": !rows.isEmpty]
            )
        }
    }

    // MARK: - Directory

    @Sendable func directory(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let session = try await require(request, .analyst)
            return try await directoryPage(session: session)
        }
    }

    func directoryPage(
        session: UserSession,
        notice: String? = nil,
        message: String? = nil,
        form: FormBody? = nil
    ) async throws -> Response {
        let measured = try await Directory.measured(node)
        let entries = try await Directory.entries(node.store).map { e -> [String: Any] in
            let m = e.body["node"]?.stringValue.flatMap { measured[$0] }
            func hours(_ s: Int64?) -> String { s.map { String(format: "%.1f h", Double($0) / 3600) } ?? "–" }
            return [
                "name": e.body["name"]?.stringValue ?? "", "sector": Self.label(e.body["sector"]?.stringValue),
                "jurisdiction": e.body["jurisdiction"]?.stringValue ?? "", "contact247": e.body["contact_24_7"] == .bool(true),
                "accepts": (e.body["accepts"]?.arrayValue ?? []).compactMap(\.stringValue).map(Self.label).joined(
                    separator: ", "
                ),
                "languages": (e.body["languages"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", "),
                "expected": e.body["expected_hours"]?.integerValue.map { "\($0) h" } ?? "–",
                "requests": m?.requests ?? 0, "ack": hours(m?.medianSecondsToAcknowledge), "act": hours(m?.medianSecondsToAction),
                "share": m?.shareActioned.map { "\(Int(($0 * 100).rounded())) %" } ?? "–",
                "channel": [
                    e.body["channels"]?["phone"]?.stringValue, e.body["channels"]?["email"]?.stringValue,
                    e.body["channels"]?["url"]?.stringValue,
                ]
                .compactMap { $0 }.joined(separator: " · "),
            ]
        }
        return pages.page(
            "directory",
            title: "Whom to ask",
            node: node,
            session: session,
            status: message == nil ? .ok : .unprocessableContent,
            nav: "Directory",
            values: [
                "entries": entries, "hasEntries": !entries.isEmpty, "notice": notice, "message": message,
                "sectors": ProviderSector.allCases.map {
                    ["value": $0.rawValue, "label": Self.label($0.rawValue), "selected": form?["sector"] == $0.rawValue]
                },
                "bases": LegalBasis.allCases.map { ["value": $0.rawValue, "label": Self.label($0.rawValue)] },
                "fName": form?["name"], "fLanguages": form?["languages"], "fHours": form?["expected_hours"],
                "fPhone": form?["phone"],
                "fEmail": form?["email"],
            ]
        )
    }

    @Sendable func publishEntry(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let session = try await require(request, .analyst)
            let form = try await form(request, session)
            var json: [String: JSONValue] = [
                "name": .string(form["name"] ?? ""), "sector": .string(form["sector"] ?? ""),
                "contact_24_7": .bool(form["contact_24_7"] == "on"),
                "accepts": .array(form.all("accepts").map(JSONValue.string)),
                "languages": .array(
                    (form["languages"] ?? "").split(whereSeparator: { $0 == "," || $0 == " " }).map { .string(String($0)) }
                ),
            ]
            if let hours = form["expected_hours"], !hours.isEmpty {
                json["expected_hours"] = Int64(hours).map(JSONValue.integer) ?? .string(hours)
            }
            var channels: [String: JSONValue] = [:]
            for name in ["phone", "email"] where !(form[name] ?? "").isEmpty { channels[name] = .string(form[name] ?? "") }
            json["channels"] = .object(channels)
            do {
                let draft = try RecordInput.directoryEntry(
                    .object(json),
                    writer: node.key.nodeID,
                    nodeJurisdiction: node.profile.jurisdiction
                )
                _ = try await node.write([draft])
                return try await directoryPage(
                    session: session,
                    notice: "Entry published; peers receive it with their next pull."
                )
            } catch {
                guard let message = Self.describe(error) else { throw error }
                return try await directoryPage(session: session, message: message, form: form)
            }
        }
    }

    // MARK: - Triage and disputes

    @Sendable func triage(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let session = try await require(request, .analyst)
            return try await triagePage(session: session)
        }
    }

    func triagePage(session: UserSession, notice: String? = nil, message: String? = nil) async throws -> Response {
        let own = node.key.nodeID
        let names = try await partnerNames()
        let items = try await node.store.triageItems(status: .pending).map { item -> [String: Any] in
            let b = item.body
            let identifiers = (b["identifiers"]?.arrayValue ?? (b["identifier"].map { [$0] } ?? [])).compactMap {
                $0["value"]?.stringValue
            }
            return [
                "id": item.id, "isReport": item.kind == .report, "received": item.received.rfc3339,
                "typology": Self.label(b["typology"]?.stringValue), "identifiers": identifiers.joined(separator: ", "),
                "text": (b["narrative"] ?? b["statement"])?.stringValue ?? "", "contact": b["contact"]?.stringValue as Any,
                "loss": b["loss"].map { "\($0["amount"]?.stringValue ?? "") \($0["currency"]?.stringValue ?? "")" } as Any,
                "when": b["occurred_at"]?.stringValue.map { String($0.prefix(10)) } as Any, "lang": b["lang"]?.stringValue ?? "",
            ]
        }
        let threads = try await Disputes(node: node).threads()
        let inbound = threads.filter { $0.addressees.contains(own) }.map { t -> [String: Any] in
            let mine = t.decisions.first { $0.origin == own }
            return [
                "id": t.dispute.id, "from": names[t.dispute.origin] ?? String(t.dispute.origin.prefix(10)),
                "identifier": t.dispute.body["identifier"]?["value"]?.stringValue ?? "",
                "statement": t.dispute.body["statement"]?.stringValue ?? "",
                "created": t.dispute.created.rfc3339, "open": mine == nil,
                "decided": mine.map { "\($0.body["outcome"]?.stringValue ?? ""): \($0.body["reason"]?.stringValue ?? "")" }
                    as Any,
            ]
        }
        let outbound = threads.filter { $0.dispute.origin == own }.map { t -> [String: Any] in
            [
                "identifier": t.dispute.body["identifier"]?["value"]?.stringValue ?? "", "created": t.dispute.created.rfc3339,
                "decisions": t.decisions.map { d in
                    "\(names[d.origin] ?? String(d.origin.prefix(10))): \(d.body["outcome"]?.stringValue ?? "") (\(d.body["reason"]?.stringValue ?? ""))"
                }.joined(separator: "; "),
                "awaiting": t.addressees.filter { a in !t.decisions.contains { $0.origin == a } }.map {
                    names[$0] ?? String($0.prefix(10))
                }
                .joined(separator: ", "),
            ]
        }
        return pages.page(
            "triage",
            title: "Triage and disputes",
            node: node,
            session: session,
            status: message == nil ? .ok : .unprocessableContent,
            nav: "Triage",
            values: [
                "items": items, "hasItems": !items.isEmpty, "inbound": inbound, "hasInbound": !inbound.isEmpty,
                "outbound": outbound,
                "hasOutbound": !outbound.isEmpty, "notice": notice, "message": message,
            ]
        )
    }

    private func triageAction(
        _ request: Request,
        _ context: ConcordRequestContext,
        _ body: (FormBody, String, UserSession) async throws -> String
    )
        async -> Response
    {
        await guarded(request) {
            let session = try await require(request, .analyst)
            let form = try await form(request, session)
            let id = (context.parameters.get("id") ?? "").lowercased()
            do {
                return try await triagePage(session: session, notice: try await body(form, id, session))
            } catch Disputes.Failure.conflict(let detail), Disputes.Failure.notFound(let detail) {
                return try await triagePage(session: session, message: detail)
            } catch {
                guard let message = Self.describe(error) else { throw error }
                return try await triagePage(session: session, message: message)
            }
        }
    }

    @Sendable func acceptItem(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await triageAction(request, context) { form, id, session in
            let label: [String: JSONValue] = (form["tlp"] ?? "").isEmpty ? [:] : ["tlp": .string(form["tlp"] ?? "")]
            let (item, records) = try await Disputes(node: node).accept(id, label: label, by: session.user.username)
            let first = records.first.map { String($0.id.prefix(12)) } ?? "?"
            return item.kind == .report
                ? "Report accepted as record \(first)."
                : "Dispute sent to the \(records.count) node(s) that flagged it, one record each (first \(first))."
        }
    }

    @Sendable func rejectItem(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await triageAction(request, context) { form, id, session in
            let note = (form["note"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard !note.isEmpty, note.utf8.count <= 4096, !note.utf8.contains(0) else {
                throw InputError(pointer: "/note", detail: "say why it is rejected, in at most 4096 bytes")
            }
            _ = try await Disputes(node: node).reject(id, note: note, by: session.user.username)
            return "Rejected; nothing was shared."
        }
    }

    @Sendable func decideDispute(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await triageAction(request, context) { form, id, _ in
            let json: JSONValue = ["outcome": .string(form["outcome"] ?? ""), "reason": .string(form["reason"] ?? "")]
            let (_, withdrawn) = try await Disputes(node: node).decide(id, json: json)
            return form["outcome"] == "retracted"
                ? "Retracted: \(withdrawn.count) record(s) withdrawn; checks change on every node that holds them."
                : "Upheld; the node that filed the dispute receives the reason."
        }
    }
}
