import ArgumentParser
import ConcordAnalysis
import ConcordCore
import ConcordStore
import Foundation

struct CampaignsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "campaigns",
        abstract: "Link the reports the node holds into campaigns and list the largest.",
        discussion: "Reads the node's store directly (no server needed); a running node serves the same at GET /api/v1/campaigns."
    )

    @OptionGroup var node: NodeOptions
    @OptionGroup var analysis: AnalysisOptions

    @Flag(help: "Only campaigns that span two or more jurisdictions.")
    var crossBorder = false

    @Option(help: "How many campaigns to show.")
    var limit: Int = 20

    func run() async throws {
        _ = try node.load()
        let rates = try analysis.exchangeRates()
        var policy = CampaignLinker.LinkPolicy()
        policy.warningList.formUnion(try analysis.warnings())
        let reports = try await storedReports(node)
        let started = ContinuousClock.now
        var linker = CampaignLinker(policy: policy)
        linker.add(contentsOf: reports)
        let campaigns = linker.campaigns(crossBorderOnly: crossBorder, limit: limit, now: .now())
        let elapsed = ContinuousClock.now - started
        printLine("\(reports.count) reports linked in \(elapsed.formatted(.units(allowed: [.milliseconds])))")
        printLine(
            "campaign            reports  jurisdictions         loss (\(rates.base))  first seen  last seen   top identifier"
        )
        for c in campaigns {
            let loss = c.totalLoss(in: rates).amount
            printLine(
                [
                    c.id.padding(toLength: 19, withPad: " ", startingAt: 0),
                    String(c.reportCount).leftPadded(7),
                    c.jurisdictions.joined(separator: ",").padding(toLength: 21, withPad: " ", startingAt: 0),
                    String(format: "%14.0f", loss),
                    c.firstSeen.date,
                    c.lastSeen.date,
                    c.identifiers.first?.key ?? "-",
                ].joined(separator: "  ")
            )
        }
        if !linker.commonIdentifiers.isEmpty {
            printLine("not linking (common to unrelated reports): \(linker.commonIdentifiers.prefix(10).joined(separator: ", "))")
        }
    }
}

struct LandscapeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "landscape",
        abstract: "Reports and losses by jurisdiction x typology over months, from the reports the node holds.",
        discussion:
            "Prints the heat table and the fastest-growing typologies; --json prints cells, trend and growth. A running node serves the network view, with peers' k-anonymous aggregates, at GET /api/v1/landscape."
    )

    @OptionGroup var node: NodeOptions
    @OptionGroup var analysis: AnalysisOptions

    @Option(help: "First month, YYYY-MM.")
    var from: String?

    @Option(help: "Last month, YYYY-MM.")
    var to: String?

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() async throws {
        _ = try node.load()
        let rates = try analysis.exchangeRates()
        let landscape = Landscape.build(from: try await storedReports(node), rates: rates)
        let table: HeatTable
        let asOf = to ?? landscape.lastMonth ?? String(Timestamp.now().date.prefix(7))
        let growing: [TypologyGrowth]
        do {
            table = try landscape.heatTable(from: from, to: to)
            growing = try landscape.topGrowing(limit: 5, asOf: asOf)
        } catch {
            throw ValidationError("\(error)")
        }
        if json {
            struct Output: Encodable {
                let heatTable: HeatTable
                let trend: [TrendPoint]
                let topGrowing: [TypologyGrowth]
                enum CodingKeys: String, CodingKey {
                    case heatTable = "heat_table"
                    case trend
                    case topGrowing = "top_growing"
                }
            }
            try printJSON(Output(heatTable: table, trend: try landscape.trend(from: from, to: to), topGrowing: growing))
            return
        }
        printLine("reports (loss in \(rates.base)) by jurisdiction and typology, \(from ?? "start") to \(to ?? "now")")
        let columns = table.typologies
        printLine(
            "    "
                + columns.map { $0.rawValue.prefix(12).padding(toLength: 12, withPad: " ", startingAt: 0) }.joined(separator: " ")
        )
        for j in table.jurisdictions {
            let row = columns.map { t -> String in
                guard let total = table.total(jurisdiction: j, typology: t) else {
                    return "-".padding(toLength: 12, withPad: " ", startingAt: 0)
                }
                return "\(total.reports) (\(Self.short(total.loss)))".padding(toLength: 12, withPad: " ", startingAt: 0)
            }
            printLine("\(j)  " + row.joined(separator: " "))
        }
        printLine("")
        printLine("fastest growing, 3 months to \(asOf) against the 3 before:")
        for g in growing {
            printLine("  \(g.typology.rawValue): \(g.previous) -> \(g.recent) (x\(String(format: "%.1f", g.ratio)))")
        }
    }

    static func short(_ value: Double) -> String {
        switch value {
        case 1e9...: String(format: "%.1fbn", value / 1e9)
        case 1e6...: String(format: "%.1fm", value / 1e6)
        case 1e3...: String(format: "%.0fk", value / 1e3)
        default: String(format: "%.0f", value)
        }
    }
}

struct RisksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "risks",
        abstract: "The risk register: expected annual loss per jurisdiction and typology, by Monte Carlo.",
        discussion:
            "Frequency from the last 12 months of reports and their growth, loss per case from a lognormal fitted to reported losses; deterministic under --seed. --json prints every input, percentile and the loss exceedance curve."
    )

    @OptionGroup var node: NodeOptions
    @OptionGroup var analysis: AnalysisOptions

    @Option(help: "Trials per risk.")
    var trials: Int = 100_000

    @Option(help: "Seed of the simulation.")
    var seed: UInt64 = 1

    @Option(help: "The month the register is as of, YYYY-MM (default: this month).")
    var asOf: String?

    @Option(help: "How many risks to show.")
    var limit: Int = 20

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() async throws {
        _ = try node.load()
        guard (1000...1_000_000).contains(trials) else { throw ValidationError("--trials must be 1000 to 1000000") }
        let estimates = try await riskRegister(node: node, analysis: analysis, asOf: asOf, trials: trials, seed: seed)
        if json {
            try printJSON(Array(estimates.prefix(limit)))
            return
        }
        let base = try analysis.exchangeRates().base
        printLine("rank  risk              reports/yr  growth  median loss  expected annual loss (\(base))  p90  p99")
        for (n, e) in estimates.prefix(limit).enumerated() {
            let i = e.inputs
            printLine(
                [
                    String(n + 1).leftPadded(4),
                    "\(i.jurisdiction)/\(i.typology.rawValue)".padding(toLength: 16, withPad: " ", startingAt: 0),
                    String(i.reportsLastYear).leftPadded(10),
                    String(format: "x%.2f", i.growth).leftPadded(6),
                    LandscapeCommand.short(i.medianLoss).leftPadded(11),
                    LandscapeCommand.short(e.expectedAnnualLoss).leftPadded(30),
                    LandscapeCommand.short(e.p90),
                    LandscapeCommand.short(e.p99),
                ].joined(separator: "  ")
            )
        }
    }
}

/// The risk register of the reports in the node's store.
func riskRegister(
    node: NodeOptions,
    analysis: AnalysisOptions,
    asOf: String?,
    trials: Int,
    seed: UInt64
) async throws
    -> [RiskEstimate]
{
    let rates = try analysis.exchangeRates()
    let reports = try await storedReports(node)
    do {
        return try await RiskRegister.register(
            from: reports,
            rates: rates,
            asOf: asOf ?? String(Timestamp.now().date.prefix(7)),
            trials: trials,
            seed: seed,
            parts: ProcessInfo.processInfo.activeProcessorCount
        )
    } catch {
        throw ValidationError("\(error)")
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
