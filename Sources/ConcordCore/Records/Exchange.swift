import Foundation

extension RecordInput {
    static let exchangeFields: Set<String> = [
        "title", "format", "participants", "host", "factors", "start", "end", "funder", "region", "pairing", "jurisdiction",
    ]

    /// Reads a planned learning exchange: who takes part, which capability factors, when, in what format, and who
    /// pays. AMBER unless the input gives a label.
    /// - Throws: `InputError` listing each bad field.
    public static func exchange(_ json: JSONValue, writer: String, nodeJurisdiction: String) throws(InputError) -> RecordDraft {
        guard json.objectValue != nil else { throw InputError(pointer: "", detail: "expected an object, got \(json.typeName)") }
        var r = FieldReader(json)
        r.rejectUnknown(exchangeFields.union(labelFields))
        let body = readExchangeBody(&r, writer: writer, nodeJurisdiction: nodeJurisdiction)
        let (label, exercise) = readLabel(&r, defaultTLP: .amber)
        guard r.issues.isEmpty else { throw InputError(issues: r.issues) }
        return RecordDraft(kind: .exchange, body: .object(body), label: label, exercise: exercise)
    }

    static func readExchangeBody(_ r: inout FieldReader, writer: String, nodeJurisdiction: String) -> [String: JSONValue] {
        var body: [String: JSONValue] = [:]
        body["jurisdiction"] = .string(r.jurisdiction("jurisdiction") ?? nodeJurisdiction)
        if let title = r.string("title", required: true, maxLength: 200) {
            if title.trimmingWhitespace().isEmpty { r.fail("title", "is empty") } else { body["title"] = .string(title) }
        }
        if let text = r.string("format", required: true, maxLength: 32) {
            if let format = ExchangeFormat(rawValue: text) {
                body["format"] = .string(format.rawValue)
            } else {
                r.fail("format", "is one of \(ExchangeFormat.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        let participants = r.stringList("participants", maxCount: 50) ?? []
        for (n, node) in participants.enumerated() where !NodeID.isWellFormed(node) {
            r.issues.append(FieldIssue(pointer: r.pointer("participants") + "/\(n)", detail: "\"\(node)\" is not a node id"))
        }
        if Set(participants).count < 2 {
            r.fail("participants", "name at least two organisations (node ids)")
        } else if !participants.contains(writer) {
            r.fail("participants", "an exchange is planned by one of its participants, and this node is not one")
        }
        body["participants"] = .array(Array(Set(participants)).sorted().map(JSONValue.string))
        if let host = r.string("host", maxLength: 64) {
            if NodeID.isWellFormed(host) && participants.contains(host) {
                body["host"] = .string(host)
            } else {
                r.fail("host", "is one of the participants")
            }
        }
        let factors = r.stringList("factors", maxCount: 50) ?? []
        for (n, factor) in factors.enumerated() where !isFactorID(factor) {
            r.issues.append(FieldIssue(pointer: r.pointer("factors") + "/\(n)", detail: "expected a factor id"))
        }
        if factors.isEmpty { r.fail("factors", "is required: the capability factors the exchange works on") }
        body["factors"] = .array(Array(Set(factors)).sorted().map(JSONValue.string))
        let start = r.timestamp("start")
        if r.object["start"] == nil || r.object["start"] == .null { r.fail("start", "is required: when the exchange begins") }
        let end = r.timestamp("end") ?? start
        if let start { body["start"] = .string(start.rfc3339) }
        if let start, let end {
            if end < start { r.fail("end", "is before the start") } else { body["end"] = .string(end.rfc3339) }
        }
        if let funder = r.string("funder", maxLength: 200), !funder.isEmpty { body["funder"] = .string(funder) }
        if let text = r.string("region", maxLength: 32) {
            if let region = LearningRegion(rawValue: text) {
                body["region"] = .string(region.rawValue)
            } else {
                r.fail("region", "is one of \(LearningRegion.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        if let pairing = r.string("pairing", maxLength: 64) {
            if ByteText.isSHA256Hex(pairing) {
                body["pairing"] = .string(pairing)
            } else {
                r.fail("pairing", "expected the record id of a pairing offer")
            }
        }
        return body
    }

    static let exchangeOutcomeFields: Set<String> = ["exchange", "summary", "completed", "follow_ups"]

    /// Reads what an exchange led to: a summary, whether it took place as planned, and follow-up actions.
    /// Written by a participant; carries the exchange's label.
    /// - Throws: `InputError` listing each bad field.
    public static func exchangeOutcome(_ json: JSONValue, of exchange: Record, writer: String) throws(InputError) -> RecordDraft {
        guard exchange.kind == .exchange else { throw InputError(pointer: "/exchange", detail: "is not a learning exchange") }
        guard (exchange.body["participants"]?.arrayValue ?? []).contains(.string(writer)) else {
            throw InputError(pointer: "/exchange", detail: "this node did not take part in it")
        }
        guard var object = json.objectValue else {
            throw InputError(pointer: "", detail: "expected an object, got \(json.typeName)")
        }
        object["exchange"] = .string(exchange.id)
        var r = FieldReader(.object(object))
        r.rejectUnknown(exchangeOutcomeFields)
        let body = readExchangeOutcomeBody(&r)
        guard r.issues.isEmpty else { throw InputError(issues: r.issues) }
        return RecordDraft(kind: .exchangeOutcome, body: .object(body), label: exchange.label, exercise: exchange.exercise)
    }

    static func readExchangeOutcomeBody(_ r: inout FieldReader) -> [String: JSONValue] {
        var body: [String: JSONValue] = [:]
        if let id = r.string("exchange", required: true, maxLength: 64) {
            if ByteText.isSHA256Hex(id) { body["exchange"] = .string(id) } else { r.fail("exchange", "expected a record id") }
        }
        if let summary = r.string("summary", required: true, maxLength: 8000) {
            if summary.trimmingWhitespace().isEmpty { r.fail("summary", "is empty") } else { body["summary"] = .string(summary) }
        }
        body["completed"] = .bool(r.bool("completed") ?? true)
        var followUps: [JSONValue] = []
        if let list = r.object["follow_ups"], list != .null {
            if let items = list.arrayValue, items.count <= 50 {
                for (n, item) in items.enumerated() {
                    var fr = FieldReader(item, at: r.pointer("follow_ups") + "/\(n)")
                    fr.rejectUnknown(["action", "owner", "due"])
                    var out: [String: JSONValue] = [:]
                    if let action = fr.string("action", required: true, maxLength: 1000), !action.isEmpty {
                        out["action"] = .string(action)
                    }
                    if let owner = fr.string("owner", maxLength: 64) {
                        if NodeID.isWellFormed(owner) {
                            out["owner"] = .string(owner)
                        } else {
                            fr.fail("owner", "expected a node id")
                        }
                    }
                    if let due = fr.timestamp("due") { out["due"] = .string(due.rfc3339) }
                    r.issues += fr.issues
                    followUps.append(.object(out))
                }
            } else {
                r.fail("follow_ups", "expected an array of at most 50 follow-up actions")
            }
        }
        body["follow_ups"] = .array(followUps)
        return body
    }
}
