import Foundation

/// A TLP 2.0 level: who may see a record.
public enum TLPLevel: String, CaseIterable, Sendable, Codable, Comparable {
    /// Anyone, without limit.
    case clear
    /// The community: any node of the network.
    case green
    /// The receiving organisation and its clients, on a need-to-know basis.
    case amber
    /// The receiving organisation only.
    case amberStrict = "amber+strict"
    /// Named recipients only; never relayed.
    case red

    /// Reads a level as people write it: `TLP:AMBER+STRICT`, `amber_strict`, `White` (TLP 1.0 for clear).
    public init?(lenient text: String) {
        if let exact = TLPLevel(rawValue: text) {
            self = exact
            return
        }
        var t = text.lowercased().trimmingWhitespace()
        if t.hasPrefix("tlp:") { t.removeFirst(4) }
        t = t.replacingOccurrences(of: "_", with: "+").replacingOccurrences(of: " ", with: "+")
        if t == "white" { t = "clear" }
        if t == "amber-strict" { t = "amber+strict" }
        self.init(rawValue: t)
    }

    private var rank: Int {
        switch self {
        case .clear: 0
        case .green: 1
        case .amber: 2
        case .amberStrict: 3
        case .red: 4
        }
    }

    public static func < (lhs: TLPLevel, rhs: TLPLevel) -> Bool { lhs.rank < rhs.rank }
}

/// Who a record may reach beyond its TLP level: named nodes, communities and jurisdictions narrow it.
public struct Audience: Sendable, Hashable, Codable {
    /// Node ids that may receive the record. Empty means no restriction by node.
    public var nodes: [String]
    /// Community names whose members may receive the record. Empty means no restriction by community.
    public var communities: [String]
    /// ISO 3166-1 alpha-2 jurisdictions whose nodes may receive the record. Empty means no restriction.
    public var jurisdictions: [String]

    /// Creates an audience; empty lists do not restrict.
    public init(nodes: [String] = [], communities: [String] = [], jurisdictions: [String] = []) {
        self.nodes = nodes.sorted()
        self.communities = communities.sorted()
        self.jurisdictions = jurisdictions.sorted()
    }

    /// True when no list restricts.
    public var isUnrestricted: Bool { nodes.isEmpty && communities.isEmpty && jurisdictions.isEmpty }
}

/// The sharing label every record carries: TLP level, audience, and whether peers may relay it.
public struct SharingLabel: Sendable, Hashable, Codable {
    /// The TLP 2.0 level.
    public var tlp: TLPLevel
    /// Who, beyond the level, may see it.
    public var audience: Audience
    /// Whether a peer that received the record may serve it onward. Always false for RED.
    public var relay: Bool

    /// Creates a label; `relay` defaults to true below RED and is forced off for RED.
    public init(tlp: TLPLevel, audience: Audience = Audience(), relay: Bool? = nil) {
        self.tlp = tlp
        self.audience = audience
        self.relay = tlp == .red ? false : (relay ?? (tlp <= .green))
    }

    /// The label as a JSON value for the canonical record content.
    public var json: JSONValue {
        .object([
            "tlp": .string(tlp.rawValue),
            "audience": .object([
                "nodes": .array(audience.nodes.map(JSONValue.string)),
                "communities": .array(audience.communities.map(JSONValue.string)),
                "jurisdictions": .array(audience.jurisdictions.map(JSONValue.string)),
            ]),
            "relay": .bool(relay),
        ])
    }
}
