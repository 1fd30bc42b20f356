import Foundation

/// What kind of organisation a directory entry describes.
public enum ProviderSector: String, CaseIterable, Sendable, Codable {
    case bank
    case telco
    case platform
    case registrar
    case hosting
    case cryptoExchange = "crypto_exchange"
    case paymentProvider = "payment_provider"
    case police
    case regulator
    case cert
    case antiScamCentre = "anti_scam_centre"
    case other
}

extension RecordInput {
    static let directoryFields: Set<String> = [
        "name", "sector", "jurisdiction", "node", "contact_24_7", "channels", "accepts", "languages", "formats",
        "expected_hours", "note",
    ]

    /// Reads an entry of the directory of whom to ask: a service provider or a member's 24/7 point of contact, how
    /// it takes requests and which node receives them for it. GREEN and relayed unless the input says otherwise.
    /// - Throws: `InputError` listing each bad field.
    public static func directoryEntry(
        _ json: JSONValue,
        writer: String,
        nodeJurisdiction: String
    ) throws(InputError) -> RecordDraft {
        guard json.objectValue != nil else { throw InputError(pointer: "", detail: "expected an object, got \(json.typeName)") }
        var r = FieldReader(json)
        r.rejectUnknown(directoryFields.union(labelFields))
        let body = readDirectoryBody(&r, writer: writer, nodeJurisdiction: nodeJurisdiction)
        let (label, exercise) = readLabel(&r, defaultTLP: .green)
        guard r.issues.isEmpty else { throw InputError(issues: r.issues) }
        return RecordDraft(kind: .directoryEntry, body: .object(body), label: label, exercise: exercise)
    }

    static func readDirectoryBody(_ r: inout FieldReader, writer: String, nodeJurisdiction: String) -> [String: JSONValue] {
        var body: [String: JSONValue] = [:]
        if let name = r.string("name", required: true, maxLength: 200) {
            if name.trimmingWhitespace().isEmpty { r.fail("name", "is empty") } else { body["name"] = .string(name) }
        }
        if let text = r.string("sector", required: true, maxLength: 32) {
            if let sector = ProviderSector(rawValue: text) {
                body["sector"] = .string(sector.rawValue)
            } else {
                r.fail("sector", "is one of \(ProviderSector.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        body["jurisdiction"] = .string(r.jurisdiction("jurisdiction") ?? nodeJurisdiction)
        let node = r.string("node", maxLength: 64) ?? writer
        if NodeID.isWellFormed(node) { body["node"] = .string(node) } else { r.fail("node", "\"\(node)\" is not a node id") }
        body["contact_24_7"] = .bool(r.bool("contact_24_7") ?? false)
        if let value = r.object["channels"], value != .null {
            var cr = FieldReader(value, at: r.pointer("channels"))
            cr.rejectUnknown(["email", "phone", "url"])
            var channels: [String: JSONValue] = [:]
            for name in ["email", "phone", "url"] {
                if let text = cr.string(name, maxLength: 256), !text.isEmpty { channels[name] = .string(text) }
            }
            r.issues += cr.issues
            body["channels"] = .object(channels)
        } else {
            body["channels"] = .object([:])
        }
        var accepts: [JSONValue] = []
        for (n, text) in (r.stringList("accepts", maxCount: 16) ?? []).enumerated() {
            if let basis = LegalBasis(rawValue: text) {
                if !accepts.contains(.string(basis.rawValue)) { accepts.append(.string(basis.rawValue)) }
            } else {
                r.issues.append(
                    FieldIssue(
                        pointer: r.pointer("accepts") + "/\(n)",
                        detail: "is one of \(LegalBasis.allCases.map(\.rawValue).joined(separator: ", "))"
                    )
                )
            }
        }
        body["accepts"] = .array(accepts)
        var languages: [JSONValue] = []
        for (n, text) in (r.stringList("languages", maxCount: 32) ?? []).enumerated() {
            let code = text.lowercased()
            if (2...3).contains(code.utf8.count) && code.utf8.allSatisfy({ $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }) {
                if !languages.contains(.string(code)) { languages.append(.string(code)) }
            } else {
                r.issues.append(
                    FieldIssue(pointer: r.pointer("languages") + "/\(n)", detail: "expected an ISO 639 code such as en or th")
                )
            }
        }
        body["languages"] = .array(languages)
        body["formats"] = .array((r.stringList("formats", maxCount: 16) ?? []).map(JSONValue.string))
        if let hours = r.integer("expected_hours", in: 0...8760) { body["expected_hours"] = .integer(hours) }
        if let note = r.string("note", maxLength: 4096), !note.isEmpty { body["note"] = .string(note) }
        return body
    }
}
