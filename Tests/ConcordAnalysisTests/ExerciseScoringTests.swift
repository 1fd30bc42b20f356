import ConcordAnalysis
import ConcordCore
import Testing

@Suite("Scoring a joint exercise")
struct ExerciseScoringTests {
    static func scenario() throws -> ExerciseScenario {
        let json = try JSONValue.parse(
            Array(
                """
                {"id": "drill", "version": "1", "title": "Drill", "jurisdiction": "TH", "duration_minutes": 120,
                 "roles": [{"id": "centre", "title": "Centre"}, {"id": "bank", "title": "Bank"}],
                 "injects": [
                   {"id": "start", "at_minutes": 0, "to": ["centre"], "title": "Reports", "message": "go"},
                   {"id": "freeze", "at_minutes": 10, "to": ["bank"], "title": "Freeze", "message": "",
                    "request": {"action": "freeze_account", "identifiers": [{"kind": "bank_account", "value": "TH:004:1234567890"}],
                                "legal_basis": {"kind": "domestic_law"}}}],
                 "expectations": [
                   {"id": "flag", "title": "Flag both", "role": "centre", "after": "start", "within_minutes": 30, "action": "indicator",
                    "identifiers": [{"kind": "phone", "value": "+66812345678"}, {"kind": "url", "value": "https://x.example/"}],
                    "factor": "threat-sharing", "lesson": "Share fast"},
                   {"id": "ask", "title": "Ask the bank", "role": "centre", "after": "start", "within_minutes": 30, "action": "request",
                    "request_action": "freeze_account", "to_role": "bank",
                    "identifiers": [{"kind": "bank_account", "value": "TH:004:1234567890"}], "factor": "financial-investigation-freezing"},
                   {"id": "act", "title": "Freeze", "role": "bank", "after": "freeze", "within_minutes": 20, "action": "respond",
                    "factor": "bank-fraud-controls", "lesson": "Freeze within the hour"},
                   {"id": "answer-centre", "title": "Answer the centre", "role": "bank", "after": "start", "within_minutes": 60,
                    "action": "respond", "from_role": "centre", "status": "acknowledged", "factor": "financial-investigation-freezing"}]}
                """.utf8
            )
        )
        return try ExerciseScenario(json: json)
    }

    static let minute: Int64 = 60_000
    static let (centre, bank, director) = ("CENTRE", "BANK", "DIRECTOR")
    static let phone = Identifier(kind: .phone, canonical: "+66812345678")
    static let url = Identifier(kind: .url, canonical: "https://x.example/")
    static let account = Identifier(kind: .bankAccount, canonical: "TH:004:1234567890")

    static func run(speed: Int = 1) throws -> ExerciseScoring.Run {
        ExerciseScoring.Run(
            scenario: try scenario(),
            roles: ["centre": centre, "bank": bank],
            director: director,
            delivered: ["start": 0, "freeze": 10 * minute / Int64(speed)],
            injectRequests: ["freeze": ["inject-request"]],
            speed: speed
        )
    }

    static let requests: [String: ExerciseScoring.HeldRequest] = [
        "inject-request": .init(requester: director, addressee: bank, action: .freezeAccount, identifiers: [account]),
        "centre-request": .init(requester: centre, addressee: bank, action: .freezeAccount, identifiers: [account]),
        "centre-question": .init(requester: centre, addressee: bank, action: .requestInformation, identifiers: [phone]),
    ]

    func outcomes(_ actions: [ExerciseScoring.Action], now: Int64, speed: Int = 1) throws -> [String: ExerciseOutcome?] {
        let scores = ExerciseScoring.score(try Self.run(speed: speed), actions: actions, requests: Self.requests, now: now)
        return Dictionary(uniqueKeysWithValues: scores.map { ($0.expectation.id, $0.outcome) })
    }

    @Test("everything done in time is done; the identifiers may come in two indicators")
    func allDone() throws {
        let m = Self.minute
        let actions: [ExerciseScoring.Action] = [
            .init(id: "i1", kind: .indicator, origin: Self.centre, created: 3 * m, identifiers: [Self.phone]),
            .init(id: "i2", kind: .indicator, origin: Self.centre, created: 5 * m, identifiers: [Self.url]),
            .init(
                id: "centre-request",
                kind: .request,
                origin: Self.centre,
                created: 8 * m,
                identifiers: [Self.account],
                requestAction: .freezeAccount,
                to: Self.bank
            ),
            .init(id: "r1", kind: .response, origin: Self.bank, created: 25 * m, answers: "inject-request", status: .actioned),
            .init(
                id: "r2",
                kind: .response,
                origin: Self.bank,
                created: 12 * m,
                answers: "centre-request",
                status: .acknowledged
            ),
        ]
        let scores = ExerciseScoring.score(try Self.run(), actions: actions, requests: Self.requests, now: 200 * m)
        #expect(scores.allSatisfy { $0.outcome == .done }, "\(scores.map(\.detail))")
        #expect(scores.first { $0.expectation.id == "flag" }?.takenSeconds == 300, "the second indicator completes it at 5 min")
        #expect(scores.first { $0.expectation.id == "act" }?.takenSeconds == 900, "15 minutes after the freeze inject")
        let tally = ExerciseAfterAction.tally(scores.map(ExerciseAfterAction.Entry.init))
        #expect(tally.done == 4 && tally.score == 1)
        #expect(ExerciseAfterAction.lessons(scores.map(ExerciseAfterAction.Entry.init)).isEmpty)
    }

    @Test("late, partial, misdirected and missing actions: partly or missed once the limit has passed, pending before")
    func shortfalls() throws {
        let m = Self.minute
        let actions: [ExerciseScoring.Action] = [
            // One of two identifiers.
            .init(id: "i1", kind: .indicator, origin: Self.centre, created: 3 * m, identifiers: [Self.phone]),
            // The right identifier, asked of the wrong node for the wrong thing.
            .init(
                id: "centre-request",
                kind: .request,
                origin: Self.centre,
                created: 8 * m,
                identifiers: [Self.account],
                requestAction: .preserveData,
                to: "ELSEWHERE"
            ),
            // Actioned, but 40 minutes after the inject against 20.
            .init(id: "r1", kind: .response, origin: Self.bank, created: 50 * m, answers: "inject-request", status: .actioned),
            // A report by the wrong node does not count for the centre.
            .init(id: "x", kind: .indicator, origin: Self.bank, created: 4 * m, identifiers: [Self.url]),
        ]
        let before = try outcomes(actions, now: 20 * m)
        #expect(before["flag"] == .some(nil) && before["ask"] == .some(nil), "pending while time remains")
        let after = try outcomes(actions, now: 200 * m)
        #expect(after["flag"] == .partly && after["ask"] == .partly && after["act"] == .partly)
        #expect(after["answer-centre"] == .missed)
        let scores = ExerciseScoring.score(try Self.run(), actions: actions, requests: Self.requests, now: 200 * m)
        let ask = scores.first { $0.expectation.id == "ask" }
        #expect(
            ask?.detail.contains("preserve_data instead of freeze_account") == true
                && ask?.detail.contains("instead of bank") == true
        )
        #expect(scores.first { $0.expectation.id == "act" }?.detail.hasPrefix("done late: 40 min against 20") == true)
        #expect(scores.first { $0.expectation.id == "answer-centre" }?.detail.contains("no request from centre") == false)
        let entries = scores.map(ExerciseAfterAction.Entry.init)
        let lessons = ExerciseAfterAction.lessons(entries)
        #expect(lessons.contains { $0.factor == "threat-sharing" && $0.text == "Share fast" && $0.nodes == [Self.centre] })
        let seeds = ExerciseAfterAction.seeds(entries)
        #expect(seeds.contains { $0.factor == "bank-fraud-controls" && $0.learner == Self.bank && $0.mentors.isEmpty })
    }

    @Test("time runs at the exercise's speed: at 60x a minute of real time is an hour of scenario")
    func speed() throws {
        // Delivered at 10 s real time (10 scenario minutes at 60x); answered 15 s later, that is 15 scenario minutes.
        let actions: [ExerciseScoring.Action] = [
            .init(id: "r1", kind: .response, origin: Self.bank, created: 25_000, answers: "inject-request", status: .actioned)
        ]
        let scores = ExerciseScoring.score(try Self.run(speed: 60), actions: actions, requests: Self.requests, now: 200_000)
        let act = scores.first { $0.expectation.id == "act" }
        #expect(act?.outcome == .done && act?.takenSeconds == 900)
    }

    @Test("a move made before its inject counts, taking no time; an answer to another kind of request does not")
    func earlyMovesAndPairedRequests() throws {
        let m = Self.minute
        let actions: [ExerciseScoring.Action] = [
            // The centre flags both identifiers at minute 1, before the reports reach it at minute 5.
            .init(id: "i1", kind: .indicator, origin: Self.centre, created: 1 * m, identifiers: [Self.phone, Self.url]),
            // The bank answers the centre's question (request_information), not the freeze it was expected to act on.
            .init(id: "r2", kind: .response, origin: Self.bank, created: 12 * m, answers: "centre-question", status: .actioned),
        ]
        var run = try Self.run()
        run = ExerciseScoring.Run(
            scenario: run.scenario,
            roles: run.roles,
            director: run.director,
            delivered: ["start": 5 * m, "freeze": 10 * m],
            injectRequests: run.injectRequests,
            speed: 1,
            start: 0
        )
        let scores = ExerciseScoring.score(run, actions: actions, requests: Self.requests, now: 200 * m)
        let flag = scores.first { $0.expectation.id == "flag" }
        #expect(flag?.outcome == .done && flag?.takenSeconds == 0, "flagged before the reports came")
        let answer = scores.first { $0.expectation.id == "answer-centre" }
        #expect(answer?.outcome == .missed, "the freeze the centre asked for was never answered: \(answer?.detail ?? "")")
    }

    @Test("seeds pair a node that fell short on a factor with one that did it in full")
    func seeds() {
        let entries = [
            ExerciseAfterAction.Entry(node: "A", factor: "telco-controls", outcome: .missed, takenSeconds: nil, lesson: "l"),
            ExerciseAfterAction.Entry(node: "B", factor: "telco-controls", outcome: .done, takenSeconds: 60, lesson: "l"),
            ExerciseAfterAction.Entry(node: "C", factor: "telco-controls", outcome: .partly, takenSeconds: 600, lesson: "l"),
        ]
        let seeds = ExerciseAfterAction.seeds(entries)
        #expect(
            seeds == [
                .init(factor: "telco-controls", learner: "A", mentors: ["B"]),
                .init(factor: "telco-controls", learner: "C", mentors: ["B"]),
            ]
        )
        let tally = ExerciseAfterAction.tally(entries)
        #expect(tally.done == 1 && tally.partly == 1 && tally.missed == 1 && tally.score == 0.5 && tally.medianSeconds == 600)
    }
}
