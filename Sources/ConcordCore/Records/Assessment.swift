import Foundation

/// Regions used to prefer pairs across regions when matching mentors.
public enum LearningRegion: String, CaseIterable, Sendable, Codable {
    case southeastAsia = "southeast-asia"
    case eastAsia = "east-asia"
    case southAsia = "south-asia"
    case centralAsia = "central-asia"
    case pacific
    case africa
    case europe
    case middleEast = "middle-east"
    case latinAmericaCaribbean = "latin-america-caribbean"
    case northAmerica = "north-america"
}

/// Legal traditions, for matching organisations that work under similar law.
public enum LegalTradition: String, CaseIterable, Sendable, Codable {
    case common
    case civil
    case mixed
    case islamic
    case customary
}

extension RecordInput {
    static let assessmentFields: Set<String> = [
        "framework", "framework_version", "organisation", "jurisdiction", "region", "languages", "time_zone",
        "legal_tradition", "mentor_capacity", "factors", "follows",
    ]
    static let assessmentFactorFields: Set<String> = ["factor", "stage", "target", "confidence", "evidence", "note"]

    /// Reads a capability self-assessment: the framework it follows, the organisation's profile for matching, and
    /// each factor's stage, target, confidence and evidence. AMBER unless the input gives a label.
    /// - Throws: `InputError` listing each bad field.
    public static func assessment(_ json: JSONValue, nodeJurisdiction: String) throws(InputError) -> RecordDraft {
        guard json.objectValue != nil else { throw InputError(pointer: "", detail: "expected an object, got \(json.typeName)") }
        var r = FieldReader(json)
        r.rejectUnknown(assessmentFields.union(labelFields))
        let body = readAssessmentBody(&r, nodeJurisdiction: nodeJurisdiction, strictTimeZone: true)
        let (label, exercise) = readLabel(&r, defaultTLP: .amber)
        guard r.issues.isEmpty else { throw InputError(issues: r.issues) }
        return RecordDraft(kind: .assessment, body: .object(body), label: label, exercise: exercise)
    }

    /// The IANA zone names this system knows, read once.
    static let knownTimeZones = Set(TimeZone.knownTimeZoneIdentifiers)

    static func isFactorID(_ text: String) -> Bool {
        (1...64).contains(text.utf8.count)
            && text.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
    }

    /// Whether `text` has the shape of an IANA zone name: letters, digits, `_`, `+`, `-` in parts separated by `/`.
    static func isTimeZoneName(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        return (1...4).contains(parts.count)
            && parts.allSatisfy { part in
                !part.isEmpty && part != "." && part != ".."
                    && part.utf8.allSatisfy {
                        ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F
                            || $0 == 0x2B || $0 == 0x2D
                    }
            }
    }

    static func readAssessmentBody(
        _ r: inout FieldReader,
        nodeJurisdiction: String,
        strictTimeZone: Bool = false
    ) -> [String: JSONValue] {
        var body: [String: JSONValue] = [:]
        body["jurisdiction"] = .string(r.jurisdiction("jurisdiction") ?? nodeJurisdiction)
        if let framework = r.string("framework", required: true, maxLength: 64) {
            if isFactorID(framework) {
                body["framework"] = .string(framework)
            } else {
                r.fail("framework", "expected a framework id (a-z, 0-9, -)")
            }
        }
        if let version = r.string("framework_version", required: true, maxLength: 32) {
            if version.trimmingWhitespace().isEmpty {
                r.fail("framework_version", "is empty")
            } else {
                body["framework_version"] = .string(version)
            }
        }
        if let organisation = r.string("organisation", required: true, maxLength: 200) {
            if organisation.trimmingWhitespace().isEmpty {
                r.fail("organisation", "is empty")
            } else {
                body["organisation"] = .string(organisation)
            }
        }
        if let text = r.string("region", required: true, maxLength: 32) {
            if let region = LearningRegion(rawValue: text) {
                body["region"] = .string(region.rawValue)
            } else {
                r.fail("region", "is one of \(LearningRegion.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        var languages: [JSONValue] = []
        for (n, text) in (r.stringList("languages", maxCount: 16) ?? []).enumerated() {
            let code = text.lowercased()
            if (2...3).contains(code.utf8.count) && code.utf8.allSatisfy({ $0 >= 0x61 && $0 <= 0x7A }) {
                if !languages.contains(.string(code)) { languages.append(.string(code)) }
            } else {
                r.issues.append(
                    FieldIssue(pointer: r.pointer("languages") + "/\(n)", detail: "expected an ISO 639 code such as en or th")
                )
            }
        }
        if languages.isEmpty { r.fail("languages", "is required: at least one language the organisation works in") }
        body["languages"] = .array(languages)
        if let zone = r.string("time_zone", required: true, maxLength: 64) {
            // Looked up in the list of known zones, never opened by name: a peer's text must not become a file path.
            if knownTimeZones.contains(zone) {
                body["time_zone"] = .string(zone)
            } else {
                r.fail("time_zone", "\"\(zone)\" is not an IANA time zone such as Asia/Bangkok")
            }
        }
        if let text = r.string("legal_tradition", maxLength: 16) {
            if let tradition = LegalTradition(rawValue: text) {
                body["legal_tradition"] = .string(tradition.rawValue)
            } else {
                r.fail("legal_tradition", "is one of \(LegalTradition.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        body["mentor_capacity"] = .integer(r.integer("mentor_capacity", in: 0...20) ?? 0)
        if let follows = r.string("follows", maxLength: 64) {
            if ByteText.isSHA256Hex(follows) {
                body["follows"] = .string(follows)
            } else {
                r.fail("follows", "expected the record id of a learning exchange")
            }
        }
        var factors: [JSONValue] = []
        var seen = Set<String>()
        if let items = r.object["factors"]?.arrayValue, (1...500).contains(items.count) {
            for (n, item) in items.enumerated() {
                var fr = FieldReader(item, at: r.pointer("factors") + "/\(n)")
                fr.rejectUnknown(assessmentFactorFields)
                var out: [String: JSONValue] = [:]
                if let factor = fr.string("factor", required: true, maxLength: 64) {
                    if !isFactorID(factor) {
                        fr.fail("factor", "expected a factor id (a-z, 0-9, -)")
                    } else if !seen.insert(factor).inserted {
                        fr.fail("factor", "\(factor) is assessed twice")
                    } else {
                        out["factor"] = .string(factor)
                    }
                }
                let stage = fr.integer("stage", in: 1...5)
                if fr.object["stage"] == nil || fr.object["stage"] == .null {
                    fr.fail("stage", "is required: 1 (start-up) to 5 (dynamic)")
                }
                let target = fr.integer("target", in: 1...5) ?? stage
                if let stage { out["stage"] = .integer(stage) }
                if let target, let stage {
                    if target < stage {
                        fr.fail("target", "is below the stage \(stage)")
                    } else {
                        out["target"] = .integer(target)
                    }
                }
                let confidence = fr.string("confidence", maxLength: 8) ?? "medium"
                if ["low", "medium", "high"].contains(confidence) {
                    out["confidence"] = .string(confidence)
                } else {
                    fr.fail("confidence", "is low, medium or high")
                }
                var evidence: [JSONValue] = []
                for (e, link) in (fr.stringList("evidence", maxCount: 10) ?? []).enumerated() {
                    if link.hasPrefix("https://") || link.hasPrefix("http://") || link.hasPrefix("concord:") {
                        evidence.append(.string(link))
                    } else {
                        fr.issues.append(
                            FieldIssue(
                                pointer: fr.pointer("evidence") + "/\(e)",
                                detail: "expected an http(s) link or a concord:<record id>"
                            )
                        )
                    }
                }
                out["evidence"] = .array(evidence)
                if let note = fr.string("note", maxLength: 2000), !note.isEmpty { out["note"] = .string(note) }
                r.issues += fr.issues
                factors.append(.object(out))
            }
        } else {
            r.fail("factors", "expected an array of 1 to 500 assessed factors")
        }
        body["factors"] = .array(factors)
        return body
    }

    static let assessmentReviewFields: Set<String> = ["assessment", "factors", "summary", "jurisdiction"]

    /// Reads a peer's review of `assessment`: the stage it would give each factor it looked at, with comments.
    /// It carries the assessment's label, and only another node than the assessed one writes it.
    /// - Throws: `InputError` listing each bad field.
    public static func assessmentReview(
        _ json: JSONValue,
        of assessment: Record,
        reviewer: String
    ) throws(InputError) -> RecordDraft {
        guard assessment.kind == .assessment else { throw InputError(pointer: "/assessment", detail: "is not an assessment") }
        guard assessment.origin != reviewer else {
            throw InputError(pointer: "/assessment", detail: "is this node's own: a review comes from a peer")
        }
        guard var object = json.objectValue else {
            throw InputError(pointer: "", detail: "expected an object, got \(json.typeName)")
        }
        var unknown = FieldReader(json)
        unknown.rejectUnknown(["factors", "summary"])
        guard unknown.issues.isEmpty else { throw InputError(issues: unknown.issues) }
        object["assessment"] = .string(assessment.id)
        object["jurisdiction"] = assessment.body["jurisdiction"] ?? .null
        var r = FieldReader(.object(object))
        let body = readAssessmentReviewBody(&r, nodeJurisdiction: "")
        guard r.issues.isEmpty else { throw InputError(issues: r.issues) }
        return RecordDraft(kind: .assessmentReview, body: .object(body), label: assessment.label, exercise: assessment.exercise)
    }

    static func readAssessmentReviewBody(_ r: inout FieldReader, nodeJurisdiction: String) -> [String: JSONValue] {
        var body: [String: JSONValue] = [:]
        if let jurisdiction = r.jurisdiction("jurisdiction") ?? Jurisdiction.normalize(nodeJurisdiction) {
            body["jurisdiction"] = .string(jurisdiction)
        }
        if let id = r.string("assessment", required: true, maxLength: 64) {
            if ByteText.isSHA256Hex(id) { body["assessment"] = .string(id) } else { r.fail("assessment", "expected a record id") }
        }
        if let summary = r.string("summary", required: true, maxLength: 4000) {
            if summary.trimmingWhitespace().isEmpty { r.fail("summary", "is empty") } else { body["summary"] = .string(summary) }
        }
        var factors: [JSONValue] = []
        if let list = r.object["factors"], list != .null {
            if let items = list.arrayValue, items.count <= 500 {
                for (n, item) in items.enumerated() {
                    var fr = FieldReader(item, at: r.pointer("factors") + "/\(n)")
                    fr.rejectUnknown(["factor", "stage", "comment"])
                    var out: [String: JSONValue] = [:]
                    if let factor = fr.string("factor", required: true, maxLength: 64) {
                        if isFactorID(factor) {
                            out["factor"] = .string(factor)
                        } else {
                            fr.fail("factor", "expected a factor id")
                        }
                    }
                    if let stage = fr.integer("stage", in: 1...5) {
                        out["stage"] = .integer(stage)
                    } else if fr.object["stage"] == nil {
                        fr.fail("stage", "is required")
                    }
                    if let comment = fr.string("comment", maxLength: 2000), !comment.isEmpty { out["comment"] = .string(comment) }
                    r.issues += fr.issues
                    factors.append(.object(out))
                }
            } else {
                r.fail("factors", "expected an array of at most 500 reviewed factors")
            }
        }
        body["factors"] = .array(factors)
        return body
    }
}

/// How a pairing is to work.
public enum ExchangeFormat: String, CaseIterable, Sendable, Codable {
    case studyVisit = "study_visit"
    case secondment
    case workshop
    case remoteMentoring = "remote_mentoring"
}

extension RecordInput {
    static let pairingOfferFields: Set<String> = ["mentee", "mentor", "factors", "reasons", "format", "note", "jurisdiction"]

    /// Reads an offer to pair `mentee` with `mentor`, written by one of the two; RED to both, not relayed.
    /// - Throws: `InputError` listing each bad field.
    public static func pairingOffer(_ json: JSONValue, writer: String, nodeJurisdiction: String) throws(InputError) -> RecordDraft
    {
        guard json.objectValue != nil else { throw InputError(pointer: "", detail: "expected an object, got \(json.typeName)") }
        var r = FieldReader(json)
        r.rejectUnknown(pairingOfferFields)
        let body = readPairingOfferBody(&r, writer: writer, nodeJurisdiction: nodeJurisdiction)
        guard r.issues.isEmpty, let mentee = body["mentee"]?.stringValue, let mentor = body["mentor"]?.stringValue else {
            throw InputError(issues: r.issues)
        }
        let label = SharingLabel(tlp: .red, audience: Audience(nodes: [mentee, mentor].sorted()), relay: false)
        return RecordDraft(kind: .pairingOffer, body: .object(body), label: label, exercise: false)
    }

    static func readPairingOfferBody(_ r: inout FieldReader, writer: String, nodeJurisdiction: String) -> [String: JSONValue] {
        var body: [String: JSONValue] = [:]
        body["jurisdiction"] = .string(r.jurisdiction("jurisdiction") ?? nodeJurisdiction)
        for role in ["mentee", "mentor"] {
            if let node = r.string(role, required: true, maxLength: 64) {
                if NodeID.isWellFormed(node) { body[role] = .string(node) } else { r.fail(role, "\"\(node)\" is not a node id") }
            }
        }
        if let mentee = body["mentee"], mentee == body["mentor"] { r.fail("mentor", "is the mentee itself") }
        if r.issues.isEmpty, body["mentee"]?.stringValue != writer, body["mentor"]?.stringValue != writer {
            r.fail("mentee", "an offer is made by the mentee or the mentor, and this node is neither")
        }
        let factors = r.stringList("factors", maxCount: 50) ?? []
        for (n, factor) in factors.enumerated() where !isFactorID(factor) {
            r.issues.append(FieldIssue(pointer: r.pointer("factors") + "/\(n)", detail: "expected a factor id"))
        }
        if factors.isEmpty { r.fail("factors", "is required: the factors the pair works on") }
        body["factors"] = .array(factors.map(JSONValue.string))
        body["reasons"] = .array((r.stringList("reasons", maxCount: 20) ?? []).map(JSONValue.string))
        if let text = r.string("format", maxLength: 32) {
            if let format = ExchangeFormat(rawValue: text) {
                body["format"] = .string(format.rawValue)
            } else {
                r.fail("format", "is one of \(ExchangeFormat.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        if let note = r.string("note", maxLength: 4000), !note.isEmpty { body["note"] = .string(note) }
        return body
    }

    static let pairingResponseFields: Set<String> = ["offer", "status", "note"]

    /// Reads the answer to `offer` by the other party: accepted or declined.
    /// - Throws: `InputError` listing each bad field.
    public static func pairingResponse(_ json: JSONValue, to offer: Record, responder: String) throws(InputError) -> RecordDraft {
        guard offer.kind == .pairingOffer else { throw InputError(pointer: "/offer", detail: "is not a pairing offer") }
        let parties = [offer.body["mentee"]?.stringValue, offer.body["mentor"]?.stringValue].compactMap { $0 }
        guard parties.contains(responder), responder != offer.origin else {
            throw InputError(pointer: "/offer", detail: "is answered by the other party of the pair, not by this node")
        }
        guard var object = json.objectValue else {
            throw InputError(pointer: "", detail: "expected an object, got \(json.typeName)")
        }
        object["offer"] = .string(offer.id)
        var r = FieldReader(.object(object))
        r.rejectUnknown(pairingResponseFields)
        let body = readPairingResponseBody(&r)
        guard r.issues.isEmpty else { throw InputError(issues: r.issues) }
        return RecordDraft(kind: .pairingResponse, body: .object(body), label: offer.label, exercise: false)
    }

    static func readPairingResponseBody(_ r: inout FieldReader) -> [String: JSONValue] {
        var body: [String: JSONValue] = [:]
        if let offer = r.string("offer", required: true, maxLength: 64) {
            if ByteText.isSHA256Hex(offer) { body["offer"] = .string(offer) } else { r.fail("offer", "expected a record id") }
        }
        if let status = r.string("status", required: true, maxLength: 16) {
            if ["accepted", "declined"].contains(status) {
                body["status"] = .string(status)
            } else {
                r.fail("status", "is accepted or declined")
            }
        }
        if let note = r.string("note", maxLength: 4000), !note.isEmpty { body["note"] = .string(note) }
        return body
    }
}
