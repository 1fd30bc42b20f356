public import ConcordCore
import Foundation

/// MISP events and feeds, both ways.
///
/// Reading: an event tagged `concord:kind="report"` (as this node writes reports) becomes one report; any
/// other event gives one indicator per attribute marked for detection (`to_ids`) whose type names a kind of
/// identifier this node keeps, the attributes of the event's objects included. Attributes not marked for
/// detection are skipped, because MISP events carry victims' details that way. Labels come from TLP tags
/// (attribute before event), else from the distribution level. Writing: one event per record, with the
/// TLP tag and distribution level of its label, so that a MISP instance can subscribe to the feed.
public enum MISPMapping {
    /// What becomes of one event.
    public struct EventOutcome: Sendable {
        /// The event's uuid, when it has one.
        public var uuid: String?
        /// Indicator inputs, one per attribute read.
        public var indicators: [JSONValue] = []
        /// A report input, for an event written by Concord from a report.
        public var report: JSONValue?
        /// Attributes (by uuid or position) not imported, and why.
        public var skipped: [(attribute: String, reason: String)] = []
        /// Why the event as a whole cannot be read, when it cannot.
        public var rejected: String?
    }

    /// How imported records are labelled.
    public struct Options: Sendable {
        /// The jurisdiction recorded when an event names none, and the region for national phone numbers.
        public var jurisdiction: String
        /// A level that replaces whatever the event says.
        public var assignedTLP: TLPLevel?

        /// Creates options.
        public init(jurisdiction: String, assignedTLP: TLPLevel? = nil) {
            self.jurisdiction = jurisdiction
            self.assignedTLP = assignedTLP
        }
    }

    // MARK: Labels

    /// The TLP level a MISP distribution level stands for: organisation only is RED, this community AMBER,
    /// connected communities and all communities GREEN, a sharing group AMBER.
    public static func tlp(distribution: Int) -> TLPLevel? {
        switch distribution {
        case 0: .red
        case 1: .amber
        case 2, 3: .green
        case 4: .amber
        default: nil
        }
    }

    /// The distribution level a record of `level` is written with.
    public static func distribution(_ level: TLPLevel) -> Int {
        switch level {
        case .clear, .green: 3
        case .amber: 1
        case .amberStrict, .red: 0
        }
    }

    /// The TLP tag name of `level` (`tlp:amber+strict`).
    public static func tag(_ level: TLPLevel) -> String { "tlp:" + level.rawValue }

    static func tlp(tags: [JSONValue]) -> TLPLevel? {
        let levels = tags.compactMap { tag -> TLPLevel? in
            guard let name = tag["name"]?.stringValue?.lowercased(), name.hasPrefix("tlp:") else { return nil }
            return TLPLevel(lenient: name)
        }
        return levels.max()
    }

    /// The value of a machine tag `concord:<predicate>="value"` among `tags`.
    static func concordTag(_ predicate: String, in tags: [JSONValue]) -> String? {
        let prefix = "concord:\(predicate)="
        for tag in tags {
            guard let name = tag["name"]?.stringValue, name.hasPrefix(prefix) else { continue }
            var value = String(name.dropFirst(prefix.count))
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value
        }
        return nil
    }

    static func typology(in tags: [JSONValue]) -> Typology? {
        if let own = concordTag("typology", in: tags), let typology = Typology(rawValue: own) { return typology }
        for tag in tags {
            guard let name = tag["name"]?.stringValue?.lowercased() else { continue }
            // A machine tag's value, or the whole tag: `scam:type="investment"`, `investment-scam`.
            let value =
                name.split(separator: "=").last.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) } ?? name
            for word in [
                value, value.replacingOccurrences(of: "-scam", with: ""), value.replacingOccurrences(of: "-", with: "_"),
            ] {
                if let typology = Typology(lenient: word) { return typology }
            }
        }
        return nil
    }

    // MARK: Reading

    /// The event of `json`: `{"Event": {...}}` or the event object itself.
    public static func eventObject(_ json: JSONValue) -> [String: JSONValue]? {
        json["Event"]?.objectValue ?? (json["uuid"] != nil || json["Attribute"] != nil ? json.objectValue : nil)
    }

    /// Reads one event.
    public static func read(event json: JSONValue, options: Options) -> EventOutcome {
        var outcome = EventOutcome()
        guard let event = eventObject(json) else {
            outcome.rejected = "not a MISP event: expected {\"Event\": {...}}"
            return outcome
        }
        outcome.uuid = event["uuid"]?.stringValue
        let eventTags = event["Tag"]?.arrayValue ?? []
        let eventDistribution = integer(event["distribution"])
        let eventLevel = tlp(tags: eventTags) ?? eventDistribution.flatMap { tlp(distribution: $0) } ?? .amber
        var attributes = (event["Attribute"]?.arrayValue ?? []).map { ($0, "") }
        for object in event["Object"]?.arrayValue ?? [] {
            let name = object["name"]?.stringValue ?? "object"
            attributes += (object["Attribute"]?.arrayValue ?? []).map { ($0, name) }
        }
        guard attributes.count <= 100_000 else {
            outcome.rejected = "the event has more than 100000 attributes"
            return outcome
        }
        let eventTypology = typology(in: eventTags)
        let jurisdiction = concordTag("jurisdiction", in: eventTags).flatMap(Jurisdiction.normalize) ?? options.jurisdiction
        let external: [String: JSONValue] = ["format": "misp", "id": .string(String((outcome.uuid ?? "").prefix(256)))]

        if concordTag("kind", in: eventTags) == "report" {
            var identifiers: [JSONValue] = []
            var narrative: String?
            for (n, (attribute, _)) in attributes.enumerated() {
                if attribute["comment"]?.stringValue == "narrative", attribute["type"]?.stringValue == "text" {
                    narrative = attribute["value"]?.stringValue
                    continue
                }
                switch identifierFields(attribute) {
                case .success(var fields):
                    if let role = concordTag("role", in: attribute["Tag"]?.arrayValue ?? []) { fields["role"] = .string(role) }
                    identifiers.append(.object(fields))
                case .failure(let reason):
                    outcome.skipped.append((attribute["uuid"]?.stringValue ?? "attribute \(n)", reason.text))
                }
            }
            var report: [String: JSONValue] = [
                "typology": .string((eventTypology ?? .other).rawValue),
                "jurisdiction": .string(jurisdiction),
                "identifiers": .array(identifiers),
                "narrative": .string(narrative ?? event["info"]?.stringValue ?? "MISP event"),
                "tlp": .string((options.assignedTLP ?? eventLevel).rawValue),
                "external": .object(external),
            ]
            if let date = event["date"]?.stringValue { report["occurred_at"] = .string(date) }
            if let victims = concordTag("victims", in: eventTags).flatMap(Int64.init) { report["victims"] = .integer(victims) }
            if let loss = concordTag("loss", in: eventTags) {
                let parts = loss.split(separator: " ")
                if parts.count == 2 {
                    report["loss"] = ["amount": .string(String(parts[0])), "currency": .string(String(parts[1]))]
                }
            }
            outcome.report = .object(report)
            return outcome
        }

        for (n, (attribute, _)) in attributes.enumerated() {
            let label = attribute["uuid"]?.stringValue ?? "attribute \(n)"
            if attribute["deleted"] == .bool(true) {
                outcome.skipped.append((label, "deleted"))
                continue
            }
            guard toIDs(attribute["to_ids"]) else {
                outcome.skipped.append((label, "not marked for detection (to_ids is false)"))
                continue
            }
            let fields: [String: JSONValue]
            switch identifierFields(attribute) {
            case .success(let read): fields = read
            case .failure(let reason):
                outcome.skipped.append((label, reason.text))
                continue
            }
            let attributeTags = attribute["Tag"]?.arrayValue ?? []
            var level = tlp(tags: attributeTags) ?? eventLevel
            if let d = integer(attribute["distribution"]), d != 5, tlp(tags: attributeTags) == nil,
                let byDistribution = tlp(distribution: d)
            {
                level = max(level, byDistribution)
            }
            var input = fields
            input["typology"] = .string((typology(in: attributeTags) ?? eventTypology ?? .other).rawValue)
            input["jurisdiction"] = .string(jurisdiction)
            input["tlp"] = .string((options.assignedTLP ?? level).rawValue)
            let description = [event["info"]?.stringValue, attribute["comment"]?.stringValue].compactMap { $0 }.filter {
                !$0.isEmpty
            }
            if !description.isEmpty {
                input["description"] = .string(STIXImporter.prefix(description.joined(separator: ": "), bytes: 4096))
            }
            if let seen = attribute["first_seen"]?.stringValue { input["first_seen"] = .string(seen) }
            if let seen = attribute["last_seen"]?.stringValue { input["last_seen"] = .string(seen) }
            var attributeExternal = external
            attributeExternal["id"] = .string(String(label.prefix(256)))
            input["external"] = .object(attributeExternal)
            outcome.indicators.append(.object(input))
        }
        return outcome
    }

    struct Reason: Error {
        let text: String
    }

    /// The identifier fields an attribute names.
    static func identifierFields(_ attribute: JSONValue) -> Result<[String: JSONValue], Reason> {
        let tags = attribute["Tag"]?.arrayValue ?? []
        if let own = concordTag("identifier", in: tags), let colon = own.firstIndex(of: ":"),
            IdentifierKind(rawValue: String(own[..<colon])) != nil
        {
            return .success(["kind": .string(String(own[..<colon])), "value": .string(String(own[own.index(after: colon)...]))])
        }
        guard let type = attribute["type"]?.stringValue, let value = attribute["value"]?.stringValue, !value.isEmpty else {
            return .failure(Reason(text: "the attribute has no type or value"))
        }
        func make(
            _ kind: IdentifierKind,
            _ value: String,
            _ extra: [String: JSONValue] = [:]
        ) -> Result<[String: JSONValue], Reason> {
            .success(["kind": .string(kind.rawValue), "value": .string(value)].merging(extra) { a, _ in a })
        }
        switch type {
        case "url", "uri": return make(.url, value)
        case "domain", "hostname": return make(.domain, value)
        case "domain|ip": return make(.domain, String(value.split(separator: "|").first ?? ""))
        case "email", "email-src", "email-dst", "email-reply-to", "whois-registrant-email": return make(.email, value)
        case "ip-src", "ip-dst": return make(.ip, value)
        case "ip-src|port", "ip-dst|port": return make(.ip, String(value.split(separator: "|").first ?? ""))
        case "phone-number", "whois-registrant-phone": return make(.phone, value)
        case "iban", "bank-account-nr": return make(.bankAccount, value)
        case "btc": return make(.wallet, value, ["chain": "bitcoin"])
        case "xmr": return make(.wallet, value, ["chain": "monero"])
        case "dash": return make(.wallet, value, ["chain": "dash"])
        case "twitter-id": return make(.handle, value, ["platform": "twitter"])
        case "github-username": return make(.handle, value, ["platform": "github"])
        default: return .failure(Reason(text: "attribute type \(type) names no kind of identifier this node keeps"))
        }
    }

    /// An integer given as a number or as digits in a string, as MISP writes them.
    public static func integer(_ value: JSONValue?) -> Int? {
        if let i = value?.integerValue { return Int(i) }
        return value?.stringValue.flatMap { Int($0) }
    }

    static func toIDs(_ value: JSONValue?) -> Bool {
        switch value {
        case .none, .some(.null): true
        case .some(.bool(let b)): b
        case .some(.integer(let i)): i != 0
        case .some(.string(let s)): s == "1" || s.lowercased() == "true"
        default: false
        }
    }
}
