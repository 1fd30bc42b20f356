import ArgumentParser
import AsyncHTTPClient
import ConcordCore
import ConcordInterop
import ConcordStore
import ConcordWeb
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import UnixSignals

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start a simulated region of nodes on loopback (or one node with --nodes 1) and print URLs and tokens.",
        discussion: """
            By default ten members of a region (anti-scam centres, police units, a bank, a telco, an EU partner) \
            run in this process, each with its own store and port, peered as a partial mesh; a simulator feeds \
            them victim reports and records flow between them under their sharing labels until Ctrl-C. \
            With --nodes 1, one Thai anti-scam centre with synthetic reports and, when ../shared/data is there, \
            the polkadot-js phishing deny list. With --self-test the demo checks itself over HTTP and exits.
            """
    )

    @Option(help: "Nodes in the region (1 to 10); 1 runs a single node.")
    var nodes: Int = 10

    @Option(help: "Port to listen on, the first of the region's (0 picks free ones).")
    var port: Int = 8080

    @Option(help: "Reports a second the simulator feeds the region (0: none).")
    var rate: Double = 2

    @Option(help: "Data directory; default: a new temporary directory.")
    var dataDir: String?

    @Option(help: "Synthetic reports to load.")
    var reports: Int = 500

    @Option(help: "Directory of the shared data sets (polkadot-phishing inside).")
    var sharedData: String = "../shared/data"

    @Flag(help: "Check the running node over HTTP, print what it answered, and exit (0 when every check held).")
    var selfTest = false

    @Option(help: "Reports the region self-test files to measure campaign linking and alerts.")
    var campaignReports: Int = 300

    func run() async throws {
        guard (1...RegionDemo.members.count).contains(nodes) else {
            throw ValidationError("--nodes must be 1 to \(RegionDemo.members.count)")
        }
        if nodes > 1 { return try await runRegion() }
        let logger = makeLogger(level: .warning)
        let path =
            dataDir
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("concord-demo-\(UInt32.random(in: 0...UInt32.max))")
            .path
        let directory = DataDirectory(path: path)
        let profile = NodeProfile(
            organisation: "Demo Anti-Scam Centre",
            kind: .antiScamCentre,
            jurisdiction: "TH",
            languages: ["th", "en"],
            timeZone: "Asia/Bangkok",
            contact: "+66 2 000 1441"
        )
        let key: NodeKey
        let fresh = !directory.isInitialised
        if fresh {
            key = try directory.initialise(profile: profile)
        } else {
            key = try directory.load().key
        }
        let database = DatabaseLocation.sqlite(path: directory.sqlitePath)
        let store = try await SQLStore.open(database, logger: logger)
        var tokens: [(TokenRole, String)] = []
        let password = WebPassword.generate()
        do {
            try await DemoAccounts.ensure(in: store, password: password)
            for role in [TokenRole.admin, .analyst, .checker] {
                let secret = TokenSecret.generate()
                _ = try await store.addToken(id: secret.id, hash: secret.hash, role: role, label: "demo \(role.rawValue)")
                tokens.append((role, secret.token))
            }
            if fresh { try await seed(store: store, key: key, profile: profile, logger: logger) }
        } catch {
            await store.close()
            throw error
        }
        await store.close()

        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = try await buildApplication(
            configuration: NodeConfiguration(host: "127.0.0.1", port: port, key: key, profile: profile, database: database),
            logger: logger
        ) { bound in portContinuation.yield(bound) }
        let serviceGroup = ServiceGroup(
            configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await serviceGroup.run() }
            var iterator = portStream.makeAsyncIterator()
            guard let bound = await iterator.next() else { return }
            let url = "http://127.0.0.1:\(bound)"
            printBanner(url: url, node: key.nodeID, dataDir: path, tokens: tokens, password: password)
            if selfTest {
                let token = tokens.first { $0.0 == .analyst }?.1 ?? ""
                let passed = await DemoSelfTest(baseURL: url, token: token).run()
                await serviceGroup.triggerGracefulShutdown()
                try await group.waitForAll()
                if !passed { throw ExitCode(1) }
                return
            }
            try await group.waitForAll()
        }
    }

    private func seed(store: SQLStore, key: NodeKey, profile: NodeProfile, logger: Logger) async throws {
        let ledger = Ledger(store: store, logger: logger)
        var generator = SyntheticReports(seed: 1441)
        var drafts: [RecordDraft] = []
        for _ in 0..<reports {
            drafts.append(try RecordInput.report(generator.next(), nodeJurisdiction: profile.jurisdiction, defaultTLP: .green))
        }
        drafts.append(try RecordInput.report(Self.showcaseReport, nodeJurisdiction: profile.jurisdiction))
        _ = try await ledger.append(await RecordDraft.signAll(drafts, with: key))
        printLine("loaded \(drafts.count) synthetic victim reports")
        let phishing = URL(fileURLWithPath: sharedData).appendingPathComponent("polkadot-phishing").path
        if FileManager.default.fileExists(atPath: phishing) {
            let list = try PolkadotPhishingList(path: phishing)
            var created = 0
            var duplicates = 0
            var rejected = 0
            let batches = stride(from: 0, to: list.indicators.count, by: 5000).map {
                Array(list.indicators[$0..<min($0 + 5000, list.indicators.count)])
            }
            try await ledger.writeIndicatorBatches(batches, key: key, jurisdiction: profile.jurisdiction) { outcomes in
                for outcome in outcomes {
                    switch outcome {
                    case .created: created += 1
                    case .duplicate: duplicates += 1
                    case .rejected: rejected += 1
                    }
                }
            }
            printLine(
                "loaded \(created) phishing domains and scam wallets from \(phishing) (\(duplicates) repeated entries, \(rejected) not identifiers)"
            )
        } else {
            printLine("(no \(phishing): the phishing deny list is not loaded)")
        }
    }

    /// The report the README's walk-through checks: one number, one mule account, one phishing page.
    static let showcaseReport: JSONValue = .object([
        "typology": .string("investment"),
        "occurred_at": .string("2026-11-20"),
        "loss": .object(["amount": .string("125000.00"), "currency": .string("THB")]),
        "narrative": .string("Victim added to a fake stock-tips LINE group; paid into a mule account."),
        "identifiers": .array([
            .object(["kind": .string("phone"), "value": .string("081 234 5678"), "role": .string("contact")]),
            .object([
                "kind": .string("bank_account"), "value": .string("123-4-56789-0"), "bank": .string("004"),
                "role": .string("payment"),
            ]),
            .object([
                "kind": .string("url"), "value": .string("https://set-invest-th.example.com/login"), "role": .string("website"),
            ]),
        ]),
        "tlp": .string("green"),
    ])

    private func printBanner(url: String, node: String, dataDir: String, tokens: [(TokenRole, String)], password: String) {
        var lines =
            [
                "",
                "Concord demo node \(node)",
                "  URL       \(url)",
                "  data dir  \(dataDir)",
            ] + DemoAccounts.banner(password: password)
        for (role, token) in tokens {
            lines.append("  \(role.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(token)")
        }
        let analyst = tokens.first { $0.0 == .analyst }?.1 ?? ""
        lines += [
            "",
            "Try:",
            "  curl -s -H 'Authorization: Bearer \(analyst)' '\(url)/api/v1/check?kind=phone&value=%2B66812345678'",
            "  curl -s -H 'Authorization: Bearer \(analyst)' '\(url)/api/v1/check?kind=phone&value=081-234-5678'",
            "  curl -s -H 'Authorization: Bearer \(analyst)' '\(url)/api/v1/check?kind=domain&value=set-invest-th.example.com'",
            "Press Ctrl-C to stop.",
            "",
        ]
        printLine(lines.joined(separator: "\n"))
    }
}

/// The demo's own walk-through over real HTTP: the README's steps, each one checked.
struct DemoSelfTest {
    let baseURL: String
    let token: String

    func run() async -> Bool {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        var failures = 0
        func expect(_ what: String, _ ok: Bool, _ detail: String) {
            printLine("\(ok ? "ok  " : "FAIL") \(what): \(detail)")
            if !ok { failures += 1 }
        }
        do {
            let written = ["+66 81 234 5678", "081-234-5678", "0812345678"]
            var canonicals: Set<String> = []
            for value in written {
                let answer = try await get(
                    client,
                    "/api/v1/check?kind=phone&value=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value)"
                )
                canonicals.insert(answer["canonical"]?.stringValue ?? "?")
                expect("check phone \"\(value)\"", answer["flagged"] == .bool(true), answer.canonicalString)
            }
            expect("three spellings, one key", canonicals == ["+66812345678"], canonicals.sorted().joined(separator: ", "))
            let domain = try await get(client, "/api/v1/check?kind=url&value=SET-INVEST-TH.example.com/other-page")
            expect("check a page on the reported site", domain["flagged"] == .bool(true), domain.canonicalString)
            let bad = try await get(client, "/api/v1/check?kind=phone&value=12")
            expect("bad input is a problem naming the field", bad["pointer"] == .string("/value"), bad.canonicalString)
        } catch {
            expect("HTTP", false, "\(error)")
        }
        try? await client.shutdown()
        printLine(failures == 0 ? "demo self-test: all checks held" : "demo self-test: \(failures) checks failed")
        return failures == 0
    }

    private func get(_ client: HTTPClient, _ path: String) async throws -> JSONValue {
        var request = HTTPClientRequest(url: baseURL + path)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response = try await client.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        return try JSONValue.parse(Array(body.readableBytesView))
    }
}

extension DemoCommand {
    func runRegion() async throws {
        let logger = makeLogger(level: .error)
        let root =
            dataDir.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent(
                "concord-region-\(UInt32.random(in: 0...UInt32.max))"
            )
        let region = RegionDemo(
            count: nodes,
            basePort: port,
            reportsPerNode: min(reports, 50),
            logger: logger,
            password: WebPassword.generate()
        )
        let (running, services) = try await region.build(in: root)
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        region.printTable(running, root: root)
        var passed = true
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await Task.sleep(for: .milliseconds(500))
            if selfTest {
                passed = await RegionSelfTest(running: running, client: client, campaignReports: campaignReports).run()
                await group.triggerGracefulShutdown()
            } else {
                printLine(
                    "Records flow between the nodes; the simulator files \(rate) reports a second. Ctrl-C stops every node."
                )
                if rate > 0 {
                    let simulator = Simulator(
                        targets: running.map {
                            Simulator.Target(url: $0.url, token: $0.analystToken, jurisdiction: $0.member.jurisdiction)
                        },
                        rate: rate,
                        count: nil,
                        seed: 2024
                    )
                    tasks.addTask { _ = await simulator.run(client: client) }
                }
                tasks.addTask { await RegionSelfTest(running: running, client: client).watch() }
            }
            try await tasks.next()
            tasks.cancelAll()
        }
        try? await client.shutdown()
        if !passed { throw ExitCode(1) }
    }
}

/// The region demo's own checks, over HTTP: a GREEN report reaches the far members through relays, a RED one
/// stays with its named recipient.
struct RegionSelfTest {
    let running: [RegionDemo.Running]
    let client: HTTPClient
    var campaignReports = 300

    func call(_ method: HTTPMethod, _ url: String, token: String, body: String? = nil) async throws -> JSONValue {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await client.execute(request, timeout: .seconds(10))
        return try JSONValue.parse(Array(try await response.body.collect(upTo: 1 << 20).readableBytesView))
    }

    func flagged(_ node: RegionDemo.Running, _ phone: String) async -> Bool {
        let answer = try? await call(
            .GET,
            node.url + "/api/v1/check?kind=phone&value=%2B\(phone.dropFirst())",
            token: node.analystToken
        )
        return answer?["flagged"] == .bool(true)
    }

    /// Seconds until `phone` is flagged at `node`, or nil after `limit`.
    func arrival(
        _ node: RegionDemo.Running,
        _ phone: String,
        from start: ContinuousClock.Instant,
        limit: Duration
    ) async -> Double? {
        while ContinuousClock.now - start < limit {
            if await flagged(node, phone) { return seconds(ContinuousClock.now - start) }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    func run() async -> Bool {
        guard let origin = running.first else { return false }
        var failures = 0
        func expect(_ what: String, _ ok: Bool, _ detail: String) {
            printLine("\(ok ? "ok  " : "FAIL") \(what): \(detail)")
            if !ok { failures += 1 }
        }
        let green = "+6681\(String(format: "%07d", Int.random(in: 0..<10_000_000)))"
        let started = ContinuousClock.now
        let report = #"{"typology":"investment","tlp":"green","identifiers":[{"kind":"phone","value":"\#(green)"}]}"#
        let answer = try? await call(.POST, origin.url + "/api/v1/reports", token: origin.analystToken, body: report)
        expect("GREEN report filed at \(origin.member.name)", answer?["id"] != nil, answer?["id"]?.stringValue ?? "no id")
        for node in running.dropFirst() {
            let time = await arrival(node, green, from: started, limit: .seconds(15))
            expect("reached \(node.member.name)", time != nil, time.map { String(format: "%.2f s", $0) } ?? "not within 15 s")
        }
        if let recipient = running.dropFirst().first {
            let red = "+6681\(String(format: "%07d", Int.random(in: 0..<10_000_000)))"
            let body =
                #"{"typology":"extortion","tlp":"red","audience":{"nodes":["\#(recipient.key.nodeID)"]},"identifiers":[{"kind":"phone","value":"\#(red)"}]}"#
            _ = try? await call(.POST, origin.url + "/api/v1/reports", token: origin.analystToken, body: body)
            let time = await arrival(recipient, red, from: .now, limit: .seconds(15))
            expect(
                "RED report reached its named recipient \(recipient.member.name)",
                time != nil,
                time.map { String(format: "%.2f s", $0) } ?? "no"
            )
            try? await Task.sleep(for: .seconds(3))
            for node in running.dropFirst(2) {
                let leaked = await flagged(node, red)
                expect("RED report kept from \(node.member.name)", !leaked, leaked ? "it arrived" : "not there")
            }
        }
        let m = await CampaignMeasurement(test: self, reports: campaignReports, rate: 40).run()
        let share = { (n: Int, of: Int) in of == 0 ? 0 : Double(n) / Double(of) }
        let median = m.latencies.isEmpty ? .nan : m.latencies[m.latencies.count / 2]
        let worst = m.latencies.last ?? .nan
        expect(
            "seeded cross-border campaigns linked as one",
            m.seeded >= 5 && share(m.linked, m.seeded) >= 0.95,
            "\(m.linked) of \(m.seeded) (\(String(format: "%.1f%%", 100 * share(m.linked, m.seeded))))"
        )
        expect(
            "cross-border alert within 5 s of the second jurisdiction's report",
            share(m.alertedInTime, m.seeded) >= 0.95,
            "\(m.alertedInTime) of \(m.seeded); median \(String(format: "%.2f", median)) s, slowest \(String(format: "%.2f", worst)) s"
        )
        let far = m.firstReporterLatencies
        expect(
            "alert at the node of the campaign's first report",
            m.seeded > 0 && far.count * 100 >= m.seeded * 95 && (far.last ?? 99) <= 5,
            "\(far.count) of \(m.seeded); median \(String(format: "%.2f", far.isEmpty ? .nan : far[far.count / 2])) s, slowest \(String(format: "%.2f", far.last ?? .nan)) s"
        )
        expect(
            "reports linked into a campaign not their own",
            share(m.falseLinks, m.inCampaigns) <= 0.01,
            "\(m.falseLinks) of \(m.inCampaigns) (\(String(format: "%.2f%%", 100 * share(m.falseLinks, m.inCampaigns))))"
        )
        printLine(failures == 0 ? "demo self-test: all checks held" : "demo self-test: \(failures) checks failed")
        return failures == 0
    }

    /// Prints, every five seconds, how many reports each node holds and how many cross-border campaigns it has
    /// linked them into, so that records can be seen flowing and campaigns forming.
    func watch() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: .seconds(5)) } catch { return }
            var cells: [String] = []
            for node in running {
                let answer = try? await call(
                    .GET,
                    node.url + "/api/v1/campaigns?cross_border=true&limit=10000",
                    token: node.analystToken
                )
                let reports = answer?["reports_linked"]?.integerValue ?? 0
                cells.append("\(node.member.name) \(reports)/\(answer?["campaigns"]?.arrayValue?.count ?? 0)")
            }
            printLine("reports/cross-border campaigns: " + cells.joined(separator: " | "))
        }
    }
}
