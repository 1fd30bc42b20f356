import ArgumentParser
import ConcordCore
import ConcordStore
import Foundation
import Logging

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check identifiers against the node's records; one JSON answer a line.",
        discussion:
            "Reads the node's store directly (no server needed). Exits 2 when any value is flagged, so scripts can branch on it."
    )

    @OptionGroup var node: NodeOptions

    @Argument(help: "Kind: \(IdentifierKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var kind: String

    @Argument(help: "Values as typed.")
    var values: [String]

    @Option(help: "Region for national phone numbers; default: the node's jurisdiction.")
    var region: String?

    @Option(help: "Chain of wallet addresses.")
    var chain: String?

    @Option(help: "Platform of social handles.")
    var platform: String?

    func run() async throws {
        let (_, profile) = try node.load()
        guard let identifierKind = IdentifierKind(rawValue: kind) else {
            throw ValidationError("kind must be one of \(IdentifierKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let logger = makeLogger(level: .warning)
        let store = try await node.openStore(logger: logger)
        let ledger = Ledger(store: store, logger: logger)
        do {
            try await ledger.loadIndex()
        } catch {
            await store.close()
            throw error
        }
        await store.close()
        let hints = NormalizationHints(region: region ?? profile.jurisdiction, chain: chain, platform: platform)
        var anyFlagged = false
        var anyInvalid = false
        for value in values {
            do {
                let identifier = try Identifier.normalize(kind: identifierKind, value: value, hints: hints)
                let result = ledger.index.check(identifier)
                anyFlagged = anyFlagged || result.flagged
                print(result.json.canonicalString)
            } catch {
                anyInvalid = true
                print(JSONValue.object(["value": .string(value), "error": .string(error.reason)]).canonicalString)
            }
        }
        if anyInvalid { throw ExitCode(1) }
        if anyFlagged { throw ExitCode(2) }
    }
}
