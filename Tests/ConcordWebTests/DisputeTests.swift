import AsyncHTTPClient
import ConcordCore
import Foundation
import NIOCore
import NIOHTTP1
import Testing

@testable import ConcordWeb

/// Disputes, the public page, the directory and escalation, across real nodes on loopback.
@Suite("Disputes, the public page and the directory")
struct DisputeTests {
    typealias Net = FederationTests

    /// A form POST without a token, as a browser sends it.
    static func form(
        _ client: HTTPClient,
        _ url: String,
        _ fields: [(String, String)],
        headers: [(String, String)] = []
    ) async throws -> (Int, String, HTTPHeaders) {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let body = fields.map { name, value in
            name + "=" + (value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")
        }.joined(separator: "&")
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await client.execute(request, timeout: .seconds(10))
        let text = String(buffer: try await response.body.collect(upTo: 4 << 20))
        return (Int(response.status.code), text, response.headers)
    }

    static func get(_ client: HTTPClient, _ url: String, headers: [(String, String)] = []) async throws -> (Int, String) {
        var request = HTTPClientRequest(url: url)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await client.execute(request, timeout: .seconds(10))
        return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 4 << 20)))
    }

    /// The text of a public page's answer section, tags removed and spaces collapsed.
    static func answerText(_ page: String) -> String {
        guard let start = page.range(of: "<div role=\"status\""),
            let end = page.range(of: "</div>", range: start.upperBound..<page.endIndex)
        else { return "" }
        var text = String(page[start.lowerBound..<end.lowerBound])
        while let open = text.firstIndex(of: "<"), let close = text[open...].firstIndex(of: ">") {
            text.replaceSubrange(open...close, with: " ")
        }
        return text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    static func json(_ bytes: [UInt8]) -> JSONValue { (try? JSONValue.parse(bytes)) ?? .null }

    static func check(_ client: HTTPClient, _ node: Net.TestPeer, _ phone: String) async throws -> JSONValue {
        let encoded = phone.replacingOccurrences(of: "+", with: "%2B")
        return json(try await Net.call(client, .GET, node.url + "/api/v1/check?kind=phone&value=\(encoded)", token: node.token).1)
    }

    /// Three nodes, each a peer of the other two.
    static func mesh(_ base: URL, jurisdictions: [String]) async throws -> [Net.TestPeer] {
        let keys = jurisdictions.map { _ in NodeKey() }
        let ports = try LoopbackPorts.free(jurisdictions.count)
        var nodes: [Net.TestPeer] = []
        for (n, jurisdiction) in jurisdictions.enumerated() {
            let peers = keys.indices.filter { $0 != n }.map { (keys[$0].nodeID, "http://127.0.0.1:\(ports[$0])") }
            nodes.append(
                try await Net.start(
                    base.appendingPathComponent(jurisdiction),
                    key: keys[n],
                    jurisdiction: jurisdiction,
                    port: ports[n],
                    peers: peers
                )
            )
        }
        return nodes
    }

    @Test("a dispute filed on B's public page, upheld or retracted by A, changes what checks say on C")
    func disputeAcrossThreeNodes() async throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("concord-dispute-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let nodes = try await Self.mesh(base, jurisdictions: ["TH", "MY", "PH"])
        let (a, b, c) = (nodes[0], nodes[1], nodes[2])
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let kept = "+66812345001"
        let wrong = "+66812345002"
        let (s1, _) = try await Net.call(
            client,
            .POST,
            a.url + "/api/v1/indicators",
            token: a.token,
            body: #"{"kind": "phone", "value": "\#(kept)", "typology": "investment", "confidence": 80, "tlp": "green"}"#,
            type: "application/x-ndjson"
        )
        #expect(s1 == 200)
        let (s2, report) = try await Net.call(
            client,
            .POST,
            a.url + "/api/v1/reports",
            token: a.token,
            body: """
                {"typology": "investment", "tlp": "green", "identifiers": [
                  {"kind": "phone", "value": "\(wrong)", "role": "contact"},
                  {"kind": "bank_account", "value": "GB82 WEST 1234 5698 7654 32", "role": "payment"}]}
                """
        )
        #expect(s2 == 201, "\(String(decoding: report, as: UTF8.self))")
        for phone in [kept, wrong] {
            #expect(
                try await Net.becomesFlagged(client, c, phone.replacingOccurrences(of: "+", with: "%2B"), within: 10),
                "\(phone) reaches C"
            )
        }

        // Two people dispute the flags on B's public page; nothing leaves B until an analyst accepts.
        for phone in [kept, wrong] {
            let (code, page, _) = try await Self.form(
                client,
                b.url + "/public/dispute",
                [("dispute_value", phone), ("statement", "This is my own shop's number."), ("contact", "owner@example.org")]
            )
            #expect(code == 200 && page.contains("<code>"), "\(code)")
        }
        let queue = Self.json(try await Net.call(client, .GET, b.url + "/api/v1/triage", token: b.token).1)
        let items = try #require(queue["items"]?.arrayValue)
        #expect(items.count == 2 && items.allSatisfy { $0["kind"] == "dispute" && $0["status"] == "pending" })
        var disputeOf: [String: String] = [:]
        for item in items {
            let id = try #require(item["id"]?.stringValue)
            let (code, body) = try await Net.call(
                client,
                .POST,
                b.url + "/api/v1/triage/\(id)/accept",
                token: b.token,
                body: "{}"
            )
            #expect(code == 201, "\(String(decoding: body, as: UTF8.self))")
            let record = Self.json(body)["record"]
            #expect(record?["content"]?["body"]?["to"] == .array([.string(a.key.nodeID)]))
            #expect(record?["content"]?["body"]?["contact"] == nil, "the person's contact stays on B")
            disputeOf[record?["content"]?["body"]?["identifier"]?["value"]?.stringValue ?? ""] = record?["id"]?.stringValue
            let (again, _) = try await Net.call(client, .POST, b.url + "/api/v1/triage/\(id)/accept", token: b.token, body: "{}")
            #expect(again == 409)
        }

        let inbound = try await ActionRequestTests.eventually(client, a, "/api/v1/disputes?direction=inbound") {
            $0["disputes"]?.arrayValue?.count == 2
        }
        #expect(inbound["disputes"]?.arrayValue?.allSatisfy { $0["awaiting"] == .array([.string(a.key.nodeID)]) } == true)
        let keptDispute = try #require(disputeOf[kept])
        let wrongDispute = try #require(disputeOf[wrong])
        let (bad, problem) = try await Net.call(
            client,
            .POST,
            a.url + "/api/v1/disputes/\(keptDispute)/decision",
            token: a.token,
            body: #"{"outcome": "withdrawn", "reason": "x"}"#
        )
        #expect(bad == 422 && Self.json(problem)["pointer"] == "/outcome")
        let (upheld, _) = try await Net.call(
            client,
            .POST,
            a.url + "/api/v1/disputes/\(keptDispute)/decision",
            token: a.token,
            body: #"{"outcome": "upheld", "reason": "Seen in 14 victim reports this month."}"#
        )
        #expect(upheld == 201)
        let (twice, _) = try await Net.call(
            client,
            .POST,
            a.url + "/api/v1/disputes/\(keptDispute)/decision",
            token: a.token,
            body: #"{"outcome": "retracted", "reason": "changed my mind"}"#
        )
        #expect(twice == 409)
        let (notOurs, _) = try await Net.call(
            client,
            .POST,
            b.url + "/api/v1/disputes/\(wrongDispute)/decision",
            token: b.token,
            body: #"{"outcome": "retracted", "reason": "not ours to decide"}"#
        )
        #expect(notOurs == 422, "only a node that flagged it decides")
        let (retracted, decided) = try await Net.call(
            client,
            .POST,
            a.url + "/api/v1/disputes/\(wrongDispute)/decision",
            token: a.token,
            body: #"{"outcome": "retracted", "reason": "The number was mistyped in the report."}"#
        )
        #expect(retracted == 201)
        #expect(Self.json(decided)["withdrawn"]?.arrayValue?.count == 1)

        // On C: the upheld flag stands; the retracted one is gone, the report's other identifier stays flagged.
        let deadline = Date().addingTimeInterval(10)
        var answer = try await Self.check(client, c, wrong)
        while answer["flagged"] != .bool(false) && Date() < deadline {
            try await Task.sleep(for: .milliseconds(100))
            answer = try await Self.check(client, c, wrong)
        }
        #expect(answer["flagged"] == .bool(false) && answer["retracted"] == .bool(true), "\(answer)")
        #expect(try await Self.check(client, c, kept)["flagged"] == .bool(true))
        let account = Self.json(
            try await Net.call(
                client,
                .GET,
                c.url + "/api/v1/check?kind=bank_account&value=GB82WEST12345698765432",
                token: c.token
            ).1
        )
        #expect(account["flagged"] == .bool(true) && account["reports"] == 1, "the replacement report keeps the account")

        let outbound = try await ActionRequestTests.eventually(client, b, "/api/v1/disputes?direction=outbound") {
            $0["disputes"]?.arrayValue?.allSatisfy { $0["decisions"]?.arrayValue?.count == 1 } == true
        }
        let outcomes = Set((outbound["disputes"]?.arrayValue ?? []).compactMap { $0["decisions"]?[0]?["outcome"]?.stringValue })
        #expect(outcomes == ["upheld", "retracted"])
        try await client.shutdown()
        for node in nodes { await node.stop() }
    }

    @Test("the public page answers only reported or not and how recently, escapes what it is sent, and limits each address")
    func publicPage() async throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("concord-public-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let key = NodeKey()
        let a = try await Net.start(base, key: key, jurisdiction: "TH") { $0.limits.publicRequestsPerMinute = 25 }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let green = "+66812345678"
        let red = "+66812345679"
        for (phone, tlp) in [(green, "green"), (red, "red")] {
            let (code, _) = try await Net.call(
                client,
                .POST,
                a.url + "/api/v1/indicators",
                token: a.token,
                body:
                    #"{"kind": "phone", "value": "\#(phone)", "typology": "romance", "confidence": 90, "tlp": "\#(tlp)", "jurisdiction": "SG", "audience": {"nodes": ["\#(key.nodeID)"]}}"#,
                type: "application/x-ndjson"
            )
            #expect(code == 200)
        }
        let strings = try PublicStrings.load()
        let en = strings.table("en", organisation: "Node TH")

        let (code, page, _) = try await Self.form(client, a.url + "/public/check", [("value", "081 234 5678")])
        #expect(code == 200)
        // The answer section says exactly its promise: reported, how recently, and the advice; nothing else.
        #expect(
            Self.answerText(page)
                == [en["check_result_heading"]!, en["check_reported"]!, en["recency_week"]!, en["check_advice"]!].joined(
                    separator: " "
                )
        )
        for secret in [key.nodeID, "SG", "Node TH"] { #expect(!Self.answerText(page).contains(secret)) }
        let (_, redPage, _) = try await Self.form(client, a.url + "/public/check", [("value", red)])
        #expect(
            Self.answerText(redPage) == en["check_result_heading"]! + " " + en["check_not_reported"]!,
            "a RED record is not the public's to know"
        )
        let (unreadable, _, _) = try await Self.form(client, a.url + "/public/check", [("value", "not a number at all!!")])
        #expect(unreadable == 422)

        // Hostile input comes back escaped, and a report waits in triage, shared with no one.
        let hostile = "<script>alert('x')</script>\"><img src=x onerror=alert(1)>"
        let (refused, echoed, _) = try await Self.form(
            client,
            a.url + "/public/report",
            [("typology", "nonsense"), ("identifiers", hostile), ("story", hostile)]
        )
        #expect(refused == 422)
        #expect(!echoed.contains("<script>") && !echoed.contains("<img src=x") && echoed.contains("&lt;script&gt;"))
        let recordsBefore = Self.json(try await Net.call(client, .GET, a.url + "/api/v1/records", token: a.token).1)["records"]?
            .arrayValue?.count
        let (accepted, thanks, _) = try await Self.form(
            client,
            a.url + "/public/report",
            [
                ("typology", "investment"), ("identifiers", "0812223333\n" + hostile), ("story", hostile), ("amount", "1500.50"),
                ("currency", "thb"), ("when", "2026-11-30"),
            ]
        )
        #expect(accepted == 200 && thanks.contains(en["report_thanks"]!))
        let recordsAfter = Self.json(try await Net.call(client, .GET, a.url + "/api/v1/records", token: a.token).1)["records"]?
            .arrayValue?.count
        #expect(recordsBefore == recordsAfter, "nothing is written until an analyst accepts")
        #expect(try await Self.check(client, a, "+66812223333")["flagged"] == .bool(false))
        let queue = Self.json(try await Net.call(client, .GET, a.url + "/api/v1/triage", token: a.token).1)
        let item = try #require(queue["items"]?.arrayValue?.first)
        #expect(item["body"]?["narrative"]?.stringValue == hostile, "kept as data, escaped only when shown")
        #expect(item["body"]?["identifiers"] == [["kind": "phone", "value": "+66812223333"]])
        let id = try #require(item["id"]?.stringValue)
        let (made, body) = try await Net.call(
            client,
            .POST,
            a.url + "/api/v1/triage/\(id)/accept",
            token: a.token,
            body: #"{"tlp": "amber"}"#
        )
        #expect(made == 201, "\(String(decoding: body, as: UTF8.self))")
        #expect(Self.json(body)["record"]?["content"]?["label"]?["tlp"] == "amber")
        #expect(try await Self.check(client, a, "+66812223333")["flagged"] == .bool(true))

        // Languages: asked for, or from Accept-Language; Tagalog is answered in Filipino.
        for (query, header, code) in [
            ("?lang=th", "", "th"), ("", "fr-FR,fr;q=0.9,en;q=0.5", "fr"), ("", "tl", "fil"), ("?lang=ms", "", "ms"),
        ] {
            let (status, html) = try await Self.get(
                client,
                a.url + "/public" + query,
                headers: header.isEmpty ? [] : [("Accept-Language", header)]
            )
            #expect(status == 200 && html.contains("<html lang=\"\(code)\">"))
            #expect(html.contains(strings.table(code, organisation: "")["check_heading"]!))
        }
        // Size limits.
        let (tooLarge, _, _) = try await Self.form(
            client,
            a.url + "/public/report",
            [("story", String(repeating: "x", count: 20_000))]
        )
        #expect(tooLarge == 413)

        // The address's allowance runs out: a 429 problem with Retry-After, or the page for a browser.
        var limited: (Int, String, HTTPHeaders)?
        for _ in 0..<40 {
            let answer = try await Self.form(client, a.url + "/public/check", [("value", green)])
            if answer.0 == 429 {
                limited = answer
                break
            }
        }
        let (status, problem, headers) = try #require(limited)
        #expect(status == 429)
        #expect(headers.first(name: "Content-Type") == "application/problem+json")
        #expect(Int(headers.first(name: "Retry-After") ?? "") ?? 0 >= 1)
        #expect(try JSONValue.parse(Array(problem.utf8))["type"] == "urn:concord:problem:too-many-requests")
        let (browser, html, _) = try await Self.form(
            client,
            a.url + "/public/check",
            [("value", green)],
            headers: [("Accept", "text/html"), ("Accept-Language", "ms")]
        )
        #expect(browser == 429 && html.contains(strings.table("ms", organisation: "")["too_many"]!))
        try await client.shutdown()
        await a.stop()
    }

    @Test("an overdue request is escalated in one call to the peer's 24/7 contact; the directory shows response times")
    func escalation() async throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("concord-escalate-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let nodes = try await Self.mesh(base, jurisdictions: ["TH", "MY"])
        let (a, b) = (nodes[0], nodes[1])
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        for entry in [
            #"{"name": "Example Bank Berhad fraud desk", "sector": "bank", "accepts": ["domestic_law", "bilateral_agreement"], "languages": ["en", "ms"], "formats": ["concord"], "expected_hours": 24}"#,
            #"{"name": "National 24/7 point of contact", "sector": "police", "contact_24_7": true, "accepts": ["budapest_preservation"], "languages": ["en"], "expected_hours": 1, "channels": {"phone": "+60 3 0000 0000"}}"#,
        ] {
            let (code, body) = try await Net.call(client, .POST, b.url + "/api/v1/directory", token: b.token, body: entry)
            #expect(code == 201, "\(String(decoding: body, as: UTF8.self))")
        }
        let (badEntry, problem) = try await Net.call(
            client,
            .POST,
            b.url + "/api/v1/directory",
            token: b.token,
            body: #"{"name": "x", "sector": "bakery"}"#
        )
        #expect(badEntry == 422 && Self.json(problem)["pointer"] == "/sector")
        let directory = try await ActionRequestTests.eventually(client, a, "/api/v1/directory") {
            $0["entries"]?.arrayValue?.count == 2
        }
        let bank = try #require(directory["entries"]?.arrayValue?.first { $0["sector"] == "bank" })
        let bankID = try #require(bank["id"]?.stringValue)
        let contacts = Self.json(
            try await Net.call(client, .GET, a.url + "/api/v1/directory?contact_24_7=true", token: a.token).1
        )
        #expect(contacts["entries"]?.arrayValue?.count == 1)

        // A asks the bank through its directory entry; the answer is due already, so the request is overdue.
        let ask = """
            {"action": "freeze_account", "provider": "\(bankID)", "urgency": "urgent", "due": "2026-01-01T00:00:00Z",
             "identifiers": [{"kind": "bank_account", "value": "GB82 WEST 1234 5698 7654 32"}],
             "legal_basis": {"kind": "bilateral_agreement"}}
            """
        let (created, body) = try await Net.call(client, .POST, a.url + "/api/v1/requests", token: a.token, body: ask)
        #expect(created == 201, "\(String(decoding: body, as: UTF8.self))")
        let request = Self.json(body)
        #expect(request["content"]?["body"]?["to"]?.stringValue == b.key.nodeID)
        let id = try #require(request["id"]?.stringValue)
        let outbound = Self.json(
            try await Net.call(client, .GET, a.url + "/api/v1/requests?direction=outbound", token: a.token).1
        )
        #expect(outbound["requests"]?[0]?["overdue"] == .bool(true))

        let (escalated, answer) = try await Net.call(
            client,
            .POST,
            a.url + "/api/v1/requests/\(id)/escalate",
            token: a.token,
            body: "{}"
        )
        #expect(escalated == 201, "\(String(decoding: answer, as: UTF8.self))")
        let escalation = Self.json(answer)["content"]?["body"]
        #expect(escalation?["escalates"]?.stringValue == id)
        #expect(escalation?["urgency"] == "immediate")
        #expect(escalation?["to"]?.stringValue == b.key.nodeID)
        let escalationID = try #require(Self.json(answer)["id"]?.stringValue)
        let (others, _) = try await Net.call(client, .POST, b.url + "/api/v1/requests/\(id)/escalate", token: b.token, body: "{}")
        #expect(others == 403 || others == 404, "only the requester escalates")

        // B answers both; A's directory then shows B's measured times.
        _ = try await ActionRequestTests.eventually(client, b, "/api/v1/requests?direction=inbound") {
            $0["requests"]?.arrayValue?.count == 2
        }
        for request in [id, escalationID] {
            let (code, _) = try await Net.call(
                client,
                .POST,
                b.url + "/api/v1/requests/\(request)/responses",
                token: b.token,
                body: #"{"status": "acknowledged"}"#
            )
            #expect(code == 201)
        }
        let measured = try await ActionRequestTests.eventually(client, a, "/api/v1/directory?sector=bank") {
            $0["entries"]?[0]?["measured"]?["requests"] == 2
                && $0["entries"]?[0]?["measured"]?["median_seconds_to_acknowledge"] != nil
        }
        #expect(measured["entries"]?[0]?["measured"]?["requests"] == 2)

        // No contact published by A: B's request to A cannot be escalated, and says why.
        let (sent, sentBody) = try await Net.call(
            client,
            .POST,
            b.url + "/api/v1/requests",
            token: b.token,
            body:
                #"{"action": "block_number", "to": "\#(a.key.nodeID)", "identifiers": [{"kind": "phone", "value": "+66812345678"}], "legal_basis": {"kind": "voluntary"}}"#
        )
        #expect(sent == 201)
        let otherID = try #require(Self.json(sentBody)["id"]?.stringValue)
        let (conflict, why) = try await Net.call(
            client,
            .POST,
            b.url + "/api/v1/requests/\(otherID)/escalate",
            token: b.token,
            body: "{}"
        )
        #expect(conflict == 409 && String(decoding: why, as: UTF8.self).contains("24/7"))
        try await client.shutdown()
        for node in nodes { await node.stop() }
    }
}
