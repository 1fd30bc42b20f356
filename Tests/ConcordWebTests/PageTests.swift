import ConcordCore
import ConcordWeb
import Foundation
import HTTPTypes
import Testing

/// A browser's part in a page test: its cookies, and the CSRF token of the last page it read.
struct Browser {
    let node: NodeClient
    var cookies: [String: String] = [:]

    init(_ node: NodeClient) { self.node = node }

    mutating func send(_ method: HTTPRequest.Method, _ uri: String, form: [(String, String)]? = nil) async throws -> Reply {
        var headers: HTTPFields = [:]
        if !cookies.isEmpty { headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ") }
        let body = form.map { $0.map { NodeClient.formEncode($0.0) + "=" + NodeClient.formEncode($0.1) }.joined(separator: "&") }
        let reply = try await node.send(
            method,
            uri,
            token: nil,
            body: body,
            contentType: "application/x-www-form-urlencoded",
            headers: headers
        )
        for value in reply.headers[values: .setCookie] {
            let pair = value.split(separator: ";")[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { continue }
            if value.contains("Max-Age=0") { cookies[String(pair[0])] = nil } else { cookies[String(pair[0])] = String(pair[1]) }
        }
        return reply
    }

    mutating func get(_ uri: String) async throws -> Reply { try await send(.get, uri) }

    /// The CSRF token in a page's forms.
    static func csrf(_ reply: Reply) -> String? {
        guard let range = reply.text.range(of: #"name="csrf" value=""#) else { return nil }
        return String(reply.text[range.upperBound...].prefix { $0 != "\"" })
    }

    /// Signs in as `user`; the reply of the sign-in POST.
    @discardableResult
    mutating func signIn(_ user: String, password: String = TestTokens.password) async throws -> Reply {
        let page = try await get("/login")
        let token = Self.csrf(page) ?? ""
        return try await send(.post, "/login", form: [("csrf", token), ("username", user), ("password", password)])
    }
}

@Suite("Pages")
struct PageTests {
    @Test("signing in gives a session cookie that is Secure, HttpOnly and SameSite; signing out ends it")
    func signInAndOut() async throws {
        try await TestNode.run { node in
            var browser = Browser(node)
            let anonymous = try await browser.get("/campaigns")
            #expect(anonymous.status == .seeOther)
            #expect(anonymous.headers[.location] == "/login")

            let wrong = try await browser.signIn("ana", password: "not the password")
            #expect(wrong.status == .unauthorized)
            #expect(wrong.text.contains("The user name or password is wrong"))
            #expect(browser.cookies["concord_session"] == nil)

            let signedIn = try await browser.signIn("ana")
            #expect(signedIn.status == .seeOther)
            let cookie = try #require(signedIn.headers[values: .setCookie].first { $0.hasPrefix("concord_session=") })
            for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] { #expect(cookie.contains(attribute)) }

            let dashboard = try await browser.get("/")
            #expect(dashboard.status == .ok)
            #expect(dashboard.text.contains("<h1>Dashboard</h1>"))
            #expect(dashboard.text.contains("<title>Dashboard · Concord · Test Anti-Scam Centre</title>"))
            #expect(dashboard.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
            #expect(dashboard.headers[.cacheControl] == "no-store")

            let session = try #require(browser.cookies["concord_session"])
            let out = try await browser.send(.post, "/logout", form: [("csrf", Browser.csrf(dashboard) ?? "")])
            #expect(out.status == .seeOther)
            // The old cookie, replayed, no longer opens a page.
            browser.cookies["concord_session"] = session
            #expect(try await browser.get("/").headers[.location] == "/login")
        }
    }

    @Test("five wrong passwords in a row lock the account: even the right one is refused while locked")
    func lockout() async throws {
        try await TestNode.run { node in
            var browser = Browser(node)
            for _ in 0..<4 { #expect(try await browser.signIn("ana", password: "guess guess guess").status == .unauthorized) }
            let fifth = try await browser.signIn("ana", password: "guess guess guess")
            #expect(fifth.status == .tooManyRequests)
            #expect(fifth.text.contains("locked until"))
            let right = try await browser.signIn("ana")
            #expect(right.status == .tooManyRequests)
            #expect(browser.cookies["concord_session"] == nil)
            // Another account is not affected.
            #expect(try await browser.signIn("root").status == .seeOther)
        }
    }

    @Test("a form posted without its CSRF token, or with another session's, is refused and changes nothing")
    func csrf() async throws {
        try await TestNode.run { node in
            var other = Browser(node)
            try await other.signIn("root")
            let othersToken = Browser.csrf(try await other.get("/report")) ?? ""

            var browser = Browser(node)
            try await browser.signIn("ana")
            let report: [(String, String)] = [
                ("typology", "investment"), ("jurisdiction", "TH"), ("kind", "phone"), ("value", "081 777 1234"),
                ("tlp", "green"), ("action", "save"),
            ]
            #expect(try await browser.send(.post, "/report", form: report).status == .forbidden)
            #expect(try await browser.send(.post, "/report", form: [("csrf", othersToken)] + report).status == .forbidden)
            #expect(
                try await browser.send(.post, "/login", form: [("username", "ana"), ("password", TestTokens.password)]).status
                    == .forbidden
            )
            let check = try await node.check(kind: "phone", value: "081 777 1234")
            #expect(check["flagged"] == .bool(false))

            let token = Browser.csrf(try await browser.get("/report")) ?? ""
            let saved = try await browser.send(.post, "/report", form: [("csrf", token)] + report)
            #expect(saved.status == .ok)
            #expect(saved.text.contains("Report saved as"))
            #expect(try await node.check(kind: "phone", value: "081 777 1234")["flagged"] == .bool(true))
        }
    }

    @Test("a checker sees the check page only; analyst pages answer 403")
    func checkerPages() async throws {
        try await TestNode.run { node in
            var browser = Browser(node)
            try await browser.signIn("chk")
            #expect(try await browser.get("/").headers[.location] == "/check")
            for page in ["/campaigns", "/report", "/campaigns/abc"] {
                let reply = try await browser.get(page)
                #expect(reply.status == .forbidden, "\(page)")
                #expect(reply.text.contains("needs the analyst role"))
            }
            let checkPage = try await browser.get("/check")
            #expect(checkPage.status == .ok)
            #expect(!checkPage.text.contains("href=\"/campaigns\""))
        }
    }

    @Test("the report form shows field errors beside the fields, identifiers as they will be read, and escapes what was typed")
    func reportForm() async throws {
        try await TestNode.run { node in
            var browser = Browser(node)
            try await browser.signIn("ana")
            let token = Browser.csrf(try await browser.get("/report")) ?? ""
            let preview = try await browser.send(
                .post,
                "/report",
                form: [
                    ("csrf", token), ("typology", "romance"), ("jurisdiction", "TH"), ("loss_amount", "12.345"),
                    ("loss_currency", "THB"), ("kind", "phone"), ("value", "081 234 5678"), ("kind", "email"),
                    ("value", "not an address"), ("narrative", "<script>alert(1)</script>"), ("tlp", "amber"),
                    ("action", "preview"),
                ]
            )
            #expect(preview.status == .unprocessableContent)
            #expect(preview.text.contains("+66812345678"))
            #expect(preview.text.contains(#"<span class="field-error" id="identifier1">"#))
            #expect(preview.text.contains("at most 2 decimals"))
            #expect(preview.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(!preview.text.contains("<script>"))
            #expect(try await node.check(kind: "phone", value: "081 234 5678")["flagged"] == .bool(false))
        }
    }

    @Test("checking pasted identifiers of mixed kinds reads each and says which were reported")
    func checkPage() async throws {
        try await TestNode.run { node in
            _ = try await node.fileReport()
            var browser = Browser(node)
            try await browser.signIn("ana")
            let token = Browser.csrf(try await browser.get("/check")) ?? ""
            let lines = [Fixtures.phone, "https://example.org/page", "nobody@example.org", "0x12"].joined(separator: "\n")
            let reply = try await browser.send(.post, "/check", form: [("csrf", token), ("identifiers", lines)])
            #expect(reply.status == .ok)
            #expect(reply.text.contains(#"<td class="flagged">Reported</td>"#))
            #expect(reply.text.contains("email: nobody@example.org"))
            #expect(reply.text.contains("url: https://example.org/page"))
            #expect(reply.text.contains("Not readable"))
        }
    }

    @Test("the risk register and the plan render for an analyst; a bad budget is said, not a crash")
    func risksAndPlan() async throws {
        try await TestNode.run { node in
            for n in 0..<6 {
                _ = try await node.fileReport(
                    #"{"typology":"job","jurisdiction":"TH","loss":{"amount":"50000","currency":"THB"},"identifiers":[{"kind":"phone","value":"081 400 100\#(n)"}]}"#
                )
            }
            var browser = Browser(node)
            try await browser.signIn("ana")
            let risks = try await browser.get("/risks")
            #expect(risks.status == .ok)
            #expect(risks.text.contains("<h1>Risk register</h1>"))
            #expect(risks.text.contains("<td>TH job</td>"))
            #expect(risks.text.contains("<polyline"))
            let plan = try await browser.get("/plan?budget=500000")
            #expect(plan.status == .ok)
            #expect(plan.text.contains("Chosen interventions"))
            let bad = try await browser.get("/plan?budget=lots")
            #expect(bad.status == .ok)
            #expect(bad.text.contains("The budget must be a number"))
            #expect(!bad.text.contains("Chosen interventions"))
            let month = try await browser.get("/risks?as_of=13-2026")
            #expect(month.text.contains("is not a month written YYYY-MM"))
        }
    }

    @Test("the records page pages through the log with a cursor; a record's page shows its label, path and escaped text")
    func recordPages() async throws {
        try await TestNode.run { node in
            var ids: [String] = []
            for n in 0..<55 {
                ids.append(
                    try await node.fileReport(
                        #"{"typology":"job","narrative":"<b>bold</b> & co","identifiers":[{"kind":"phone","value":"081 500 10\#(10 + n)"}]}"#
                    )
                )
            }
            var browser = Browser(node)
            try await browser.signIn("ana")
            let first = try await browser.get("/records?kind=report")
            #expect(first.status == .ok)
            #expect(first.text.contains(String(ids[0].prefix(12))))
            #expect(!first.text.contains(String(ids[54].prefix(12))))
            let next = try #require(
                first.text.range(of: #"<a href="/records?after="#).map { range in
                    String(first.text[first.text.index(range.lowerBound, offsetBy: 9)...].prefix { $0 != "\"" })
                }
            )
            let second = try await browser.get(next.replacingOccurrences(of: "&amp;", with: "&"))
            #expect(second.text.contains(String(ids[54].prefix(12))))
            #expect(!second.text.contains(String(ids[0].prefix(12))))

            let record = try await browser.get("/records/\(ids[3])")
            #expect(record.status == .ok)
            #expect(record.text.contains("TLP:AMBER"))
            #expect(record.text.contains("written here"))
            #expect(record.text.contains("+66815001013"))
            #expect(record.text.contains("&lt;b&gt;bold&lt;/b&gt; &amp; co"))
            #expect(try await browser.get("/records/\(String(repeating: "0", count: 64))").status == .notFound)
            #expect(try await browser.get("/records/not-an-id").status == .notFound)
        }
    }

    @Test("an admin adds and removes a peer and declares a community from the pages; an analyst only looks")
    func network() async throws {
        try await TestNode.run { node in
            let peer = NodeKey().nodeID
            var analyst = Browser(node)
            try await analyst.signIn("ana")
            let seen = try await analyst.get("/network")
            #expect(seen.status == .ok)
            #expect(!seen.text.contains("Add a peer"))
            let token = Browser.csrf(seen) ?? ""
            let refused = try await analyst.send(
                .post,
                "/network/peers",
                form: [("csrf", token), ("url", "https://a.example"), ("id", peer)]
            )
            #expect(refused.status == .forbidden)

            var admin = Browser(node)
            try await admin.signIn("root")
            let adminToken = Browser.csrf(try await admin.get("/network")) ?? ""
            let plain = try await admin.send(
                .post,
                "/network/peers",
                form: [("csrf", adminToken), ("url", "http://192.0.2.7:8080"), ("id", peer)]
            )
            #expect(plain.status == .unprocessableContent)
            #expect(plain.text.contains("use https"))
            let badID = try await admin.send(
                .post,
                "/network/peers",
                form: [("csrf", adminToken), ("url", "https://a.example"), ("id", "nope")]
            )
            #expect(badID.text.contains("is not a node id"))
            let added = try await admin.send(
                .post,
                "/network/peers",
                form: [("csrf", adminToken), ("url", "https://a.example"), ("id", peer)]
            )
            #expect(added.status == .ok)
            #expect(added.text.contains("<code>\(peer)</code>"))
            let declared = try await admin.send(
                .post,
                "/network/communities",
                form: [("csrf", adminToken), ("name", "mekong-desks"), ("title", "Mekong desks"), ("members", peer)]
            )
            #expect(declared.text.contains("Community mekong-desks declared"))
            #expect(declared.text.contains("<td>mekong-desks</td>"))
            let bad = try await admin.send(
                .post,
                "/network/communities",
                form: [("csrf", adminToken), ("name", "X"), ("members", "")]
            )
            #expect(bad.status == .unprocessableContent)
            let removed = try await admin.send(.post, "/network/peers/remove", form: [("csrf", adminToken), ("id", peer)])
            #expect(removed.text.contains("Peer \(peer) removed"))
            #expect(!removed.text.contains("<code>\(peer)</code></td><td>https"))
        }
    }

    @Test("an analyst withdraws this node's report from its page, with a reason; the checks stop flagging it")
    func retractFromPage() async throws {
        try await TestNode.run { node in
            let id = try await node.fileReport()
            var browser = Browser(node)
            try await browser.signIn("ana")
            let page = try await browser.get("/records/\(id)")
            #expect(page.text.contains(#"action="/records/\#(id)/retract""#))
            let token = Browser.csrf(page) ?? ""
            let blank = try await browser.send(.post, "/records/\(id)/retract", form: [("csrf", token), ("reason", "  ")])
            #expect(blank.text.contains("is required: say why the record is withdrawn"))
            #expect(try await node.check(kind: "phone", value: Fixtures.phone)["flagged"] == .bool(true))
            let withdrawn = try await browser.send(
                .post,
                "/records/\(id)/retract",
                form: [("csrf", token), ("reason", "filed twice")]
            )
            #expect(withdrawn.text.contains("Withdrawn; the retraction is"))
            #expect(withdrawn.text.contains("withdrawn by"))
            #expect(!withdrawn.text.contains("/retract\""))
            #expect(try await node.check(kind: "phone", value: Fixtures.phone)["flagged"] == .bool(false))
            let again = try await browser.send(.post, "/records/\(id)/retract", form: [("csrf", token), ("reason", "again")])
            #expect(again.text.contains("was already retracted"))
            let noToken = try await browser.send(.post, "/records/\(id)/retract", form: [("reason", "no token")])
            #expect(noToken.status == .forbidden)
        }
    }

    @Test("a flood of sign-ins at the real password cost is turned away with 503 past four at once, not queued")
    func signInFlood() async throws {
        try await TestNode.run(passwordCost: .standard) { node in
            var browser = Browser(node)
            let page = try await browser.get("/login")
            let token = Browser.csrf(page) ?? ""
            let cookie = "concord_login=\(browser.cookies["concord_login"] ?? "")"
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for n in 0..<24 {
                    group.addTask {
                        let form = "csrf=\(token)&username=ana&password=guess+\(n)"
                        let reply = try await node.send(
                            .post,
                            "/login",
                            token: nil,
                            body: form,
                            contentType: "application/x-www-form-urlencoded",
                            headers: [.cookie: cookie]
                        )
                        return reply.status.code
                    }
                }
                var all: [Int] = []
                for try await status in group { all.append(status) }
                return all
            }
            #expect(Set(statuses).isSubset(of: [401, 429, 503]), "\(statuses)")
            #expect(statuses.contains(503), "\(statuses)")
            #expect(statuses.contains { $0 != 503 }, "\(statuses)")
        }
    }
}
