import Foundation

/// Host names in the one form Concord keys them by, shared by URLs, domains and e-mail addresses.
///
/// `WWW.Bücher.Example.`, `www.bücher。example` and `www.xn--bcher-kva.example` are one host:
/// `www.xn--bcher-kva.example`. Show `unicodeDisplay(_:)` to people, key by `normalize(_:kind:)`.
public enum HostName {
    /// The longest host name, in ASCII characters, without a trailing dot (RFC 1034).
    static let maximumLength = 253
    /// The longest label, in ASCII characters (RFC 1034).
    static let maximumLabelLength = 63

    /// Reads a host name into its canonical ASCII form.
    ///
    /// The value is trimmed; `。`, `．` and `｡` are read as dots; trailing dots are dropped; letters
    /// are lower-cased and Unicode is put in NFC; each non-ASCII label becomes `xn--` punycode
    /// and each `xn--` label is checked and put in canonical form. The result has at least two
    /// labels of 1 to 63 characters from `a-z`, `0-9` and `-` (not first or last), is at most 253
    /// characters long, and does not end in an all-digit label.
    /// - Parameters:
    ///   - raw: the host as typed.
    ///   - kind: the identifier kind named in errors.
    /// - Returns: the host in canonical ASCII form, e.g. `www.xn--bcher-kva.example`.
    /// - Throws: `IdentifierError` saying what is wrong; a wildcard such as `*.example.com` is
    ///   refused too, since it names many hosts.
    public static func normalize(_ raw: String, kind: IdentifierKind = .domain) throws(IdentifierError) -> String {
        let noun = kind == .url ? "host" : "domain"
        let text = raw.trimmingWhitespace()
        guard !text.isEmpty else { throw IdentifierError(kind, "the \(noun) is empty") }

        // Every character of a host becomes at least one ASCII character of its canonical form, so a host of more
        // characters than the limit (plus a few trailing dots) can be refused before any Unicode or IDNA work.
        let characters = text.unicodeScalars.count
        guard characters <= maximumLength + 8 else {
            throw IdentifierError(kind, "the \(noun) is \(characters) characters long; at most \(maximumLength) are allowed")
        }
        var bytes: [UInt8]
        if text.utf8.allSatisfy({ $0 < 0x80 }) {
            bytes = text.utf8.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 | 0x20 : $0 }
        } else {
            bytes = Array(mapUnicode(text).utf8)
        }

        while bytes.last == dot { bytes.removeLast() }
        guard !bytes.isEmpty else { throw IdentifierError(kind, "the \(noun) has no name, only dots") }
        if bytes.count >= 2, bytes[0] == UInt8(ascii: "*"), bytes[1] == dot {
            let rest = String(decoding: bytes.dropFirst(2), as: UTF8.self)
            throw IdentifierError(
                kind,
                "a wildcard (*.\(rest)) names many hosts, not one; give \(rest) to flag the \(noun) itself"
            )
        }

        var labels: [String] = []
        var length = 0
        for labelBytes in bytes.split(separator: dot, omittingEmptySubsequences: false) {
            guard !labelBytes.isEmpty else {
                throw IdentifierError(kind, "the \(noun) has an empty label (a leading dot or two dots in a row)")
            }
            let label = try asciiLabel(labelBytes, kind: kind)
            labels.append(label)
            length += label.utf8.count
        }
        length += labels.count - 1

        guard length <= maximumLength else {
            throw IdentifierError(kind, "the \(noun) is \(length) characters long; at most \(maximumLength) are allowed")
        }
        guard labels.count >= 2, let last = labels.last else {
            throw IdentifierError(
                kind,
                "“\(labels.first ?? "")” has a single label; a \(noun) needs at least two, like example.com"
            )
        }
        if last.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            throw IdentifierError(
                kind,
                "the last label “\(last)” is all digits, which no top-level domain is; for an IP address use kind ip"
            )
        }
        return labels.joined(separator: ".")
    }

    /// The host as people read it: each `xn--` label decoded back to Unicode.
    ///
    /// A label is left in its `xn--` form when it does not decode, or when it would decode to
    /// characters a host name cannot hold (controls, invisible formatting, spaces), so that a
    /// crafted label cannot disguise itself on screen.
    /// - Parameter host: a host name, normally a canonical one from `normalize(_:kind:)`.
    /// - Returns: the host with its punycode labels in Unicode, e.g. `www.bücher.example`.
    public static func unicodeDisplay(_ host: String) -> String {
        guard host.utf8.count > 4 else { return host }
        var parts: [String] = []
        var changed = false
        for label in host.split(separator: ".", omittingEmptySubsequences: false) {
            if label.utf8.count > 4, label.utf8.count <= maximumLabelLength, label.lowercased().hasPrefix("xn--"),
                let decoded = Punycode.decode(String(label.dropFirst(4))),
                decoded.unicodeScalars.allSatisfy({ isDisplayable($0) })
            {
                parts.append(decoded)
                changed = true
            } else {
                parts.append(String(label))
            }
        }
        return changed ? parts.joined(separator: ".") : host
    }

    // MARK: - Labels

    private static let dot = UInt8(ascii: ".")

    /// Lower-cases, puts in NFC and reads the ideographic and full-width dots as dots.
    private static func mapUnicode(_ text: String) -> String {
        let composed = text.lowercased().precomposedStringWithCanonicalMapping
        var view = String.UnicodeScalarView()
        for scalar in composed.unicodeScalars {
            switch scalar.value {
            case 0x3002, 0xFF0E, 0xFF61: view.append(".")
            default: view.append(scalar)
            }
        }
        return String(view)
    }

    /// One label (already lower-cased, NFC) in canonical ASCII form, checked.
    private static func asciiLabel(_ bytes: ArraySlice<UInt8>, kind: IdentifierKind) throws(IdentifierError) -> String {
        let noun = kind == .url ? "host" : "domain"
        var label: String
        if bytes.contains(where: { $0 >= 0x80 }) {
            let unicode = String(decoding: bytes, as: UTF8.self)
            // Its punycode form is longer than its count of characters: refuse a long label before encoding it.
            let characters = unicode.unicodeScalars.count
            guard characters <= maximumLabelLength - 4 else {
                throw IdentifierError(
                    kind,
                    "the label “\(unicode.prefix(20))…” is \(characters) characters long; a label may have at most \(maximumLabelLength) once encoded"
                )
            }
            try checkUnicodeLabel(unicode, kind: kind)
            guard let encoded = Punycode.encode(unicode) else {
                throw IdentifierError(kind, "the label “\(unicode)” is too long to encode")
            }
            label = "xn--" + encoded
        } else {
            label = String(decoding: bytes, as: UTF8.self)
            for byte in bytes where !isLDH(byte) {
                throw IdentifierError(
                    kind,
                    "the \(noun) has \(describe(byte)) in “\(label)”; a host name may use only letters, digits and hyphens"
                )
            }
            if label.hasPrefix("xn--") {
                guard bytes.count <= maximumLabelLength else {
                    throw IdentifierError(
                        kind,
                        "the label “\(label.prefix(20))…” is \(bytes.count) characters long; a label may have at most \(maximumLabelLength)"
                    )
                }
                label = try canonicalPunycodeLabel(label, kind: kind)
            }
        }

        let count = label.utf8.count
        guard count <= maximumLabelLength else {
            throw IdentifierError(
                kind,
                "the label “\(label)” is \(count) characters long; a label may have at most \(maximumLabelLength)"
            )
        }
        if label.utf8.first == UInt8(ascii: "-") {
            throw IdentifierError(kind, "the label “\(label)” starts with a hyphen, which a host name cannot")
        }
        if label.utf8.last == UInt8(ascii: "-") {
            throw IdentifierError(kind, "the label “\(label)” ends with a hyphen, which a host name cannot")
        }
        return label
    }

    /// Checks an `xn--` label and returns it re-encoded from its lower-cased NFC Unicode form.
    private static func canonicalPunycodeLabel(_ label: String, kind: IdentifierKind) throws(IdentifierError) -> String {
        guard let decoded = Punycode.decode(String(label.dropFirst(4))) else {
            throw IdentifierError(kind, "the label “\(label)” is not valid punycode")
        }
        guard decoded.unicodeScalars.contains(where: { $0.value >= 0x80 }) else {
            throw IdentifierError(
                kind,
                "the label “\(label)” encodes only plain ASCII (“\(decoded)”); write it without xn--"
            )
        }
        let unicode = decoded.lowercased().precomposedStringWithCanonicalMapping
        try checkUnicodeLabel(unicode, kind: kind)
        guard let encoded = Punycode.encode(unicode) else {
            throw IdentifierError(kind, "the label “\(label)” is too long to encode")
        }
        return "xn--" + encoded
    }

    /// Refuses characters no host label can hold: ASCII other than letters, digits and hyphens;
    /// spaces, controls, invisible formatting, private-use and unassigned code points; and
    /// punctuation, except the few marks IDNA allows inside words.
    private static func checkUnicodeLabel(_ label: String, kind: IdentifierKind) throws(IdentifierError) {
        let noun = kind == .url ? "host" : "domain"
        for scalar in label.unicodeScalars {
            if scalar.value < 0x80 {
                let byte = UInt8(scalar.value)
                if !isLDH(byte) {
                    throw IdentifierError(
                        kind,
                        "the \(noun) has \(describe(byte)) in “\(label)”; a host name may use only letters, digits and hyphens"
                    )
                }
            } else if !isAllowedInLabel(scalar) {
                let code = "U+" + String(scalar.value, radix: 16, uppercase: true)
                throw IdentifierError(
                    kind,
                    "the \(noun) label “\(label)” has the character \(code), which a host name cannot hold"
                )
            }
        }
    }

    /// Whether a non-ASCII scalar may appear in a host label.
    private static func isAllowedInLabel(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .spaceSeparator, .lineSeparator, .paragraphSeparator, .control, .surrogate, .privateUse, .unassigned:
            return false
        case .format:
            // Zero-width non-joiner and joiner are needed to spell words in some scripts.
            return scalar.value == 0x200C || scalar.value == 0x200D
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation:
            // Middle dot (Catalan), Greek keraia, Hebrew geresh and gershayim, katakana middle dot.
            switch scalar.value {
            case 0x00B7, 0x0375, 0x05F3, 0x05F4, 0x30FB: return true
            default: return false
            }
        default:
            return true
        }
    }

    /// Whether a decoded scalar is safe to show inside a host name.
    private static func isDisplayable(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 0x80 { return isLDH(UInt8(scalar.value)) }
        return isAllowedInLabel(scalar)
    }

    /// Letters, digits and hyphen (upper-case letters have been folded by then).
    private static func isLDH(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            || byte == UInt8(ascii: "-")
    }

    /// A byte named in words for error messages.
    static func describe(_ byte: UInt8) -> String {
        switch byte {
        case UInt8(ascii: " "): "a space"
        case UInt8(ascii: "\t"): "a tab"
        case 0..<0x20, 0x7F: "a control character"
        case 0x80...: "a non-ASCII character"
        default: "“\(String(decoding: [byte], as: UTF8.self))”"
        }
    }
}

/// Undoes the "defanging" analysts apply to indicators so nobody clicks them by accident:
/// `evil[.]example`, `evil(.)example`, `evil{.}example`, `https[:]//`, `[://]`, and on request
/// `[dot]`/`(dot)` and `[at]`/`(at)`/`[@]`/`(@)`. Spaces around a replaced marker are dropped.
/// (`hxxp` schemes are read by the URL parser.)
enum Refang {
    /// The text with defanging markers replaced.
    /// - Parameters:
    ///   - text: the text as pasted.
    ///   - words: also read `[dot]` and `(dot)` as `.`.
    ///   - atSign: also read `[at]`, `(at)`, `[@]` and `(@)` as `@`.
    static func undo(_ text: String, words: Bool = false, atSign: Bool = false) -> String {
        let bytes = Array(text.utf8)
        guard bytes.contains(where: { $0 == open1 || $0 == open2 || $0 == open3 }) else { return text }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            if let close = closer(of: byte),
                let end = bytes[(i + 1)...].prefix(5).firstIndex(of: close),
                let replacement = marker(bytes[(i + 1)..<end], words: words, atSign: atSign)
            {
                while output.last == UInt8(ascii: " ") { output.removeLast() }
                output.append(contentsOf: replacement)
                i = end + 1
                while i < bytes.count, bytes[i] == UInt8(ascii: " ") { i += 1 }
                continue
            }
            output.append(byte)
            i += 1
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static let open1 = UInt8(ascii: "[")
    private static let open2 = UInt8(ascii: "(")
    private static let open3 = UInt8(ascii: "{")

    private static func closer(of byte: UInt8) -> UInt8? {
        switch byte {
        case open1: UInt8(ascii: "]")
        case open2: UInt8(ascii: ")")
        case open3: UInt8(ascii: "}")
        default: nil
        }
    }

    /// What the text between the brackets stands for, if it is a defanging marker.
    private static func marker(_ inner: ArraySlice<UInt8>, words: Bool, atSign: Bool) -> [UInt8]? {
        switch String(decoding: inner, as: UTF8.self).lowercased() {
        case ".": return [UInt8(ascii: ".")]
        case ":": return [UInt8(ascii: ":")]
        case "://": return Array("://".utf8)
        case "dot" where words: return [UInt8(ascii: ".")]
        case "at" where atSign, "@" where atSign: return [UInt8(ascii: "@")]
        default: return nil
        }
    }
}
