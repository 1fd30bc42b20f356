public import ConcordCore
import Crypto
import Foundation

/// Writes records as MISP events for a feed: `manifest.json`, one `<uuid>.json` per event and `hashes.csv`,
/// the layout MISP reads when it subscribes to a feed.
public enum MISPFeedWriter {
    /// The organisation events are credited to.
    public struct Organisation: Sendable {
        /// Its name.
        public let name: String
        /// Its uuid in MISP, derived from the node id.
        public let uuid: String

        /// The organisation of the node `nodeID` called `name`.
        public init(name: String, nodeID: String) {
            self.name = name
            uuid = uuid5(name: "organisation|" + nodeID)
        }

        var json: JSONValue { ["name": .string(name), "uuid": .string(uuid)] }
    }

    /// The event uuid of a record: the same record always gives the same event.
    public static func eventUUID(of record: Record) -> String { uuid5(name: "event|" + record.id) }

    /// The event of an indicator or report record, `{"Event": {...}}`; nil for other kinds.
    public static func event(for record: Record, organisation: Organisation) -> JSONValue? {
        let body = record.body
        let uuid = eventUUID(of: record)
        let timestamp = JSONValue.string(String(record.created.seconds))
        let typology = body["typology"]?.stringValue
        let jurisdiction = body["jurisdiction"]?.stringValue
        var tags: [JSONValue] = [tag(MISPMapping.tag(record.label.tlp)), tag("concord:kind=\"\(record.kind.rawValue)\"")]
        if let typology { tags.append(tag("concord:typology=\"\(typology)\"")) }
        if let jurisdiction { tags.append(tag("concord:jurisdiction=\"\(jurisdiction)\"")) }
        var attributes: [JSONValue] = []
        let info: String
        var date = record.created.date
        switch record.kind {
        case .indicator:
            guard let kindText = body["identifier"]?["kind"]?.stringValue, let kind = IdentifierKind(rawValue: kindText),
                let value = body["identifier"]?["value"]?.stringValue
            else { return nil }
            let identifier = Identifier(kind: kind, canonical: value)
            info = "Scam indicator: \(kind.rawValue.replacingOccurrences(of: "_", with: " ")) \(value)"
            attributes.append(attribute(identifier, role: nil, record: record, comment: body["description"]?.stringValue))
        case .report:
            info =
                "Scam report: \((typology ?? "unclassified").replacingOccurrences(of: "_", with: " ")) in \(jurisdiction ?? "??")"
            if let occurred = body["occurred_at"]?.stringValue { date = String(occurred.prefix(10)) }
            if let victims = body["victims"]?.integerValue { tags.append(tag("concord:victims=\"\(victims)\"")) }
            if let amount = body["loss"]?["amount"]?.stringValue, let currency = body["loss"]?["currency"]?.stringValue {
                tags.append(tag("concord:loss=\"\(amount) \(currency)\""))
            }
            for item in body["identifiers"]?.arrayValue ?? [] {
                guard let kindText = item["kind"]?.stringValue, let kind = IdentifierKind(rawValue: kindText),
                    let value = item["value"]?.stringValue
                else { continue }
                attributes.append(
                    attribute(
                        Identifier(kind: kind, canonical: value),
                        role: item["role"]?.stringValue,
                        record: record,
                        comment: nil
                    )
                )
            }
            if let narrative = body["narrative"]?.stringValue {
                attributes.append([
                    "uuid": .string(uuid5(name: "attribute|" + record.id + "|narrative")),
                    "type": "text", "category": "Other", "value": .string(narrative), "to_ids": false,
                    "distribution": "5", "timestamp": timestamp, "comment": "narrative",
                ])
            }
        case .retraction, .community, .actionRequest, .actionResponse, .dispute, .disputeDecision, .directoryEntry, .assessment,
            .assessmentReview, .pairingOffer, .pairingResponse, .practice,
            .exchange, .exchangeOutcome, .exercise, .exerciseInject, .exerciseReport:
            return nil
        }
        let event: JSONValue = [
            "uuid": .string(uuid),
            "info": .string(info),
            "date": .string(date),
            "timestamp": timestamp,
            "publish_timestamp": timestamp,
            "published": true,
            "analysis": "2",
            "threat_level_id": "3",
            "distribution": .string(String(MISPMapping.distribution(record.label.tlp))),
            "Orgc": organisation.json,
            "Tag": .array(tags),
            "Attribute": .array(attributes),
        ]
        return ["Event": event]
    }

    /// The manifest entry of an event, by its uuid.
    public static func manifestEntry(_ event: JSONValue) -> (uuid: String, entry: JSONValue)? {
        guard let e = event["Event"], let uuid = e["uuid"]?.stringValue else { return nil }
        var entry: [String: JSONValue] = [:]
        for name in ["info", "date", "analysis", "threat_level_id", "timestamp", "Orgc", "Tag"] { entry[name] = e[name] }
        return (uuid, .object(entry))
    }

    /// The `hashes.csv` lines of an event: the MD5 of each attribute value and the event's uuid.
    public static func hashLines(_ event: JSONValue) -> [String] {
        guard let e = event["Event"], let uuid = e["uuid"]?.stringValue else { return [] }
        return (e["Attribute"]?.arrayValue ?? []).compactMap { attribute in
            guard let value = attribute["value"]?.stringValue else { return nil }
            let digest = Insecure.MD5.hash(data: Data(value.utf8)).map { String(format: "%02x", $0) }.joined()
            return digest + "," + uuid
        }
    }

    // MARK: Parts

    private static func tag(_ name: String) -> JSONValue {
        let colour: String
        switch name {
        case "tlp:red": colour = "#FF2B2B"
        case "tlp:amber", "tlp:amber+strict": colour = "#FFC000"
        case "tlp:green": colour = "#33FF00"
        case "tlp:clear": colour = "#FFFFFF"
        default: colour = "#1F6FB2"
        }
        return ["name": .string(name), "colour": .string(colour)]
    }

    private static func attribute(_ identifier: Identifier, role: String?, record: Record, comment: String?) -> JSONValue {
        let value = identifier.canonical
        let (type, category, shown): (String, String, String)
        switch identifier.kind {
        case .url: (type, category, shown) = ("url", "Network activity", value)
        case .domain: (type, category, shown) = ("domain", "Network activity", value)
        case .email: (type, category, shown) = ("email-src", "Payload delivery", value)
        case .ip: (type, category, shown) = ("ip-dst", "Network activity", value)
        case .phone: (type, category, shown) = ("phone-number", "Financial fraud", value)
        case .bankAccount:
            let parts = value.split(separator: ":")
            (type, category, shown) =
                parts.count == 3 ? ("bank-account-nr", "Financial fraud", String(parts[2])) : ("iban", "Financial fraud", value)
        case .wallet:
            let parts = value.split(separator: ":", maxSplits: 1).map(String.init)
            let chain = parts.first ?? ""
            let address = parts.last ?? value
            switch chain {
            case "bitcoin": (type, category, shown) = ("btc", "Financial fraud", address)
            case "monero": (type, category, shown) = ("xmr", "Financial fraud", address)
            case "dash": (type, category, shown) = ("dash", "Financial fraud", address)
            default: (type, category, shown) = ("text", "Financial fraud", value)
            }
        case .handle:
            let parts = value.split(separator: ":", maxSplits: 1).map(String.init)
            switch parts.first {
            case "twitter" where parts.count == 2, "x" where parts.count == 2:
                (type, category, shown) = ("twitter-id", "Social network", parts[1])
            case "github" where parts.count == 2: (type, category, shown) = ("github-username", "Social network", parts[1])
            default: (type, category, shown) = ("text", "Social network", value)
            }
        }
        // The exact identifier travels as a tag, for what a MISP type cannot say (a national account's bank, a
        // wallet's chain, a handle's platform).
        var tags: [JSONValue] = [tag("concord:identifier=\"\(identifier.kind.rawValue):\(value)\"")]
        if let role { tags.append(tag("concord:role=\"\(role)\"")) }
        return [
            "uuid": .string(uuid5(name: "attribute|" + record.id + "|" + identifier.kind.rawValue + ":" + value)),
            "type": .string(type),
            "category": .string(category),
            "value": .string(shown),
            "to_ids": true,
            "distribution": "5",
            "timestamp": .string(String(record.created.seconds)),
            "comment": .string(comment ?? ""),
            "Tag": .array(tags),
        ]
    }

    /// A name-based uuid in Concord's namespace.
    static func uuid5(name: String) -> String {
        String(STIXID.object("x", named: "misp|" + name).dropFirst(3))
    }
}
