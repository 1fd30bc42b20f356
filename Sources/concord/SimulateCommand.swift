import ArgumentParser
import AsyncHTTPClient
import ConcordCore
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Feeds synthetic victim reports to nodes over their API: realistic typology mix, heavy-tailed losses, and
/// cross-border campaigns that reuse numbers, accounts and sites across countries.
struct Simulator {
    struct Target {
        let url: String
        let token: String
        let jurisdiction: String
    }

    /// One report the simulator filed, with the campaign it was drawn from (the ground truth of linking).
    struct Filed: Sendable {
        let id: String
        let campaign: Int?
        let jurisdiction: String
        let target: Int
        /// When the node signed it (the record's `created`).
        let created: Timestamp
    }

    let targets: [Target]
    let rate: Double
    let count: Int?
    let seed: UInt64
    /// The seed of the campaigns the reports are drawn from.
    var campaignSeed: UInt64 = 2026
    /// The share of reports that belong to a campaign.
    var campaignShare = 0.35

    /// Posts reports until `count` are sent (or forever), `rate` a second; returns how many were accepted.
    func run(client: HTTPClient) async -> (sent: Int, accepted: Int) {
        let (sent, filed, accepted) = await file(client: client, keep: false)
        return (sent, max(filed.count, accepted))
    }

    /// Posts reports as `run` does and returns each accepted one with its campaign, when `keep` is true.
    func file(client: HTTPClient, keep: Bool = true) async -> (sent: Int, filed: [Filed], accepted: Int) {
        var generators = targets.enumerated().map {
            SyntheticReports(
                seed: seed &+ UInt64($0.offset),
                jurisdictions: [$0.element.jurisdiction],
                campaignSeed: campaignSeed,
                campaignShare: campaignShare
            )
        }
        var filed: [Filed] = []
        var rng = SeededRandom(seed: seed)
        var sent = 0
        var accepted = 0
        let pause = Duration.nanoseconds(Int64(1_000_000_000 / max(rate, 0.001)))
        while count.map({ sent < $0 }) ?? true, !Task.isCancelled {
            let n = Int(rng.next() % UInt64(targets.count))
            let target = targets[n]
            var request = HTTPClientRequest(url: target.url + "/api/v1/reports")
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer \(target.token)")
            request.headers.add(name: "Content-Type", value: "application/json")
            let (report, campaign) = generators[n].nextWithTruth()
            request.body = .bytes(ByteBuffer(bytes: report.canonicalData))
            sent += 1
            if let response = try? await client.execute(request, timeout: .seconds(10)) {
                let body = try? await response.body.collect(upTo: 1 << 20)
                if response.status == .created {
                    accepted += 1
                    if keep {
                        let answer = body.flatMap { try? JSONValue.parse(Array($0.readableBytesView)) }
                        let created = answer?["content"]?["created"]?.stringValue.flatMap(Timestamp.init(rfc3339:))
                        filed.append(
                            Filed(
                                id: answer?["id"]?.stringValue ?? "",
                                campaign: campaign,
                                jurisdiction: target.jurisdiction,
                                target: n,
                                created: created ?? .now()
                            )
                        )
                    }
                }
            }
            do { try await Task.sleep(for: pause) } catch { break }
        }
        return (sent, filed, accepted)
    }
}

struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Feed synthetic victim reports to a node over its API, at a chosen rate."
    )

    @Option(help: "The node's base URL.")
    var target: String

    @Option(help: "An analyst token of that node.")
    var token: String

    @Option(help: "The jurisdiction the reports are filed in.")
    var jurisdiction: String = "TH"

    @Option(help: "Reports a second.")
    var rate: Double = 5

    @Option(help: "Reports to send; default: until interrupted.")
    var count: Int?

    @Option(help: "Seed, so that runs repeat.")
    var seed: UInt64 = 1441

    func run() async throws {
        guard let code = Jurisdiction.normalize(jurisdiction) else {
            throw ValidationError("--jurisdiction is not a country code")
        }
        guard rate > 0 else { throw ValidationError("--rate must be above 0") }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let simulator = Simulator(
            targets: [Simulator.Target(url: target, token: token, jurisdiction: code)],
            rate: rate,
            count: count,
            seed: seed
        )
        let (sent, accepted) = await simulator.run(client: client)
        try await client.shutdown()
        print("sent \(sent) reports, \(accepted) accepted")
    }
}
