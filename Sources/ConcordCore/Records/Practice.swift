import Foundation

/// What a practice library entry is.
public enum PracticeKind: String, CaseIterable, Sendable, Codable {
    case playbook
    case caseStudy = "case_study"
    case legalTemplate = "legal_template"
    case training
}

extension RecordInput {
    static let practiceFields: Set<String> = [
        "title", "kind", "text", "factors", "typologies", "language", "attachments", "jurisdiction",
    ]

    /// Reads a practice library entry: a playbook, case study, legal template or training material as markdown,
    /// tagged by capability factor and typology, with attachments named by their SHA-256. GREEN and relayed unless
    /// the input gives a label.
    /// - Throws: `InputError` listing each bad field.
    public static func practice(_ json: JSONValue, nodeJurisdiction: String) throws(InputError) -> RecordDraft {
        guard json.objectValue != nil else { throw InputError(pointer: "", detail: "expected an object, got \(json.typeName)") }
        var r = FieldReader(json)
        r.rejectUnknown(practiceFields.union(labelFields))
        let body = readPracticeBody(&r, nodeJurisdiction: nodeJurisdiction)
        let (label, exercise) = readLabel(&r, defaultTLP: .green)
        guard r.issues.isEmpty else { throw InputError(issues: r.issues) }
        return RecordDraft(kind: .practice, body: .object(body), label: label, exercise: exercise)
    }

    static func readPracticeBody(_ r: inout FieldReader, nodeJurisdiction: String) -> [String: JSONValue] {
        var body: [String: JSONValue] = [:]
        body["jurisdiction"] = .string(r.jurisdiction("jurisdiction") ?? nodeJurisdiction)
        if let title = r.string("title", required: true, maxLength: 200) {
            if title.trimmingWhitespace().isEmpty { r.fail("title", "is empty") } else { body["title"] = .string(title) }
        }
        if let text = r.string("kind", required: true, maxLength: 32) {
            if let kind = PracticeKind(rawValue: text) {
                body["kind"] = .string(kind.rawValue)
            } else {
                r.fail("kind", "is one of \(PracticeKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        if let text = r.string("text", required: true, maxLength: 256 * 1024) {
            if text.trimmingWhitespace().isEmpty { r.fail("text", "is empty") } else { body["text"] = .string(text) }
        }
        let factors = r.stringList("factors", maxCount: 50) ?? []
        for (n, factor) in factors.enumerated() where !isFactorID(factor) {
            r.issues.append(FieldIssue(pointer: r.pointer("factors") + "/\(n)", detail: "expected a factor id (a-z, 0-9, -)"))
        }
        body["factors"] = .array(Array(Set(factors)).sorted().map(JSONValue.string))
        var typologies: [String] = []
        for (n, text) in (r.stringList("typologies", maxCount: 16) ?? []).enumerated() {
            if let typology = Typology(rawValue: text) {
                typologies.append(typology.rawValue)
            } else {
                r.issues.append(
                    FieldIssue(pointer: r.pointer("typologies") + "/\(n)", detail: "\"\(text)\" is not a known typology")
                )
            }
        }
        body["typologies"] = .array(Array(Set(typologies)).sorted().map(JSONValue.string))
        let language = (r.string("language", maxLength: 8) ?? "en").lowercased()
        if (2...3).contains(language.utf8.count) && language.utf8.allSatisfy({ $0 >= 0x61 && $0 <= 0x7A }) {
            body["language"] = .string(language)
        } else {
            r.fail("language", "expected an ISO 639 code such as en or th")
        }
        var attachments: [JSONValue] = []
        if let list = r.object["attachments"], list != .null {
            if let items = list.arrayValue, items.count <= 20 {
                for (n, item) in items.enumerated() {
                    var ar = FieldReader(item, at: r.pointer("attachments") + "/\(n)")
                    ar.rejectUnknown(["name", "media_type", "sha256", "size", "url"])
                    var out: [String: JSONValue] = [:]
                    if let name = ar.string("name", required: true, maxLength: 200) {
                        if name.trimmingWhitespace().isEmpty { ar.fail("name", "is empty") } else { out["name"] = .string(name) }
                    }
                    if let type = ar.string("media_type", required: true, maxLength: 100), type.contains("/") {
                        out["media_type"] = .string(type.lowercased())
                    } else if ar.object["media_type"] != nil {
                        ar.fail("media_type", "expected a media type such as application/pdf")
                    }
                    if let hash = ar.string("sha256", required: true, maxLength: 64) {
                        if ByteText.isSHA256Hex(hash.lowercased()) {
                            out["sha256"] = .string(hash.lowercased())
                        } else {
                            ar.fail("sha256", "expected 64 hex digits")
                        }
                    }
                    if let size = ar.integer("size", in: 0...(1 << 34)) {
                        out["size"] = .integer(size)
                    } else if ar.object["size"] == nil {
                        ar.fail("size", "is required: bytes")
                    }
                    if let url = ar.string("url", maxLength: 2048) {
                        if url.hasPrefix("https://") {
                            out["url"] = .string(url)
                        } else {
                            ar.fail("url", "expected an https link")
                        }
                    }
                    r.issues += ar.issues
                    attachments.append(.object(out))
                }
            } else {
                r.fail("attachments", "expected an array of at most 20 attachments")
            }
        }
        body["attachments"] = .array(attachments)
        return body
    }
}
