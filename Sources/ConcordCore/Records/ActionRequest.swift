import Foundation

/// What an action request asks the addressee to do.
public enum RequestedAction: String, CaseIterable, Sendable, Codable {
    /// Freeze a bank account.
    case freezeAccount = "freeze_account"
    /// Block a phone number.
    case blockNumber = "block_number"
    /// Take down a URL, a domain or a handle.
    case takeDown = "take_down"
    /// Preserve data before it is deleted.
    case preserveData = "preserve_data"
    /// Send information.
    case requestInformation = "request_information"
}

/// The legal footing a request claims.
public enum LegalBasis: String, CaseIterable, Sendable, Codable {
    /// The addressee's own domestic law.
    case domesticLaw = "domestic_law"
    /// Expedited preservation through a 24/7 point of contact, as the Budapest Convention's articles 29 and 35.
    case budapestPreservation = "budapest_preservation"
    /// A mutual legal assistance request.
    case mutualLegalAssistance = "mutual_legal_assistance"
    /// The Commonwealth's Harare Scheme.
    case harareScheme = "harare_scheme"
    /// A bilateral agreement.
    case bilateralAgreement = "bilateral_agreement"
    /// Voluntary cooperation.
    case voluntary
}

/// How soon an answer is needed; each gives a default due time.
public enum RequestUrgency: String, CaseIterable, Sendable, Codable {
    /// Within the hour (a mule account about to be emptied).
    case immediate
    /// Within a day.
    case urgent
    /// Within a week.
    case routine

    /// The default time allowed.
    public var allowance: Int64 {
        switch self {
        case .immediate: 3_600_000
        case .urgent: 86_400_000
        case .routine: 7 * 86_400_000
        }
    }
}

/// An addressee's answer to a request.
public enum ResponseStatus: String, CaseIterable, Sendable, Codable {
    /// Received; being worked on.
    case acknowledged
    /// Done: what was done is said.
    case actioned
    /// Refused, with the reason.
    case declined
    /// More information is needed first.
    case needsInformation = "needs_information"

    /// Whether the request is closed by this answer.
    public var closes: Bool { self == .actioned || self == .declined }
}

extension RecordInput {
    static let actionRequestFields: Set<String> = [
        "action", "to", "identifiers", "reports", "legal_basis", "urgency", "due", "note", "jurisdiction", "escalates",
        "provider",
    ]

    /// Reads an action request from `requester` to another node. Its label is RED to the addressee and the
    /// requester, not relayed, unless the input gives one (which must still name the addressee when it names
    /// nodes).
    /// - Throws: `InputError` listing each bad field.
    public static func actionRequest(
        _ json: JSONValue,
        requester: String,
        nodeJurisdiction: String,
        now: Timestamp = .now()
    ) throws(InputError) -> RecordDraft {
        guard json.objectValue != nil else { throw InputError(pointer: "", detail: "expected an object, got \(json.typeName)") }
        var r = FieldReader(json)
        r.rejectUnknown(actionRequestFields.union(labelFields))
        let body = readActionRequestBody(&r, requester: requester, nodeJurisdiction: nodeJurisdiction, now: now)
        let to = body["to"]?.stringValue ?? ""
        var label = SharingLabel(tlp: .red, audience: Audience(nodes: [to, requester]), relay: false)
        var exercise = false
        if r.object["tlp"] != nil || r.object["audience"] != nil || r.object["relay"] != nil {
            (label, exercise) = readLabel(&r, defaultTLP: .red)
            if !label.audience.nodes.isEmpty && !label.audience.nodes.contains(to) {
                r.fail("audience", "names nodes but not the addressee \(to)")
            }
        } else {
            // An exercise request keeps the default label: RED to the addressee and the requester.
            exercise = r.bool("exercise") ?? false
        }
        guard r.issues.isEmpty else { throw InputError(issues: r.issues) }
        return RecordDraft(kind: .actionRequest, body: .object(body), label: label, exercise: exercise)
    }

    /// The body of a request as read from `r`; problems go to `r.issues`.
    static func readActionRequestBody(
        _ r: inout FieldReader,
        requester: String,
        nodeJurisdiction: String,
        now: Timestamp
    ) -> [String: JSONValue] {
        var body: [String: JSONValue] = [:]
        body["jurisdiction"] = .string(r.jurisdiction("jurisdiction") ?? nodeJurisdiction)
        if let text = r.string("action", required: true, maxLength: 32) {
            if let action = RequestedAction(rawValue: text) {
                body["action"] = .string(action.rawValue)
            } else {
                r.fail("action", "is one of \(RequestedAction.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        if let to = r.string("to", required: true, maxLength: 64) {
            if !NodeID.isWellFormed(to) {
                r.fail("to", "\"\(to)\" is not a node id")
            } else if to == requester {
                r.fail("to", "a node cannot send a request to itself")
            } else {
                body["to"] = .string(to)
            }
        }
        var identifiers: [JSONValue] = []
        if let list = r.object["identifiers"], list != .null {
            if let items = list.arrayValue, items.count <= 100 {
                for (n, item) in items.enumerated() {
                    var ir = FieldReader(item, at: r.pointer("identifiers") + "/\(n)")
                    ir.rejectUnknown(identifierFields)
                    if let identifier = readIdentifier(&ir, defaultRegion: nodeJurisdiction) {
                        identifiers.append(["kind": .string(identifier.kind.rawValue), "value": .string(identifier.canonical)])
                    }
                    r.issues += ir.issues
                }
            } else {
                r.fail("identifiers", "expected an array of at most 100 identifiers")
            }
        }
        body["identifiers"] = .array(dedupe(identifiers))
        var reports: [JSONValue] = []
        if let list = r.object["reports"], list != .null {
            if let items = list.arrayValue, items.count <= 100 {
                for (n, item) in items.enumerated() {
                    guard let id = item.stringValue, ByteText.isSHA256Hex(id) else {
                        r.issues.append(FieldIssue(pointer: r.pointer("reports") + "/\(n)", detail: "expected a record id"))
                        continue
                    }
                    if !reports.contains(.string(id)) { reports.append(.string(id)) }
                }
            } else {
                r.fail("reports", "expected an array of at most 100 record ids")
            }
        }
        body["reports"] = .array(reports)
        if identifiers.isEmpty && reports.isEmpty && r.issues.isEmpty {
            r.fail("identifiers", "a request needs at least one identifier or report")
        }
        if let basis = readLegalBasis(&r) {
            body["legal_basis"] = basis
        } else {
            r.fail("legal_basis", "is required: say on what footing the addressee can act")
        }
        var urgency = RequestUrgency.routine
        if let text = r.string("urgency", maxLength: 16) {
            if let value = RequestUrgency(rawValue: text) {
                urgency = value
            } else {
                r.fail("urgency", "is one of \(RequestUrgency.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        body["urgency"] = .string(urgency.rawValue)
        let due = r.timestamp("due") ?? Timestamp(milliseconds: now.milliseconds + urgency.allowance)
        body["due"] = .string(due.rfc3339)
        if let note = r.string("note", maxLength: 4096), !note.isEmpty { body["note"] = .string(note) }
        if let escalates = r.string("escalates", maxLength: 64) {
            if ByteText.isSHA256Hex(escalates) {
                body["escalates"] = .string(escalates)
            } else {
                r.fail("escalates", "expected the record id of the request escalated")
            }
        }
        if let provider = r.string("provider", maxLength: 64) {
            if ByteText.isSHA256Hex(provider) {
                body["provider"] = .string(provider)
            } else {
                r.fail("provider", "expected the record id of a directory entry")
            }
        }
        return body
    }

    /// The `legal_basis` member, `{kind, text}`, when given; problems go to `r.issues`.
    static func readLegalBasis(_ r: inout FieldReader) -> JSONValue? {
        guard let basis = r.object["legal_basis"], basis != .null else { return nil }
        var br = FieldReader(basis, at: r.pointer("legal_basis"))
        br.rejectUnknown(["kind", "text"])
        var out: [String: JSONValue] = [:]
        if let kind = br.string("kind", required: true, maxLength: 32) {
            if let legal = LegalBasis(rawValue: kind) {
                out["kind"] = .string(legal.rawValue)
            } else {
                br.fail("kind", "is one of \(LegalBasis.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        if let text = br.string("text", maxLength: 4096), !text.isEmpty { out["text"] = .string(text) }
        r.issues += br.issues
        return .object(out)
    }

    static let actionResponseFields: Set<String> = ["request", "status", "detail", "amount", "jurisdiction"]

    /// Reads the addressee's response to `request`; only the node a request is addressed to may answer it.
    /// - Throws: `InputError` listing each bad field.
    public static func actionResponse(_ json: JSONValue, to request: Record, responder: String) throws(InputError) -> RecordDraft
    {
        guard request.kind == .actionRequest else { throw InputError(pointer: "/request", detail: "is not an action request") }
        guard request.body["to"]?.stringValue == responder else {
            throw InputError(pointer: "/request", detail: "is addressed to another node; only its addressee answers it")
        }
        guard json.objectValue != nil else { throw InputError(pointer: "", detail: "expected an object, got \(json.typeName)") }
        var object = json.objectValue ?? [:]
        object["request"] = .string(request.id)
        var r = FieldReader(.object(object))
        r.rejectUnknown(actionResponseFields)
        let body = readActionResponseBody(&r, nodeJurisdiction: request.body["jurisdiction"]?.stringValue ?? "")
        guard r.issues.isEmpty else { throw InputError(issues: r.issues) }
        return RecordDraft(kind: .actionResponse, body: .object(body), label: request.label, exercise: request.exercise)
    }

    static func readActionResponseBody(_ r: inout FieldReader, nodeJurisdiction: String) -> [String: JSONValue] {
        var body: [String: JSONValue] = [:]
        if let jurisdiction = r.jurisdiction("jurisdiction") ?? Jurisdiction.normalize(nodeJurisdiction) {
            body["jurisdiction"] = .string(jurisdiction)
        }
        if let request = r.string("request", required: true, maxLength: 64) {
            if ByteText.isSHA256Hex(request) {
                body["request"] = .string(request)
            } else {
                r.fail("request", "expected a record id")
            }
        }
        var status: ResponseStatus?
        if let text = r.string("status", required: true, maxLength: 32) {
            status = ResponseStatus(rawValue: text)
            if let status {
                body["status"] = .string(status.rawValue)
            } else {
                r.fail("status", "is one of \(ResponseStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        if let detail = r.string("detail", maxLength: 4096), !detail.isEmpty { body["detail"] = .string(detail) }
        if status == .declined || status == .needsInformation, body["detail"] == nil {
            r.fail("detail", "is required when a request is \(status?.rawValue ?? ""): say why, or what is needed")
        }
        var lr = FieldReader(.object(["loss": r.object["amount"] ?? .null]), at: r.base)
        if let amount = readLoss(&lr) {
            body["amount"] = ["amount": .string(amount.decimalText), "currency": .string(amount.currency)]
        }
        r.issues += lr.issues.map {
            FieldIssue(pointer: $0.pointer.replacingOccurrences(of: "/loss", with: "/amount"), detail: $0.detail)
        }
        return body
    }
}
