import ConcordAnalysis
import ConcordCore
import ConcordStore
import Foundation
import Hummingbird
import Logging

/// The learning page: this node's gaps, proposed mentors, the assessments held, and the assessment form, through
/// the same code as the API.
extension PageController {
    func addLearningRoutes(to router: Router<ConcordRequestContext>) {
        router.get("learning", use: learning)
        router.post("learning", use: saveAssessment)
    }

    @Sendable func learning(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let session = try await require(request, .analyst)
            return try await learningPage(session: session)
        }
    }

    func learningPage(session: UserSession, notice: String? = nil, message: String? = nil) async throws -> Response {
        let learning = LearningController(node: node, framework: framework)
        let history = try await LearningController.history(node.store)
        let own = history.first {
            $0.assessment.origin == node.key.nodeID && $0.assessment.body["framework"]?.stringValue == framework.id
        }
        let gaps =
            own.map {
                CapabilityGaps.gaps(
                    LearningController.capability($0.assessment),
                    framework: framework,
                    lossByTypology: learning.lossByTypology()
                )
            } ?? []
        let names = Dictionary(
            history.map { ($0.assessment.origin, $0.assessment.body["organisation"]?.stringValue ?? "") },
            uniquingKeysWith: { a, _ in a }
        )
        let pairs = PeerMatching.propose(try await learning.participants())
        let regions = LearningRegion.allCases.map {
            ["value": $0.rawValue, "selected": own?.assessment.body["region"]?.stringValue == $0.rawValue]
        }
        let gapRows: [[String: Any]] = gaps.map { g in
            [
                "title": framework.factor(g.factor)?.title ?? g.factor, "dimension": g.dimension, "stage": g.stage,
                "target": g.target,
                "gap": g.gap, "share": "\(Int((g.riskShare * 100).rounded())) %", "weighted": String(format: "%.2f", g.weighted),
            ]
        }
        func name(_ id: String) -> String {
            if let known = names[id], !known.isEmpty { return known }
            return String(id.prefix(10))
        }
        let pairRows: [[String: Any]] = pairs.map { p in
            [
                "mentee": name(p.mentee), "mentor": name(p.mentor), "benefit": String(format: "%.2f", p.benefit),
                "reasons": p.reasons,
            ]
        }
        var historyRows: [[String: Any]] = []
        for h in history {
            let summary = LearningController.summary(h.assessment, reviews: h.reviews.count)
            var mean = "–"
            if case .double(let value)? = summary["mean_stage"] { mean = String(format: "%.1f", value) }
            let row: [String: Any] = [
                "id": h.assessment.id, "organisation": summary["organisation"]?.stringValue ?? "",
                "date": String(h.assessment.created.rfc3339.prefix(10)),
                "factors": Int(summary["factors"]?.integerValue ?? 0), "mean": mean, "reviews": h.reviews.count,
            ]
            historyRows.append(row)
        }
        let languages: [String] =
            own?.assessment.body["languages"]?.arrayValue?.compactMap(\.stringValue) ?? node.profile.languages
        let current = own.map { LearningController.capability($0.assessment) }
        let factorRows: [[String: Any]] = framework.factors.map { factor in
            let entry = current?.entry(factor.id)
            let stages: [[String: Any]] = (1...5).map { ["level": $0, "selected": entry?.stage == $0] }
            let targets: [[String: Any]] = (1...5).map { ["level": $0, "selected": entry?.target == $0] }
            return [
                "id": factor.id, "title": factor.title, "established": factor.indicators.count == 5 ? factor.indicators[2] : "",
                "stages": stages, "targets": targets,
            ]
        }
        let tradition = own?.assessment.body["legal_tradition"]?.stringValue
        let traditions: [[String: Any]] = LegalTradition.allCases.map {
            ["value": $0.rawValue, "selected": $0.rawValue == tradition]
        }
        var values: [String: Any] = [
            "frameworkTitle": framework.title, "frameworkVersion": framework.version,
            "stageNames": framework.stages.map { "\($0.level) \($0.title)" }.joined(separator: ", "),
            "gaps": gapRows, "hasGaps": !gapRows.isEmpty, "pairs": pairRows, "hasPairs": !pairRows.isEmpty,
            "history": historyRows, "hasHistory": !historyRows.isEmpty,
            "organisation": own?.assessment.body["organisation"]?.stringValue ?? node.profile.organisation,
            "languages": languages.joined(separator: ", "),
            "timeZone": own?.assessment.body["time_zone"]?.stringValue ?? node.profile.timeZone ?? "UTC",
            "regions": regions, "traditions": traditions, "factors": factorRows,
            "capacity": Int(own?.assessment.body["mentor_capacity"]?.integerValue ?? 0),
        ]
        values["notice"] = notice
        values["message"] = message
        return pages.page(
            "learning",
            title: "Learning from peers",
            node: node,
            session: session,
            status: message == nil ? .ok : .unprocessableContent,
            nav: "Learning",
            values: values
        )
    }

    @Sendable func saveAssessment(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let session = try await require(request, .analyst)
            let form = try await form(request, session)
            var factors: [JSONValue] = []
            for factor in framework.factors {
                guard let stage = Int(form["stage-" + factor.id] ?? "") else { continue }
                let target = Int(form["target-" + factor.id] ?? "") ?? stage
                factors.append(["factor": .string(factor.id), "stage": .integer(Int64(stage)), "target": .integer(Int64(target))])
            }
            var json: [String: JSONValue] = [
                "organisation": .string(form["organisation"] ?? ""), "region": .string(form["region"] ?? ""),
                "languages": .array(
                    (form["languages"] ?? "").split(whereSeparator: { $0 == "," || $0 == " " }).map { .string(String($0)) }
                ),
                "time_zone": .string(form["time_zone"] ?? ""), "factors": .array(factors), "tlp": .string(form["tlp"] ?? "amber"),
            ]
            if let tradition = form["legal_tradition"], !tradition.isEmpty { json["legal_tradition"] = .string(tradition) }
            if let capacity = form["mentor_capacity"], !capacity.isEmpty {
                json["mentor_capacity"] = Int64(capacity).map(JSONValue.integer) ?? .string(capacity)
            }
            do {
                let draft = try LearningController.draft(.object(json), framework: framework, node: node)
                _ = try await node.write([draft])
                return try await learningPage(session: session, notice: "Assessment saved: \(factors.count) factors.")
            } catch {
                guard let message = Self.describe(error) else { throw error }
                return try await learningPage(session: session, message: message)
            }
        }
    }
}
