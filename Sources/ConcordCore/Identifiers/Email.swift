/// Reads e-mail addresses into the one form Concord keys them by: `local@domain`, lower-cased,
/// the domain in canonical ASCII (`Refunds <REFUNDS@Bücher.Example>` is
/// `refunds@xn--bcher-kva.example`).
public enum EmailNormalizer {
    /// The longest local part (RFC 5321).
    static let maximumLocalLength = 64
    /// The longest address that can be used in SMTP (RFC 5321 path limit less the brackets).
    static let maximumLength = 254

    /// Reads an e-mail address into its canonical form.
    ///
    /// Accepts `mailto:` links (any `?subject=...` is dropped), the display-name form
    /// `Name <a@b.example>`, and defanged forms (`a[at]b[.]example`, `a(at)b(dot)example`).
    /// The local part is lower-cased: scam mailboxes are treated case-insensitively. The domain
    /// is normalised by `HostName` (IDN as `xn--` punycode).
    /// - Parameter raw: the address as typed or pasted.
    /// - Returns: the canonical address, e.g. `refunds@xn--bcher-kva.example`.
    /// - Throws: `IdentifierError` (kind `email`) with the reason: no `@` or more than one, an
    ///   empty or over-long local part, a character outside the usual set, a bad domain. Quoted
    ///   local parts (`"john doe"@example.com`) and IP-literal domains are not accepted.
    public static func normalize(_ raw: String) throws(IdentifierError) -> String {
        var text = Substring(raw.trimmingWhitespace())

        // Display-name form: the address is what is inside the last <...>.
        if let open = text.lastIndex(of: "<") {
            guard text.last == ">" else {
                throw IdentifierError(.email, "the address opens “<” but does not end with “>”")
            }
            text = text[text.index(after: open)..<text.index(before: text.endIndex)]
        }

        var address = Refang.undo(String(text).trimmingWhitespace(), words: true, atSign: true)
        if address.utf8.count >= 7, address.prefix(7).lowercased() == "mailto:" {
            address = String(address.dropFirst(7))
            if let question = address.firstIndex(of: "?") {
                address = String(address[..<question])
            }
        }

        let bytes = Array(address.utf8)
        guard !bytes.isEmpty else { throw IdentifierError(.email, "the e-mail address is empty") }
        let atSigns = bytes.indices.filter { bytes[$0] == UInt8(ascii: "@") }
        guard let at = atSigns.first else {
            throw IdentifierError(.email, "an e-mail address needs an @ between the mailbox and the domain")
        }
        guard atSigns.count == 1 else {
            throw IdentifierError(
                .email,
                "the address has \(atSigns.count) @ signs; it needs exactly one (quoted local parts are not supported)"
            )
        }

        let local = try canonicalLocalPart(bytes[..<at])
        let domainBytes = bytes[(at + 1)...]
        guard !domainBytes.isEmpty else {
            throw IdentifierError(.email, "the address has nothing after the @")
        }
        if domainBytes.first == UInt8(ascii: "[") {
            throw IdentifierError(
                .email,
                "an address at an IP literal is not accepted; for the IP address itself use kind ip"
            )
        }
        let domain = try HostName.normalize(String(decoding: domainBytes, as: UTF8.self), kind: .email)

        let result = local + "@" + domain
        guard result.utf8.count <= maximumLength else {
            throw IdentifierError(
                .email,
                "the address is \(result.utf8.count) characters long; at most \(maximumLength) are allowed"
            )
        }
        return result
    }

    /// The local part checked as a dot-atom and lower-cased.
    private static func canonicalLocalPart(_ local: ArraySlice<UInt8>) throws(IdentifierError) -> String {
        guard !local.isEmpty else {
            throw IdentifierError(.email, "the address has nothing before the @")
        }
        if local.first == UInt8(ascii: "\"") {
            throw IdentifierError(.email, "quoted local parts (\"...\"@) are not supported")
        }
        guard local.count <= maximumLocalLength else {
            throw IdentifierError(
                .email,
                "the part before @ is \(local.count) characters long; at most \(maximumLocalLength) are allowed"
            )
        }
        if local.first == UInt8(ascii: ".") || local.last == UInt8(ascii: ".") {
            throw IdentifierError(.email, "the part before @ cannot start or end with a dot")
        }

        var lowered: [UInt8] = []
        lowered.reserveCapacity(local.count)
        var previous: UInt8 = 0
        for byte in local {
            guard isAtomCharacter(byte) || byte == UInt8(ascii: ".") else {
                throw IdentifierError(
                    .email,
                    "the part before @ has \(HostName.describe(byte)); it may use only letters a-z, digits and ! # $ % & ' * + - / = ? ^ _ ` { | } ~ and dots"
                )
            }
            if byte == UInt8(ascii: "."), previous == UInt8(ascii: ".") {
                throw IdentifierError(.email, "the part before @ has two dots in a row")
            }
            previous = byte
            lowered.append(byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte)
        }
        return String(decoding: lowered, as: UTF8.self)
    }

    /// RFC 5322 `atext`: letters, digits and ! # $ % & ' * + - / = ? ^ _ ` { | } ~.
    private static func isAtomCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-/=?^_`{|}~".utf8.contains(byte)
        }
    }
}
