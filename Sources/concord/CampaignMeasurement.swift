import AsyncHTTPClient
import ConcordCore
import Foundation
import NIOCore
import NIOHTTP1

/// Measures campaign linking across the demo region against the simulator's ground truth: how many seeded
/// cross-border campaigns end up linked as one, how soon after a campaign's first report from a second
/// jurisdiction some node raises a cross-border alert, and how many reports were linked into a campaign that
/// is not theirs.
struct CampaignMeasurement {
    let test: RegionSelfTest
    let reports: Int
    let rate: Double

    struct Result {
        let seeded: Int
        let linked: Int
        let alertedInTime: Int
        let latencies: [Double]
        /// Seconds from the second jurisdiction's report to the alert at the node that filed the campaign's
        /// first report (it must first receive the new report over federation).
        let firstReporterLatencies: [Double]
        let inCampaigns: Int
        let falseLinks: Int
    }

    func run() async -> Result {
        let running = test.running
        let simulator = Simulator(
            targets: running.map { Simulator.Target(url: $0.url, token: $0.analystToken, jurisdiction: $0.member.jurisdiction) },
            rate: rate,
            count: reports,
            seed: 77,
            campaignSeed: 909,
            campaignShare: 0.5
        )
        let filed = await simulator.file(client: test.client).filed.filter { !$0.id.isEmpty }
        var truth: [String: Int?] = [:]
        for f in filed { truth[f.id] = f.campaign }
        // Seeded campaigns whose filed reports span two or more jurisdictions, and when each first did.
        var firstJurisdiction: [Int: String] = [:]
        var crossedAt: [Int: Timestamp] = [:]
        var firstTarget: [Int: Int] = [:]
        var members: [Int: [String]] = [:]
        for f in filed {
            guard let c = f.campaign else { continue }
            members[c, default: []].append(f.id)
            if let first = firstJurisdiction[c] {
                if first != f.jurisdiction && crossedAt[c] == nil { crossedAt[c] = f.created }
            } else {
                firstJurisdiction[c] = f.jurisdiction
                firstTarget[c] = f.target
            }
        }
        // Let the last reports travel and the linkers settle.
        try? await Task.sleep(for: .seconds(3))

        // The campaigns the first node found, report by report.
        var foundIn: [String: String] = [:]
        guard let hub = running.first else {
            return Result(
                seeded: 0,
                linked: 0,
                alertedInTime: 0,
                latencies: [],
                firstReporterLatencies: [],
                inCampaigns: 0,
                falseLinks: 0
            )
        }
        let list = try? await test.call(.GET, hub.url + "/api/v1/campaigns?limit=10000", token: hub.analystToken)
        for summary in list?["campaigns"]?.arrayValue ?? [] {
            guard let id = summary["id"]?.stringValue,
                let detail = try? await test.call(.GET, hub.url + "/api/v1/campaigns/\(id)", token: hub.analystToken)
            else { continue }
            for report in detail["reports"]?.arrayValue ?? [] {
                if let r = report.stringValue { foundIn[r] = id }
            }
        }
        var linked = 0
        for c in crossedAt.keys {
            let places = Set((members[c] ?? []).map { foundIn[$0] })
            if places.count == 1, let only = places.first, only != nil { linked += 1 }
        }
        // False links: known reports in a found campaign whose seeded campaign is not the campaign's majority.
        var byFound: [String: [Int?]] = [:]
        for (report, campaign) in foundIn {
            if let known = truth[report] { byFound[campaign, default: []].append(known) }
        }
        var inCampaigns = 0
        var falseLinks = 0
        for labels in byFound.values {
            inCampaigns += labels.count
            var counts: [Int: Int] = [:]
            var background = 0
            for label in labels {
                if let label { counts[label, default: 0] += 1 } else { background += 1 }
            }
            let majority = counts.values.max() ?? 0
            falseLinks += labels.count - majority - (counts.isEmpty ? min(background, 1) : 0)
        }
        // Alerts from every node: the earliest one about each seeded campaign after it crossed a border.
        // Only alerts raised once the campaign had crossed a border count.
        var firstAlert: [Int: Timestamp] = [:]
        var firstAlertAt: [Int: [Int: Timestamp]] = [:]
        for (index, node) in running.enumerated() {
            var after: Int64 = 0
            while true {
                guard
                    let page = try? await test.call(
                        .GET,
                        node.url + "/api/v1/alerts?after=\(after)&limit=1000",
                        token: node.analystToken
                    ),
                    let alerts = page["alerts"]?.arrayValue, !alerts.isEmpty
                else { break }
                for alert in alerts {
                    guard let report = alert["report_id"]?.stringValue, let c = truth[report] ?? nil,
                        let raised = alert["raised"]?.stringValue.flatMap(Timestamp.init(rfc3339:)),
                        let crossed = crossedAt[c], raised >= crossed
                    else { continue }
                    if firstAlert[c].map({ raised < $0 }) ?? true { firstAlert[c] = raised }
                    if firstAlertAt[c]?[index].map({ raised < $0 }) ?? true { firstAlertAt[c, default: [:]][index] = raised }
                }
                after = page["next_cursor"]?.integerValue ?? after
                if alerts.count < 1000 { break }
            }
        }
        var latencies: [Double] = []
        var atFirstReporter: [Double] = []
        var inTime = 0
        for (c, crossed) in crossedAt {
            if let node = firstTarget[c], let alerted = firstAlertAt[c]?[node] {
                atFirstReporter.append(Double(alerted.milliseconds - crossed.milliseconds) / 1000)
            }
            guard let alerted = firstAlert[c] else { continue }
            let seconds = Double(alerted.milliseconds - crossed.milliseconds) / 1000
            latencies.append(seconds)
            if seconds <= 5 { inTime += 1 }
        }
        return Result(
            seeded: crossedAt.count,
            linked: linked,
            alertedInTime: inTime,
            latencies: latencies.sorted(),
            firstReporterLatencies: atFirstReporter.sorted(),
            inCampaigns: inCampaigns,
            falseLinks: falseLinks
        )
    }
}
