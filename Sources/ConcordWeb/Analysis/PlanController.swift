import ConcordAnalysis
import ConcordCore
import ConcordInterop
import ConcordStore
import Foundation
import Hummingbird

/// `POST /plan`: the portfolio of interventions that cuts most expected loss for a budget and analyst hours,
/// against this node's risk register.
struct PlanController {
    let node: RunningNode
    let analysis: NodeAnalysis
    let catalogue: [Intervention]

    func addRoutes(to group: RouterGroup<ConcordRequestContext>) {
        group.post("plan", use: plan)
    }

    /// Plans against the node's risk register as of `asOf`, under the compute limits; the API and the plan page
    /// both come here.
    /// - Returns: the plan and how many risks it weighed.
    static func solve(
        analysis: NodeAnalysis,
        interventions: [Intervention],
        asOf: String,
        trials: Int,
        seed: UInt64,
        budget: Double,
        hours: Double?,
        fairShare: Double?,
        nextStep: Double?,
        only: Set<String>?
    ) async throws -> (Plan, Int) {
        let estimates = try await analysis.risks(asOf: asOf, trials: trials, seed: seed)
        let risks = estimates.filter { only?.contains($0.inputs.jurisdiction) ?? true }.map {
            RiskExposure(
                jurisdiction: $0.inputs.jurisdiction,
                typology: $0.inputs.typology,
                expectedAnnualLoss: $0.expectedAnnualLoss
            )
        }
        let request = PlanRequest(
            risks: risks,
            interventions: interventions,
            budget: budget,
            hours: hours,
            fairShare: fairShare,
            nextStep: nextStep
        )
        let plan = try await analysis.compute.run("plan") {
            let plan = Planner.plan(request)
            try Task.checkCancellation()
            return plan
        }
        return (plan, risks.count)
    }

    @Sendable func plan(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        let json = try await request.jsonBody(context: context)
        guard let fields = json.objectValue else { throw Problem.invalid(pointer: "", "expected an object with a budget") }
        let known: Set<String> = [
            "budget", "hours", "fair_share", "next_step", "as_of", "trials", "seed", "jurisdictions", "catalogue",
        ]
        var issues: [FieldIssue] = []
        for name in fields.keys.sorted() where !known.contains(name) {
            issues.append(
                FieldIssue(pointer: "/\(name)", detail: "is not a plan field; use \(known.sorted().joined(separator: ", "))")
            )
        }
        func number(_ name: String, required: Bool = false, _ valid: (Double) -> Bool, _ rule: String) -> Double? {
            guard let value = fields[name], value != .null else {
                if required { issues.append(FieldIssue(pointer: "/\(name)", detail: "is required: \(rule)")) }
                return nil
            }
            let n: Double? =
                switch value {
                case .integer(let i): Double(i)
                case .double(let d): d
                default: nil
                }
            guard let n, n.isFinite, valid(n) else {
                issues.append(FieldIssue(pointer: "/\(name)", detail: "expected \(rule)"))
                return nil
            }
            return n
        }
        let budget = number(
            "budget",
            required: true,
            { $0 >= 0 && $0 <= 1e13 },
            "a budget from 0 to 10^13, in \(analysis.rates.base)"
        )
        let hours = number("hours", { $0 >= 0 && $0 <= 1e9 }, "analyst hours, from 0 to 10^9")
        let fairShare = number(
            "fair_share",
            { $0 > 0 && $0 <= 1 },
            "the largest share of the budget one jurisdiction may take, above 0 and at most 1"
        )
        let nextStep = number("next_step", { $0 > 0 && $0 <= 1e13 }, "the extra budget to price, above 0 and at most 10^13")
        let trials = number(
            "trials",
            { $0 >= 1000 && $0 <= 1_000_000 && $0 == $0.rounded() },
            "a whole number of trials from 1000 to 1000000"
        )
        let seed = number("seed", { $0 >= 0 && $0 == $0.rounded() && $0 < 9e15 }, "a whole number, 0 or more")
        var asOf = String(Timestamp.now().date.prefix(7))
        if let value = fields["as_of"], value != .null {
            if let text = value.stringValue, text.utf8.count == 7, Timestamp(rfc3339: text + "-01") != nil {
                asOf = text
            } else {
                issues.append(FieldIssue(pointer: "/as_of", detail: "expected a month as YYYY-MM"))
            }
        }
        var only: Set<String>?
        if let value = fields["jurisdictions"], value != .null {
            var codes = Set<String>()
            for (n, item) in (value.arrayValue ?? []).enumerated() {
                if let code = item.stringValue.flatMap(Jurisdiction.normalize) {
                    codes.insert(code)
                } else {
                    issues.append(FieldIssue(pointer: "/jurisdictions/\(n)", detail: "is not an ISO 3166-1 alpha-2 code"))
                }
            }
            if value.arrayValue == nil {
                issues.append(FieldIssue(pointer: "/jurisdictions", detail: "expected an array of country codes"))
            }
            only = codes
        }
        var interventions = catalogue
        if let value = fields["catalogue"], value != .null {
            if let yaml = value.stringValue {
                do {
                    interventions = try InterventionCatalogue.parse(yaml)
                } catch {
                    issues.append(FieldIssue(pointer: "/catalogue", detail: "\(error)"))
                }
            } else {
                issues.append(FieldIssue(pointer: "/catalogue", detail: "expected the catalogue as YAML text"))
            }
        }
        guard issues.isEmpty, let budget else { throw Problem.invalid(InputError(issues: issues)) }

        let (plan, riskCount) = try await Self.solve(
            analysis: analysis,
            interventions: interventions,
            asOf: asOf,
            trials: Int(trials ?? 20_000),
            seed: UInt64(seed ?? 1),
            budget: budget,
            hours: hours,
            fairShare: fairShare,
            nextStep: nextStep,
            only: only
        )
        struct Answer: Encodable {
            let asOf: String
            let baseCurrency: String
            let risks: Int
            let interventions: Int
            let plan: Plan
            enum CodingKeys: String, CodingKey {
                case asOf = "as_of"
                case baseCurrency = "base_currency"
                case risks, interventions, plan
            }
        }
        return try Response.encoded(
            Answer(
                asOf: asOf,
                baseCurrency: analysis.rates.base,
                risks: riskCount,
                interventions: interventions.count,
                plan: plan
            )
        )
    }
}
