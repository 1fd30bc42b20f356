import ConcordAnalysis
import ConcordCore
import Testing

@Suite("Cooperation figures")
struct CooperationTests {
    static func at(_ seconds: Int64) -> Timestamp { Timestamp(milliseconds: 1_800_000_000_000 + seconds * 1000) }

    @Test("per partner and direction: counts, medians of time to acknowledge and to action, share actioned, overdue")
    func figures() {
        let threads = [
            // To B: actioned after an acknowledgement at 60 s.
            Cooperation.Thread(
                requester: "a",
                addressee: "b",
                created: Self.at(0),
                due: Self.at(3600),
                answers: [
                    .init(.actioned, at: Self.at(600)), .init(.acknowledged, at: Self.at(60)),
                ]
            ),
            // To B: declined at 300 s.
            Cooperation.Thread(
                requester: "a",
                addressee: "b",
                created: Self.at(0),
                due: Self.at(3600),
                answers: [.init(.declined, at: Self.at(300))]
            ),
            // To B: unanswered and past due.
            Cooperation.Thread(requester: "a", addressee: "b", created: Self.at(0), due: Self.at(100), answers: []),
            // To C: acknowledged, not yet due.
            Cooperation.Thread(
                requester: "a",
                addressee: "c",
                created: Self.at(0),
                due: Self.at(100_000),
                answers: [.init(.acknowledged, at: Self.at(30))]
            ),
            // From B to A: actioned at 120 s.
            Cooperation.Thread(
                requester: "b",
                addressee: "a",
                created: Self.at(0),
                due: nil,
                answers: [.init(.actioned, at: Self.at(120))]
            ),
            // Between two others: not A's business.
            Cooperation.Thread(requester: "b", addressee: "c", created: Self.at(0), due: nil, answers: []),
        ]
        let figures = Cooperation.figures(threads, own: "a", now: Self.at(5000))
        #expect(figures.map { "\($0.direction) \($0.partner)" } == ["outbound b", "outbound c", "inbound b"])
        let b = figures[0]
        #expect(b.requests == 3 && b.acknowledged == 2 && b.actioned == 1 && b.declined == 1)
        #expect(b.open == 1 && b.overdue == 1)
        #expect(b.medianSecondsToAcknowledge == 60, "the lower middle of 60 and 300")
        #expect(b.medianSecondsToAction == 600)
        #expect(b.shareActioned == 0.5)
        let c = figures[1]
        #expect(c.open == 1 && c.overdue == 0 && c.shareActioned == nil && c.medianSecondsToAction == nil)
        #expect(figures[2].medianSecondsToAction == 120 && figures[2].shareActioned == 1)
    }
}
