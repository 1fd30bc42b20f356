public import ConcordCore
import Foundation

/// One risk as the planner sees it: a jurisdiction, a typology and its expected annual loss.
///
/// The risk register produces these; the planner needs nothing else from it.
public struct RiskExposure: Sendable, Hashable, Codable {
    /// ISO 3166-1 alpha-2 code of the jurisdiction.
    public var jurisdiction: String
    /// The typology.
    public var typology: Typology
    /// The expected annual loss, in the plan's base currency.
    public var expectedAnnualLoss: Double

    /// Creates a risk.
    public init(jurisdiction: String, typology: Typology, expectedAnnualLoss: Double) {
        self.jurisdiction = jurisdiction
        self.typology = typology
        self.expectedAnnualLoss = expectedAnnualLoss
    }

    enum CodingKeys: String, CodingKey {
        case jurisdiction, typology
        case expectedAnnualLoss = "expected_annual_loss"
    }
}

/// What to plan: the risks, the catalogue, and the money and hours available.
public struct PlanRequest: Sendable, Hashable, Codable {
    /// The risks to reduce. Several entries for one jurisdiction and typology are added together.
    public var risks: [RiskExposure]
    /// The interventions to choose from. Ones with problems (see `Intervention.validate(_:path:)`) are left out
    /// and listed in `Plan.problems`.
    public var interventions: [Intervention]
    /// The money available, in the base currency.
    public var budget: Double
    /// The analyst hours available; nil for no limit.
    public var hours: Double?
    /// The largest share of the budget that interventions acting in one jurisdiction may take together (0.4 means
    /// 40%); nil for no such limit. Regional interventions count toward no jurisdiction, and one that names
    /// several jurisdictions counts an equal part of its cost toward each.
    public var fairShare: Double?
    /// How much more budget the plan's `nextUnit` prices; nil for 10% of the budget.
    public var nextStep: Double?
    /// How many search nodes each solve may explore before it stops with the best plan found so far (and says
    /// that it is not proven optimal).
    public var nodeBudget: Int

    /// The node budget used when none is given. A node costs a few microseconds on a catalogue of a few hundred
    /// items, and the synthetic catalogues of 300 items tried while writing the planner were proven optimal in a
    /// few thousand to a few tens of thousands of nodes; this leaves a wide margin and still bounds the time.
    public static let defaultNodeBudget = 1_000_000

    /// Creates a request.
    /// - Parameters:
    ///   - risks: the risks to reduce.
    ///   - interventions: the catalogue.
    ///   - budget: the money available.
    ///   - hours: the analyst hours available; nil for no limit.
    ///   - fairShare: the largest share of the budget one jurisdiction's interventions may take; nil for none.
    ///   - nextStep: the extra budget `Plan.nextUnit` prices; nil for 10% of `budget`.
    ///   - nodeBudget: the search nodes each solve may explore.
    public init(
        risks: [RiskExposure],
        interventions: [Intervention],
        budget: Double,
        hours: Double? = nil,
        fairShare: Double? = nil,
        nextStep: Double? = nil,
        nodeBudget: Int = PlanRequest.defaultNodeBudget
    ) {
        self.risks = risks
        self.interventions = interventions
        self.budget = budget
        self.hours = hours
        self.fairShare = fairShare
        self.nextStep = nextStep
        self.nodeBudget = nodeBudget
    }

    enum CodingKeys: String, CodingKey {
        case risks, interventions, budget, hours
        case fairShare = "fair_share"
        case nextStep = "next_step"
        case nodeBudget = "node_budget"
    }

    /// Reads a request; `hours`, `fair_share`, `next_step` and `node_budget` may be left out.
    /// - Throws: `DecodingError` when a required field is missing or of the wrong type.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            risks: try c.decode([RiskExposure].self, forKey: .risks),
            interventions: try c.decode([Intervention].self, forKey: .interventions),
            budget: try c.decode(Double.self, forKey: .budget),
            hours: try c.decodeIfPresent(Double.self, forKey: .hours),
            fairShare: try c.decodeIfPresent(Double.self, forKey: .fairShare),
            nextStep: try c.decodeIfPresent(Double.self, forKey: .nextStep),
            nodeBudget: try c.decodeIfPresent(Int.self, forKey: .nodeBudget) ?? PlanRequest.defaultNodeBudget
        )
    }
}

/// The portfolio the planner chose, why, and what a little more money or time would buy.
public struct Plan: Sendable, Hashable, Codable {
    /// What one pick does to one risk.
    public struct RiskCut: Sendable, Hashable, Codable {
        /// The risk's jurisdiction.
        public let jurisdiction: String
        /// The risk's typology.
        public let typology: Typology
        /// The risk's expected annual loss before any intervention.
        public let expectedAnnualLoss: Double
        /// How much of that loss the pick removes given the rest of the portfolio (what would come back
        /// without it).
        public let cut: Double
        /// The share of the risk's loss the pick removes on its own (0.15 for 15%).
        public let reduction: Double

        enum CodingKeys: String, CodingKey {
            case jurisdiction, typology
            case expectedAnnualLoss = "expected_annual_loss"
            case cut, reduction
        }
    }

    /// One chosen intervention and why it is there.
    public struct Pick: Sendable, Hashable, Codable {
        /// The intervention's id.
        public let id: String
        /// Its name.
        public let name: String
        /// Its cost.
        public let cost: Double
        /// Its analyst hours.
        public let analystHours: Double
        /// How long it takes to put in place, in months.
        public let durationMonths: Int
        /// The jurisdictions it acts in; empty when it is regional.
        public let jurisdictions: [String]
        /// The expected annual loss the portfolio would lose without it: value(portfolio) - value(portfolio
        /// without this pick).
        public let marginalCut: Double
        /// The expected annual loss it would cut on its own.
        public let standaloneCut: Double
        /// `marginalCut` per unit of cost; nil when it costs nothing.
        public let cutPerCost: Double?
        /// The risks it reduces most in the portfolio, largest first (at most three).
        public let risks: [RiskCut]
        /// One line on why it was chosen.
        public let reason: String

        enum CodingKeys: String, CodingKey {
            case id, name, cost
            case analystHours = "analyst_hours"
            case durationMonths = "duration_months"
            case jurisdictions
            case marginalCut = "marginal_cut"
            case standaloneCut = "standalone_cut"
            case cutPerCost = "cut_per_cost"
            case risks, reason
        }
    }

    /// The portfolio's totals.
    public struct Totals: Sendable, Hashable, Codable {
        /// The summed cost of the picks.
        public let cost: Double
        /// The summed analyst hours of the picks.
        public let analystHours: Double
        /// The expected annual loss over all risks before any intervention.
        public let lossBefore: Double
        /// The expected annual loss over all risks with the portfolio in place.
        public let lossAfter: Double
        /// `lossBefore - lossAfter`.
        public let cut: Double

        enum CodingKeys: String, CodingKey {
            case cost
            case analystHours = "analyst_hours"
            case lossBefore = "loss_before"
            case lossAfter = "loss_after"
            case cut
        }
    }

    /// The spending on interventions that act in one jurisdiction (regional ones are not counted).
    public struct JurisdictionSpend: Sendable, Hashable, Codable {
        /// The jurisdiction.
        public let jurisdiction: String
        /// The cost counted toward it.
        public let cost: Double
        /// `cost` as a share of the budget.
        public let shareOfBudget: Double

        enum CodingKeys: String, CodingKey {
            case jurisdiction, cost
            case shareOfBudget = "share_of_budget"
        }
    }

    /// A resource the portfolio can run out of.
    public enum Resource: String, Sendable, Hashable, Codable {
        /// The money.
        case budget
        /// The analyst hours.
        case hours
    }

    /// The plan solved again with a little more of one resource.
    public struct Step: Sendable, Hashable, Codable {
        /// The budget of the new solve.
        public let budget: Double
        /// The hours of the new solve; nil for no limit.
        public let hours: Double?
        /// Ids of interventions the larger plan adds, in catalogue order.
        public let added: [String]
        /// Ids of interventions the larger plan drops to make room, in catalogue order.
        public let dropped: [String]
        /// How much more expected annual loss the larger plan cuts.
        public let extraCut: Double
        /// Whether the new solve proved its plan optimal.
        public let provenOptimal: Bool
        /// One line for a person.
        public let summary: String

        enum CodingKeys: String, CodingKey {
            case budget, hours, added, dropped
            case extraCut = "extra_cut"
            case provenOptimal = "proven_optimal"
            case summary
        }
    }

    /// What the next unit of budget (and, when hours are limited, of hours) would buy.
    public struct NextUnit: Sendable, Hashable, Codable {
        /// The resource the portfolio has used the larger share of.
        public let binding: Resource
        /// The share of the budget the portfolio uses (1 when the budget is zero).
        public let budgetUsed: Double
        /// The share of the hours the portfolio uses; nil when hours are not limited.
        public let hoursUsed: Double?
        /// The plan with `PlanRequest.nextStep` more budget.
        public let moreBudget: Step
        /// The plan with 10% more hours; nil when hours are not limited.
        public let moreHours: Step?

        enum CodingKeys: String, CodingKey {
            case binding
            case budgetUsed = "budget_used"
            case hoursUsed = "hours_used"
            case moreBudget = "more_budget"
            case moreHours = "more_hours"
        }
    }

    /// The chosen interventions, best return per unit of cost first.
    public let picks: [Pick]
    /// The totals.
    public let totals: Totals
    /// The budget planned with.
    public let budget: Double
    /// The hours planned with; nil for no limit.
    public let hours: Double?
    /// The fair-share limit planned with, if any.
    public let fairShare: Double?
    /// The spending counted toward each jurisdiction, by code.
    public let spend: [JurisdictionSpend]
    /// Whether the search proved that no other affordable portfolio cuts more (to within a billionth of the
    /// total loss). False when it stopped at its node budget with parts of the search not ruled out.
    public let provenOptimal: Bool
    /// How much more an unseen portfolio could at most cut: 0 when proven optimal.
    public let gap: Double
    /// The search nodes explored by the main solve.
    public let nodesExplored: Int
    /// What a little more budget or hours would buy.
    public let nextUnit: NextUnit
    /// What was wrong with the request: interventions and risks left out, values replaced.
    public let problems: [Intervention.Problem]

    enum CodingKeys: String, CodingKey {
        case picks, totals, budget, hours
        case fairShare = "fair_share"
        case spend
        case provenOptimal = "proven_optimal"
        case gap
        case nodesExplored = "nodes_explored"
        case nextUnit = "next_unit"
        case problems
    }
}

/// Chooses the portfolio of interventions that cuts the most expected loss within a budget and hours.
///
/// The objective is not additive: two interventions on one risk together cut `1 - (1 - a)(1 - b)` of it, less than
/// `a + b`. The planner solves it exactly by branch and bound (see `PortfolioSearch`), seeded with a greedy
/// portfolio improved by swaps, and says when it could not prove optimality within its node budget.
public enum Planner {
    /// Plans: chooses the portfolio, explains each pick, and prices the next unit of budget and hours.
    /// - Parameter request: the risks, the catalogue and the limits. Bad values are replaced or left out and
    ///   listed in `Plan.problems`; planning never fails.
    /// - Returns: the plan.
    public static func plan(_ request: PlanRequest) -> Plan {
        var problems: [Intervention.Problem] = []
        var budget = request.budget
        if !budget.isFinite || budget < 0 {
            problems.append(
                .init(
                    field: "budget",
                    message: "must be an amount of zero or more, not \(Intervention.describe(budget)); planned with 0"
                )
            )
            budget = 0
        }
        var hours = request.hours
        if let h = hours {
            if h.isNaN || h < 0 {
                problems.append(
                    .init(
                        field: "hours",
                        message: "must be a number of hours of zero or more, not \(Intervention.describe(h)); planned with 0"
                    )
                )
                hours = 0
            } else if h.isInfinite {
                hours = nil
            }
        }
        var fairShare = request.fairShare
        if let f = fairShare, !f.isFinite || f < 0 {
            problems.append(
                .init(
                    field: "fair_share",
                    message: "must be a share between 0 and 1, not \(Intervention.describe(f)); planned without it"
                )
            )
            fairShare = nil
        }
        let nodeBudget = max(1, request.nodeBudget)

        var risks: [RiskExposure] = []
        for (k, risk) in request.risks.enumerated() {
            guard risk.expectedAnnualLoss.isFinite, risk.expectedAnnualLoss >= 0 else {
                problems.append(
                    .init(
                        field: "risks[\(k)].expected_annual_loss",
                        message: "must be a finite amount of zero or more, not "
                            + "\(Intervention.describe(risk.expectedAnnualLoss)); risk left out"
                    )
                )
                continue
            }
            risks.append(risk)
        }
        let screened = Intervention.screen(request.interventions, path: "interventions")
        problems += screened.problems

        let model = PortfolioModel(
            risks: risks,
            interventions: request.interventions,
            usable: screened.usable,
            budget: budget,
            hours: hours,
            fairShare: fairShare
        )
        let main = solve(model, nodeBudget: nodeBudget, incumbent: nil)
        let finalSelection = model.selection(of: main.chosen)

        // What the next unit would buy.
        var step = request.nextStep ?? 0.1 * budget
        if !step.isFinite || step <= 0 {
            if let given = request.nextStep, given != 0 {
                problems.append(
                    .init(
                        field: "next_step",
                        message: "must be a positive amount, not \(Intervention.describe(given)); 10% of the budget used"
                    )
                )
            }
            step = 0.1 * budget
            if step <= 0 { step = model.cheapestUsefulCost() ?? 1 }
        }
        var bigger = model
        bigger.setBudget(budget + step, fairShare: fairShare)
        let moreBudgetSolve = solve(bigger, nodeBudget: nodeBudget, incumbent: main.chosen)
        let moreBudget = describeStep(
            from: main,
            to: moreBudgetSolve,
            model: model,
            interventions: request.interventions,
            budget: budget + step,
            hours: hours,
            what: "Another \(Plan.amount(step)) (a budget of \(Plan.amount(budget + step)))"
        )
        var moreHours: Plan.Step? = nil
        if let h = hours {
            let extra = h > 0 ? 0.1 * h : (model.smallestUsefulHours() ?? 1)
            var longer = model
            longer.hoursLimit = h + extra
            let longerSolve = solve(longer, nodeBudget: nodeBudget, incumbent: main.chosen)
            moreHours = describeStep(
                from: main,
                to: longerSolve,
                model: model,
                interventions: request.interventions,
                budget: budget,
                hours: h + extra,
                what: "Another \(Plan.hoursText(extra)) analyst hours (\(Plan.hoursText(h + extra)) in all)"
            )
        }
        let budgetUsed = budget > 0 ? min(1, finalSelection.cost / budget) : 1
        let hoursUsed: Double? = hours.map { h in h > 0 ? min(1, finalSelection.hours / h) : 1 }
        let binding: Plan.Resource = (hoursUsed ?? 0) > budgetUsed ? .hours : .budget

        // Picks, explained.
        var picks: [Plan.Pick] = []
        for item in 0..<model.itemCount where main.chosen[item] {
            picks.append(explain(item: item, in: finalSelection, model: model, interventions: request.interventions))
        }
        picks.sort { a, b in
            let ra = a.cost > 0 ? a.marginalCut / a.cost : Double.infinity
            let rb = b.cost > 0 ? b.marginalCut / b.cost : Double.infinity
            if ra != rb { return ra > rb }
            return a.id < b.id
        }
        var spend: [Plan.JurisdictionSpend] = []
        for (k, code) in model.jurisdictionCodes.enumerated() where finalSelection.spent[k] > 0 {
            spend.append(
                .init(
                    jurisdiction: code,
                    cost: finalSelection.spent[k],
                    shareOfBudget: budget > 0 ? finalSelection.spent[k] / budget : 1
                )
            )
        }
        spend.sort { $0.jurisdiction < $1.jurisdiction }
        let lossAfter = finalSelection.loss.reduce(0, +)
        return Plan(
            picks: picks,
            totals: .init(
                cost: finalSelection.cost,
                analystHours: finalSelection.hours,
                lossBefore: model.totalLoss,
                lossAfter: lossAfter,
                cut: model.totalLoss - lossAfter
            ),
            budget: budget,
            hours: hours,
            fairShare: fairShare,
            spend: spend,
            provenOptimal: main.provenOptimal,
            gap: main.gap,
            nodesExplored: main.nodes,
            nextUnit: .init(
                binding: binding,
                budgetUsed: budgetUsed,
                hoursUsed: hoursUsed,
                moreBudget: moreBudget,
                moreHours: moreHours
            ),
            problems: problems
        )
    }

    /// The expected annual loss a set of interventions cuts from the risks, all of them funded together.
    /// - Parameters:
    ///   - interventions: the interventions, all applied (no budget).
    ///   - risks: the risks.
    /// - Returns: the sum over risks of loss × (1 - product of what each intervention leaves of it).
    public static func expectedCut(of interventions: [Intervention], on risks: [RiskExposure]) -> Double {
        var total = 0.0
        for risk in risks where risk.expectedAnnualLoss.isFinite && risk.expectedAnnualLoss > 0 {
            var left = 1.0
            for intervention in interventions {
                left *= intervention.remainingShare(jurisdiction: risk.jurisdiction, typology: risk.typology)
            }
            total += risk.expectedAnnualLoss * (1 - left)
        }
        return total
    }

    struct Solution {
        var chosen: [Bool]
        var value: Double
        var provenOptimal: Bool
        var gap: Double
        var nodes: Int
    }

    static func solve(_ model: PortfolioModel, nodeBudget: Int, incumbent: [Bool]?) -> Solution {
        var search = PortfolioSearch(model: model, nodeBudget: nodeBudget)
        search.run(incumbent: incumbent)
        return Solution(
            chosen: search.bestChosen,
            value: search.best,
            provenOptimal: search.provenOptimal,
            gap: search.gap,
            nodes: search.nodes
        )
    }

    static func explain(
        item: Int,
        in selection: PortfolioModel.Selection,
        model: PortfolioModel,
        interventions: [Intervention]
    ) -> Plan.Pick {
        let intervention = interventions[model.source[item]]
        var cuts: [Plan.RiskCut] = []
        var marginal = 0.0
        var standalone = 0.0
        for q in model.riskStart[item]..<model.riskStart[item + 1] {
            let r = model.riskIndex[q]
            let c = model.cut[q]
            // The loss this risk would have without the pick: what is left now, divided by what the pick leaves.
            let back = selection.loss[r] * c / (1 - c)
            marginal += back
            standalone += model.riskLoss[r] * c
            cuts.append(
                .init(
                    jurisdiction: model.riskJurisdiction[r],
                    typology: model.riskTypology[r],
                    expectedAnnualLoss: model.riskLoss[r],
                    cut: back,
                    reduction: c
                )
            )
        }
        cuts.sort { a, b in
            if a.cut != b.cut { return a.cut > b.cut }
            if a.jurisdiction != b.jurisdiction { return a.jurisdiction < b.jurisdiction }
            return a.typology.rawValue < b.typology.rawValue
        }
        let top = Array(cuts.prefix(3))
        let cost = intervention.cost
        var reason = "Cuts an expected \(Plan.amount(marginal)) a year"
        if cost > 0 {
            reason += " for \(Plan.amount(cost)) (\(Plan.ratio(marginal / cost)) per unit spent)"
        } else {
            reason += " at no cost"
        }
        if !top.isEmpty {
            let parts = top.map { "\($0.jurisdiction) \(Plan.name(of: $0.typology)) (\(Plan.amount($0.cut)))" }
            reason += ", most on " + Plan.list(parts)
        }
        reason += "."
        if standalone > 1.2 * marginal, standalone > 0 {
            reason += " Alone it would cut \(Plan.amount(standalone)); other picks already reduce the same risks."
        }
        return Plan.Pick(
            id: intervention.id,
            name: intervention.name,
            cost: cost,
            analystHours: intervention.analystHours,
            durationMonths: intervention.durationMonths,
            jurisdictions: intervention.jurisdictions.map(Intervention.canonicalJurisdiction),
            marginalCut: marginal,
            standaloneCut: standalone,
            cutPerCost: cost > 0 ? marginal / cost : nil,
            risks: top,
            reason: reason
        )
    }

    static func describeStep(
        from base: Solution,
        to larger: Solution,
        model: PortfolioModel,
        interventions: [Intervention],
        budget: Double,
        hours: Double?,
        what: String
    ) -> Plan.Step {
        var added: [String] = []
        var dropped: [String] = []
        for item in 0..<model.itemCount where base.chosen[item] != larger.chosen[item] {
            let id = interventions[model.source[item]].id
            if larger.chosen[item] { added.append(id) } else { dropped.append(id) }
        }
        let extra = max(0, larger.value - base.value)
        let summary: String
        if added.isEmpty && dropped.isEmpty || extra <= 0 {
            summary = "\(what) would buy nothing more: no further intervention fits or adds to the cut."
        } else {
            var text = "\(what) would add \(Plan.list(added))"
            if !dropped.isEmpty { text += " in place of \(Plan.list(dropped))" }
            text += " and cut a further \(Plan.amount(extra)) a year."
            summary = text
        }
        return Plan.Step(
            budget: budget,
            hours: hours,
            added: added,
            dropped: dropped,
            extraCut: extra,
            provenOptimal: larger.provenOptimal,
            summary: summary
        )
    }
}

extension Plan {
    /// An amount as a person reads it: `420k`, `1.2M`, `3.4bn`.
    static func amount(_ x: Double) -> String {
        guard x.isFinite, abs(x) < 1e15 else { return "\(x)" }
        let v = abs(x)
        let sign = x < 0 ? "-" : ""
        if v >= 999_950_000 { return sign + oneDecimal(v / 1e9) + "bn" }
        if v >= 999_500 { return sign + oneDecimal(v / 1e6) + "M" }
        if v >= 9_999.5 { return sign + String(Int((v / 1e3).rounded())) + "k" }
        if v >= 999.95 { return sign + oneDecimal(v / 1e3) + "k" }
        return sign + String(Int(v.rounded()))
    }

    /// Hours, rounded to whole hours.
    static func hoursText(_ x: Double) -> String {
        guard x.isFinite, abs(x) < 1e15 else { return "\(x)" }
        return String(Int(x.rounded()))
    }

    /// A ratio with two significant decimals below 1, one below 10, none above.
    static func ratio(_ x: Double) -> String {
        guard x.isFinite, x >= 0, x < 1e15 else { return "\(x)" }
        if x >= 9.95 { return String(Int(x.rounded())) }
        if x >= 0.995 { return oneDecimal(x) }
        let hundredths = Int((x * 100).rounded())
        return "0." + (hundredths < 10 ? "0" : "") + String(hundredths)
    }

    static func oneDecimal(_ x: Double) -> String {
        let tenths = Int((x * 10).rounded())
        return tenths % 10 == 0 ? String(tenths / 10) : "\(tenths / 10).\(tenths % 10)"
    }

    /// `a`, `a and b`, `a, b and c`.
    static func list(_ items: [String]) -> String {
        guard let last = items.last else { return "" }
        if items.count == 1 { return last }
        return items.dropLast().joined(separator: ", ") + " and " + last
    }

    /// A typology as words.
    static func name(of typology: Typology) -> String {
        switch typology {
        case .techSupport: "tech support"
        case .bec: "business e-mail compromise"
        default: typology.rawValue
        }
    }
}

/// The planning problem compiled to flat arrays: risks, usable interventions and their effects on each risk.
struct PortfolioModel: Sendable {
    /// The merged risks: jurisdiction (canonical code), typology and expected annual loss.
    var riskJurisdiction: [String] = []
    var riskTypology: [Typology] = []
    var riskLoss: [Double] = []
    var totalLoss = 0.0

    /// For each model item, its index in the request's interventions.
    var source: [Int] = []
    var cost: [Double] = []
    var hours: [Double] = []
    /// Item `j`'s effects are at `riskStart[j]..<riskStart[j + 1]`: the risk, the share of it removed (`cut`) and
    /// `-log(1 - cut)`.
    var riskStart: [Int] = [0]
    var riskIndex: [Int] = []
    var cut: [Double] = []
    var logKeep: [Double] = []
    /// Item `j`'s fair-share counts are at `shareStart[j]..<shareStart[j + 1]`: a jurisdiction and an amount.
    var shareStart: [Int] = [0]
    var shareIndex: [Int] = []
    var shareAmount: [Double] = []
    var jurisdictionCodes: [String] = []

    var budget: Double
    /// `.infinity` when hours are not limited.
    var hoursLimit: Double
    /// `.infinity` when there is no fair-share limit.
    var shareCap: Double

    var itemCount: Int { cost.count }
    var riskCount: Int { riskLoss.count }
    var jurisdictionCount: Int { jurisdictionCodes.count }

    init(
        risks: [RiskExposure],
        interventions: [Intervention],
        usable: [Int],
        budget: Double,
        hours: Double?,
        fairShare: Double?
    ) {
        self.budget = budget
        self.hoursLimit = hours ?? .infinity
        self.shareCap = fairShare.map { $0 * budget } ?? .infinity

        var riskAt: [String: Int] = [:]
        for risk in risks {
            let code = Intervention.canonicalJurisdiction(risk.jurisdiction)
            let key = code + "|" + risk.typology.rawValue
            if let r = riskAt[key] {
                riskLoss[r] += risk.expectedAnnualLoss
            } else {
                riskAt[key] = riskLoss.count
                riskJurisdiction.append(code)
                riskTypology.append(risk.typology)
                riskLoss.append(risk.expectedAnnualLoss)
            }
        }
        totalLoss = riskLoss.reduce(0, +)

        var jurisdictionAt: [String: Int] = [:]
        for index in usable {
            let intervention = interventions[index]
            var codes: [String] = []
            for raw in intervention.jurisdictions {
                let code = Intervention.canonicalJurisdiction(raw)
                if !codes.contains(code) { codes.append(code) }
            }
            source.append(index)
            cost.append(intervention.cost)
            self.hours.append(intervention.analystHours)
            for r in 0..<riskLoss.count {
                if !codes.isEmpty && !codes.contains(riskJurisdiction[r]) { continue }
                var logKept = 0.0
                for effect in intervention.effects where effect.applies(to: riskTypology[r]) {
                    logKept -= log1p(-effect.reduction)
                }
                guard logKept > 0 else { continue }
                riskIndex.append(r)
                logKeep.append(logKept)
                cut.append(-expm1(-logKept))
            }
            riskStart.append(riskIndex.count)
            if !codes.isEmpty {
                let part = intervention.cost / Double(codes.count)
                for code in codes {
                    let k: Int
                    if let known = jurisdictionAt[code] {
                        k = known
                    } else {
                        k = jurisdictionCodes.count
                        jurisdictionAt[code] = k
                        jurisdictionCodes.append(code)
                    }
                    shareIndex.append(k)
                    shareAmount.append(part)
                }
            }
            shareStart.append(shareIndex.count)
        }
    }

    /// Changes the budget, and with it the fair-share limit.
    mutating func setBudget(_ newBudget: Double, fairShare: Double?) {
        budget = newBudget
        shareCap = fairShare.map { $0 * newBudget } ?? .infinity
    }

    /// The tolerance on each limit, so that sums of costs that equal the limit in decimal still fit.
    static func tolerance(_ limit: Double) -> Double { 1e-9 * max(1, limit.isFinite ? limit : 1) }

    /// The cost of the cheapest item that cuts some loss, if any.
    func cheapestUsefulCost() -> Double? {
        var best: Double? = nil
        for j in 0..<itemCount where riskStart[j + 1] > riskStart[j] && cost[j] > 0 {
            best = min(best ?? cost[j], cost[j])
        }
        return best
    }

    /// The hours of the item with the fewest hours (above zero) that cuts some loss, if any.
    func smallestUsefulHours() -> Double? {
        var best: Double? = nil
        for j in 0..<itemCount where riskStart[j + 1] > riskStart[j] && hours[j] > 0 {
            best = min(best ?? hours[j], hours[j])
        }
        return best
    }

    /// A set of items with its state: what is left of each risk, the spending per jurisdiction, the totals.
    struct Selection {
        var chosen: [Bool]
        var loss: [Double]
        var spent: [Double]
        var cost = 0.0
        var hours = 0.0
        var value = 0.0
    }

    func emptySelection() -> Selection {
        Selection(
            chosen: Array(repeating: false, count: itemCount),
            loss: riskLoss,
            spent: Array(repeating: 0, count: jurisdictionCount)
        )
    }

    /// The selection of exactly the items marked in `chosen`.
    func selection(of chosen: [Bool]) -> Selection {
        var s = emptySelection()
        for j in 0..<itemCount where j < chosen.count && chosen[j] { add(j, to: &s) }
        return s
    }

    /// Whether item `j` can join `s` within the budget, the hours and the fair-share limit.
    func fits(_ j: Int, in s: Selection) -> Bool {
        if s.cost + cost[j] > budget + PortfolioModel.tolerance(budget) { return false }
        if s.hours + hours[j] > hoursLimit + PortfolioModel.tolerance(hoursLimit) { return false }
        let capacity = shareCap + PortfolioModel.tolerance(shareCap)
        for q in shareStart[j]..<shareStart[j + 1] where s.spent[shareIndex[q]] + shareAmount[q] > capacity {
            return false
        }
        return true
    }

    /// Whether every limit holds for `s`.
    func isFeasible(_ s: Selection) -> Bool {
        if s.cost > budget + PortfolioModel.tolerance(budget) { return false }
        if s.hours > hoursLimit + PortfolioModel.tolerance(hoursLimit) { return false }
        let capacity = shareCap + PortfolioModel.tolerance(shareCap)
        return s.spent.allSatisfy { $0 <= capacity }
    }

    /// The loss item `j` would cut if added to `s`.
    func gain(_ j: Int, in s: Selection) -> Double {
        var g = 0.0
        for q in riskStart[j]..<riskStart[j + 1] { g += s.loss[riskIndex[q]] * cut[q] }
        return g
    }

    func add(_ j: Int, to s: inout Selection) {
        for q in riskStart[j]..<riskStart[j + 1] {
            let r = riskIndex[q]
            let removed = s.loss[r] * cut[q]
            s.value += removed
            s.loss[r] -= removed
        }
        for q in shareStart[j]..<shareStart[j + 1] { s.spent[shareIndex[q]] += shareAmount[q] }
        s.cost += cost[j]
        s.hours += hours[j]
        s.chosen[j] = true
    }

    func remove(_ j: Int, from s: inout Selection) {
        for q in riskStart[j]..<riskStart[j + 1] {
            let r = riskIndex[q]
            let restored = s.loss[r] / (1 - cut[q])
            s.value -= restored - s.loss[r]
            s.loss[r] = restored
        }
        for q in shareStart[j]..<shareStart[j + 1] { s.spent[shareIndex[q]] -= shareAmount[q] }
        s.cost -= cost[j]
        s.hours -= hours[j]
        s.chosen[j] = false
    }

    /// The larger of an item's shares of the budget and of the hours: how much of the scarcer resource it takes.
    func scarceShare(_ j: Int) -> Double {
        let a = budget > 0 ? cost[j] / budget : (cost[j] > 0 ? Double.infinity : 0)
        let b = hoursLimit.isFinite ? (hoursLimit > 0 ? hours[j] / hoursLimit : (hours[j] > 0 ? Double.infinity : 0)) : 0
        return max(a, b)
    }

    /// Adds items to `s` one at a time, each the one with the largest cut per unit of the scarcer resource that
    /// still fits, until none fits or helps.
    func greedyFill(_ s: inout Selection, skipping skip: Int = -1) {
        while !Task.isCancelled {
            var pick = -1
            var pickFree = false
            var pickScore = -Double.infinity
            for j in 0..<itemCount where !s.chosen[j] && j != skip && fits(j, in: s) {
                let g = gain(j, in: s)
                guard g > 0 else { continue }
                let w = scarceShare(j)
                // Items that take nothing of either resource come first, by gain; then by gain per share taken.
                let free = w <= 0
                let score = free ? g : g / w
                if (free && !pickFree) || (free == pickFree && score > pickScore) {
                    pick = j
                    pickFree = free
                    pickScore = score
                }
            }
            guard pick >= 0 else { return }
            add(pick, to: &s)
        }
    }

    /// Improves `s` by swapping one chosen item for one that is not (and refilling greedily) while that helps,
    /// for at most 20 passes and a bounded number of trial swaps (so that very large catalogues stay quick).
    func improve(_ start: Selection, epsilon: Double) -> Selection {
        var s = start
        greedyFill(&s)
        var passes = 0
        var trials = 0
        var improved = true
        while improved && passes < 20 {
            improved = false
            passes += 1
            search: for i in 0..<itemCount where s.chosen[i] {
                var without = s
                remove(i, from: &without)
                let lost = s.value - without.value
                for j in 0..<itemCount where !s.chosen[j] && j != i && fits(j, in: without) {
                    trials += 1
                    if trials > 2_000_000 || (trials & 1023 == 0 && Task.isCancelled) { break search }
                    guard gain(j, in: without) > lost + epsilon else { continue }
                    var next = without
                    add(j, to: &next)
                    greedyFill(&next, skipping: i)
                    let exact = selection(of: next.chosen)
                    if exact.value > s.value + epsilon && isFeasible(exact) {
                        s = exact
                        improved = true
                        break search
                    }
                }
            }
        }
        return s
    }
}

/// Exact branch and bound over a `PortfolioModel`.
///
/// The value of a portfolio is a sum over risks of `L_r (1 - exp(-y_r))`, where `y_r` adds `-log(1 - cut)` over
/// the chosen items acting on risk `r`: concave in `y`. Any tangent of `1 - exp(-y)` lies above it, so for any
/// tangent points the value of every portfolio is at most a constant plus a sum of fixed item values (where the
/// tangent point is 0 the tighter `sum of cuts` is used). Relaxing the budget and hours to one surrogate
/// constraint `alpha cost/budget + (1 - alpha) hours/hours-left <= 1` and the 0/1 choice to fractions then gives
/// a fractional knapsack whose value bounds every portfolio below the node. Fair-share limits are left out of the
/// bound (it stays valid, only looser) and enforced when items are added.
///
/// At each node the tangent points come from a smoothed fractional solution passed down from the parent (a
/// Frank-Wolfe step toward the concave relaxation's optimum), `alpha` is refined by a short golden-section search,
/// and the knapsack is solved by selection in linear time. The node's Lagrangian multiplier fixes items whose
/// reduced cost exceeds the slack (left out, or required, in the whole subtree). The search branches on the item
/// the relaxation values most, taking it first; `best` is seeded with a greedy portfolio improved by swaps.
/// A node is pruned when its bound is at most `best + epsilon`, with epsilon a billionth of the total loss.
struct PortfolioSearch {
    /// How far each node moves the parent's fractional solution toward its own knapsack solution.
    static let smoothing = 0.3
    /// Golden-section steps on `alpha` after the first two probes.
    static let goldenSteps = 2
    /// Smoothing passes at the root before the search starts.
    static let rootPasses = 10

    static let undecided: UInt8 = 0
    static let excluded: UInt8 = 1
    static let required: UInt8 = 2
    static let taken: UInt8 = 3

    let model: PortfolioModel
    let nodeBudget: Int
    let epsilon: Double
    let n: Int
    let riskCount: Int
    let jurisdictionCount: Int
    let budgetCapacity: Double
    let hoursCapacity: Double

    private(set) var best = 0.0
    private(set) var bestChosen: [Bool]
    private(set) var nodes = 0
    private(set) var stopped = false
    /// The largest bound over the parts of the tree left unexplored when the search stopped.
    private(set) var openBound = -Double.infinity
    private(set) var rootBound = Double.infinity

    private var chosen: [Bool]
    private var levels = 0
    // Per depth, flattened: what is left of each risk, spending per jurisdiction, warm-start fractions, item status.
    private var loss: [Double] = []
    private var spent: [Double] = []
    private var warm: [Double] = []
    private var status: [UInt8] = []
    // Scratch for the node being evaluated.
    private var cand: [Int]
    private var start: [Double]
    private var values: [Double]
    private var lpX: [Double]
    private var bestX: [Double]
    private var y: [Double]
    private var slope: [Double]
    private var selRatio: [Double]
    private var selWeight: [Double]
    private var selValue: [Double]
    private var selSlot: [Int]

    init(model: PortfolioModel, nodeBudget: Int) {
        let count = model.itemCount
        let zeros = Array(repeating: 0.0, count: count)
        let indices = Array(repeating: 0, count: count)
        let riskZeros = Array(repeating: 0.0, count: model.riskCount)
        self.model = model
        self.nodeBudget = nodeBudget
        epsilon = 1e-9 * max(1, model.totalLoss)
        n = count
        riskCount = model.riskCount
        jurisdictionCount = model.jurisdictionCount
        budgetCapacity = model.budget + PortfolioModel.tolerance(model.budget)
        hoursCapacity = model.hoursLimit + PortfolioModel.tolerance(model.hoursLimit)
        bestChosen = Array(repeating: false, count: count)
        chosen = Array(repeating: false, count: count)
        cand = indices
        start = zeros
        values = zeros
        lpX = zeros
        bestX = zeros
        y = riskZeros
        slope = riskZeros
        selRatio = zeros
        selWeight = zeros
        selValue = zeros
        selSlot = indices
    }

    /// Whether no portfolio beats `best` by more than `epsilon`: the search finished, or it stopped but every part
    /// it left unexplored was bounded below that.
    var provenOptimal: Bool { !stopped || openBound <= best + epsilon }

    /// The largest amount by which an unexplored portfolio could beat `best`; 0 when proven optimal.
    var gap: Double {
        guard !provenOptimal else { return 0 }
        return max(0, min(openBound, rootBound) - best)
    }

    struct Evaluation {
        var bound: Double
        var alpha: Double
        var lambda: Double
        var count: Int
        var capCost: Double
        var capHours: Double
    }

    struct Frame {
        var depth: Int
        var value: Double
        var usedCost: Double
        var usedHours: Double
        var alpha: Double
        var item: Int
        var onlyInclude: Bool
        var phase: Int
    }

    /// Seeds `best`, prepares the root and searches.
    /// - Parameter incumbent: a portfolio to start from when it is feasible (the main plan, when solving again
    ///   with more budget or hours).
    mutating func run(incumbent: [Bool]?) {
        var seed = model.improve(model.emptySelection(), epsilon: epsilon)
        if let incumbent, incumbent.count == n {
            let given = model.selection(of: incumbent)
            if model.isFeasible(given) {
                let improved = model.improve(given, epsilon: epsilon)
                if improved.value > seed.value { seed = improved }
            }
        }
        best = seed.value
        bestChosen = seed.chosen
        guard n > 0, riskCount > 0 else { return }

        ensureLevel(0)
        for r in 0..<riskCount { loss[r] = model.riskLoss[r] }
        let empty = model.emptySelection()
        for j in 0..<n where !(model.fits(j, in: empty) && model.gain(j, in: empty) > 0) {
            status[j] = Self.excluded
        }

        // Smooth a fractional solution from the seed toward the relaxation's optimum, for warm starts.
        var m = 0
        for j in 0..<n where status[j] == Self.undecided {
            cand[m] = j
            start[m] = seed.chosen[j] ? 1 : 0
            m += 1
        }
        guard m > 0 else { return }
        var alpha = 0.5
        for _ in 0..<Self.rootPasses {
            let k = linearise(count: m, lossOffset: 0)
            let result = surrogate(
                count: m,
                capCost: budgetCapacity,
                capHours: hoursCapacity,
                alpha: alpha,
                target: -Double.infinity
            )
            rootBound = min(rootBound, k + result.value)
            alpha = result.alpha
            for t in 0..<m { start[t] = (1 - Self.smoothing) * start[t] + Self.smoothing * bestX[t] }
        }
        for t in 0..<m { warm[cand[t]] = start[t] }
        if rootBound <= best + epsilon { return }

        var stack: [Frame] = []
        if let root = visit(depth: 0, value: 0, usedCost: 0, usedHours: 0, alpha: alpha) { stack.append(root) }
        while let top = stack.last {
            let d = top.depth
            let item = top.item
            let lossHere = d * riskCount
            let lossNext = (d + 1) * riskCount
            let spentHere = d * jurisdictionCount
            let spentNext = (d + 1) * jurisdictionCount
            let next = (d + 1) * n
            switch top.phase {
            case 0:
                stack[stack.count - 1].phase = 1
                var gain = 0.0
                for r in 0..<riskCount { loss[lossNext + r] = loss[lossHere + r] }
                for q in model.riskStart[item]..<model.riskStart[item + 1] {
                    let r = model.riskIndex[q]
                    let removed = loss[lossHere + r] * model.cut[q]
                    gain += removed
                    loss[lossNext + r] = loss[lossHere + r] - removed
                }
                for k in 0..<jurisdictionCount { spent[spentNext + k] = spent[spentHere + k] }
                for q in model.shareStart[item]..<model.shareStart[item + 1] {
                    spent[spentNext + model.shareIndex[q]] += model.shareAmount[q]
                }
                status[next + item] = Self.taken
                chosen[item] = true
                if let child = visit(
                    depth: d + 1,
                    value: top.value + gain,
                    usedCost: top.usedCost + model.cost[item],
                    usedHours: top.usedHours + model.hours[item],
                    alpha: top.alpha
                ) {
                    stack.append(child)
                }
            case 1:
                chosen[item] = false
                if top.onlyInclude {
                    stack.removeLast()
                    continue
                }
                stack[stack.count - 1].phase = 2
                for r in 0..<riskCount { loss[lossNext + r] = loss[lossHere + r] }
                for k in 0..<jurisdictionCount { spent[spentNext + k] = spent[spentHere + k] }
                status[next + item] = Self.excluded
                if let child = visit(
                    depth: d + 1,
                    value: top.value,
                    usedCost: top.usedCost,
                    usedHours: top.usedHours,
                    alpha: top.alpha
                ) {
                    stack.append(child)
                }
            default:
                stack.removeLast()
            }
        }
    }

    /// Makes sure the per-depth storage reaches `depth`.
    private mutating func ensureLevel(_ depth: Int) {
        while levels <= depth {
            loss.append(contentsOf: repeatElement(0, count: riskCount))
            spent.append(contentsOf: repeatElement(0, count: jurisdictionCount))
            warm.append(contentsOf: repeatElement(0, count: n))
            status.append(contentsOf: repeatElement(Self.undecided, count: n))
            levels += 1
        }
    }

    /// Works on one node: records its portfolio if it is the best, bounds it, fixes items by reduced cost,
    /// prepares the child level and returns the frame that branches on the chosen item; nil when the node is
    /// pruned, a leaf, or the search has stopped.
    private mutating func visit(depth d: Int, value: Double, usedCost: Double, usedHours: Double, alpha: Double) -> Frame? {
        if value > best + epsilon {
            best = value
            bestChosen = chosen
        }
        let target = best + epsilon - value
        // A request that timed out cancels the task: the search stops as if its node budget were spent.
        if stopped || nodes >= nodeBudget || (nodes & 1023 == 0 && Task.isCancelled) {
            stopped = true
            if let e = evaluate(depth: d, usedCost: usedCost, usedHours: usedHours, alpha: alpha, target: target) {
                openBound = max(openBound, value + e.bound)
            }
            return nil
        }
        nodes += 1
        guard let e = evaluate(depth: d, usedCost: usedCost, usedHours: usedHours, alpha: alpha, target: target)
        else { return nil }

        ensureLevel(d + 1)
        let here = d * n
        let next = (d + 1) * n
        for j in 0..<n { status[next + j] = status[here + j] }
        let slack = e.bound - target
        var requiredSlot = -1
        var pickSlot = -1
        var pickRank = -1
        var pickScore = -Double.infinity
        for t in 0..<e.count {
            let j = cand[t]
            let xt = bestX[t]
            let reduced = e.lambda * weight(j, alpha: e.alpha, capCost: e.capCost, capHours: e.capHours) - values[t]
            if xt <= 0 && reduced >= slack {
                status[next + j] = Self.excluded
                continue
            }
            if xt >= 1 && -reduced >= slack { status[next + j] = Self.required }
            if status[next + j] == Self.required {
                if requiredSlot < 0 { requiredSlot = t }
                continue
            }
            let rank = xt >= 1 ? 2 : (xt > 0 ? 1 : 0)
            let score = rank == 1 ? xt * values[t] : values[t]
            if rank > pickRank || (rank == pickRank && score > pickScore) {
                pickRank = rank
                pickScore = score
                pickSlot = t
            }
        }
        if requiredSlot >= 0 { pickSlot = requiredSlot }
        guard pickSlot >= 0 else { return nil }
        for t in 0..<e.count {
            warm[next + cand[t]] = Self.smoothing * bestX[t] + (1 - Self.smoothing) * start[t]
        }
        let item = cand[pickSlot]
        return Frame(
            depth: d,
            value: value,
            usedCost: usedCost,
            usedHours: usedHours,
            alpha: e.alpha,
            item: item,
            onlyInclude: status[next + item] == Self.required,
            phase: 0
        )
    }

    /// Bounds the node at `depth`: collects the candidates, linearises at the warm start and solves the surrogate
    /// knapsack. Nil when the node cannot beat `best` (or has nothing left to add).
    private mutating func evaluate(
        depth d: Int,
        usedCost: Double,
        usedHours: Double,
        alpha: Double,
        target: Double
    ) -> Evaluation? {
        let here = d * n
        let spentHere = d * jurisdictionCount
        let capCost = budgetCapacity - usedCost
        let capHours = hoursCapacity - usedHours
        let shareCapacity = model.shareCap + PortfolioModel.tolerance(model.shareCap)
        var m = 0
        for j in 0..<n {
            let s = status[here + j]
            if s == Self.excluded || s == Self.taken { continue }
            var fits = model.cost[j] <= capCost && model.hours[j] <= capHours
            if fits {
                for q in model.shareStart[j]..<model.shareStart[j + 1]
                where spent[spentHere + model.shareIndex[q]] + model.shareAmount[q] > shareCapacity {
                    fits = false
                    break
                }
            }
            if fits {
                cand[m] = j
                start[m] = warm[here + j]
                m += 1
            } else if s == Self.required {
                return nil
            }
        }
        guard m > 0 else { return nil }
        let k = linearise(count: m, lossOffset: d * riskCount)
        let result = surrogate(count: m, capCost: capCost, capHours: capHours, alpha: alpha, target: target - k)
        guard k + result.value > target else { return nil }
        return Evaluation(
            bound: k + result.value,
            alpha: result.alpha,
            lambda: result.lambda,
            count: m,
            capCost: capCost,
            capHours: capHours
        )
    }

    /// Sets `values` to each candidate's value under tangents taken at `y = sum of start × -log(1 - cut)` and
    /// returns the tangents' constant part.
    private mutating func linearise(count m: Int, lossOffset: Int) -> Double {
        for r in 0..<riskCount { y[r] = 0 }
        for t in 0..<m where start[t] > 0 {
            let j = cand[t]
            let x = start[t]
            for q in model.riskStart[j]..<model.riskStart[j + 1] { y[model.riskIndex[q]] += x * model.logKeep[q] }
        }
        var constant = 0.0
        for r in 0..<riskCount {
            let yr = y[r]
            if yr > 0 {
                let e = exp(-yr)
                constant += loss[lossOffset + r] * (-expm1(-yr) - e * yr)
                slope[r] = e
            } else {
                slope[r] = -1
            }
        }
        for t in 0..<m {
            let j = cand[t]
            var v = 0.0
            for q in model.riskStart[j]..<model.riskStart[j + 1] {
                let r = model.riskIndex[q]
                let e = slope[r]
                let l = loss[lossOffset + r]
                v += e < 0 ? l * model.cut[q] : l * e * model.logKeep[q]
            }
            values[t] = v
        }
        return constant
    }

    /// An item's weight in the surrogate constraint.
    @inline(__always)
    private func weight(_ j: Int, alpha: Double, capCost: Double, capHours: Double) -> Double {
        let c = capCost > 0 ? model.cost[j] / capCost : 0
        guard capHours.isFinite else { return c }
        let h = capHours > 0 ? model.hours[j] / capHours : 0
        return alpha * c + (1 - alpha) * h
    }

    /// The smallest surrogate bound found over a few values of `alpha`, starting at the parent's; stops as soon as
    /// the bound is at most `target`. Leaves the corresponding fractions in `bestX`.
    private mutating func surrogate(
        count m: Int,
        capCost: Double,
        capHours: Double,
        alpha: Double,
        target: Double
    ) -> (value: Double, alpha: Double, lambda: Double) {
        let limited = capHours.isFinite
        var a = limited ? alpha : 1
        var first = knapsack(count: m, alpha: a, capCost: capCost, capHours: capHours)
        for t in 0..<m { bestX[t] = lpX[t] }
        if first.value <= target || !limited { return (first.value, a, first.lambda) }
        let g = (5.0.squareRoot() - 1) / 2
        var lo = 0.0
        var hi = 1.0
        var c1 = hi - g * (hi - lo)
        var d1 = lo + g * (hi - lo)
        var fc = knapsack(count: m, alpha: c1, capCost: capCost, capHours: capHours)
        if fc.value < first.value {
            first = fc
            a = c1
            for t in 0..<m { bestX[t] = lpX[t] }
            if first.value <= target { return (first.value, a, first.lambda) }
        }
        var fd = knapsack(count: m, alpha: d1, capCost: capCost, capHours: capHours)
        if fd.value < first.value {
            first = fd
            a = d1
            for t in 0..<m { bestX[t] = lpX[t] }
            if first.value <= target { return (first.value, a, first.lambda) }
        }
        for _ in 0..<Self.goldenSteps {
            if fc.value < fd.value {
                hi = d1
                d1 = c1
                fd = fc
                c1 = hi - g * (hi - lo)
                fc = knapsack(count: m, alpha: c1, capCost: capCost, capHours: capHours)
                if fc.value < first.value {
                    first = fc
                    a = c1
                    for t in 0..<m { bestX[t] = lpX[t] }
                }
            } else {
                lo = c1
                c1 = d1
                fc = fd
                d1 = lo + g * (hi - lo)
                fd = knapsack(count: m, alpha: d1, capCost: capCost, capHours: capHours)
                if fd.value < first.value {
                    first = fd
                    a = d1
                    for t in 0..<m { bestX[t] = lpX[t] }
                }
            }
            if first.value <= target { break }
        }
        return (first.value, a, first.lambda)
    }

    /// The fractional knapsack for the surrogate constraint with `alpha`: the value, the multiplier (the ratio of the
    /// item cut in part, 0 when everything fits) and the fractions in `lpX`. Finds the cut-off ratio by selection
    /// (three-way partitions around a median-of-three pivot), in linear expected time.
    private mutating func knapsack(
        count m: Int,
        alpha: Double,
        capCost: Double,
        capHours: Double
    ) -> (value: Double, lambda: Double) {
        var q = 0
        var total = 0.0
        for t in 0..<m {
            lpX[t] = 0
            let v = values[t]
            guard v > 0 else { continue }
            let w = weight(cand[t], alpha: alpha, capCost: capCost, capHours: capHours)
            if w <= 0 {
                lpX[t] = 1
                total += v
                continue
            }
            selRatio[q] = v / w
            selWeight[q] = w
            selValue[q] = v
            selSlot[q] = t
            q += 1
        }
        var room = 1.0
        var lambda = 0.0
        var lo = 0
        var hi = q
        while lo < hi {
            let a = selRatio[lo]
            let b = selRatio[lo + (hi - lo) / 2]
            let c = selRatio[hi - 1]
            let pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b))
            var greater = lo
            var i = lo
            var less = hi
            while i < less {
                let r = selRatio[i]
                if r > pivot {
                    swapSelection(i, greater)
                    greater += 1
                    i += 1
                } else if r < pivot {
                    less -= 1
                    swapSelection(i, less)
                } else {
                    i += 1
                }
            }
            var weightAbove = 0.0
            var valueAbove = 0.0
            for s in lo..<greater {
                weightAbove += selWeight[s]
                valueAbove += selValue[s]
            }
            if weightAbove > room {
                hi = greater
                continue
            }
            for s in lo..<greater { lpX[selSlot[s]] = 1 }
            room -= weightAbove
            total += valueAbove
            var filled = false
            for s in greater..<less {
                let w = selWeight[s]
                if w <= room {
                    lpX[selSlot[s]] = 1
                    room -= w
                    total += selValue[s]
                } else {
                    let f = room / w
                    lpX[selSlot[s]] = f
                    total += selValue[s] * f
                    lambda = pivot
                    filled = true
                    break
                }
            }
            if filled { break }
            lo = less
        }
        return (total, lambda)
    }

    private mutating func swapSelection(_ i: Int, _ j: Int) {
        guard i != j else { return }
        selRatio.swapAt(i, j)
        selWeight.swapAt(i, j)
        selValue.swapAt(i, j)
        selSlot.swapAt(i, j)
    }
}

extension PlanRequest {
    /// Jurisdictions used by `synthetic(interventions:jurisdictions:seed:)`, in order.
    static let syntheticCodes = [
        "TH", "KH", "LA", "MM", "VN", "MY", "SG", "ID", "PH", "BN", "TL", "FJ", "PG", "WS", "TO", "VU", "SB", "KI",
        "NR", "TV", "PW", "FM", "MH", "CK", "NU",
    ]

    /// A random but repeatable planning problem, for tests and benchmarks.
    ///
    /// Each jurisdiction gets a risk per typology with a lognormal expected annual loss (median about 0.8M per
    /// jurisdiction and typology). Of the interventions, 80% act in one jurisdiction, 5% in two and 15% are
    /// regional; each has one or two effects on one, two or three, or all typologies, reducing a random factor by
    /// 3% to 30%; costs are lognormal around 150k, hours around 800. The budget and the hours are a quarter of the
    /// catalogue's totals.
    /// - Parameters:
    ///   - count: how many interventions.
    ///   - jurisdictions: how many jurisdictions (1 to 25).
    ///   - seed: the seed; the same seed gives the same problem.
    public static func synthetic(interventions count: Int, jurisdictions: Int = 12, seed: UInt64) -> PlanRequest {
        var random = SeededRandom(seed: seed)
        let codes = Array(syntheticCodes.prefix(max(1, min(jurisdictions, syntheticCodes.count))))
        let typologies = Typology.allCases
        func index(_ bound: Int) -> Int { Int(random.next() % UInt64(bound)) }

        var risks: [RiskExposure] = []
        for code in codes {
            let scale = random.lognormal(mu: 16, sigma: 1)
            for typology in typologies {
                let loss = scale * random.lognormal(mu: 0, sigma: 1) / Double(typologies.count)
                risks.append(RiskExposure(jurisdiction: code, typology: typology, expectedAnnualLoss: loss.rounded()))
            }
        }
        var items: [Intervention] = []
        var totalCost = 0.0
        var totalHours = 0.0
        for k in 0..<max(0, count) {
            let u = random.unit()
            var scope: [String] = []
            if u < 0.8 {
                scope = [codes[index(codes.count)]]
            } else if u < 0.85 && codes.count >= 2 {
                let first = index(codes.count)
                var second = index(codes.count - 1)
                if second >= first { second += 1 }
                scope = [codes[first], codes[second]]
            }
            var effects: [Intervention.Effect] = []
            let effectCount = random.unit() < 0.4 ? 2 : 1
            for _ in 0..<effectCount {
                let v = random.unit()
                var chosen: [Typology] = []
                if v < 0.5 {
                    chosen = [typologies[index(typologies.count)]]
                } else if v < 0.8 {
                    let want = 2 + index(2)
                    while chosen.count < want {
                        let t = typologies[index(typologies.count)]
                        if !chosen.contains(t) { chosen.append(t) }
                    }
                }
                let factor = Intervention.Factor.allCases[index(Intervention.Factor.allCases.count)]
                let reduction = ((0.03 + 0.27 * random.unit()) * 1000).rounded() / 1000
                effects.append(Intervention.Effect(factor: factor, typologies: chosen, reduction: reduction))
            }
            let cost = (random.lognormal(mu: log(150_000), sigma: 0.8) / 1000).rounded() * 1000
            let hours = (random.lognormal(mu: log(800), sigma: 0.7) / 10).rounded() * 10
            totalCost += cost
            totalHours += hours
            items.append(
                Intervention(
                    id: "synthetic-\(k)",
                    name: "Synthetic intervention \(k)",
                    cost: cost,
                    analystHours: hours,
                    durationMonths: 3 + index(22),
                    jurisdictions: scope,
                    effects: effects,
                    source: "synthetic"
                )
            )
        }
        return PlanRequest(
            risks: risks,
            interventions: items,
            budget: (0.25 * totalCost).rounded(),
            hours: (0.25 * totalHours).rounded()
        )
    }
}
