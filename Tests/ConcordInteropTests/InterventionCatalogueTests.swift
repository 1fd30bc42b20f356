import ConcordAnalysis
import ConcordCore
import ConcordInterop
import Foundation
import Testing

/// One catalogue item as YAML lines (8 lines, the reduction on the last).
private func yamlItem(_ id: String, reduction: String = "0.1", typologies: String? = nil) -> [String] {
    var lines = [
        "  - id: \(id)",
        "    name: Item \(id)",
        "    cost: 10_000",
        "    analyst_hours: 50",
        "    duration_months: 3",
        "    effects:",
        "      - factor: impact",
    ]
    if let typologies { lines.append("        typologies: \(typologies)") }
    lines.append("        reduction: \(reduction)")
    return lines
}

private func catalogue(_ items: [[String]]) -> String {
    (["interventions:"] + items.flatMap { $0 }).joined(separator: "\n") + "\n"
}

@Suite("Intervention catalogue")
struct InterventionCatalogueTests {
    @Test("a catalogue of aliases that expand exponentially, or of too many items, is refused at once")
    func bounded() {
        // Each level lists the one before nine times: nine levels stand for 9^9 values.
        var lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
        for level in 1...9 {
            let previous = "*a\(level - 1)"
            lines.append("a\(level): &a\(level) [" + Array(repeating: previous, count: 9).joined(separator: ", ") + "]")
        }
        lines.append("interventions: *a9")
        let started = ContinuousClock.now
        #expect(throws: InterventionCatalogueError.self) { try InterventionCatalogue.parse(lines.joined(separator: "\n")) }
        #expect(ContinuousClock.now - started < .seconds(2))
        let many = catalogue((0...InterventionCatalogue.maximumItems).map { yamlItem("i\($0)") })
        #expect {
            try InterventionCatalogue.parse(many)
        } throws: { error in
            "\(error)".contains("at most \(InterventionCatalogue.maximumItems)")
        }
        #expect(throws: Never.self) { try InterventionCatalogue.parse(catalogue((0..<50).map { yamlItem("i\($0)") })) }
    }

    @Test("the shipped catalogue loads and validates, with at least 12 interventions of modest effect")
    func shippedCatalogue() throws {
        let interventions = try InterventionCatalogue.shipped()
        #expect(interventions.count >= 12)
        #expect(Intervention.validate(interventions).isEmpty)
        #expect(Set(interventions.map(\.id)).count == interventions.count)
        #expect(interventions.contains { $0.id == "bank-rapid-freeze" && $0.jurisdictions == ["TH"] })
        #expect(interventions.contains { $0.id == "awareness-investment" && $0.isRegional })
        for intervention in interventions {
            #expect(intervention.cost >= 10_000, "\(intervention.id)")
            for effect in intervention.effects {
                #expect((0.03...0.3).contains(effect.reduction), "\(intervention.id)")
            }
        }
        let text = try InterventionCatalogue.shippedText()
        #expect(text.contains("PLANNING ASSUMPTION FOR"))
    }

    @Test("the shipped catalogue plans a portfolio for a regional register within budget, hours and fair share")
    func shippedCataloguePlans() throws {
        let interventions = try InterventionCatalogue.shipped()
        let risks = ["TH", "KH", "PH", "FJ"].flatMap { code in
            Typology.allCases.map { RiskExposure(jurisdiction: code, typology: $0, expectedAnnualLoss: 2_000_000) }
        }
        let plan = Planner.plan(
            PlanRequest(risks: risks, interventions: interventions, budget: 1_000_000, hours: 6_000, fairShare: 0.4)
        )
        #expect(plan.problems.isEmpty)
        #expect(plan.provenOptimal)
        #expect(!plan.picks.isEmpty)
        #expect(plan.totals.cost <= 1_000_000)
        #expect(plan.totals.analystHours <= 6_000)
        for spend in plan.spend { #expect(spend.shareOfBudget <= 0.4 + 1e-12) }
        #expect(plan.picks.allSatisfy { !$0.reason.isEmpty && !$0.risks.isEmpty })
    }

    @Test("a reduction out of range is reported with the item, the field and the line")
    func badReduction() throws {
        let yaml = catalogue([yamlItem("one"), yamlItem("two"), yamlItem("three"), yamlItem("four", reduction: "1.5")])
        let error = try #require(throws: InterventionCatalogueError.self) { try InterventionCatalogue.parse(yaml) }
        let text = error.description
        #expect(
            text.contains("interventions[3].effects[0].reduction must be between 0 and 1"),
            "\(text)"
        )
        #expect(text.contains("line 33"), "\(text)")
        #expect(text.contains("intervention \"four\""), "\(text)")
        guard case .invalid(let problems) = error else {
            Issue.record("expected .invalid, got \(error)")
            return
        }
        #expect(problems.count == 1)
    }

    @Test("every problem is reported at once: unknown typology, misspelt field, commas in numbers, repeated id")
    func manyProblems() throws {
        var typo = yamlItem("typo")
        typo[2] = "    cots: 10_000"
        var commas = yamlItem("commas")
        commas[2] = "    cost: 150,000"
        let yaml = catalogue([
            yamlItem("crypto", typologies: "[investment, crypto]"), typo, commas, yamlItem("crypto"),
        ])
        let error = try #require(throws: InterventionCatalogueError.self) { try InterventionCatalogue.parse(yaml) }
        guard case .invalid(let problems) = error else {
            Issue.record("expected .invalid, got \(error)")
            return
        }
        let fields = Set(problems.map(\.field))
        #expect(fields.contains("interventions[0].effects[0].typologies[1]"))
        #expect(fields.contains("interventions[1].cots"))
        #expect(fields.contains("interventions[1].cost"))
        #expect(fields.contains("interventions[2].cost"))
        #expect(fields.contains("interventions[3].id"))
        let text = error.description
        #expect(text.contains("\"crypto\" is not a typology"), "\(text)")
        #expect(text.contains("without commas"), "\(text)")
        #expect(text.contains("already used by interventions[0]"), "\(text)")
    }

    @Test("reductions may be written as percentages, typologies as people write them")
    func lenientValues() throws {
        let yaml = catalogue([yamlItem("percent", reduction: "\"15%\"", typologies: "[Investment, tech support]")])
        let interventions = try InterventionCatalogue.parse(yaml)
        #expect(interventions.count == 1)
        #expect(abs((interventions.first?.effects.first?.reduction ?? 0) - 0.15) < 1e-12)
        #expect(interventions.first?.effects.first?.typologies == [.investment, .techSupport])
        #expect(interventions.first?.cost == 10_000)
        #expect(interventions.first?.isRegional == true)
    }

    @Test("text that is not YAML is reported with its line")
    func notYAML() throws {
        let yaml = "interventions:\n  - id: one\n    name: [unclosed\n    cost: 10\n"
        let error = try #require(throws: InterventionCatalogueError.self) { try InterventionCatalogue.parse(yaml) }
        guard case .notYAML(let line, _, _) = error else {
            Issue.record("expected .notYAML, got \(error)")
            return
        }
        #expect(line != nil)
        #expect(error.description.contains("not valid YAML"))
    }

    @Test("a catalogue file is read from disk; a missing one is named")
    func loadFromFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("concord-catalogue-\(UUID()).yaml")
        try catalogue([yamlItem("from-file")]).write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(try InterventionCatalogue.load(path: url.path).map(\.id) == ["from-file"])
        let missing = url.path + ".absent"
        let error = try #require(throws: InterventionCatalogueError.self) {
            try InterventionCatalogue.load(path: missing)
        }
        #expect(error.description.contains(missing))
    }
}

@Suite("Operator warning lists")
struct WarningListFileTests {
    @Test("the polkadot-js allow list becomes domain keys, leaving out public suffixes")
    func polkadotAllow() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "../../../shared/data/polkadot-phishing/all.json"
        ).standardized.path
        let keys = try WarningListFile.read(path: path)
        #expect(keys.contains("domain:weebly.com"))
        #expect(keys.contains("domain:fleek.co"))
        // Public suffixes: each name under them is its owner's and may link.
        #expect(!keys.contains("domain:github.io"))
        #expect(!keys.contains("domain:ddns.net"))
        #expect(keys.allSatisfy { $0.hasPrefix("domain:") })
    }

    @Test("a text list is normalised as reports are, and a bad line is named")
    func textList() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("warn-\(UUID().uuidString).txt").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "# switchboards\nphone:+66 2 123 4567\n\ndomain:Example-Bank.COM  # our own\n".write(
            toFile: path,
            atomically: true,
            encoding: .utf8
        )
        #expect(try WarningListFile.read(path: path) == ["phone:+6621234567", "domain:example-bank.com"])
        try "phone:+66 2 123 4567\nfax:123\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: (any Error).self) { try WarningListFile.read(path: path) }
    }
}
