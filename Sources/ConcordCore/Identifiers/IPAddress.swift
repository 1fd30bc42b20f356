/// Reads IP addresses into one canonical text: IPv4 as a plain dotted quad, IPv6 in the RFC 5952
/// form (`2001:DB8:0:0::1` and `2001:0db8::0:1` are both `2001:db8::1`).
public enum IPAddressNormalizer {
    /// Reads an IPv4 or IPv6 address into its canonical text.
    ///
    /// Accepts surrounding brackets (`[2001:db8::1]`), a port after the address (`1.2.3.4:443`,
    /// `[2001:db8::1]:443`; the port is dropped) and defanged dots (`1[.]2[.]3[.]4`).
    /// - Parameter raw: the address as typed.
    /// - Returns: a dotted quad such as `192.0.2.1`, or an RFC 5952 IPv6 text such as
    ///   `2001:db8::1` (IPv4-mapped addresses as `::ffff:192.0.2.1`).
    /// - Throws: `IdentifierError` with the reason: a leading zero in an IPv4 number (some systems
    ///   read it as octal), a zone id, a network range, too many or too few parts, a bad digit.
    public static func normalize(_ raw: String) throws(IdentifierError) -> String {
        try normalize(raw, kind: .ip)
    }

    /// Parses an IPv4 dotted quad into its four numbers.
    /// - Parameter text: four decimal numbers 0...255 without leading zeros, joined by dots.
    /// - Returns: the four bytes, most significant first.
    /// - Throws: `IdentifierError` (kind `ip`) with the reason.
    public static func parseIPv4(_ text: String) throws(IdentifierError) -> [UInt8] {
        try ipv4Bytes(Array(text.utf8)[...], kind: .ip)
    }

    /// Parses an IPv6 address (without brackets) into its eight 16-bit groups.
    ///
    /// Accepts `::` for one or more zero groups, 1 to 4 hex digits per group in either case, and
    /// a dotted IPv4 address in place of the last two groups.
    /// - Parameter text: the address, e.g. `2001:db8::1` or `::ffff:192.0.2.1`.
    /// - Returns: eight groups, first group first.
    /// - Throws: `IdentifierError` (kind `ip`) with the reason.
    public static func parseIPv6(_ text: String) throws(IdentifierError) -> [UInt16] {
        try ipv6Groups(Array(text.utf8)[...], kind: .ip)
    }

    /// Writes eight IPv6 groups in the RFC 5952 text form: lower-case hex without leading zeros,
    /// the longest run of two or more zero groups (the first, on a tie) as `::`, and an
    /// IPv4-mapped address (`::ffff:0:0/96`) with its last 32 bits as a dotted quad.
    /// - Parameter groups: the eight groups; a shorter or longer array is padded or cut to eight.
    /// - Returns: the canonical text, e.g. `2001:db8::1`.
    public static func formatIPv6(_ groups: [UInt16]) -> String {
        var g = Array(groups.prefix(8))
        while g.count < 8 { g.append(0) }

        if g[0] == 0, g[1] == 0, g[2] == 0, g[3] == 0, g[4] == 0, g[5] == 0xFFFF {
            return "::ffff:\(g[6] >> 8).\(g[6] & 0xFF).\(g[7] >> 8).\(g[7] & 0xFF)"
        }

        var bestStart = -1
        var bestLength = 1
        var index = 0
        while index < 8 {
            guard g[index] == 0 else {
                index += 1
                continue
            }
            var end = index
            while end < 8, g[end] == 0 { end += 1 }
            if end - index > bestLength {
                bestStart = index
                bestLength = end - index
            }
            index = end
        }

        func hex(_ slice: ArraySlice<UInt16>) -> String {
            slice.map { String($0, radix: 16) }.joined(separator: ":")
        }
        guard bestStart >= 0 else { return hex(g[...]) }
        return hex(g[..<bestStart]) + "::" + hex(g[(bestStart + bestLength)...])
    }

    // MARK: - Internal

    /// Whether the text (as typed, with brackets or a port) is an IP address.
    static func isIPAddress(_ text: String) -> Bool {
        (try? normalize(text, kind: .ip)) != nil
    }

    /// `normalize(_:)` with errors reported against `kind` (URLs call it for IP-literal hosts).
    static func normalize(_ raw: String, kind: IdentifierKind) throws(IdentifierError) -> String {
        let text = Refang.undo(raw.trimmingWhitespace())
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { throw IdentifierError(kind, "the IP address is empty") }

        if let slash = bytes.firstIndex(of: UInt8(ascii: "/")) {
            let range = String(decoding: bytes[slash...], as: UTF8.self)
            throw IdentifierError(kind, "“\(range)” marks a network range; give a single address")
        }

        if bytes[0] == UInt8(ascii: "[") {
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")) else {
                throw IdentifierError(kind, "the address opens a bracket “[” but never closes it")
            }
            try checkPort(bytes[(close + 1)...], kind: kind)
            let inner = bytes[1..<close]
            let groups = try ipv6Groups(inner, kind: kind)
            return formatIPv6(groups)
        }

        let colons = bytes.reduce(0) { $0 + ($1 == UInt8(ascii: ":") ? 1 : 0) }
        if colons == 1, bytes.contains(UInt8(ascii: ".")), let colon = bytes.firstIndex(of: UInt8(ascii: ":")) {
            // An IPv4 address with a port, as in logs: 192.0.2.1:8080.
            try checkPort(bytes[colon...], kind: kind)
            let quad = try ipv4Bytes(bytes[..<colon], kind: kind)
            return dottedQuad(quad)
        }
        if colons >= 1 {
            let groups = try ipv6Groups(bytes[...], kind: kind)
            return formatIPv6(groups)
        }
        let quad = try ipv4Bytes(bytes[...], kind: kind)
        return dottedQuad(quad)
    }

    /// Text form of four bytes.
    static func dottedQuad(_ bytes: [UInt8]) -> String {
        bytes.map { String($0) }.joined(separator: ".")
    }

    /// Checks what follows an address: nothing, or `:` and a port number 0...65535.
    private static func checkPort(_ rest: ArraySlice<UInt8>, kind: IdentifierKind) throws(IdentifierError) {
        guard let first = rest.first else { return }
        let text = String(decoding: rest, as: UTF8.self)
        guard first == UInt8(ascii: ":") else {
            throw IdentifierError(kind, "“\(text)” after the address is not a port")
        }
        let digits = rest.dropFirst()
        guard !digits.isEmpty, digits.count <= 5, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else {
            throw IdentifierError(kind, "“\(text)” after the address is not a port number")
        }
        let value = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        guard value <= 65535 else {
            throw IdentifierError(kind, "the port \(value) is above 65535")
        }
    }

    /// Parses a dotted quad; refuses leading zeros, which some systems read as octal.
    static func ipv4Bytes(_ text: ArraySlice<UInt8>, kind: IdentifierKind) throws(IdentifierError) -> [UInt8] {
        var parts: [UInt8] = []
        var start = text.startIndex
        var index = text.startIndex
        while true {
            let atEnd = index == text.endIndex
            if atEnd || text[index] == UInt8(ascii: ".") {
                let part = text[start..<index]
                guard !part.isEmpty else {
                    throw IdentifierError(kind, "an IPv4 address is four numbers joined by single dots; a number is missing")
                }
                let shown = String(decoding: part, as: UTF8.self)
                if part.count > 1, part.first == UInt8(ascii: "0") {
                    throw IdentifierError(
                        kind,
                        "“\(shown)” has a leading zero, which some systems read as octal; write it without the zero"
                    )
                }
                guard part.count <= 3 else {
                    throw IdentifierError(kind, "“\(shown)” is not an IPv4 number: each is 0 to 255")
                }
                let value = part.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
                guard value <= 255 else {
                    throw IdentifierError(kind, "\(value) is above 255, the largest IPv4 number")
                }
                parts.append(UInt8(value))
                guard parts.count <= 4 else {
                    throw IdentifierError(kind, "an IPv4 address has four numbers; this has more")
                }
                if atEnd { break }
                start = text.index(after: index)
            } else if text[index] < UInt8(ascii: "0") || text[index] > UInt8(ascii: "9") {
                let shown = HostName.describe(text[index])
                throw IdentifierError(kind, "an IPv4 address has only digits and dots; it has \(shown)")
            }
            index = text.index(after: index)
        }
        guard parts.count == 4 else {
            throw IdentifierError(kind, "an IPv4 address has four numbers; this has \(parts.count)")
        }
        return parts
    }

    /// Parses IPv6 text (no brackets) into eight groups.
    static func ipv6Groups(_ text: ArraySlice<UInt8>, kind: IdentifierKind) throws(IdentifierError) -> [UInt16] {
        let colon = UInt8(ascii: ":")
        if let percent = text.firstIndex(of: UInt8(ascii: "%")) {
            let zone = String(decoding: text[percent...], as: UTF8.self)
            throw IdentifierError(kind, "the zone id “\(zone)” only means something on one machine; remove it")
        }
        guard !text.isEmpty else { throw IdentifierError(kind, "the IPv6 address is empty") }

        var head: [UInt16] = []
        var tail: [UInt16] = []
        var compressed = false
        var index = text.startIndex

        if text[index] == colon {
            guard text.index(after: index) < text.endIndex, text[text.index(after: index)] == colon else {
                throw IdentifierError(kind, "an IPv6 address cannot start with a single “:”")
            }
            compressed = true
            index = text.index(index, offsetBy: 2)
        }

        while index < text.endIndex {
            // One group: up to the next colon or the end.
            var end = index
            while end < text.endIndex, text[end] != colon { end += 1 }
            let group = text[index..<end]
            if group.contains(UInt8(ascii: ".")) {
                guard end == text.endIndex else {
                    throw IdentifierError(kind, "an IPv4 part may only end an IPv6 address")
                }
                let v4 = try ipv4Bytes(group, kind: kind)
                let high = UInt16(v4[0]) << 8 | UInt16(v4[1])
                let low = UInt16(v4[2]) << 8 | UInt16(v4[3])
                if compressed { tail += [high, low] } else { head += [high, low] }
            } else {
                let value = try hexGroup(group, kind: kind)
                if compressed { tail.append(value) } else { head.append(value) }
            }
            guard head.count + tail.count <= 8 else {
                throw IdentifierError(kind, "an IPv6 address has eight groups; this has more")
            }
            index = end
            guard index < text.endIndex else { break }
            // A colon; two make the `::` that stands for zero groups.
            index += 1
            if index < text.endIndex, text[index] == colon {
                guard !compressed else {
                    throw IdentifierError(kind, "an IPv6 address may use “::” only once")
                }
                compressed = true
                index += 1
            } else if index == text.endIndex {
                throw IdentifierError(kind, "an IPv6 address cannot end with a single “:”")
            }
        }

        let count = head.count + tail.count
        if compressed {
            guard count <= 7 else {
                throw IdentifierError(kind, "an IPv6 address with “::” has at most seven other groups; this has \(count)")
            }
            return head + Array(repeating: 0, count: 8 - count) + tail
        }
        guard count == 8 else {
            throw IdentifierError(kind, "an IPv6 address has eight groups (or “::” for zeros); this has \(count)")
        }
        return head
    }

    /// One IPv6 group: 1 to 4 hex digits.
    private static func hexGroup(_ group: ArraySlice<UInt8>, kind: IdentifierKind) throws(IdentifierError) -> UInt16 {
        let shown = String(decoding: group, as: UTF8.self)
        guard !group.isEmpty, group.count <= 4 else {
            throw IdentifierError(kind, "“\(shown)” is not an IPv6 group: each has 1 to 4 hex digits")
        }
        var value: UInt16 = 0
        for byte in group {
            let digit: UInt16
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt16(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt16(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt16(byte - UInt8(ascii: "A") + 10)
            default:
                throw IdentifierError(kind, "“\(shown)” is not an IPv6 group: it has \(HostName.describe(byte)), not a hex digit")
            }
            value = value << 4 | digit
        }
        return value
    }
}
