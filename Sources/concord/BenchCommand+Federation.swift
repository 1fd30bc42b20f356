import ArgumentParser
import AsyncHTTPClient
import ConcordCore
import ConcordStore
import ConcordWeb
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle

extension BenchCommand {
    struct Federation: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "federation",
            abstract: "Propagation latency across a network of nodes on loopback, and verified records/s over one link."
        )

        @Option(help: "Nodes in the network (a ring with chords, three or four peers each).")
        var nodes: Int = 20

        @Option(help: "Records published, one every 50 ms, for the latency figures.")
        var records: Int = 50

        @Option(help: "Records waiting on one node for the single-link throughput run.")
        var linkRecords: Int = 50_000

        struct Node {
            let url: String
            let token: String
            let key: NodeKey
        }

        /// Starts `keys.count` nodes with `links` as peerings and `seed` records already in the first node.
        func network(
            _ keys: [NodeKey],
            links: [(Int, Int)],
            seed: [Record] = [],
            logger: Logger
        ) async throws
            -> (nodes: [Node], group: ServiceGroup, root: URL)
        {
            let root = FileManager.default.temporaryDirectory.appendingPathComponent(
                "concord-fedbench-\(UInt32.random(in: 0...UInt32.max))"
            )
            let ports = try LoopbackPorts.free(keys.count)
            let urls = ports.map { "http://127.0.0.1:\($0)" }
            var nodes: [Node] = []
            var services: [any Service] = []
            for (n, key) in keys.enumerated() {
                let directory = root.appendingPathComponent("n\(n)")
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                let database = DatabaseLocation.sqlite(path: directory.appendingPathComponent("concord.sqlite").path)
                let store = try await SQLStore.open(database, logger: logger)
                let secret = TokenSecret.generate()
                _ = try await store.addToken(id: secret.id, hash: secret.hash, role: .analyst, label: "bench")
                for (a, b) in links where a == n || b == n {
                    try await store.addPeer(nodeID: keys[a == n ? b : a].nodeID, url: urls[a == n ? b : a])
                }
                if n == 0 && !seed.isEmpty {
                    for start in stride(from: 0, to: seed.count, by: 5000) {
                        _ = try await store.append(Array(seed[start..<min(start + 5000, seed.count)]))
                    }
                }
                await store.close()
                var configuration = NodeConfiguration(
                    host: "127.0.0.1",
                    port: ports[n],
                    key: key,
                    profile: NodeProfile(organisation: "bench \(n)", kind: .lawEnforcement, jurisdiction: "TH"),
                    database: database
                )
                // A long safety-net interval: nudges alone must carry records across.
                configuration.pullInterval = .seconds(30)
                services.append(try await buildApplication(configuration: configuration, logger: logger))
                nodes.append(Node(url: urls[n], token: secret.token, key: key))
            }
            return (nodes, ServiceGroup(configuration: .init(services: services, logger: logger)), root)
        }

        func json(_ client: HTTPClient, _ url: String, token: String, post body: String? = nil) async throws -> JSONValue {
            var request = HTTPClientRequest(url: url)
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            if let body {
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(string: body))
            }
            let response = try await client.execute(request, timeout: .seconds(30))
            return try JSONValue.parse(Array(try await response.body.collect(upTo: 8 << 20).readableBytesView))
        }

        /// Waits until every node holds at least `count` records; false after `limit`.
        func waitForAll(_ client: HTTPClient, _ nodes: [Node], count: Int64, limit: Duration) async throws -> Bool {
            let start = ContinuousClock.now
            while ContinuousClock.now - start < limit {
                var done = true
                for node in nodes {
                    if (try? await json(client, node.url + "/readyz", token: node.token))?["log_sequence"]?.integerValue ?? 0
                        < count
                    {
                        done = false
                        break
                    }
                }
                if done { return true }
                try await Task.sleep(for: .milliseconds(100))
            }
            return false
        }

        func percentile(_ values: [Double], _ p: Double) -> Double {
            let sorted = values.sorted()
            guard !sorted.isEmpty else { return .nan }
            return sorted[min(sorted.count - 1, Int((p * Double(sorted.count)).rounded(.up)) - 1)]
        }

        func run() async throws {
            let logger = makeLogger(level: .error)
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            // Latency: a ring with chords.
            let keys = (0..<nodes).map { _ in NodeKey() }
            // A partial mesh whose diameter stays within the hop limit: neighbours, plus chords a quarter and half
            // of the way round.
            var linkSet = Set<[Int]>()
            for n in 0..<nodes {
                for step in [1, max(2, nodes / 4)] where nodes > step { linkSet.insert([n, (n + step) % nodes].sorted()) }
                if n % 2 == 0 && nodes > 2 { linkSet.insert([n, (n + nodes / 2) % nodes].sorted()) }
            }
            let links = linkSet.filter { $0[0] != $0[1] }.sorted { $0.lexicographicallyPrecedes($1) }.map { ($0[0], $0[1]) }
            let (net, group, root) = try await network(keys, links: links, logger: logger)
            let task = Task { try await group.run() }
            try await Task.sleep(for: .seconds(1))
            var published: [(id: String, created: Int64)] = []
            for r in 0..<records {
                let body =
                    #"{"typology":"job","tlp":"green","identifiers":[{"kind":"phone","value":"+6681\#(String(format: "%07d", r))"}]}"#
                let answer = try await json(client, net[0].url + "/api/v1/reports", token: net[0].token, post: body)
                if let id = answer["id"]?.stringValue,
                    let created = answer["content"]?["created"]?.stringValue.flatMap(Timestamp.init(rfc3339:))
                {
                    published.append((id, created.milliseconds))
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            // Done when the last record published is flagged everywhere.
            var arrived = false
            let waitStart = ContinuousClock.now
            let lastPhone = "%2B6681\(String(format: "%07d", records - 1))"
            while !arrived && ContinuousClock.now - waitStart < .seconds(60) {
                arrived = true
                for node in net where arrived {
                    let answer = try? await json(
                        client,
                        node.url + "/api/v1/check?kind=phone&value=\(lastPhone)",
                        token: node.token
                    )
                    if answer?["flagged"] != .bool(true) { arrived = false }
                }
                if !arrived { try await Task.sleep(for: .milliseconds(100)) }
            }
            if !arrived {
                var held: [String] = []
                for (n, node) in net.enumerated() {
                    let count =
                        (try? await json(client, node.url + "/readyz", token: node.token))?["log_sequence"]?.integerValue ?? -1
                    held.append("\(n):\(count)")
                }
                printLine("federation: records held by node: " + held.joined(separator: " ") + " (stores kept in \(root.path))")
            }
            var perPair: [Double] = []
            var everyNode: [Double] = []
            for record in published {
                var worst = 0.0
                for node in net.dropFirst() {
                    let stored = try await json(client, node.url + "/api/v1/records/\(record.id)", token: node.token)
                    guard let received = stored["received"]?.stringValue.flatMap(Timestamp.init(rfc3339:)) else { continue }
                    let latency = Double(received.milliseconds - record.created) / 1000
                    perPair.append(latency)
                    worst = max(worst, latency)
                }
                everyNode.append(worst)
            }
            printLine(
                "federation: \(nodes) nodes, \(links.count) peerings, \(published.count) records published at one node\(arrived ? "" : " (NOT all arrived within 60 s)")"
            )
            printLine(
                String(
                    format: "federation: origin to every node: p50 %.3f s, p99 %.3f s, max %.3f s",
                    percentile(everyNode, 0.5),
                    percentile(everyNode, 0.99),
                    everyNode.max() ?? .nan
                )
            )
            printLine(
                String(
                    format: "federation: origin to each node: p50 %.3f s, p99 %.3f s (%d arrivals)",
                    percentile(perPair, 0.5),
                    percentile(perPair, 0.99),
                    perPair.count
                )
            )
            await group.triggerGracefulShutdown()
            _ = try? await task.value
            if arrived { try? FileManager.default.removeItem(at: root) }

            // One link: B pulls, verifies and stores what A holds.
            let linkKeys = [NodeKey(), NodeKey()]
            var drafts: [RecordDraft] = []
            for n in 0..<linkRecords {
                drafts.append(
                    try RecordInput.indicator(
                        .object([
                            "kind": .string("phone"), "value": .string("+6682\(String(format: "%07d", n))"),
                            "typology": .string("job"), "tlp": .string("green"),
                        ]),
                        nodeJurisdiction: "TH"
                    )
                )
            }
            let seed = await RecordDraft.signAll(drafts, with: linkKeys[0])
            let (pair, pairGroup, pairRoot) = try await network(linkKeys, links: [(0, 1)], seed: seed, logger: logger)
            let started = ContinuousClock.now
            let pairTask = Task { try await pairGroup.run() }
            // Sequence numbers are contiguous here: every record is new to B.
            let done = try await waitForAll(client, pair, count: Int64(linkRecords), limit: .seconds(300))
            let elapsed = seconds(ContinuousClock.now - started)
            printLine(
                "federation: one link: \(linkRecords) records pulled, verified and stored in \(String(format: "%.2f", elapsed)) s: \(format(Double(linkRecords) / elapsed)) records/s\(done ? "" : " (did NOT finish)")"
            )
            await pairGroup.triggerGracefulShutdown()
            _ = try? await pairTask.value
            try? FileManager.default.removeItem(at: pairRoot)
            try await client.shutdown()
        }
    }
}
