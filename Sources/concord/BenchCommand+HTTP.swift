import ArgumentParser
import AsyncHTTPClient
import ConcordCore
import ConcordStore
import ConcordWeb
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// A node for HTTP benchmarks: a temporary store seeded with `identifiers` phone numbers, served on loopback.
struct BenchNode {
    let url: String
    let token: String
    let group: ServiceGroup
    let directory: URL
    /// Canonical numbers that are in the index.
    static func flaggedPhone(_ n: Int) -> String { "+6681\(String(format: "%07d", n))" }
    /// Canonical numbers that are not.
    static func cleanPhone(_ n: Int) -> String { "+6682\(String(format: "%07d", n))" }

    static func start(identifiers: Int, logger: Logger) async throws -> (BenchNode, Task<Void, any Error>) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "concord-bench-\(UInt32.random(in: 0...UInt32.max))"
        )
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let database = DatabaseLocation.sqlite(path: dir.appendingPathComponent("concord.sqlite").path)
        let key = NodeKey()
        let store = try await SQLStore.open(database, logger: logger)
        let ledger = Ledger(store: store, logger: logger)
        let secret = TokenSecret.generate()
        _ = try await store.addToken(id: secret.id, hash: secret.hash, role: .checker, label: "bench", scope: .all)
        try await seed(ledger, key: key, count: identifiers) { Identifier(kind: .phone, canonical: flaggedPhone($0)) }
        await store.close()
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let profile = NodeProfile(organisation: "Bench", kind: .antiScamCentre, jurisdiction: "TH")
        let app = try await buildApplication(
            configuration: NodeConfiguration(host: "127.0.0.1", port: 0, key: key, profile: profile, database: database),
            logger: logger
        ) { continuation.yield($0) }
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw ValidationError("the bench node did not start") }
        return (BenchNode(url: "http://127.0.0.1:\(port)", token: secret.token, group: group, directory: dir), task)
    }

    func stop(_ task: Task<Void, any Error>) async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
        try? FileManager.default.removeItem(at: directory)
    }
}

extension BenchCommand {
    struct HTTPBatch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "http-batch",
            abstract: "Check a large batch over HTTP as streamed NDJSON, and a 100k JSON batch."
        )

        @Option(help: "Identifiers in the node's index.")
        var indexed: Int = 1_000_000

        @Option(help: "Identifiers in the streamed batch (half flagged, half clean).")
        var batch: Int = 1_000_000

        @Option(help: "Timed runs of each batch; the best and the median are reported.")
        var runs: Int = 3

        func run() async throws {
            let logger = makeLogger(level: .warning)
            let seeded = ContinuousClock.now
            let (node, task) = try await BenchNode.start(identifiers: indexed, logger: logger)
            printLine(
                "http-batch: node with \(format(Double(indexed))) identifiers ready in \(String(format: "%.1f", seconds(ContinuousClock.now - seeded))) s"
            )
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            var ndjson = ByteBuffer()
            ndjson.reserveCapacity(batch * 40)
            for n in 0..<batch {
                let phone = n % 2 == 0 ? BenchNode.flaggedPhone(n / 2 % max(1, indexed)) : BenchNode.cleanPhone(n / 2)
                ndjson.writeString("{\"kind\":\"phone\",\"value\":\"\(phone)\"}\n")
            }
            var times: [Double] = []
            for _ in 0..<runs {
                var request = HTTPClientRequest(url: node.url + "/api/v1/check")
                request.method = .POST
                request.headers.add(name: "Authorization", value: "Bearer \(node.token)")
                request.headers.add(name: "Content-Type", value: "application/x-ndjson")
                request.body = .bytes(ndjson)
                let started = ContinuousClock.now
                let response = try await client.execute(request, timeout: .seconds(300))
                var lines = 0
                var flagged = 0
                // Count answers and flagged ones byte by byte, carrying a partial match across chunks.
                let needle = Array("\"flagged\":true".utf8)
                var matched = 0
                for try await chunk in response.body {
                    chunk.withUnsafeReadableBytes { raw in
                        for byte in raw {
                            if byte == UInt8(ascii: "\n") { lines += 1 }
                            if byte == needle[matched] {
                                matched += 1
                                if matched == needle.count {
                                    flagged += 1
                                    matched = 0
                                }
                            } else {
                                matched = byte == needle[0] ? 1 : 0
                            }
                        }
                    }
                }
                let elapsed = seconds(ContinuousClock.now - started)
                guard lines == batch else { throw ValidationError("expected \(batch) answers, got \(lines)") }
                times.append(elapsed)
                printLine(
                    "http-batch: \(format(Double(batch))) identifiers checked over HTTP (NDJSON) in \(String(format: "%.2f", elapsed)) s, \(flagged) flagged"
                )
            }
            times.sort()
            printLine(
                "http-batch: in-process client: best \(String(format: "%.2f", times[0])) s, median \(String(format: "%.2f", times[times.count / 2])) s for \(format(Double(batch)))"
            )
            // The same batch sent by curl, a separate process as a bank's script would be.
            if FileManager.default.isExecutableFile(atPath: "/usr/bin/curl") {
                let input = node.directory.appendingPathComponent("batch.ndjson")
                let output = node.directory.appendingPathComponent("answers.ndjson")
                try Data(ndjson.readableBytesView).write(to: input)
                var curlTimes: [Double] = []
                for _ in 0..<runs {
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
                    process.arguments = [
                        "-s", "-o", output.path, "-H", "Expect:", "-H", "Authorization: Bearer \(node.token)", "-H",
                        "Content-Type: application/x-ndjson",
                        "--data-binary", "@" + input.path, node.url + "/api/v1/check",
                    ]
                    let started = ContinuousClock.now
                    try process.run()
                    process.waitUntilExit()
                    let elapsed = seconds(ContinuousClock.now - started)
                    let answers = try Data(contentsOf: output).reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
                    guard answers == batch else { throw ValidationError("curl got \(answers) answers, expected \(batch)") }
                    curlTimes.append(elapsed)
                    printLine(
                        "http-batch: \(format(Double(batch))) identifiers checked over HTTP with curl in \(String(format: "%.2f", elapsed)) s"
                    )
                }
                curlTimes.sort()
                printLine(
                    "http-batch: curl client: best \(String(format: "%.2f", curlTimes[0])) s, median \(String(format: "%.2f", curlTimes[curlTimes.count / 2])) s for \(format(Double(batch)))"
                )
            }
            // The JSON form, at its limit of 100,000 items.
            var items: [JSONValue] = []
            for n in 0..<100_000 {
                items.append(
                    .object([
                        "kind": .string("phone"),
                        "value": .string(n % 2 == 0 ? BenchNode.flaggedPhone(n) : BenchNode.cleanPhone(n)),
                    ])
                )
            }
            var request = HTTPClientRequest(url: node.url + "/api/v1/check")
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer \(node.token)")
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: JSONValue.array(items).canonicalData))
            let started = ContinuousClock.now
            let response = try await client.execute(request, timeout: .seconds(120))
            let body = try await response.body.collect(upTo: 256 << 20)
            printLine(
                "http-batch: 100k identifiers checked as one JSON batch in \(String(format: "%.2f", seconds(ContinuousClock.now - started))) s (\(body.readableBytes / 1024) KiB answer)"
            )
            try await client.shutdown()
            await node.stop(task)
        }
    }

    struct HTTPSingle: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "http-single",
            abstract:
                "Single checks over HTTP with wrk, against a bare Hummingbird route answering a body of the same size, in the same run."
        )

        @Option(help: "Identifiers in the node's index.")
        var indexed: Int = 100_000

        @Option(help: "Seconds each wrk run lasts.")
        var duration: Int = 10

        @Option(help: "Open connections.")
        var connections: Int = 64

        func run() async throws {
            guard FileManager.default.isExecutableFile(atPath: "/usr/bin/wrk") else {
                throw ValidationError("wrk is not installed: apt-get install wrk")
            }
            let logger = makeLogger(level: .warning)
            let (node, task) = try await BenchNode.start(identifiers: indexed, logger: logger)
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            let path = "/api/v1/check?kind=phone&value=%2B66811234567"
            var request = HTTPClientRequest(url: node.url + path)
            request.headers.add(name: "Authorization", value: "Bearer \(node.token)")
            let sample = try await client.execute(request, timeout: .seconds(10)).body.collect(upTo: 1 << 20)
            try await client.shutdown()
            let body = sample
            // The bare route: the same bytes, no auth, no parsing, no index.
            let bareRouter = Router()
            bareRouter.get("bare") { _, _ in
                Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: body))
            }
            let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
            let bare = Application(
                router: bareRouter,
                configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) },
                logger: logger
            )
            let bareGroup = ServiceGroup(configuration: .init(services: [bare], logger: logger))
            let bareTask = Task { try await bareGroup.run() }
            var iterator = ports.makeAsyncIterator()
            let barePort = await iterator.next() ?? 0
            printLine("http-single: check answer is \(body.readableBytes) bytes; wrk -t2 -c\(connections) -d\(duration)s")
            let bareResult = try wrk("http://127.0.0.1:\(barePort)/bare", header: nil)
            printLine("http-single: bare route  \(bareResult.summary)")
            let checkResult = try wrk(node.url + path, header: "Authorization: Bearer \(node.token)")
            printLine("http-single: check route \(checkResult.summary)")
            printLine(
                "http-single: checks ran at \(String(format: "%.0f", 100 * checkResult.rate / max(bareResult.rate, 1)))% of the bare route's rate"
            )
            await bareGroup.triggerGracefulShutdown()
            _ = try? await bareTask.value
            await node.stop(task)
        }

        struct WrkResult {
            let rate: Double
            let p50: String
            let p99: String
            var summary: String { "\(format(rate)) requests/s, p50 \(p50), p99 \(p99)" }
        }

        func wrk(_ url: String, header: String?) throws -> WrkResult {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/wrk")
            var arguments = ["-t2", "-c\(connections)", "-d\(duration)s", "--latency"]
            if let header { arguments += ["-H", header] }
            process.arguments = arguments + [url]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            func field(_ prefix: String) -> String {
                output.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(prefix) }
                    .map { $0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.map(String.init) ?? "?" }
                    ?? "?"
            }
            let rate = Double(field("Requests/sec:")) ?? 0
            if output.contains("Non-2xx") { printLine("http-single: warning: wrk saw non-2xx answers") }
            return WrkResult(rate: rate, p50: field("50%"), p99: field("99%"))
        }
    }
}
