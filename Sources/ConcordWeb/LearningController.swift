import ConcordAnalysis
import ConcordCore
import ConcordStore
import Foundation
import Hummingbird
import Logging

/// Learning from peers, first part: the capability framework, self-assessments and their peer reviews, the gap
/// view, and mentor matching with pairing offers.
/// `GET /framework`, `POST|GET /assessments`, `GET /assessments/{id}`, `GET /assessments/{id}/gaps`,
/// `POST /assessments/{id}/reviews`, `POST /matching`, `POST|GET /pairings`, `POST /pairings/{id}/responses`.
struct LearningController {
    let node: RunningNode
    let framework: CapabilityFramework

    func addRoutes(to group: RouterGroup<ConcordRequestContext>) {
        group.get("framework", use: frameworkDocument)
        group.post("assessments", use: assess)
        group.get("assessments", use: assessments)
        group.get("assessments/{id}", use: assessment)
        group.get("assessments/{id}/gaps", use: gaps)
        group.post("assessments/{id}/reviews", use: review)
        group.post("matching", use: matching)
        group.post("pairings", use: offer)
        group.get("pairings", use: pairings)
        group.post("pairings/{id}/responses", use: answerOffer)
        group.post("practices", use: addPractice)
        group.get("practices", use: searchPractices)
        group.get("practices/{id}", use: practice)
        group.post("exchanges", use: planExchange)
        group.get("exchanges", use: exchanges)
        group.post("exchanges/{id}/outcomes", use: recordOutcome)
        group.get("programme", use: programme)
    }

    @Sendable func frameworkDocument(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        _ = try StrictQuery(request, allowed: [])
        return Response.json(framework.json)
    }

    // MARK: - Assessments

    /// Reads an assessment, filling the loaded framework's id and version when left out, and checking factor ids
    /// against the framework when it is the loaded one.
    static func draft(_ json: JSONValue, framework: CapabilityFramework, node: RunningNode) throws -> RecordDraft {
        guard var members = json.objectValue else {
            throw Problem.invalid(pointer: "", "expected an object, got \(json.typeName)")
        }
        if members["framework"] == nil {
            members["framework"] = .string(framework.id)
            if members["framework_version"] == nil { members["framework_version"] = .string(framework.version) }
        }
        let draft = try RecordInput.assessment(.object(members), nodeJurisdiction: node.profile.jurisdiction)
        if draft.body["framework"]?.stringValue == framework.id {
            var issues: [FieldIssue] = []
            for (n, entry) in (draft.body["factors"]?.arrayValue ?? []).enumerated() {
                if let id = entry["factor"]?.stringValue, framework.factor(id) == nil {
                    issues.append(
                        FieldIssue(
                            pointer: "/factors/\(n)/factor",
                            detail: "\(id) is not a factor of \(framework.id) \(framework.version)"
                        )
                    )
                }
            }
            if !issues.isEmpty { throw Problem.invalid(InputError(issues: issues)) }
        }
        return draft
    }

    @Sendable func assess(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        let draft = try Self.draft(try await request.jsonBody(context: context), framework: framework, node: node)
        guard let (record, outcome) = try await node.write([draft]).first else {
            throw Problem.malformed("the assessment could not be written")
        }
        return RecordController.created(record, outcome)
    }

    /// Every live assessment held, newest first, with the reviews of each.
    static func history(_ store: any RecordStore) async throws -> [(assessment: Record, reviews: [Record])] {
        var assessments: [Record] = []
        try await store.forEachPage(of: .assessment) { page in
            assessments += page.filter { $0.retractedBy == nil && !$0.record.exercise }.map(\.record)
        }
        var reviews: [String: [Record]] = [:]
        try await store.forEachPage(of: .assessmentReview) { page in
            for stored in page where stored.retractedBy == nil {
                guard let id = stored.record.body["assessment"]?.stringValue else { continue }
                reviews[id, default: []].append(stored.record)
            }
        }
        return assessments.sorted { $0.created > $1.created }.map { a in
            (a, (reviews[a.id] ?? []).filter { $0.origin != a.origin }.sorted { $0.created < $1.created })
        }
    }

    static func summary(_ a: Record, reviews: Int) -> JSONValue {
        let entries = a.body["factors"]?.arrayValue ?? []
        let stages = entries.compactMap { $0["stage"]?.integerValue }
        return [
            "id": .string(a.id), "origin": .string(a.origin), "created": .string(a.created.rfc3339),
            "organisation": a.body["organisation"] ?? .null, "framework": a.body["framework"] ?? .null,
            "framework_version": a.body["framework_version"] ?? .null, "factors": .integer(Int64(entries.count)),
            "mean_stage": stages.isEmpty ? .null : .double(Double(stages.reduce(0, +)) / Double(stages.count)),
            "reviews": .integer(Int64(reviews)), "follows": a.body["follows"] ?? .null,
        ]
    }

    @Sendable func assessments(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        let q = try StrictQuery(request, allowed: ["origin"])
        if let origin = q["origin"], !NodeID.isWellFormed(origin) { throw Problem.invalid(pointer: "/origin", "is a node id") }
        let history = try await Self.history(node.store).filter { q["origin"] == nil || $0.assessment.origin == q["origin"] }
        return Response.json(["assessments": .array(history.map { Self.summary($0.assessment, reviews: $0.reviews.count) })])
    }

    private func held(_ context: ConcordRequestContext) async throws -> (assessment: Record, reviews: [Record]) {
        let id = try context.parameters.require("id").lowercased()
        guard ByteText.isSHA256Hex(id), let found = try await Self.history(node.store).first(where: { $0.assessment.id == id })
        else {
            throw Problem.notFound("no assessment \(id) on this node")
        }
        return found
    }

    @Sendable func assessment(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        let (a, reviews) = try await held(context)
        var out = Self.summary(a, reviews: reviews.count).objectValue ?? [:]
        out["body"] = a.body
        out["label"] = a.label.json
        out["reviews"] = .array(
            reviews.map {
                ["id": .string($0.id), "reviewer": .string($0.origin), "created": .string($0.created.rfc3339), "body": $0.body]
            }
        )
        return Response.json(.object(out))
    }

    static func capability(_ a: Record) -> CapabilityAssessment {
        CapabilityAssessment(
            entries: (a.body["factors"]?.arrayValue ?? []).compactMap { e in
                guard let factor = e["factor"]?.stringValue, let stage = e["stage"]?.integerValue else { return nil }
                return .init(factor: factor, stage: Int(stage), target: Int(e["target"]?.integerValue ?? stage))
            }
        )
    }

    /// Loss per typology over this node's jurisdiction, from its own reports: the weights of the gap view.
    func lossByTypology() -> [Typology: Double] {
        var out: [Typology: Double] = [:]
        for cell in (try? node.analysis.ownLandscape.cells()) ?? [] where cell.jurisdiction == node.profile.jurisdiction {
            out[cell.typology, default: 0] += cell.loss
        }
        return out
    }

    @Sendable func gaps(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        _ = try StrictQuery(request, allowed: [])
        let (a, _) = try await held(context)
        guard a.body["framework"]?.stringValue == framework.id else {
            throw Problem.conflict(
                "the assessment follows \(a.body["framework"]?.stringValue ?? "?"), not the loaded framework \(framework.id)"
            )
        }
        let gaps = CapabilityGaps.gaps(Self.capability(a), framework: framework, lossByTypology: lossByTypology())
        return Response.json([
            "assessment": .string(a.id), "framework": .string(framework.id),
            "gaps": .array(
                gaps.map { g in
                    [
                        "factor": .string(g.factor), "title": .string(framework.factor(g.factor)?.title ?? g.factor),
                        "dimension": .string(g.dimension), "stage": .integer(Int64(g.stage)), "target": .integer(Int64(g.target)),
                        "gap": .integer(Int64(g.gap)), "risk_share": .double(g.riskShare), "weighted": .double(g.weighted),
                    ]
                }
            ),
        ])
    }

    @Sendable func review(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        let (a, _) = try await held(context)
        let (record, outcome) = try await review(a, try await request.jsonBody(context: context))
        return RecordController.created(record, outcome)
    }

    /// Writes this node's review of assessment `a`; shared with the assessment page.
    func review(_ a: Record, _ json: JSONValue) async throws -> (Record, AppendOutcome) {
        let draft = try RecordInput.assessmentReview(json, of: a, reviewer: node.key.nodeID)
        guard let written = try await node.write([draft]).first else {
            throw Problem.malformed("the review could not be written")
        }
        return written
    }

    // MARK: - Matching and pairings

    /// The latest assessment of each organisation against the loaded framework, as matching participants.
    func participants() async throws -> [PeerMatching.Participant] {
        var latest: [String: Record] = [:]
        for (a, _) in try await Self.history(node.store) where a.body["framework"]?.stringValue == framework.id {
            if latest[a.origin] == nil { latest[a.origin] = a }
        }
        return latest.values.sorted { $0.origin < $1.origin }.map { a in
            let c = Self.capability(a)
            // The zone was checked against the known list when the record was admitted.
            let zone = a.body["time_zone"]?.stringValue.flatMap(TimeZone.init(identifier:))
            return PeerMatching.Participant(
                id: a.origin,
                region: a.body["region"]?.stringValue ?? "",
                languages: Set((a.body["languages"]?.arrayValue ?? []).compactMap(\.stringValue)),
                utcOffsetMinutes: (zone?.secondsFromGMT() ?? 0) / 60,
                legalTradition: a.body["legal_tradition"]?.stringValue,
                stages: Dictionary(c.entries.map { ($0.factor, $0.stage) }, uniquingKeysWith: { a, _ in a }),
                targets: Dictionary(c.entries.map { ($0.factor, $0.target) }, uniquingKeysWith: { a, _ in a }),
                capacity: Int(a.body["mentor_capacity"]?.integerValue ?? 0)
            )
        }
    }

    @Sendable func matching(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        let json = try await request.jsonBody(context: context)
        guard let members = json.objectValue else {
            throw Problem.invalid(pointer: "", "expected an object, got \(json.typeName)")
        }
        var options = PeerMatching.Options()
        for key in members.keys.sorted() where !["exclusions", "strength"].contains(key) {
            throw Problem.invalid(pointer: "/" + key, "is not a known field; use exclusions and strength")
        }
        if let strength = json["strength"], strength != .null {
            guard let s = strength.integerValue, (2...5).contains(s) else {
                throw Problem.invalid(pointer: "/strength", "is a stage from 2 to 5")
            }
            options.strength = Int(s)
        }
        if let list = json["exclusions"], list != .null {
            guard let items = list.arrayValue, items.count <= 10_000 else {
                throw Problem.invalid(pointer: "/exclusions", "expected an array of [mentee, mentor] node id pairs")
            }
            for (n, item) in items.enumerated() {
                guard let pair = item.arrayValue?.compactMap(\.stringValue), pair.count == 2, pair.allSatisfy(NodeID.isWellFormed)
                else {
                    throw Problem.invalid(pointer: "/exclusions/\(n)", "expected [mentee, mentor], two node ids")
                }
                options.exclusions.insert(pair)
            }
        }
        let participants = try await participants()
        let pairs = PeerMatching.propose(participants, options: options)
        let names = Dictionary(
            try await Self.history(node.store).map {
                ($0.assessment.origin, $0.assessment.body["organisation"]?.stringValue ?? "")
            },
            uniquingKeysWith: { a, _ in a }
        )
        return Response.json([
            "framework": .string(framework.id), "participants": .integer(Int64(participants.count)),
            "total_benefit": .double(pairs.reduce(0) { $0 + $1.benefit }),
            "pairs": .array(
                pairs.map { p in
                    [
                        "mentee": .string(p.mentee), "mentee_name": .string(names[p.mentee] ?? ""), "mentor": .string(p.mentor),
                        "mentor_name": .string(names[p.mentor] ?? ""), "benefit": .double(p.benefit),
                        "factors": .array(p.factors.map(JSONValue.string)), "reasons": .array(p.reasons.map(JSONValue.string)),
                    ]
                }
            ),
        ])
    }

    @Sendable func offer(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        let draft = try RecordInput.pairingOffer(
            try await request.jsonBody(context: context),
            writer: node.key.nodeID,
            nodeJurisdiction: node.profile.jurisdiction
        )
        guard let (record, outcome) = try await node.write([draft]).first else {
            throw Problem.malformed("the offer could not be written")
        }
        return RecordController.created(record, outcome)
    }

    @Sendable func pairings(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        _ = try StrictQuery(request, allowed: [])
        return Response.json(try await pairingsJSON())
    }

    /// The pairing offers that name this node, newest first, with their answers; shared with the pairings page.
    func pairingsJSON() async throws -> JSONValue {
        var offers: [Record] = []
        try await node.store.forEachPage(of: .pairingOffer) { page in
            offers += page.filter { $0.retractedBy == nil }.map(\.record)
        }
        var answers: [String: Record] = [:]
        try await node.store.forEachPage(of: .pairingResponse) { page in
            for stored in page where stored.retractedBy == nil {
                guard let id = stored.record.body["offer"]?.stringValue, let offer = offers.first(where: { $0.id == id }) else {
                    continue
                }
                let parties = [offer.body["mentee"]?.stringValue, offer.body["mentor"]?.stringValue]
                if parties.contains(stored.record.origin), stored.record.origin != offer.origin, answers[id] == nil {
                    answers[id] = stored.record
                }
            }
        }
        let own = node.key.nodeID
        let mine = offers.filter { $0.body["mentee"]?.stringValue == own || $0.body["mentor"]?.stringValue == own }
        return .object([
            "pairings": .array(
                mine.sorted { $0.created > $1.created }.map { o in
                    var out = o.body.objectValue ?? [:]
                    out["id"] = .string(o.id)
                    out["offered_by"] = .string(o.origin)
                    out["created"] = .string(o.created.rfc3339)
                    out["status"] = answers[o.id]?.body["status"] ?? "offered"
                    if let note = answers[o.id]?.body["note"] { out["answer_note"] = note }
                    return .object(out)
                }
            )
        ])
    }

    @Sendable func answerOffer(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        let id = try context.parameters.require("id").lowercased()
        let (record, outcome) = try await answer(offer: id, try await request.jsonBody(context: context))
        return RecordController.created(record, outcome)
    }

    /// Writes this node's answer to pairing offer `id`, once; shared with the pairings page.
    func answer(offer id: String, _ json: JSONValue) async throws -> (Record, AppendOutcome) {
        guard ByteText.isSHA256Hex(id), let stored = try await node.store.record(id: id), stored.record.kind == .pairingOffer,
            stored.retractedBy == nil
        else {
            throw Problem.notFound("no pairing offer \(id) on this node")
        }
        let own = node.key.nodeID
        var answered = false
        try await node.store.forEachPage(of: .pairingResponse) { page in
            if page.contains(where: {
                $0.retractedBy == nil && $0.record.origin == own && $0.record.body["offer"]?.stringValue == id
            }) {
                answered = true
            }
        }
        if answered { throw Problem.conflict("this node has answered pairing offer \(id) already") }
        let draft = try RecordInput.pairingResponse(json, to: stored.record, responder: node.key.nodeID)
        guard let written = try await node.write([draft]).first else {
            throw Problem.malformed("the answer could not be written")
        }
        return written
    }

    // MARK: - Practice library

    @Sendable func addPractice(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        let draft = try RecordInput.practice(
            try await request.jsonBody(context: context),
            nodeJurisdiction: node.profile.jurisdiction
        )
        guard let (record, outcome) = try await node.write([draft]).first else {
            throw Problem.malformed("the entry could not be written")
        }
        return RecordController.created(record, outcome)
    }

    /// A practice record as listed: everything but the text, with a snippet around the first word found.
    static func practiceSummary(_ record: Record, words: [String], rank: Double?) -> JSONValue {
        var out = record.body.objectValue ?? [:]
        let text = out.removeValue(forKey: "text")?.stringValue ?? ""
        out["id"] = .string(record.id)
        out["origin"] = .string(record.origin)
        out["created"] = .string(record.created.rfc3339)
        out["snippet"] = .string(snippet(text, words: words))
        if let rank { out["rank"] = .double(rank) }
        return .object(out)
    }

    /// About 200 characters of `text` around the first of `words` it holds, or its start.
    static func snippet(_ text: String, words: [String]) -> String {
        let lower = text.lowercased()
        let found = words.compactMap { lower.range(of: $0) }.min { $0.lowerBound < $1.lowerBound }
        guard let found else { return String(text.prefix(200)) }
        let offset = lower.distance(from: lower.startIndex, to: found.lowerBound)
        let start = text.index(text.startIndex, offsetBy: max(0, offset - 80), limitedBy: text.endIndex) ?? text.startIndex
        let piece = text[start...].prefix(200)
        return (start > text.startIndex ? "…" : "") + piece + (piece.endIndex < text.endIndex ? "…" : "")
    }

    @Sendable func searchPractices(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        let q = try StrictQuery(request, allowed: ["q", "factor", "typology", "kind", "limit"])
        return Response.json(try await practicesJSON(q))
    }

    /// Entries of the practice library by words, factor, typology and kind; shared with the library page.
    func practicesJSON(_ q: StrictQuery) async throws -> JSONValue {
        let limit =
            try q["limit"].map { text -> Int in
                guard let n = Int(text), (1...500).contains(n) else { throw Problem.invalid(pointer: "/limit", "is 1 to 500") }
                return n
            } ?? 50
        if let kind = q["kind"], PracticeKind(rawValue: kind) == nil {
            throw Problem.invalid(pointer: "/kind", "is one of \(PracticeKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let typology = q["typology"], Typology(rawValue: typology) == nil {
            throw Problem.invalid(pointer: "/typology", "is not a known typology")
        }
        func keep(_ r: Record) -> Bool {
            (q["factor"].map { (r.body["factors"]?.arrayValue ?? []).contains(.string($0)) } ?? true)
                && (q["typology"].map { (r.body["typologies"]?.arrayValue ?? []).contains(.string($0)) } ?? true)
                && (q["kind"].map { r.body["kind"]?.stringValue == $0 } ?? true)
        }
        var results: [JSONValue] = []
        if let text = q["q"], !text.trimmingCharacters(in: .whitespaces).isEmpty {
            guard text.utf8.count <= 512 else { throw Problem.invalid(pointer: "/q", "is longer than 512 bytes") }
            let words = text.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init)
            for hit in try await node.store.searchPractices(text, limit: 500) {
                guard let stored = try await node.store.record(id: hit.recordID), keep(stored.record) else { continue }
                results.append(Self.practiceSummary(stored.record, words: words, rank: hit.rank))
                if results.count == limit { break }
            }
        } else {
            var all: [Record] = []
            try await node.store.forEachPage(of: .practice) { page in
                all += page.filter { $0.retractedBy == nil && !$0.record.exercise }.map(\.record)
            }
            results = all.filter(keep).sorted { $0.created > $1.created }.prefix(limit).map {
                Self.practiceSummary($0, words: [], rank: nil)
            }
        }
        return ["practices": .array(results)]
    }

    @Sendable func practice(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        let id = try context.parameters.require("id").lowercased()
        guard ByteText.isSHA256Hex(id), let stored = try await node.store.record(id: id), stored.record.kind == .practice,
            stored.retractedBy == nil
        else { throw Problem.notFound("no practice library entry \(id) on this node") }
        var out = stored.record.body.objectValue ?? [:]
        out["id"] = .string(id)
        out["origin"] = .string(stored.record.origin)
        out["created"] = .string(stored.record.created.rfc3339)
        out["label"] = stored.record.label.json
        return Response.json(.object(out))
    }

    // MARK: - Learning exchanges

    @Sendable func planExchange(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        let draft = try RecordInput.exchange(
            try await request.jsonBody(context: context),
            writer: node.key.nodeID,
            nodeJurisdiction: node.profile.jurisdiction
        )
        guard let (record, outcome) = try await node.write([draft]).first else {
            throw Problem.malformed("the exchange could not be written")
        }
        return RecordController.created(record, outcome)
    }

    @Sendable func recordOutcome(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        let id = try context.parameters.require("id").lowercased()
        let (record, outcome) = try await outcome(of: id, try await request.jsonBody(context: context))
        return RecordController.created(record, outcome)
    }

    /// Writes this node's outcome of exchange `id`; shared with the exchanges page.
    func outcome(of id: String, _ json: JSONValue) async throws -> (Record, AppendOutcome) {
        guard ByteText.isSHA256Hex(id), let stored = try await node.store.record(id: id), stored.record.kind == .exchange,
            stored.retractedBy == nil
        else { throw Problem.notFound("no learning exchange \(id) on this node") }
        let draft = try RecordInput.exchangeOutcome(json, of: stored.record, writer: node.key.nodeID)
        guard let written = try await node.write([draft]).first else {
            throw Problem.malformed("the outcome could not be written")
        }
        return written
    }

    /// Every live exchange held, newest first, with its participants' outcomes and the stage changes it was
    /// followed by.
    func exchangeHistory() async throws -> [(exchange: Record, outcomes: [Record], changes: [ExchangeEffects.Change])] {
        var exchanges: [Record] = []
        try await node.store.forEachPage(of: .exchange) { page in
            exchanges += page.filter { $0.retractedBy == nil && !$0.record.exercise }.map(\.record)
        }
        var outcomes: [String: [Record]] = [:]
        try await node.store.forEachPage(of: .exchangeOutcome) { page in
            for stored in page where stored.retractedBy == nil {
                if let id = stored.record.body["exchange"]?.stringValue { outcomes[id, default: []].append(stored.record) }
            }
        }
        let snapshots = try await Self.history(node.store).map { h in
            ExchangeEffects.Snapshot(
                origin: h.assessment.origin,
                created: h.assessment.created,
                follows: h.assessment.body["follows"]?.stringValue,
                stages: Dictionary(
                    Self.capability(h.assessment).entries.map { ($0.factor, $0.stage) },
                    uniquingKeysWith: { a, _ in a }
                )
            )
        }
        return exchanges.sorted { $0.created > $1.created }.map { e in
            let participants = (e.body["participants"]?.arrayValue ?? []).compactMap(\.stringValue)
            // Only a participant's own outcome records count.
            let own = (outcomes[e.id] ?? []).filter { participants.contains($0.origin) }.sorted { $0.created < $1.created }
            let start = e.body["start"]?.stringValue.flatMap(Timestamp.init(rfc3339:)) ?? e.created
            let end = e.body["end"]?.stringValue.flatMap(Timestamp.init(rfc3339:)) ?? start
            let changes = ExchangeEffects.changes(
                exchange: e.id,
                participants: participants,
                factors: (e.body["factors"]?.arrayValue ?? []).compactMap(\.stringValue),
                start: start,
                end: end,
                assessments: snapshots
            )
            return (e, own, changes)
        }
    }

    @Sendable func exchanges(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        _ = try StrictQuery(request, allowed: [])
        return Response.json(try await exchangesJSON())
    }

    /// Every exchange held with its outcomes and stage changes; shared with the exchanges page.
    func exchangesJSON() async throws -> JSONValue {
        let history = try await exchangeHistory()
        return .object([
            "exchanges": .array(
                history.map { h in
                    var out = h.exchange.body.objectValue ?? [:]
                    out["id"] = .string(h.exchange.id)
                    out["planned_by"] = .string(h.exchange.origin)
                    out["outcomes"] = .array(
                        h.outcomes.map { o in
                            var m = o.body.objectValue ?? [:]
                            m["by"] = .string(o.origin)
                            m["created"] = .string(o.created.rfc3339)
                            return .object(m)
                        }
                    )
                    out["stage_changes"] = .array(
                        h.changes.map { c in
                            [
                                "participant": .string(c.participant), "factor": .string(c.factor),
                                "before": c.before.map { .integer(Int64($0)) } ?? .null,
                                "after": c.after.map { .integer(Int64($0)) } ?? .null,
                                "change": c.change.map { .integer(Int64($0)) } ?? .null,
                            ]
                        }
                    )
                    return .object(out)
                }
            )
        ])
    }

    @Sendable func programme(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        return Response.json(try await programmeJSON(try StrictQuery(request, allowed: ["by"])))
    }

    /// Exchanges grouped by funder, region or factor; shared with the exchanges page.
    func programmeJSON(_ q: StrictQuery) async throws -> JSONValue {
        let grouping =
            try q["by"].map { text -> ExchangeEffects.Grouping in
                guard let g = ExchangeEffects.Grouping(rawValue: text) else {
                    throw Problem.invalid(pointer: "/by", "is funder, region or factor")
                }
                return g
            } ?? .funder
        let summaries = try await exchangeHistory().map { h in
            ExchangeEffects.Summary(
                funder: h.exchange.body["funder"]?.stringValue,
                region: h.exchange.body["region"]?.stringValue,
                factors: (h.exchange.body["factors"]?.arrayValue ?? []).compactMap(\.stringValue),
                changes: h.changes
            )
        }
        return .object([
            "by": .string(grouping.rawValue),
            "rows": .array(
                ExchangeEffects.programme(summaries, by: grouping).map { row in
                    [
                        "key": .string(row.key), "exchanges": .integer(Int64(row.exchanges)),
                        "measured": .integer(Int64(row.measured)),
                        "mean_stage_change": row.meanChange.map(JSONValue.double) ?? .null,
                    ]
                }
            ),
        ])
    }
}
