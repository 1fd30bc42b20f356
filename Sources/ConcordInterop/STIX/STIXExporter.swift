public import ConcordAnalysis
public import ConcordCore
import Foundation

/// Turns records and campaigns into STIX 2.1 objects, one record at a time, so that a bundle of any size is
/// written as it is read.
///
/// An indicator record becomes an `indicator` with its pattern; a report becomes a `report` whose
/// `object_refs` name the observables of its identifiers, and a `sighting` of every exported indicator that
/// flags one of them; a withdrawn record is written with `revoked: true`; a campaign becomes a `campaign`,
/// with an `indicates` relationship from every indicator of its identifiers. Observables, node identities
/// and TLP markings are written once, before the first object that names them. Feed indicators before
/// reports, so that reports can name the indicators they sight, and campaigns last.
public struct STIXExporter: Sendable {
    /// When and why a record was withdrawn.
    public struct Retraction: Sendable {
        /// When the retraction was written.
        public let created: Timestamp
        /// The reason it gives.
        public let reason: String

        /// Creates a retraction summary.
        public init(created: Timestamp, reason: String) {
            self.created = created
            self.reason = reason
        }
    }

    let names: [String: String]
    let exporter: String
    let campaignByReport: [String: String]
    let campaignsByKey: [String: [String]]
    var emitted: Set<String> = []
    var indicatorsByKey: [String: [String]] = [:]
    /// Whether reports get sightings of the indicators exported before them. A TAXII page cannot know the
    /// indicators of other pages, so TAXII collections leave sightings out, and every page size gives the
    /// same objects.
    public var sightings = true
    var campaignLevel: [String: TLPLevel] = [:]

    /// Creates an exporter.
    /// - Parameters:
    ///   - exporter: the node id of the node writing the bundle; campaigns are its own reading.
    ///   - names: organisation names of the nodes this node knows, by node id.
    ///   - campaigns: the campaigns whose reports and indicators should link to them.
    public init(exporter: String, names: [String: String], campaigns: [Campaign]) {
        self.exporter = exporter
        self.names = names
        var byReport: [String: String] = [:]
        var byKey: [String: [String]] = [:]
        for campaign in campaigns {
            let id = STIXID.object("campaign", named: campaign.id)
            for report in campaign.reports { byReport[report] = id }
            for identifier in campaign.identifiers where identifier.linking { byKey[identifier.key, default: []].append(id) }
        }
        campaignByReport = byReport
        campaignsByKey = byKey
    }

    /// The objects every bundle starts with: Concord's extension definition and the identity behind it.
    public mutating func preamble() -> [JSONValue] {
        var out: [JSONValue] = []
        once(STIXVocabulary.concordProject, into: &out) { STIXVocabulary.projectIdentity }
        once(STIXVocabulary.concordExtension, into: &out) { STIXVocabulary.extensionDefinition }
        return out
    }

    /// The STIX objects of one record: nothing for kinds STIX has no object for (retractions travel as the
    /// `revoked` flag of what they withdraw; communities stay within Concord).
    public mutating func objects(for record: Record, retraction: Retraction?) -> [JSONValue] {
        switch record.kind {
        case .indicator: return indicator(record, retraction)
        case .report: return report(record, retraction)
        case .retraction, .community, .actionRequest, .actionResponse, .dispute, .disputeDecision, .directoryEntry, .assessment,
            .assessmentReview, .pairingOffer, .pairingResponse, .practice,
            .exchange, .exchangeOutcome, .exercise, .exerciseInject, .exerciseReport:
            return []
        }
    }

    /// The STIX objects of one campaign; call after the records, so that its marking covers its reports.
    public mutating func objects(for campaign: Campaign) -> [JSONValue] {
        let id = STIXID.object("campaign", named: campaign.id)
        var out: [JSONValue] = []
        identity(exporter, into: &out)
        let level = campaignLevel[id] ?? .amber
        marking(level, into: &out)
        let typologies = campaign.typologies.map(\.typology.rawValue)
        let losses = campaign.losses.map { "\($0.decimalText) \($0.currency)" }
        var description = "\(campaign.reportCount) reports linked by shared identifiers, filed in "
        description += campaign.jurisdictions.joined(separator: ", ")
        if !typologies.isEmpty { description += "; typologies: " + typologies.joined(separator: ", ") }
        if !losses.isEmpty { description += "; losses: " + losses.joined(separator: ", ") }
        let extensionBody: [String: JSONValue] = [
            "extension_type": "property-extension",
            "campaign": .string(campaign.id),
            "jurisdictions": .array(campaign.jurisdictions.map(JSONValue.string)),
            "reports": .integer(Int64(campaign.reportCount)),
            "victims": .integer(Int64(campaign.victims)),
            "losses": .array(
                campaign.losses.map { .object(["amount": .string($0.decimalText), "currency": .string($0.currency)]) }
            ),
            "typologies": .array(typologies.map(JSONValue.string)),
        ]
        out.append(
            .object([
                "type": "campaign",
                "spec_version": "2.1",
                "id": .string(id),
                "created": .string(campaign.firstSeen.rfc3339),
                "modified": .string(max(campaign.firstSeen, campaign.lastSeen).rfc3339),
                "created_by_ref": .string(STIXID.object("identity", named: exporter)),
                "name": .string("Scam campaign \(campaign.id)"),
                "description": .string(description),
                "first_seen": .string(campaign.firstSeen.rfc3339),
                "last_seen": .string(max(campaign.firstSeen, campaign.lastSeen).rfc3339),
                "object_marking_refs": [.string(STIXVocabulary.tlpMarkings[level] ?? "")],
                "extensions": .object([STIXVocabulary.concordExtension: .object(extensionBody)]),
            ])
        )
        return out
    }

    // MARK: Records

    private mutating func indicator(_ record: Record, _ retraction: Retraction?) -> [JSONValue] {
        let body = record.body
        guard let kindText = body["identifier"]?["kind"]?.stringValue, let kind = IdentifierKind(rawValue: kindText),
            let value = body["identifier"]?["value"]?.stringValue
        else { return [] }
        let identifier = Identifier(kind: kind, canonical: value)
        let key = kind.rawValue + ":" + value
        let id = STIXID.object("indicator", named: record.id)
        var out: [JSONValue] = []
        identity(record.origin, into: &out)
        marking(record.label.tlp, into: &out)
        observable(identifier, into: &out)
        var object = common(record, id: id, type: "indicator", retraction: retraction)
        object["name"] = .string("\(kind.rawValue.replacingOccurrences(of: "_", with: " ")) \(value)")
        var description = body["description"]?.stringValue ?? ""
        if description.isEmpty, let typology = body["typology"]?.stringValue {
            description = "Flagged as used in \(typology.replacingOccurrences(of: "_", with: " ")) scams."
        }
        if description.isEmpty { description = "Flagged as used in scams." }
        object["description"] = .string(description)
        object["indicator_types"] = ["malicious-activity"]
        object["pattern"] = .string(STIXVocabulary.pattern(identifier))
        object["pattern_type"] = "stix"
        object["pattern_version"] = "2.1"
        let validFrom = body["first_seen"]?.stringValue.flatMap(Timestamp.init(rfc3339:)) ?? record.created
        object["valid_from"] = .string(validFrom.rfc3339)
        if let until = body["valid_until"]?.stringValue.flatMap(Timestamp.init(rfc3339:)), validFrom < until {
            object["valid_until"] = .string(until.rfc3339)
        }
        if let confidence = body["confidence"]?.integerValue { object["confidence"] = .integer(confidence) }
        if let typology = body["typology"]?.stringValue { object["labels"] = [.string(typology)] }
        var ext = concordExtension(record, retraction: retraction)
        ext["identifier"] = .string(key)
        for name in ["typology", "jurisdiction", "first_seen", "last_seen"] { ext[name] = body[name] }
        object["extensions"] = .object([STIXVocabulary.concordExtension: .object(ext.compactMapValues { $0 })])
        keepExternal(body, into: &object)
        out.append(.object(object))
        indicatorsByKey[key, default: []].append(id)
        for campaign in campaignsByKey[key] ?? [] {
            out.append(
                relationship(
                    named: record.id + "|indicates|" + campaign,
                    record,
                    type: "indicates",
                    source: id,
                    target: campaign,
                    retraction: retraction
                )
            )
        }
        return out
    }

    private mutating func report(_ record: Record, _ retraction: Retraction?) -> [JSONValue] {
        let body = record.body
        let id = STIXID.object("report", named: record.id)
        var out: [JSONValue] = []
        identity(record.origin, into: &out)
        marking(record.label.tlp, into: &out)
        var refs: [JSONValue] = []
        var keys: [String] = []
        var identifiers: [JSONValue] = []
        for item in body["identifiers"]?.arrayValue ?? [] {
            guard let kindText = item["kind"]?.stringValue, let kind = IdentifierKind(rawValue: kindText),
                let value = item["value"]?.stringValue
            else { continue }
            let identifier = Identifier(kind: kind, canonical: value)
            refs.append(observable(identifier, into: &out))
            keys.append(kind.rawValue + ":" + value)
            identifiers.append(.object(["identifier": .string(kind.rawValue + ":" + value), "role": item["role"] ?? .null]))
        }
        if let campaign = campaignByReport[record.id] {
            refs.append(.string(campaign))
            campaignLevel[campaign] = max(campaignLevel[campaign] ?? .clear, record.label.tlp)
        }
        if refs.isEmpty { refs.append(.string(STIXID.object("identity", named: record.origin))) }
        let typology = body["typology"]?.stringValue
        let jurisdiction = body["jurisdiction"]?.stringValue ?? "??"
        var object = common(record, id: id, type: "report", retraction: retraction)
        object["name"] = .string(
            "Scam report: \((typology ?? "unclassified").replacingOccurrences(of: "_", with: " ")) in \(jurisdiction)"
        )
        if let narrative = body["narrative"]?.stringValue { object["description"] = .string(narrative) }
        object["report_types"] = ["threat-report"]
        object["published"] = .string(record.created.rfc3339)
        object["object_refs"] = .array(refs)
        if let typology { object["labels"] = [.string(typology)] }
        var ext = concordExtension(record, retraction: retraction)
        for name in ["typology", "jurisdiction", "occurred_at", "victims", "loss"] { ext[name] = body[name] }
        ext["identifiers"] = .array(identifiers)
        object["extensions"] = .object([STIXVocabulary.concordExtension: .object(ext.compactMapValues { $0 })])
        keepExternal(body, into: &object)
        out.append(.object(object))
        let seen = body["occurred_at"]?.stringValue ?? record.created.rfc3339
        for key in keys where sightings {
            for indicator in indicatorsByKey[key] ?? [] {
                var sighting = common(
                    record,
                    id: STIXID.object("sighting", named: record.id + "|" + indicator),
                    type: "sighting",
                    retraction: retraction
                )
                sighting["sighting_of_ref"] = .string(indicator)
                sighting["where_sighted_refs"] = [.string(STIXID.object("identity", named: record.origin))]
                sighting["first_seen"] = .string(seen)
                sighting["last_seen"] = .string(seen)
                sighting["count"] = .integer(1)
                sighting["description"] = .string("Named in scam report \(record.id).")
                out.append(.object(sighting))
            }
        }
        return out
    }

    /// The properties every object made from a record has.
    private func common(_ record: Record, id: String, type: String, retraction: Retraction?) -> [String: JSONValue] {
        var object: [String: JSONValue] = [
            "type": .string(type),
            "spec_version": "2.1",
            "id": .string(id),
            "created": .string(record.created.rfc3339),
            "modified": .string(max(record.created, retraction?.created ?? record.created).rfc3339),
            "created_by_ref": .string(STIXID.object("identity", named: record.origin)),
            "object_marking_refs": [.string(STIXVocabulary.tlpMarkings[record.label.tlp] ?? "")],
        ]
        if retraction != nil { object["revoked"] = true }
        return object
    }

    private func relationship(
        named name: String,
        _ record: Record,
        type: String,
        source: String,
        target: String,
        retraction: Retraction?
    ) -> JSONValue {
        var object = common(record, id: STIXID.object("relationship", named: name), type: "relationship", retraction: retraction)
        object["relationship_type"] = .string(type)
        object["source_ref"] = .string(source)
        object["target_ref"] = .string(target)
        return .object(object)
    }

    /// Concord's extension: the record's id and what no STIX property holds.
    private func concordExtension(_ record: Record, retraction: Retraction?) -> [String: JSONValue?] {
        var ext: [String: JSONValue?] = [
            "extension_type": "property-extension",
            "record": .string(record.id),
            "origin": .string(record.origin),
            "audience": record.label.json["audience"],
            "relay": .bool(record.label.relay),
        ]
        if let retraction { ext["withdrawn"] = .string(retraction.reason) }
        return ext
    }

    /// Puts back what an imported object said that no field of the record holds.
    private func keepExternal(_ body: JSONValue, into object: inout [String: JSONValue]) {
        guard body["external"]?["format"]?.stringValue == "stix",
            let kept = body["external"]?["properties"]?.objectValue
        else { return }
        for (name, value) in kept where object[name] == nil { object[name] = value }
    }

    // MARK: Shared objects, written once

    private mutating func once(_ id: String, into out: inout [JSONValue], _ make: () -> JSONValue) {
        guard emitted.insert(id).inserted else { return }
        out.append(make())
    }

    private mutating func identity(_ node: String, into out: inout [JSONValue]) {
        let id = STIXID.object("identity", named: node)
        let name = names[node] ?? "Concord node \(node)"
        once(id, into: &out) {
            .object([
                "type": "identity",
                "spec_version": "2.1",
                "id": .string(id),
                "created": "2026-01-01T00:00:00.000Z",
                "modified": "2026-01-01T00:00:00.000Z",
                "name": .string(name),
                "identity_class": "organization",
                "extensions": .object([
                    STIXVocabulary.concordExtension: .object(["extension_type": "property-extension", "node": .string(node)])
                ]),
            ])
        }
    }

    private mutating func marking(_ level: TLPLevel, into out: inout [JSONValue]) {
        once(STIXVocabulary.tlpMarkings[level] ?? "", into: &out) { STIXVocabulary.markingDefinition(level) }
    }

    @discardableResult
    private mutating func observable(_ identifier: Identifier, into out: inout [JSONValue]) -> JSONValue {
        let object = STIXVocabulary.observable(identifier)
        let id = object["id"]?.stringValue ?? ""
        once(id, into: &out) { object }
        return .string(id)
    }
}

/// Writes a STIX bundle a piece at a time: the opening, objects separated by commas, the closing.
public struct STIXBundleWriter: Sendable {
    private var count = 0

    /// Creates a writer.
    public init() {}

    /// How many objects were written.
    public var objectCount: Int { count }

    /// The bundle's opening, with its id named by `name` (so the same export gives the same bundle id).
    public func opening(named name: String) -> [UInt8] {
        Array("{\"type\":\"bundle\",\"id\":\"\(STIXID.object("bundle", named: name))\",\"objects\":[".utf8)
    }

    /// The bytes of `objects`, each preceded by a comma except the bundle's first.
    public mutating func append(_ objects: [JSONValue], to out: inout [UInt8]) {
        for object in objects {
            if count > 0 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\n"))
            object.writeCompact(into: &out)
            count += 1
        }
    }

    /// The bundle's closing.
    public func closing() -> [UInt8] { Array("\n]}\n".utf8) }
}
