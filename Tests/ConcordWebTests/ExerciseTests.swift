import AsyncHTTPClient
import ConcordCore
import Foundation
import HTTPTypes
import NIOHTTP1
import Testing

@testable import ConcordWeb

@Suite("Joint exercises across real nodes")
struct ExerciseTests {
    typealias Net = FederationTests

    static let url = "https://drill-gold.example/app"
    static let account = "TH:004:5550001111"
    static let phone = "+66815550199"

    /// A drill small enough to run in seconds at 60x: the centre gets reports, the bank a freeze request; a
    /// message two minutes in asks the bank for a report it does not file.
    static let scenario = """
        {"id": "drill", "version": "1", "title": "Cross-border drill", "jurisdiction": "TH", "duration_minutes": 20,
         "roles": [{"id": "centre", "title": "Anti-scam centre"}, {"id": "bank", "title": "Bank"}],
         "injects": [
           {"id": "reports", "at_minutes": 0, "to": ["centre"], "title": "Victims call", "message": "Three callers name an app.",
            "reports": [{"typology": "investment", "victims": 3, "identifiers": [
              {"kind": "url", "value": "\(url)", "role": "website"},
              {"kind": "bank_account", "value": "\(account)", "role": "payment"},
              {"kind": "phone", "value": "\(phone)", "role": "contact"}]}]},
           {"id": "freeze", "at_minutes": 0, "to": ["bank"], "title": "Freeze order", "message": "Freeze the account.",
            "request": {"action": "freeze_account", "identifiers": [{"kind": "bank_account", "value": "\(account)"}],
                        "legal_basis": {"kind": "domestic_law"}, "urgency": "immediate", "due_minutes": 30}},
           {"id": "more", "at_minutes": 2, "to": ["bank", "centre"], "title": "More victims", "message": "Share what you see."}],
         "expectations": [
           {"id": "flag", "title": "Flag the app", "role": "centre", "after": "reports", "within_minutes": 15, "action": "indicator",
            "identifiers": [{"kind": "url", "value": "\(url)"}], "factor": "threat-sharing", "lesson": "Flag while calls come in"},
           {"id": "ask", "title": "Ask the bank", "role": "centre", "after": "reports", "within_minutes": 15, "action": "request",
            "request_action": "freeze_account", "to_role": "bank", "identifiers": [{"kind": "bank_account", "value": "\(account)"}],
            "factor": "financial-investigation-freezing", "lesson": "Ask abroad at once"},
           {"id": "freeze-order", "title": "Freeze on the order", "role": "bank", "after": "freeze", "within_minutes": 15,
            "action": "respond", "factor": "bank-fraud-controls", "lesson": "Freeze within the hour"},
           {"id": "answer-centre", "title": "Act for the centre", "role": "bank", "after": "reports", "within_minutes": 1,
            "action": "respond", "from_role": "centre", "factor": "financial-investigation-freezing", "lesson": "Act on a partner's ask"},
           {"id": "bank-report", "title": "Report the mule", "role": "bank", "after": "more", "within_minutes": 1, "action": "report",
            "identifiers": [{"kind": "bank_account", "value": "\(account)"}], "factor": "bank-fraud-controls", "lesson": "Share mule accounts"}]}
        """

    static func json(_ bytes: [UInt8]) -> JSONValue { DisputeTests.json(bytes) }

    @Test("an exercise runs end to end across three nodes: injects arrive, players answer, the director scores and reports")
    func endToEnd() async throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("concord-exercise-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let nodes = try await DisputeTests.mesh(base, jurisdictions: ["SG", "TH", "MY"])
        let (director, centre, bank) = (nodes[0], nodes[1], nodes[2])
        let client = HTTPClient(eventLoopGroupProvider: .singleton)

        // Roles must be played by peers; the scenario is checked like any input.
        let (refused, problem) = try await Net.call(
            client,
            .POST,
            director.url + "/api/v1/exercises",
            token: director.token,
            body:
                #"{"scenario": \#(Self.scenario), "roles": {"centre": "\#(centre.key.nodeID)", "bank": "\#(NodeKey().nodeID)"}}"#
        )
        #expect(refused == 422 && Self.json(problem)["pointer"] == "/roles/bank", "\(String(decoding: problem, as: UTF8.self))")
        let (unknown, unknownProblem) = try await Net.call(
            client,
            .POST,
            director.url + "/api/v1/exercises",
            token: director.token,
            body: #"{"scenario": "no-such-scenario", "roles": {}}"#
        )
        #expect(unknown == 422 && Self.json(unknownProblem)["pointer"] == "/scenario")

        let (started, startBody) = try await Net.call(
            client,
            .POST,
            director.url + "/api/v1/exercises",
            token: director.token,
            body:
                #"{"scenario": \#(Self.scenario), "roles": {"centre": "\#(centre.key.nodeID)", "bank": "\#(bank.key.nodeID)"}, "speed": 60}"#
        )
        #expect(started == 201, "\(String(decoding: startBody, as: UTF8.self))")
        let exercise = try #require(Self.json(startBody)["id"]?.stringValue)
        let (overlap, _) = try await Net.call(
            client,
            .POST,
            director.url + "/api/v1/exercises",
            token: director.token,
            body:
                #"{"scenario": "bank-sms-phishing", "roles": {"lead-centre": "\#(centre.key.nodeID)", "bank": "\#(bank.key.nodeID)", "telco": "\#(bank.key.nodeID)", "cert": "\#(director.key.nodeID)"}}"#
        )
        #expect(overlap == 409, "a player cannot be in two of this director's exercises at once")

        // The injects reach the players; the scenario itself stays with the director.
        let brief = try await ActionRequestTests.eventually(client, centre, "/api/v1/exercises/\(exercise)") {
            $0["injects"]?.arrayValue?.isEmpty == false
        }
        #expect(brief["injects"]?.arrayValue?.first?["title"] == "Victims call")
        #expect(brief["scenario"] == nil && brief["directing"] == false)
        let (hidden, _) = try await Net.call(client, .GET, centre.url + "/api/v1/records/\(exercise)", token: centre.token)
        #expect(hidden == 404, "players never hold the scenario, with its later injects and expectations")

        // The centre checks inside the exercise, flags the app and asks the bank to freeze, both as exercise moves.
        let (_, inside) = try await Net.call(
            client,
            .GET,
            centre.url + "/api/v1/exercises/\(exercise)/check?kind=url&value=\(Self.url)",
            token: centre.token
        )
        #expect(Self.json(inside)["reported"] == true)
        let (flagged, _) = try await Net.call(
            client,
            .POST,
            centre.url + "/api/v1/indicators",
            token: centre.token,
            body: #"{"kind": "url", "value": "\#(Self.url)", "typology": "investment", "confidence": 90, "exercise": true}"#,
            type: "application/x-ndjson"
        )
        #expect(flagged == 200)
        let (asked, askBody) = try await Net.call(
            client,
            .POST,
            centre.url + "/api/v1/requests",
            token: centre.token,
            body:
                #"{"action": "freeze_account", "to": "\#(bank.key.nodeID)", "identifiers": [{"kind": "bank_account", "value": "\#(Self.account)"}], "legal_basis": {"kind": "mutual_legal_assistance"}, "exercise": true}"#
        )
        #expect(asked == 201, "\(String(decoding: askBody, as: UTF8.self))")
        let centreRequest = try #require(Self.json(askBody)["id"]?.stringValue)
        #expect(
            Self.json(askBody)["content"]?["label"]?["audience"]?["nodes"]?.arrayValue?.contains(.string(director.key.nodeID))
                == true,
            "a player's move also goes to the director, who scores it"
        )

        let (escalated, _) = try await Net.call(
            client,
            .POST,
            centre.url + "/api/v1/requests/\(centreRequest)/escalate",
            token: centre.token,
            body: "{}"
        )
        #expect(escalated == 409, "an exercise request never goes to a real 24/7 contact")

        // The bank actions the freeze order and only acknowledges the centre's request.
        let threads = try await ActionRequestTests.eventually(client, bank, "/api/v1/exercises/\(exercise)") {
            ($0["injects"]?.arrayValue?.first?["records"]?.arrayValue?.count ?? 0) == 1
        }
        let order = try #require(
            threads["injects"]?.arrayValue?.first { $0["inject"] == "freeze" }?["records"]?.arrayValue?.first?.stringValue
        )
        _ = try await ActionRequestTests.eventually(client, bank, "/api/v1/records/\(order)") { $0["id"] != nil }
        let (answered, answerBody) = try await Net.call(
            client,
            .POST,
            bank.url + "/api/v1/requests/\(order)/responses",
            token: bank.token,
            body: #"{"status": "actioned", "detail": "frozen", "amount": {"amount": "12000", "currency": "THB"}}"#
        )
        #expect(answered == 201, "\(String(decoding: answerBody, as: UTF8.self))")
        _ = try await ActionRequestTests.eventually(client, bank, "/api/v1/records/\(centreRequest)") { $0["id"] != nil }
        let (acknowledged, _) = try await Net.call(
            client,
            .POST,
            bank.url + "/api/v1/requests/\(centreRequest)/responses",
            token: bank.token,
            body: #"{"status": "acknowledged"}"#
        )
        #expect(acknowledged == 201)
        let (_, queue) = try await Net.call(client, .GET, bank.url + "/api/v1/requests?exercise=true", token: bank.token)
        #expect(Self.json(queue)["requests"]?.arrayValue?.count == 2, "the exercise queue lists both")

        // The director's scores: flag, ask and freeze done; the centre's request only acknowledged within a
        // minute (partly); the bank's report never filed (missed). Limits of 1 scenario minute pass in 1 s at 60x.
        let scored = try await ActionRequestTests.eventually(client, director, "/api/v1/exercises/\(exercise)", within: 20) {
            ($0["scores"]?.arrayValue ?? []).allSatisfy { $0["outcome"] != .null }
        }
        let outcomes = Dictionary(
            (scored["scores"]?.arrayValue ?? []).compactMap { s in
                s["expectation"]?.stringValue.map { ($0, s["outcome"]?.stringValue ?? "") }
            },
            uniquingKeysWith: { a, _ in a }
        )
        #expect(
            outcomes == [
                "flag": "done", "ask": "done", "freeze-order": "done", "answer-centre": "partly", "bank-report": "missed",
            ],
            "\(scored["scores"] ?? .null)"
        )

        // Each inject was delivered once, though the start handler and the director's loop both deliver.
        let (_, markers) = try await Net.call(
            client,
            .GET,
            director.url + "/api/v1/records?kind=exercise_inject&limit=100",
            token: director.token
        )
        #expect(Self.json(markers)["records"]?.arrayValue?.count == 3)

        // Nothing of the exercise reached a live check, a campaign or the landscape, on any node.
        for node in nodes {
            for (kind, value) in [("url", Self.url), ("bank_account", Self.account), ("phone", Self.phone)] {
                let encoded = value.replacingOccurrences(of: "+", with: "%2B")
                let (_, answer) = try await Net.call(
                    client,
                    .GET,
                    node.url + "/api/v1/check?kind=\(kind)&value=\(encoded)",
                    token: node.token
                )
                #expect(
                    Self.json(answer)["flagged"] == false,
                    "\(value) stays out of live checks on \(node.profile.jurisdiction)"
                )
            }
            let (_, campaigns) = try await Net.call(client, .GET, node.url + "/api/v1/campaigns", token: node.token)
            #expect(
                !String(decoding: campaigns, as: UTF8.self).contains("drill-gold"),
                "no campaign on \(node.profile.jurisdiction)"
            )
            let (_, landscape) = try await Net.call(client, .GET, node.url + "/api/v1/landscape?scope=node", token: node.token)
            #expect(Self.json(landscape)["cells"] == [], "no exercise report in the statistics of \(node.profile.jurisdiction)")
            for direction in ["inbound", "outbound"] {
                let (_, requests) = try await Net.call(
                    client,
                    .GET,
                    node.url + "/api/v1/requests?direction=\(direction)",
                    token: node.token
                )
                #expect(Self.json(requests)["requests"] == [], "exercise requests stay out of live queues")
            }
            let (_, cooperation) = try await Net.call(client, .GET, node.url + "/api/v1/cooperation", token: node.token)
            #expect(Self.json(cooperation)["partners"] == [], "and out of the cooperation figures")
        }

        // The director publishes the after-action report; every player holds it, with lessons and seeds.
        let (published, _) = try await Net.call(
            client,
            .POST,
            director.url + "/api/v1/exercises/\(exercise)/report",
            token: director.token,
            body:
                #"{"summary": "Fast on flags; slow on partner requests.", "lessons": [{"factor": "contact-24-7-mla", "text": "Staff the 24/7 desk at weekends"}]}"#
        )
        #expect(published == 201)
        let report = try await ActionRequestTests.eventually(client, bank, "/api/v1/exercises/\(exercise)/report") {
            $0["published"] != nil && $0["published"] != .null
        }
        #expect(report["whole"]?["done"] == 3 && report["whole"]?["partly"] == 1 && report["whole"]?["missed"] == 1)
        #expect(report["organisations"]?[bank.key.nodeID]?["missed"] == 1)
        let lessons = report["lessons"]?.arrayValue ?? []
        #expect(lessons.contains { $0["text"] == "Share mule accounts" && $0["nodes"] == [.string(bank.key.nodeID)] })
        #expect(lessons.contains { $0["factor"] == "contact-24-7-mla" })
        let seeds = report["exchange_seeds"]?.arrayValue ?? []
        let seed = try #require(seeds.first { $0["factor"] == "financial-investigation-freezing" })
        #expect(seed["learner"]?.stringValue == bank.key.nodeID && seed["mentors"] == [.string(centre.key.nodeID)])
        // The seed plans a real exchange on the bank's node.
        var exchange = seed["exchange"]?.objectValue ?? [:]
        exchange["start"] = "2027-01-15"
        let (planned, plannedBody) = try await Net.call(
            client,
            .POST,
            bank.url + "/api/v1/exchanges",
            token: bank.token,
            body: String(decoding: JSONValue.object(exchange).canonicalData, as: UTF8.self)
        )
        #expect(planned == 201, "\(String(decoding: plannedBody, as: UTF8.self))")

        try await client.shutdown()
        for node in nodes { await node.stop() }
    }

    @Test("exercise records are admitted from peers only as exercise records")
    func admission() throws {
        let key = NodeKey()
        let body: JSONValue = [
            "exercise": .string(String(repeating: "a", count: 64)), "exercise_title": "t",
            "end": .string(Timestamp.now().rfc3339),
            "inject": "start", "title": "Go", "message": "", "to": [], "scheduled": .string(Timestamp.now().rfc3339),
            "records": [],
            "jurisdiction": "TH",
        ]
        let live = Record.make(kind: .exerciseInject, body: body, label: SharingLabel(tlp: .amber), exercise: false, key: key)
        #expect(throws: RecordError.self) { try RecordAdmission.check(live) }
        let flagged = Record.make(kind: .exerciseInject, body: body, label: SharingLabel(tlp: .amber), exercise: true, key: key)
        try RecordAdmission.check(flagged)
        var extra = body.objectValue ?? [:]
        extra["score"] = 100
        let padded = Record.make(
            kind: .exerciseInject,
            body: .object(extra),
            label: SharingLabel(tlp: .amber),
            exercise: true,
            key: key
        )
        #expect(throws: RecordError.self) { try RecordAdmission.check(padded) }
    }
}

@Suite("Exercise pages")
struct ExercisePageTests {
    @Test("a director starts a shipped scenario from the page, checks inside it, files a move and publishes the report")
    func pages() async throws {
        try await TestNode.run { node in
            var browser = Browser(node)
            try await browser.signIn("ana")
            let list = try await browser.get("/exercises")
            #expect(list.status == .ok && list.text.contains("Phishing-SMS campaign impersonating a regional bank"))
            let own = node.nodeID
            var form = [("csrf", Browser.csrf(list) ?? ""), ("scenario", "bank-sms-phishing"), ("speed", "60")]
            for role in ["lead-centre", "bank", "telco", "cert"] { form.append(("role-bank-sms-phishing-\(role)", own)) }
            let started = try await browser.send(.post, "/exercises", form: form)
            #expect(started.status == .seeOther, "\(started.text.prefix(400))")
            let location = try #require(started.headers[.location])
            let page = try await browser.get(location)
            #expect(page.status == .ok)
            #expect(page.text.contains("Customers forward suspicious messages"), "the first inject is delivered at once")
            #expect(page.text.contains("Scores so far") && page.text.contains("flags the phishing page"))

            let inside = try await browser.get(location + "?kind=url&value=https%3A%2F%2Fregionalbank-verify.example%2Flogin")
            #expect(inside.text.contains("is named in the exercise by"), "\(inside.text.prefix(300))")
            let live = try await node.check(kind: "url", value: "https://regionalbank-verify.example/login")
            #expect(live["flagged"] == .bool(false), "the live check never sees it")
            // The usual check page offers the running exercise; checked there, the page is named in it.
            let exerciseID = String(location.split(separator: "/").last ?? "")
            let checkPage = try await browser.get("/check?exercise=\(exerciseID)")
            #expect(checkPage.text.contains("exercise: Phishing-SMS campaign"))
            let checked = try await browser.send(
                .post,
                "/check",
                form: [
                    ("csrf", Browser.csrf(checkPage) ?? ""), ("identifiers", "https://regionalbank-verify.example/login"),
                    ("exercise", exerciseID),
                ]
            )
            #expect(checked.text.contains("Named in the exercise") && checked.text.contains("Results in the exercise"))
            let liveChecked = try await browser.send(
                .post,
                "/check",
                form: [("csrf", Browser.csrf(checkPage) ?? ""), ("identifiers", "https://regionalbank-verify.example/login")]
            )
            #expect(liveChecked.text.contains("Not reported"), "without the choice, the check is live")

            let reportForm = try await browser.get("/report?exercise=1")
            #expect(reportForm.text.contains(#"id="exercise" name="exercise" checked"#))
            let filed = try await browser.send(
                .post,
                "/report",
                form: [
                    ("csrf", Browser.csrf(reportForm) ?? ""), ("action", "save"), ("typology", "phishing"), ("kind", "url"),
                    ("value", "https://regionalbank-verify.example/login"), ("tlp", "amber"), ("exercise", "on"),
                ]
            )
            #expect(filed.text.contains("as an exercise record"), "\(filed.text.prefix(400))")
            let stillLive = try await node.check(kind: "url", value: "https://regionalbank-verify.example/login")
            #expect(stillLive["flagged"] == .bool(false))

            let hostile = "<script>alert(1)</script> Good drill"
            let published = try await browser.send(
                .post,
                location + "/report",
                form: [
                    ("csrf", Browser.csrf(page) ?? ""), ("summary", hostile), ("lesson", "Rehearse takedowns"),
                    ("factor", "platform-takedown"),
                ]
            )
            #expect(published.text.contains("After-action report"), "\(published.text.prefix(400))")
            #expect(
                published.text.contains("&lt;script&gt;alert(1)&lt;/script&gt; Good drill")
                    && !published.text.contains("<script>alert")
            )
            #expect(published.text.contains("Rehearse takedowns"))
        }
    }
}

@Suite("Learning pages")
struct LearningPageTests {
    @Test("the library, exchanges, pairings and assessment pages read and write through the same code as the API")
    func learningPages() async throws {
        try await TestNode.run { node in
            let peer = NodeKey().nodeID
            var admin = Browser(node)
            try await admin.signIn("root")
            let network = try await admin.get("/network")
            _ = try await admin.send(
                .post,
                "/network/peers",
                form: [("csrf", Browser.csrf(network) ?? ""), ("url", "https://peer.example"), ("id", peer)]
            )
            var browser = Browser(node)
            try await browser.signIn("ana")

            // The library: a playbook with hostile text is added, found by its words and shown escaped.
            let library = try await browser.get("/learning/library")
            #expect(library.status == .ok && library.text.contains("The library is empty"))
            let added = try await browser.send(
                .post,
                "/learning/library",
                form: [
                    ("csrf", Browser.csrf(library) ?? ""), ("title", "Freezing <b>mule</b> accounts"), ("kind", "playbook"),
                    ("text", "Call the bank's fraud desk first; ask for a hold on the mule account."),
                    ("factor", "financial-investigation-freezing"), ("tlp", "green"),
                ]
            )
            #expect(added.text.contains("Added to the library"), "\(added.text.prefix(300))")
            let found = try await browser.get("/learning/library?q=fraud+desk&factor=financial-investigation-freezing")
            #expect(found.text.contains("Freezing &lt;b&gt;mule&lt;/b&gt; accounts") && !found.text.contains("<b>mule"))
            let none = try await browser.get("/learning/library?q=volcano")
            #expect(none.text.contains("Nothing matches"))

            // Exchanges: planned with the peer, an outcome recorded, the programme grouped by factor.
            let exchanges = try await browser.get("/learning/exchanges")
            #expect(exchanges.status == .ok && exchanges.text.contains("No exchange is held yet"))
            let planned = try await browser.send(
                .post,
                "/learning/exchanges",
                form: [
                    ("csrf", Browser.csrf(exchanges) ?? ""), ("title", "Freezing desk visit"), ("format", "study_visit"),
                    ("partner", peer), ("factor", "financial-investigation-freezing"), ("start", "2027-02-01"),
                    ("funder", "Example Fund"),
                ]
            )
            #expect(planned.text.contains("planned."), "\(planned.text.prefix(300))")
            let id = try #require(
                try await node.get("/api/v1/exchanges", token: node.tokens.analyst).json()["exchanges"]?[0]?["id"]?.stringValue
            )
            let outcome = try await browser.send(
                .post,
                "/learning/exchanges/\(id)/outcome",
                form: [("csrf", Browser.csrf(planned) ?? ""), ("summary", "Two days at the desk"), ("completed", "on")]
            )
            #expect(outcome.text.contains("recorded.") && outcome.text.contains("Two days at the desk"))
            #expect(outcome.text.contains("Financial investigation"), "the programme names the factor")

            // Pairings and an assessment of this node's own (no review form for one's own).
            let pairings = try await browser.get("/learning/pairings")
            #expect(pairings.status == .ok && pairings.text.contains("No offer names this node"))
            let assessed = try await node.post(
                "/api/v1/assessments",
                token: node.tokens.analyst,
                body:
                    #"{"organisation": "Test centre", "region": "southeast-asia", "languages": ["en"], "time_zone": "Asia/Bangkok", "factors": [{"factor": "threat-sharing", "stage": 2, "target": 4}]}"#
            )
            let assessment = try #require(try assessed.json()["id"]?.stringValue)
            let page = try await browser.get("/learning/assessments/\(assessment)")
            #expect(page.status == .ok && page.text.contains("Threat") && !page.text.contains("Review this assessment"))
            let learning = try await browser.get("/learning")
            #expect(learning.text.contains("/learning/assessments/\(assessment)"))
        }
    }
}
