import ConcordCore
import ConcordStore
import ConcordWeb
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Checking and normalising identifiers")
struct CheckRouteTests {
    @Test("a checker's answers draw only on the records its scope covers: GREEN by default, AMBER or all when given")
    func scopes() async throws {
        try await TestNode.run { node in
            let lines = [
                #"{"kind":"phone","value":"081 900 0001","typology":"job","tlp":"green"}"#,
                #"{"kind":"phone","value":"081 900 0002","typology":"job","tlp":"amber"}"#,
                #"{"kind":"phone","value":"081 900 0003","typology":"job","tlp":"amber+strict"}"#,
                #"{"kind":"phone","value":"081 900 0004","typology":"job","tlp":"red","audience":{"nodes":["\#(node.nodeID)"]}}"#,
                #"{"kind":"phone","value":"081 900 0001","typology":"loan","tlp":"red","audience":{"nodes":["\#(node.nodeID)"]}}"#,
            ]
            let imported = try await node.post(
                "/api/v1/indicators",
                token: node.tokens.analyst,
                body: lines.joined(separator: "\n"),
                contentType: "application/x-ndjson"
            )
            #expect(imported.status == .ok, "\(imported.text)")
            func flagged(_ token: String) async throws -> [Bool] {
                var out: [Bool] = []
                for n in 1...4 {
                    let reply = try await node.get(NodeClient.checkURI(kind: "phone", value: "+6681900000\(n)"), token: token)
                    out.append(try reply.json()["flagged"]?.boolValue ?? false)
                }
                return out
            }
            #expect(try await flagged(node.tokens.greenChecker) == [true, false, false, false])
            #expect(try await flagged(node.tokens.checker) == [true, true, false, false])
            #expect(try await flagged(node.tokens.fullChecker) == [true, true, true, true])
            #expect(try await flagged(node.tokens.analyst) == [true, true, true, true])
            // One identifier named at two levels: each scope counts only what it may see.
            let green = try await node.get(
                NodeClient.checkURI(kind: "phone", value: "+66819000001"),
                token: node.tokens.greenChecker
            )
            #expect(try green.json()["indicators"]?.integerValue == 1)
            #expect(try green.json()["typologies"] == .array([.string("job")]))
            let all = try await node.get(NodeClient.checkURI(kind: "phone", value: "+66819000001"), token: node.tokens.analyst)
            #expect(try all.json()["indicators"]?.integerValue == 2)
            // Batches follow the same scope.
            let batch = try await node.post(
                "/api/v1/check",
                token: node.tokens.greenChecker,
                body: #"[{"kind":"phone","value":"+66819000002"},{"kind":"phone","value":"+66819000004"}]"#
            )
            let results = try batch.json().arrayValue ?? []
            #expect(results.map { $0["flagged"]?.boolValue } == [false, false], "\(batch.text)")
        }
    }

    @Test("a reported Thai number, however it is written, checks as one flagged number with what the network knows")
    func phoneWrittenManyWays() async throws {
        try await TestNode.run { node in
            _ = try await node.fileReport()
            for typed in ["081 234 5678", "081-234-5678", "+66 81 234 5678", "+66812345678"] {
                let result = try await node.check(kind: "phone", value: typed)
                #expect(result["kind"]?.stringValue == "phone", "\(typed)")
                #expect(result["canonical"]?.stringValue == Fixtures.phone, "\(typed)")
                #expect(result["flagged"]?.boolValue == true, "\(typed)")
                #expect(result["reports"]?.integerValue == 1, "\(typed)")
                #expect(result["indicators"]?.integerValue == 0, "\(typed)")
                #expect(result["jurisdictions"]?.stringArray == ["TH"], "\(typed)")
                #expect(result["typologies"]?.stringArray == ["investment"], "\(typed)")
                #expect(result["retracted"]?.boolValue == false, "\(typed)")
                #expect(result["first_seen"]?.stringValue?.hasPrefix("2025-03-14") == true, "\(typed)")
            }
        }
    }

    @Test("a plus sign in the query works as %2B, and a form's + stands for a space")
    func plusInQuery() async throws {
        try await TestNode.run { node in
            _ = try await node.fileReport()
            for query in [
                "kind=phone&value=%2B66812345678",
                "kind=phone&value=%2B66+81+234+5678",
                "kind=phone&value=%2B66%2081%20234%205678",
                "value=081+234+5678&kind=phone",
            ] {
                let reply = try await node.get("/api/v1/check?\(query)", token: node.tokens.checker)
                #expect(reply.status == .ok, "\(query): \(reply.text)")
                let result = try reply.json()
                #expect(result["canonical"]?.stringValue == Fixtures.phone, "\(query)")
                #expect(result["flagged"]?.boolValue == true, "\(query)")
            }
        }
    }

    @Test("the reported site's domain, other pages and subdomains of it, and the mule account check flagged")
    func domainURLAndAccount() async throws {
        try await TestNode.run { node in
            _ = try await node.fileReport()

            let domain = try await node.check(kind: "domain", value: "Thai-Gold-Invest.example")
            #expect(domain["canonical"]?.stringValue == Fixtures.domain)
            #expect(domain["flagged"]?.boolValue == true)
            #expect(domain["reports"]?.integerValue == 1)
            #expect(domain["typologies"]?.stringArray == ["investment"])
            #expect(domain["matched"] == nil)

            let sameURL = try await node.check(kind: "url", value: "HTTPS://thai-gold-invest.example:443/login?ref=line#top")
            #expect(sameURL["canonical"]?.stringValue == Fixtures.url)
            #expect(sameURL["flagged"]?.boolValue == true)
            #expect(sameURL["matched"] == nil)

            let otherPage = try await node.check(kind: "url", value: "https://thai-gold-invest.example/withdraw")
            #expect(otherPage["canonical"]?.stringValue == "https://thai-gold-invest.example/withdraw")
            #expect(otherPage["flagged"]?.boolValue == true)
            #expect(otherPage["matched"]?["kind"]?.stringValue == "domain")
            #expect(otherPage["matched"]?["canonical"]?.stringValue == Fixtures.domain)

            let subdomain = try await node.check(kind: "domain", value: "www.thai-gold-invest.example")
            #expect(subdomain["flagged"]?.boolValue == true)
            #expect(subdomain["matched"]?["canonical"]?.stringValue == Fixtures.domain)

            let account = try await node.check(kind: "bank_account", value: "1234567890", extra: [("bank", "004")])
            #expect(account["canonical"]?.stringValue == Fixtures.bankAccount)
            #expect(account["flagged"]?.boolValue == true)
            #expect(account["reports"]?.integerValue == 1)
        }
    }

    @Test("a number nobody reported is not flagged and carries no history")
    func unseenNumber() async throws {
        try await TestNode.run { node in
            _ = try await node.fileReport()
            let result = try await node.check(kind: "phone", value: "081 999 0000")
            #expect(result["canonical"]?.stringValue == "+66819990000")
            #expect(result["flagged"]?.boolValue == false)
            #expect(result["reports"]?.integerValue == 0)
            #expect(result["indicators"]?.integerValue == 0)
            #expect(result["retracted"]?.boolValue == false)
            #expect(result["jurisdictions"]?.stringArray == [])
            #expect(result["first_seen"] == JSONValue.null)
            #expect(result["highest_confidence"] == JSONValue.null)

            let site = try await node.check(kind: "domain", value: "honest-shop.example")
            #expect(site["flagged"]?.boolValue == false)
        }
    }

    @Test("a bad single check names the parameter at fault")
    func badSingleCheck() async throws {
        try await TestNode.run { node in
            let short = try await node.get(NodeClient.checkURI(kind: "phone", value: "081 234"), token: node.tokens.checker)
            let problem = expectProblem(short, .unprocessableContent, type: "invalid-input", pointer: "/value")
            #expect(problem["detail"]?.stringValue?.contains("short") == true, "\(short.text)")

            let unknownParameter = try await node.get(
                NodeClient.checkURI(kind: "phone", value: "0812345678", extra: [("colour", "red")]),
                token: node.tokens.checker
            )
            expectProblem(unknownParameter, .unprocessableContent, type: "invalid-input", pointer: "/colour")

            let noKind = try await node.get("/api/v1/check?value=0812345678", token: node.tokens.checker)
            expectProblem(noKind, .unprocessableContent, type: "invalid-input", pointer: "/kind")

            let badKind = try await node.get(NodeClient.checkURI(kind: "fax", value: "0812345678"), token: node.tokens.checker)
            expectProblem(badKind, .unprocessableContent, type: "invalid-input", pointer: "/kind")
        }
    }

    @Test("a JSON batch answers every item in order, with a problem in place of the bad one")
    func jsonBatch() async throws {
        try await TestNode.run { node in
            _ = try await node.fileReport()
            let items = #"""
                [
                  {"kind": "phone", "value": "081-234-5678"},
                  {"kind": "phone", "value": "081 234"},
                  {"kind": "domain", "value": "thai-gold-invest.example"}
                ]
                """#
            let reply = try await node.post("/api/v1/check", token: node.tokens.checker, body: items)
            #expect(reply.status == .ok, "\(reply.text)")
            let results = try #require(try reply.json().arrayValue)
            #expect(results.count == 3)
            #expect(results.first?["canonical"]?.stringValue == Fixtures.phone)
            #expect(results.first?["flagged"]?.boolValue == true)
            let bad = try #require(results.dropFirst().first)
            #expect(bad["kind"]?.stringValue == "phone")
            #expect(bad["value"]?.stringValue == "081 234")
            #expect(bad["flagged"] == nil)
            let problem = try #require(bad["problem"])
            expectProblemShape(problem, status: 422, type: "invalid-input", pointer: "/1/value")
            #expect(results.last?["canonical"]?.stringValue == Fixtures.domain)
            #expect(results.last?["flagged"]?.boolValue == true)

            // The same batch wrapped as {"items": [...]} names the item under /items.
            let wrapped = try await node.post("/api/v1/check", token: node.tokens.checker, body: #"{"items": \#(items)}"#)
            #expect(wrapped.status == .ok, "\(wrapped.text)")
            let wrappedProblem = try #require(try wrapped.json()[1]?["problem"])
            expectProblemShape(wrappedProblem, status: 422, pointer: "/items/1/value")
        }
    }

    @Test("a body that is neither an array nor {\"items\": [...]} is refused")
    func batchWrongShape() async throws {
        try await TestNode.run { node in
            let reply = try await node.post(
                "/api/v1/check",
                token: node.tokens.checker,
                body: #"{"kind": "phone", "value": "0812345678"}"#
            )
            expectProblem(reply, .unprocessableContent, type: "invalid-input", pointer: "")
        }
    }

    @Test("an NDJSON check streams one answer line per input line, numbering the lines it cannot read")
    func ndjsonCheck() async throws {
        try await TestNode.run { node in
            _ = try await node.fileReport()
            let body =
                [
                    #"{"kind": "phone", "value": "081 234 5678"}"#,
                    #"{"kind": "phone", "#,
                    #"{"kind": "phone", "value": "081 234"}"#,
                    #"{"kind": "url", "value": "thai-gold-invest.example/anything"}"#,
                ].joined(separator: "\n") + "\n"
            let reply = try await node.post(
                "/api/v1/check",
                token: node.tokens.checker,
                body: body,
                contentType: "application/x-ndjson"
            )
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(reply.contentType == "application/x-ndjson")
            let lines = try reply.ndjson()
            #expect(lines.count == 4, "\(reply.text)")
            guard lines.count == 4 else { return }

            #expect(lines[0]["canonical"]?.stringValue == Fixtures.phone)
            #expect(lines[0]["flagged"]?.boolValue == true)

            #expect(lines[1]["line"]?.integerValue == 2)
            let unreadable = try #require(lines[1]["problem"])
            expectProblemShape(unreadable, status: 400, type: "malformed-body")

            #expect(lines[2]["line"]?.integerValue == 3)
            #expect(lines[2]["value"]?.stringValue == "081 234")
            let invalid = try #require(lines[2]["problem"])
            expectProblemShape(invalid, status: 422, type: "invalid-input", pointer: "/value")

            #expect(lines[3]["canonical"]?.stringValue == "http://thai-gold-invest.example/anything")
            #expect(lines[3]["flagged"]?.boolValue == true)
            #expect(lines[3]["matched"]?["canonical"]?.stringValue == Fixtures.domain)
        }
    }

    @Test("a stream of long lines (more than a mebibyte before the first block) is answered whole and in order")
    func longLineStream() async throws {
        try await TestNode.run { node in
            _ = try await node.fileReport()
            let padding = String(repeating: " ", count: 40_000)
            let lines = (0..<40).map { n in
                n % 2 == 0
                    ? #"{"kind":"phone","value":"\#(Fixtures.phone)""# + padding + "}"
                    : #"{"kind":"phone","value":"+6681999\#(1000 + n)""# + padding + "}"
            }
            let reply = try await node.post(
                "/api/v1/check",
                token: node.tokens.checker,
                body: lines.joined(separator: "\n") + "\n",
                contentType: "application/x-ndjson"
            )
            #expect(reply.status == .ok)
            let answers = try reply.ndjson()
            #expect(answers.count == 40)
            for (n, answer) in answers.enumerated() {
                #expect(answer["flagged"]?.boolValue == (n % 2 == 0), "line \(n + 1): \(answer)")
            }
        }
    }

    @Test("a JSON batch over the node's limit is a 413 problem; the limit itself and NDJSON streams are accepted")
    func batchLimit() async throws {
        var limits = APILimits()
        limits.maxCheckBatch = 10
        try await TestNode.run(limits: limits) { node in
            let item = #"{"kind": "phone", "value": "081 234 5678"}"#
            let eleven = "[" + Array(repeating: item, count: 11).joined(separator: ",") + "]"
            let tooMany = try await node.post("/api/v1/check", token: node.tokens.checker, body: eleven)
            let problem = expectProblem(tooMany, .contentTooLarge, type: "too-large")
            #expect(problem["detail"]?.stringValue?.contains("10") == true, "\(tooMany.text)")

            let ten = "[" + Array(repeating: item, count: 10).joined(separator: ",") + "]"
            let atLimit = try await node.post("/api/v1/check", token: node.tokens.checker, body: ten)
            #expect(atLimit.status == .ok, "\(atLimit.text)")
            #expect(try atLimit.json().arrayValue?.count == 10)

            let stream = Array(repeating: item, count: 11).joined(separator: "\n")
            let streamed = try await node.post(
                "/api/v1/check",
                token: node.tokens.checker,
                body: stream,
                contentType: "application/x-ndjson"
            )
            #expect(streamed.status == .ok, "\(streamed.text)")
            #expect(try streamed.ndjson().count == 11)
        }
    }

    @Test("a streamed check stops at the node's line limit and says so in a last problem line")
    func streamLineLimit() async throws {
        var limits = APILimits()
        limits.maxStreamLines = 3
        try await TestNode.run(limits: limits) { node in
            let item = #"{"kind": "phone", "value": "081 234 5678"}"#
            let body = Array(repeating: item, count: 5).joined(separator: "\n") + "\n"
            let reply = try await node.post(
                "/api/v1/check",
                token: node.tokens.checker,
                body: body,
                contentType: "application/x-ndjson"
            )
            #expect(reply.status == .ok, "\(reply.text)")
            let lines = try reply.ndjson()
            #expect(lines.count == 4, "\(reply.text)")
            guard lines.count == 4 else { return }
            #expect(lines.prefix(3).allSatisfy { $0["canonical"]?.stringValue == Fixtures.phone })
            let problem = try #require(lines[3]["problem"])
            expectProblemShape(problem, status: 413, type: "too-large")
        }
    }

    @Test("a last line without a newline still counts toward the streamed check's line limit")
    func streamLineLimitUnterminatedLast() async throws {
        var limits = APILimits()
        limits.maxStreamLines = 3
        try await TestNode.run(limits: limits) { node in
            let item = #"{"kind": "phone", "value": "081 234 5678"}"#
            let body = Array(repeating: item, count: 4).joined(separator: "\n")
            let reply = try await node.post(
                "/api/v1/check",
                token: node.tokens.checker,
                body: body,
                contentType: "application/x-ndjson"
            )
            #expect(reply.status == .ok, "\(reply.text)")
            let lines = try reply.ndjson()
            #expect(lines.filter { $0["canonical"] != nil }.count == 3, "\(reply.text)")
            #expect(lines.last?["problem"]?["type"]?.stringValue == "urn:concord:problem:too-large", "\(reply.text)")
        }
    }

    @Test("normalize returns each value's canonical form, or the reason it cannot be read")
    func normalize() async throws {
        try await TestNode.run { node in
            let reply = try await node.post(
                "/api/v1/normalize",
                token: node.tokens.checker,
                body: #"{"kind": "phone", "values": ["081 234 5678", "+66 81 234 5678", "081 234"]}"#
            )
            #expect(reply.status == .ok, "\(reply.text)")
            let answer = try reply.json()
            #expect(answer["kind"]?.stringValue == "phone")
            let results = try #require(answer["results"]?.arrayValue)
            #expect(results.count == 3)
            guard results.count == 3 else { return }
            #expect(results[0]["value"]?.stringValue == "081 234 5678")
            #expect(results[0]["canonical"]?.stringValue == Fixtures.phone)
            #expect(results[1]["canonical"]?.stringValue == Fixtures.phone)
            #expect(results[2]["value"]?.stringValue == "081 234")
            #expect(results[2]["canonical"] == nil)
            #expect(results[2]["error"]?.stringValue?.contains("short") == true, "\(results[2].canonicalString)")
            #expect(results[2]["pointer"]?.stringValue == "/values/2")

            // A region reads national numbers of another country.
            let british = try await node.post(
                "/api/v1/normalize",
                token: node.tokens.checker,
                body: #"{"kind": "phone", "region": "GB", "values": ["07700 900123"]}"#
            )
            #expect(try british.json()["results"]?[0]?["canonical"]?.stringValue == "+447700900123")

            // An internationalised domain is keyed in punycode and shown in Unicode.
            let idn = try await node.post(
                "/api/v1/normalize",
                token: node.tokens.checker,
                body: #"{"kind": "domain", "values": ["B\u00fccher.Example"]}"#
            )
            let idnResult = try #require(try idn.json()["results"]?[0])
            #expect(idnResult["canonical"]?.stringValue == "xn--bcher-kva.example")
            #expect(idnResult["display"]?.stringValue == "b\u{FC}cher.example")
        }
    }

    @Test("normalize names the field at fault when the request itself is wrong")
    func normalizeBadRequest() async throws {
        try await TestNode.run { node in
            let badKind = try await node.post(
                "/api/v1/normalize",
                token: node.tokens.checker,
                body: #"{"kind": "fax", "values": ["1"]}"#
            )
            expectProblem(badKind, .unprocessableContent, type: "invalid-input", pointer: "/kind")
            let notArray = try await node.post(
                "/api/v1/normalize",
                token: node.tokens.checker,
                body: #"{"kind": "phone", "values": "0812345678"}"#
            )
            expectProblem(notArray, .unprocessableContent, type: "invalid-input", pointer: "/values")
            let notString = try await node.post(
                "/api/v1/normalize",
                token: node.tokens.checker,
                body: #"{"kind": "phone", "values": ["0812345678", 5]}"#
            )
            expectProblem(notString, .unprocessableContent, type: "invalid-input", pointer: "/values/1")
        }
    }
}
