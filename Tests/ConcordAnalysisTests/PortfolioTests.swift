import ConcordCore
import Foundation
import Testing

@testable import ConcordAnalysis

/// An intervention for the hand-made fixtures: one effect on the given typologies (all when empty).
private func intervention(
    _ id: String,
    cost: Double,
    hours: Double = 0,
    in jurisdictions: [String] = [],
    _ factor: Intervention.Factor = .likelihood,
    on typologies: [Typology] = [],
    by reduction: Double
) -> Intervention {
    Intervention(
        id: id,
        name: "Intervention \(id)",
        cost: cost,
        analystHours: hours,
        durationMonths: 6,
        jurisdictions: jurisdictions,
        effects: [Intervention.Effect(factor: factor, typologies: typologies, reduction: reduction)]
    )
}

private func risk(_ jurisdiction: String, _ typology: Typology, _ loss: Double) -> RiskExposure {
    RiskExposure(jurisdiction: jurisdiction, typology: typology, expectedAnnualLoss: loss)
}

/// The best cut over every subset of the catalogue that fits the budget, the hours and the fair share, found by
/// trying them all; with the shares of the budget and of the hours that the best subset uses.
private func exhaustiveBest(_ request: PlanRequest) -> (cut: Double, budgetUsed: Double, hoursUsed: Double) {
    let risks = request.risks
    let items = request.interventions
    let keep = items.map { item in
        risks.map { item.remainingShare(jurisdiction: $0.jurisdiction, typology: $0.typology) }
    }
    let codes = Array(Set(items.flatMap(\.jurisdictions))).sorted()
    let budgetLimit = request.budget * (1 + 1e-9)
    let hoursLimit = (request.hours ?? .infinity) * (1 + 1e-9)
    let shareLimit = (request.fairShare.map { $0 * request.budget } ?? .infinity) * (1 + 1e-9)
    let total = risks.reduce(0.0) { $0 + $1.expectedAnnualLoss }
    var left = risks.map(\.expectedAnnualLoss)
    var spent = Array(repeating: 0.0, count: codes.count)
    var best = (cut: 0.0, budgetUsed: 0.0, hoursUsed: 0.0)

    func visit(_ i: Int, cost: Double, hours: Double) {
        let cut = total - left.reduce(0, +)
        if cut > best.cut {
            best = (cut, cost / request.budget, request.hours.map { hours / $0 } ?? 0)
        }
        guard i < items.count else { return }
        let item = items[i]
        let newCost = cost + item.cost
        let newHours = hours + item.analystHours
        var fits = newCost <= budgetLimit && newHours <= hoursLimit
        for code in item.jurisdictions {
            guard let k = codes.firstIndex(of: code) else { continue }
            if spent[k] + item.cost / Double(item.jurisdictions.count) > shareLimit { fits = false }
        }
        if fits {
            let savedLeft = left
            let savedSpent = spent
            for r in left.indices { left[r] *= keep[i][r] }
            for code in item.jurisdictions {
                if let k = codes.firstIndex(of: code) { spent[k] += item.cost / Double(item.jurisdictions.count) }
            }
            visit(i + 1, cost: newCost, hours: newHours)
            left = savedLeft
            spent = savedSpent
        }
        visit(i + 1, cost: cost, hours: hours)
    }
    visit(0, cost: 0, hours: 0)
    return best
}

/// A seeded catalogue of 14 interventions over 3 jurisdictions, with the budget and hours as shares of the
/// catalogue's totals.
struct PortfolioScenario: Sendable, CustomStringConvertible {
    let seed: UInt64
    let budgetShare: Double
    let hoursShare: Double?
    let fairShare: Double?

    var request: PlanRequest {
        var request = PlanRequest.synthetic(interventions: 14, jurisdictions: 3, seed: seed)
        let cost = request.interventions.reduce(0.0) { $0 + $1.cost }
        let hours = request.interventions.reduce(0.0) { $0 + $1.analystHours }
        request.budget = budgetShare * cost
        request.hours = hoursShare.map { $0 * hours }
        request.fairShare = fairShare
        return request
    }

    var description: String {
        let hours = hoursShare.map { "\($0)" } ?? "unlimited"
        let share = fairShare.map { "\($0)" } ?? "none"
        return "seed \(seed), budget \(budgetShare), hours \(hours), fair share \(share)"
    }

    static let all: [PortfolioScenario] = [
        PortfolioScenario(seed: 1, budgetShare: 0.3, hoursShare: 0.3, fairShare: nil),
        PortfolioScenario(seed: 2, budgetShare: 0.25, hoursShare: 0.5, fairShare: nil),
        PortfolioScenario(seed: 3, budgetShare: 0.5, hoursShare: 0.2, fairShare: nil),
        PortfolioScenario(seed: 4, budgetShare: 0.3, hoursShare: nil, fairShare: nil),
        PortfolioScenario(seed: 5, budgetShare: 0.4, hoursShare: 0.4, fairShare: 0.5),
        PortfolioScenario(seed: 6, budgetShare: 0.2, hoursShare: 0.35, fairShare: nil),
        PortfolioScenario(seed: 7, budgetShare: 0.35, hoursShare: 0.2, fairShare: 0.6),
        PortfolioScenario(seed: 8, budgetShare: 0.3, hoursShare: 0.3, fairShare: 0.4),
        PortfolioScenario(seed: 9, budgetShare: 0.5, hoursShare: 0.25, fairShare: nil),
        PortfolioScenario(seed: 10, budgetShare: 0.15, hoursShare: 0.5, fairShare: nil),
    ]
}

@Suite("Portfolio planner")
struct PortfolioTests {
    @Test("the optimiser cuts as much as the best of every affordable subset", arguments: PortfolioScenario.all)
    func matchesExhaustiveSearch(_ scenario: PortfolioScenario) {
        let request = scenario.request
        let plan = Planner.plan(request)
        let best = exhaustiveBest(request)
        #expect(plan.provenOptimal)
        #expect(plan.gap == 0)
        #expect(
            abs(plan.totals.cut - best.cut) <= 1e-7 * plan.totals.lossBefore,
            "planner \(plan.totals.cut), exhaustive \(best.cut)"
        )
        #expect(plan.totals.cost <= request.budget * (1 + 1e-9))
        if let hours = request.hours { #expect(plan.totals.analystHours <= hours * (1 + 1e-9)) }
        if let share = request.fairShare {
            for spend in plan.spend { #expect(spend.shareOfBudget <= share + 1e-9) }
        }
    }

    @Test("the exhaustive comparison covers plans held back by the budget and plans held back by the hours")
    func scenariosBindBothLimits() {
        var budgetBound = 0
        var hoursBound = 0
        for scenario in PortfolioScenario.all where scenario.hoursShare != nil {
            let best = exhaustiveBest(scenario.request)
            if best.hoursUsed > best.budgetUsed { hoursBound += 1 } else { budgetBound += 1 }
        }
        #expect(budgetBound >= 2)
        #expect(hoursBound >= 2)
    }

    @Test("two interventions on one risk cut less together than the sum of their cuts")
    func diminishingReturns() {
        let risks = [risk("TH", .investment, 1_000_000)]
        let a = intervention("a", cost: 100, .likelihood, by: 0.2)
        let b = intervention("b", cost: 100, .vulnerability, by: 0.3)
        let both = Planner.expectedCut(of: [a, b], on: risks)
        #expect(abs(both - 440_000) < 1e-6)
        #expect(both < Planner.expectedCut(of: [a], on: risks) + Planner.expectedCut(of: [b], on: risks))

        let plan = Planner.plan(PlanRequest(risks: risks, interventions: [a, b], budget: 200))
        #expect(Set(plan.picks.map(\.id)) == ["a", "b"])
        #expect(abs(plan.totals.cut - 440_000) < 1e-3)
        let pickA = plan.picks.first { $0.id == "a" }
        #expect(abs((pickA?.marginalCut ?? 0) - 140_000) < 1e-3)
        #expect(abs((pickA?.standaloneCut ?? 0) - 200_000) < 1e-3)
    }

    @Test("the planner prefers a second risk to a second intervention on an already reduced one")
    func overlapIsNotCountedTwice() {
        let risks = [risk("TH", .investment, 1_000_000), risk("TH", .romance, 1_000_000)]
        let catalogue = [
            intervention("campaign-a", cost: 100, .vulnerability, on: [.investment], by: 0.5),
            intervention("campaign-b", cost: 100, .vulnerability, on: [.investment], by: 0.5),
            intervention("romance", cost: 100, .vulnerability, on: [.romance], by: 0.3),
        ]
        // Added up as if independent, the two investment campaigns would cut 1M; together they cut 750k, less
        // than one of them with the romance campaign (800k).
        let plan = Planner.plan(PlanRequest(risks: risks, interventions: catalogue, budget: 200))
        #expect(plan.picks.contains { $0.id == "romance" })
        #expect(plan.picks.count == 2)
        #expect(abs(plan.totals.cut - 800_000) < 1e-3)
    }

    @Test("a fair share stops one jurisdiction taking the whole budget; regional items count toward none")
    func fairShare() {
        let risks = [risk("TH", .investment, 10_000_000), risk("KH", .investment, 1_000_000)]
        let catalogue = [
            intervention("th-1", cost: 100, in: ["TH"], by: 0.2),
            intervention("th-2", cost: 100, in: ["TH"], by: 0.2),
            intervention("th-3", cost: 100, in: ["TH"], by: 0.2),
            intervention("kh-1", cost: 100, in: ["KH"], by: 0.2),
            intervention("regional", cost: 100, by: 0.1),
        ]
        let free = Planner.plan(PlanRequest(risks: risks, interventions: catalogue, budget: 300))
        #expect(Set(free.picks.map(\.id)) == ["th-1", "th-2", "th-3"])
        #expect(free.spend.first { $0.jurisdiction == "TH" }?.shareOfBudget == 1)

        let shared = Planner.plan(PlanRequest(risks: risks, interventions: catalogue, budget: 300, fairShare: 0.5))
        #expect(shared.provenOptimal)
        for spend in shared.spend { #expect(spend.shareOfBudget <= 0.5 + 1e-12) }
        #expect(shared.picks.filter { $0.id.hasPrefix("th-") }.count == 1)
        #expect(shared.picks.contains { $0.id == "regional" })
        #expect(shared.totals.cost == 300)
    }

    @Test("a zero budget gives an empty plan, and the next unit prices the cheapest useful step")
    func zeroBudget() {
        let risks = [risk("TH", .investment, 1_000_000)]
        let catalogue = [intervention("a", cost: 500, by: 0.2), intervention("b", cost: 900, by: 0.3)]
        let plan = Planner.plan(PlanRequest(risks: risks, interventions: catalogue, budget: 0))
        #expect(plan.picks.isEmpty)
        #expect(plan.totals.cut == 0)
        #expect(plan.totals.lossAfter == 1_000_000)
        #expect(plan.provenOptimal)
        #expect(plan.nextUnit.moreBudget.added == ["a"])
    }

    @Test("a regional intervention acts on every jurisdiction")
    func regionalAppliesEverywhere() {
        let risks = [risk("TH", .job, 1_000_000), risk("KH", .job, 500_000), risk("FJ", .romance, 400_000)]
        let regional = intervention("job-campaign", cost: 100, .vulnerability, on: [.job], by: 0.1)
        let plan = Planner.plan(PlanRequest(risks: risks, interventions: [regional], budget: 100))
        #expect(plan.picks.map(\.id) == ["job-campaign"])
        #expect(Set(plan.picks.first?.risks.map(\.jurisdiction) ?? []) == ["TH", "KH"])
        #expect(abs(plan.totals.cut - 150_000) < 1e-6)
        #expect(plan.spend.isEmpty)
        #expect(regional.applies(toJurisdiction: "fj"))
        #expect(regional.remainingShare(jurisdiction: "FJ", typology: .romance) == 1)
    }

    @Test("each pick's explanation names the risks it reduces, with amounts")
    func explanationNamesRisks() {
        let risks = [risk("TH", .investment, 2_000_000), risk("PH", .techSupport, 1_000_000)]
        let catalogue = [
            intervention("freeze", cost: 50_000, in: ["TH"], .impact, on: [.investment], by: 0.2),
            intervention("blocking", cost: 40_000, in: ["PH"], on: [.techSupport], by: 0.15),
        ]
        let plan = Planner.plan(PlanRequest(risks: risks, interventions: catalogue, budget: 100_000))
        let freeze = plan.picks.first { $0.id == "freeze" }
        #expect(freeze?.risks.first?.jurisdiction == "TH")
        #expect(freeze?.risks.first?.typology == .investment)
        #expect(freeze?.reason.contains("TH investment (400k)") == true, "\(freeze?.reason ?? "")")
        #expect(freeze?.reason.contains("400k a year for 50k") == true)
        let blocking = plan.picks.first { $0.id == "blocking" }
        #expect(blocking?.reason.contains("PH tech support (150k)") == true, "\(blocking?.reason ?? "")")
        // Best return per unit of cost first: 400k for 50k (8) before 150k for 40k (3.75).
        #expect(plan.picks.map(\.id) == ["freeze", "blocking"])
    }

    @Test("the next unit of budget shows the intervention it would add")
    func nextUnitAddsIntervention() {
        let risks = [risk("TH", .investment, 1_000_000)]
        let catalogue = [intervention("a", cost: 100, by: 0.3), intervention("b", cost: 100, by: 0.2)]
        let plan = Planner.plan(PlanRequest(risks: risks, interventions: catalogue, budget: 150, nextStep: 50))
        #expect(plan.picks.map(\.id) == ["a"])
        #expect(plan.nextUnit.binding == .budget)
        let step = plan.nextUnit.moreBudget
        #expect(step.budget == 200)
        #expect(step.added == ["b"])
        #expect(step.dropped.isEmpty)
        #expect(abs(step.extraCut - 140_000) < 1e-3)
        #expect(step.summary.contains("would add b"))
        #expect(plan.nextUnit.moreHours == nil)
    }

    @Test("when the hours bind, the plan says so and prices 10% more hours")
    func hoursBind() {
        let risks = [risk("TH", .investment, 1_000_000)]
        let catalogue = [
            intervention("a", cost: 10, hours: 100, by: 0.3),
            intervention("b", cost: 10, hours: 100, by: 0.2),
        ]
        let plan = Planner.plan(PlanRequest(risks: risks, interventions: catalogue, budget: 1_000, hours: 190))
        #expect(plan.picks.map(\.id) == ["a"])
        #expect(plan.nextUnit.binding == .hours)
        #expect(plan.nextUnit.moreBudget.added.isEmpty)
        #expect(plan.nextUnit.moreHours?.added == ["b"])
        #expect(abs((plan.nextUnit.moreHours?.hours ?? 0) - 209) < 1e-9)
    }

    @Test("interventions with bad values are left out and named, field by field")
    func badInterventionsLeftOut() {
        let risks = [risk("TH", .investment, 1_000_000)]
        let catalogue = [
            intervention("ok", cost: 100, by: 0.2),
            intervention("negative", cost: -5, by: 0.2),
            intervention("ok", cost: 50, by: 0.5),
            intervention("too-much", cost: 10, by: 1.0),
            intervention("nowhere", cost: 10, in: ["XX"], by: 0.1),
        ]
        let plan = Planner.plan(PlanRequest(risks: risks, interventions: catalogue, budget: 1_000))
        #expect(plan.picks.map(\.id) == ["ok"])
        let fields = Set(plan.problems.map(\.field))
        #expect(
            fields == [
                "interventions[1].cost", "interventions[2].id", "interventions[3].effects[0].reduction",
                "interventions[4].jurisdictions[0]",
            ]
        )
        let problems = Intervention.validate(catalogue)
        #expect(problems.count == 4)
        #expect(
            problems.contains {
                $0.description.hasPrefix("interventions[3].effects[0].reduction must be between 0 and 1")
            }
        )
        #expect(Intervention.validate(Array(catalogue.prefix(1))).isEmpty)
    }

    @Test("stopped by its node budget, the search says so and its gap covers the true optimum", arguments: [1, 2, 3])
    func nodeBudgetIsHonest(seed: UInt64) {
        var request = PlanRequest.synthetic(interventions: 40, jurisdictions: 4, seed: seed)
        let full = Planner.plan(request)
        request.nodeBudget = 1
        let limited = Planner.plan(request)
        #expect(full.provenOptimal)
        #expect(!limited.provenOptimal)
        #expect(limited.gap > 0)
        #expect(limited.nodesExplored == 1)
        let tolerance = 1e-7 * full.totals.lossBefore
        #expect(limited.totals.cut <= full.totals.cut + tolerance)
        #expect(full.totals.cut <= limited.totals.cut + limited.gap + tolerance)
        #expect(limited.totals.cost <= request.budget * (1 + 1e-9))
    }

    @Test("a plan round-trips through JSON with snake_case keys")
    func planIsCodable() throws {
        let plan = Planner.plan(PlanRequest.synthetic(interventions: 20, jurisdictions: 3, seed: 11))
        let data = try JSONEncoder().encode(plan)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"proven_optimal\""))
        #expect(text.contains("\"next_unit\""))
        #expect(text.contains("\"marginal_cut\""))
        let back = try JSONDecoder().decode(Plan.self, from: data)
        #expect(back.picks.map(\.id) == plan.picks.map(\.id))
        #expect(back.provenOptimal == plan.provenOptimal)
        #expect(back.nextUnit.binding == plan.nextUnit.binding)

        let request = PlanRequest.synthetic(interventions: 5, jurisdictions: 2, seed: 3)
        let decoded = try JSONDecoder().decode(PlanRequest.self, from: JSONEncoder().encode(request))
        #expect(decoded == request)
    }

    @Test("a 60-item catalogue over 6 jurisdictions is solved and proven optimal")
    func mediumCatalogue() {
        let plan = Planner.plan(PlanRequest.synthetic(interventions: 60, jurisdictions: 6, seed: 21))
        #expect(plan.provenOptimal)
        #expect(!plan.picks.isEmpty)
        #expect(plan.totals.cut > 0)
        #expect(plan.totals.lossAfter < plan.totals.lossBefore)
        // The picks' own cuts are what each would give back if dropped: together no more than the total.
        let marginal = plan.picks.reduce(0.0) { $0 + $1.marginalCut }
        #expect(marginal <= plan.totals.cut * (1 + 1e-9))
    }
}
