/// How an expected action of an exercise went.
public enum ExerciseOutcome: String, CaseIterable, Sendable {
    /// Done in full, within the time limit.
    case done
    /// Done in part, or in full but late.
    case partly
    /// Not done.
    case missed
}

extension RecordInput {
    static let exerciseInputFields: Set<String> = ["scenario", "roles", "start", "speed", "note", "jurisdiction"]
    static let exerciseFields: Set<String> = exerciseInputFields.union(["end"])

    /// Reads the start of a joint exercise: the scenario, which node plays each role, when it starts and how fast
    /// scenario time runs (`speed` scenario minutes per real minute, for rehearsals and tests). RED to the
    /// director alone, and always an exercise record.
    /// - Throws: `InputError` listing each bad field.
    public static func exercise(
        _ json: JSONValue,
        director: String,
        nodeJurisdiction: String,
        now: Timestamp = .now()
    ) throws(InputError) -> RecordDraft {
        guard json.objectValue != nil else { throw InputError(pointer: "", detail: "expected an object, got \(json.typeName)") }
        var r = FieldReader(json)
        r.rejectUnknown(exerciseInputFields)
        let body = readExerciseBody(&r, nodeJurisdiction: nodeJurisdiction, now: now)
        guard r.issues.isEmpty else { throw InputError(issues: r.issues) }
        // The scenario stays with the director: players learn of each inject when it comes, not before.
        return RecordDraft(
            kind: .exercise,
            body: .object(body),
            label: SharingLabel(tlp: .red, audience: Audience(nodes: [director]), relay: false),
            exercise: true
        )
    }

    /// The label of the records the director writes for the players of an exercise: AMBER to the named nodes, not
    /// relayed.
    public static func exerciseLabel(nodes: Set<String>) -> SharingLabel {
        SharingLabel(tlp: .amber, audience: Audience(nodes: Array(nodes)), relay: false)
    }

    /// The nodes that play a role in the exercise whose body is `body`.
    public static func exerciseNodes(_ body: [String: JSONValue]) -> [String] {
        Array(Set((body["roles"]?.objectValue ?? [:]).values.compactMap(\.stringValue))).sorted()
    }

    static func readExerciseBody(_ r: inout FieldReader, nodeJurisdiction: String, now: Timestamp) -> [String: JSONValue] {
        var body: [String: JSONValue] = [:]
        body["jurisdiction"] = .string(r.jurisdiction("jurisdiction") ?? nodeJurisdiction)
        var scenario: ExerciseScenario?
        if let value = r.object["scenario"], value != .null {
            do throws(InputError) {
                scenario = try ExerciseScenario(json: value)
                body["scenario"] = scenario?.json
            } catch {
                r.issues += error.issues.map { FieldIssue(pointer: r.pointer("scenario") + $0.pointer, detail: $0.detail) }
            }
        } else {
            r.fail("scenario", "is required: the scenario to run")
        }
        var roles: [String: JSONValue] = [:]
        if let value = r.object["roles"], value != .null {
            guard let members = value.objectValue, members.count <= 50 else {
                r.fail("roles", "expected an object naming, for each role, the node id that plays it")
                return body
            }
            for (role, node) in members.sorted(by: { $0.key < $1.key }) {
                guard let id = node.stringValue, NodeID.isWellFormed(id) else {
                    r.issues.append(
                        FieldIssue(pointer: r.pointer("roles") + "/" + pointerToken(role), detail: "expected a node id")
                    )
                    continue
                }
                if let scenario, !scenario.roles.contains(where: { $0.id == role }) {
                    r.issues.append(
                        FieldIssue(
                            pointer: r.pointer("roles") + "/" + pointerToken(role),
                            detail: "is not a role of the scenario"
                        )
                    )
                    continue
                }
                roles[role] = .string(id)
            }
        }
        for role in scenario?.roles ?? [] where roles[role.id] == nil {
            r.issues.append(
                FieldIssue(
                    pointer: r.pointer("roles") + "/" + pointerToken(role.id),
                    detail: "name the node that plays \(role.id)"
                )
            )
        }
        body["roles"] = .object(roles)
        let start = r.timestamp("start") ?? now
        body["start"] = .string(start.rfc3339)
        let speed = r.integer("speed", in: 1...3600) ?? 1
        body["speed"] = .integer(speed)
        if let scenario {
            let end = Timestamp(milliseconds: start.milliseconds + Int64(scenario.durationMinutes) * 60_000 / speed)
            body["end"] = .string(end.rfc3339)
        }
        if let note = r.string("note", maxLength: 4000), !note.isEmpty { body["note"] = .string(note) }
        return body
    }

    static let exerciseInjectFields: Set<String> = [
        "exercise", "exercise_title", "end", "inject", "title", "message", "to", "scheduled", "records", "jurisdiction",
    ]

    /// The record a director writes when an inject is delivered: which inject, to which nodes, when it was due,
    /// and the exercise reports and requests written with it.
    public static func exerciseInject(
        exercise: Record,
        inject: ExerciseScenario.Inject,
        to nodes: [String],
        scheduled: Timestamp,
        records: [String]
    ) -> RecordDraft {
        let body: [String: JSONValue] = [
            "exercise": .string(exercise.id), "inject": .string(inject.id), "to": .array(nodes.sorted().map(JSONValue.string)),
            "exercise_title": exercise.body["scenario"]?["title"] ?? .string("exercise"),
            "end": exercise.body["end"] ?? .string(scheduled.rfc3339), "title": .string(inject.title),
            "message": .string(inject.message),
            "scheduled": .string(scheduled.rfc3339), "records": .array(records.map(JSONValue.string)),
            "jurisdiction": exercise.body["jurisdiction"] ?? .string("ZZ"),
        ]
        return RecordDraft(
            kind: .exerciseInject,
            body: .object(body),
            label: exerciseLabel(nodes: Set(nodes).union([exercise.origin])),
            exercise: true
        )
    }

    static func readExerciseInjectBody(_ r: inout FieldReader) -> [String: JSONValue] {
        var body: [String: JSONValue] = [:]
        body["jurisdiction"] = .string(r.jurisdiction("jurisdiction") ?? "")
        if let id = r.string("exercise", required: true, maxLength: 64) {
            if ByteText.isSHA256Hex(id) { body["exercise"] = .string(id) } else { r.fail("exercise", "expected a record id") }
        }
        if let inject = r.string("inject", required: true, maxLength: 64) {
            if isFactorID(inject) { body["inject"] = .string(inject) } else { r.fail("inject", "expected an inject id") }
        }
        body["exercise_title"] = .string(r.string("exercise_title", required: true, maxLength: 200) ?? "")
        body["title"] = .string(r.string("title", required: true, maxLength: 200) ?? "")
        body["message"] = .string(r.string("message", maxLength: 8000) ?? "")
        if let end = r.timestamp("end") {
            body["end"] = .string(end.rfc3339)
        } else if r.object["end"] == nil {
            r.fail("end", "is required")
        }
        let to = r.stringList("to", maxCount: 50) ?? []
        for (n, node) in to.enumerated() where !NodeID.isWellFormed(node) {
            r.issues.append(FieldIssue(pointer: r.pointer("to") + "/\(n)", detail: "expected a node id"))
        }
        body["to"] = .array(Array(Set(to)).sorted().map(JSONValue.string))
        if let scheduled = r.timestamp("scheduled") {
            body["scheduled"] = .string(scheduled.rfc3339)
        } else if r.object["scheduled"] == nil {
            r.fail("scheduled", "is required")
        }
        let records = r.stringList("records", maxCount: 100) ?? []
        for (n, id) in records.enumerated() where !ByteText.isSHA256Hex(id) {
            r.issues.append(FieldIssue(pointer: r.pointer("records") + "/\(n)", detail: "expected a record id"))
        }
        body["records"] = .array(records.map(JSONValue.string))
        return body
    }

    static let exerciseReportInputFields: Set<String> = ["summary", "lessons"]
    static let exerciseReportFields: Set<String> = ["exercise", "summary", "lessons", "scores", "jurisdiction"]

    /// Reads an after-action report: the director's summary and lessons (each with the capability factor it
    /// touches and the nodes it concerns), with the scores computed from the records held. AMBER to the players
    /// and the director.
    /// - Throws: `InputError` listing each bad field.
    public static func exerciseReport(
        _ json: JSONValue,
        of exercise: Record,
        scores: [JSONValue]
    ) throws(InputError)
        -> RecordDraft
    {
        guard exercise.kind == .exercise else { throw InputError(pointer: "", detail: "is not an exercise") }
        guard var members = json.objectValue else {
            throw InputError(pointer: "", detail: "expected an object, got \(json.typeName)")
        }
        var r = FieldReader(json)
        r.rejectUnknown(exerciseReportInputFields)
        guard r.issues.isEmpty else { throw InputError(issues: r.issues) }
        members["exercise"] = .string(exercise.id)
        members["scores"] = .array(scores)
        members["jurisdiction"] = exercise.body["jurisdiction"]
        var full = FieldReader(.object(members))
        let body = readExerciseReportBody(&full)
        guard full.issues.isEmpty else { throw InputError(issues: full.issues) }
        return RecordDraft(
            kind: .exerciseReport,
            body: .object(body),
            label: exerciseLabel(nodes: Set(exerciseNodes(exercise.body.objectValue ?? [:])).union([exercise.origin])),
            exercise: true
        )
    }

    static func readExerciseReportBody(_ r: inout FieldReader) -> [String: JSONValue] {
        var body: [String: JSONValue] = [:]
        body["jurisdiction"] = .string(r.jurisdiction("jurisdiction") ?? "")
        if let id = r.string("exercise", required: true, maxLength: 64) {
            if ByteText.isSHA256Hex(id) { body["exercise"] = .string(id) } else { r.fail("exercise", "expected a record id") }
        }
        body["summary"] = .string(r.string("summary", maxLength: 16_000) ?? "")
        var lessons: [JSONValue] = []
        if let value = r.object["lessons"], value != .null {
            if let items = value.arrayValue, items.count <= 200 {
                for (n, item) in items.enumerated() {
                    var lr = FieldReader(item, at: r.pointer("lessons") + "/\(n)")
                    lr.rejectUnknown(["factor", "text", "nodes"])
                    var out: [String: JSONValue] = [:]
                    if let factor = lr.string("factor", maxLength: 64) {
                        if isFactorID(factor) {
                            out["factor"] = .string(factor)
                        } else {
                            lr.fail("factor", "expected a factor id")
                        }
                    }
                    if let text = lr.string("text", required: true, maxLength: 4000) {
                        if text.trimmingWhitespace().isEmpty { lr.fail("text", "is empty") } else { out["text"] = .string(text) }
                    }
                    let nodes = lr.stringList("nodes", maxCount: 50) ?? []
                    for (k, node) in nodes.enumerated() where !NodeID.isWellFormed(node) {
                        lr.issues.append(FieldIssue(pointer: lr.pointer("nodes") + "/\(k)", detail: "expected a node id"))
                    }
                    out["nodes"] = .array(Array(Set(nodes)).sorted().map(JSONValue.string))
                    r.issues += lr.issues
                    lessons.append(.object(out))
                }
            } else {
                r.fail("lessons", "expected an array of at most 200 lessons")
            }
        }
        body["lessons"] = .array(lessons)
        var scores: [JSONValue] = []
        if let items = r.object["scores"]?.arrayValue, items.count <= 10_000 {
            for (n, item) in items.enumerated() {
                var sr = FieldReader(item, at: r.pointer("scores") + "/\(n)")
                sr.rejectUnknown([
                    "expectation", "role", "node", "outcome", "taken_seconds", "record", "detail", "factor", "lesson",
                ])
                var out: [String: JSONValue] = [:]
                for key in ["expectation", "role"] {
                    if let id = sr.string(key, required: true, maxLength: 64) {
                        if isFactorID(id) { out[key] = .string(id) } else { sr.fail(key, "expected an id") }
                    }
                }
                if let node = sr.string("node", required: true, maxLength: 64) {
                    if NodeID.isWellFormed(node) { out["node"] = .string(node) } else { sr.fail("node", "expected a node id") }
                }
                if let text = sr.string("outcome", required: true, maxLength: 16) {
                    if ExerciseOutcome(rawValue: text) != nil {
                        out["outcome"] = .string(text)
                    } else {
                        sr.fail("outcome", "is done, partly or missed")
                    }
                }
                if let taken = sr.integer("taken_seconds", in: 0...(366 * 86_400)) { out["taken_seconds"] = .integer(taken) }
                if let record = sr.string("record", maxLength: 64) {
                    if ByteText.isSHA256Hex(record) {
                        out["record"] = .string(record)
                    } else {
                        sr.fail("record", "expected a record id")
                    }
                }
                out["detail"] = .string(sr.string("detail", maxLength: 1000) ?? "")
                if let factor = sr.string("factor", maxLength: 64) {
                    if isFactorID(factor) { out["factor"] = .string(factor) } else { sr.fail("factor", "expected a factor id") }
                }
                out["lesson"] = .string(sr.string("lesson", maxLength: 4000) ?? "")
                r.issues += sr.issues
                scores.append(.object(out))
            }
        } else {
            r.fail("scores", "expected an array of at most 10000 scores")
        }
        body["scores"] = .array(scores)
        return body
    }
}

extension RecordDraft {
    /// The draft also addressed to `nodes`: a label that names nodes, or a RED one, gets them added; a label that
    /// names no node, community or jurisdiction reaches them already and is unchanged. A participant's exercise
    /// moves go to the exercise's director this way, for scoring.
    public func addressed(alsoTo nodes: Set<String>) -> RecordDraft {
        let audience = label.audience
        guard !nodes.isEmpty, !nodes.isSubset(of: audience.nodes) else { return self }
        if audience.isUnrestricted && label.tlp != .red { return self }
        return RecordDraft(
            kind: kind,
            body: body,
            label: SharingLabel(
                tlp: label.tlp,
                audience: Audience(
                    nodes: Array(Set(audience.nodes).union(nodes)),
                    communities: audience.communities,
                    jurisdictions: audience.jurisdictions
                ),
                relay: label.relay
            ),
            exercise: exercise
        )
    }
}
