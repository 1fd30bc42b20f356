extension CheckResult {
    /// Appends the canonical JSON of `json` (with `line` when given) straight to `out`: the same bytes as
    /// `json.adding("line", ...).canonicalData`, without building the intermediate value. Large streamed
    /// checks write millions of these.
    public func appendCanonicalJSON(to out: inout [UInt8], line: Int? = nil) {
        // Keys in RFC 8785 order (UTF-16 code units): canonical, first_seen, flagged, highest_confidence,
        // indicators, jurisdictions, kind, last_seen, line, matched, reports, retracted, typologies.
        var first = true
        func key(_ name: String) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: Array(name.utf8))
            out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        }
        func string(_ s: String) { JSONValue.writeCanonicalString(s, into: &out) }
        func integer(_ i: Int) { out.append(contentsOf: Array(String(i).utf8)) }
        func null() { out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C]) }
        func bool(_ b: Bool) { out.append(contentsOf: Array((b ? "true" : "false").utf8)) }
        out.append(UInt8(ascii: "{"))
        key("canonical")
        string(identifier.canonical)
        key("first_seen")
        if let firstSeen { string(firstSeen.rfc3339) } else { null() }
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
        key("last_seen")
        if let lastSeen { string(lastSeen.rfc3339) } else { null() }
        if let line {
            key("line")
            integer(line)
        }
        if let matched {
            key("matched")
            out.append(contentsOf: Array("{\"canonical\":".utf8))
            string(matched.canonical)
            out.append(contentsOf: Array(",\"kind\":".utf8))
            string(matched.kind.rawValue)
            out.append(UInt8(ascii: "}"))
        }
        key("reports")
        integer(reports)
        key("retracted")
        bool(retracted)
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
