public import ConcordCore
import Foundation

/// The fixed STIX objects and names Concord's mapping uses: TLP 2.0 markings, extension definitions, and how
/// each kind of identifier is written as a cyber observable and in a pattern.
public enum STIXVocabulary {
    /// The TLP 2.0 extension's definition, as OASIS publishes it.
    public static let tlpExtension = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
    /// OpenCTI's definition for the observable types it adds to STIX (phone numbers, bank accounts, wallets).
    public static let openCTIObservableExtension = "extension-definition--f93e2c80-4231-4f9a-af8b-95c9bd566a82"
    /// Concord's property extension: what a record says that STIX has no property for.
    public static let concordExtension = STIXID.object("extension-definition", named: "concord-record-1")
    /// The identity that defines Concord's extension.
    public static let concordProject = STIXID.object("identity", named: "concord-project")

    /// The TLP 2.0 marking-definition ids, by level.
    public static let tlpMarkings: [TLPLevel: String] = [
        .clear: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
        .green: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
        .amber: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
        .amberStrict: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
        .red: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
    ]

    /// Marking ids read on import besides TLP 2.0's: the STIX 2.1 TLP 1.0 markings and OpenCTI's own.
    static let otherTLPMarkings: [String: TLPLevel] = [
        "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": .clear,
        "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": .green,
        "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": .amber,
        "marking-definition--826578e1-40ad-459f-bc73-ede076f81f37": .amberStrict,
        "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": .red,
    ]

    /// The level a marking id stands for, or nil when it is not a TLP marking this node knows.
    public static func tlp(marking id: String) -> TLPLevel? {
        if let level = tlpMarkings.first(where: { $0.value == id })?.key { return level }
        return otherTLPMarkings[id]
    }

    /// The TLP 2.0 marking-definition object of `level`.
    public static func markingDefinition(_ level: TLPLevel) -> JSONValue {
        let name = "TLP:" + level.rawValue.uppercased()
        return .object([
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": .string(tlpMarkings[level] ?? ""),
            "created": "2022-10-01T00:00:00.000Z",
            "name": .string(name),
            "extensions": .object([
                tlpExtension: .object(["extension_type": "property-extension", "tlp_2_0": .string(level.rawValue)])
            ]),
        ])
    }

    /// The identity behind Concord's extension definition.
    public static var projectIdentity: JSONValue {
        .object([
            "type": "identity",
            "spec_version": "2.1",
            "id": .string(concordProject),
            "created": "2026-01-01T00:00:00.000Z",
            "modified": "2026-01-01T00:00:00.000Z",
            "name": "Concord",
            "description": "The open-source peer-to-peer network against scams whose nodes wrote these objects.",
            "identity_class": "organization",
        ])
    }

    /// The definition of Concord's property extension.
    public static var extensionDefinition: JSONValue {
        .object([
            "type": "extension-definition",
            "spec_version": "2.1",
            "id": .string(concordExtension),
            "created": "2026-01-01T00:00:00.000Z",
            "modified": "2026-01-01T00:00:00.000Z",
            "created_by_ref": .string(concordProject),
            "name": "Concord record",
            "description": .string(
                "The signed Concord record an object was made from: its id, origin node, typology, jurisdiction, "
                    + "losses and sharing label, and the identifier in Concord's canonical form."
            ),
            "schema": .string(
                "Properties: record (the Concord record id), origin (node id), identifier (kind:canonical value), "
                    + "typology, jurisdiction (ISO 3166-1 alpha-2), occurred_at, victims, loss {amount, currency}, "
                    + "identifiers [{identifier, role}], audience, relay, withdrawn; see docs/interop.md in Concord."
            ),
            "version": "1.0.0",
            "extension_types": ["property-extension"],
        ])
    }

    /// Account types of STIX's open vocabulary that are also platforms of social handles.
    static let accountTypes: Set<String> = ["facebook", "skype", "twitter"]

    /// The cyber observable for an identifier, with Concord's extension naming the identifier exactly.
    public static func observable(_ identifier: Identifier) -> JSONValue {
        let (type, properties, custom) = observableProperties(identifier)
        var object = properties
        let contributing: [String: JSONValue]
        switch type {
        case "bank-account": contributing = properties["iban"].map { ["iban": $0] } ?? ["value": properties["value"] ?? .null]
        case "user-account": contributing = properties.filter { ["account_login", "account_type"].contains($0.key) }
        default: contributing = ["value": properties["value"] ?? .null]
        }
        object["type"] = .string(type)
        object["spec_version"] = "2.1"
        object["id"] = .string(
            custom
                ? STIXID.object(type, named: JSONValue.object(contributing).canonicalString)
                : STIXID.observable(type, contributing)
        )
        var extensions: [String: JSONValue] = [
            concordExtension: .object([
                "extension_type": "property-extension",
                "identifier": .string(identifier.kind.rawValue + ":" + identifier.canonical),
            ])
        ]
        if custom { extensions[openCTIObservableExtension] = .object(["extension_type": "new-sco"]) }
        object["extensions"] = .object(extensions)
        return .object(object)
    }

    /// The observable type, its properties, and whether the type is one STIX does not define.
    static func observableProperties(_ identifier: Identifier) -> (String, [String: JSONValue], Bool) {
        let value = identifier.canonical
        switch identifier.kind {
        case .url: return ("url", ["value": .string(value)], false)
        case .domain: return ("domain-name", ["value": .string(value)], false)
        case .email: return ("email-addr", ["value": .string(value)], false)
        case .ip: return (value.contains(":") ? "ipv6-addr" : "ipv4-addr", ["value": .string(value)], false)
        case .phone: return ("phone-number", ["value": .string(value)], true)
        case .bankAccount:
            let parts = value.split(separator: ":", omittingEmptySubsequences: false)
            if parts.count == 3 {
                return ("bank-account", ["value": .string(value), "account_number": .string(String(parts[2]))], true)
            }
            return ("bank-account", ["value": .string(value), "iban": .string(value)], true)
        case .wallet:
            let address = value.split(separator: ":", maxSplits: 1).last.map(String.init) ?? value
            return ("cryptocurrency-wallet", ["value": .string(address)], true)
        case .handle:
            let parts = value.split(separator: ":", maxSplits: 1).map(String.init)
            var properties: [String: JSONValue] = ["account_login": .string(parts.last ?? value)]
            if parts.count == 2 {
                properties["display_name"] = .string(parts[0] + ": " + parts[1])
                if accountTypes.contains(parts[0]) { properties["account_type"] = .string(parts[0]) }
            }
            return ("user-account", properties, false)
        }
    }

    /// The STIX pattern that matches an identifier: one observation of its observable.
    public static func pattern(_ identifier: Identifier) -> String {
        let (type, properties, _) = observableProperties(identifier)
        let terms: [(String, String)]
        switch type {
        case "bank-account":
            terms = [properties["iban"] != nil ? ("iban", identifier.canonical) : ("value", identifier.canonical)]
        case "user-account":
            // The platform goes into the pattern even where STIX's account types do not list it.
            let parts = identifier.canonical.split(separator: ":", maxSplits: 1).map(String.init)
            terms = parts.count == 2 ? [("account_login", parts[1]), ("account_type", parts[0])] : [("account_login", parts[0])]
        default:
            terms = [("value", properties["value"]?.stringValue ?? identifier.canonical)]
        }
        return "[" + terms.map { "\(type):\($0.0) = '\(escapePatternString($0.1))'" }.joined(separator: " AND ") + "]"
    }

    /// A string as a STIX pattern literal's content: backslash and quote escaped.
    static func escapePatternString(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
    }
}

extension JSONValue {
    /// The canonical encoding as text.
    var canonicalString: String { String(decoding: canonicalData, as: UTF8.self) }
}
