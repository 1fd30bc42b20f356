import ConcordCore
import ConcordWeb
import Foundation
import HTTPTypes
import Testing

@Suite("Campaigns, alerts, landscape and risks")
struct AnalysisRouteTests {
    /// Waits until the node has read its stored reports (it serves checks before that, campaigns after).
    static func linked(_ node: NodeClient) async throws {
        for _ in 0..<100 {
            if try await node.get("/api/v1/campaigns", token: node.tokens.analyst).status != .serviceUnavailable { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("the node never finished reading its stored reports")
    }

    static func report(
        _ jurisdiction: String,
        _ phone: String,
        typology: String = "job",
        loss: Int = 20_000,
        month: String = "2026-09"
    )
        -> String
    {
        #"""
        {"typology":"\#(typology)","jurisdiction":"\#(jurisdiction)","occurred_at":"\#(month)-10",
         "loss":{"amount":"\#(loss)","currency":"THB"},
         "identifiers":[{"kind":"phone","value":"\#(phone)"}]}
        """#
    }

    @Test("reports sharing a number written two ways in two countries form one cross-border campaign and raise an alert")
    func crossBorderCampaign() async throws {
        try await TestNode.run { node in
            try await Self.linked(node)
            let first = try await node.fileReport(Self.report("TH", "081 234 5678"))
            _ = try await node.fileReport(Self.report("TH", "082 000 1111"))
            let second = try await node.fileReport(Self.report("MY", "+66 81 234 5678"))

            let listed = try await node.get("/api/v1/campaigns?cross_border=true", token: node.tokens.analyst)
            #expect(listed.status == .ok, "\(listed.text)")
            let campaigns = try #require(try listed.json()["campaigns"]?.arrayValue)
            #expect(campaigns.count == 1)
            let campaign = try #require(campaigns.first)
            #expect(campaign["jurisdictions"] == .array([.string("MY"), .string("TH")]))
            #expect(campaign["reports"] == .integer(2))
            #expect(campaign["total_loss"]?["currency"] == .string("USD"))
            let mine = try await node.get("/api/v1/campaigns?jurisdiction=my", token: node.tokens.analyst).json()
            #expect(mine["campaigns"]?.arrayValue?.count == 1)
            let none = try await node.get("/api/v1/campaigns?jurisdiction=FJ", token: node.tokens.analyst).json()
            #expect(none["campaigns"]?.arrayValue?.isEmpty == true)

            // The campaign reads by its id and by any of its reports' ids, with the report list.
            let id = try #require(campaign["id"]?.stringValue)
            for key in [id, first] {
                let detail = try await node.get("/api/v1/campaigns/\(key)", token: node.tokens.analyst)
                #expect(detail.status == .ok, "\(detail.text)")
                #expect(Set(try detail.json()["reports"]?.arrayValue ?? []) == [.string(first), .string(second)])
            }

            let alerts = try await node.get("/api/v1/alerts", token: node.tokens.analyst).json()
            let alert = try #require(alerts["alerts"]?.arrayValue?.first)
            #expect(alert["report_id"] == .string(second))
            #expect(alert["new_jurisdictions"] == .array([.string("MY")]))
            #expect(alerts["next_cursor"] == alert["sequence"])
            let later = try await node.get(
                "/api/v1/alerts?after=\(alert["sequence"]?.integerValue ?? 0)",
                token: node.tokens.analyst
            )
            #expect(try later.json()["alerts"] == .array([]))
        }
    }

    @Test("the landscape counts reports by jurisdiction, typology and month, with losses in one currency")
    func landscape() async throws {
        try await TestNode.run { node in
            try await Self.linked(node)
            for n in 0..<3 { _ = try await node.fileReport(Self.report("TH", "081 300 000\(n)", loss: 10_000)) }
            _ = try await node.fileReport(Self.report("TH", "081 300 0009", typology: "investment", month: "2026-08"))
            let reply = try await node.get("/api/v1/landscape?scope=node&typology=job", token: node.tokens.analyst)
            #expect(reply.status == .ok, "\(reply.text)")
            let body = try reply.json()
            let cells = try #require(body["cells"]?.arrayValue)
            #expect(cells.count == 1)
            #expect(cells.first?["reports"] == .integer(3))
            #expect(cells.first?["month"] == .string("2026-09"))
            // 30,000 THB at the reference rate of 0.0307 USD.
            let loss = cells.first?["loss"]?.doubleValue ?? 0
            #expect(abs(loss - 921) < 1, "loss \(loss)")
            #expect(body["base_currency"] == .string("USD"))
        }
    }

    @Test("the risk register ranks by expected annual loss and repeats exactly under the same seed")
    func risks() async throws {
        try await TestNode.run { node in
            try await Self.linked(node)
            for n in 0..<6 { _ = try await node.fileReport(Self.report("TH", "081 400 000\(n)", loss: 50_000 + n)) }
            _ = try await node.fileReport(Self.report("TH", "081 400 0099", typology: "romance", loss: 500))
            let first = try await node.get("/api/v1/risks?trials=5000&seed=7&as_of=2026-10", token: node.tokens.analyst)
            #expect(first.status == .ok, "\(first.text)")
            let risks = try #require(try first.json()["risks"]?.arrayValue)
            #expect(risks.count == 2)
            #expect(risks.first?["inputs"]?["typology"] == .string("job"))
            let eal = risks.compactMap { $0["expected_annual_loss"]?.doubleValue }
            #expect(eal.count == 2 && eal[0] >= eal[1])
            #expect(!(risks.first?["explanation"]?.arrayValue?.isEmpty ?? true))
            let again = try await node.get("/api/v1/risks?trials=5000&seed=7&as_of=2026-10", token: node.tokens.analyst)
            #expect(try again.json()["risks"] == .array(risks))
        }
    }

    @Test("a risk register or plan past the time limit is a 503 problem, and the node goes on answering")
    func computeTimeLimit() async throws {
        var limits = APILimits()
        limits.computeTime = .milliseconds(5)
        try await TestNode.run(limits: limits) { node in
            try await Self.linked(node)
            for n in 0..<6 {
                _ = try await node.fileReport(
                    Self.report("TH", "081 600 000\(n)", typology: n % 2 == 0 ? "job" : "romance", loss: 9_000)
                )
            }
            let started = ContinuousClock.now
            let risks = try await node.get("/api/v1/risks?trials=1000000&seed=3&as_of=2026-10", token: node.tokens.analyst)
            expectProblem(risks, .serviceUnavailable, type: "busy")
            let plan = try await node.post(
                "/api/v1/plan",
                token: node.tokens.analyst,
                body: #"{"budget": 400000, "as_of": "2026-10", "trials": 1000000, "seed": 4}"#
            )
            expectProblem(plan, .serviceUnavailable, type: "busy")
            #expect(ContinuousClock.now - started < .seconds(5))
            let check = try await node.check(kind: "phone", value: "081 600 0001")
            #expect(check["flagged"] == .bool(true))
        }
    }

    @Test("a plan picks interventions within the budget against the node's risks, and explains each pick")
    func plan() async throws {
        try await TestNode.run { node in
            try await Self.linked(node)
            for n in 0..<8 { _ = try await node.fileReport(Self.report("TH", "081 500 000\(n)", loss: 80_000)) }
            let body = #"{"budget": 400000, "hours": 3000, "as_of": "2026-10", "trials": 2000}"#
            let reply = try await node.post("/api/v1/plan", token: node.tokens.analyst, body: body)
            #expect(reply.status == .ok, "\(reply.text)")
            let answer = try reply.json()
            #expect(answer["risks"] == .integer(1))
            let plan = try #require(answer["plan"])
            let picks = try #require(plan["picks"]?.arrayValue)
            #expect(!picks.isEmpty)
            let spent = picks.compactMap { $0["cost"]?.doubleValue }.reduce(0, +)
            #expect(spent <= 400_000)
            #expect(picks.allSatisfy { !($0["reason"]?.stringValue?.isEmpty ?? true) })
            #expect(plan["proven_optimal"] == .bool(true))

            // A catalogue in the request replaces the node's; a bad one is refused with the item and field named.
            let bad =
                #"{"budget": 1000, "catalogue": "interventions:\n  - id: x\n    name: X\n    cost: -5\n    analyst_hours: 1\n    duration_months: 1\n    effects: [{factor: likelihood, reduction: 0.1}]\n"}"#
            let refused = try await node.post("/api/v1/plan", token: node.tokens.analyst, body: bad)
            #expect(refused.status == .unprocessableContent, "\(refused.text)")
            #expect(refused.text.contains("cost"))
            let missing = try await node.post("/api/v1/plan", token: node.tokens.analyst, body: #"{"hours": 10}"#)
            #expect(try missing.json()["errors"]?.arrayValue?.first?["pointer"] == .string("/budget"))
        }
    }

    @Test("bad parameters are refused with the parameter named")
    func badParameters() async throws {
        try await TestNode.run { node in
            try await Self.linked(node)
            for (uri, pointer) in [
                ("/api/v1/campaigns?cross_border=maybe", "/cross_border"),
                ("/api/v1/campaigns?sort=size", "/sort"),
                ("/api/v1/landscape?from=2026-13", "/from"),
                ("/api/v1/landscape?typology=lottery", "/typology"),
                ("/api/v1/landscape?scope=world", "/scope"),
                ("/api/v1/risks?trials=5", "/trials"),
            ] {
                let reply = try await node.get(uri, token: node.tokens.analyst)
                #expect(reply.status == .unprocessableContent, "\(uri): \(reply.text)")
                #expect(reply.contentType == "application/problem+json")
                #expect(try reply.json()["errors"]?.arrayValue?.first?["pointer"] == .string(pointer), "\(uri)")
            }
            let checker = try await node.get("/api/v1/campaigns", token: node.tokens.checker)
            #expect(checker.status == .forbidden)
            let missing = try await node.get("/api/v1/campaigns/c-0000000000000000", token: node.tokens.analyst)
            #expect(missing.status == .notFound)
        }
    }
}

extension JSONValue {
    /// A JSON number as a double, whether written as an integer or not.
    fileprivate var doubleValue: Double? {
        switch self {
        case .integer(let n): Double(n)
        case .double(let d): d
        default: nil
        }
    }
}
