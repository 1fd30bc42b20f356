extension JSONValue {
    /// Parses a flat JSON object whose values are all strings (the shape of a check item or a normalize
    /// line) without going through Foundation, which is most of the cost of a large streamed check.
    /// - Returns: nil for anything else (numbers, nesting, invalid text): callers then use `parse(_:)`, which
    ///   also gives the error message.
    public static func parseFlatStringObject(_ bytes: [UInt8]) -> JSONValue? {
        parseFlatStrings(bytes).map { .object($0.mapValues(JSONValue.string)) }
    }

    /// The members of a flat JSON object of strings, or nil for anything else (see `parseFlatStringObject`).
    public static func parseFlatStrings(_ bytes: [UInt8]) -> [String: String]? {
        var members: [String: String] = [:]
        var i = bytes.startIndex
        let end = bytes.endIndex
        func skipSpace() {
            while i < end, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0A || bytes[i] == 0x0D {
                i = bytes.index(after: i)
            }
        }
        func string() -> String? {
            guard i < end, bytes[i] == UInt8(ascii: "\"") else { return nil }
            i = bytes.index(after: i)
            var out: [UInt8] = []
            while i < end {
                let b = bytes[i]
                i = bytes.index(after: i)
                switch b {
                case UInt8(ascii: "\""):
                    return String(validating: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard i < end else { return nil }
                    let e = bytes[i]
                    i = bytes.index(after: i)
                    switch e {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"):
                        guard var code = hex4() else { return nil }
                        if (0xD800..<0xDC00).contains(code) {
                            // A high surrogate must be followed by an escaped low surrogate.
                            guard i < end, bytes[i] == UInt8(ascii: "\\") else { return nil }
                            i = bytes.index(after: i)
                            guard i < end, bytes[i] == UInt8(ascii: "u") else { return nil }
                            i = bytes.index(after: i)
                            guard let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        } else if (0xDC00..<0xE000).contains(code) {
                            return nil
                        }
                        guard let scalar = Unicode.Scalar(code) else { return nil }
                        out.append(contentsOf: Array(String(Character(scalar)).utf8))
                    default: return nil
                    }
                case 0x00..<0x20:
                    return nil
                default:
                    out.append(b)
                }
            }
            return nil
        }
        func hex4() -> UInt32? {
            var value: UInt32 = 0
            for _ in 0..<4 {
                guard i < end else { return nil }
                let c = bytes[i]
                i = bytes.index(after: i)
                let digit: UInt8
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
                default: return nil
                }
                value = value << 4 | UInt32(digit)
            }
            return value
        }
        skipSpace()
        guard i < end, bytes[i] == UInt8(ascii: "{") else { return nil }
        i = bytes.index(after: i)
        skipSpace()
        if i < end, bytes[i] == UInt8(ascii: "}") {
            i = bytes.index(after: i)
        } else {
            while true {
                skipSpace()
                guard let key = string() else { return nil }
                skipSpace()
                guard i < end, bytes[i] == UInt8(ascii: ":") else { return nil }
                i = bytes.index(after: i)
                skipSpace()
                guard let value = string() else { return nil }
                // A repeated key is left to the general parser, so both paths agree on which value wins.
                guard members.updateValue(value, forKey: key) == nil else { return nil }
                skipSpace()
                guard i < end else { return nil }
                if bytes[i] == UInt8(ascii: ",") {
                    i = bytes.index(after: i)
                    continue
                }
                guard bytes[i] == UInt8(ascii: "}") else { return nil }
                i = bytes.index(after: i)
                break
            }
        }
        skipSpace()
        return i == end ? members : nil
    }
}
