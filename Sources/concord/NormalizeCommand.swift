import ArgumentParser
import ConcordCore
import ConcordStore
import Foundation
import Logging

struct NormalizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "normalize",
        abstract:
            "Print the canonical form of each value, or why it is rejected; reads values from standard input when none are given.",
        discussion: "One line per value: the canonical form, or `invalid: <reason>`. Exits 1 when any value was rejected."
    )

    @Argument(help: "Kind: \(IdentifierKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var kind: String

    @Argument(help: "Values as typed; none to read one a line from standard input.")
    var values: [String] = []

    @Option(help: "Region for national phone numbers and bank accounts; default: the node's jurisdiction, if there is a node.")
    var region: String?

    @Option(help: "Chain of wallet addresses.")
    var chain: String?

    @Option(help: "Platform of social handles.")
    var platform: String?

    @Option(help: "Bank code of national account numbers.")
    var bank: String?

    @Option(help: "Data directory whose jurisdiction is the default region.")
    var dataDir: String = "./concord-data"

    func run() throws {
        guard let identifierKind = IdentifierKind(rawValue: kind) else {
            throw ValidationError("kind must be one of \(IdentifierKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var regionCode: String?
        if let region {
            guard let code = Jurisdiction.normalize(region) else {
                throw ValidationError("--region \(region) is not an ISO 3166-1 alpha-2 country code")
            }
            regionCode = code
        } else {
            regionCode = try? DataDirectory(path: dataDir).load().profile.jurisdiction
        }
        let hints = NormalizationHints(region: regionCode, chain: chain, platform: platform, bank: bank)
        var rejected = false
        var output = ""
        func emit(_ value: String) {
            do {
                output += try Identifier.normalize(kind: identifierKind, value: value, hints: hints).canonical + "\n"
            } catch {
                rejected = true
                output += "invalid: \(error.reason)\n"
            }
            if output.utf8.count > 64 * 1024 {
                FileHandle.standardOutput.write(Data(output.utf8))
                output = ""
            }
        }
        if values.isEmpty {
            while let line = readLine(strippingNewline: true) { emit(line) }
        } else {
            values.forEach(emit)
        }
        FileHandle.standardOutput.write(Data(output.utf8))
        if rejected { throw ExitCode(1) }
    }
}
