import ArgumentParser
import ConcordAnalysis
import ConcordCore
import ConcordInterop
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
            "File of identifier keys that must never link reports (kind:value a line, # comments; or a polkadot-js all.json, its allow list), added to the shipped list.",
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
        do {
            return try WarningListFile.read(path: warningList)
        } catch {
            throw ValidationError("\(error)")
        }
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
