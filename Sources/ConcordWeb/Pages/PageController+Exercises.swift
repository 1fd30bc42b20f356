import ConcordAnalysis
import ConcordCore
import ConcordStore
import Foundation
import Hummingbird

/// The exercise pages: the list with a form to start one, and each exercise as its director or a player sees it
/// (injects, a check inside the exercise, scores, the after-action report and the exchanges it suggests). They
/// read through `ExerciseController`, as the API does.
extension PageController {
    func addExerciseRoutes(to router: Router<ConcordRequestContext>) {
        router.get("exercises", use: exercisesPage)
        router.post("exercises", use: startExercise)
        router.get("exercises/{id}", use: exercisePage)
        router.post("exercises/{id}/report", use: publishExerciseReport)
        router.post("exercises/{id}/exchange", use: planExerciseExchange)
    }

    var exercises: ExerciseController { ExerciseController(node: node, scenarios: scenarios, framework: framework) }

    @Sendable func exercisesPage(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let session = try await require(request, .analyst)
            return try await exerciseList(session: session)
        }
    }

    func exerciseList(
        session: UserSession,
        notice: String? = nil,
        message: String? = nil,
        form: FormBody? = nil
    ) async throws
        -> Response
    {
        let names = try await partnerNames()
        let now = Timestamp.now()
        let own = node.key.nodeID
        var rows: [[String: Any]] = []
        var seen = Set<String>()
        for e in try await Exercises.held(node.store, director: own) {
            seen.insert(e.id)
            rows.append([
                "id": e.id, "title": e.scenario.title, "status": e.status(at: now), "start": e.start.rfc3339,
                "end": e.end.rfc3339,
                "part": "director",
            ])
        }
        for b in try await Exercises.briefs(node.store) where !seen.contains(b.id) {
            rows.append([
                "id": b.id, "title": b.title, "status": b.end >= now ? "running" : "ended", "start": "", "end": b.end.rfc3339,
                "part": "player (director \(names[b.director] ?? String(b.director.prefix(10))))",
            ])
        }
        let chosen = form?["scenario"] ?? scenarios.first?.id ?? ""
        var players: [[String: Any]] = [["id": own, "name": "\(node.profile.organisation) (this node)"]]
        for peer in try await node.store.peers() {
            players.append(["id": peer.nodeID, "name": names[peer.nodeID] ?? String(peer.nodeID.prefix(10))])
        }
        let scenarioRows: [[String: Any]] = scenarios.map { s in
            [
                "id": s.id, "title": s.title, "summary": s.summary, "duration": s.durationMinutes, "selected": s.id == chosen,
                "injects": s.injects.count, "expectations": s.expectations.count,
                "roles": s.roles.map { role -> [String: Any] in
                    let field = "role-\(s.id)-\(role.id)"
                    return [
                        "id": role.id, "title": role.title, "field": field,
                        "players": players.map { p -> [String: Any] in
                            var option = p
                            option["selected"] = form?[field] == p["id"] as? String
                            return option
                        },
                    ]
                },
            ]
        }
        return pages.page(
            "exercises",
            title: "Joint exercises",
            node: node,
            session: session,
            status: message == nil ? .ok : .unprocessableContent,
            nav: "Exercises",
            values: [
                "exercises": rows, "hasExercises": !rows.isEmpty, "scenarios": scenarioRows, "notice": notice as Any,
                "message": message as Any, "speed": form?["speed"] ?? "1",
            ]
        )
    }

    @Sendable func startExercise(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let session = try await require(request, .analyst)
            let form = try await form(request, session)
            let scenario = form["scenario"] ?? ""
            var roles: [String: JSONValue] = [:]
            for role in scenarios.first(where: { $0.id == scenario })?.roles ?? [] {
                if let player = form["role-\(scenario)-\(role.id)"], !player.isEmpty { roles[role.id] = .string(player) }
            }
            var json: [String: JSONValue] = ["scenario": .string(scenario), "roles": .object(roles)]
            if let speed = form["speed"], !speed.isEmpty { json["speed"] = Int64(speed).map(JSONValue.integer) ?? .string(speed) }
            if let note = form["note"], !note.isEmpty { json["note"] = .string(note) }
            do {
                let record = try await writeOne(ExerciseController.draft(.object(json), scenarios: scenarios, node: node))
                _ = try? await Exercises.deliverDue(node)
                return Response(status: .seeOther, headers: [.location: "/exercises/\(record.id)"])
            } catch {
                guard let message = Self.describe(error) else { throw error }
                return try await exerciseList(session: session, message: message, form: form)
            }
        }
    }

    @Sendable func exercisePage(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let session = try await require(request, .analyst)
            let id = (context.parameters.get("id") ?? "").lowercased()
            var query: [String: String] = [:]
            for (name, value) in request.uri.queryParameters { query[String(name)] = String(value) }
            return try await exerciseDetail(id, session: session, query: query)
        }
    }

    func exerciseDetail(
        _ id: String,
        session: UserSession,
        query: [String: String] = [:],
        notice: String? = nil,
        message: String? = nil
    ) async throws -> Response {
        let detail = try await exercises.detail(id)
        let names = try await partnerNames()
        func name(_ node: String?) -> String {
            guard let node else { return "" }
            return names[node] ?? String(node.prefix(10))
        }
        let directing = detail["directing"] == .bool(true)
        let scenario = detail["scenario"]
        let roleTitles = Dictionary(
            (scenario?["roles"]?.arrayValue ?? []).compactMap { r in
                r["id"]?.stringValue.map { ($0, r["title"]?.stringValue ?? $0) }
            },
            uniquingKeysWith: { a, _ in a }
        )
        let injects: [[String: Any]] = (detail["injects"]?.arrayValue ?? []).map { i in
            [
                "title": i["title"]?.stringValue ?? "",
                "message": i["message"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } as Any,
                "delivered": i["delivered"]?.stringValue ?? "", "scheduled": i["scheduled"]?.stringValue ?? "",
                "pending": i["delivered"] == nil,
                "records": (i["records"]?.arrayValue ?? []).compactMap(\.stringValue).map {
                    ["id": $0, "short": String($0.prefix(12))]
                },
            ]
        }
        let expectations = Dictionary(
            (scenario?["expectations"]?.arrayValue ?? []).compactMap { e in e["id"]?.stringValue.map { ($0, e) } },
            uniquingKeysWith: { a, _ in a }
        )
        let scores: [[String: Any]] = (detail["scores"]?.arrayValue ?? []).map { s in
            let e = s["expectation"]?.stringValue.flatMap { expectations[$0] }
            return [
                "title": e?["title"]?.stringValue ?? s["expectation"]?.stringValue ?? "",
                "role": roleTitles[s["role"]?.stringValue ?? ""] ?? "", "organisation": name(s["node"]?.stringValue),
                "outcome": s["outcome"]?.stringValue ?? "pending",
                "minutes": s["taken_seconds"]?.integerValue.map { "\($0 / 60)" } ?? "–",
                "limit": e?["within_minutes"]?.integerValue.map { "\($0)" } ?? "", "detail": s["detail"]?.stringValue ?? "",
            ]
        }
        var values: [String: Any] = [
            "id": id, "directing": directing, "status": detail["status"]?.stringValue ?? "",
            "title": scenario?["title"]?.stringValue ?? detail["title"]?.stringValue ?? "",
            "summary": scenario?["summary"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } as Any,
            "end": detail["end"]?.stringValue as Any,
            "director": name(detail["director"]?.stringValue), "injects": injects, "hasInjects": !injects.isEmpty,
            "scores": scores, "hasScores": !scores.isEmpty, "notice": notice as Any, "message": message as Any,
            "roles": (detail["roles"]?.objectValue ?? [:]).sorted { $0.key < $1.key }.map { role, player -> [String: Any] in
                ["role": roleTitles[role] ?? role, "organisation": name(player.stringValue)]
            },
            "kinds": IdentifierKind.allCases.map { ["value": $0.rawValue, "selected": $0.rawValue == query["kind"]] },
            "checkValue": query["value"] ?? "",
        ]
        if let kind = query["kind"], let value = query["value"], !value.isEmpty,
            let identifierKind = IdentifierKind(rawValue: kind)
        {
            do {
                let identifier = try Identifier.normalize(
                    kind: identifierKind,
                    value: value,
                    hints: NormalizationHints(region: node.profile.jurisdiction)
                )
                let (_, since, players) = try await exerciseScope(id) ?? ("", .now(), nil)
                let found = try await Exercises.matches(identifier, since: since, from: players, store: node.store)
                values["checked"] = true
                values["checkedValue"] = identifier.canonical
                values["checkHits"] = found.map { ["id": $0.id, "short": String($0.id.prefix(12)), "origin": name($0.origin)] }
                values["checkFound"] = !found.isEmpty
            } catch let error as IdentifierError {
                values["message"] = "value: \(error.reason)"
            }
        }
        if let report = try? await exercises.afterActionReport(id) {
            values["report"] = Self.afterActionValues(report, name: name, framework: framework, own: node.key.nodeID)
        }
        return pages.page(
            "exercise",
            title: "Exercise: \(values["title"] as? String ?? "")",
            node: node,
            session: session,
            status: message == nil ? .ok : .unprocessableContent,
            nav: "Exercises",
            values: values
        )
    }

    static func afterActionValues(
        _ report: JSONValue,
        name: (String?) -> String,
        framework: CapabilityFramework,
        own: String
    ) -> [String: Any] {
        func percent(_ v: JSONValue?) -> String {
            guard case .double(let d)? = v else { return "–" }
            return "\(Int((d * 100).rounded())) %"
        }
        func minutes(_ v: JSONValue?) -> String { v?.integerValue.map { "\($0 / 60) min" } ?? "–" }
        let whole = report["whole"]
        let organisations: [[String: Any]] = (report["organisations"]?.objectValue ?? [:]).sorted { $0.key < $1.key }.map {
            node,
            t in
            [
                "organisation": name(node), "done": t["done"]?.integerValue ?? 0, "partly": t["partly"]?.integerValue ?? 0,
                "missed": t["missed"]?.integerValue ?? 0, "score": percent(t["score"]), "median": minutes(t["median_seconds"]),
            ]
        }
        let lessons: [[String: Any]] = (report["lessons"]?.arrayValue ?? []).map { l in
            let factor = l["factor"]?.stringValue
            return [
                "factor": factor.map { framework.factor($0)?.title ?? $0 } ?? "", "text": l["text"]?.stringValue ?? "",
                "organisations": (l["nodes"]?.arrayValue ?? []).map { name($0.stringValue) }.joined(separator: ", "),
            ]
        }
        let seeds: [[String: Any]] = (report["exchange_seeds"]?.arrayValue ?? []).map { s in
            let learner = s["learner"]?.stringValue ?? ""
            let mentors = (s["mentors"]?.arrayValue ?? []).compactMap(\.stringValue)
            let mine = learner == own || mentors.first == own
            return [
                "factor": s["factor_title"]?.stringValue ?? "", "factorID": s["factor"]?.stringValue ?? "",
                "learner": name(learner), "learnerID": learner, "mentor": mentors.first.map { name($0) } ?? "",
                "mentorID": mentors.first ?? "", "canPlan": mine && !mentors.isEmpty, "noMentor": mentors.isEmpty,
            ]
        }
        return [
            "reportSummary": report["summary"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } as Any,
            "done": whole?["done"]?.integerValue ?? 0, "hasPending": (whole?["pending"]?.integerValue ?? 0) > 0,
            "partly": whole?["partly"]?.integerValue ?? 0, "missed": whole?["missed"]?.integerValue ?? 0,
            "pending": whole?["pending"]?.integerValue ?? 0, "score": percent(whole?["score"]),
            "median": minutes(whole?["median_seconds"]),
            "organisations": organisations, "lessons": lessons, "hasLessons": !lessons.isEmpty, "seeds": seeds,
            "hasSeeds": !seeds.isEmpty, "published": report["published_at"]?.stringValue as Any,
        ]
    }

    @Sendable func publishExerciseReport(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let session = try await require(request, .analyst)
            let form = try await form(request, session)
            let id = (context.parameters.get("id") ?? "").lowercased()
            var json: [String: JSONValue] = ["summary": .string(form["summary"] ?? "")]
            if let lesson = form["lesson"], !lesson.isEmpty {
                var entry: [String: JSONValue] = ["text": .string(lesson)]
                if let factor = form["factor"], !factor.isEmpty { entry["factor"] = .string(factor) }
                json["lessons"] = [.object(entry)]
            }
            do {
                let (record, _) = try await exercises.publish(id, .object(json))
                return try await exerciseDetail(
                    id,
                    session: session,
                    notice: "After-action report \(record.id.prefix(12)) published."
                )
            } catch {
                guard let message = Self.describe(error) else { throw error }
                return try await exerciseDetail(id, session: session, message: message)
            }
        }
    }

    @Sendable func planExerciseExchange(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let session = try await require(request, .analyst)
            let form = try await form(request, session)
            let id = (context.parameters.get("id") ?? "").lowercased()
            let detail = try await exercises.detail(id)
            let title = (detail["scenario"]?["title"] ?? detail["title"])?.stringValue ?? "the exercise"
            let json: [String: JSONValue] = [
                "title": .string("After \(title): \(framework.factor(form["factor"] ?? "")?.title ?? form["factor"] ?? "")"),
                "format": .string(form["format"] ?? "remote_mentoring"),
                "participants": [.string(form["learner"] ?? ""), .string(form["mentor"] ?? "")],
                "factors": [.string(form["factor"] ?? "")], "start": .string(form["start"] ?? ""),
            ]
            do {
                let record = try await writeOne(
                    RecordInput.exchange(.object(json), writer: node.key.nodeID, nodeJurisdiction: node.profile.jurisdiction)
                )
                return try await exerciseDetail(
                    id,
                    session: session,
                    notice: "Learning exchange \(record.id.prefix(12)) planned."
                )
            } catch {
                guard let message = Self.describe(error) else { throw error }
                return try await exerciseDetail(id, session: session, message: message)
            }
        }
    }
}
