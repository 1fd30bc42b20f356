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
        abstract: "Start a demo node with sample data and print its URL and tokens.",
        discussion: """
            Creates a fresh node (a Thai anti-scam centre) in a temporary directory, loads synthetic victim \
            reports and, when ../shared/data is there, the polkadot-js phishing deny list, then serves it until \
            Ctrl-C. With --self-test it checks its own API over HTTP and exits.
            """
    )

    @Option(help: "Port to listen on (0 picks a free one).")
    var port: Int = 8080

    @Option(help: "Data directory; default: a new temporary directory.")
    var dataDir: String?

    @Option(help: "Synthetic reports to load.")
    var reports: Int = 500

    @Option(help: "Directory of the shared data sets (polkadot-phishing inside).")
    var sharedData: String = "../shared/data"

    @Flag(help: "Check the running node over HTTP, print what it answered, and exit (0 when every check held).")
    var selfTest = false

    func run() async throws {
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
        do {
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
            printBanner(url: url, node: key.nodeID, dataDir: path, tokens: tokens)
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

    private func printBanner(url: String, node: String, dataDir: String, tokens: [(TokenRole, String)]) {
        var lines = [
            "",
            "Concord demo node \(node)",
            "  URL       \(url)",
            "  data dir  \(dataDir)",
        ]
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
