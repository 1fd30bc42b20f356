import Testing

@testable import ConcordCore

@Suite("Synthetic reports")
struct SyntheticReportsTests {
    @Test("every synthetic report is valid input, in every locale")
    func allValid() throws {
        var generator = SyntheticReports(seed: 11)
        for _ in 0..<2000 {
            let (report, _) = generator.nextWithTruth()
            let jurisdiction = report["jurisdiction"]?.stringValue ?? ""
            _ = try RecordInput.report(report, nodeJurisdiction: jurisdiction)
        }
    }

    @Test("one campaign's identifiers written in different countries become the same canonical keys")
    func campaignsCrossBorders() throws {
        // Two nodes' generators with different seeds and countries share the campaigns.
        var keysByCampaign: [Int: [String: Set<String>]] = [:]
        for (seed, country) in [(1 as UInt64, "TH"), (2, "MY"), (3, "SG"), (4, "AU"), (5, "KE"), (6, "NG")] {
            var generator = SyntheticReports(seed: seed, jurisdictions: [country])
            for _ in 0..<600 {
                let (report, campaign) = generator.nextWithTruth()
                guard let campaign else { continue }
                let draft = try RecordInput.report(report, nodeJurisdiction: country)
                for item in draft.body["identifiers"]?.arrayValue ?? [] {
                    let key = (item["kind"]?.stringValue ?? "") + ":" + (item["value"]?.stringValue ?? "")
                    keysByCampaign[campaign, default: [:]][key, default: []].insert(country)
                }
            }
        }
        // Some campaign key was reported from two or more countries, written differently in each.
        let crossBorder = keysByCampaign.values.flatMap(\.values).filter { $0.count >= 2 }
        #expect(crossBorder.count >= 10, "only \(crossBorder.count) identifiers were reported from two countries")
        // No key belongs to two campaigns.
        var owner: [String: Int] = [:]
        for (campaign, keys) in keysByCampaign {
            for key in keys.keys {
                #expect(owner[key] == nil || owner[key] == campaign, "\(key) is in two campaigns")
                owner[key] = campaign
            }
        }
    }

    @Test("generated IBANs pass the mod-97 check")
    func ibans() throws {
        var rng = SeededRandom(seed: 3)
        for _ in 0..<200 {
            let value = iban(country: "NL", bban: "ABNA" + rng.digits(10))
            _ = try Identifier.normalize(kind: .bankAccount, value: value, hints: NormalizationHints())
        }
    }
}
