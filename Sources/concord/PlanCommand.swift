import ArgumentParser
import ConcordAnalysis
import ConcordCore
import ConcordInterop
import Foundation

struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Choose the interventions that cut most expected loss for a budget and analyst hours.",
        discussion:
            "Risks come from the node's risk register (the reports its store holds); interventions from a YAML catalogue (the shipped one by default, illustrative figures). The choice is exact (branch and bound) unless the search budget runs out, which the output says. A running node answers the same at POST /api/v1/plan."
    )

    @OptionGroup var node: NodeOptions
    @OptionGroup var analysis: AnalysisOptions

    @Option(help: "Money available, in the rates' base currency.")
    var budget: Double

    @Option(help: "Analyst hours available; default: no limit.")
    var hours: Double?

    @Option(help: "The largest share of the budget one jurisdiction's interventions may take, e.g. 0.4.")
    var fairShare: Double?

    @Option(help: "YAML intervention catalogue; default: the shipped one.")
    var catalogue: String?

    @Option(help: "Only risks in these jurisdictions (comma-separated codes).")
    var jurisdictions: String?

    @Option(help: "The month the risk register is as of, YYYY-MM (default: this month).")
    var asOf: String?

    @Option(help: "Monte Carlo trials per risk.")
    var trials: Int = 20_000

    @Flag(help: "Print the plan as JSON.")
    var json = false

    func run() async throws {
        _ = try node.load()
        guard budget >= 0 else { throw ValidationError("--budget must be 0 or more") }
        if let fairShare, !(fairShare > 0 && fairShare <= 1) {
            throw ValidationError("--fair-share must be above 0 and at most 1")
        }
        let interventions: [Intervention]
        do {
            interventions = try catalogue.map { try InterventionCatalogue.load(path: $0) } ?? InterventionCatalogue.shipped()
        } catch {
            throw ValidationError("\(error)")
        }
        let only = jurisdictions.map { Set($0.split(separator: ",").compactMap { Jurisdiction.normalize(String($0)) }) }
        let estimates = try await riskRegister(node: node, analysis: analysis, asOf: asOf, trials: trials, seed: 1)
        let risks = estimates.filter { only?.contains($0.inputs.jurisdiction) ?? true }.map {
            RiskExposure(
                jurisdiction: $0.inputs.jurisdiction,
                typology: $0.inputs.typology,
                expectedAnnualLoss: $0.expectedAnnualLoss
            )
        }
        let started = ContinuousClock.now
        let plan = Planner.plan(
            PlanRequest(risks: risks, interventions: interventions, budget: budget, hours: hours, fairShare: fairShare)
        )
        let elapsed = seconds(ContinuousClock.now - started)
        if json {
            try printJSON(plan)
            return
        }
        let base = try analysis.exchangeRates().base
        printLine(
            "\(risks.count) risks, \(interventions.count) interventions; budget \(LandscapeCommand.short(budget)) \(base)\(hours.map { ", \(Int($0)) analyst hours" } ?? "")\(fairShare.map { ", at most \(Int($0 * 100))% to one jurisdiction" } ?? "")"
        )
        printLine(
            "\(plan.provenOptimal ? "optimal" : "best found (gap \(LandscapeCommand.short(plan.gap)) \(base))") after \(plan.nodesExplored) search nodes in \(String(format: "%.2f", elapsed)) s"
        )
        for pick in plan.picks {
            printLine(
                "  \(pick.name): \(LandscapeCommand.short(pick.cost)) \(base), \(Int(pick.analystHours)) h; cuts \(LandscapeCommand.short(pick.marginalCut)) \(base)/yr: \(pick.reason)"
            )
        }
        let t = plan.totals
        printLine(
            "expected annual loss \(LandscapeCommand.short(t.lossBefore)) -> \(LandscapeCommand.short(t.lossAfter)) \(base) (cut \(LandscapeCommand.short(t.cut))); spends \(LandscapeCommand.short(t.cost)) \(base), \(Int(t.analystHours)) h"
        )
        printLine("next: \(plan.nextUnit.moreBudget.summary)")
        if let moreHours = plan.nextUnit.moreHours { printLine("      \(moreHours.summary)") }
        for problem in plan.problems { printLine("note: \(problem)") }
    }
}
