import ConcordAnalysis
import ConcordCore
import ConcordStore
import Foundation
import Logging
import ServiceLifecycle

/// A joint exercise as this node holds it: the director's `exercise` record, read back.
struct HeldExercise: Sendable {
    let record: Record
    let scenario: ExerciseScenario
    /// Role id to node id.
    let roles: [String: String]
    let start: Timestamp
    let end: Timestamp
    let speed: Int
    let cancelled: Bool

    var id: String { record.id }
    var director: String { record.origin }
    var nodes: Set<String> { Set(roles.values).union([director]) }

    init?(_ stored: StoredRecord) {
        let record = stored.record
        guard record.kind == .exercise, record.exercise, let json = record.body["scenario"],
            let scenario = try? ExerciseScenario(json: json),
            let start = record.body["start"]?.stringValue.flatMap(Timestamp.init(rfc3339:)),
            let end = record.body["end"]?.stringValue.flatMap(Timestamp.init(rfc3339:))
        else { return nil }
        self.record = record
        self.scenario = scenario
        self.roles = (record.body["roles"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
        self.start = start
        self.end = end
        self.speed = Int(record.body["speed"]?.integerValue ?? 1)
        self.cancelled = stored.retractedBy != nil
    }

    /// Until when players' moves are scored: after the end, a grace period as long as the exercise (at least an
    /// hour), for moves made late.
    var scoredUntil: Timestamp {
        Timestamp(milliseconds: end.milliseconds + max(end.milliseconds - start.milliseconds, 3_600_000))
    }

    /// scheduled, running, ended or cancelled.
    func status(at now: Timestamp) -> String {
        if cancelled { return "cancelled" }
        if now < start { return "scheduled" }
        return now <= end ? "running" : "ended"
    }

    /// The roles `node` plays.
    func roles(of node: String) -> [String] { roles.filter { $0.value == node }.map(\.key).sorted() }

    /// When an inject is due, in real time.
    func due(_ inject: ExerciseScenario.Inject) -> Timestamp {
        Timestamp(milliseconds: start.milliseconds + Int64(inject.atMinutes) * 60_000 / Int64(max(1, speed)))
    }

    /// The nodes an inject goes to.
    func nodes(of inject: ExerciseScenario.Inject) -> [String] {
        Array(Set(inject.to.compactMap { roles[$0] })).sorted()
    }
}

/// An exercise as a player holds it: the injects that reached it, and the director's latest after-action report.
struct ExerciseBrief: Sendable {
    let id: String
    let director: String
    let title: String
    let end: Timestamp
    var injects: [Record] = []
    var report: Record?
}

/// Reading, running and scoring joint exercises from the records a node holds.
enum Exercises {
    /// The exercises this node directs, newest first. Other nodes' `exercise` records (RED to their writers, so
    /// only ever held when a peer sends one anyway) are not read.
    static func held(_ store: SQLStore, director: String) async throws -> [HeldExercise] {
        // Through the partial index on exercise records: the director's loop asks twice a second.
        let out = try await store.exerciseRecords(since: Timestamp(milliseconds: 0), kinds: [.exercise])
        return out.filter { $0.record.origin == director }.compactMap(HeldExercise.init).sorted { $0.start > $1.start }
    }

    /// The exercise `id`, if held.
    static func held(_ store: SQLStore, id: String) async throws -> HeldExercise? {
        guard ByteText.isSHA256Hex(id), let stored = try await store.record(id: id) else { return nil }
        return HeldExercise(stored)
    }

    /// The inject records of an exercise, by inject id: only the director's count.
    static func injects(_ store: SQLStore, of exercise: HeldExercise) async throws -> [String: Record] {
        var out: [String: Record] = [:]
        for stored in try await store.exerciseRecords(since: exercise.start, kinds: [.exerciseInject])
        where stored.record.origin == exercise.director && stored.record.body["exercise"]?.stringValue == exercise.id {
            if let inject = stored.record.body["inject"]?.stringValue, out[inject] == nil { out[inject] = stored.record }
        }
        return out
    }

    /// The directors of the exercises running now in which `node` plays: the writers of injects addressed to it
    /// that are peers of it, whose exercise has not ended (and ends within a week of the inject), at most eight.
    static func runningDirectors(_ store: SQLStore, for node: String, now: Timestamp = .now()) async throws -> Set<String> {
        let peers = Set(try await store.peers().map(\.nodeID))
        var found: [(Timestamp, String)] = []
        for brief in try await briefs(store) where brief.end >= now && brief.director != node && peers.contains(brief.director) {
            let addressed = brief.injects.filter { inject in
                let scheduled = inject.body["scheduled"]?.stringValue.flatMap(Timestamp.init(rfc3339:)) ?? inject.created
                return (inject.body["to"]?.arrayValue ?? []).contains(.string(node))
                    && brief.end.milliseconds <= scheduled.milliseconds + 7 * 86_400_000
            }
            if let latest = addressed.map(\.created).max() { found.append((latest, brief.director)) }
        }
        return Set(found.sorted { $0.0 > $1.0 }.prefix(8).map(\.1))
    }

    /// The exercises as a player sees them: the injects received and the after-action report, by exercise and by
    /// the node that wrote them. A player cannot see the `exercise` record, so it cannot tell the director from a
    /// peer that writes inject records under the same exercise id; each writer's records stay apart and show
    /// under its own name.
    static func briefs(_ store: SQLStore) async throws -> [ExerciseBrief] {
        var out: [String: ExerciseBrief] = [:]
        let records = try await store.exerciseRecords(
            since: Timestamp(milliseconds: 0),
            kinds: [.exerciseInject, .exerciseReport]
        )
        for stored in records where stored.retractedBy == nil && stored.record.kind == .exerciseInject {
            let r = stored.record
            guard let id = r.body["exercise"]?.stringValue else { continue }
            let key = id + "/" + r.origin
            let end = r.body["end"]?.stringValue.flatMap(Timestamp.init(rfc3339:)) ?? r.created
            var brief =
                out[key]
                ?? ExerciseBrief(id: id, director: r.origin, title: r.body["exercise_title"]?.stringValue ?? "", end: end)
            brief.injects.append(r)
            out[key] = brief
        }
        for stored in records where stored.retractedBy == nil && stored.record.kind == .exerciseReport {
            let r = stored.record
            guard let id = r.body["exercise"]?.stringValue, var brief = out[id + "/" + r.origin] else { continue }
            if brief.report.map({ $0.created <= r.created }) ?? true { brief.report = r }
            out[id + "/" + r.origin] = brief
        }
        return out.values.sorted { ($0.end, $0.director) > ($1.end, $1.director) }
    }

    /// The brief of exercise `id`: the director's own when this node directs it, else the one from the writer whose
    /// first inject came first.
    static func brief(_ store: SQLStore, id: String, own: String) async throws -> ExerciseBrief? {
        let candidates = try await briefs(store).filter { $0.id == id }
        if let mine = candidates.first(where: { $0.director == own }) { return mine }
        return candidates.min { ($0.injects.map(\.created).min() ?? .now()) < ($1.injects.map(\.created).min() ?? .now()) }
    }

    /// Writes every inject of the exercises this node directs that is due and not yet written: its reports and
    /// requests, then the inject record naming them, in one append. One delivery runs at a time, and each record
    /// is signed at the inject's due time, so a second writer (another replica) writes the very same records,
    /// which the store keeps once. An inject missed while the node was down goes out when it is back, even after
    /// the exercise's end (until a week after). A failing exercise does not hold up the others.
    static func deliverDue(_ node: RunningNode, now: Timestamp = .now()) async throws -> Int {
        try await node.exerciseLock.withLock {
            var delivered = 0
            for exercise in try await held(node.store, director: node.key.nodeID)
            where !exercise.cancelled && exercise.start <= now && now.milliseconds <= exercise.end.milliseconds + 7 * 86_400_000 {
                do {
                    let done = try await injects(node.store, of: exercise)
                    for inject in exercise.scenario.injects where done[inject.id] == nil && exercise.due(inject) <= now {
                        try await deliver(inject, of: exercise, node: node)
                        delivered += 1
                    }
                } catch {
                    node.logger.warning(
                        "an exercise inject could not be delivered",
                        metadata: ["exercise": "\(exercise.id)", "error": "\(error)"]
                    )
                }
            }
            return delivered
        }
    }

    private static func deliver(_ inject: ExerciseScenario.Inject, of exercise: HeldExercise, node: RunningNode) async throws {
        let targets = exercise.nodes(of: inject)
        let at = exercise.due(inject)
        let label = RecordInput.exerciseLabel(nodes: Set(targets).union([exercise.director]))
        var drafts: [RecordDraft] = []
        for body in inject.reports {
            var input = body.objectValue ?? [:]
            input["tlp"] = .string(label.tlp.rawValue)
            input["audience"] = ["nodes": .array(label.audience.nodes.map(JSONValue.string))]
            input["relay"] = false
            input["exercise"] = true
            drafts.append(try RecordInput.report(.object(input), nodeJurisdiction: exercise.scenario.jurisdiction))
        }
        if let request = inject.request {
            let due = Timestamp(
                milliseconds: at.milliseconds + Int64(request.dueMinutes) * 60_000 / Int64(max(1, exercise.speed))
            )
            for target in targets where target != exercise.director {
                var input: [String: JSONValue] = [
                    "action": .string(request.action.rawValue), "to": .string(target), "identifiers": .array(request.identifiers),
                    "legal_basis": request.legalBasis, "urgency": .string(request.urgency.rawValue), "due": .string(due.rfc3339),
                    "note": .string("EXERCISE \(exercise.scenario.title): \(inject.title)"), "tlp": "red",
                    "audience": ["nodes": .array([target, exercise.director].map(JSONValue.string))], "exercise": true,
                ]
                if let note = request.note { input["note"] = .string("EXERCISE: \(note)") }
                drafts.append(
                    try RecordInput.actionRequest(
                        .object(input),
                        requester: exercise.director,
                        nodeJurisdiction: exercise.scenario.jurisdiction,
                        now: at
                    )
                )
            }
        }
        let content = await RecordDraft.signAll(drafts, with: node.key, at: at)
        let marker = RecordInput.exerciseInject(
            exercise: exercise.record,
            inject: inject,
            to: targets,
            scheduled: at,
            records: content.map(\.id)
        )
        _ = try await node.append(content + [marker.sign(with: node.key, at: at)])
    }

    // MARK: - Scoring

    /// The exercise as it ran so far, with what participants did, scored at `now`.
    static func score(_ exercise: HeldExercise, store: SQLStore, now: Timestamp = .now()) async throws -> [ExerciseScoring.Score]
    {
        let injects = try await injects(store, of: exercise)
        // Moves count from the start to the end of the grace period, so a later run of the same scenario by the same
        // players is not scored here.
        let records = try await store.exerciseRecords(
            since: exercise.start,
            until: exercise.scoredUntil,
            kinds: [.report, .indicator, .actionRequest, .actionResponse]
        )
        // What the director wrote as injects is the scenario speaking, not a player's move.
        let injected = Set(injects.values.flatMap { ($0.body["records"]?.arrayValue ?? []).compactMap(\.stringValue) })
        var actions: [ExerciseScoring.Action] = []
        var requests: [String: ExerciseScoring.HeldRequest] = [:]
        let players = Set(exercise.roles.values)
        for stored in records where stored.retractedBy == nil {
            let r = stored.record
            if r.kind == .actionRequest, let to = r.body["to"]?.stringValue {
                requests[r.id] = ExerciseScoring.HeldRequest(
                    requester: r.origin,
                    addressee: to,
                    action: r.body["action"]?.stringValue.flatMap(RequestedAction.init(rawValue:)),
                    identifiers: Self.requestIdentifiers(r)
                )
            }
            guard players.contains(r.origin), !injected.contains(r.id) else { continue }
            let identifiers = Set(r.indexedIdentifiers.filter { !$0.derived }.map(\.identifier))
            switch r.kind {
            case .report:
                actions.append(
                    .init(id: r.id, kind: .report, origin: r.origin, created: r.created.milliseconds, identifiers: identifiers)
                )
            case .indicator:
                actions.append(
                    .init(id: r.id, kind: .indicator, origin: r.origin, created: r.created.milliseconds, identifiers: identifiers)
                )
            case .actionRequest:
                let named = Self.requestIdentifiers(r)
                actions.append(
                    .init(
                        id: r.id,
                        kind: .request,
                        origin: r.origin,
                        created: r.created.milliseconds,
                        identifiers: named,
                        requestAction: r.body["action"]?.stringValue.flatMap(RequestedAction.init(rawValue:)),
                        to: r.body["to"]?.stringValue
                    )
                )
            case .actionResponse:
                actions.append(
                    .init(
                        id: r.id,
                        kind: .response,
                        origin: r.origin,
                        created: r.created.milliseconds,
                        answers: r.body["request"]?.stringValue,
                        status: r.body["status"]?.stringValue.flatMap(ResponseStatus.init(rawValue:))
                    )
                )
            default: continue
            }
        }
        let run = ExerciseScoring.Run(
            scenario: exercise.scenario,
            roles: exercise.roles,
            director: exercise.director,
            delivered: injects.mapValues(\.created.milliseconds),
            injectRequests: injects.mapValues { inject in
                Set((inject.body["records"]?.arrayValue ?? []).compactMap(\.stringValue).filter { requests[$0] != nil })
            },
            speed: exercise.speed,
            start: exercise.start.milliseconds
        )
        return ExerciseScoring.score(run, actions: actions, requests: requests, now: now.milliseconds)
    }

    /// The identifiers an action request names.
    static func requestIdentifiers(_ r: Record) -> Set<Identifier> {
        Set(
            (r.body["identifiers"]?.arrayValue ?? []).compactMap { item -> Identifier? in
                guard let kind = item["kind"]?.stringValue.flatMap(IdentifierKind.init(rawValue:)),
                    let value = item["value"]?.stringValue
                else { return nil }
                return Identifier(kind: kind, canonical: value)
            }
        )
    }

    /// A score as JSON, in the shape the `exercise_report` record keeps.
    static func json(_ s: ExerciseScoring.Score) -> JSONValue {
        var out: [String: JSONValue] = [
            "expectation": .string(s.expectation.id), "role": .string(s.expectation.role), "node": .string(s.node),
            "outcome": s.outcome.map { .string($0.rawValue) } ?? .null, "detail": .string(s.detail),
        ]
        // The report's reader caps the time at a year of scenario time.
        if let taken = s.takenSeconds { out["taken_seconds"] = .integer(Int64(min(taken, 366 * 86_400))) }
        if let record = s.record { out["record"] = .string(record) }
        if let factor = s.expectation.factor { out["factor"] = .string(factor) }
        out["lesson"] = .string(s.expectation.lesson ?? s.expectation.title)
        return .object(out)
    }

    /// The exercise's records that name `identifier`: the injects' reports and what participants filed, for a
    /// check inside the exercise. Live checks never see them.
    static func matches(
        _ identifier: Identifier,
        since: Timestamp,
        from players: Set<String>?,
        store: SQLStore
    ) async throws -> [Record] {
        try await store.exerciseRecords(since: since, kinds: [.report, .indicator]).compactMap { stored in
            let r = stored.record
            guard stored.retractedBy == nil, players.map({ $0.contains(r.origin) }) ?? true,
                r.indexedIdentifiers.contains(where: { $0.identifier == identifier })
            else { return nil }
            return r
        }
    }
}

/// Delivers the injects of the exercises this node directs when they fall due, checking every half second.
struct ExerciseDirectorService: Service {
    let node: RunningNode
    let logger: Logger

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let delivered = try await Exercises.deliverDue(node)
                if delivered > 0 { logger.info("exercise injects delivered", metadata: ["injects": "\(delivered)"]) }
            } catch {
                logger.warning("exercise injects could not be delivered", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .milliseconds(500))
        }
    }
}
