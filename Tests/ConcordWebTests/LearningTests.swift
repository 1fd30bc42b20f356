import AsyncHTTPClient
import ConcordAnalysis
import ConcordCore
import ConcordInterop
import Foundation
import HTTPTypes
import NIOHTTP1
import Testing

@testable import ConcordWeb

@Suite("Learning from peers: assessments, reviews, matching and pairings")
struct LearningTests {
    typealias Net = FederationTests

    static func assessment(
        _ organisation: String,
        region: String,
        languages: [String],
        zone: String,
        tradition: String,
        capacity: Int,
        _ factors: [(String, Int, Int)]
    ) -> String {
        let entries = factors.map {
            #"{"factor": "\#($0.0)", "stage": \#($0.1), "target": \#($0.2), "confidence": "high", "evidence": ["https://example.org/evidence"]}"#
        }
        return """
            {"organisation": "\(organisation)", "region": "\(region)", "languages": [\(languages.map { "\"\($0)\"" }.joined(separator: ", "))],
             "time_zone": "\(zone)", "legal_tradition": "\(tradition)", "mentor_capacity": \(capacity), "tlp": "green",
             "factors": [\(entries.joined(separator: ", "))]}
            """
    }

    @Test(
        "three nodes assess themselves; matching pairs the Pacific unit with the strong mentor; offer, answer and review travel"
    )
    func acrossThreeNodes() async throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("concord-learn-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let nodes = try await DisputeTests.mesh(base, jurisdictions: ["TH", "FJ", "FR"])
        let (th, fj, fr) = (nodes[0], nodes[1], nodes[2])
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let bodies = [
            (
                th,
                Self.assessment(
                    "Thai centre",
                    region: "southeast-asia",
                    languages: ["th", "en"],
                    zone: "Asia/Bangkok",
                    tradition: "civil",
                    capacity: 1,
                    [("contact-24-7-mla", 5, 5), ("financial-investigation-freezing", 5, 5), ("reporting-hotline", 3, 3)]
                )
            ),
            (
                fj,
                Self.assessment(
                    "Fiji unit",
                    region: "pacific",
                    languages: ["en"],
                    zone: "Pacific/Fiji",
                    tradition: "common",
                    capacity: 0,
                    [("contact-24-7-mla", 1, 3), ("financial-investigation-freezing", 2, 4)]
                )
            ),
            (
                fr,
                Self.assessment(
                    "French unit",
                    region: "europe",
                    languages: ["fr", "en"],
                    zone: "Europe/Paris",
                    tradition: "civil",
                    capacity: 1,
                    [("financial-investigation-freezing", 2, 4), ("specialised-units", 5, 5)]
                )
            ),
        ]
        var ids: [String: String] = [:]
        for (node, body) in bodies {
            let (code, answer) = try await Net.call(
                client,
                .POST,
                node.url + "/api/v1/assessments",
                token: node.token,
                body: body
            )
            #expect(code == 201, "\(String(decoding: answer, as: UTF8.self))")
            ids[node.key.nodeID] = DisputeTests.json(answer)["id"]?.stringValue
        }
        let (bad, problem) = try await Net.call(
            client,
            .POST,
            fj.url + "/api/v1/assessments",
            token: fj.token,
            body: Self.assessment(
                "Fiji unit",
                region: "pacific",
                languages: ["en"],
                zone: "Pacific/Fiji",
                tradition: "common",
                capacity: 0,
                [("no-such-factor", 1, 2)]
            )
        )
        #expect(bad == 422 && DisputeTests.json(problem)["pointer"] == "/factors/0/factor")

        let held = try await ActionRequestTests.eventually(client, fj, "/api/v1/assessments") {
            $0["assessments"]?.arrayValue?.count == 3
        }
        #expect(held["assessments"]?.arrayValue?.count == 3)
        let (_, matched) = try await Net.call(client, .POST, fj.url + "/api/v1/matching", token: fj.token, body: "{}")
        let pairs = try #require(DisputeTests.json(matched)["pairs"]?.arrayValue)
        // The Thai centre can take one mentee: the Fiji unit gains more (two factors) than the French unit (one).
        #expect(pairs.count == 1)
        #expect(pairs.first?["mentee"]?.stringValue == fj.key.nodeID && pairs.first?["mentor"]?.stringValue == th.key.nodeID)
        #expect(pairs.first?["factors"] == ["contact-24-7-mla", "financial-investigation-freezing"])
        #expect(pairs.first?["reasons"]?.arrayValue?.contains("across regions: pacific and southeast-asia") == true)
        let (_, excluded) = try await Net.call(
            client,
            .POST,
            fj.url + "/api/v1/matching",
            token: fj.token,
            body: #"{"exclusions": [["\#(fj.key.nodeID)", "\#(th.key.nodeID)"]]}"#
        )
        #expect(
            DisputeTests.json(excluded)["pairs"]?.arrayValue?.first?["mentee"]?.stringValue == fr.key.nodeID,
            "excluded, the place goes to France"
        )

        // Fiji offers the pairing; Thailand accepts; both see it accepted.
        let offer =
            #"{"mentee": "\#(fj.key.nodeID)", "mentor": "\#(th.key.nodeID)", "factors": ["contact-24-7-mla"], "format": "remote_mentoring", "reasons": ["proposed by matching"]}"#
        let (offered, offerBody) = try await Net.call(client, .POST, fj.url + "/api/v1/pairings", token: fj.token, body: offer)
        #expect(offered == 201)
        let offerID = try #require(DisputeTests.json(offerBody)["id"]?.stringValue)
        let (own, _) = try await Net.call(
            client,
            .POST,
            fj.url + "/api/v1/pairings/\(offerID)/responses",
            token: fj.token,
            body: #"{"status": "accepted"}"#
        )
        #expect(own == 422, "the offering side does not answer its own offer")
        _ = try await ActionRequestTests.eventually(client, th, "/api/v1/pairings") { $0["pairings"]?.arrayValue?.count == 1 }
        let (answered, _) = try await Net.call(
            client,
            .POST,
            th.url + "/api/v1/pairings/\(offerID)/responses",
            token: th.token,
            body: #"{"status": "accepted", "note": "Monthly calls, first one in January."}"#
        )
        #expect(answered == 201)
        let (twice, _) = try await Net.call(
            client,
            .POST,
            th.url + "/api/v1/pairings/\(offerID)/responses",
            token: th.token,
            body: #"{"status": "declined"}"#
        )
        #expect(twice == 409, "an offer is answered once")
        let seen = try await ActionRequestTests.eventually(client, fj, "/api/v1/pairings") {
            $0["pairings"]?.arrayValue?.first?["status"] == "accepted"
        }
        #expect(seen["pairings"]?.arrayValue?.first?["status"] == "accepted")
        let (_, onFrance) = try await Net.call(client, .GET, fr.url + "/api/v1/pairings", token: fr.token)
        #expect(DisputeTests.json(onFrance)["pairings"]?.arrayValue?.isEmpty == true, "RED to the pair: France holds nothing")

        // Thailand reviews Fiji's assessment; Fiji sees the review. Fiji's gaps put its 24/7 contact first.
        let fijiAssessment = try #require(ids[fj.key.nodeID])
        let (reviewed, _) = try await Net.call(
            client,
            .POST,
            th.url + "/api/v1/assessments/\(fijiAssessment)/reviews",
            token: th.token,
            body:
                #"{"summary": "Fair; the 24/7 contact exists on paper.", "factors": [{"factor": "contact-24-7-mla", "stage": 1, "comment": "no duty roster yet"}]}"#
        )
        #expect(reviewed == 201)
        let (selfReview, _) = try await Net.call(
            client,
            .POST,
            fj.url + "/api/v1/assessments/\(fijiAssessment)/reviews",
            token: fj.token,
            body: #"{"summary": "mine"}"#
        )
        #expect(selfReview == 422)
        let detail = try await ActionRequestTests.eventually(client, fj, "/api/v1/assessments/\(fijiAssessment)") {
            $0["reviews"]?.arrayValue?.count == 1
        }
        #expect(detail["reviews"]?.arrayValue?.first?["reviewer"]?.stringValue == th.key.nodeID)
        let (_, gaps) = try await Net.call(client, .GET, fj.url + "/api/v1/assessments/\(fijiAssessment)/gaps", token: fj.token)
        let factors = DisputeTests.json(gaps)["gaps"]?.arrayValue?.compactMap { $0["factor"]?.stringValue }
        #expect(Set(factors ?? []) == ["contact-24-7-mla", "financial-investigation-freezing"])

        // Fiji and Thailand plan an exchange; Fiji re-assesses after it; the exchange shows the stage change.
        let start = Timestamp.now()
        let plan = """
            {"title": "24/7 desk mentoring", "format": "remote_mentoring", "participants": ["\(fj.key.nodeID)", "\(th.key.nodeID)"],
             "host": "\(th.key.nodeID)", "factors": ["contact-24-7-mla"], "start": "\(start.rfc3339)", "end": "\(start.rfc3339)",
             "funder": "Example Fund", "region": "pacific", "tlp": "green"}
            """
        let (planned, planBody) = try await Net.call(client, .POST, fj.url + "/api/v1/exchanges", token: fj.token, body: plan)
        #expect(planned == 201, "\(String(decoding: planBody, as: UTF8.self))")
        let exchangeID = try #require(DisputeTests.json(planBody)["id"]?.stringValue)
        try await Task.sleep(for: .milliseconds(20))
        let reassessed = Self.assessment(
            "Fiji unit",
            region: "pacific",
            languages: ["en"],
            zone: "Pacific/Fiji",
            tradition: "common",
            capacity: 0,
            [("contact-24-7-mla", 3, 4), ("financial-investigation-freezing", 2, 4)]
        ).replacingOccurrences(of: #""tlp": "green","#, with: #""tlp": "green", "follows": "\#(exchangeID)","#)
        let (again, againBody) = try await Net.call(
            client,
            .POST,
            fj.url + "/api/v1/assessments",
            token: fj.token,
            body: reassessed
        )
        #expect(again == 201, "\(String(decoding: againBody, as: UTF8.self))")
        _ = try await ActionRequestTests.eventually(client, th, "/api/v1/exchanges") { $0["exchanges"]?.arrayValue?.count == 1 }
        let (outcome, _) = try await Net.call(
            client,
            .POST,
            th.url + "/api/v1/exchanges/\(exchangeID)/outcomes",
            token: th.token,
            body:
                #"{"summary": "Four calls; a duty roster drafted.", "follow_ups": [{"action": "Test the roster with a night-time request", "owner": "\#(fj.key.nodeID)"}]}"#
        )
        #expect(outcome == 201)
        _ = try await ActionRequestTests.eventually(client, fr, "/api/v1/exchanges") { $0["exchanges"]?.arrayValue?.count == 1 }
        let (outsider, _) = try await Net.call(
            client,
            .POST,
            fr.url + "/api/v1/exchanges/\(exchangeID)/outcomes",
            token: fr.token,
            body: #"{"summary": "not ours"}"#
        )
        #expect(outsider == 422, "only participants record outcomes")
        let shown = try await ActionRequestTests.eventually(client, fj, "/api/v1/exchanges") {
            $0["exchanges"]?.arrayValue?.first?["outcomes"]?.arrayValue?.count == 1
        }
        let changes = shown["exchanges"]?.arrayValue?.first?["stage_changes"]?.arrayValue ?? []
        let fijiChange = changes.first { $0["participant"]?.stringValue == fj.key.nodeID }
        #expect(fijiChange?["before"] == 1 && fijiChange?["after"] == 3 && fijiChange?["change"] == 2)
        #expect(
            changes.first { $0["participant"]?.stringValue == th.key.nodeID }?["change"] == .null,
            "no later assessment by Thailand"
        )
        let (_, programme) = try await Net.call(client, .GET, fj.url + "/api/v1/programme?by=factor", token: fj.token)
        #expect(
            DisputeTests.json(programme)["rows"] == [
                ["key": "contact-24-7-mla", "exchanges": 1, "measured": 1, "mean_stage_change": 2]
            ]
        )
        let (_, byFunder) = try await Net.call(client, .GET, fj.url + "/api/v1/programme?by=funder", token: fj.token)
        #expect(DisputeTests.json(byFunder)["rows"]?.arrayValue?.first?["key"] == "Example Fund")

        // A playbook from Thailand reaches Fiji and is found there by full-text search and by factor.
        let playbook =
            #"{"title": "Running a 24/7 duty roster", "kind": "playbook", "factors": ["contact-24-7-mla"], "typologies": ["investment"], "text": "Keep two officers on call; log every preservation request with its time of arrival.", "attachments": [{"name": "roster.xlsx", "media_type": "application/vnd.ms-excel", "sha256": "\#(String(repeating: "ab", count: 32))", "size": 18432}]}"#
        let (added, addedBody) = try await Net.call(client, .POST, th.url + "/api/v1/practices", token: th.token, body: playbook)
        #expect(added == 201, "\(String(decoding: addedBody, as: UTF8.self))")
        let found = try await ActionRequestTests.eventually(client, fj, "/api/v1/practices?q=preservation%20request") {
            $0["practices"]?.arrayValue?.count == 1
        }
        #expect(found["practices"]?.arrayValue?.first?["title"] == "Running a 24/7 duty roster")
        #expect(found["practices"]?.arrayValue?.first?["snippet"]?.stringValue?.contains("preservation request") == true)
        let (_, byFactor) = try await Net.call(
            client,
            .GET,
            fj.url + "/api/v1/practices?factor=contact-24-7-mla",
            token: fj.token
        )
        #expect(DisputeTests.json(byFactor)["practices"]?.arrayValue?.count == 1)
        let (_, none) = try await Net.call(
            client,
            .GET,
            fj.url + "/api/v1/practices?q=preservation&factor=telco-controls",
            token: fj.token
        )
        #expect(DisputeTests.json(none)["practices"]?.arrayValue?.isEmpty == true)
        try await client.shutdown()
        for node in nodes { await node.stop() }
    }

    @Test("the shipped framework loads with five stages and every required factor; a bad file names its problems")
    func framework() throws {
        let framework = try CapabilityFrameworkFile.shipped()
        #expect(framework.stages.map(\.level) == [1, 2, 3, 4, 5])
        #expect(framework.dimensions.count == 5)
        for id in [
            "reporting-hotline", "victim-support-recovery", "specialised-units", "judicial-training", "contact-24-7-mla",
            "public-private-cooperation", "financial-investigation-freezing", "telco-controls", "bank-fraud-controls",
            "threat-sharing",
        ] {
            #expect(framework.factor(id)?.indicators.count == 5, "\(id)")
        }
        #expect(throws: CapabilityFrameworkFile.Invalid.self) {
            try CapabilityFrameworkFile.parse(
                "id: x\nversion: '1'\ntitle: t\ndescription: d\nstages: []\ndimensions: []\ncolour: red\n"
            )
        }
        do {
            _ = try CapabilityFrameworkFile.parse(
                "id: x\nversion: '1'\ntitle: t\ndescription: d\nstages: []\ndimensions: []\ncolour: red\n"
            )
        } catch let error as CapabilityFrameworkFile.Invalid {
            #expect(error.problems.contains { $0.hasPrefix("framework.colour is not a known key") })
            #expect(error.problems.contains { $0.hasPrefix("framework.stages must list exactly five stages") })
        }
    }

    @Test("a record larger than peers admit is refused before it is stored")
    func sizeCap() async throws {
        try await TestNode.run { node in
            let text = String(repeating: "\u{1}", count: 200_000)
            let body = JSONValue.object(["title": "big", "kind": "training", "text": .string(text)]).canonicalData
            let reply = try await node.post(
                "/api/v1/practices",
                token: node.tokens.analyst,
                body: String(decoding: body, as: UTF8.self)
            )
            #expect(reply.status == .unprocessableContent, "\(reply.text.prefix(300))")
            #expect(reply.text.contains("a record may have at most"))
        }
    }
}
