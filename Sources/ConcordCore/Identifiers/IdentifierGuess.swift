extension Identifier {
    /// Reads a value whose kind was not given, as pasted by a person: one identifier of any kind. Kinds whose
    /// shape cannot be mistaken are tried first (an e-mail address, a URL with a scheme, an IP address, a wallet,
    /// an IBAN), then a phone number, then a domain, and a handle last.
    /// - Returns: the first reading that succeeds.
    /// - Throws: the error of the kind the value looks most like, when none reads it.
    public static func normalizeGuessingKind(_ value: String, hints: NormalizationHints) throws(IdentifierError) -> Identifier {
        let text = value.trimmingWhitespace()
        var order: [IdentifierKind]
        let lower = text.lowercased()
        if lower.hasPrefix("http://") || lower.hasPrefix("https://") || (text.contains("/") && text.contains(".")) {
            order = [.url]
        } else if text.contains("@") && !text.hasPrefix("@") {
            order = [.email]
        } else if text.hasPrefix("@") {
            order = [.handle]
        } else {
            let digits = text.unicodeScalars.filter { ("0"..."9").contains($0) }.count
            let letters = text.unicodeScalars.filter { ("a"..."z").contains($0) || ("A"..."Z").contains($0) }.count
            if letters == 0 && digits >= 6 {
                order = [.ip, .phone, .bankAccount]
            } else if text.contains(".") && !text.contains(" ") {
                order = [.ip, .domain]
            } else {
                order = [.wallet, .bankAccount, .phone, .handle]
            }
        }
        var first: IdentifierError?
        for kind in order {
            do {
                return try normalize(kind: kind, value: text, hints: hints)
            } catch {
                if first == nil { first = error }
            }
        }
        throw first ?? IdentifierError(.handle, "is empty")
    }
}
