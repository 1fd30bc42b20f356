import Foundation
import PropertyBased
import Testing

@testable import ConcordCore

/// The hand-written fast paths of large streamed checks must give exactly what the general code gives.
@Suite("Fast paths of batch checks")
struct FastPathTests {
    @Test(
        "flat objects of strings parse as Foundation parses them",
        arguments: [
            #"{"kind":"phone","value":"+66 81 234 5678"}"#,
            #"  { "kind" : "url" , "value" : "https:\/\/x.example\/a?b=\"c\"" }  "#,
            #"{"kind":"email","value":"caf\u00e9@example.com","region":"TH"}"#,
            #"{"value":"\ud83d\ude00","kind":"handle"}"#,
            #"{}"#,
        ]
    )
    func flatMatchesFoundation(_ text: String) throws {
        let fast = try #require(JSONValue.parseFlatStringObject(Array(text.utf8)))
        #expect(fast == (try JSONValue.parse(Data(text.utf8))))
    }

    @Test(
        "anything that is not a flat object of strings is left to the general parser",
        arguments: [
            #"{"kind":"phone","value":5}"#, #"{"kind":{"a":"b"}}"#, #"["a"]"#, #"{"kind":"phone""#, #"{"kind":"a\x"}"#,
            #"{"kind":"\udc00"}"#, "{\"kind\":\"a\u{01}\"}", #"{"kind":"phone"} x"#, "", #"{"a":"1","a":"2"}"#,
        ]
    )
    func flatRefuses(_ text: String) {
        #expect(JSONValue.parseFlatStringObject(Array(text.utf8)) == nil)
    }

    @Test("random flat objects round-trip through the fast parser")
    func flatProperty() async {
        let text = Gen.oneOf(Gen.unicodeScalar(in: "\u{0}"..."\u{D7FF}"), Gen.unicodeScalar(in: "\u{E000}"..."\u{10FFFF}"))
            .array(of: 0...10).map { String(String.UnicodeScalarView($0)) }
        await propertyCheck(input: text.array(of: 0...4), text.array(of: 0...4)) { keys, values in
            var members: [String: JSONValue] = [:]
            for (k, v) in zip(keys, values) { members[k] = .string(v) }
            let value = JSONValue.object(members)
            #expect(JSONValue.parseFlatStringObject(Array(value.canonicalData)) == value)
        }
    }

    @Test("the direct encoder writes the same bytes as the canonical encoding of the check answer")
    func encoderMatches() {
        let index = CheckIndex()
        let seen = Timestamp(milliseconds: 1_760_000_000_000)
        index.add(
            IndexedIdentifier(
                identifier: Identifier(kind: .phone, canonical: "+66812345678"),
                role: .contact,
                typology: .job,
                jurisdiction: "TH",
                confidence: 80,
                firstSeen: seen,
                lastSeen: seen,
                isReport: false
            )
        )
        index.add(
            IndexedIdentifier(
                identifier: Identifier(kind: .domain, canonical: "scam\"shop.example.com"),
                role: nil,
                typology: .purchase,
                jurisdiction: "MY",
                confidence: nil,
                firstSeen: seen,
                lastSeen: seen,
                isReport: true
            )
        )
        let results = index.check([
            Identifier(kind: .phone, canonical: "+66812345678"), Identifier(kind: .phone, canonical: "+66800000000"),
            Identifier(kind: .url, canonical: "https://scam\"shop.example.com/x"),
        ])
        for (n, result) in results.enumerated() {
            var out: [UInt8] = []
            result.appendCanonicalJSON(to: &out, line: n == 1 ? nil : n + 1)
            let expected = n == 1 ? result.json : result.json.adding("line", .integer(Int64(n + 1)))
            #expect(out == Array(expected.canonicalData), "\(String(decoding: out, as: UTF8.self))")
        }
    }
}
