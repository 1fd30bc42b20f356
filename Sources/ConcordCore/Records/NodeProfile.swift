/// What kind of organisation runs a node.
public enum OrganisationKind: String, CaseIterable, Sendable, Codable {
    case lawEnforcement = "law_enforcement"
    case regulator
    case financial
    case telecom
    case platform
    case civilSociety = "civil_society"
    case cert
    case international
    /// A national anti-scam centre.
    case antiScamCentre = "anti_scam_centre"
}

/// A node's public description: who runs it, where, and how to reach them at any hour.
public struct NodeProfile: Sendable, Equatable, Codable {
    /// The organisation's name.
    public var organisation: String
    /// The kind of organisation.
    public var kind: OrganisationKind
    /// ISO 3166-1 alpha-2 jurisdiction; also the default region for national phone formats.
    public var jurisdiction: String
    /// Working languages (BCP 47 tags).
    public var languages: [String]
    /// IANA time zone name.
    public var timeZone: String
    /// The 24/7 contact point.
    public var contact: String

    /// Creates a profile.
    public init(
        organisation: String,
        kind: OrganisationKind,
        jurisdiction: String,
        languages: [String] = ["en"],
        timeZone: String = "UTC",
        contact: String = ""
    ) {
        self.organisation = organisation
        self.kind = kind
        self.jurisdiction = jurisdiction
        self.languages = languages
        self.timeZone = timeZone
        self.contact = contact
    }

    enum CodingKeys: String, CodingKey {
        case organisation, kind, jurisdiction, languages
        case timeZone = "time_zone"
        case contact
    }
}
