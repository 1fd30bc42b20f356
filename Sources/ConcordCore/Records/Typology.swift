import Foundation

/// The fixed list of scam typologies a report or indicator is filed under.
public enum Typology: String, CaseIterable, Sendable, Codable {
    case investment
    case romance
    case job
    case purchase
    /// Impersonation of officials: police, customs, tax, bank staff.
    case impersonation
    case loan
    /// Extortion and sextortion.
    case extortion
    case phishing
    case techSupport = "tech_support"
    /// Business e-mail compromise.
    case bec
    case other

    /// A bit for compact sets of typologies.
    public var bit: UInt16 { 1 << UInt16(Typology.allCases.firstIndex(of: self) ?? 10) }

    /// The typologies whose bits are set in `mask`.
    public static func from(mask: UInt16) -> [Typology] {
        allCases.filter { mask & $0.bit != 0 }
    }

    /// Reads a typology as people write it (`Tech support`, `sextortion`, `BEC`).
    public init?(lenient text: String) {
        if let exact = Typology(rawValue: text) {
            self = exact
            return
        }
        let t = text.trimmingWhitespace().lowercased().replacingOccurrences(of: " ", with: "_")
            .replacingOccurrences(of: "-", with: "_")
        switch t {
        case "sextortion": self = .extortion
        case "business_email_compromise": self = .bec
        case "impersonation_of_officials", "government_impersonation": self = .impersonation
        case "techsupport": self = .techSupport
        case "shopping", "e_commerce", "ecommerce": self = .purchase
        default: self.init(rawValue: t)
        }
    }
}

/// The part an identifier played in a reported scam.
public enum IdentifierRole: String, CaseIterable, Sendable, Codable {
    /// How the scammer reached the victim: a phone number, a handle, an e-mail address.
    case contact
    /// Where the money went: a mule account, a wallet.
    case payment
    /// A site used in the scam.
    case website
    /// Hosting or sending infrastructure: an IP address, a mail server.
    case infrastructure
    case other
}
