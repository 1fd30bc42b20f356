import ConcordAnalysis
import ConcordCore
import Testing

@Suite("Peer matching and capability gaps")
struct PeerMatchingTests {
    static let factors = ["reporting-hotline", "specialised-units", "contact-24-7-mla", "bank-fraud-controls"]
    static let regions = ["southeast-asia", "pacific", "africa"]

    /// A random participant: stages 1-5, targets at or above them, 1-2 of 3 languages, capacity 0-2.
    static func participant(_ n: Int, _ random: inout SeededRandom) -> PeerMatching.Participant {
        var stages: [String: Int] = [:]
        var targets: [String: Int] = [:]
        for factor in factors {
            let stage = 1 + Int(random.next() % 5)
            stages[factor] = stage
            targets[factor] = min(5, stage + Int(random.next() % 3))
        }
        let languages: Set<String> = Set(["en", "fr", "ms"].filter { _ in random.next() % 2 == 0 }).union(
            n % 3 == 0 ? ["en"] : []
        )
        return PeerMatching.Participant(
            id: "node-\(n)",
            region: regions[Int(random.next() % 3)],
            languages: languages.isEmpty ? ["fr"] : languages,
            utcOffsetMinutes: [-300, 0, 60, 420, 480, 600, 720][Int(random.next() % 7)],
            legalTradition: ["common", "civil", nil][Int(random.next() % 3)],
            stages: stages,
            targets: targets,
            capacity: Int(random.next() % 3)
        )
    }

    /// The best total by trying every assignment of each mentee to a mentor with room, or to none.
    static func bruteForce(_ participants: [PeerMatching.Participant], options: PeerMatching.Options) -> Double {
        let mentees = participants.filter { p in p.targets.contains { $0.value > (p.stages[$0.key] ?? 1) } }
        var best = 0.0
        var room = participants.map(\.capacity)
        func visit(_ i: Int, _ total: Double) {
            guard i < mentees.count else {
                best = max(best, total)
                return
            }
            visit(i + 1, total)
            for (m, mentor) in participants.enumerated() where room[m] > 0 {
                guard let pair = PeerMatching.benefit(mentee: mentees[i], mentor: mentor, options: options) else { continue }
                room[m] -= 1
                visit(i + 1, total + pair.benefit)
                room[m] += 1
            }
        }
        visit(0, 0)
        return best
    }

    @Test("the proposed pairs reach the brute-force optimum on 300 small random instances, within capacities")
    func optimality() {
        var random = SeededRandom(seed: 2026)
        for round in 0..<300 {
            let count = 2 + Int(random.next() % 5)
            let participants = (0..<count).map { Self.participant($0, &random) }
            var options = PeerMatching.Options()
            if round % 4 == 0 { options.exclusions = [["node-0", "node-1"], ["node-1", "node-0"]] }
            let pairs = PeerMatching.propose(participants, options: options)
            let total = pairs.reduce(0) { $0 + $1.benefit }
            let best = Self.bruteForce(participants, options: options)
            #expect(abs(total - best) < 1e-9, "round \(round): \(total) against \(best)")
            #expect(Set(pairs.map(\.mentee)).count == pairs.count, "a mentee has at most one mentor")
            for p in participants {
                #expect(pairs.filter { $0.mentor == p.id }.count <= p.capacity)
            }
            #expect(pairs.allSatisfy { $0.mentee != $0.mentor && !options.exclusions.contains([$0.mentee, $0.mentor]) })
        }
    }

    @Test("the assignment solver matches brute force on random rectangular matrices")
    func assignment() {
        var random = SeededRandom(seed: 7)
        for _ in 0..<200 {
            let rows = 1 + Int(random.next() % 5)
            let columns = 1 + Int(random.next() % 5)
            let profit = (0..<rows).map { _ in (0..<columns).map { _ in Double(random.next() % 100) } }
            let chosen = Assignment.maximise(profit)
            #expect(Set(chosen.compactMap { $0 }).count == chosen.compactMap { $0 }.count)
            var total = 0.0
            for (row, column) in chosen.enumerated() { if let column { total += profit[row][column] } }
            var best = 0.0
            var taken = [Bool](repeating: false, count: columns)
            func visit(_ i: Int, _ sum: Double) {
                guard i < rows else { return best = max(best, sum) }
                visit(i + 1, sum)
                for j in 0..<columns where !taken[j] {
                    taken[j] = true
                    visit(i + 1, sum + profit[i][j])
                    taken[j] = false
                }
            }
            visit(0, 0)
            #expect(total == best)
        }
        // Not-a-number, infinite and negative profits count as none, and the solver still ends.
        let odd = Assignment.maximise([[.nan, 3], [.infinity, -2], [1, .nan]])
        #expect(odd.compactMap { $0 }.count == 2)
        #expect(Assignment.maximise([[0, 0], [0, 0]]).compactMap { $0 }.count == 2)
    }

    @Test("a pair says why: the factors, shared languages, working hours, legal tradition and regions")
    func reasons() throws {
        let mentee = PeerMatching.Participant(
            id: "fiji",
            region: "pacific",
            languages: ["en", "fj"],
            utcOffsetMinutes: 720,
            legalTradition: "common",
            stages: ["contact-24-7-mla": 1, "reporting-hotline": 3],
            targets: ["contact-24-7-mla": 3, "reporting-hotline": 3],
            capacity: 0
        )
        let mentor = PeerMatching.Participant(
            id: "singapore",
            region: "southeast-asia",
            languages: ["en", "ms", "zh"],
            utcOffsetMinutes: 480,
            legalTradition: "common",
            stages: ["contact-24-7-mla": 5],
            targets: [:],
            capacity: 1
        )
        let pair = try #require(PeerMatching.benefit(mentee: mentee, mentor: mentor))
        #expect(pair.factors == ["contact-24-7-mla"])
        #expect(pair.reasons.contains("shared languages: en"))
        #expect(pair.reasons.contains("4 h of working day in common"))
        #expect(pair.reasons.contains("both work in a common legal tradition"))
        #expect(pair.reasons.contains("across regions: pacific and southeast-asia"))
        // 2 stages of gap, x (0.75 + 0.25 x 4/8) x 1.15 x 1.1.
        #expect(abs(pair.benefit - 2 * 0.875 * 1.15 * 1.1) < 1e-12)
        let french = PeerMatching.Participant(
            id: "senegal",
            region: "africa",
            languages: ["fr"],
            utcOffsetMinutes: 0,
            legalTradition: "civil",
            stages: ["contact-24-7-mla": 5],
            targets: [:],
            capacity: 2
        )
        #expect(PeerMatching.benefit(mentee: mentee, mentor: french) == nil, "no shared language")
        #expect(PeerMatching.sharedWorkingHours(0, 0) == 8 && PeerMatching.sharedWorkingHours(0, 720) == 0)
        #expect(PeerMatching.sharedWorkingHours(-300, 60) == 2)
    }

    @Test("gaps are target minus stage, weighted by the share of loss in the factor's typologies")
    func gaps() {
        let factor = { (id: String, typologies: [Typology]) in
            CapabilityFramework.Factor(
                id: id,
                title: id,
                description: "",
                dimension: "d",
                typologies: typologies,
                indicators: ["1", "2", "3", "4", "5"]
            )
        }
        let framework = CapabilityFramework(
            id: "f",
            version: "1",
            title: "F",
            description: "",
            stages: [],
            dimensions: [
                .init(
                    id: "d",
                    title: "D",
                    description: "",
                    factors: [factor("a", [.investment]), factor("b", [.romance]), factor("c", []), factor("e", [])]
                )
            ]
        )
        let assessment = CapabilityAssessment(entries: [
            .init(factor: "a", stage: 2, target: 4), .init(factor: "b", stage: 2, target: 4),
            .init(factor: "c", stage: 1, target: 2),
            .init(factor: "e", stage: 3, target: 3),
        ])
        let gaps = CapabilityGaps.gaps(assessment, framework: framework, lossByTypology: [.investment: 750, .romance: 250])
        #expect(gaps.map(\.factor) == ["a", "b", "c"], "no gap, no row; investment losses weigh a first")
        #expect(gaps[0].weighted == 3.5 && gaps[1].weighted == 2.5 && gaps[2].weighted == 2)
        #expect(CapabilityGaps.gaps(assessment, framework: framework, lossByTypology: [:]).map(\.weighted) == [2, 2, 1])
    }

    @Test("an exchange is followed by the stage change between the assessment before it and the one that follows it")
    func exchangeEffects() {
        let t = { (days: Int64) in Timestamp(milliseconds: 1_760_000_000_000 + days * 86_400_000) }
        let assessments = [
            ExchangeEffects.Snapshot(origin: "a", created: t(0), follows: nil, stages: ["x": 1, "y": 2]),
            ExchangeEffects.Snapshot(origin: "a", created: t(5), follows: nil, stages: ["x": 2, "y": 2]),
            ExchangeEffects.Snapshot(origin: "a", created: t(40), follows: nil, stages: ["x": 5]),
            ExchangeEffects.Snapshot(origin: "a", created: t(30), follows: "e1", stages: ["x": 4, "y": 3]),
            ExchangeEffects.Snapshot(origin: "b", created: t(1), follows: nil, stages: ["x": 3]),
            ExchangeEffects.Snapshot(origin: "b", created: t(25), follows: nil, stages: ["x": 3]),
        ]
        let changes = ExchangeEffects.changes(
            exchange: "e1",
            participants: ["a", "b", "c"],
            factors: ["x", "y"],
            start: t(10),
            end: t(20),
            assessments: assessments
        )
        #expect(
            changes.map(\.change) == [2, 1, 0, nil, nil, nil],
            "a: latest before (day 5) to the one that follows e1 (day 30); b: the first after"
        )
        let rows = ExchangeEffects.programme(
            [
                .init(funder: "F", region: "pacific", factors: ["x", "y"], changes: changes),
                .init(funder: nil, region: "pacific", factors: ["x"], changes: []),
            ],
            by: .factor
        )
        #expect(
            rows == [
                .init(key: "x", exchanges: 2, measured: 2, meanChange: 1),
                .init(key: "y", exchanges: 1, measured: 1, meanChange: 1),
            ]
        )
        #expect(
            ExchangeEffects.programme([.init(funder: nil, region: nil, factors: ["x"], changes: [])], by: .funder).first?.key
                == "unspecified"
        )
    }
}
