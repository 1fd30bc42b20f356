import AsyncHTTPClient
import ConcordCore
import Foundation
import NIOHTTP1
import Testing

@testable import ConcordWeb

@Suite("Action requests between real nodes")
struct ActionRequestTests {
    typealias Net = FederationTests

    /// Polls `url` on `node` until `done` holds of the answer.
    static func eventually(
        _ client: HTTPClient,
        _ node: FederationTests.TestPeer,
        _ path: String,
        within seconds: Double = 10,
        _ done: (JSONValue) -> Bool
    ) async throws -> JSONValue {
        let deadline = Date().addingTimeInterval(seconds)
        var last = JSONValue.null
        repeat {
            let (_, body) = try await Net.call(client, .GET, node.url + path, token: node.token)
            last = (try? JSONValue.parse(body)) ?? .null
            if done(last) { return last }
            try await Task.sleep(for: .milliseconds(100))
        } while Date() < deadline
        return last
    }

    @Test("a freeze request from A is actioned on B, and both nodes hold the same signed chain")
    func requestAndResponse() async throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("concord-act-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let keys = (0..<2).map { _ in NodeKey() }
        let ports = try LoopbackPorts.free(2)
        let a = try await Net.start(
            base.appendingPathComponent("a"),
            key: keys[0],
            jurisdiction: "TH",
            port: ports[0],
            peers: [(keys[1].nodeID, "http://127.0.0.1:\(ports[1])")]
        )
        let b = try await Net.start(
            base.appendingPathComponent("b"),
            key: keys[1],
            jurisdiction: "MY",
            port: ports[1],
            peers: [(keys[0].nodeID, a.url)]
        )
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let ask = """
            {"action": "freeze_account", "to": "\(keys[1].nodeID)", "urgency": "immediate",
             "identifiers": [{"kind": "bank_account", "value": "GB82 WEST 1234 5698 7654 32"}],
             "legal_basis": {"kind": "bilateral_agreement", "text": "TH-MY memorandum on fraud proceeds"}}
            """
        let (status, created) = try await Net.call(client, .POST, a.url + "/api/v1/requests", token: a.token, body: ask)
        #expect(status == 201, "\(String(decoding: created, as: UTF8.self))")
        let id = try #require(try JSONValue.parse(created)["id"]?.stringValue)

        let inbound = try await Self.eventually(client, b, "/api/v1/requests?direction=inbound") {
            $0["requests"]?.arrayValue?.first?["id"]?.stringValue == id
        }
        let arrived = try #require(inbound["requests"]?.arrayValue?.first)
        #expect(arrived["status"] == "open")
        #expect(arrived["action"] == "freeze_account")
        #expect(arrived["closed"] == JSONValue.bool(false))

        // Only the addressee answers; A cannot answer its own request.
        let (refused, _) = try await Net.call(
            client,
            .POST,
            a.url + "/api/v1/requests/\(id)/responses",
            token: a.token,
            body: #"{"status": "actioned"}"#
        )
        #expect(refused == 422)
        for answer in [
            #"{"status": "acknowledged"}"#,
            #"{"status": "actioned", "detail": "account frozen", "amount": {"amount": "8200.00", "currency": "GBP"}}"#,
        ] {
            let (code, body) = try await Net.call(
                client,
                .POST,
                b.url + "/api/v1/requests/\(id)/responses",
                token: b.token,
                body: answer
            )
            #expect(code == 201, "\(String(decoding: body, as: UTF8.self))")
        }
        let (bad, problem) = try await Net.call(
            client,
            .POST,
            b.url + "/api/v1/requests/\(id)/responses",
            token: b.token,
            body: #"{"status": "declined"}"#
        )
        #expect(bad == 422)
        #expect(try JSONValue.parse(problem)["pointer"] == "/detail")

        let onA = try await Self.eventually(client, a, "/api/v1/requests/\(id)") { $0["chain"]?.arrayValue?.count == 3 }
        let onB = try await Self.eventually(client, b, "/api/v1/requests/\(id)") { $0["chain"]?.arrayValue?.count == 3 }
        #expect(onA["chain"] == onB["chain"], "both nodes hold the same signed records")
        #expect(onA["status"] == "actioned")
        #expect(onA["closed"] == JSONValue.bool(true))
        #expect(onA["seconds_to_action"]?.integerValue != nil)
        let outbound = try await Self.eventually(client, a, "/api/v1/requests?direction=outbound") { _ in true }
        #expect(outbound["requests"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [id])

        let (_, figures) = try await Net.call(client, .GET, a.url + "/api/v1/cooperation", token: a.token)
        let partner = try #require(try JSONValue.parse(figures)["partners"]?.arrayValue?.first)
        #expect(partner["partner"]?.stringValue == keys[1].nodeID)
        #expect(partner["direction"] == "outbound")
        #expect(
            partner["requests"] == 1 && partner["actioned"] == 1 && partner["share_actioned"]?.integerValue == 1,
            "1.0 is written as 1"
        )

        // The request's identifiers flag nothing.
        let (_, check) = try await Net.call(
            client,
            .GET,
            b.url + "/api/v1/check?kind=bank_account&value=GB82WEST12345698765432",
            token: b.token
        )
        #expect(try JSONValue.parse(check)["flagged"] == JSONValue.bool(false))
        try await client.shutdown()
        for node in [a, b] { await node.stop() }
    }

    @Test("requests are read like any input: bad fields named, a request to oneself refused, a peer's copy admitted")
    func readers() throws {
        let key = NodeKey()
        #expect {
            _ = try RecordInput.actionRequest(
                ["action": "seize", "to": .string(key.nodeID)],
                requester: key.nodeID,
                nodeJurisdiction: "TH"
            )
        } throws: { error in
            let pointers = Set((error as? InputError)?.issues.map(\.pointer) ?? [])
            return pointers.isSuperset(of: ["/action", "/to", "/legal_basis"])
        }
        let other = NodeKey()
        let draft = try RecordInput.actionRequest(
            [
                "action": "block_number", "to": .string(other.nodeID),
                "identifiers": [["kind": "phone", "value": "081 234 5678"]],
                "legal_basis": ["kind": "voluntary"], "urgency": "urgent",
            ],
            requester: key.nodeID,
            nodeJurisdiction: "TH"
        )
        #expect(draft.label.tlp == .red)
        #expect(draft.label.audience.nodes == [key.nodeID, other.nodeID].sorted())
        #expect(!draft.label.relay)
        let record = draft.sign(with: key)
        #expect(throws: Never.self) { try RecordAdmission.check(record) }
        #expect(record.indexedIdentifiers.isEmpty, "a request flags nothing")
        let response = try RecordInput.actionResponse(["status": "acknowledged"], to: record, responder: other.nodeID).sign(
            with: other
        )
        #expect(throws: Never.self) { try RecordAdmission.check(response) }
        #expect(throws: InputError.self) {
            _ = try RecordInput.actionResponse(["status": "acknowledged"], to: record, responder: key.nodeID)
        }
    }
}
