/// The part of a STIX pattern an identifier can be read from: equality comparisons on observable properties.
///
/// `[url:value = 'http://x/']` or `[phone-number:value = '+66...' OR phone-number:value = '+60...']` give one
/// alternative per side of the OR; `[user-account:account_login = 'x' AND user-account:account_type = 'y']`
/// gives one alternative of two comparisons. Observations joined by OR are alternatives too. What would need
/// more than "this value was seen" (other operators, NOT, observations joined by AND or FOLLOWEDBY, AND and OR
/// mixed in one observation) is refused with the reason, and so are qualifiers' malformed neighbours.
public struct STIXPattern: Sendable, Equatable {
    /// One `type:property = 'value'` comparison.
    public struct Comparison: Sendable, Equatable {
        /// The observable type (`url`, `phone-number`).
        public let type: String
        /// The property path (`value`, `account_login`).
        public let property: String
        /// The string compared with.
        public let value: String
    }

    /// Comparisons that must hold together; each alternative names one thing.
    public let alternatives: [[Comparison]]

    /// Why a pattern cannot be read.
    public struct Failure: Error, Sendable, Equatable {
        /// What is wrong, in words.
        public let detail: String

        /// Creates a failure saying `detail`.
        public init(detail: String) { self.detail = detail }
    }

    private enum Token: Equatable {
        case open, close, lparen, rparen, path(String, String), op(String), word(String), string(String), other(String)
    }

    /// Reads the comparisons of `text`.
    public init(_ text: String) throws(Failure) {
        guard text.utf8.count <= 65_536 else { throw Failure(detail: "the pattern is longer than 64 KiB") }
        let tokens = try Self.tokens(text)
        var alternatives: [[Comparison]] = []
        var i = 0
        while i < tokens.count {
            switch tokens[i] {
            case .lparen, .rparen:
                i += 1
            case .open:
                var j = i + 1
                var depth = 1
                while j < tokens.count {
                    if tokens[j] == .open { depth += 1 }
                    if tokens[j] == .close {
                        depth -= 1
                        if depth == 0 { break }
                    }
                    j += 1
                }
                guard j < tokens.count else { throw Failure(detail: "a bracket is not closed") }
                alternatives += try Self.observation(Array(tokens[(i + 1)..<j]))
                i = j + 1
            case .word(let w) where w == "OR" || w == "AND" || w == "FOLLOWEDBY":
                if w != "OR" { throw Failure(detail: "observations joined by \(w) say more than that one value was seen") }
                i += 1
            case .word(let w) where ["WITHIN", "REPEATS", "START", "STOP", "SECONDS", "TIMES"].contains(w):
                // Qualifiers narrow when a match counts, not what is matched.
                i += 1
            case .string, .other:
                i += 1
            default:
                throw Failure(detail: "unexpected \(Self.describe(tokens[i])) outside an observation")
            }
        }
        guard !alternatives.isEmpty else { throw Failure(detail: "the pattern has no observation") }
        self.alternatives = alternatives
    }

    private static func observation(_ tokens: [Token]) throws(Failure) -> [[Comparison]] {
        var groups: [[Comparison]] = [[]]
        var sawAnd = false
        var sawOr = false
        var i = 0
        while i < tokens.count {
            switch tokens[i] {
            case .lparen, .rparen:
                i += 1
            case .path(let type, let property):
                guard i + 2 < tokens.count else {
                    throw Failure(detail: "the comparison on \(type):\(property) is incomplete")
                }
                guard tokens[i + 1] == .op("=") else {
                    throw Failure(detail: "only = comparisons name a value; \(type):\(property) uses \(describe(tokens[i + 1]))")
                }
                guard case .string(let value) = tokens[i + 2] else {
                    throw Failure(detail: "\(type):\(property) is compared with something other than a string")
                }
                groups[groups.count - 1].append(Comparison(type: type, property: property, value: value))
                i += 3
            case .word("AND"):
                sawAnd = true
                i += 1
            case .word("OR"):
                sawOr = true
                groups.append([])
                i += 1
            default:
                throw Failure(detail: "unexpected \(describe(tokens[i])) in an observation")
            }
        }
        if sawAnd && sawOr { throw Failure(detail: "an observation that mixes AND and OR is not read") }
        if groups.contains(where: \.isEmpty) { throw Failure(detail: "an observation has an empty side") }
        return groups
    }

    private static func describe(_ token: Token) -> String {
        switch token {
        case .open: "["
        case .close: "]"
        case .lparen: "("
        case .rparen: ")"
        case .path(let t, let p): "\(t):\(p)"
        case .op(let o): o
        case .word(let w): w
        case .string: "a string"
        case .other(let o): o
        }
    }

    private static func tokens(_ text: String) throws(Failure) -> [Token] {
        let b = Array(text.utf8)
        var out: [Token] = []
        var i = 0
        func isName(_ c: UInt8) -> Bool {
            (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x5F
        }
        while i < b.count {
            let c = b[i]
            switch c {
            case 0x20, 0x09, 0x0A, 0x0D: i += 1
            case UInt8(ascii: "["):
                out.append(.open)
                i += 1
            case UInt8(ascii: "]"):
                out.append(.close)
                i += 1
            case UInt8(ascii: "("):
                out.append(.lparen)
                i += 1
            case UInt8(ascii: ")"):
                out.append(.rparen)
                i += 1
            case UInt8(ascii: "'"):
                var value: [UInt8] = []
                i += 1
                var closed = false
                while i < b.count {
                    if b[i] == UInt8(ascii: "\\"), i + 1 < b.count {
                        value.append(b[i + 1])
                        i += 2
                        continue
                    }
                    if b[i] == UInt8(ascii: "'") {
                        closed = true
                        i += 1
                        break
                    }
                    value.append(b[i])
                    i += 1
                }
                guard closed else { throw Failure(detail: "a string is not closed") }
                out.append(.string(String(decoding: value, as: UTF8.self)))
            case UInt8(ascii: "="), UInt8(ascii: "!"), UInt8(ascii: "<"), UInt8(ascii: ">"):
                var op = [c]
                if i + 1 < b.count, b[i + 1] == UInt8(ascii: "=") || (c == UInt8(ascii: "<") && b[i + 1] == UInt8(ascii: ">")) {
                    op.append(b[i + 1])
                }
                out.append(.op(String(decoding: op, as: UTF8.self)))
                i += op.count
            default:
                guard isName(c) else { throw Failure(detail: "unexpected character '\(Character(Unicode.Scalar(c)))'") }
                var j = i
                while j < b.count, isName(b[j]) { j += 1 }
                let word = String(decoding: b[i..<j], as: UTF8.self)
                if j < b.count, b[j] == UInt8(ascii: ":"), !["t", "h", "b64"].contains(word) {
                    // An object path: type, colon, then the property path: names, dots, quoted names, list indexes.
                    var k = j + 1
                    scan: while k < b.count {
                        let d = b[k]
                        if isName(d) || d == UInt8(ascii: ".") || d == UInt8(ascii: "*") {
                            k += 1
                        } else if d == UInt8(ascii: "'") {
                            k += 1
                            while k < b.count, b[k] != UInt8(ascii: "'") { k += 1 }
                            k += 1
                        } else if d == UInt8(ascii: "["), k + 1 < b.count,
                            b[k + 1] == UInt8(ascii: "*") || (b[k + 1] >= 0x30 && b[k + 1] <= 0x39)
                        {
                            while k < b.count, b[k] != UInt8(ascii: "]") { k += 1 }
                            k += 1
                        } else {
                            break scan
                        }
                    }
                    k = min(k, b.count)
                    out.append(.path(word.lowercased(), String(decoding: b[(j + 1)..<k], as: UTF8.self)))
                    i = k
                } else if ["t", "h", "b64"].contains(word), j < b.count, b[j] == UInt8(ascii: "'") {
                    // A typed literal (time, hex, binary): a value, but not a string.
                    var k = j + 1
                    while k < b.count, b[k] != UInt8(ascii: "'") { k += 1 }
                    out.append(.other(word + "'...'"))
                    i = min(k + 1, b.count)
                } else {
                    let upper = word.uppercased()
                    let isKeyword =
                        word.first?.isLetter == true
                        && (upper == word || ["AND", "OR", "NOT", "LIKE", "MATCHES", "IN"].contains(upper))
                    out.append(isKeyword ? .word(upper) : .other(word))
                    i = j
                }
            }
        }
        return out
    }
}
