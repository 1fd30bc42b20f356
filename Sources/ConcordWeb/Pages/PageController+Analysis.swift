import ConcordAnalysis
import ConcordCore
import ConcordStore
import Foundation
import Hummingbird

/// The risk register and the plan as pages. Both are read-only requests (GET forms): they compute, they change
/// nothing, and they run under the same compute limits as the API.
extension PageController {
    static func money(_ value: Double) -> String {
        let formatter = NumberFormatter()
        formatter.numberStyle = .decimal
        formatter.maximumFractionDigits = 0
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.usesGroupingSeparator = true
        formatter.groupingSeparator = ","
        return formatter.string(from: NSNumber(value: value)) ?? String(format: "%.0f", value)
    }

    static func percent(_ share: Double) -> String { String(format: "%.1f%%", share * 100) }

    /// The `as_of` month of a query, checked; the current month when absent.
    static func month(_ text: String?) -> (String, String?) {
        let now = String(Timestamp.now().date.prefix(7))
        guard let text, !text.isEmpty else { return (now, nil) }
        guard text.utf8.count == 7, Timestamp(rfc3339: text + "-01") != nil else {
            return (now, "“\(text.prefix(20))” is not a month written YYYY-MM; showing \(now).")
        }
        return (text, nil)
    }

    @Sendable func risks(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let session = try await require(request, .analyst)
            let query = request.uri.queryParameters
            var (asOf, message) = Self.month(query["as_of"].map(String.init))
            let filterText = query["jurisdiction"].map { String($0).uppercased() } ?? ""
            let jurisdiction = filterText.isEmpty ? nil : Jurisdiction.normalize(filterText)
            let trials = 20_000
            let seed: UInt64 = 1
            var estimates: [RiskEstimate] = []
            do {
                estimates = try await node.analysis.risks(asOf: asOf, trials: trials, seed: seed)
            } catch let problem as Problem {
                message = problem.detail
            }
            let shown = estimates.filter { jurisdiction == nil || $0.inputs.jurisdiction == jurisdiction }.prefix(30)
            let rows = shown.map { e -> [String: Any] in
                let i = e.inputs
                return [
                    "anchor": "\(i.jurisdiction)-\(i.typology.rawValue)", "jurisdiction": i.jurisdiction,
                    "typology": i.typology.rawValue, "eal": Self.money(e.expectedAnnualLoss), "p50": Self.money(e.p50),
                    "p90": Self.money(e.p90), "p99": Self.money(e.p99), "probability": Self.percent(e.probabilityOfLoss),
                    "curve": SVGChart.curve(
                        e.exceedance.map { ($0.loss, $0.probability) },
                        title: "Loss exceedance curve, \(i.jurisdiction) \(i.typology.rawValue)",
                        xLabel: "loss in a year (\(i.baseCurrency), log scale)",
                        yLabel: "chance"
                    ),
                    "reportsLastYear": i.reportsLastYear, "recent": i.recentReports, "previous": i.previousReports,
                    "growth": String(format: "%.2f", i.growth), "frequency": String(format: "%.1f", i.annualFrequency),
                    "samples": i.lossSamples,
                    "vulnerability": String(format: "%.2f", i.vulnerability)
                        + (i.vulnerabilityAssessed ? "" : " (default, not assessed)"),
                    "explanation": e.explanation,
                ]
            }
            return pages.page(
                "risks",
                title: "Risk register",
                node: node,
                session: session,
                nav: "Risks",
                values: [
                    "asOf": asOf, "filterJurisdiction": jurisdiction ?? "", "message": message, "trials": trials,
                    "seed": seed, "currency": node.analysis.rates.base, "risks": Array(rows), "details": Array(rows.prefix(10)),
                    "hasRisks": !rows.isEmpty,
                ]
            )
        }
    }

    @Sendable func plan(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let session = try await require(request, .analyst)
            let query = request.uri.queryParameters
            var (asOf, message) = Self.month(query["as_of"].map(String.init))
            let budgetText = query["budget"].map(String.init) ?? ""
            let hoursText = query["hours"].map(String.init) ?? ""
            let currency = node.analysis.rates.base
            var values: [String: Any] = [
                "asOf": asOf, "budget": budgetText, "hours": hoursText, "currency": currency, "hasPlan": false,
            ]
            let budget = Double(budgetText.replacingOccurrences(of: ",", with: ""))
            let hours = hoursText.isEmpty ? nil : Double(hoursText)
            if !budgetText.isEmpty, budget == nil || !(0...1e13).contains(budget ?? -1) {
                message = "The budget must be a number from 0 to 10,000,000,000,000 \(currency)."
            } else if !hoursText.isEmpty, hours == nil || !(0...1e9).contains(hours ?? -1) {
                message = "Analyst hours must be a number from 0 to 1,000,000,000, or left empty for no limit."
            } else if let budget {
                do {
                    let (plan, riskCount) = try await PlanController.solve(
                        analysis: node.analysis,
                        interventions: catalogue,
                        asOf: asOf,
                        trials: 20_000,
                        seed: 1,
                        budget: budget,
                        hours: hours,
                        fairShare: nil,
                        nextStep: nil,
                        only: nil
                    )
                    let totals = plan.totals
                    values["hasPlan"] = true
                    values["cut"] = Self.money(totals.cut)
                    values["lossBefore"] = Self.money(totals.lossBefore)
                    values["cutShare"] = totals.lossBefore > 0 ? Self.percent(totals.cut / totals.lossBefore) : "0%"
                    values["cost"] = Self.money(totals.cost)
                    values["budget"] = Self.money(budget)
                    values["hoursUsed"] = Self.money(totals.analystHours)
                    values["picksCount"] = plan.picks.count
                    values["catalogueCount"] = catalogue.count
                    values["riskCount"] = riskCount
                    values["hasPicks"] = !plan.picks.isEmpty
                    values["picks"] = plan.picks.map { pick -> [String: Any] in
                        [
                            "name": pick.name, "cost": Self.money(pick.cost), "hours": Self.money(pick.analystHours),
                            "cut": Self.money(pick.marginalCut), "reason": pick.reason,
                        ]
                    }
                    values["nextSummary"] =
                        "The \(plan.nextUnit.binding.rawValue) is the tighter limit: \(Self.percent(plan.nextUnit.budgetUsed)) of the budget is used"
                        + (plan.nextUnit.hoursUsed.map { " and \(Self.percent($0)) of the hours." } ?? ".")
                    values["moreBudget"] = plan.nextUnit.moreBudget.summary
                    values["moreHours"] = plan.nextUnit.moreHours?.summary
                    values["optimality"] =
                        plan.provenOptimal
                        ? "No other affordable set of interventions cuts more (proven by the search)."
                        : "The search stopped before proving this the best; another set could cut at most \(Self.money(plan.gap)) more."
                    values["asOf"] = asOf
                } catch let problem as Problem {
                    message = problem.detail
                }
            }
            values["message"] = message
            return pages.page("plan", title: "Plan", node: node, session: session, nav: "Plan", values: values)
        }
    }
}
