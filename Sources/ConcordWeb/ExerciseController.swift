import ConcordAnalysis
import ConcordCore
import ConcordStore
import Foundation
import Hummingbird

/// Joint exercises: the shipped scenarios, starting an exercise across peers, what each node sees of it, checks
/// inside it, and the scored after-action report.
/// `GET /exercises/scenarios`, `POST|GET /exercises`, `GET /exercises/{id}`, `GET|POST /exercises/{id}/report`,
/// `GET /exercises/{id}/check`.
struct ExerciseController {
    let node: RunningNode
    let scenarios: [ExerciseScenario]
    let framework: CapabilityFramework

    func addRoutes(to group: RouterGroup<ConcordRequestContext>) {
        group.get("exercises/scenarios", use: listScenarios)
        group.post("exercises", use: start)
        group.get("exercises", use: list)
        group.get("exercises/{id}", use: show)
        group.get("exercises/{id}/report", use: report)
        group.post("exercises/{id}/report", use: publish)
        group.get("exercises/{id}/check", use: check)
    }

    @Sendable func listScenarios(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        _ = try StrictQuery(request, allowed: [])
        return Response.json(["scenarios": .array(scenarios.map(Self.summary))])
    }

    static func summary(_ s: ExerciseScenario) -> JSONValue {
        [
            "id": .string(s.id), "version": .string(s.version), "title": .string(s.title), "summary": .string(s.summary),
            "duration_minutes": .integer(Int64(s.durationMinutes)),
            "roles": .array(s.roles.map { ["id": .string($0.id), "title": .string($0.title)] }),
            "injects": .integer(Int64(s.injects.count)), "expectations": .integer(Int64(s.expectations.count)),
        ]
    }

    // MARK: - Starting

    /// Reads a start request: a shipped scenario by id, or a whole scenario object; every role's node must be this
    /// node or one of its peers, and none may be playing in another exercise this node runs.
    static func draft(_ json: JSONValue, scenarios: [ExerciseScenario], node: RunningNode) async throws -> RecordDraft {
        guard var members = json.objectValue else {
            throw Problem.invalid(pointer: "", "expected an object, got \(json.typeName)")
        }
        if let name = members["scenario"]?.stringValue {
            guard let shipped = scenarios.first(where: { $0.id == name }) else {
                throw Problem.invalid(
                    pointer: "/scenario",
                    "\"\(name)\" is not a shipped scenario; use one of \(scenarios.map(\.id).joined(separator: ", ")) or give the scenario itself"
                )
            }
            members["scenario"] = shipped.json
        }
        let draft = try RecordInput.exercise(
            .object(members),
            director: node.key.nodeID,
            nodeJurisdiction: node.profile.jurisdiction
        )
        let peers = Set(try await node.store.peers().map(\.nodeID)).union([node.key.nodeID])
        for (role, player) in (draft.body["roles"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let id = player.stringValue, peers.contains(id) else {
                throw Problem.invalid(
                    pointer: "/roles/\(role)",
                    "is not this node or one of its peers: injects could not reach it"
                )
            }
        }
        let players = Set(RecordInput.exerciseNodes(draft.body.objectValue ?? [:]))
        let start = draft.body["start"]?.stringValue.flatMap(Timestamp.init(rfc3339:)) ?? .now()
        let end = draft.body["end"]?.stringValue.flatMap(Timestamp.init(rfc3339:)) ?? start
        let until = Timestamp(milliseconds: end.milliseconds + max(end.milliseconds - start.milliseconds, 3_600_000))
        for other in try await Exercises.held(node.store, director: node.key.nodeID)
        where !other.cancelled && other.scoredUntil >= start && other.start <= until {
            if let shared = players.intersection(other.roles.values).sorted().first {
                throw Problem.conflict(
                    "\(shared) already plays in \(other.scenario.title) (\(other.id)) at that time; its moves could not be told apart"
                )
            }
        }
        return draft
    }

    @Sendable func start(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        let draft = try await Self.draft(try await request.jsonBody(context: context), scenarios: scenarios, node: node)
        guard let (record, outcome) = try await node.write([draft]).first else {
            throw Problem.malformed("the exercise could not be written")
        }
        // The first injects go out now rather than at the director loop's next turn; a failure is logged there and
        // the loop tries again.
        _ = try? await Exercises.deliverDue(node)
        return RecordController.created(record, outcome)
    }

    // MARK: - Views

    @Sendable func list(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        _ = try StrictQuery(request, allowed: [])
        let now = Timestamp.now()
        let own = node.key.nodeID
        var out: [JSONValue] = []
        var seen = Set<String>()
        for e in try await Exercises.held(node.store, director: own) {
            seen.insert(e.id)
            out.append(
                [
                    "id": .string(e.id), "title": .string(e.scenario.title), "scenario": .string(e.scenario.id),
                    "director": .string(e.director), "status": .string(e.status(at: now)), "start": .string(e.start.rfc3339),
                    "end": .string(e.end.rfc3339), "speed": .integer(Int64(e.speed)), "directing": true,
                    "roles": .object(e.roles.mapValues(JSONValue.string)),
                ]
            )
        }
        for b in try await Exercises.briefs(node.store) where !seen.contains(b.id) {
            out.append(
                [
                    "id": .string(b.id), "title": .string(b.title), "director": .string(b.director),
                    "status": .string(b.end >= now ? "running" : "ended"), "end": .string(b.end.rfc3339),
                    "directing": false, "injects": .integer(Int64(b.injects.count)), "report": .bool(b.report != nil),
                ]
            )
        }
        return Response.json(["exercises": .array(out)])
    }

    static func injectJSON(_ r: Record) -> JSONValue {
        [
            "id": .string(r.id), "inject": r.body["inject"] ?? .null, "title": r.body["title"] ?? .null,
            "message": r.body["message"] ?? .null, "delivered": .string(r.created.rfc3339),
            "scheduled": r.body["scheduled"] ?? .null, "to": r.body["to"] ?? .array([]),
            "records": r.body["records"] ?? .array([]),
        ]
    }

    @Sendable func show(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        _ = try StrictQuery(request, allowed: [])
        return Response.json(try await detail(try context.parameters.require("id").lowercased()))
    }

    /// What this node knows of exercise `id`: everything, with live scores, for its director; the injects
    /// received and the published report's id for a player.
    func detail(_ id: String) async throws -> JSONValue {
        let now = Timestamp.now()
        if let e = try await Exercises.held(node.store, id: id), e.director == node.key.nodeID {
            let injects = try await Exercises.injects(node.store, of: e)
            let scores = try await Exercises.score(e, store: node.store, now: now)
            return [
                "id": .string(e.id), "directing": true, "status": .string(e.status(at: now)),
                "scenario": e.record.body["scenario"] ?? .null, "roles": .object(e.roles.mapValues(JSONValue.string)),
                "start": .string(e.start.rfc3339), "end": .string(e.end.rfc3339), "speed": .integer(Int64(e.speed)),
                "injects": .array(
                    e.scenario.injects.map { i in
                        injects[i.id].map(Self.injectJSON)
                            ?? ["inject": .string(i.id), "title": .string(i.title), "scheduled": .string(e.due(i).rfc3339)]
                    }
                ),
                "scores": .array(scores.map(Exercises.json)),
            ]
        }
        guard let brief = try await Exercises.brief(node.store, id: id, own: node.key.nodeID) else {
            throw Problem.notFound("no exercise \(id) on this node")
        }
        return [
            "id": .string(brief.id), "directing": false, "title": .string(brief.title), "director": .string(brief.director),
            "status": .string(brief.end >= now ? "running" : "ended"), "end": .string(brief.end.rfc3339),
            "injects": .array(brief.injects.sorted { $0.created < $1.created }.map(Self.injectJSON)),
            "report": brief.report.map { .string($0.id) } ?? .null,
        ]
    }

    // MARK: - After-action report

    /// The after-action report as JSON: scores, tallies per node and in all, lessons and the exchanges they
    /// suggest.
    func afterAction(
        title: String,
        scores: [JSONValue],
        lessons: [JSONValue],
        summary: String,
        published: Record?
    )
        -> JSONValue
    {
        let typed = scores.compactMap(Self.entry(from:))
        var perNode: [String: [ExerciseAfterAction.Entry]] = [:]
        for s in typed { perNode[s.node, default: []].append(s) }
        func tally(_ list: [ExerciseAfterAction.Entry]) -> JSONValue {
            let t = ExerciseAfterAction.tally(list)
            return [
                "done": .integer(Int64(t.done)), "partly": .integer(Int64(t.partly)), "missed": .integer(Int64(t.missed)),
                "pending": .integer(Int64(t.pending)), "score": t.score.map(JSONValue.double) ?? .null,
                "median_seconds": t.medianSeconds.map { .integer(Int64($0)) } ?? .null,
            ]
        }
        let seeds = ExerciseAfterAction.seeds(typed).map { seed -> JSONValue in
            [
                "factor": .string(seed.factor), "factor_title": .string(framework.factor(seed.factor)?.title ?? seed.factor),
                "learner": .string(seed.learner), "mentors": .array(seed.mentors.map(JSONValue.string)),
                "exchange": seed.mentors.isEmpty
                    ? .null
                    : [
                        "title": .string("After the exercise \(title): \(framework.factor(seed.factor)?.title ?? seed.factor)"),
                        "format": "remote_mentoring",
                        "participants": .array(([seed.learner] + seed.mentors.prefix(1)).map(JSONValue.string)),
                        "factors": [.string(seed.factor)],
                    ],
            ]
        }
        return [
            "title": .string(title), "summary": .string(summary), "whole": tally(typed),
            "organisations": .object(perNode.mapValues(tally)), "scores": .array(scores), "lessons": .array(lessons),
            "exchange_seeds": .array(seeds), "published": published.map { .string($0.id) } ?? .null,
            "published_at": published.map { .string($0.created.rfc3339) } ?? .null,
        ]
    }

    /// A stored score read back as an after-action entry.
    static func entry(from json: JSONValue) -> ExerciseAfterAction.Entry? {
        guard let node = json["node"]?.stringValue else { return nil }
        return ExerciseAfterAction.Entry(
            node: node,
            factor: json["factor"]?.stringValue,
            outcome: json["outcome"]?.stringValue.flatMap(ExerciseOutcome.init(rawValue:)),
            takenSeconds: json["taken_seconds"]?.integerValue.map(Int.init),
            lesson: json["lesson"]?.stringValue ?? ""
        )
    }

    @Sendable func report(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        _ = try StrictQuery(request, allowed: [])
        return Response.json(try await afterActionReport(try context.parameters.require("id").lowercased()))
    }

    /// The after-action report of exercise `id`: live on the director, as published on a player.
    func afterActionReport(_ id: String) async throws -> JSONValue {
        let brief = try await Exercises.brief(node.store, id: id, own: node.key.nodeID)
        // The director sees the report live until it publishes one; then, like every player, the published one.
        if brief?.report == nil, let e = try await Exercises.held(node.store, id: id), e.director == node.key.nodeID {
            let scores = try await Exercises.score(e, store: node.store)
            return afterAction(
                title: e.scenario.title,
                scores: scores.map(Exercises.json),
                lessons: Self.lessons(scores.map(ExerciseAfterAction.Entry.init)),
                summary: "",
                published: nil
            )
        }
        guard let brief else { throw Problem.notFound("no exercise \(id) on this node") }
        guard let published = brief.report else {
            throw Problem.conflict("the director has not published the after-action report of this exercise yet")
        }
        return afterAction(
            title: brief.title,
            scores: published.body["scores"]?.arrayValue ?? [],
            lessons: published.body["lessons"]?.arrayValue ?? [],
            summary: published.body["summary"]?.stringValue ?? "",
            published: published
        )
    }

    static func lessons(_ entries: [ExerciseAfterAction.Entry]) -> [JSONValue] {
        ExerciseAfterAction.lessons(entries).map { l in
            var out: [String: JSONValue] = ["text": .string(l.text), "nodes": .array(l.nodes.map(JSONValue.string))]
            if let factor = l.factor { out["factor"] = .string(factor) }
            return .object(out)
        }
    }

    @Sendable func publish(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        let (record, outcome) = try await publish(
            try context.parameters.require("id").lowercased(),
            try await request.jsonBody(context: context)
        )
        return RecordController.created(record, outcome)
    }

    /// Publishes the after-action report of an exercise this node directs, closing its scores.
    func publish(_ id: String, _ json: JSONValue) async throws -> (Record, AppendOutcome) {
        guard let e = try await Exercises.held(node.store, id: id), e.director == node.key.nodeID else {
            throw Problem.notFound("this node directs no exercise \(id)")
        }
        guard var members = json.objectValue else {
            throw Problem.invalid(pointer: "", "expected an object, got \(json.typeName)")
        }
        let scores = try await Exercises.score(e, store: node.store)
        // Scores still pending are published as missed: the report closes the exercise's scoring.
        let closed = scores.map { s -> JSONValue in
            var out = Exercises.json(s).objectValue ?? [:]
            if s.outcome == nil {
                out["outcome"] = .string(ExerciseOutcome.missed.rawValue)
                out["detail"] = .string("not done when the report was published; \(s.detail)")
            }
            return .object(out)
        }
        let extra = members["lessons"]?.arrayValue ?? []
        members["lessons"] = .array(Self.lessons(closed.compactMap(Self.entry(from:))) + extra)
        let draft = try RecordInput.exerciseReport(.object(members), of: e.record, scores: closed)
        guard let written = try await node.write([draft]).first else {
            throw Problem.malformed("the report could not be written")
        }
        return written
    }

    // MARK: - Checks inside an exercise

    @Sendable func check(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.checker)
        let q = try StrictQuery(request, allowed: ["kind", "value", "region", "bank", "chain", "platform"])
        let id = try context.parameters.require("id").lowercased()
        // The director checks what the players filed; a player, every exercise record it holds since the
        // exercise's first inject reached it.
        let since: Timestamp
        let players: Set<String>?
        if let e = try await Exercises.held(node.store, id: id), e.director == node.key.nodeID {
            (since, players) = (e.start, e.nodes)
        } else if let brief = try await Exercises.brief(node.store, id: id, own: node.key.nodeID),
            let first = brief.injects.map(\.created).min()
        {
            (since, players) = (first, nil)
        } else {
            throw Problem.notFound("no exercise \(id) on this node")
        }
        guard let kindText = q["kind"], let kind = IdentifierKind(rawValue: kindText) else {
            throw Problem.invalid(
                pointer: "/kind",
                "is one of \(IdentifierKind.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        guard let value = q["value"], !value.isEmpty else { throw Problem.invalid(pointer: "/value", "is required") }
        let identifier: Identifier
        do {
            identifier = try Identifier.normalize(
                kind: kind,
                value: value,
                hints: NormalizationHints(
                    region: q["region"] ?? node.profile.jurisdiction,
                    chain: q["chain"],
                    platform: q["platform"],
                    bank: q["bank"]
                )
            )
        } catch {
            throw Problem.invalid(pointer: "/value", error.reason)
        }
        let found = try await Exercises.matches(identifier, since: since, from: players, store: node.store)
        return Response.json(
            [
                "exercise": .string(id), "kind": .string(kind.rawValue), "value": .string(identifier.canonical),
                "reported": .bool(!found.isEmpty),
                "records": .array(
                    found.map {
                        [
                            "id": .string($0.id), "kind": .string($0.kind.rawValue), "origin": .string($0.origin),
                            "created": .string($0.created.rfc3339),
                        ]
                    }
                ),
            ]
        )
    }
}
