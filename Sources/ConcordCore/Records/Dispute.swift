import Foundation

/// What a flagging node decided about a dispute.
public enum DisputeOutcome: String, CaseIterable, Sendable, Codable {
    /// The flag was wrong: the node withdrew what it said of the identifier.
    case retracted
    /// The flag stands, for the reason given.
    case upheld
}

extension RecordInput {
    static let disputeFields: Set<String> = ["identifier", "statement", "to", "jurisdiction"]

    /// Reads a dispute about a flagged identifier, addressed to the nodes whose records flag it. It is RED to those
    /// nodes and the filer, never relayed: the statement may say whose number it is.
    /// - Throws: `InputError` listing each bad field.
    public static func dispute(_ json: JSONValue, filer: String, nodeJurisdiction: String) throws(InputError) -> RecordDraft {
        guard json.objectValue != nil else { throw InputError(pointer: "", detail: "expected an object, got \(json.typeName)") }
        var r = FieldReader(json)
        r.rejectUnknown(disputeFields)
        let body = readDisputeBody(&r, nodeJurisdiction: nodeJurisdiction)
        guard r.issues.isEmpty else { throw InputError(issues: r.issues) }
        let to = (body["to"]?.arrayValue ?? []).compactMap(\.stringValue)
        let audience = Audience(nodes: Array(Set(to + [filer])).sorted())
        return RecordDraft(
            kind: .dispute,
            body: .object(body),
            label: SharingLabel(tlp: .red, audience: audience, relay: false),
            exercise: false
        )
    }

    static func readDisputeBody(_ r: inout FieldReader, nodeJurisdiction: String) -> [String: JSONValue] {
        var body: [String: JSONValue] = [:]
        body["jurisdiction"] = .string(r.jurisdiction("jurisdiction") ?? nodeJurisdiction)
        if let identifier = readNamedIdentifier(&r, defaultRegion: nodeJurisdiction) { body["identifier"] = identifier }
        if let statement = r.string("statement", required: true, maxLength: 4096) {
            if statement.trimmingWhitespace().isEmpty {
                r.fail("statement", "is empty: say why the flag is wrong")
            } else {
                body["statement"] = .string(statement)
            }
        }
        if let to = r.stringList("to", maxCount: 50) {
            for (n, node) in to.enumerated() where !NodeID.isWellFormed(node) {
                r.issues.append(FieldIssue(pointer: r.pointer("to") + "/\(n)", detail: "\"\(node)\" is not a node id"))
            }
            if to.isEmpty { r.fail("to", "names no node: a dispute goes to the nodes that flagged the identifier") }
            body["to"] = .array(Array(Set(to)).sorted().map(JSONValue.string))
        } else {
            r.fail("to", "is required: the nodes that flagged the identifier")
        }
        return body
    }

    /// The identifier member `identifier` as `{"kind", "value"}` in canonical form; problems go to `r.issues`.
    static func readNamedIdentifier(_ r: inout FieldReader, defaultRegion: String) -> JSONValue? {
        guard let item = r.object["identifier"], item != .null else {
            r.fail("identifier", "is required")
            return nil
        }
        var ir = FieldReader(item, at: r.pointer("identifier"))
        ir.rejectUnknown(identifierFields)
        let identifier = readIdentifier(&ir, defaultRegion: defaultRegion)
        r.issues += ir.issues
        guard let identifier, ir.issues.isEmpty else { return nil }
        return ["kind": .string(identifier.kind.rawValue), "value": .string(identifier.canonical)]
    }

    /// Whether the identifier item `item` (`{"kind", "value", ...}`) falls under `disputed`: the same value, or for a
    /// disputed domain a URL on it or on one of its sub-domains.
    public static func names(_ item: JSONValue, _ disputed: Identifier) -> Bool {
        guard let kind = item["kind"]?.stringValue, let value = item["value"]?.stringValue else { return false }
        if kind == disputed.kind.rawValue && value == disputed.canonical { return true }
        guard disputed.kind == .domain, kind == IdentifierKind.url.rawValue,
            let host = WebAddressNormalizer.host(ofCanonicalURL: value)
        else { return false }
        return host == disputed.canonical || host.hasSuffix("." + disputed.canonical)
    }

    /// The same report as `report` without the identifiers that fall under `disputed`, under the same label, to
    /// replace it when a dispute is decided against the flag; nil when the report is not a report or names
    /// nothing else.
    public static func report(_ report: Record, without disputed: Identifier) -> RecordDraft? {
        guard report.kind == .report, var body = report.body.objectValue else { return nil }
        let rest = (body["identifiers"]?.arrayValue ?? []).filter { !names($0, disputed) }
        guard !rest.isEmpty else { return nil }
        body["identifiers"] = .array(rest)
        return RecordDraft(kind: .report, body: .object(body), label: report.label, exercise: report.exercise)
    }

    static let disputeDecisionFields: Set<String> = ["dispute", "identifier", "outcome", "reason", "withdrawn", "jurisdiction"]

    /// Reads a flagging node's decision on `dispute`: `outcome` and `reason`, with the records it withdrew.
    /// Only a node the dispute is addressed to may decide it; the decision reaches whoever the dispute reached.
    /// - Throws: `InputError` listing each bad field.
    public static func disputeDecision(
        _ json: JSONValue,
        on dispute: Record,
        decider: String,
        withdrawn: [String]
    ) throws(InputError) -> RecordDraft {
        guard dispute.kind == .dispute else { throw InputError(pointer: "/dispute", detail: "is not a dispute") }
        guard (dispute.body["to"]?.arrayValue ?? []).contains(.string(decider)) else {
            throw InputError(
                pointer: "/dispute",
                detail: "is addressed to other nodes; only a node that flagged the identifier decides it"
            )
        }
        guard var object = json.objectValue else {
            throw InputError(pointer: "", detail: "expected an object, got \(json.typeName)")
        }
        var unknown = FieldReader(json)
        unknown.rejectUnknown(["outcome", "reason"])
        guard unknown.issues.isEmpty else { throw InputError(issues: unknown.issues) }
        object["dispute"] = .string(dispute.id)
        object["identifier"] = dispute.body["identifier"] ?? .null
        object["withdrawn"] = .array(withdrawn.map(JSONValue.string))
        object["jurisdiction"] = dispute.body["jurisdiction"] ?? .null
        var r = FieldReader(.object(object))
        let body = readDisputeDecisionBody(&r, nodeJurisdiction: "")
        guard r.issues.isEmpty else { throw InputError(issues: r.issues) }
        return RecordDraft(kind: .disputeDecision, body: .object(body), label: dispute.label, exercise: false)
    }

    static func readDisputeDecisionBody(_ r: inout FieldReader, nodeJurisdiction: String) -> [String: JSONValue] {
        var body: [String: JSONValue] = [:]
        if let jurisdiction = r.jurisdiction("jurisdiction") ?? Jurisdiction.normalize(nodeJurisdiction) {
            body["jurisdiction"] = .string(jurisdiction)
        }
        if let dispute = r.string("dispute", required: true, maxLength: 64) {
            if ByteText.isSHA256Hex(dispute) {
                body["dispute"] = .string(dispute)
            } else {
                r.fail("dispute", "expected a record id")
            }
        }
        if let identifier = readNamedIdentifier(&r, defaultRegion: body["jurisdiction"]?.stringValue ?? "") {
            body["identifier"] = identifier
        }
        if let text = r.string("outcome", required: true, maxLength: 16) {
            if let outcome = DisputeOutcome(rawValue: text) {
                body["outcome"] = .string(outcome.rawValue)
            } else {
                r.fail("outcome", "is one of \(DisputeOutcome.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        if let reason = r.string("reason", required: true, maxLength: 4096) {
            if reason.trimmingWhitespace().isEmpty {
                r.fail("reason", "is empty: say why")
            } else {
                body["reason"] = .string(reason)
            }
        }
        var withdrawn: [JSONValue] = []
        if let list = r.stringList("withdrawn", maxCount: 10_000) {
            for (n, id) in list.enumerated() {
                if ByteText.isSHA256Hex(id) {
                    withdrawn.append(.string(id))
                } else {
                    r.issues.append(FieldIssue(pointer: r.pointer("withdrawn") + "/\(n)", detail: "expected a record id"))
                }
            }
        }
        body["withdrawn"] = .array(withdrawn)
        return body
    }
}
