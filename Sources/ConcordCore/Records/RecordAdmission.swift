/// What a node checks of a record it did not write before storing it: a peer's record, one relayed from an
/// origin that is not a peer, one read from a file. The signature proves who wrote a record, not that what it
/// says is sound, so its label and body pass through the very readers that API input does.
///
/// A body is admitted when reading it as API input gives it back unchanged: every identifier normalises to
/// itself (so it is one key, of bounded length, with no NUL), every string is within its cap, the money
/// amount is a bounded amount of a known currency, codes are ISO codes, a report names at most 1000
/// identifiers, and there is no member the readers do not know.
public enum RecordAdmission {
    /// The most bytes of canonical content a record may have. A report at the API's own caps (a 16 KiB
    /// narrative, a thousand identifiers of typical length) stays well below it.
    public static let maximumContentBytes = 1 << 20

    /// Checks a verified record's content.
    /// - Throws: `RecordError.invalid` naming the first part that does not hold, by its JSON pointer within
    ///   the record's content (`/body/identifiers/3/value`, `/label/audience/nodes/0`).
    public static func check(_ record: Record) throws(RecordError) {
        guard record.canonical.count <= maximumContentBytes else {
            throw .invalid(
                InputError(
                    pointer: "",
                    detail: "is \(record.canonical.count) bytes; a record may have at most \(maximumContentBytes)"
                )
            )
        }
        if let extra = record.content.objectValue?.keys.sorted().first(where: { !Record.contentMembers.contains($0) }) {
            throw .invalid(InputError(pointer: "/" + pointerToken(extra), detail: "is not a member of a record"))
        }
        if let pointer = firstNUL(in: record.content, at: "") {
            throw .invalid(InputError(pointer: pointer, detail: "holds a NUL character (U+0000), which no field may"))
        }
        try checkLabel(record)
        let issues = bodyIssues(record)
        guard issues.isEmpty else {
            throw .invalid(InputError(issues: issues.map { FieldIssue(pointer: "/body" + $0.pointer, detail: $0.detail) }))
        }
    }

    /// The pointer of the first string (or member name) holding U+0000, or nil.
    static func firstNUL(in value: JSONValue, at pointer: String) -> String? {
        switch value {
        case .string(let s): return s.utf8.contains(0) ? pointer : nil
        case .array(let items):
            for (n, item) in items.enumerated() {
                if let found = firstNUL(in: item, at: pointer + "/\(n)") { return found }
            }
            return nil
        case .object(let members):
            for (key, item) in members {
                if key.utf8.contains(0) { return pointer + "/" + pointerToken(key) }
                if let found = firstNUL(in: item, at: pointer + "/" + pointerToken(key)) { return found }
            }
            return nil
        case .null, .bool, .integer, .double: return nil
        }
    }

    private static func checkLabel(_ record: Record) throws(RecordError) {
        // The label was read into its type when the record was verified; here its lists get the API's caps
        // and checks (node ids, community names, country codes).
        var object = record.content["label"]?.objectValue ?? [:]
        object["exercise"] = .bool(record.exercise)
        var reader = FieldReader(.object(object), at: "/label")
        reader.rejectUnknown(RecordInput.labelFields)
        _ = RecordInput.readLabel(&reader, defaultTLP: record.label.tlp)
        guard reader.issues.isEmpty else { throw .invalid(InputError(issues: reader.issues)) }
    }

    /// The problems of the body, with pointers relative to the body.
    private static func bodyIssues(_ record: Record) -> [FieldIssue] {
        let body = record.body
        guard let members = body.objectValue else { return [FieldIssue(pointer: "", detail: "expected an object")] }
        do throws(InputError) {
            switch record.kind {
            case .report:
                guard let jurisdiction = members["jurisdiction"]?.stringValue else {
                    return [FieldIssue(pointer: "/jurisdiction", detail: "is required")]
                }
                let read = try RecordInput.report(body, nodeJurisdiction: jurisdiction)
                return differences(read.body, body)
            case .indicator:
                // The API takes the identifier's fields flat; the record nests them under `identifier`.
                guard let jurisdiction = members["jurisdiction"]?.stringValue else {
                    return [FieldIssue(pointer: "/jurisdiction", detail: "is required")]
                }
                var flat = members
                let nested = flat.removeValue(forKey: "identifier")
                guard let identifier = nested?.objectValue, Set(identifier.keys) == ["kind", "value"] else {
                    return [FieldIssue(pointer: "/identifier", detail: "expected an object with kind and value")]
                }
                flat["kind"] = identifier["kind"]
                flat["value"] = identifier["value"]
                let read = try RecordInput.indicator(.object(flat), nodeJurisdiction: jurisdiction)
                return differences(read.body, body)
            case .community:
                let read = try RecordInput.community(body, steward: record.origin)
                return differences(read.body, body)
            case .actionRequest:
                var reader = FieldReader(body)
                reader.rejectUnknown(RecordInput.actionRequestFields)
                let read = RecordInput.readActionRequestBody(
                    &reader,
                    requester: record.origin,
                    nodeJurisdiction: members["jurisdiction"]?.stringValue ?? "",
                    now: record.created
                )
                return reader.issues.isEmpty ? differences(.object(read), body) : reader.issues
            case .actionResponse:
                var reader = FieldReader(body)
                reader.rejectUnknown(RecordInput.actionResponseFields)
                let read = RecordInput.readActionResponseBody(
                    &reader,
                    nodeJurisdiction: members["jurisdiction"]?.stringValue ?? ""
                )
                return reader.issues.isEmpty ? differences(.object(read), body) : reader.issues
            case .dispute:
                var reader = FieldReader(body)
                reader.rejectUnknown(RecordInput.disputeFields)
                let read = RecordInput.readDisputeBody(&reader, nodeJurisdiction: members["jurisdiction"]?.stringValue ?? "")
                return reader.issues.isEmpty ? differences(.object(read), body) : reader.issues
            case .disputeDecision:
                var reader = FieldReader(body)
                reader.rejectUnknown(RecordInput.disputeDecisionFields)
                let read = RecordInput.readDisputeDecisionBody(&reader, nodeJurisdiction: "")
                return reader.issues.isEmpty ? differences(.object(read), body) : reader.issues
            case .directoryEntry:
                var reader = FieldReader(body)
                reader.rejectUnknown(RecordInput.directoryFields)
                let read = RecordInput.readDirectoryBody(
                    &reader,
                    writer: record.origin,
                    nodeJurisdiction: members["jurisdiction"]?.stringValue ?? ""
                )
                return reader.issues.isEmpty ? differences(.object(read), body) : reader.issues
            case .assessment:
                var reader = FieldReader(body)
                reader.rejectUnknown(RecordInput.assessmentFields)
                let read = RecordInput.readAssessmentBody(&reader, nodeJurisdiction: members["jurisdiction"]?.stringValue ?? "")
                return reader.issues.isEmpty ? differences(.object(read), body) : reader.issues
            case .assessmentReview:
                var reader = FieldReader(body)
                reader.rejectUnknown(RecordInput.assessmentReviewFields)
                let read = RecordInput.readAssessmentReviewBody(&reader, nodeJurisdiction: "")
                return reader.issues.isEmpty ? differences(.object(read), body) : reader.issues
            case .pairingOffer:
                var reader = FieldReader(body)
                reader.rejectUnknown(RecordInput.pairingOfferFields)
                let read = RecordInput.readPairingOfferBody(
                    &reader,
                    writer: record.origin,
                    nodeJurisdiction: members["jurisdiction"]?.stringValue ?? ""
                )
                return reader.issues.isEmpty ? differences(.object(read), body) : reader.issues
            case .pairingResponse:
                var reader = FieldReader(body)
                reader.rejectUnknown(RecordInput.pairingResponseFields)
                let read = RecordInput.readPairingResponseBody(&reader)
                return reader.issues.isEmpty ? differences(.object(read), body) : reader.issues
            case .practice:
                var reader = FieldReader(body)
                reader.rejectUnknown(RecordInput.practiceFields)
                let read = RecordInput.readPracticeBody(&reader, nodeJurisdiction: members["jurisdiction"]?.stringValue ?? "")
                return reader.issues.isEmpty ? differences(.object(read), body) : reader.issues
            case .exchange:
                var reader = FieldReader(body)
                reader.rejectUnknown(RecordInput.exchangeFields)
                let read = RecordInput.readExchangeBody(
                    &reader,
                    writer: record.origin,
                    nodeJurisdiction: members["jurisdiction"]?.stringValue ?? ""
                )
                return reader.issues.isEmpty ? differences(.object(read), body) : reader.issues
            case .exchangeOutcome:
                var reader = FieldReader(body)
                reader.rejectUnknown(RecordInput.exchangeOutcomeFields)
                let read = RecordInput.readExchangeOutcomeBody(&reader)
                return reader.issues.isEmpty ? differences(.object(read), body) : reader.issues
            case .exercise, .exerciseInject, .exerciseReport:
                guard record.exercise else {
                    return [FieldIssue(pointer: "", detail: "a \(record.kind.rawValue) record is always an exercise record")]
                }
                if record.kind == .exercise && (record.label.tlp != .red || record.label.audience.nodes != [record.origin]) {
                    return [FieldIssue(pointer: "", detail: "an exercise record is RED to its director alone")]
                }
                var reader = FieldReader(body)
                let read: [String: JSONValue]
                switch record.kind {
                case .exercise:
                    reader.rejectUnknown(RecordInput.exerciseFields)
                    read = RecordInput.readExerciseBody(
                        &reader,
                        nodeJurisdiction: members["jurisdiction"]?.stringValue ?? "",
                        now: record.created
                    )
                case .exerciseInject:
                    reader.rejectUnknown(RecordInput.exerciseInjectFields)
                    read = RecordInput.readExerciseInjectBody(&reader)
                default:
                    reader.rejectUnknown(RecordInput.exerciseReportFields)
                    read = RecordInput.readExerciseReportBody(&reader)
                }
                return reader.issues.isEmpty ? differences(.object(read), body) : reader.issues
            case .retraction:
                var reader = FieldReader(body)
                reader.rejectUnknown(["record", "reason"])
                if let target = reader.string("record", required: true, maxLength: 64), !ByteText.isSHA256Hex(target) {
                    reader.fail("record", "expected the 64 hex digits of a record id")
                }
                if let reason = reader.string("reason", required: true, maxLength: 4096), reason.isEmpty {
                    reader.fail("reason", "is empty")
                }
                return reader.issues
            }
        } catch {
            return error.issues
        }
    }

    /// Where `stored` differs from `canonical`, the form the API readers give the same input: a value the
    /// readers would have written otherwise is not in canonical form.
    private static func differences(_ canonical: JSONValue, _ stored: JSONValue) -> [FieldIssue] {
        guard canonical != stored else { return [] }
        return [
            FieldIssue(pointer: firstDifference(canonical, stored, at: ""), detail: "is not in the form this node writes it in")
        ]
    }

    private static func firstDifference(_ a: JSONValue, _ b: JSONValue, at pointer: String) -> String {
        switch (a, b) {
        case (.object(let x), .object(let y)):
            for key in Set(x.keys).union(y.keys).sorted() where x[key] != y[key] {
                guard let xv = x[key], let yv = y[key] else { return pointer + "/" + pointerToken(key) }
                return firstDifference(xv, yv, at: pointer + "/" + pointerToken(key))
            }
            return pointer
        case (.array(let x), .array(let y)):
            for n in 0..<min(x.count, y.count) where x[n] != y[n] {
                return firstDifference(x[n], y[n], at: pointer + "/\(n)")
            }
            return pointer + "/\(min(x.count, y.count))"
        default:
            return pointer
        }
    }
}
