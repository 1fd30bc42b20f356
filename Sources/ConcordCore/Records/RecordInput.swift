/// A record's body and label read and validated from what a person or script sent, ready to sign.
public struct RecordDraft: Sendable, Equatable {
    /// The kind of record to write.
    public let kind: RecordKind
    /// The validated, canonical body.
    public let body: JSONValue
    /// The sharing label.
    public let label: SharingLabel
    /// Whether the record belongs to an exercise.
    public let exercise: Bool

    /// Signs the draft into a record.
    public func sign(with key: NodeKey, at created: Timestamp = .now()) -> Record {
        Record.make(kind: kind, body: body, label: label, exercise: exercise, created: created, key: key)
    }

    /// Signs many drafts, spread over the cores: Ed25519 signing is the costly step of a bulk import.
    public static func signAll(_ drafts: [RecordDraft], with key: NodeKey, at created: Timestamp = .now()) async -> [Record] {
        await signAll(drafts.map { ($0, created) }, with: key)
    }

    /// Signs many drafts, each at its own time, spread over the cores.
    public static func signAll(_ drafts: [(draft: RecordDraft, created: Timestamp)], with key: NodeKey) async -> [Record] {
        guard drafts.count >= 256 else { return drafts.map { $0.draft.sign(with: key, at: $0.created) } }
        let parts = 4
        let size = (drafts.count + parts - 1) / parts
        return await withTaskGroup(of: (Int, [Record]).self) { group in
            for p in 0..<parts {
                let slice = Array(drafts[min(p * size, drafts.count)..<min((p + 1) * size, drafts.count)])
                group.addTask { (p, slice.map { $0.draft.sign(with: key, at: $0.created) }) }
            }
            var results = [[Record]](repeating: [], count: parts)
            for await (p, records) in group { results[p] = records }
            return results.flatMap { $0 }
        }
    }
}

/// Reads API input into record drafts, naming every bad field by its JSON pointer.
public enum RecordInput {
    static let labelFields: Set<String> = ["tlp", "audience", "relay", "exercise"]
    public static let identifierFields: Set<String> = ["kind", "value", "region", "chain", "platform", "bank"]

    /// Reads a victim report.
    /// - Parameters:
    ///   - json: the input object.
    ///   - nodeJurisdiction: the jurisdiction used when the report names none, and the region for national phone formats.
    ///   - defaultTLP: the level used when the input names none.
    /// - Throws: `InputError` listing each bad field.
    public static func report(
        _ json: JSONValue,
        nodeJurisdiction: String,
        defaultTLP: TLPLevel = .amber
    ) throws(InputError) -> RecordDraft {
        guard json.objectValue != nil else { throw InputError(pointer: "", detail: "expected an object, got \(json.typeName)") }
        var r = FieldReader(json)
        r.rejectUnknown(
            labelFields.union([
                "typology", "occurred_at", "jurisdiction", "loss", "victims", "narrative", "identifiers", "external",
            ])
        )
        var body: [String: JSONValue] = [:]
        if let typology = readTypology(&r) { body["typology"] = .string(typology.rawValue) }
        let jurisdiction = r.jurisdiction("jurisdiction") ?? nodeJurisdiction
        body["jurisdiction"] = .string(jurisdiction)
        if let occurred = r.timestamp("occurred_at") {
            if occurred.milliseconds > Timestamp.now().milliseconds + 86_400_000 {
                r.fail("occurred_at", "is in the future")
            }
            body["occurred_at"] = .string(occurred.rfc3339)
        }
        body["victims"] = .integer(r.integer("victims", in: 0...10_000_000) ?? 1)
        if let narrative = r.string("narrative", maxLength: 16_384) { body["narrative"] = .string(narrative) }
        if let loss = readLoss(&r) {
            body["loss"] = .object(["amount": .string(loss.decimalText), "currency": .string(loss.currency)])
        }
        var identifiers: [JSONValue] = []
        if let list = json["identifiers"], list != .null {
            if let items = list.arrayValue {
                if items.count > 1000 { r.fail("identifiers", "has more than 1000 entries") }
                for (n, item) in items.prefix(1000).enumerated() {
                    let base = r.pointer("identifiers") + "/\(n)"
                    var ir = FieldReader(item, at: base)
                    ir.rejectUnknown(identifierFields.union(["role"]))
                    let role = readRole(&ir)
                    if let identifier = readIdentifier(&ir, defaultRegion: jurisdiction) {
                        identifiers.append(
                            .object([
                                "kind": .string(identifier.kind.rawValue),
                                "value": .string(identifier.canonical),
                                "role": .string((role ?? defaultRole(identifier.kind)).rawValue),
                            ])
                        )
                    }
                    r.issues += ir.issues
                }
            } else {
                r.fail("identifiers", "expected an array, got \(list.typeName)")
            }
        }
        if identifiers.isEmpty && body["narrative"] == nil && r.issues.isEmpty {
            r.fail("identifiers", "a report needs at least one identifier or a narrative")
        }
        body["identifiers"] = .array(dedupe(identifiers))
        if let external = readExternal(&r) { body["external"] = external }
        let (label, exercise) = readLabel(&r, defaultTLP: defaultTLP)
        guard r.issues.isEmpty else { throw InputError(issues: r.issues) }
        // What peers would refuse is refused here first: a record's content has a size cap of its own.
        let size = JSONValue.object(body).canonicalData.count
        if size > RecordAdmission.maximumContentBytes - 4096 {
            throw InputError(
                pointer: "",
                detail: "the report is \(size) bytes; at most \(RecordAdmission.maximumContentBytes - 4096) are allowed"
            )
        }
        return RecordDraft(kind: .report, body: .object(body), label: label, exercise: exercise)
    }

    /// Reads one indicator, as sent on one line of a bulk import.
    /// - Parameters:
    ///   - json: the input object.
    ///   - nodeJurisdiction: the jurisdiction recorded with the indicator when it names none.
    ///   - defaultTLP: the level used when the input names none.
    /// - Throws: `InputError` listing each bad field.
    public static func indicator(
        _ json: JSONValue,
        nodeJurisdiction: String,
        defaultTLP: TLPLevel = .green
    ) throws(InputError) -> RecordDraft {
        guard json.objectValue != nil else { throw InputError(pointer: "", detail: "expected an object, got \(json.typeName)") }
        var r = FieldReader(json)
        r.rejectUnknown(
            labelFields.union(identifierFields).union([
                "typology", "confidence", "first_seen", "last_seen", "valid_until", "jurisdiction", "description",
                "external",
            ])
        )
        var body: [String: JSONValue] = [:]
        let jurisdiction = r.jurisdiction("jurisdiction") ?? nodeJurisdiction
        body["jurisdiction"] = .string(jurisdiction)
        // A national phone number is read for `region`, else for the indicator's jurisdiction.
        if let identifier = readIdentifier(&r, defaultRegion: jurisdiction) {
            body["identifier"] = .object([
                "kind": .string(identifier.kind.rawValue), "value": .string(identifier.canonical),
            ])
        }
        if let typology = readTypology(&r) { body["typology"] = .string(typology.rawValue) }
        body["confidence"] = .integer(r.integer("confidence", in: 0...100) ?? 50)
        let first = r.timestamp("first_seen")
        let last = r.timestamp("last_seen")
        if let first, let last, last < first { r.fail("last_seen", "is before first_seen") }
        if let first { body["first_seen"] = .string(first.rfc3339) }
        if let last { body["last_seen"] = .string(last.rfc3339) }
        if let until = r.timestamp("valid_until") { body["valid_until"] = .string(until.rfc3339) }
        if let description = r.string("description", maxLength: 4096) { body["description"] = .string(description) }
        if let external = readExternal(&r) { body["external"] = external }
        let (label, exercise) = readLabel(&r, defaultTLP: defaultTLP)
        guard r.issues.isEmpty else { throw InputError(issues: r.issues) }
        return RecordDraft(kind: .indicator, body: .object(body), label: label, exercise: exercise)
    }

    /// A retraction of `record`, which must have been written by the node that retracts it.
    /// - Throws: `InputError` when the reason is missing or too long.
    public static func retraction(of record: Record, reason: String?) throws(InputError) -> RecordDraft {
        guard let reason = reason?.trimmingWhitespace(), !reason.isEmpty else {
            throw InputError(pointer: "/reason", detail: "is required: say why the record is withdrawn")
        }
        guard reason.utf8.count <= 4096 else { throw InputError(pointer: "/reason", detail: "is longer than 4096 bytes") }
        guard !reason.utf8.contains(0) else { throw InputError(pointer: "/reason", detail: "holds a NUL character (U+0000)") }
        guard record.kind != .retraction else {
            throw InputError(pointer: "", detail: "a retraction cannot itself be retracted")
        }
        return RecordDraft(
            kind: .retraction,
            body: .object(["record": .string(record.id), "reason": .string(reason)]),
            label: record.label,
            exercise: record.exercise
        )
    }

    /// Reads one identifier given as `{"kind", "value", "region"?, "chain"?, "platform"?, "bank"?}`, as in a check.
    /// - Parameters:
    ///   - json: the item.
    ///   - base: the JSON pointer of the item, prefixed to the pointers of its problems.
    ///   - defaultRegion: the region for national phone formats when the item names none.
    /// - Throws: `InputError` naming the bad field.
    public static func identifier(_ json: JSONValue, at base: String = "", defaultRegion: String) throws(InputError) -> Identifier
    {
        guard json.objectValue != nil else { throw InputError(pointer: base, detail: "expected an object, got \(json.typeName)") }
        var r = FieldReader(json, at: base)
        r.rejectUnknown(identifierFields)
        let identifier = readIdentifier(&r, defaultRegion: defaultRegion)
        guard r.issues.isEmpty, let identifier else { throw InputError(issues: r.issues) }
        return identifier
    }

    /// The fast path of `identifier(_:at:defaultRegion:)` for an item given as plain strings, as a streamed check
    /// sends millions of: the same rules without collecting problems.
    /// - Returns: nil whenever anything is wrong; the general path then names the problem.
    public static func identifier(fields: [String: String], defaultRegion: String) -> Identifier? {
        for name in fields.keys where !identifierFields.contains(name) { return nil }
        guard let kindText = fields["kind"], kindText.utf8.count <= 32,
            let kind = IdentifierKind(rawValue: kindText) ?? IdentifierKind(rawValue: kindText.lowercased()),
            let value = fields["value"], value.utf8.count <= 2048
        else { return nil }
        var region = defaultRegion
        if let text = fields["region"] {
            guard text.utf8.count <= 8, let code = Jurisdiction.normalize(text) else { return nil }
            region = code
        }
        for (name, limit) in [("chain", 32), ("platform", 32), ("bank", 64)] {
            if let text = fields[name], text.utf8.count > limit { return nil }
        }
        return try? Identifier.normalize(
            kind: kind,
            value: value,
            hints: NormalizationHints(region: region, chain: fields["chain"], platform: fields["platform"], bank: fields["bank"])
        )
    }

    /// A retraction of the record `id` because a newer record of the same origin replaces it; it carries the
    /// new record's label so that it reaches whoever the new record reaches.
    public static func supersession(of id: String, by newer: Record) -> RecordDraft {
        RecordDraft(
            kind: .retraction,
            body: .object(["record": .string(id), "reason": .string("superseded by \(newer.id)")]),
            label: newer.label,
            exercise: newer.exercise
        )
    }

    // MARK: - Field readers

    private static func readTypology(_ r: inout FieldReader) -> Typology? {
        guard let text = r.string("typology", required: true, maxLength: 64) else { return nil }
        guard let typology = Typology(lenient: text) else {
            r.fail(
                "typology",
                "\"\(text)\" is not a known typology; use one of \(Typology.allCases.map(\.rawValue).joined(separator: ", "))"
            )
            return nil
        }
        return typology
    }

    private static func readRole(_ r: inout FieldReader) -> IdentifierRole? {
        guard let text = r.string("role", maxLength: 32) else { return nil }
        guard let role = IdentifierRole(rawValue: text.lowercased()) else {
            r.fail(
                "role",
                "\"\(text)\" is not a role; use one of \(IdentifierRole.allCases.map(\.rawValue).joined(separator: ", "))"
            )
            return nil
        }
        return role
    }

    private static func defaultRole(_ kind: IdentifierKind) -> IdentifierRole {
        switch kind {
        case .phone, .email, .handle: .contact
        case .bankAccount, .wallet: .payment
        case .url, .domain: .website
        case .ip: .infrastructure
        }
    }

    static func readIdentifier(_ r: inout FieldReader, defaultRegion: String) -> Identifier? {
        let kindText = r.string("kind", required: true, maxLength: 32)
        let value = r.string("value", required: true, maxLength: 2048)
        let region = r.jurisdiction("region")
        let chain = r.string("chain", maxLength: 32)
        let platform = r.string("platform", maxLength: 32)
        let bank = r.string("bank", maxLength: 64)
        guard let kindText else { return nil }
        guard let kind = IdentifierKind(rawValue: kindText.lowercased()) else {
            r.fail(
                "kind",
                "\"\(kindText)\" is not an identifier kind; use one of \(IdentifierKind.allCases.map(\.rawValue).joined(separator: ", "))"
            )
            return nil
        }
        guard let value else { return nil }
        do {
            return try Identifier.normalize(
                kind: kind,
                value: value,
                hints: NormalizationHints(region: region ?? defaultRegion, chain: chain, platform: platform, bank: bank)
            )
        } catch {
            r.fail("value", error.reason)
            return nil
        }
    }

    static func readLoss(_ r: inout FieldReader) -> Money? {
        guard let loss = r.object["loss"], loss != .null else { return nil }
        var lr = FieldReader(loss, at: r.pointer("loss"))
        lr.rejectUnknown(["amount", "currency"])
        let currency = lr.string("currency", required: true, maxLength: 8)
        let amount = lr.object["amount"]
        if amount == nil { lr.fail("amount", "is required") }
        var money: Money?
        if let currency, let amount {
            if Money.exponent(of: currency.uppercased()) == nil {
                lr.fail("currency", "\"\(currency)\" is not an ISO 4217 currency code")
            } else if let m = Money.parse(amount: amount, currency: currency) {
                money = m
            } else {
                let upper = currency.uppercased()
                lr.fail(
                    "amount",
                    "expected a non-negative amount with at most \(Money.exponent(of: upper) ?? 2) decimals, "
                        + "no more than \(Money(minorUnits: Money.maximumMinorUnits, currency: upper).decimalText)"
                )
            }
        }
        r.issues += lr.issues
        return money
    }

    /// The formats a record's `external` member may name: where an imported record came from.
    public static let externalFormats: Set<String> = ["stix", "misp"]
    /// The most bytes the kept properties of an imported object may take in canonical form.
    public static let maximumExternalBytes = 16_384

    /// Reads `external`: the object a record was imported from, `{"format", "id", "properties"?}`, where
    /// `properties` keeps what the source said that no field of the record holds, so that it is not lost.
    private static func readExternal(_ r: inout FieldReader) -> JSONValue? {
        guard let value = r.object["external"], value != .null else { return nil }
        var er = FieldReader(value, at: r.pointer("external"))
        er.rejectUnknown(["format", "id", "properties"])
        var out: [String: JSONValue] = [:]
        if let format = er.string("format", required: true, maxLength: 16) {
            if externalFormats.contains(format) {
                out["format"] = .string(format)
            } else {
                er.fail("format", "is one of \(externalFormats.sorted().joined(separator: ", "))")
            }
        }
        if let id = er.string("id", required: true, maxLength: 256) { out["id"] = .string(id) }
        if let properties = er.object["properties"], properties != .null {
            if properties.objectValue == nil {
                er.fail("properties", "expected an object, got \(properties.typeName)")
            } else if properties.compactData.count > maximumExternalBytes {
                er.fail("properties", "takes more than \(maximumExternalBytes) bytes")
            } else {
                out["properties"] = properties
            }
        }
        r.issues += er.issues
        return er.issues.isEmpty ? .object(out) : nil
    }

    static func readLabel(_ r: inout FieldReader, defaultTLP: TLPLevel) -> (SharingLabel, Bool) {
        var tlp = defaultTLP
        if let text = r.string("tlp", maxLength: 32) {
            if let level = TLPLevel(lenient: text) {
                tlp = level
            } else {
                r.fail("tlp", "\"\(text)\" is not a TLP level; use clear, green, amber, amber+strict or red")
            }
        }
        var audience = Audience()
        if let value = r.object["audience"], value != .null {
            var ar = FieldReader(value, at: r.pointer("audience"))
            ar.rejectUnknown(["nodes", "communities", "jurisdictions"])
            let nodes = ar.stringList("nodes") ?? []
            for (n, node) in nodes.enumerated() where !NodeID.isWellFormed(node) {
                ar.issues.append(FieldIssue(pointer: ar.pointer("nodes") + "/\(n)", detail: "\"\(node)\" is not a node id"))
            }
            let communities = (ar.stringList("communities") ?? []).map { $0.lowercased() }
            for (n, entry) in communities.enumerated() {
                let parts = entry.split(separator: "@", omittingEmptySubsequences: false)
                let wellFormed =
                    CommunityDeclaration.isWellFormedName(String(parts[0]))
                    && (parts.count == 1 || (parts.count == 2 && NodeID.isWellFormed(String(parts[1]))))
                if !wellFormed {
                    ar.issues.append(
                        FieldIssue(
                            pointer: ar.pointer("communities") + "/\(n)",
                            detail: "\"\(entry)\" is not a community: write its name, or name@steward-node-id"
                        )
                    )
                }
            }
            var jurisdictions: [String] = []
            for (n, code) in (ar.stringList("jurisdictions") ?? []).enumerated() {
                if let c = Jurisdiction.normalize(code) {
                    jurisdictions.append(c)
                } else {
                    ar.issues.append(
                        FieldIssue(pointer: ar.pointer("jurisdictions") + "/\(n)", detail: "\"\(code)\" is not a country code")
                    )
                }
            }
            r.issues += ar.issues
            audience = Audience(
                nodes: Array(Set(nodes)),
                communities: Array(Set(communities)),
                jurisdictions: Array(Set(jurisdictions))
            )
        }
        let relay = r.bool("relay")
        if tlp == .red && relay == true { r.fail("relay", "a RED record is never relayed") }
        let exercise = r.bool("exercise") ?? false
        return (SharingLabel(tlp: tlp, audience: audience, relay: relay), exercise)
    }

    static func dedupe(_ identifiers: [JSONValue]) -> [JSONValue] {
        var seen = Set<JSONValue>()
        return identifiers.filter { seen.insert($0).inserted }
    }
}
