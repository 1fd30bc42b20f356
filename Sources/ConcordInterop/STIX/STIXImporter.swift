public import ConcordCore

/// Reads STIX 2.1 objects into the inputs of Concord records, one object at a time.
///
/// An `indicator` whose pattern names values of kinds this node keeps becomes one indicator input per
/// alternative; a `report` becomes a report input naming the observables of its `object_refs`; a `sighting`
/// becomes a report input naming what its indicator's pattern names. The inputs then pass through the very
/// readers API input does. Marking, identity and extension objects, observables on their own, campaigns and
/// relationships (which this node derives itself by linking reports) are skipped with the reason; revoked
/// objects are skipped. What an object says that no field of the record holds is kept in the record's
/// `external.properties`.
///
/// Reports and sightings refer to other objects by id, which may come anywhere in the bundle; a reader makes
/// three passes: `noteReferences` on every object, then `learn` on every object, then `map`.
public struct STIXImporter: Sendable {
    /// What becomes of one object.
    public enum Outcome: Sendable, Equatable {
        /// Indicator inputs, as a bulk indicator import takes them.
        case indicators([JSONValue])
        /// A report input, as `POST /reports` takes it.
        case report(JSONValue)
        /// A revoked indicator: the identifier fields its pattern names, so that an indicator imported from the
        /// same object earlier can be withdrawn.
        case revoked([[String: JSONValue]])
        /// Nothing to import, and why.
        case skipped(String)
        /// Cannot be imported, and why.
        case rejected(String)
    }

    /// How imported records are labelled.
    public struct Options: Sendable {
        /// The jurisdiction recorded when an object names none, and the region for national phone numbers.
        public var jurisdiction: String
        /// The TLP level of objects without a TLP marking.
        public var defaultTLP: TLPLevel
        /// A level that replaces whatever the objects are marked with: the label an operator assigns a feed.
        public var assignedTLP: TLPLevel?

        /// Creates options.
        public init(jurisdiction: String, defaultTLP: TLPLevel = .amber, assignedTLP: TLPLevel? = nil) {
            self.jurisdiction = jurisdiction
            self.defaultTLP = defaultTLP
            self.assignedTLP = assignedTLP
        }
    }

    /// How records are labelled.
    public let options: Options
    private var wanted: Set<String> = []
    private var resolved: [String: [[String: JSONValue]]] = [:]
    private var markings: [String: TLPLevel] = [:]

    /// Creates an importer.
    public init(options: Options) {
        self.options = options
    }

    /// How many referenced objects the first pass asked for.
    public var referencedCount: Int { wanted.count }

    /// Whether the first pass needs to read an object of this type at all.
    public static func refers(type: String) -> Bool { type == "report" || type == "sighting" }

    /// Whether the second pass needs to read the object with this type and id.
    public func needs(type: String, id: String) -> Bool { type == "marking-definition" || wanted.contains(id) }

    // MARK: Passes

    /// First pass: remembers the ids that reports and sightings refer to.
    public mutating func noteReferences(_ object: JSONValue) {
        switch object["type"]?.stringValue {
        case "report":
            for ref in (object["object_refs"]?.arrayValue ?? []).prefix(1000) {
                if let id = ref.stringValue { wanted.insert(id) }
            }
        case "sighting":
            if let id = object["sighting_of_ref"]?.stringValue { wanted.insert(id) }
        default: break
        }
    }

    /// Second pass: learns what the referenced observables and indicators name, and the TLP level of
    /// marking-definitions that are not the standard ones.
    public mutating func learn(_ object: JSONValue) {
        guard let type = object["type"]?.stringValue, let id = object["id"]?.stringValue else { return }
        if type == "marking-definition", let level = Self.markingLevel(object) {
            markings[id] = level
            return
        }
        guard wanted.contains(id), resolved[id] == nil else { return }
        if type == "indicator" {
            guard let pattern = object["pattern"]?.stringValue, object["pattern_type"]?.stringValue ?? "stix" == "stix",
                let read = try? STIXPattern(pattern)
            else { return }
            resolved[id] = read.alternatives.compactMap { Self.identifierFields($0) }
        } else if let fields = Self.identifierFields(observable: object) {
            resolved[id] = [fields]
        }
    }

    /// Third pass: what becomes of `object`.
    public func map(_ object: JSONValue) -> Outcome {
        guard let members = object.objectValue else { return .rejected("an object in objects is not a JSON object") }
        guard let type = members["type"]?.stringValue else { return .rejected("the object has no type") }
        guard let id = members["id"]?.stringValue, STIXID.isWellFormed(id), STIXID.type(of: id) == type else {
            return .rejected("the object's id is missing or is not \(type)--UUID")
        }
        if members["revoked"] == .bool(true) {
            guard type == "indicator", let text = members["pattern"]?.stringValue, let pattern = try? STIXPattern(text) else {
                return .skipped("revoked by its producer")
            }
            let named = pattern.alternatives.compactMap { Self.identifierFields($0) }
            return named.isEmpty ? .skipped("revoked by its producer") : .revoked(named)
        }
        switch type {
        case "indicator": return indicator(members, id: id)
        case "report": return report(members, id: id)
        case "sighting": return sighting(members, id: id)
        case "marking-definition", "identity", "extension-definition", "language-content":
            return .skipped("\(type) objects describe other objects; they are used, not stored")
        case "campaign", "relationship":
            return .skipped("this node links reports into campaigns itself; \(type) objects are not stored")
        default:
            if Self.observableTypes.contains(type) || Self.identifierFields(observable: object) != nil {
                return .skipped("an observable on its own claims nothing; it is imported with what names it")
            }
            return .skipped("\(type) objects have no Concord record kind")
        }
    }

    // MARK: Kinds

    private func indicator(_ members: [String: JSONValue], id: String) -> Outcome {
        guard (members["pattern_type"]?.stringValue ?? "stix") == "stix" else {
            return .rejected("pattern_type \(members["pattern_type"]?.stringValue ?? "") is not stix")
        }
        guard let text = members["pattern"]?.stringValue else { return .rejected("the indicator has no pattern") }
        let pattern: STIXPattern
        do {
            pattern = try STIXPattern(text)
        } catch {
            return .rejected("pattern: \(error.detail)")
        }
        let ext = members["extensions"]?[STIXVocabulary.concordExtension]
        var base: [String: JSONValue] = [:]
        base["jurisdiction"] = ext?["jurisdiction"] ?? .string(options.jurisdiction)
        base["typology"] = .string(typology(members, ext) ?? Typology.other.rawValue)
        if let confidence = members["confidence"]?.integerValue { base["confidence"] = .integer(confidence) }
        if let from = members["valid_from"]?.stringValue { base["first_seen"] = .string(from) }
        if let last = ext?["last_seen"]?.stringValue { base["last_seen"] = .string(last) }
        if let until = members["valid_until"]?.stringValue { base["valid_until"] = .string(until) }
        if let description = members["description"]?.stringValue ?? members["name"]?.stringValue {
            base["description"] = .string(Self.prefix(description, bytes: 4096))
        }
        base["tlp"] = .string(level(members).rawValue)
        let used: Set<String> = [
            "type", "spec_version", "id", "pattern", "pattern_type", "pattern_version", "valid_from", "valid_until",
            "confidence", "description", "object_marking_refs", "revoked",
        ]
        guard let external = external(members, id: id, used: used) else {
            return .rejected("keeps more than \(RecordInput.maximumExternalBytes) bytes of properties no record field holds")
        }
        base["external"] = external
        var inputs: [JSONValue] = []
        var unread: [String] = []
        for alternative in pattern.alternatives {
            guard let fields = Self.identifierFields(alternative) else {
                unread.append(alternative.map { "\($0.type):\($0.property)" }.joined(separator: " AND "))
                continue
            }
            inputs.append(.object(base.merging(fields) { _, new in new }))
        }
        guard !inputs.isEmpty else {
            return .rejected("the pattern names no kind of identifier this node keeps (\(unread.joined(separator: ", ")))")
        }
        return .indicators(inputs)
    }

    private func report(_ members: [String: JSONValue], id: String) -> Outcome {
        let ext = members["extensions"]?[STIXVocabulary.concordExtension]
        var input: [String: JSONValue] = [:]
        input["jurisdiction"] = ext?["jurisdiction"] ?? .string(options.jurisdiction)
        // A report needs a typology; one that names none of Concord's is filed under other.
        input["typology"] = .string(typology(members, ext) ?? Typology.other.rawValue)
        if let narrative = members["description"]?.stringValue ?? members["name"]?.stringValue {
            input["narrative"] = .string(narrative)
        }
        input["occurred_at"] = ext?["occurred_at"] ?? members["published"]
        if let victims = ext?["victims"] { input["victims"] = victims }
        if let loss = ext?["loss"] { input["loss"] = loss }
        var roles: [String: JSONValue] = [:]
        for item in ext?["identifiers"]?.arrayValue ?? [] {
            if let key = item["identifier"]?.stringValue, let role = item["role"], role != .null { roles[key] = role }
        }
        var identifiers: [JSONValue] = []
        for ref in (members["object_refs"]?.arrayValue ?? []).prefix(1000) {
            for var fields in resolved[ref.stringValue ?? ""] ?? [] {
                if let kind = fields["kind"]?.stringValue, let value = fields["value"]?.stringValue,
                    let role = roles[kind + ":" + value]
                {
                    fields["role"] = role
                }
                identifiers.append(.object(fields))
            }
        }
        input["identifiers"] = .array(identifiers)
        input["tlp"] = .string(level(members).rawValue)
        let used: Set<String> = [
            "type", "spec_version", "id", "description", "published", "object_refs", "object_marking_refs", "revoked",
        ]
        guard let external = external(members, id: id, used: used) else {
            return .rejected("keeps more than \(RecordInput.maximumExternalBytes) bytes of properties no record field holds")
        }
        input["external"] = external
        return .report(.object(input))
    }

    private func sighting(_ members: [String: JSONValue], id: String) -> Outcome {
        guard let of = members["sighting_of_ref"]?.stringValue else { return .rejected("the sighting has no sighting_of_ref") }
        guard let named = resolved[of], !named.isEmpty else {
            return .rejected("what it sights (\(of)) is not in the bundle, or names no identifier this node keeps")
        }
        var input: [String: JSONValue] = [
            "jurisdiction": .string(options.jurisdiction),
            "typology": .string(typology(members, nil) ?? Typology.other.rawValue),
            "identifiers": .array(named.map(JSONValue.object)),
            // A sighting says a value was seen, not that someone lost money to it: no victims.
            "victims": .integer(0),
            "narrative": .string(
                members["description"]?.stringValue ?? "Sighted \(members["count"]?.integerValue ?? 1) time(s)."
            ),
            "tlp": .string(level(members).rawValue),
        ]
        if let seen = members["first_seen"] ?? members["created"] { input["occurred_at"] = seen }
        let used: Set<String> = ["type", "spec_version", "id", "description", "first_seen", "object_marking_refs", "revoked"]
        guard let external = external(members, id: id, used: used) else {
            return .rejected("keeps more than \(RecordInput.maximumExternalBytes) bytes of properties no record field holds")
        }
        input["external"] = external
        return .report(.object(input))
    }

    /// The time a report made from a STIX object is signed at: the object's own `modified` (or `created`) time
    /// when it has one in the past, so that importing the same object again gives the same record, which the
    /// store then holds once; else now.
    public static func signingTime(of input: JSONValue) -> Timestamp {
        let now = Timestamp.now()
        let properties = input["external"]?["properties"]
        for name in ["modified", "created"] {
            if let text = properties?[name]?.stringValue, let time = Timestamp(rfc3339: text), time < now { return time }
        }
        return now
    }

    // MARK: Parts

    /// The object's TLP level: the operator's, else the most restrictive TLP marking, else the default.
    private func level(_ members: [String: JSONValue]) -> TLPLevel {
        if let assigned = options.assignedTLP { return assigned }
        let levels = (members["object_marking_refs"]?.arrayValue ?? []).compactMap { ref -> TLPLevel? in
            guard let id = ref.stringValue else { return nil }
            return STIXVocabulary.tlp(marking: id) ?? markings[id]
        }
        return levels.max() ?? options.defaultTLP
    }

    private func typology(_ members: [String: JSONValue], _ ext: JSONValue?) -> String? {
        if let own = ext?["typology"]?.stringValue, Typology(rawValue: own) != nil { return own }
        let words = (members["labels"]?.arrayValue ?? []) + (members["report_types"]?.arrayValue ?? [])
        for word in words.prefix(64) {
            if let text = word.stringValue, let typology = Typology(lenient: text) { return typology.rawValue }
        }
        return nil
    }

    /// `external`: the source id and every property not used, or nil when those take too many bytes.
    private func external(_ members: [String: JSONValue], id: String, used: Set<String>) -> JSONValue? {
        var kept = members.filter { !used.contains($0.key) }
        if case .object(var extensions) = kept["extensions"] {
            extensions[STIXVocabulary.concordExtension] = nil
            kept["extensions"] = extensions.isEmpty ? nil : .object(extensions)
        }
        // The compact encoding has the canonical one's length, without the cost of sorting.
        guard JSONValue.object(kept).compactData.count <= RecordInput.maximumExternalBytes else { return nil }
        var out: [String: JSONValue] = ["format": "stix", "id": .string(id)]
        if !kept.isEmpty { out["properties"] = .object(kept) }
        return .object(out)
    }

    private static func markingLevel(_ object: JSONValue) -> TLPLevel? {
        if let own = STIXVocabulary.tlp(marking: object["id"]?.stringValue ?? "") { return own }
        if let v2 = object["extensions"]?[STIXVocabulary.tlpExtension]?["tlp_2_0"]?.stringValue { return TLPLevel(lenient: v2) }
        if object["definition_type"]?.stringValue == "tlp", let v1 = object["definition"]?["tlp"]?.stringValue {
            return TLPLevel(lenient: v1)
        }
        return nil
    }

    // MARK: Identifiers

    /// The observable types STIX defines.
    static let observableTypes: Set<String> = [
        "artifact", "autonomous-system", "directory", "domain-name", "email-addr", "email-message", "file",
        "ipv4-addr", "ipv6-addr", "mac-addr", "mutex", "network-traffic", "process", "software", "url", "user-account",
        "windows-registry-key", "x509-certificate",
    ]

    /// The identifier fields (`kind`, `value`, and `platform` for handles) an observable names, or nil.
    static func identifierFields(observable object: JSONValue) -> [String: JSONValue]? {
        guard let type = object["type"]?.stringValue, let members = object.objectValue else { return nil }
        if let own = object["extensions"]?[STIXVocabulary.concordExtension]?["identifier"]?.stringValue {
            return fields(concordKey: own)
        }
        var properties: [String: String] = [:]
        for (name, value) in members { if let text = value.stringValue { properties[name] = text } }
        return identifierFields(type: type, properties)
    }

    /// The identifier fields one alternative of a pattern names, or nil.
    static func identifierFields(_ comparisons: [STIXPattern.Comparison]) -> [String: JSONValue]? {
        guard let type = comparisons.first?.type, comparisons.allSatisfy({ $0.type == type }) else { return nil }
        var properties: [String: String] = [:]
        for c in comparisons { properties[c.property] = c.value }
        return identifierFields(type: type, properties)
    }

    private static func identifierFields(type: String, _ p: [String: String]) -> [String: JSONValue]? {
        func make(_ kind: IdentifierKind, _ value: String?) -> [String: JSONValue]? {
            guard let value, !value.isEmpty else { return nil }
            return ["kind": .string(kind.rawValue), "value": .string(value)]
        }
        switch type {
        case "url": return make(.url, p["value"])
        case "domain-name", "hostname": return make(.domain, p["value"])
        case "email-addr": return make(.email, p["value"])
        case "ipv4-addr", "ipv6-addr": return make(.ip, p["value"])
        case "phone-number": return make(.phone, p["value"])
        case "bank-account": return make(.bankAccount, p["iban"] ?? p["value"] ?? p["account_number"])
        case "cryptocurrency-wallet": return make(.wallet, p["value"])
        case "user-account":
            guard var fields = make(.handle, p["account_login"] ?? p["user_id"]) else { return nil }
            if let platform = p["account_type"] {
                fields["platform"] = .string(platform)
            } else if let shown = p["display_name"], let colon = shown.firstIndex(of: ":") {
                // Concord writes the platform STIX's account types lack into the display name: "telegram: name".
                fields["platform"] = .string(String(shown[..<colon]))
            }
            return fields
        default: return nil
        }
    }

    /// The longest start of `text` of at most `bytes` UTF-8 bytes that ends between characters.
    static func prefix(_ text: String, bytes: Int) -> String {
        guard text.utf8.count > bytes else { return text }
        var used = 0
        var out = ""
        for character in text {
            used += character.utf8.count
            if used > bytes { break }
            out.append(character)
        }
        return out
    }

    private static func fields(concordKey: String) -> [String: JSONValue]? {
        guard let colon = concordKey.firstIndex(of: ":"), IdentifierKind(rawValue: String(concordKey[..<colon])) != nil else {
            return nil
        }
        return [
            "kind": .string(String(concordKey[..<colon])),
            "value": .string(String(concordKey[concordKey.index(after: colon)...])),
        ]
    }
}
