/// What a participant of a joint exercise is expected to do after an inject.
public enum ExpectedAction: String, CaseIterable, Sendable {
    /// File a report naming the identifiers.
    case report
    /// Publish an indicator for one of the identifiers.
    case indicator
    /// Send an action request (of a kind, to a role) naming the identifiers.
    case request
    /// Answer the action request the inject delivered.
    case respond
}

/// A joint exercise scenario: roles played by organisations, timed injects, and what each role is expected to
/// do, by when. Read from the canonical JSON an `exercise` record carries (or from a YAML file, through the same
/// reader), so a scenario a peer sends is held to the same rules as one loaded here.
public struct ExerciseScenario: Sendable, Equatable {
    /// A part an organisation plays.
    public struct Role: Sendable, Equatable {
        public let id: String
        public let title: String
    }

    /// An action request the director sends, as a simulated partner, to each node of the inject's roles.
    public struct RequestInject: Sendable, Equatable {
        public let action: RequestedAction
        /// Identifiers as `{kind, value}` in canonical form.
        public let identifiers: [JSONValue]
        /// `{kind, text}` as action requests carry it.
        public let legalBasis: JSONValue
        public let urgency: RequestUrgency
        /// Scenario minutes from delivery until the request is due.
        public let dueMinutes: Int
        public let note: String?
    }

    /// Something that happens at a set time of the exercise, delivered to the nodes of some roles.
    public struct Inject: Sendable, Equatable {
        public let id: String
        public let atMinutes: Int
        public let to: [String]
        public let title: String
        public let message: String
        /// Report bodies in canonical form, written by the director as exercise reports.
        public let reports: [JSONValue]
        public let request: RequestInject?
    }

    /// What a role should do after an inject, within a time limit; the lesson to draw when it is not done.
    public struct Expectation: Sendable, Equatable {
        public let id: String
        public let title: String
        public let role: String
        public let after: String
        public let withinMinutes: Int
        public let action: ExpectedAction
        public let requestAction: RequestedAction?
        public let toRole: String?
        /// For an expected response: the role whose request is answered; nil for the inject's own request.
        public let fromRole: String?
        public let status: ResponseStatus?
        public let identifiers: [Identifier]
        public let factor: String?
        public let lesson: String?
    }

    public let id: String
    public let version: String
    public let title: String
    public let summary: String
    public let jurisdiction: String
    public let durationMinutes: Int
    public let roles: [Role]
    public let injects: [Inject]
    public let expectations: [Expectation]
    /// The canonical JSON: what an `exercise` record carries.
    public let json: JSONValue

    /// The inject with `id`.
    public func inject(_ id: String) -> Inject? { injects.first { $0.id == id } }

    static let fields: Set<String> = [
        "id", "version", "title", "summary", "jurisdiction", "duration_minutes", "roles", "injects", "expectations",
    ]
    static let roleFields: Set<String> = ["id", "title"]
    static let injectFields: Set<String> = ["id", "at_minutes", "to", "title", "message", "reports", "request"]
    static let requestFields: Set<String> = ["action", "identifiers", "legal_basis", "urgency", "due_minutes", "note"]
    static let expectationFields: Set<String> = [
        "id", "title", "role", "after", "within_minutes", "action", "request_action", "to_role", "from_role", "status",
        "identifiers",
        "factor", "lesson",
    ]

    /// Reads a scenario, naming every problem by its JSON pointer.
    /// - Throws: `InputError` listing each bad field.
    public init(json: JSONValue) throws(InputError) {
        var r = FieldReader(json)
        r.rejectUnknown(Self.fields)
        var out: [String: JSONValue] = [:]
        let id = Self.slug(&r, "id") ?? ""
        out["id"] = .string(id)
        let version = r.string("version", required: true, maxLength: 32) ?? ""
        out["version"] = .string(version)
        let title = Self.text(&r, "title", max: 200) ?? ""
        out["title"] = .string(title)
        let summary = r.string("summary", maxLength: 4000) ?? ""
        out["summary"] = .string(summary)
        let jurisdiction = r.jurisdiction("jurisdiction") ?? "ZZ"
        if r.object["jurisdiction"] == nil { r.fail("jurisdiction", "is required: where the scenario's reports are filed") }
        out["jurisdiction"] = .string(jurisdiction)
        let duration = Int(r.integer("duration_minutes", in: 1...10_080) ?? 0)
        if r.object["duration_minutes"] == nil { r.fail("duration_minutes", "is required") }
        out["duration_minutes"] = .integer(Int64(duration))

        var roles: [Role] = []
        for (n, item) in Self.list(&r, "roles", max: 50).enumerated() {
            var rr = FieldReader(item, at: r.pointer("roles") + "/\(n)")
            rr.rejectUnknown(Self.roleFields)
            let role = Role(id: Self.slug(&rr, "id") ?? "", title: Self.text(&rr, "title", max: 200) ?? "")
            if roles.contains(where: { $0.id == role.id }) { rr.fail("id", "repeats the role \(role.id)") }
            r.issues += rr.issues
            roles.append(role)
        }
        if roles.isEmpty { r.fail("roles", "name at least one role") }
        out["roles"] = .array(roles.map { ["id": .string($0.id), "title": .string($0.title)] })
        let roleIDs = Set(roles.map(\.id))

        var injects: [Inject] = []
        for (n, item) in Self.list(&r, "injects", max: 200).enumerated() {
            var ir = FieldReader(item, at: r.pointer("injects") + "/\(n)")
            if let inject = Self.inject(&ir, roles: roleIDs, jurisdiction: jurisdiction, duration: duration) {
                if injects.contains(where: { $0.id == inject.id }) { ir.fail("id", "repeats the inject \(inject.id)") }
                injects.append(inject)
            }
            r.issues += ir.issues
        }
        if injects.isEmpty { r.fail("injects", "name at least one inject") }
        out["injects"] = .array(injects.map(Self.json))

        var expectations: [Expectation] = []
        for (n, item) in Self.list(&r, "expectations", max: 500).enumerated() {
            var er = FieldReader(item, at: r.pointer("expectations") + "/\(n)")
            if let expectation = Self.expectation(&er, roles: roleIDs, injects: injects, jurisdiction: jurisdiction) {
                if expectations.contains(where: { $0.id == expectation.id }) {
                    er.fail("id", "repeats the expectation \(expectation.id)")
                }
                expectations.append(expectation)
            }
            r.issues += er.issues
        }
        if expectations.isEmpty { r.fail("expectations", "name at least one expected action, or nothing can be scored") }
        out["expectations"] = .array(expectations.map(Self.json))
        guard r.issues.isEmpty else { throw InputError(issues: r.issues) }
        self.id = id
        self.version = version
        self.title = title
        self.summary = summary
        self.jurisdiction = jurisdiction
        self.durationMinutes = duration
        self.roles = roles
        self.injects = injects.sorted { ($0.atMinutes, $0.id) < ($1.atMinutes, $1.id) }
        self.expectations = expectations
        self.json = .object(out)
    }

    // MARK: - Parts

    private static func inject(_ r: inout FieldReader, roles: Set<String>, jurisdiction: String, duration: Int) -> Inject? {
        r.rejectUnknown(injectFields)
        let id = slug(&r, "id") ?? ""
        let at = Int(r.integer("at_minutes", in: 0...Int64(max(duration, 0))) ?? 0)
        if r.object["at_minutes"] == nil { r.fail("at_minutes", "is required: when, in minutes from the start") }
        let to = r.stringList("to", maxCount: 50) ?? []
        for (n, role) in to.enumerated() where !roles.contains(role) {
            r.issues.append(FieldIssue(pointer: r.pointer("to") + "/\(n)", detail: "\"\(role)\" is not a role of the scenario"))
        }
        if to.isEmpty { r.fail("to", "name the roles the inject is delivered to") }
        let title = text(&r, "title", max: 200) ?? ""
        let message = r.string("message", maxLength: 8000) ?? ""
        var reports: [JSONValue] = []
        for (n, item) in list(&r, "reports", max: 50).enumerated() {
            let pointer = r.pointer("reports") + "/\(n)"
            var members = item.objectValue ?? [:]
            for key in ["tlp", "audience", "relay", "exercise", "external", "occurred_at"] where members[key] != nil {
                r.issues.append(
                    FieldIssue(pointer: pointer + "/" + key, detail: "is set when the inject is delivered, not in the scenario")
                )
                members[key] = nil
            }
            do throws(InputError) {
                let draft = try RecordInput.report(.object(members), nodeJurisdiction: jurisdiction)
                reports.append(draft.body)
            } catch {
                r.issues += error.issues.map { FieldIssue(pointer: pointer + $0.pointer, detail: $0.detail) }
            }
        }
        var request: RequestInject?
        if let value = r.object["request"], value != .null {
            var qr = FieldReader(value, at: r.pointer("request"))
            request = requestInject(&qr, jurisdiction: jurisdiction)
            r.issues += qr.issues
        }
        if reports.isEmpty && request == nil && message.isEmpty {
            r.fail("message", "an inject delivers a message, reports or a request")
        }
        guard r.issues.isEmpty else { return nil }
        return Inject(
            id: id,
            atMinutes: at,
            to: Array(Set(to)).sorted(),
            title: title,
            message: message,
            reports: reports,
            request: request
        )
    }

    private static func requestInject(_ r: inout FieldReader, jurisdiction: String) -> RequestInject? {
        r.rejectUnknown(requestFields)
        let action = r.string("action", required: true, maxLength: 32)
        let parsedAction = action.flatMap(RequestedAction.init(rawValue:))
        if action != nil && parsedAction == nil {
            r.fail("action", "is one of \(RequestedAction.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let identifiers = identifierList(&r, jurisdiction: jurisdiction, max: 100)
        if identifiers.isEmpty { r.fail("identifiers", "a request names at least one identifier") }
        let basis = RecordInput.readLegalBasis(&r) ?? .null
        if basis == .null { r.fail("legal_basis", "is required") }
        var urgency = RequestUrgency.urgent
        if let text = r.string("urgency", maxLength: 16) {
            if let u = RequestUrgency(rawValue: text) {
                urgency = u
            } else {
                r.fail("urgency", "is immediate, urgent or routine")
            }
        }
        let due = Int(r.integer("due_minutes", in: 1...10_080) ?? 60)
        // Delivery writes "EXERCISE: " before the note, and requests take 4096 bytes of note.
        let note = r.string("note", maxLength: 4086).flatMap { $0.isEmpty ? nil : $0 }
        guard r.issues.isEmpty, let parsedAction else { return nil }
        return RequestInject(
            action: parsedAction,
            identifiers: identifiers.map { ["kind": .string($0.kind.rawValue), "value": .string($0.canonical)] },
            legalBasis: basis,
            urgency: urgency,
            dueMinutes: due,
            note: note
        )
    }

    private static func expectation(
        _ r: inout FieldReader,
        roles: Set<String>,
        injects: [Inject],
        jurisdiction: String
    ) -> Expectation? {
        r.rejectUnknown(expectationFields)
        let id = slug(&r, "id") ?? ""
        let title = text(&r, "title", max: 200) ?? ""
        let role = r.string("role", required: true, maxLength: 64) ?? ""
        if !role.isEmpty && !roles.contains(role) { r.fail("role", "\"\(role)\" is not a role of the scenario") }
        let after = r.string("after", required: true, maxLength: 64) ?? ""
        let inject = injects.first { $0.id == after }
        if !after.isEmpty && inject == nil { r.fail("after", "\"\(after)\" is not an inject of the scenario") }
        let within = Int(r.integer("within_minutes", in: 1...10_080) ?? 0)
        if r.object["within_minutes"] == nil { r.fail("within_minutes", "is required: the time limit, in minutes") }
        let actionText = r.string("action", required: true, maxLength: 16)
        let action = actionText.flatMap(ExpectedAction.init(rawValue:))
        if actionText != nil && action == nil {
            r.fail("action", "is one of \(ExpectedAction.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var requestAction: RequestedAction?
        if let text = r.string("request_action", maxLength: 32) {
            requestAction = RequestedAction(rawValue: text)
            if requestAction == nil {
                r.fail("request_action", "is one of \(RequestedAction.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        let toRole = r.string("to_role", maxLength: 64)
        if let toRole, !roles.contains(toRole) { r.fail("to_role", "\"\(toRole)\" is not a role of the scenario") }
        let fromRole = r.string("from_role", maxLength: 64)
        if let fromRole, !roles.contains(fromRole) { r.fail("from_role", "\"\(fromRole)\" is not a role of the scenario") }
        var status: ResponseStatus?
        if let text = r.string("status", maxLength: 32) {
            status = ResponseStatus(rawValue: text)
            if status == nil {
                r.fail("status", "is one of \(ResponseStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        if action != .request && (requestAction != nil || toRole != nil) {
            r.fail("action", "request_action and to_role belong to an expected request")
        }
        if action != .respond && (status != nil || fromRole != nil) {
            r.fail("action", "status and from_role belong to an expected response")
        }
        if action == .respond, fromRole == nil, let inject, inject.request == nil || !inject.to.contains(role) {
            r.fail("after", "an expected response answers a request: name from_role, or follow an inject that sends one")
        }
        if action == .respond && status == nil { status = .actioned }
        let identifiers = identifierList(&r, jurisdiction: jurisdiction, max: 100)
        let factor = r.string("factor", maxLength: 64)
        if let factor, !RecordInput.isFactorID(factor) { r.fail("factor", "expected a factor id") }
        let lesson = r.string("lesson", maxLength: 4000).flatMap { $0.isEmpty ? nil : $0 }
        guard r.issues.isEmpty, let action else { return nil }
        return Expectation(
            id: id,
            title: title,
            role: role,
            after: after,
            withinMinutes: within,
            action: action,
            requestAction: requestAction,
            toRole: toRole,
            fromRole: fromRole,
            status: status,
            identifiers: identifiers,
            factor: factor,
            lesson: lesson
        )
    }

    private static func identifierList(_ r: inout FieldReader, jurisdiction: String, max: Int) -> [Identifier] {
        var out: [Identifier] = []
        for (n, item) in list(&r, "identifiers", max: max).enumerated() {
            var ir = FieldReader(item, at: r.pointer("identifiers") + "/\(n)")
            ir.rejectUnknown(RecordInput.identifierFields)
            if let identifier = RecordInput.readIdentifier(&ir, defaultRegion: jurisdiction), !out.contains(identifier) {
                out.append(identifier)
            }
            r.issues += ir.issues
        }
        return out
    }

    private static func list(_ r: inout FieldReader, _ key: String, max: Int) -> [JSONValue] {
        guard let value = r.object[key], value != .null else { return [] }
        guard let items = value.arrayValue, items.count <= max else {
            r.fail(key, "expected an array of at most \(max) entries")
            return []
        }
        return items
    }

    /// A short id: lower-case letters, digits and dashes.
    private static func slug(_ r: inout FieldReader, _ key: String) -> String? {
        guard let s = r.string(key, required: true, maxLength: 64) else { return nil }
        guard RecordInput.isFactorID(s) else {
            r.fail(key, "expected lower-case letters, digits and dashes")
            return nil
        }
        return s
    }

    private static func text(_ r: inout FieldReader, _ key: String, max: Int) -> String? {
        guard let s = r.string(key, required: true, maxLength: max) else { return nil }
        if s.trimmingWhitespace().isEmpty {
            r.fail(key, "is empty")
            return nil
        }
        return s
    }

    private static func json(_ i: Inject) -> JSONValue {
        var out: [String: JSONValue] = [
            "id": .string(i.id), "at_minutes": .integer(Int64(i.atMinutes)), "to": .array(i.to.map(JSONValue.string)),
            "title": .string(i.title), "message": .string(i.message), "reports": .array(i.reports),
        ]
        if let q = i.request {
            var request: [String: JSONValue] = [
                "action": .string(q.action.rawValue), "identifiers": .array(q.identifiers), "legal_basis": q.legalBasis,
                "urgency": .string(q.urgency.rawValue), "due_minutes": .integer(Int64(q.dueMinutes)),
            ]
            if let note = q.note { request["note"] = .string(note) }
            out["request"] = .object(request)
        }
        return .object(out)
    }

    private static func json(_ e: Expectation) -> JSONValue {
        var out: [String: JSONValue] = [
            "id": .string(e.id), "title": .string(e.title), "role": .string(e.role), "after": .string(e.after),
            "within_minutes": .integer(Int64(e.withinMinutes)), "action": .string(e.action.rawValue),
            "identifiers": .array(e.identifiers.map { ["kind": .string($0.kind.rawValue), "value": .string($0.canonical)] }),
        ]
        if let a = e.requestAction { out["request_action"] = .string(a.rawValue) }
        if let t = e.toRole { out["to_role"] = .string(t) }
        if let f = e.fromRole { out["from_role"] = .string(f) }
        if let s = e.status { out["status"] = .string(s.rawValue) }
        if let f = e.factor { out["factor"] = .string(f) }
        if let l = e.lesson { out["lesson"] = .string(l) }
        return .object(out)
    }
}
