import Foundation

/// The part of RFC 8941 (Structured Field Values for HTTP) that signatures and digests need: dictionaries whose members
/// are items or inner lists, with parameters, over every bare item type of RFC 8941.
enum StructuredField {
    /// A bare item.
    enum Value: Hashable, Sendable {
        case integer(Int64)
        /// A decimal, held as thousandths: RFC 8941 decimals have at most three fractional digits.
        case decimal(thousandths: Int64)
        case string(String)
        case token(String)
        case bytes(Data)
        case boolean(Bool)
    }

    /// One parameter of an item or inner list.
    struct Parameter: Hashable, Sendable, StructuredFieldKeyed {
        var key: String
        var value: Value
    }

    /// A bare item with its parameters.
    struct Item: Hashable, Sendable {
        var value: Value
        var parameters: [Parameter] = []
    }

    /// The value of a dictionary member.
    enum Member: Hashable, Sendable {
        case item(Item)
        case innerList([Item], parameters: [Parameter])
    }

    /// One member of a dictionary.
    struct Entry: Hashable, Sendable, StructuredFieldKeyed {
        var key: String
        var member: Member
    }

    /// Why a field value is not a structured field.
    struct ParseError: Error, Sendable, Hashable {
        let reason: String
    }

    /// The longest field value parsed, in bytes. A signature header of this protocol is a few hundred bytes.
    static let maximumBytes = 8192
    /// The most members of a dictionary, items of an inner list, or parameters of one item. Members and parameters
    /// replace earlier ones of the same key, a look-up each: the caps keep that work small before any signature
    /// has been checked.
    static let maximumMembers = 64

    /// Parses a whole field value as a dictionary. An empty value is an empty dictionary.
    /// - Throws: `ParseError` for a value that is not a dictionary, or one over `maximumBytes` or `maximumMembers`.
    static func parseDictionary(_ text: String) throws(ParseError) -> [Entry] {
        guard text.utf8.count <= maximumBytes else {
            throw ParseError(reason: "the field is longer than \(maximumBytes) bytes")
        }
        var parser = StructuredFieldParser(Array(text.utf8))
        return try parser.fieldDictionary()
    }

    /// Serializes an inner list with its parameters, as `Signature-Input` members and `@signature-params` need.
    static func serialize(innerList items: [Item], parameters: [Parameter]) -> String {
        var out = "("
        for (position, item) in items.enumerated() {
            if position > 0 { out += " " }
            append(item, to: &out)
        }
        out += ")"
        append(parameters, to: &out)
        return out
    }

    /// Serializes an item with its parameters.
    static func serialize(_ item: Item) -> String {
        var out = ""
        append(item, to: &out)
        return out
    }

    private static func append(_ item: Item, to out: inout String) {
        append(item.value, to: &out)
        append(item.parameters, to: &out)
    }

    private static func append(_ parameters: [Parameter], to out: inout String) {
        for parameter in parameters {
            out += ";"
            out += parameter.key
            // A true boolean parameter is written as the bare key.
            if parameter.value != .boolean(true) {
                out += "="
                append(parameter.value, to: &out)
            }
        }
    }

    private static func append(_ value: Value, to out: inout String) {
        switch value {
        case .integer(let number):
            out += String(number)
        case .decimal(let thousandths):
            if thousandths < 0 { out += "-" }
            let magnitude = thousandths.magnitude
            out += String(magnitude / 1000)
            out += "."
            var fraction = magnitude % 1000
            if fraction == 0 {
                out += "0"
            } else {
                var digits = 3
                while fraction % 10 == 0 {
                    fraction /= 10
                    digits -= 1
                }
                let text = String(fraction)
                out += String(repeating: "0", count: digits - text.count) + text
            }
        case .string(let text):
            out += "\""
            for scalar in text.unicodeScalars {
                if scalar == "\"" || scalar == "\\" { out += "\\" }
                out.unicodeScalars.append(scalar)
            }
            out += "\""
        case .token(let token):
            out += token
        case .bytes(let data):
            out += ":" + data.base64EncodedString() + ":"
        case .boolean(let flag):
            out += flag ? "?1" : "?0"
        }
    }
}

/// Dictionary members and parameters: keys are unique, and a repeated key overwrites the earlier value in place.
protocol StructuredFieldKeyed {
    var key: String { get }
}

extension Array where Element: StructuredFieldKeyed {
    /// The element with `key`, if any.
    func first(key: String) -> Element? {
        first { $0.key == key }
    }

    /// Adds `element`, or replaces the element with the same key where it stands (RFC 8941 sections 4.2.2 and 4.2.3.2).
    mutating func upsert(_ element: Element) {
        if let index = firstIndex(where: { $0.key == element.key }) {
            self[index] = element
        } else {
            append(element)
        }
    }
}

/// A parser over the bytes of one field value, following the algorithms of RFC 8941 section 4.2.
private struct StructuredFieldParser {
    typealias Value = StructuredField.Value
    typealias ParseError = StructuredField.ParseError

    private let bytes: [UInt8]
    private var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    private var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipSpaces() {
        while peek == UInt8(ascii: " ") { index += 1 }
    }

    private mutating func skipOptionalWhitespace() {
        while let byte = peek, byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { index += 1 }
    }

    mutating func fieldDictionary() throws(ParseError) -> [StructuredField.Entry] {
        skipSpaces()
        var entries: [StructuredField.Entry] = []
        while peek != nil {
            let key = try parseKey()
            let member: StructuredField.Member
            if peek == UInt8(ascii: "=") {
                index += 1
                member = try parseItemOrInnerList()
            } else {
                let parameters = try parseParameters()
                member = .item(StructuredField.Item(value: .boolean(true), parameters: parameters))
            }
            entries.upsert(StructuredField.Entry(key: key, member: member))
            guard entries.count <= StructuredField.maximumMembers else {
                throw ParseError(reason: "the dictionary has more than \(StructuredField.maximumMembers) members")
            }
            skipOptionalWhitespace()
            guard let next = peek else { break }
            guard next == UInt8(ascii: ",") else {
                throw ParseError(reason: "expected a comma after the member \"\(key)\"")
            }
            index += 1
            skipOptionalWhitespace()
            guard peek != nil else { throw ParseError(reason: "the value ends with a comma") }
        }
        return entries
    }

    private mutating func parseItemOrInnerList() throws(ParseError) -> StructuredField.Member {
        if peek == UInt8(ascii: "(") { return try parseInnerList() }
        return .item(try parseItem())
    }

    private mutating func parseInnerList() throws(ParseError) -> StructuredField.Member {
        index += 1  // the opening parenthesis
        var items: [StructuredField.Item] = []
        while peek != nil {
            skipSpaces()
            if peek == UInt8(ascii: ")") {
                index += 1
                let parameters = try parseParameters()
                return .innerList(items, parameters: parameters)
            }
            items.append(try parseItem())
            guard items.count <= StructuredField.maximumMembers else {
                throw ParseError(reason: "an inner list has more than \(StructuredField.maximumMembers) items")
            }
            guard let next = peek, next == UInt8(ascii: " ") || next == UInt8(ascii: ")") else {
                throw ParseError(reason: "items of an inner list must be separated by spaces")
            }
        }
        throw ParseError(reason: "an inner list is not closed with \")\"")
    }

    private mutating func parseItem() throws(ParseError) -> StructuredField.Item {
        let value = try parseBareItem()
        let parameters = try parseParameters()
        return StructuredField.Item(value: value, parameters: parameters)
    }

    private mutating func parseParameters() throws(ParseError) -> [StructuredField.Parameter] {
        var parameters: [StructuredField.Parameter] = []
        while peek == UInt8(ascii: ";") {
            index += 1
            skipSpaces()
            let key = try parseKey()
            var value = Value.boolean(true)
            if peek == UInt8(ascii: "=") {
                index += 1
                value = try parseBareItem()
            }
            parameters.upsert(StructuredField.Parameter(key: key, value: value))
            guard parameters.count <= StructuredField.maximumMembers else {
                throw ParseError(reason: "more than \(StructuredField.maximumMembers) parameters")
            }
        }
        return parameters
    }

    private mutating func parseKey() throws(ParseError) -> String {
        guard let first = peek, Self.isLowercaseLetter(first) || first == UInt8(ascii: "*") else {
            throw ParseError(reason: "expected a key (a lower-case letter or \"*\" first)")
        }
        let start = index
        while let byte = peek,
            Self.isLowercaseLetter(byte) || Self.isDigit(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "*")
        {
            index += 1
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func parseBareItem() throws(ParseError) -> Value {
        guard let byte = peek else { throw ParseError(reason: "a value is missing at the end") }
        if byte == UInt8(ascii: "-") || Self.isDigit(byte) { return try parseNumber() }
        if byte == UInt8(ascii: "\"") { return try parseString() }
        if byte == UInt8(ascii: ":") { return try parseByteSequence() }
        if byte == UInt8(ascii: "?") { return try parseBoolean() }
        if byte == UInt8(ascii: "*") || Self.isLetter(byte) { return parseToken() }
        throw ParseError(reason: "unexpected character \"\(Character(Unicode.Scalar(byte)))\" where a value should start")
    }

    private mutating func parseNumber() throws(ParseError) -> Value {
        var negative = false
        if peek == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        guard let first = peek, Self.isDigit(first) else { throw ParseError(reason: "a number needs a digit") }
        var integer: Int64 = 0
        var integerDigits = 0
        var fraction: Int64 = 0
        var fractionDigits = 0
        var isDecimal = false
        while let byte = peek {
            if Self.isDigit(byte) {
                let digit = Int64(byte - UInt8(ascii: "0"))
                if isDecimal {
                    fractionDigits += 1
                    guard fractionDigits <= 3 else { throw ParseError(reason: "a decimal has at most 3 fractional digits") }
                    fraction = fraction * 10 + digit
                } else {
                    integerDigits += 1
                    guard integerDigits <= 15 else { throw ParseError(reason: "an integer has at most 15 digits") }
                    integer = integer * 10 + digit
                }
            } else if byte == UInt8(ascii: "."), !isDecimal {
                guard integerDigits <= 12 else { throw ParseError(reason: "a decimal has at most 12 integer digits") }
                isDecimal = true
            } else {
                break
            }
            index += 1
        }
        guard isDecimal else { return .integer(negative ? -integer : integer) }
        guard fractionDigits > 0 else { throw ParseError(reason: "a decimal cannot end with a dot") }
        var scaled = fraction
        for _ in fractionDigits..<3 { scaled *= 10 }
        let thousandths = integer * 1000 + scaled
        return .decimal(thousandths: negative ? -thousandths : thousandths)
    }

    private mutating func parseString() throws(ParseError) -> Value {
        index += 1  // the opening quote
        var out: [UInt8] = []
        while let byte = peek {
            index += 1
            if byte == UInt8(ascii: "\\") {
                guard let next = peek, next == UInt8(ascii: "\"") || next == UInt8(ascii: "\\") else {
                    throw ParseError(reason: "a backslash in a string may only escape a quote or a backslash")
                }
                out.append(next)
                index += 1
            } else if byte == UInt8(ascii: "\"") {
                return .string(String(decoding: out, as: UTF8.self))
            } else if byte < 0x20 || byte > 0x7E {
                throw ParseError(reason: "a string may hold printable ASCII only")
            } else {
                out.append(byte)
            }
        }
        throw ParseError(reason: "a string is not closed with a quote")
    }

    private mutating func parseToken() -> Value {
        let start = index
        index += 1
        while let byte = peek, Self.isTokenCharacter(byte) || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "/") {
            index += 1
        }
        return .token(String(decoding: bytes[start..<index], as: UTF8.self))
    }

    private mutating func parseByteSequence() throws(ParseError) -> Value {
        index += 1  // the opening colon
        let start = index
        while let byte = peek, byte != UInt8(ascii: ":") {
            guard
                Self.isLetter(byte) || Self.isDigit(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/")
                    || byte == UInt8(ascii: "=")
            else { throw ParseError(reason: "a byte sequence may hold base64 characters only") }
            index += 1
        }
        guard peek == UInt8(ascii: ":") else { throw ParseError(reason: "a byte sequence is not closed with \":\"") }
        var text = String(decoding: bytes[start..<index], as: UTF8.self)
        index += 1
        // RFC 8941 asks parsers to accept base64 without its "=" padding.
        while text.utf8.count % 4 != 0 { text += "=" }
        guard let data = Data(base64Encoded: text) else { throw ParseError(reason: "a byte sequence is not valid base64") }
        return .bytes(data)
    }

    private mutating func parseBoolean() throws(ParseError) -> Value {
        index += 1  // the question mark
        guard let byte = peek, byte == UInt8(ascii: "0") || byte == UInt8(ascii: "1") else {
            throw ParseError(reason: "a boolean is ?0 or ?1")
        }
        index += 1
        return .boolean(byte == UInt8(ascii: "1"))
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    private static func isLowercaseLetter(_ byte: UInt8) -> Bool { byte >= 0x61 && byte <= 0x7A }

    private static func isLetter(_ byte: UInt8) -> Bool { isLowercaseLetter(byte) || (byte >= 0x41 && byte <= 0x5A) }

    /// `tchar` of RFC 9110: letters, digits and `!#$%&'*+-.^_`|~`.
    private static func isTokenCharacter(_ byte: UInt8) -> Bool {
        if isLetter(byte) || isDigit(byte) { return true }
        switch byte {
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }
}
