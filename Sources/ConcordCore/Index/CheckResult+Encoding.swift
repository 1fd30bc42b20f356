extension CheckResult {
    /// Appends the canonical JSON of `json` (with `line` when given) straight to `out`: the same bytes as
    /// `json.adding("line", ...).canonicalData`, without building the intermediate value. Large streamed
    /// checks write millions of these.
    public func appendCanonicalJSON(to out: inout [UInt8], line: Int? = nil) {
        // Keys in RFC 8785 order (UTF-16 code units): age_days, canonical, expired, first_seen, flagged,
        // highest_confidence, indicators, jurisdictions, kind, known_good, last_seen, line, matched, reports,
        // retracted, sureness, typologies.
        func key(_ name: StaticString) {
            out.append(UInt8(ascii: ","))
            out.append(UInt8(ascii: "\""))
            name.withUTF8Buffer { out.append(contentsOf: $0) }
            out.append(UInt8(ascii: "\""))
            out.append(UInt8(ascii: ":"))
        }
        func string(_ s: String) { JSONValue.writeCanonicalString(s, into: &out) }
        func integer(_ i: Int) {
            guard i >= 0 && i < 10 else { return out.append(contentsOf: Array(String(i).utf8)) }
            out.append(UInt8(ascii: "0") + UInt8(i))
        }
        func null() { out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C]) }
        func bool(_ b: Bool) {
            if b {
                out.append(contentsOf: [0x74, 0x72, 0x75, 0x65])
            } else {
                out.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65])
            }
        }
        func time(_ t: Timestamp?) {
            guard let t else { return null() }
            out.append(UInt8(ascii: "\""))
            t.appendRFC3339(to: &out)
            out.append(UInt8(ascii: "\""))
        }
        ("{\"age_days\":" as StaticString).withUTF8Buffer { out.append(contentsOf: $0) }
        if let ageDays { integer(ageDays) } else { null() }
        key("canonical")
        string(identifier.canonical)
        key("expired")
        bool(expired)
        key("first_seen")
        time(firstSeen)
        key("flagged")
        bool(flagged)
        key("highest_confidence")
        if let highestConfidence { integer(highestConfidence) } else { null() }
        key("indicators")
        integer(indicators)
        key("jurisdictions")
        out.append(UInt8(ascii: "["))
        for (n, j) in jurisdictions.enumerated() {
            if n > 0 { out.append(UInt8(ascii: ",")) }
            string(j)
        }
        out.append(UInt8(ascii: "]"))
        key("kind")
        string(identifier.kind.rawValue)
        key("known_good")
        bool(knownGood)
        key("last_seen")
        time(lastSeen)
        if let line {
            key("line")
            integer(line)
        }
        if let matched {
            key("matched")
            ("{\"canonical\":" as StaticString).withUTF8Buffer { out.append(contentsOf: $0) }
            string(matched.canonical)
            out.append(contentsOf: Array(",\"kind\":".utf8))
            string(matched.kind.rawValue)
            out.append(UInt8(ascii: "}"))
        }
        key("reports")
        integer(reports)
        key("retracted")
        bool(retracted)
        key("sureness")
        if let sureness { integer(sureness) } else { null() }
        key("typologies")
        out.append(UInt8(ascii: "["))
        for (n, t) in typologies.enumerated() {
            if n > 0 { out.append(UInt8(ascii: ",")) }
            string(t.rawValue)
        }
        out.append(UInt8(ascii: "]"))
        out.append(UInt8(ascii: "}"))
    }
}
