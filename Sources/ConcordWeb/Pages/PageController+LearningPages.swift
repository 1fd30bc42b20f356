import ConcordAnalysis
import ConcordCore
import ConcordStore
import Foundation
import Hummingbird

/// The learning pages beyond the main one: an assessment with its peer reviews, pairing offers and their answers,
/// the practice library, and learning exchanges with the programme view. Each reads and writes through
/// `LearningController`, as the API does.
extension PageController {
    func addLearningPageRoutes(to router: Router<ConcordRequestContext>) {
        router.get("learning/assessments/{id}", use: assessmentPage)
        router.post("learning/assessments/{id}/review", use: reviewAssessment)
        router.get("learning/pairings", use: pairingsPage)
        router.post("learning/pairings", use: offerPairing)
        router.post("learning/pairings/{id}/answer", use: answerPairing)
        router.get("learning/library", use: libraryPage)
        router.post("learning/library", use: addToLibrary)
        router.get("learning/exchanges", use: exchangesPage)
        router.post("learning/exchanges", use: planExchangeFromPage)
        router.post("learning/exchanges/{id}/outcome", use: recordExchangeOutcome)
    }

    var learning: LearningController { LearningController(node: node, framework: framework) }

    /// Short names of organisations: their own name in their latest assessment, else the partner names.
    func organisationNames() async throws -> [String: String] {
        var names = try await partnerNames()
        for h in try await LearningController.history(node.store).reversed() {
            if let name = h.assessment.body["organisation"]?.stringValue, !name.isEmpty { names[h.assessment.origin] = name }
        }
        return names
    }

    /// Signs and stores one draft written from a page.
    func writeOne(_ draft: RecordDraft) async throws -> Record {
        guard let (record, _) = try await node.write([draft]).first else { throw Denial.badForm }
        return record
    }

    /// Runs a page's write; on bad input, shows the page again with what went wrong.
    func attempt(_ write: () async throws -> String, page: (String?, String?) async throws -> Response) async throws -> Response {
        do {
            return try await page(try await write(), nil)
        } catch {
            guard let message = Self.describe(error) else { throw error }
            return try await page(nil, message)
        }
    }

    // MARK: - An assessment and its reviews

    @Sendable func assessmentPage(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let session = try await require(request, .analyst)
            return try await assessmentDetail((context.parameters.get("id") ?? "").lowercased(), session: session)
        }
    }

    func assessmentDetail(
        _ id: String,
        session: UserSession,
        notice: String? = nil,
        message: String? = nil
    ) async throws
        -> Response
    {
        guard let (a, reviews) = try await LearningController.history(node.store).first(where: { $0.assessment.id == id }) else {
            throw Problem.notFound("no assessment \(id) on this node")
        }
        let names = try await organisationNames()
        let reviewed: [String: [(String, Int)]] = Dictionary(
            grouping: reviews.flatMap { r in
                (r.body["factors"]?.arrayValue ?? []).compactMap { f -> (String, (String, Int))? in
                    guard let factor = f["factor"]?.stringValue, let stage = f["stage"]?.integerValue else { return nil }
                    return (factor, (names[r.origin] ?? String(r.origin.prefix(10)), Int(stage)))
                }
            },
            by: \.0
        ).mapValues { $0.map(\.1) }
        let rows: [[String: Any]] = (a.body["factors"]?.arrayValue ?? []).map { f in
            let factor = f["factor"]?.stringValue ?? ""
            return [
                "id": factor, "title": framework.factor(factor)?.title ?? factor, "stage": f["stage"]?.integerValue ?? 0,
                "target": f["target"]?.integerValue ?? 0, "confidence": f["confidence"]?.stringValue ?? "",
                "evidence": (f["evidence"]?.arrayValue ?? []).compactMap(\.stringValue),
                "peers": (reviewed[factor] ?? []).map { "\($0.0): \($0.1)" }.joined(separator: "; "),
                "stages": (1...5).map { ["level": $0] },
            ]
        }
        let reviewRows: [[String: Any]] = reviews.map { r in
            [
                "reviewer": names[r.origin] ?? String(r.origin.prefix(10)), "date": String(r.created.rfc3339.prefix(10)),
                "summary": r.body["summary"]?.stringValue ?? "",
            ]
        }
        return pages.page(
            "assessment",
            title: "Assessment of \(a.body["organisation"]?.stringValue ?? names[a.origin] ?? "an organisation")",
            node: node,
            session: session,
            status: message == nil ? .ok : .unprocessableContent,
            nav: "Learning",
            values: [
                "id": a.id, "date": String(a.created.rfc3339.prefix(10)), "framework": a.body["framework"]?.stringValue ?? "",
                "version": a.body["framework_version"]?.stringValue ?? "", "factors": rows, "reviews": reviewRows,
                "hasReviews": !reviewRows.isEmpty, "canReview": a.origin != node.key.nodeID, "notice": notice as Any,
                "message": message as Any,
            ]
        )
    }

    @Sendable func reviewAssessment(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let session = try await require(request, .analyst)
            let form = try await form(request, session)
            let id = (context.parameters.get("id") ?? "").lowercased()
            guard let (a, _) = try await LearningController.history(node.store).first(where: { $0.assessment.id == id }) else {
                throw Problem.notFound("no assessment \(id) on this node")
            }
            var factors: [JSONValue] = []
            for entry in a.body["factors"]?.arrayValue ?? [] {
                guard let factor = entry["factor"]?.stringValue, let stage = Int(form["stage-" + factor] ?? "") else { continue }
                var item: [String: JSONValue] = ["factor": .string(factor), "stage": .integer(Int64(stage))]
                if let comment = form["comment-" + factor], !comment.isEmpty { item["comment"] = .string(comment) }
                factors.append(.object(item))
            }
            let json: JSONValue = ["summary": .string(form["summary"] ?? ""), "factors": .array(factors)]
            return try await attempt {
                let (record, _) = try await learning.review(a, json)
                return "Review \(record.id.prefix(12)) sent."
            } page: { notice, message in
                try await assessmentDetail(id, session: session, notice: notice, message: message)
            }
        }
    }

    // MARK: - Pairings

    @Sendable func pairingsPage(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let session = try await require(request, .analyst)
            return try await pairingList(session: session)
        }
    }

    func pairingList(session: UserSession, notice: String? = nil, message: String? = nil) async throws -> Response {
        let names = try await organisationNames()
        let own = node.key.nodeID
        func name(_ id: String?) -> String { id.map { names[$0] ?? String($0.prefix(10)) } ?? "" }
        let offers: [[String: Any]] = (try await learning.pairingsJSON()["pairings"]?.arrayValue ?? []).map { o in
            let status = o["status"]?.stringValue ?? "offered"
            return [
                "id": o["id"]?.stringValue ?? "", "mentee": name(o["mentee"]?.stringValue),
                "mentor": name(o["mentor"]?.stringValue),
                "factors": (o["factors"]?.arrayValue ?? []).compactMap(\.stringValue).map { framework.factor($0)?.title ?? $0 }
                    .joined(separator: ", "),
                "format": Self.label(o["format"]?.stringValue), "status": status, "note": o["answer_note"]?.stringValue as Any,
                "canAnswer": status == "offered" && o["offered_by"]?.stringValue != own,
            ]
        }
        let proposals: [[String: Any]] = PeerMatching.propose(try await learning.participants()).filter {
            $0.mentee == own || $0.mentor == own
        }.map { p in
            [
                "mentee": name(p.mentee), "mentor": name(p.mentor), "menteeID": p.mentee, "mentorID": p.mentor,
                "factors": p.factors.joined(separator: " "),
                "factorTitles": p.factors.map { framework.factor($0)?.title ?? $0 }
                    .joined(separator: ", "),
                "reasons": p.reasons.joined(separator: "; "),
            ]
        }
        return pages.page(
            "pairings",
            title: "Mentoring pairs",
            node: node,
            session: session,
            status: message == nil ? .ok : .unprocessableContent,
            nav: "Learning",
            values: [
                "offers": offers, "hasOffers": !offers.isEmpty, "proposals": proposals, "hasProposals": !proposals.isEmpty,
                "formats": ExchangeFormat.allCases.map { ["value": $0.rawValue, "label": Self.label($0.rawValue)] },
                "notice": notice as Any, "message": message as Any,
            ]
        )
    }

    @Sendable func offerPairing(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let session = try await require(request, .analyst)
            let form = try await form(request, session)
            var json: [String: JSONValue] = [
                "mentee": .string(form["mentee"] ?? ""), "mentor": .string(form["mentor"] ?? ""),
                "factors": .array((form["factors"] ?? "").split(separator: " ").map { .string(String($0)) }),
                "format": .string(form["format"] ?? "remote_mentoring"), "reasons": ["proposed by matching"],
            ]
            if let note = form["note"], !note.isEmpty { json["note"] = .string(note) }
            return try await attempt {
                let record = try await writeOne(
                    RecordInput.pairingOffer(.object(json), writer: node.key.nodeID, nodeJurisdiction: node.profile.jurisdiction)
                )
                return "Offer \(record.id.prefix(12)) sent."
            } page: { notice, message in
                try await pairingList(session: session, notice: notice, message: message)
            }
        }
    }

    @Sendable func answerPairing(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let session = try await require(request, .analyst)
            let form = try await form(request, session)
            let id = (context.parameters.get("id") ?? "").lowercased()
            var json: [String: JSONValue] = ["status": .string(form["status"] ?? "")]
            if let note = form["note"], !note.isEmpty { json["note"] = .string(note) }
            return try await attempt {
                let (record, _) = try await learning.answer(offer: id, .object(json))
                return "Answer \(record.id.prefix(12)) sent."
            } page: { notice, message in
                try await pairingList(session: session, notice: notice, message: message)
            }
        }
    }

    // MARK: - Practice library

    @Sendable func libraryPage(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let session = try await require(request, .analyst)
            var query: [String: String] = [:]
            for (name, value) in request.uri.queryParameters where ["q", "factor", "kind"].contains(String(name)) {
                if !value.isEmpty { query[String(name)] = String(value) }
            }
            return try await library(session: session, query: query)
        }
    }

    func library(
        session: UserSession,
        query: [String: String],
        notice: String? = nil,
        message: String? = nil,
        form: FormBody? = nil
    ) async throws -> Response {
        let names = try await organisationNames()
        var problem = message
        var hits: [JSONValue] = []
        do {
            hits = try await learning.practicesJSON(StrictQuery(values: query))["practices"]?.arrayValue ?? []
        } catch {
            guard let described = Self.describe(error) else { throw error }
            problem = described
        }
        let rows: [[String: Any]] = hits.map { h in
            [
                "id": h["id"]?.stringValue ?? "", "title": h["title"]?.stringValue ?? "",
                "kind": Self.label(h["kind"]?.stringValue),
                "snippet": h["snippet"]?.stringValue ?? "", "origin": names[h["origin"]?.stringValue ?? ""] ?? "",
                "factors": (h["factors"]?.arrayValue ?? []).compactMap(\.stringValue).map { framework.factor($0)?.title ?? $0 }
                    .joined(separator: ", "),
            ]
        }
        let factorOptions: [[String: Any]] = framework.factors.map {
            ["value": $0.id, "label": $0.title, "selected": query["factor"] == $0.id]
        }
        return pages.page(
            "library",
            title: "Practice library",
            node: node,
            session: session,
            status: problem == nil ? .ok : .unprocessableContent,
            nav: "Learning",
            values: [
                "q": query["q"] ?? "", "factorOptions": factorOptions, "practices": rows, "hasPractices": !rows.isEmpty,
                "searched": !query.isEmpty, "notice": notice as Any, "message": problem as Any,
                "kinds": PracticeKind.allCases.map {
                    ["value": $0.rawValue, "label": Self.label($0.rawValue), "selected": query["kind"] == $0.rawValue]
                },
                "fTitle": form?["title"] ?? "", "fText": form?["text"] ?? "",
            ]
        )
    }

    @Sendable func addToLibrary(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let session = try await require(request, .analyst)
            let form = try await form(request, session)
            var json: [String: JSONValue] = [
                "title": .string(form["title"] ?? ""), "kind": .string(form["kind"] ?? ""), "text": .string(form["text"] ?? ""),
                "tlp": .string(form["tlp"] ?? "green"),
            ]
            let factors = form.all("factor").filter { !$0.isEmpty }
            if !factors.isEmpty { json["factors"] = .array(factors.map(JSONValue.string)) }
            do {
                let record = try await writeOne(RecordInput.practice(.object(json), nodeJurisdiction: node.profile.jurisdiction))
                return try await library(session: session, query: [:], notice: "Added to the library as \(record.id.prefix(12)).")
            } catch {
                guard let message = Self.describe(error) else { throw error }
                return try await library(session: session, query: [:], message: message, form: form)
            }
        }
    }

    // MARK: - Exchanges and the programme

    @Sendable func exchangesPage(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let session = try await require(request, .analyst)
            let by = request.uri.queryParameters["by"].map(String.init) ?? "factor"
            return try await exchangeList(session: session, by: by)
        }
    }

    func exchangeList(
        session: UserSession,
        by: String = "factor",
        notice: String? = nil,
        message: String? = nil
    )
        async throws -> Response
    {
        let names = try await organisationNames()
        let own = node.key.nodeID
        func name(_ id: String) -> String { names[id] ?? String(id.prefix(10)) }
        let exchanges: [[String: Any]] = (try await learning.exchangesJSON()["exchanges"]?.arrayValue ?? []).map { e in
            let participants = (e["participants"]?.arrayValue ?? []).compactMap(\.stringValue)
            return [
                "id": e["id"]?.stringValue ?? "", "title": e["title"]?.stringValue ?? "",
                "format": Self.label(e["format"]?.stringValue),
                "when": [e["start"]?.stringValue, e["end"]?.stringValue].compactMap { $0.map { String($0.prefix(10)) } }
                    .joined(separator: " to "),
                "participants": participants.map(name).joined(separator: ", "), "funder": e["funder"]?.stringValue ?? "",
                "outcomes": (e["outcomes"]?.arrayValue ?? []).map { o in
                    ["by": name(o["by"]?.stringValue ?? ""), "summary": o["summary"]?.stringValue ?? ""]
                },
                "changes": (e["stage_changes"]?.arrayValue ?? []).compactMap { c -> [String: Any]? in
                    guard let change = c["change"]?.integerValue else { return nil }
                    let factor = c["factor"]?.stringValue ?? ""
                    return [
                        "who": name(c["participant"]?.stringValue ?? ""), "factor": framework.factor(factor)?.title ?? factor,
                        "before": c["before"]?.integerValue ?? 0, "after": c["after"]?.integerValue ?? 0,
                        "change": change > 0 ? "+\(change)" : "\(change)",
                    ]
                },
                "mine": participants.contains(own),
            ]
        }
        let grouping = ["funder", "region", "factor"].contains(by) ? by : "factor"
        let programme: [[String: Any]] =
            (try await learning.programmeJSON(StrictQuery(values: ["by": grouping]))["rows"]?
            .arrayValue ?? []).map { row in
                let key = row["key"]?.stringValue ?? ""
                var mean = "–"
                if case .double(let m)? = row["mean_stage_change"] { mean = String(format: "%+.1f", m) }
                return [
                    "key": grouping == "factor" ? (framework.factor(key)?.title ?? key) : key,
                    "exchanges": row["exchanges"]?.integerValue ?? 0, "measured": row["measured"]?.integerValue ?? 0,
                    "mean": mean,
                ]
            }
        var partners: [[String: Any]] = []
        for peer in try await node.store.peers() { partners.append(["id": peer.nodeID, "name": name(peer.nodeID)]) }
        return pages.page(
            "exchanges",
            title: "Learning exchanges",
            node: node,
            session: session,
            status: message == nil ? .ok : .unprocessableContent,
            nav: "Learning",
            values: [
                "exchanges": exchanges, "hasExchanges": !exchanges.isEmpty, "programme": programme,
                "hasProgramme": !programme.isEmpty,
                "groupings": ["funder", "region", "factor"].map { ["value": $0, "selected": $0 == grouping] },
                "partners": partners, "factorOptions": framework.factors.map { ["value": $0.id, "label": $0.title] },
                "formats": ExchangeFormat.allCases.map { ["value": $0.rawValue, "label": Self.label($0.rawValue)] },
                "regions": LearningRegion.allCases.map(\.rawValue), "notice": notice as Any, "message": message as Any,
            ]
        )
    }

    @Sendable func planExchangeFromPage(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let session = try await require(request, .analyst)
            let form = try await form(request, session)
            var json: [String: JSONValue] = [
                "title": .string(form["title"] ?? ""), "format": .string(form["format"] ?? ""),
                "participants": .array(([node.key.nodeID] + form.all("partner").filter { !$0.isEmpty }).map(JSONValue.string)),
                "factors": .array(form.all("factor").filter { !$0.isEmpty }.map(JSONValue.string)),
                "start": .string(form["start"] ?? ""),
            ]
            for key in ["end", "funder", "region"] {
                if let value = form[key], !value.isEmpty { json[key] = .string(value) }
            }
            return try await attempt {
                let record = try await writeOne(
                    RecordInput.exchange(.object(json), writer: node.key.nodeID, nodeJurisdiction: node.profile.jurisdiction)
                )
                return "Exchange \(record.id.prefix(12)) planned."
            } page: { notice, message in
                try await exchangeList(session: session, notice: notice, message: message)
            }
        }
    }

    @Sendable func recordExchangeOutcome(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let session = try await require(request, .analyst)
            let form = try await form(request, session)
            let id = (context.parameters.get("id") ?? "").lowercased()
            var json: [String: JSONValue] = [
                "summary": .string(form["summary"] ?? ""), "completed": .bool(form["completed"] != nil),
            ]
            if let action = form["follow_up"], !action.isEmpty { json["follow_ups"] = [["action": .string(action)]] }
            return try await attempt {
                let (record, _) = try await learning.outcome(of: id, .object(json))
                return "Outcome \(record.id.prefix(12)) recorded."
            } page: { notice, message in
                try await exchangeList(session: session, notice: notice, message: message)
            }
        }
    }
}
