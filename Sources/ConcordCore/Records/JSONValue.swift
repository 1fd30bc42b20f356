public import Foundation

/// A JSON document held as a value: what records are made of and what the API reads.
///
/// Numbers are kept as integers where they are integral, so that canonical encoding is exact.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case integer(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The member `key` of an object, or nil.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The string, if this is one.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The integer, if this is an integral number.
    public var integerValue: Int64? {
        switch self {
        case .integer(let i): return i
        case .double(let d) where d.rounded() == d && abs(d) < 9.007_199_254_740_992e15: return Int64(d)
        default: return nil
        }
    }

    /// The members, if this is an object.
    public var objectValue: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// The elements, if this is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// This object with `key` set to `value`; other values are returned unchanged.
    public func adding(_ key: String, _ value: JSONValue) -> JSONValue {
        guard case .object(var members) = self else { return self }
        members[key] = value
        return .object(members)
    }

    /// The name of the JSON type, for error messages.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .integer, .double: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

extension JSONValue: Codable {
    /// Decodes any JSON value.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? container.decode(Int64.self) {
            self = .integer(i)
        } else if let d = try? container.decode(Double.self) {
            self = .double(d)
        } else if let s = try? container.decode(String.self) {
            self = .string(s)
        } else if let a = try? container.decode([JSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// Encodes the value as plain JSON (not necessarily canonical; use `canonicalData` for that).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let b): try container.encode(b)
        case .integer(let i): try container.encode(i)
        case .double(let d): try container.encode(d)
        case .string(let s): try container.encode(s)
        case .array(let a): try container.encode(a)
        case .object(let o): try container.encode(o)
        }
    }
}

extension JSONValue {
    /// Parses JSON text.
    /// - Throws: `JSONParseError` with a short description when the text is not JSON.
    public static func parse(_ data: some DataProtocol) throws(JSONParseError) -> JSONValue {
        try JSONParser.parse(Array(data))
    }
}

/// Text that is not JSON.
public struct JSONParseError: Error, Sendable, Equatable {
    /// What the parser said.
    public let detail: String
}

// MARK: - RFC 8785 canonical form

extension JSONValue {
    /// The RFC 8785 (JSON Canonicalization Scheme) encoding: sorted keys (by UTF-16 code units), no
    /// white space, minimal string escapes, ECMAScript number form.
    public var canonicalData: Data {
        var out = [UInt8]()
        out.reserveCapacity(256)
        writeCanonical(into: &out)
        return Data(out)
    }

    /// The canonical encoding as a string.
    public var canonicalString: String {
        String(decoding: canonicalData, as: UTF8.self)
    }

    /// The same encoding without sorting object members: for answers that need no canonical form (a STIX
    /// bundle, a TAXII page), where sorting would be most of the cost.
    public var compactData: Data {
        var out = [UInt8]()
        out.reserveCapacity(256)
        write(into: &out, sortingKeys: false)
        return Data(out)
    }

    /// Appends the compact (unsorted) encoding to `out`.
    public func writeCompact(into out: inout [UInt8]) {
        write(into: &out, sortingKeys: false)
    }

    func writeCanonical(into out: inout [UInt8]) {
        write(into: &out, sortingKeys: true)
    }

    private func write(into out: inout [UInt8], sortingKeys: Bool) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .integer(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d): out.append(contentsOf: Self.ecmaScriptNumber(d).utf8)
        case .string(let s): Self.writeCanonicalString(s, into: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (n, element) in elements.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                element.write(into: &out, sortingKeys: sortingKeys)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            var first = true
            func member(_ key: String, _ value: JSONValue) {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                Self.writeCanonicalString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                value.write(into: &out, sortingKeys: sortingKeys)
            }
            if sortingKeys {
                for (key, value) in members.sorted(by: { $0.key.utf16.lexicographicallyPrecedes($1.key.utf16) }) {
                    member(key, value)
                }
            } else {
                for (key, value) in members { member(key, value) }
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    static func writeCanonicalString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var text = s
        text.withUTF8 { bytes in
            // Most strings need no escape: copy them whole.
            guard bytes.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
                out.append(contentsOf: bytes)
                return
            }
            for byte in bytes {
                switch byte {
                case UInt8(ascii: "\""):
                    out.append(UInt8(ascii: "\\"))
                    out.append(UInt8(ascii: "\""))
                case UInt8(ascii: "\\"):
                    out.append(UInt8(ascii: "\\"))
                    out.append(UInt8(ascii: "\\"))
                case 0x08:
                    out.append(UInt8(ascii: "\\"))
                    out.append(UInt8(ascii: "b"))
                case 0x09:
                    out.append(UInt8(ascii: "\\"))
                    out.append(UInt8(ascii: "t"))
                case 0x0A:
                    out.append(UInt8(ascii: "\\"))
                    out.append(UInt8(ascii: "n"))
                case 0x0C:
                    out.append(UInt8(ascii: "\\"))
                    out.append(UInt8(ascii: "f"))
                case 0x0D:
                    out.append(UInt8(ascii: "\\"))
                    out.append(UInt8(ascii: "r"))
                case 0x00..<0x20:
                    out.append(contentsOf: "\\u00".utf8)
                    out.append(hexDigits[Int(byte >> 4)])
                    out.append(hexDigits[Int(byte & 0xF)])
                default: out.append(byte)
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Formats a double as ECMAScript's Number.prototype.toString does (RFC 8785 section 3.2.2.3).
    static func ecmaScriptNumber(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        if value == 0 { return "0" }
        // Swift's description gives the shortest round-tripping digits; re-lay them out the ECMAScript way.
        let negative = value < 0
        let text = String(describing: abs(value))
        var digits = ""
        var exponent = 0
        let parts = text.split(separator: "e", maxSplits: 1)
        let mantissa = parts[0]
        if parts.count == 2 { exponent = Int(parts[1]) ?? 0 }
        let dotSplit = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        let integerPart = String(dotSplit[0])
        let fractionPart = dotSplit.count > 1 ? String(dotSplit[1]) : ""
        digits = integerPart + fractionPart
        // decimal point position relative to the start of `digits`
        var pointPosition = integerPart.count + exponent
        // strip leading zeros
        while digits.hasPrefix("0") && digits.count > 1 {
            digits.removeFirst()
            pointPosition -= 1
        }
        while digits.hasSuffix("0") && digits.count > 1 { digits.removeLast() }
        let k = digits.count
        let n = pointPosition
        var result: String
        if k <= n && n <= 21 {
            result = digits + String(repeating: "0", count: n - k)
        } else if 0 < n && n <= 21 {
            let index = digits.index(digits.startIndex, offsetBy: n)
            result = digits[..<index] + "." + digits[index...]
        } else if -6 < n && n <= 0 {
            result = "0." + String(repeating: "0", count: -n) + digits
        } else {
            let e = n - 1
            let sign = e < 0 ? "-" : "+"
            let head = String(digits.prefix(1))
            let tail = String(digits.dropFirst())
            result = head + (tail.isEmpty ? "" : "." + tail) + "e" + sign + String(abs(e))
        }
        return negative ? "-" + result : result
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByDictionaryLiteral, ExpressibleByIntegerLiteral
{
    /// A dictionary literal is a JSON object (a later duplicate key wins).
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, later in later }))
    }
    /// An integer literal is a JSON integer.
    public init(integerLiteral value: Int64) { self = .integer(value) }
    /// A string literal is a JSON string.
    public init(stringLiteral value: String) { self = .string(value) }
    /// An array literal is a JSON array.
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    /// A boolean literal is a JSON boolean.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}
