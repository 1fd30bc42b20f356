import AsyncHTTPClient
import ConcordCore
import ConcordFederation
import ConcordStore
import ConcordWeb
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Testing

/// Real nodes on 127.0.0.1 inside the test process, each with its own store and port, peered as a chain.
@Suite("Federation between real nodes", .serialized)
struct FederationTests {
    /// One running node of a test network.
    final class TestPeer: Sendable {
        let directory: URL
        let key: NodeKey
        let profile: NodeProfile
        let port: Int
        let token: String
        let group: ServiceGroup
        let task: Task<Void, any Error>

        var url: String { "http://127.0.0.1:\(port)" }

        init(
            directory: URL,
            key: NodeKey,
            profile: NodeProfile,
            port: Int,
            token: String,
            group: ServiceGroup,
            task: Task<Void, any Error>
        ) {
            self.directory = directory
            self.key = key
            self.profile = profile
            self.port = port
            self.token = token
            self.group = group
            self.task = task
        }

        func stop() async {
            await group.triggerGracefulShutdown()
            _ = try? await task.value
        }
    }

    static let logger: Logger = {
        var logger = Logger(label: "concord.tests.federation")
        logger.logLevel = .critical
        return logger
    }()

    /// Starts a node on `directory` (made when missing) and `port` (0 for any), with `peers` as (id, url).
    static func start(
        _ directory: URL,
        key: NodeKey,
        jurisdiction: String,
        port: Int = 0,
        peers: [(String, String)] = [],
        role: TokenRole = .analyst,
        database: DatabaseLocation? = nil,
        configure: (inout NodeConfiguration) -> Void = { _ in }
    ) async throws -> TestPeer {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let database = database ?? .sqlite(path: directory.appendingPathComponent("concord.sqlite").path)
        let store = try await SQLStore.open(database, logger: logger)
        let secret = TokenSecret.generate()
        _ = try await store.addToken(id: secret.id, hash: secret.hash, role: role, label: "test")
        for (id, url) in peers { try await store.addPeer(nodeID: id, url: url) }
        await store.close()
        let profile = NodeProfile(organisation: "Node \(jurisdiction)", kind: .lawEnforcement, jurisdiction: jurisdiction)
        var configuration = NodeConfiguration(host: "127.0.0.1", port: port, key: key, profile: profile, database: database)
        configuration.pullInterval = .milliseconds(500)
        configure(&configuration)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = try await buildApplication(configuration: configuration, logger: logger) { continuation.yield($0) }
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        let bound = await iterator.next() ?? port
        return TestPeer(
            directory: directory,
            key: key,
            profile: profile,
            port: bound,
            token: secret.token,
            group: group,
            task: task
        )
    }

    static func call(
        _ client: HTTPClient,
        _ method: HTTPMethod,
        _ url: String,
        token: String,
        body: String? = nil,
        type: String? = nil
    )
        async throws -> (Int, [UInt8])
    {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let body {
            request.headers.add(name: "Content-Type", value: type ?? "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await client.execute(request, timeout: .seconds(10))
        return (Int(response.status.code), Array(try await response.body.collect(upTo: 16 << 20).readableBytesView))
    }

    /// Waits until `node` has read its stored reports and answers for campaigns.
    static func linked(_ client: HTTPClient, _ node: TestPeer) async throws {
        for _ in 0..<100 {
            if try await call(client, .GET, node.url + "/api/v1/campaigns", token: node.token).0 != 503 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("the node never finished reading its stored reports")
    }

    /// Whether `phone` checks flagged at `node`, polled until `deadline`.
    static func becomesFlagged(
        _ client: HTTPClient,
        _ node: TestPeer,
        _ phone: String,
        within seconds: Double
    ) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            let (_, body) = try await call(client, .GET, node.url + "/api/v1/check?kind=phone&value=\(phone)", token: node.token)
            if (try? JSONValue.parse(body))?["flagged"] == .bool(true) { return true }
            try await Task.sleep(for: .milliseconds(100))
        } while Date() < deadline
        return false
    }

    @Test("a GREEN indicator from A reaches C through B; a RED one for B stays at B; a restarted peer catches up")
    func chain() async throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("concord-fed-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let keys = (0..<3).map { _ in NodeKey() }
        let ports = try LoopbackPorts.free(3)
        let url = ports.map { "http://127.0.0.1:\($0)" }
        let a = try await Self.start(
            base.appendingPathComponent("a"),
            key: keys[0],
            jurisdiction: "TH",
            port: ports[0],
            peers: [(keys[1].nodeID, url[1])]
        )
        var b = try await Self.start(
            base.appendingPathComponent("b"),
            key: keys[1],
            jurisdiction: "AU",
            port: ports[1],
            peers: [(keys[0].nodeID, url[0]), (keys[2].nodeID, url[2])]
        )
        let c = try await Self.start(
            base.appendingPathComponent("c"),
            key: keys[2],
            jurisdiction: "FJ",
            port: ports[2],
            peers: [(keys[1].nodeID, url[1])]
        )
        let client = HTTPClient(eventLoopGroupProvider: .singleton)

        let lines = [
            #"{"kind":"phone","value":"081 555 1234","typology":"job","tlp":"green"}"#,
            #"{"kind":"phone","value":"081 555 9999","typology":"job","tlp":"red","audience":{"nodes":["\#(keys[1].nodeID)"]}}"#,
        ]
        let (status, _) = try await Self.call(
            client,
            .POST,
            a.url + "/api/v1/indicators",
            token: a.token,
            body: lines.joined(separator: "\n") + "\n",
            type: "application/x-ndjson"
        )
        #expect(status == 200)
        #expect(try await Self.becomesFlagged(client, c, "%2B66815551234", within: 5), "GREEN did not reach C through B")
        #expect(try await Self.becomesFlagged(client, b, "%2B66815559999", within: 5), "RED did not reach its named recipient B")
        // Give C's puller several rounds to show that RED never travels on.
        try await Task.sleep(for: .seconds(2))
        #expect(!(try await Self.becomesFlagged(client, c, "%2B66815559999", within: 0.1)), "RED was relayed to C")

        // B goes down; A writes; B comes back on the same store and port and catches up, with nothing twice.
        await b.stop()
        let more = (0..<50).map {
            #"{"kind":"phone","value":"0816\#(String(format: "%06d", $0))","typology":"loan","tlp":"green"}"#
        }
        _ = try await Self.call(
            client,
            .POST,
            a.url + "/api/v1/indicators",
            token: a.token,
            body: more.joined(separator: "\n"),
            type: "application/x-ndjson"
        )
        b = try await Self.start(base.appendingPathComponent("b"), key: keys[1], jurisdiction: "AU", port: ports[1])
        #expect(
            try await Self.becomesFlagged(client, c, "%2B66816000049", within: 10),
            "records written while B was down never reached C"
        )
        let (_, body) = try await Self.call(client, .GET, c.url + "/api/v1/check?kind=phone&value=%2B66816000000", token: c.token)
        #expect(
            (try? JSONValue.parse(body))?["indicators"] == .integer(1),
            "a record arrived twice: \(String(decoding: body, as: UTF8.self))"
        )

        try await client.shutdown()
        for node in [a, b, c] { await node.stop() }
    }

    @Test("a record labelled for a community reaches its members only, and the community is listed on both sides")
    func community() async throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("concord-fed-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let keys = (0..<3).map { _ in NodeKey() }
        let ports = try LoopbackPorts.free(3)
        let url = ports.map { "http://127.0.0.1:\($0)" }
        let steward = try await Self.start(
            base.appendingPathComponent("a"),
            key: keys[0],
            jurisdiction: "TH",
            port: ports[0],
            peers: [(keys[1].nodeID, url[1]), (keys[2].nodeID, url[2])],
            role: .admin
        )
        let member = try await Self.start(
            base.appendingPathComponent("b"),
            key: keys[1],
            jurisdiction: "AU",
            port: ports[1],
            peers: [(keys[0].nodeID, url[0])]
        )
        let outsider = try await Self.start(
            base.appendingPathComponent("c"),
            key: keys[2],
            jurisdiction: "FJ",
            port: ports[2],
            peers: [(keys[0].nodeID, url[0])]
        )
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let declaration = #"{"name":"pacific-partners","title":"Pacific partners","members":["\#(keys[1].nodeID)"]}"#
        let (declared, _) = try await Self.call(
            client,
            .POST,
            steward.url + "/api/v1/communities",
            token: steward.token,
            body: declaration
        )
        #expect(declared == 201)
        let lines = [
            #"{"kind":"phone","value":"081 777 1234","typology":"romance","tlp":"green","audience":{"communities":["pacific-partners"]}}"#,
            #"{"kind":"phone","value":"081 777 5678","typology":"romance","tlp":"green"}"#,
        ]
        let (status, _) = try await Self.call(
            client,
            .POST,
            steward.url + "/api/v1/indicators",
            token: steward.token,
            body: lines.joined(separator: "\n"),
            type: "application/x-ndjson"
        )
        #expect(status == 200)
        #expect(try await Self.becomesFlagged(client, member, "%2B66817771234", within: 5), "the member did not receive it")
        // The outsider pulls the same log: it gets the unlabelled record, never the community one.
        #expect(try await Self.becomesFlagged(client, outsider, "%2B66817775678", within: 5), "the outsider pulls nothing")
        #expect(!(try await Self.becomesFlagged(client, outsider, "%2B66817771234", within: 1)), "the outsider got it")

        let (_, listed) = try await Self.call(client, .GET, member.url + "/api/v1/communities", token: member.token)
        let community = (try JSONValue.parse(listed))["communities"]?.arrayValue?.first
        #expect(community?["name"] == .string("pacific-partners"))
        #expect(community?["this_node_is_member"] == .bool(true))
        #expect(community?["members"]?.arrayValue?.count == 2)

        // The outsider's view of its peer: it has scanned the steward's whole log (the record it was not sent
        // included), so it is not behind.
        let store = try await SQLStore.open(
            .sqlite(path: base.appendingPathComponent("c/concord.sqlite").path),
            logger: Self.logger
        )
        let peers = try await store.peers()
        await store.close()
        #expect(peers.first?.head != nil)
        #expect(peers.first?.behind == 0)

        try await client.shutdown()
        for node in [steward, member, outsider] { await node.stop() }
    }

    @Test("cross-border alerts are still listed after the node restarts, and numbering goes on after them")
    func alertsSurviveRestart() async throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("concord-alerts-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let key = NodeKey()
        let port = try LoopbackPorts.free(1)[0]
        var node = try await Self.start(base, key: key, jurisdiction: "TH", port: port)
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        func report(_ jurisdiction: String, _ phone: String) async throws {
            let body =
                #"{"typology":"job","jurisdiction":"\#(jurisdiction)","identifiers":[{"kind":"phone","value":"\#(phone)"}]}"#
            let (status, _) = try await Self.call(client, .POST, node.url + "/api/v1/reports", token: node.token, body: body)
            #expect(status == 201)
        }
        try await report("TH", "081 999 0001")
        try await report("MY", "+66 81 999 0001")
        try await Self.linked(client, node)
        let (_, before) = try await Self.call(client, .GET, node.url + "/api/v1/alerts", token: node.token)
        let first = try JSONValue.parse(before)["alerts"]?.arrayValue ?? []
        #expect(first.count == 1)
        // Stopping at once loses nothing: the analysis service stores every raised alert before it returns.
        await node.stop()

        node = try await Self.start(base, key: key, jurisdiction: "TH", port: port)
        try await Self.linked(client, node)
        let (_, after) = try await Self.call(client, .GET, node.url + "/api/v1/alerts", token: node.token)
        #expect((try JSONValue.parse(after)["alerts"]?.arrayValue ?? []) == first)
        try await report("PH", "+66 81 999 0001")
        let (_, later) = try await Self.call(client, .GET, node.url + "/api/v1/alerts?after=1", token: node.token)
        let next = try JSONValue.parse(later)["alerts"]?.arrayValue ?? []
        #expect(next.first?["sequence"] == .integer(2))
        #expect(next.first?["new_jurisdictions"] == .array([.string("PH")]))
        try await client.shutdown()
        await node.stop()
    }

    @Test("a report arriving while the node reads its stored reports still raises its cross-border alert")
    func alertDuringLoad() async throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("concord-load-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let key = NodeKey()
        // A store with history: a few thousand reports, one of them naming the number.
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        let store = try await SQLStore.open(
            .sqlite(path: base.appendingPathComponent("concord.sqlite").path),
            logger: Self.logger
        )
        var generator = SyntheticReports(seed: 5, jurisdictions: ["TH"])
        var drafts = try (0..<3000).map { _ in try RecordInput.report(generator.next(), nodeJurisdiction: "TH") }
        drafts.append(
            try RecordInput.report(
                try JSONValue.parse(Array(#"{"typology":"job","identifiers":[{"kind":"phone","value":"081 424 2424"}]}"#.utf8)),
                nodeJurisdiction: "TH"
            )
        )
        _ = try await Ledger(store: store, logger: Self.logger).append(await RecordDraft.signAll(drafts, with: key))
        await store.close()

        let node = try await Self.start(base, key: key, jurisdiction: "TH")
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let body = #"{"typology":"job","jurisdiction":"MY","identifiers":[{"kind":"phone","value":"+66 81 424 2424"}]}"#
        let (status, answer) = try await Self.call(client, .POST, node.url + "/api/v1/reports", token: node.token, body: body)
        #expect(status == 201)
        let id = try JSONValue.parse(answer)["id"]?.stringValue
        try await Self.linked(client, node)
        let (_, listed) = try await Self.call(client, .GET, node.url + "/api/v1/alerts", token: node.token)
        let alerts = try JSONValue.parse(listed)["alerts"]?.arrayValue ?? []
        #expect(alerts.contains { $0["report_id"]?.stringValue == id }, "no alert for the report: \(alerts)")
        try await client.shutdown()
        await node.stop()
    }

    @Test("a retracted report leaves its campaign and the landscape within a few seconds")
    func retractionLeavesAnalysis() async throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("concord-retract-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let node = try await Self.start(base, key: NodeKey(), jurisdiction: "TH")
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        var ids: [String] = []
        for _ in 0..<2 {
            let body = #"{"typology":"loan","occurred_at":"2026-09-01","identifiers":[{"kind":"phone","value":"081 777 0001"}]}"#
            let (_, answer) = try await Self.call(client, .POST, node.url + "/api/v1/reports", token: node.token, body: body)
            ids.append(try JSONValue.parse(answer)["id"]?.stringValue ?? "")
        }
        let (status, _) = try await Self.call(
            client,
            .POST,
            node.url + "/api/v1/records/\(ids[1])/retract",
            token: node.token,
            body: #"{"reason":"filed twice"}"#
        )
        #expect(status == 201)
        var reports: Int64 = -1
        var campaigns = -1
        let deadline = Date().addingTimeInterval(5)
        repeat {
            try await Task.sleep(for: .milliseconds(200))
            let (_, landscape) = try await Self.call(client, .GET, node.url + "/api/v1/landscape?scope=node", token: node.token)
            reports = try JSONValue.parse(landscape)["cells"]?.arrayValue?.first?["reports"]?.integerValue ?? -1
            let (_, listed) = try await Self.call(client, .GET, node.url + "/api/v1/campaigns", token: node.token)
            campaigns = try JSONValue.parse(listed)["campaigns"]?.arrayValue?.count ?? -1
        } while (reports != 1 || campaigns != 0) && Date() < deadline
        #expect(reports == 1, "the landscape still counts the retracted report")
        #expect(campaigns == 0, "the retracted report still links a campaign")
        try await client.shutdown()
        await node.stop()
    }

    @Test("a withdrawn record is not served to peers: a peer that pulls afterwards gets the retraction, not the body")
    func withdrawnNotServed() async throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("concord-fed-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let keys = (0..<2).map { _ in NodeKey() }
        let ports = try LoopbackPorts.free(2)
        let a = try await Self.start(
            base.appendingPathComponent("a"),
            key: keys[0],
            jurisdiction: "TH",
            port: ports[0],
            peers: [(keys[1].nodeID, "http://127.0.0.1:\(ports[1])")]
        )
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let lines = [
            #"{"kind":"phone","value":"081 777 0001","typology":"job","tlp":"green"}"#,
            #"{"kind":"phone","value":"081 777 0002","typology":"job","tlp":"green"}"#,
        ]
        let (_, answer) = try await Self.call(
            client,
            .POST,
            a.url + "/api/v1/indicators",
            token: a.token,
            body: lines.joined(separator: "\n"),
            type: "application/x-ndjson"
        )
        let ids = answer.split(separator: UInt8(ascii: "\n")).compactMap { try? JSONValue.parse(Array($0))["id"]?.stringValue }
        #expect(ids.count == 2, "\(String(decoding: answer, as: UTF8.self))")
        let (status, _) = try await Self.call(
            client,
            .POST,
            a.url + "/api/v1/records/\(ids.first ?? "")/retract",
            token: a.token,
            body: #"{"reason":"wrong number"}"#
        )
        #expect(status == 201)
        let b = try await Self.start(
            base.appendingPathComponent("b"),
            key: keys[1],
            jurisdiction: "AU",
            port: ports[1],
            peers: [(keys[0].nodeID, a.url)]
        )
        #expect(try await Self.becomesFlagged(client, b, "%2B66817770002", within: 10))
        let (_, held) = try await Self.call(client, .GET, b.url + "/api/v1/records?origin=\(keys[0].nodeID)", token: b.token)
        let records = try JSONValue.parse(held)["records"]?.arrayValue ?? []
        let kinds = records.compactMap { $0["content"]?["kind"]?.stringValue }.sorted()
        #expect(kinds == ["indicator", "retraction"], "\(kinds)")
        #expect(!records.contains { $0["id"]?.stringValue == ids.first }, "the withdrawn body was served")
        try await client.shutdown()
        for node in [a, b] { await node.stop() }
    }

    @Test("requests from a node that is not a peer, unsigned or replayed are refused as problem+json")
    func refusals() async throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("concord-fed-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let peerKey = NodeKey()
        let node = try await Self.start(
            base.appendingPathComponent("n"),
            key: NodeKey(),
            jurisdiction: "TH",
            peers: [(peerKey.nodeID, "http://127.0.0.1:9")]
        )
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        // Unsigned.
        var request = HTTPClientRequest(url: node.url + "/federation/v1/records?after=0")
        var response = try await http.execute(request, timeout: .seconds(10))
        var body = try await response.body.collect(upTo: 1 << 20)
        #expect(response.status == .unauthorized)
        #expect(response.headers.first(name: "Content-Type") == "application/problem+json")
        // Signed by a stranger.
        let stranger = PeerClient(http: http, key: NodeKey())
        #expect(
            try await stranger.send(
                .GET,
                base: node.url,
                path: "/federation/v1/records",
                query: "after=0",
                target: node.key.nodeID
            ).status
                == 403
        )
        // Signed by the peer but for another node (a request replayed across nodes).
        let peer = PeerClient(http: http, key: peerKey)
        #expect(
            try await peer.send(.GET, base: node.url, path: "/federation/v1/records", query: "after=0", target: NodeKey().nodeID)
                .status
                == 401
        )
        // Signed by the peer: served; the same signed request sent again is refused as a replay.
        #expect(
            try await peer.send(.GET, base: node.url, path: "/federation/v1/records", query: "after=0", target: node.key.nodeID)
                .status
                == 200
        )
        let digestless = HTTPMessageSignature.sign(
            method: "GET",
            path: "/federation/v1/records",
            query: "after=0",
            contentDigest: nil,
            keyID: peerKey.nodeID,
            created: .now(),
            nonce: "fixed-nonce",
            key: peerKey,
            tag: node.key.nodeID
        )
        for expected in [HTTPResponseStatus.ok, .unauthorized] {
            request = HTTPClientRequest(url: node.url + "/federation/v1/records?after=0")
            request.headers.add(name: "Signature-Input", value: digestless.signatureInput)
            request.headers.add(name: "Signature", value: digestless.signature)
            request.headers.add(name: "Concord-Public-Key", value: ByteText.base64url(peerKey.publicKey))
            response = try await http.execute(request, timeout: .seconds(10))
            body = try await response.body.collect(upTo: 1 << 20)
            #expect(response.status == expected, "\(String(buffer: body))")
        }
        // The same request replayed after the node restarts is still refused: seen nonces are in the store.
        await node.stop()
        let again = try await Self.start(base.appendingPathComponent("n"), key: node.key, jurisdiction: "TH", port: node.port)
        request = HTTPClientRequest(url: again.url + "/federation/v1/records?after=0")
        request.headers.add(name: "Signature-Input", value: digestless.signatureInput)
        request.headers.add(name: "Signature", value: digestless.signature)
        request.headers.add(name: "Concord-Public-Key", value: ByteText.base64url(peerKey.publicKey))
        response = try await http.execute(request, timeout: .seconds(10))
        body = try await response.body.collect(upTo: 1 << 20)
        #expect(response.status == .unauthorized, "replayed after a restart: \(String(buffer: body))")
        #expect(String(buffer: body).contains("replayed"))
        try await http.shutdown()
        await again.stop()
    }
}
