import Foundation
import PropertyBased
import Testing

@testable import ConcordCore

@Suite("RFC 8785 canonical JSON")
struct CanonicalJSONTests {
    @Test("keys sort by UTF-16 code units and white space goes")
    func sorting() throws {
        let value = try JSONValue.parse(
            Data(#"{ "b": 1, "a": [true, null, "x"], "\u00e9": 2, "\ud83d\ude00": 3, "\u20ac": 4 }"#.utf8)
        )
        // U+20AC (0x20AC) sorts before U+1F600 (0xD83D as UTF-16), which a sort by scalars would reverse.
        #expect(value.canonicalString == #"{"a":[true,null,"x"],"b":1,"é":2,"€":4,"😀":3}"#)
    }

    @Test("strings escape only what JSON requires, controls as lower-case \\u00xx")
    func escaping() {
        let value = JSONValue.string("quote\" back\\ tab\t nl\n bell\u{07} del\u{7F} é</script>")
        #expect(value.canonicalString == #""quote\" back\\ tab\t nl\n bell\u0007 del\#u{7F} é</script>""#)
    }

    @Test(
        "numbers take ECMAScript's shortest form",
        arguments: [
            (0.0, "0"), (-0.0, "0"), (1.0, "1"), (1.5, "1.5"), (0.1, "0.1"), (1e21, "1e+21"), (1e20, "100000000000000000000"),
            (123456789012345680000.0, "123456789012345680000"), (1e-7, "1e-7"), (0.000001, "0.000001"),
            (-1.25e-10, "-1.25e-10"), (4.5e15, "4500000000000000"), (333333333.33333329, "333333333.3333333"),
            (5e-324, "5e-324"), (1.7976931348623157e308, "1.7976931348623157e+308"),
        ]
    )
    func numbers(_ value: Double, _ expected: String) {
        #expect(JSONValue.ecmaScriptNumber(value) == expected)
    }

    @Test("encoding is stable: parsing the canonical form and encoding again gives the same bytes")
    func roundTrip() async {
        let text = Gen.unicodeScalar(in: "\u{0}"..."\u{2FF}").array(of: 0...8).map { String(String.UnicodeScalarView($0)) }
        // Keys mix the Basic Multilingual Plane with astral characters (surrogate pairs in UTF-16); the
        // surrogate range itself holds no scalars.
        let keyScalar = Gen.oneOf(Gen.unicodeScalar(in: "\u{20}"..."\u{D7FF}"), Gen.unicodeScalar(in: "\u{E000}"..."\u{1F64F}"))
        let keys = keyScalar.array(of: 1...4).map { String(String.UnicodeScalarView($0)) }
        let numbers = Gen.int(in: -1_000_000...1_000_000).array(of: 0...6)
        await propertyCheck(input: keys.array(of: 0...6), text.array(of: 0...6), numbers) { names, strings, ints in
            var members: [String: JSONValue] = [:]
            for (n, name) in names.enumerated() {
                members[name] =
                    n % 2 == 0
                    ? .string(strings.isEmpty ? "" : strings[n % strings.count])
                    : .array(ints.map { .integer(Int64($0)) })
            }
            let value = JSONValue.object(members)
            let once = value.canonicalData
            let parsed = try? JSONValue.parse(once)
            #expect(parsed == value)
            #expect(parsed?.canonicalData == once)
        }
    }
}

@Suite("JSON parser")
struct JSONParserTests {
    @Test(
        "accepts and refuses the same texts as Foundation's JSONSerialization",
        arguments: [
            #"{"a":1,"b":[true,false,null],"c":"x\ny","d":-0.5e3,"e":{}}"#, #"[]"#, #"  [1 , 2]  "#, #""\u00e9\ud83d\ude00""#,
            #"123456789012345678901234567890"#, #"-0"#, #"0.1"#, #"1E+2"#, #"{"a":1,}"#, #"[1,]"#, #"01"#, #"1."#, #".5"#, #"+1"#,
            #"{"a" 1}"#, #"["\x"]"#, #"["\ud800"]"#, "[\"a\u{01}\"]", #"nul"#, #"[1] 2"#, #""#, #"{"a":[1,2,{"b":null}]}"#,
            #"tru"#, #"[-]"#, #"1e"#, #""abc"#,
        ]
    )
    func agreesWithFoundation(_ text: String) {
        let ours = (try? JSONValue.parse(Data(text.utf8))) != nil
        let foundation = (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) != nil
        // Foundation accepts a trailing comma; RFC 8259 does not, and neither do we.
        let trailingComma = text.contains(",}") || text.contains(",]")
        #expect(ours == (foundation && !trailingComma), "\(text): ours \(ours), Foundation \(foundation)")
    }

    @Test("numbers: integers stay exact, others are doubles")
    func numbers() throws {
        #expect(try JSONValue.parse(Data("9007199254740993".utf8)) == .integer(9_007_199_254_740_993))
        #expect(try JSONValue.parse(Data("1.5".utf8)) == .double(1.5))
        #expect(try JSONValue.parse(Data("1e2".utf8)) == .double(100))
        #expect(try JSONValue.parse(Data("99999999999999999999".utf8)) == .double(1e20))
    }

    @Test("nesting deeper than the limit is refused, not a crash")
    func depth() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Data(deep.utf8)) }
    }
}
