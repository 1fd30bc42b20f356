import ConcordCore
import ConcordInterop
import Foundation
import Testing

/// The shared data sets sit in ../shared/data beside the project; tests that need them say so when absent.
let sharedData = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/data/polkadot-phishing")

@Suite("Importers")
struct ImporterTests {
    @Test(
        "the polkadot-js deny list reads into domain and wallet indicators, almost all valid",
        .enabled(if: FileManager.default.fileExists(atPath: sharedData.path), "../shared/data/polkadot-phishing is not here")
    )
    func polkadot() throws {
        let list = try PolkadotPhishingList(path: sharedData.path)
        #expect(list.allow.count == 29)
        let domains = list.indicators.filter { $0["kind"] == .string("domain") }
        let wallets = list.indicators.filter { $0["kind"] == .string("wallet") }
        #expect(domains.count >= 54_863)
        #expect(wallets.count == 279)
        var rejected: [String: Int] = [:]
        var keys = Set<Identifier>()
        for item in list.indicators {
            do {
                let draft = try RecordInput.indicator(item, nodeJurisdiction: "TH")
                if let identifier = draft.body["identifier"], let value = identifier["value"]?.stringValue,
                    let kind = identifier["kind"]?.stringValue.flatMap(IdentifierKind.init(rawValue:))
                {
                    keys.insert(Identifier(kind: kind, canonical: value))
                }
            } catch {
                rejected[error.issues.first?.detail ?? "?", default: 0] += 1
            }
        }
        let total = rejected.values.reduce(0, +)
        // Entries as the maintainers wrote them: a handful are not hosts at all; none may be lost silently.
        #expect(total < list.indicators.count / 100, "rejected: \(rejected)")
        #expect(keys.count + total <= list.indicators.count)
        // Dates from dated.jsonl become first_seen.
        #expect(domains.contains { $0["first_seen"] != nil })
    }

    @Test("CSV with quotes, doubled quotes, CRLF and an embedded newline reads row by row with line numbers")
    func csv() throws {
        let text =
            "kind,value,typology,confidence,description\r\n"
            + "phone,081 234 5678,job,80,\"said \"\"HR\"\", Bangkok\"\r\n"
            + "domain,Scam.Example.COM.,phishing,,\"two\nlines\"\n"
            + "\n"
            + "email,x@y.example,bec,55,\n"
        let rows = try CSVIndicators.parse(text)
        #expect(rows.map(\.line) == [2, 3, 6])
        #expect(rows[0].input["description"] == .string("said \"HR\", Bangkok"))
        #expect(rows[0].input["confidence"] == .integer(80))
        #expect(rows[1].input["confidence"] == nil)
        #expect(rows[1].input["description"] == .string("two\nlines"))
        let draft = try RecordInput.indicator(rows[1].input, nodeJurisdiction: "TH")
        #expect(draft.body["identifier"]?["value"] == .string("scam.example.com"))
    }

    @Test("a CSV header naming an unknown column, or lacking kind and value, is refused")
    func csvHeader() {
        #expect(throws: ImportError.self) { try CSVIndicators.parse("kind,value,colour\nphone,1,red\n") }
        #expect(throws: ImportError.self) { try CSVIndicators.parse("value,typology\n1,job\n") }
    }
}
