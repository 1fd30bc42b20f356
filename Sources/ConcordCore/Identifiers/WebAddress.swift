/// Reads URLs and domains into the one form Concord keys them by.
///
/// `HTTPS://Login.Bücher.Example:443/a/./b?x=1#top`, `hxxps://login.bücher[.]example/a/b?x=1` and
/// `https://user@login.xn--bcher-kva.example/a/%62?x=1` are one URL:
/// `https://login.xn--bcher-kva.example/a/b?x=1`.
public enum WebAddressNormalizer {
    /// Reads a web address into its canonical form.
    ///
    /// - The scheme is lower-cased; a missing scheme means `http://` (people paste
    ///   `scam.example/login`); only `http` and `https` are accepted, and the defanged `hxxp`,
    ///   `hxxps`, `[.]`, `(.)` and `[:]` are read back.
    /// - User name and password are dropped; so are the default port (80 for http, 443 for
    ///   https) and the fragment.
    /// - The host is normalised by `HostName` (lower case, IDN as `xn--` punycode, no trailing
    ///   dot); IPv4 and bracketed IPv6 hosts are written canonically.
    /// - An empty path is `/`; `.` and `..` segments are resolved; percent-escapes of unreserved
    ///   characters (letters, digits, `-._~`) are decoded and other escapes upper-cased; spaces,
    ///   controls, non-ASCII bytes and `"<>` `` ` `` `{}` are percent-encoded as browsers do.
    /// - The query is kept as written (only characters a browser would escape are escaped); an
    ///   empty query (a bare `?`) is dropped.
    /// - Parameter raw: the address as typed or pasted.
    /// - Returns: the canonical URL, e.g. `https://xn--bcher-kva.example/login`.
    /// - Throws: `IdentifierError` (kind `url`) with the reason.
    public static func normalizeURL(_ raw: String) throws(IdentifierError) -> String {
        let text = Refang.undo(raw.trimmingWhitespace())
        guard !text.isEmpty else { throw IdentifierError(.url, "the URL is empty") }
        let parts = try URLParts(Array(text.utf8), kind: .url)

        let host = try canonicalHost(parts.host, kind: .url)
        var result = parts.scheme + "://" + host
        if let port = parts.port, port != (parts.scheme == "https" ? 443 : 80) {
            result += ":\(port)"
        }
        result += normalizedPath(parts.path)
        if let query = parts.query, !query.isEmpty {
            result += "?" + normalizedQuery(query)
        }
        return result
    }

    /// Reads a domain into its canonical form.
    ///
    /// Accepts a bare host (`Example.COM.`), a URL (its host is taken, whatever the scheme), and
    /// defanged forms (`evil[.]example`, `evil[dot]example`, `hxxp://evil[.]example/x`).
    /// - Parameter raw: the domain as typed or pasted.
    /// - Returns: the canonical host, e.g. `xn--bcher-kva.example`.
    /// - Throws: `IdentifierError` (kind `domain`) for a public suffix alone (`co.uk`), an IP
    ///   address (use kind `ip`), an e-mail address (use kind `email`), or a malformed name.
    public static func normalizeDomain(_ raw: String) throws(IdentifierError) -> String {
        let text = Refang.undo(raw.trimmingWhitespace(), words: true)
        guard !text.isEmpty else { throw IdentifierError(.domain, "the domain is empty") }
        let parts = try URLParts(Array(text.utf8), kind: .domain)
        if parts.hadUserinfo, !parts.hadScheme {
            throw IdentifierError(
                .domain,
                "“\(text)” looks like an e-mail address; use kind email, or give only the part after @"
            )
        }

        let hostText = try decodedHost(parts.host, kind: .domain)
        let endsInDigit = hostText.utf8.last.map { isDigit($0) } ?? false
        if parts.host.first == openBracket || (endsInDigit && IPAddressNormalizer.isIPAddress(hostText)) {
            throw IdentifierError(.domain, "“\(hostText)” is an IP address, not a domain; use kind ip")
        }
        let host = try HostName.normalize(hostText, kind: .domain)
        if PublicSuffixList.shared.isPublicSuffix(host) {
            let shown = HostName.unicodeDisplay(host)
            throw IdentifierError(
                .domain,
                "\(shown) is a public suffix, not a domain; give a name registered under it, like example.\(shown)"
            )
        }
        return host
    }

    /// The host of a URL in the canonical form `normalizeURL(_:)` returns.
    ///
    /// - Parameter url: a canonical URL such as `https://xn--bcher-kva.example:8443/x`.
    /// - Returns: the host without port, e.g. `xn--bcher-kva.example`; an IPv6 host without its
    ///   brackets, e.g. `2001:db8::1`; nil if the text has no `://` or no host.
    public static func host(ofCanonicalURL url: String) -> String? {
        let bytes = Array(url.utf8)
        var start: Int?
        var index = 0
        while index + 2 < bytes.count {
            if bytes[index] == colon, bytes[index + 1] == slash, bytes[index + 2] == slash {
                start = index + 3
                break
            }
            index += 1
        }
        guard let start else { return nil }
        var end = start
        while end < bytes.count, bytes[end] != slash, bytes[end] != question, bytes[end] != hash {
            end += 1
        }
        var authority = bytes[start..<end]
        if let at = authority.lastIndex(of: UInt8(ascii: "@")) {
            authority = authority[(at + 1)...]
        }
        if authority.first == openBracket {
            guard let close = authority.firstIndex(of: closeBracket) else { return nil }
            let inner = authority[(authority.startIndex + 1)..<close]
            return inner.isEmpty ? nil : String(decoding: inner, as: UTF8.self)
        }
        if let portColon = authority.firstIndex(of: colon) {
            authority = authority[..<portColon]
        }
        return authority.isEmpty ? nil : String(decoding: authority, as: UTF8.self)
    }

    // MARK: - Parsing

    private static let colon = UInt8(ascii: ":")
    private static let slash = UInt8(ascii: "/")
    private static let backslash = UInt8(ascii: "\\")
    private static let question = UInt8(ascii: "?")
    private static let hash = UInt8(ascii: "#")
    private static let percent = UInt8(ascii: "%")
    private static let dot = UInt8(ascii: ".")
    private static let openBracket = UInt8(ascii: "[")
    private static let closeBracket = UInt8(ascii: "]")

    /// A URL cut into the pieces the normalisers use; nothing is normalised yet.
    private struct URLParts {
        /// `http`, `https`, or (for domains only) any other scheme that had `//`.
        var scheme = "http"
        var hadScheme = false
        var hadUserinfo = false
        /// The host as written, with brackets for IPv6.
        var host: ArraySlice<UInt8> = []
        var port: Int?
        /// Starts with `/` or `\`, or is empty.
        var path: ArraySlice<UInt8> = []
        /// The text after `?`, without the fragment; nil when there is no `?`.
        var query: ArraySlice<UInt8>?

        /// Splits `bytes`; for kind `domain` any scheme followed by `//` is accepted.
        init(_ bytes: [UInt8], kind: IdentifierKind) throws(IdentifierError) {
            var index = 0
            if let schemeColon = WebAddressNormalizer.schemeEnd(bytes) {
                let name = String(decoding: bytes[..<schemeColon], as: UTF8.self).lowercased()
                let afterColon = schemeColon + 1
                var afterSlashes = afterColon
                while afterSlashes < bytes.count, bytes[afterSlashes] == slash || bytes[afterSlashes] == backslash {
                    afterSlashes += 1
                }
                switch name {
                case "http", "hxxp":
                    scheme = "http"
                    hadScheme = true
                    index = afterSlashes
                case "https", "hxxps":
                    scheme = "https"
                    hadScheme = true
                    index = afterSlashes
                default:
                    if afterSlashes - afterColon >= 2 {
                        // Another scheme with an authority, such as ftp://host/.
                        guard kind == .domain else {
                            throw IdentifierError(kind, "only http and https addresses are accepted, not \(name):")
                        }
                        scheme = name
                        hadScheme = true
                        index = afterSlashes
                    } else if WebAddressNormalizer.isPortThenEnd(bytes, from: afterColon) {
                        // `example.com:8080/x`: a host and port, no scheme.
                        break
                    } else if name.contains(".") {
                        throw IdentifierError(kind, "the port after “\(name):” must be a number")
                    } else if kind == .url {
                        throw IdentifierError(kind, "only http and https addresses are accepted, not \(name):")
                    } else {
                        throw IdentifierError(kind, "“\(name):” does not start a web address; give the domain alone")
                    }
                }
            } else if bytes.count >= 2, bytes[0] == slash, bytes[1] == slash {
                index = 2  // protocol-relative: //example.com/x
            }

            // The authority runs to the first /, \, ? or #.
            var end = index
            while end < bytes.count, bytes[end] != slash, bytes[end] != backslash, bytes[end] != question,
                bytes[end] != hash
            {
                end += 1
            }
            var authority = bytes[index..<end]
            if let at = authority.lastIndex(of: UInt8(ascii: "@")) {
                hadUserinfo = true
                authority = authority[(at + 1)...]
            }

            if authority.first == openBracket {
                guard let close = authority.firstIndex(of: closeBracket) else {
                    throw IdentifierError(kind, "the host opens a bracket “[” but never closes it")
                }
                host = authority[authority.startIndex...close]
                let rest = authority[(close + 1)...]
                if let first = rest.first {
                    guard first == colon else {
                        throw IdentifierError(
                            kind,
                            "“\(String(decoding: rest, as: UTF8.self))” after the IPv6 host is not a port"
                        )
                    }
                    port = try WebAddressNormalizer.port(rest.dropFirst(), kind: kind)
                }
            } else {
                let colons = authority.reduce(0) { $0 + ($1 == colon ? 1 : 0) }
                if colons > 1 {
                    let shown = String(decoding: authority, as: UTF8.self)
                    if kind == .domain, IPAddressNormalizer.isIPAddress(shown) {
                        throw IdentifierError(kind, "“\(shown)” is an IP address, not a domain; use kind ip")
                    }
                    throw IdentifierError(kind, "an IPv6 host must be in brackets, like http://[2001:db8::1]/")
                }
                if let portColon = authority.firstIndex(of: colon) {
                    host = authority[..<portColon]
                    port = try WebAddressNormalizer.port(authority[(portColon + 1)...], kind: kind)
                } else {
                    host = authority
                }
            }
            guard !host.isEmpty else {
                throw IdentifierError(kind, kind == .url ? "the URL has no host" : "the domain is empty")
            }

            // Path to the first ? or #; query to the #; the fragment is dropped.
            var pathEnd = end
            while pathEnd < bytes.count, bytes[pathEnd] != question, bytes[pathEnd] != hash { pathEnd += 1 }
            path = bytes[end..<pathEnd]
            if pathEnd < bytes.count, bytes[pathEnd] == question {
                var queryEnd = pathEnd + 1
                while queryEnd < bytes.count, bytes[queryEnd] != hash { queryEnd += 1 }
                query = bytes[(pathEnd + 1)..<queryEnd]
            }
        }
    }

    /// The index of the `:` ending a syntactically valid scheme at the start, if any.
    private static func schemeEnd(_ bytes: [UInt8]) -> Int? {
        guard let first = bytes.first, isAlpha(first) else { return nil }
        var index = 1
        while index < bytes.count {
            let byte = bytes[index]
            if byte == colon { return index }
            guard isAlpha(byte) || isDigit(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") || byte == dot
            else { return nil }
            index += 1
        }
        return nil
    }

    /// Whether digits (possibly none) run from `start` to the end or to a /, \, ? or #.
    private static func isPortThenEnd(_ bytes: [UInt8], from start: Int) -> Bool {
        var index = start
        while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        guard index < bytes.count else { return true }
        let byte = bytes[index]
        return byte == slash || byte == backslash || byte == question || byte == hash
    }

    /// A port number; nil when empty (`example.com:` means the default port).
    private static func port(_ digits: ArraySlice<UInt8>, kind: IdentifierKind) throws(IdentifierError) -> Int? {
        guard !digits.isEmpty else { return nil }
        let shown = String(decoding: digits, as: UTF8.self)
        guard digits.allSatisfy({ isDigit($0) }) else {
            throw IdentifierError(kind, "the port “\(shown)” is not a number")
        }
        let significant = digits.drop(while: { $0 == UInt8(ascii: "0") })
        // The length is checked before the digits are summed: twenty of them would overflow.
        guard significant.count <= 5 else { throw IdentifierError(kind, "the port \(shown.prefix(24))… is above 65535") }
        let value = significant.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        guard value <= 65535 else { throw IdentifierError(kind, "the port \(shown) is above 65535") }
        return value
    }

    // MARK: - Host

    /// The host text with any percent-escapes decoded.
    private static func decodedHost(_ host: ArraySlice<UInt8>, kind: IdentifierKind) throws(IdentifierError) -> String {
        guard host.contains(percent) else { return String(decoding: host, as: UTF8.self) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(host.count)
        var index = host.startIndex
        while index < host.endIndex {
            if host[index] == percent {
                guard index + 2 < host.endIndex, let high = hexValue(host[index + 1]), let low = hexValue(host[index + 2])
                else {
                    throw IdentifierError(kind, "the host has a “%” that is not followed by two hex digits")
                }
                bytes.append(high << 4 | low)
                index += 3
            } else {
                bytes.append(host[index])
                index += 1
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw IdentifierError(kind, "the host's percent-escapes do not spell valid UTF-8 text")
        }
        return text
    }

    /// The canonical URL host: a bracketed IPv6 address, an IPv4 address, or a host name.
    private static func canonicalHost(_ host: ArraySlice<UInt8>, kind: IdentifierKind) throws(IdentifierError) -> String {
        if host.first == openBracket {
            // The parser guarantees a closing bracket at the end.
            let inner = host.dropFirst().dropLast()
            let groups = try IPAddressNormalizer.ipv6Groups(inner, kind: kind)
            return "[" + IPAddressNormalizer.formatIPv6(groups) + "]"
        }
        let text = try decodedHost(host, kind: kind)
        if text.utf8.allSatisfy({ isDigit($0) || $0 == dot }) {
            let quad = try IPAddressNormalizer.ipv4Bytes(Array(text.utf8)[...], kind: kind)
            return IPAddressNormalizer.dottedQuad(quad)
        }
        return try HostName.normalize(text, kind: kind)
    }

    // MARK: - Path and query

    /// The path with escapes normalised and dot segments resolved; `/` when empty.
    private static func normalizedPath(_ path: ArraySlice<UInt8>) -> String {
        guard !path.isEmpty else { return "/" }
        var out: [UInt8] = []
        out.reserveCapacity(path.count + 8)
        var index = path.startIndex
        while index < path.endIndex {
            let byte = path[index]
            if byte == percent, index + 2 < path.endIndex, let high = hexValue(path[index + 1]),
                let low = hexValue(path[index + 2])
            {
                let value = high << 4 | low
                if isUnreserved(value) {
                    out.append(value)
                } else {
                    out.append(percent)
                    out.append(upperHexDigit(high))
                    out.append(upperHexDigit(low))
                }
                index += 3
                continue
            }
            if byte == backslash {
                out.append(slash)
            } else if mustEscapeInPath(byte) {
                appendEscaped(byte, to: &out)
            } else {
                out.append(byte)
            }
            index += 1
        }
        if hasDotSegment(out) { out = removingDotSegments(out) }
        return String(decoding: out, as: UTF8.self)
    }

    /// The query as written, with only the characters a browser would escape escaped.
    private static func normalizedQuery(_ query: ArraySlice<UInt8>) -> String {
        guard query.contains(where: { mustEscapeInQuery($0) }) else { return String(decoding: query, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(query.count + 8)
        for byte in query {
            if mustEscapeInQuery(byte) { appendEscaped(byte, to: &out) } else { out.append(byte) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether a `/` is followed by `.` somewhere (a cheap test before resolving dot segments).
    private static func hasDotSegment(_ path: [UInt8]) -> Bool {
        var index = 0
        while index + 1 < path.count {
            if path[index] == slash, path[index + 1] == dot { return true }
            index += 1
        }
        return false
    }

    /// Resolves `.` and `..` segments (RFC 3986 section 5.2.4) in a path that starts with `/`.
    private static func removingDotSegments(_ path: [UInt8]) -> [UInt8] {
        let segments = path.dropFirst().split(separator: slash, omittingEmptySubsequences: false)
        var kept: [ArraySlice<UInt8>] = []
        for (position, segment) in segments.enumerated() {
            let isLast = position == segments.count - 1
            if segment.elementsEqual([dot]) {
                if isLast { kept.append([]) }
            } else if segment.elementsEqual([dot, dot]) {
                if !kept.isEmpty { kept.removeLast() }
                if isLast { kept.append([]) }
            } else {
                kept.append(segment)
            }
        }
        var result: [UInt8] = []
        result.reserveCapacity(path.count)
        for segment in kept {
            result.append(slash)
            result.append(contentsOf: segment)
        }
        return result.isEmpty ? [slash] : result
    }

    private static func mustEscapeInPath(_ byte: UInt8) -> Bool {
        mustEscapeInQuery(byte) || byte == UInt8(ascii: "`") || byte == UInt8(ascii: "{") || byte == UInt8(ascii: "}")
    }

    private static func mustEscapeInQuery(_ byte: UInt8) -> Bool {
        byte <= 0x20 || byte >= 0x7F || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "<")
            || byte == UInt8(ascii: ">")
    }

    private static func appendEscaped(_ byte: UInt8, to out: inout [UInt8]) {
        out.append(percent)
        out.append(upperHexDigit(byte >> 4))
        out.append(upperHexDigit(byte & 0x0F))
    }

    /// RFC 3986 unreserved: letters, digits, `-`, `.`, `_`, `~`.
    private static func isUnreserved(_ byte: UInt8) -> Bool {
        isAlpha(byte) || isDigit(byte) || byte == UInt8(ascii: "-") || byte == dot || byte == UInt8(ascii: "_")
            || byte == UInt8(ascii: "~")
    }

    private static func isAlpha(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func upperHexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "A") + value - 10
    }
}
