import ArgumentParser
import ConcordAnalysis
import ConcordCore
import ConcordStore
import ConcordWeb
import Foundation
import Logging

/// Options of every command that links campaigns or converts losses.
struct AnalysisOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "JSON file of exchange rates, {\"base\":\"USD\",\"rates\":{\"THB\":0.0307,...}}; default: built-in reference rates to USD.",
            valueName: "file"
        )
    )
    var rates: String?

    @Option(
        help: ArgumentHelp(
            "File of identifier keys that must never link reports (kind:canonical, one a line, # comments), added to the shipped list.",
            valueName: "file"
        )
    )
    var warningList: String?

    func exchangeRates() throws -> ExchangeRates {
        guard let rates else { return ReferenceRates.usd }
        guard let data = FileManager.default.contents(atPath: rates) else { throw ValidationError("cannot read \(rates)") }
        do {
            return try ReferenceRates.parse(data)
        } catch {
            throw ValidationError("\(rates): \(error)")
        }
    }

    func warnings() throws -> Set<String> {
        guard let warningList else { return [] }
        guard let text = try? String(contentsOfFile: warningList, encoding: .utf8) else {
            throw ValidationError("cannot read \(warningList)")
        }
        var keys = Set<String>()
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let key = line.trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty else { continue }
            guard let colon = key.firstIndex(of: ":"), IdentifierKind(rawValue: String(key[..<colon])) != nil else {
                throw ValidationError("\(warningList):\(n + 1): \"\(key)\" is not kind:canonical (e.g. phone:+6621234567)")
            }
            keys.insert(key)
        }
        return keys
    }
}

/// Every live (not retracted) report the node's store holds, read straight from the store.
func storedReports(_ node: NodeOptions) async throws -> [ReportFacts] {
    let store = try await node.openStore(logger: makeLogger(level: .warning))
    do {
        let reports = try await liveReports(in: store)
        await store.close()
        return reports
    } catch {
        await store.close()
        throw error
    }
}

/// Prints `value` as pretty JSON with sorted keys.
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    printLine(String(decoding: try encoder.encode(value), as: UTF8.self))
}
