import Foundation

extension Identifier {
    /// The identifier as a person should see it, when that differs from the canonical key: internationalised
    /// hosts of domains, URLs and e-mail addresses in Unicode rather than punycode. Nil when they are the same.
    public var display: String? {
        guard canonical.contains("xn--") else { return nil }
        let shown: String
        switch kind {
        case .domain:
            shown = HostName.unicodeDisplay(canonical)
        case .email:
            guard let at = canonical.lastIndex(of: "@") else { return nil }
            shown = canonical[..<at] + "@" + HostName.unicodeDisplay(String(canonical[canonical.index(after: at)...]))
        case .url:
            guard let host = WebAddressNormalizer.host(ofCanonicalURL: canonical),
                let range = canonical.range(of: host)
            else { return nil }
            shown = canonical.replacingCharacters(in: range, with: HostName.unicodeDisplay(host))
        default:
            return nil
        }
        return shown == canonical ? nil : shown
    }
}
