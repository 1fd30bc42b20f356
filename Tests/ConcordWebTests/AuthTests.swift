import ConcordCore
import ConcordStore
import ConcordWeb
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("API tokens and roles")
struct AuthTests {
    /// Checks a 401 answer: a problem of type `unauthenticated` and a `WWW-Authenticate: Bearer` challenge.
    static func expectUnauthenticated(_ reply: Reply, sourceLocation: SourceLocation = #_sourceLocation) {
        expectProblem(reply, .unauthorized, type: "unauthenticated", sourceLocation: sourceLocation)
        let challenge = reply.headers[.wwwAuthenticate] ?? ""
        #expect(challenge.hasPrefix("Bearer"), "WWW-Authenticate is \(challenge)", sourceLocation: sourceLocation)
    }

    @Test("without a token the API answers 401 with a Bearer challenge")
    func noToken() async throws {
        try await TestNode.run { node in
            let check = try await node.get(NodeClient.checkURI(kind: "phone", value: "0812345678"), token: nil)
            Self.expectUnauthenticated(check)
            let report = try await node.post("/api/v1/reports", token: nil, body: Fixtures.report)
            Self.expectUnauthenticated(report)
            let records = try await node.get("/api/v1/records", token: nil)
            Self.expectUnauthenticated(records)
        }
    }

    @Test("an unknown token, a malformed header and a revoked token are all refused")
    func badTokens() async throws {
        try await TestNode.run { node in
            let uri = NodeClient.checkURI(kind: "phone", value: "0812345678")
            let unknown = try await node.get(uri, token: "cnd_not-a-token-this-node-issued")
            Self.expectUnauthenticated(unknown)

            let basic = try await node.send(.get, uri, token: nil, headers: [.authorization: "Basic \(node.tokens.checker)"])
            Self.expectUnauthenticated(basic)

            let bare = try await node.send(.get, uri, token: nil, headers: [.authorization: node.tokens.checker])
            Self.expectUnauthenticated(bare)

            // The revoked token is presented for the first time here, so no cached answer can hide the revocation.
            let revoked = try await node.get(uri, token: node.tokens.revoked)
            Self.expectUnauthenticated(revoked)
            let revokedReport = try await node.post("/api/v1/reports", token: node.tokens.revoked, body: Fixtures.report)
            Self.expectUnauthenticated(revokedReport)
        }
    }

    @Test("a checker may check but may not file reports or read records")
    func checkerRole() async throws {
        try await TestNode.run { node in
            let check = try await node.get(NodeClient.checkURI(kind: "phone", value: "0812345678"), token: node.tokens.checker)
            #expect(check.status == .ok, "\(check.text)")

            let report = try await node.post("/api/v1/reports", token: node.tokens.checker, body: Fixtures.report)
            let problem = expectProblem(report, .forbidden, type: "forbidden")
            #expect(problem["detail"]?.stringValue?.contains("analyst") == true, "\(report.text)")
            #expect(report.headers[.wwwAuthenticate] == nil)

            let records = try await node.get("/api/v1/records", token: node.tokens.checker)
            expectProblem(records, .forbidden, type: "forbidden")

            // The refused report was not written.
            let after = try await node.check(kind: "phone", value: "0812345678")
            #expect(after["flagged"]?.boolValue == false)
        }
    }

    @Test("an analyst may not withdraw a community declaration that only an admin may make; an admin may")
    func communityRetractionNeedsAdmin() async throws {
        try await TestNode.run { node in
            let declared = try await node.post(
                "/api/v1/communities",
                token: node.tokens.admin,
                body: #"{"name":"mekong-fraud-desk","members":[]}"#
            )
            #expect(declared.status == .created, "\(declared.text)")
            let id = try #require(try declared.json()["id"]?.stringValue)
            let byAnalyst = try await node.post(
                "/api/v1/records/\(id)/retract",
                token: node.tokens.analyst,
                body: #"{"reason":"x"}"#
            )
            expectProblem(byAnalyst, .forbidden, type: "forbidden")
            let listed = try await node.get("/api/v1/communities", token: node.tokens.analyst)
            #expect(listed.text.contains("mekong-fraud-desk"), "\(listed.text)")
            let byAdmin = try await node.post(
                "/api/v1/records/\(id)/retract",
                token: node.tokens.admin,
                body: #"{"reason":"closed"}"#
            )
            #expect(byAdmin.status == .created, "\(byAdmin.text)")
        }
    }

    @Test("analyst and admin tokens may file reports; the bearer scheme is read case-insensitively")
    func writerRoles() async throws {
        try await TestNode.run { node in
            let byAnalyst = try await node.post("/api/v1/reports", token: node.tokens.analyst, body: Fixtures.report)
            #expect(byAnalyst.status == .created, "\(byAnalyst.text)")
            // A second victim of the same scam: different words, so a different record.
            let secondReport = Fixtures.report.replacingOccurrences(of: "three transfers", with: "two transfers")
            let byAdmin = try await node.send(
                .post,
                "/api/v1/reports",
                token: nil,
                body: secondReport,
                headers: [.authorization: "bearer \(node.tokens.admin)"]
            )
            #expect(byAdmin.status == .created, "\(byAdmin.text)")
            let phone = try await node.check(kind: "phone", value: Fixtures.phone)
            #expect(phone["reports"]?.integerValue == 2)
        }
    }

    @Test("health and readiness need no token, and a stale token does not break them")
    func healthWithoutToken() async throws {
        try await TestNode.run { node in
            let health = try await node.get("/healthz", token: nil)
            #expect(health.status == .ok, "\(health.text)")
            #expect(try health.json()["status"]?.stringValue == "ok")

            let ready = try await node.get("/readyz", token: nil)
            #expect(ready.status == .ok, "\(ready.text)")
            #expect(try ready.json()["status"]?.stringValue == "ready")

            // A probe configured with a stale or garbled token still gets its answer.
            let staleProbe = try await node.get("/healthz", token: node.tokens.revoked)
            #expect(staleProbe.status == .ok, "\(staleProbe.text)")
            let garbledProbe = try await node.send(.get, "/readyz", token: nil, headers: [.authorization: "Basic Zm9vOmJhcg=="])
            #expect(garbledProbe.status == .ok, "\(garbledProbe.text)")
        }
    }

    @Test("the node describes itself to any token holder")
    func nodeDescription() async throws {
        try await TestNode.run { node in
            let reply = try await node.get("/api/v1/node", token: node.tokens.checker)
            #expect(reply.status == .ok, "\(reply.text)")
            let description = try reply.json()
            #expect(description["node_id"]?.stringValue == node.nodeID)
            #expect(description["jurisdiction"]?.stringValue == "TH")
            #expect(description["kind"]?.stringValue == "anti_scam_centre")
            let anonymous = try await node.get("/api/v1/node", token: nil)
            Self.expectUnauthenticated(anonymous)
        }
    }

    @Test("metrics need an admin token and count the checks made")
    func metrics() async throws {
        try await TestNode.run { node in
            let anonymous = try await node.get("/metrics", token: nil)
            Self.expectUnauthenticated(anonymous)
            let byAnalyst = try await node.get("/metrics", token: node.tokens.analyst)
            expectProblem(byAnalyst, .forbidden, type: "forbidden")

            _ = try await node.fileReport()
            _ = try await node.check(kind: "phone", value: "081 234 5678")
            let batch = try await node.post(
                "/api/v1/check",
                token: node.tokens.checker,
                body: #"[{"kind": "phone", "value": "0812345678"}, {"kind": "phone", "value": "0819990000"}]"#
            )
            #expect(batch.status == .ok, "\(batch.text)")

            let reply = try await node.get("/metrics", token: node.tokens.admin)
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(reply.contentType?.hasPrefix("text/plain") == true)
            #expect(reply.text.contains("concord_checks_total"))
            #expect(Self.sample("concord_checks_total", in: reply.text) == 3, "\(reply.text)")
            #expect(Self.sample("concord_checks_flagged_total", in: reply.text) == 2, "\(reply.text)")
            #expect(Self.sample("concord_records_written_total", in: reply.text) == 1, "\(reply.text)")
        }
    }

    /// The value of the unlabelled sample `name` in a Prometheus text exposition.
    static func sample(_ name: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }
}
