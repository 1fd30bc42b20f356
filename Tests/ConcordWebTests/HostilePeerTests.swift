import AsyncHTTPClient
import ConcordCore
import ConcordFederation
import ConcordStore
import ConcordWeb
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization
import Testing

/// A peer that serves crafted records, signed with its own key, leaves the receiving node up, serving checks,
/// restartable, and still taking the peer's good records.
@Suite("A hostile peer", .serialized)
struct HostilePeerTests {
    typealias Node = FederationTests.TestPeer

    static let green = SharingLabel(tlp: .green, audience: Audience(), relay: true)

    /// A report body as this node would write it, with `identifiers` (kind, canonical value) and changes.
    static func report(_ identifiers: [(String, String)], _ change: (inout [String: JSONValue]) -> Void = { _ in }) -> JSONValue {
        var body: [String: JSONValue] = [
            "typology": .string("investment"), "jurisdiction": .string("TH"), "victims": .integer(1),
            "identifiers": .array(
                identifiers.map { .object(["kind": .string($0.0), "value": .string($0.1), "role": .string("contact")]) }
            ),
        ]
        change(&body)
        return .object(body)
    }

    /// The crafted records the hostile node holds, in log order, with a good record first and last.
    static func craftedRecords(_ key: NodeKey) -> [Record] {
        let punycode = "xn--" + String(repeating: "a", count: 600_000) + ".example"
        let bodies: [JSONValue] = [
            report([("phone", "+66811110001")]),
            report([("phone", "+66811110002")]) {
                $0["loss"] = .object(["amount": .string("100000000000.00000000"), "currency": .string("BTC")])
            },
            report([("domain", String(repeating: "a", count: 70_000) + ".example")]),
            report([("phone", "+66811110003")]) { $0["narrative"] = .string("call\u{0}now") },
            report([("domain", "nul\u{0}host.example")]),
            report([("domain", punycode)]),
            report([("phone", "+66811110004")]) { $0["extra"] = .string("not a field") },
            report([("phone", "+66811110009")]),
        ]
        return bodies.map { Record.make(kind: .report, body: $0, label: green, key: key) }
    }

    static func checkFlagged(_ client: HTTPClient, _ node: Node, _ phone: String) async throws -> Bool {
        let (_, body) = try await FederationTests.call(
            client,
            .GET,
            node.url + "/api/v1/check?kind=phone&value=%2B" + phone.dropFirst(),
            token: node.token
        )
        return (try? JSONValue.parse(body))?["flagged"] == .bool(true)
    }

    /// How many records of `origin` `node` holds, through its API.
    static func held(_ client: HTTPClient, _ node: Node, origin: String) async throws -> Int {
        let (_, body) = try await FederationTests.call(
            client,
            .GET,
            node.url + "/api/v1/records?origin=\(origin)&limit=1000",
            token: node.token
        )
        return try JSONValue.parse(body)["records"]?.arrayValue?.count ?? -1
    }

    /// Where the receiving node keeps its records: SQLite always, and a fresh PostgreSQL schema as well when
    /// CONCORD_TEST_POSTGRES_URL names a server, since NUL bytes and oversized keys fail there differently.
    static var receivingStores: [String] {
        ProcessInfo.processInfo.environment["CONCORD_TEST_POSTGRES_URL"] == nil ? ["sqlite"] : ["sqlite", "postgres"]
    }

    static func receivingStore(_ name: String, in directory: URL) -> DatabaseLocation {
        guard name == "postgres", let url = ProcessInfo.processInfo.environment["CONCORD_TEST_POSTGRES_URL"] else {
            return .sqlite(path: directory.appendingPathComponent("concord.sqlite").path)
        }
        let unique = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        return .postgres(url: url, schema: "hostile_\(unique.prefix(16))")
    }

    @Test(
        "crafted records (huge amounts, 70 KB identifiers, NUL bytes, 600 KB punycode) are refused; good ones still arrive",
        arguments: receivingStores
    )
    func craftedRecordsAreRefused(_ storeName: String) async throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("concord-hostile-\(UUID().uuidString)")
        let victimStore = Self.receivingStore(storeName, in: base.appendingPathComponent("victim"))
        defer { try? FileManager.default.removeItem(at: base) }
        let hostileKey = NodeKey()
        let victimKey = NodeKey()
        let ports = try LoopbackPorts.free(2)
        // The hostile node's store holds the crafted records, written past its API; it must start on them too.
        let hostileDirectory = base.appendingPathComponent("hostile")
        try FileManager.default.createDirectory(at: hostileDirectory, withIntermediateDirectories: true)
        let store = try await SQLStore.open(
            .sqlite(path: hostileDirectory.appendingPathComponent("concord.sqlite").path),
            logger: FederationTests.logger
        )
        let crafted = Self.craftedRecords(hostileKey)
        _ = try await store.append(crafted)
        await store.close()

        var hostile = try await FederationTests.start(
            hostileDirectory,
            key: hostileKey,
            jurisdiction: "TH",
            port: ports[0],
            peers: [(victimKey.nodeID, "http://127.0.0.1:\(ports[1])")]
        )
        var victim = try await FederationTests.start(
            base.appendingPathComponent("victim"),
            key: victimKey,
            jurisdiction: "AU",
            port: ports[1],
            peers: [(hostileKey.nodeID, hostile.url)],
            database: victimStore
        )
        let client = HTTPClient(eventLoopGroupProvider: .singleton)

        // The last good record comes after every crafted one: its arrival shows the cursor moved past them.
        #expect(try await FederationTests.becomesFlagged(client, victim, "%2B66811110009", within: 10))
        #expect(try await Self.checkFlagged(client, victim, "+66811110001"))
        for phone in ["+66811110002", "+66811110003", "+66811110004"] {
            #expect(!(try await Self.checkFlagged(client, victim, phone)), "\(phone) was taken from a crafted record")
        }
        #expect(try await Self.held(client, victim, origin: hostileKey.nodeID) == 2)

        // Both nodes restart on what they hold and still answer.
        await victim.stop()
        await hostile.stop()
        hostile = try await FederationTests.start(hostileDirectory, key: hostileKey, jurisdiction: "TH", port: ports[0])
        victim = try await FederationTests.start(
            base.appendingPathComponent("victim"),
            key: victimKey,
            jurisdiction: "AU",
            port: ports[1],
            database: victimStore
        )
        #expect(try await Self.checkFlagged(client, victim, "+66811110009"))
        #expect(try await Self.checkFlagged(client, hostile, "+66811110009"))

        // A good record filed through the hostile node's API afterwards still reaches the victim.
        let (status, _) = try await FederationTests.call(
            client,
            .POST,
            hostile.url + "/api/v1/indicators",
            token: hostile.token,
            body: #"{"kind":"phone","value":"+66811110010","typology":"job","tlp":"green"}"#,
            type: "application/x-ndjson"
        )
        #expect(status == 200)
        #expect(try await FederationTests.becomesFlagged(client, victim, "%2B66811110010", within: 10))

        try await client.shutdown()
        await victim.stop()
        await hostile.stop()
    }

    @Test("a page of a million records, against a limit of a thousand, is cut and the pull goes on from where it stopped")
    func millionRecordPage() async throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("concord-hostile-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let feedKey = NodeKey()
        let victimKey = NodeKey()
        let good = (0..<3).map { n in
            Record.make(kind: .report, body: Self.report([("phone", "+6681222000\(n)")]), label: Self.green, key: feedKey)
        }
        let served = ServedLines()
        // A server that signs its profile like a node but answers every feed request with a million lines.
        let router = Router()
        router.get("federation/v1/node") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/json"],
                body: ResponseBody(
                    byteBuffer: ByteBuffer(
                        bytes: SignedProfile.make(
                            profile: NodeProfile(organisation: "Flood", kind: .platform, jurisdiction: "TH"),
                            key: feedKey
                        ).canonicalData
                    )
                )
            )
        }
        router.post("federation/v1/nudge") { _, _ in Response(status: .accepted) }
        router.get("federation/v1/records") { request, _ -> Response in
            let after = Int64(request.uri.queryParameters["after"].map(String.init) ?? "0") ?? 0
            return Response(
                status: .ok,
                headers: [.contentType: "application/x-ndjson"],
                body: ResponseBody { writer in
                    var sequence = after
                    for _ in 0..<1_000 {
                        var chunk: [UInt8] = []
                        for _ in 0..<1_000 {
                            sequence += 1
                            RecordFeedLine.record(sequence: sequence, hops: 0, record: good[Int(sequence % 3)])
                                .appendCanonical(to: &chunk)
                            chunk.append(UInt8(ascii: "\n"))
                        }
                        try await writer.write(ByteBuffer(bytes: chunk))
                        served.add(1_000)
                    }
                    try await writer.finish(nil)
                    served.completed()
                }
            )
        }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let flood = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) },
            logger: FederationTests.logger
        )
        let group = ServiceGroup(configuration: .init(services: [flood], logger: FederationTests.logger))
        let task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())

        let victim = try await FederationTests.start(
            base.appendingPathComponent("victim"),
            key: victimKey,
            jurisdiction: "AU",
            peers: [(feedKey.nodeID, "http://127.0.0.1:\(port)")]
        )
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        #expect(try await FederationTests.becomesFlagged(client, victim, "%2B66812220002", within: 10))
        // The cursor moved on from the cut pages.
        let reader = try await SQLStore.open(
            .sqlite(path: base.appendingPathComponent("victim/concord.sqlite").path),
            logger: FederationTests.logger
        )
        var cursor: Int64 = 0
        for _ in 0..<50 {
            cursor = try await reader.peer(nodeID: feedKey.nodeID)?.cursor ?? 0
            if cursor >= 2_000 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        await reader.close()
        #expect(cursor >= 2_000, "the cursor stayed at \(cursor)")
        #expect(try await Self.held(client, victim, origin: feedKey.nodeID) == 3)
        // No answer was read to its end: each pull stopped after a page's worth and closed the connection.
        #expect(served.complete == 0, "the node read a million-line answer to its end")
        let (health, _) = try await FederationTests.call(client, .GET, victim.url + "/healthz", token: victim.token)
        #expect(health == 200)

        try await client.shutdown()
        await victim.stop()
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}

/// Counts the feed lines the flooding server wrote, and the answers it wrote to their end.
final class ServedLines: Sendable {
    private let total = Mutex((lines: 0, complete: 0))

    func add(_ n: Int) { total.withLock { $0.lines += n } }

    func completed() { total.withLock { $0.complete += 1 } }

    var complete: Int { total.withLock { $0.complete } }
}
