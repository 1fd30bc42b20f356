import ConcordCore
import ConcordInterop
import Foundation
import Testing

@Suite("Exercise scenarios from YAML")
struct ExerciseScenarioTests {
    @Test("the two shipped scenarios load, and their canonical JSON reads back unchanged")
    func shipped() throws {
        let scenarios = try ExerciseScenarioFile.shipped()
        #expect(scenarios.map(\.id) == ["investment-wave-three-countries", "bank-sms-phishing"])
        let wave = try #require(scenarios.first)
        #expect(wave.roles.count == 4 && wave.injects.count == 5 && wave.expectations.count == 7)
        // Mule accounts in three countries, named in the injects' reports.
        var paid: [String] = []
        for report in wave.injects.flatMap(\.reports) {
            for identifier in report["identifiers"]?.arrayValue ?? [] where identifier["role"] == "payment" {
                paid.append(identifier["value"]?.stringValue ?? "")
            }
        }
        #expect(Set(paid.map { String($0.prefix(3)) }).isSuperset(of: ["MY:", "TH:", "+63"]))
        #expect(wave.inject("freeze-due-my")?.request?.action == .freezeAccount)
        let sms = scenarios[1]
        #expect(sms.injects.contains { $0.request?.action == .takeDown })
        #expect(sms.expectations.contains { $0.requestAction == .blockNumber && $0.toRole == "telco" })
        for scenario in scenarios {
            let again = try ExerciseScenario(json: scenario.json)
            #expect(again.json == scenario.json, "\(scenario.id) is stored in canonical form")
            #expect(scenario.expectations.allSatisfy { $0.factor != nil && $0.lesson != nil }, "every lesson names a factor")
        }
    }

    static let minimal = """
        id: drill
        version: "1"
        title: A drill
        jurisdiction: TH
        duration_minutes: 30
        roles:
          - {id: centre, title: Centre}
        injects:
          - id: start
            at_minutes: 0
            to: [centre]
            title: Go
            message: Begin.
        expectations:
          - id: flag
            title: Flag the number
            role: centre
            after: start
            within_minutes: 10
            action: indicator
            identifiers: [{kind: phone, value: "081 234 5678"}]
        """

    @Test("a small scenario reads, with national numbers in the scenario's jurisdiction")
    func minimal() throws {
        let scenario = try ExerciseScenarioFile.parse(Self.minimal)
        #expect(scenario.expectations.first?.identifiers == [Identifier(kind: .phone, canonical: "+66812345678")])
    }

    @Test("problems are named by path and line")
    func problems() throws {
        let cases: [(String, String, String)] = [
            (Self.minimal.replacingOccurrences(of: "to: [centre]", with: "to: [bank]"), "/injects/0/to/0", "line 11"),
            (
                Self.minimal.replacingOccurrences(of: "action: indicator", with: "action: respond"), "/expectations/0/after",
                "line 18"
            ),
            (
                Self.minimal.replacingOccurrences(of: "within_minutes: 10", with: "within_minutes: 10\n    colour: red"),
                "/expectations/0/colour", "line"
            ),
            (Self.minimal.replacingOccurrences(of: "after: start", with: "after: later"), "/expectations/0/after", "line 18"),
            (Self.minimal.replacingOccurrences(of: "version: \"1\"", with: "version: 1"), "/version", "line 2"),
        ]
        for (yaml, pointer, line) in cases {
            do {
                _ = try ExerciseScenarioFile.parse(yaml)
                Issue.record("\(pointer) should be refused")
            } catch let error as ExerciseScenarioFile.Invalid {
                #expect(error.problems.contains { $0.hasPrefix(pointer) && $0.contains(line) }, "\(error.problems)")
            }
        }
        #expect(throws: ExerciseScenarioFile.Invalid.self) {
            try ExerciseScenarioFile.parse("id: &a drill\nversion: *a\n")
        }
    }
}
