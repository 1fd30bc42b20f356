import ArgumentParser
import ConcordCore
import ConcordStore
import Foundation
import Logging

struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a node: its key, its profile and its store."
    )

    @OptionGroup var node: NodeOptions

    @Option(help: "The organisation that runs the node.")
    var organisation: String

    @Option(help: "ISO 3166-1 alpha-2 jurisdiction, e.g. TH; also the default region for national phone numbers.")
    var jurisdiction: String

    @Option(help: "Kind of organisation: \(OrganisationKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var kind: String = "law_enforcement"

    @Option(help: "Working languages, comma-separated BCP 47 tags.")
    var languages: String = "en"

    @Option(help: "IANA time zone, e.g. Asia/Bangkok.")
    var timeZone: String = "UTC"

    @Option(help: "24/7 contact point (phone or e-mail of the duty desk).")
    var contact: String = ""

    func run() async throws {
        guard let code = Jurisdiction.normalize(jurisdiction) else {
            throw ValidationError("--jurisdiction \(jurisdiction) is not an ISO 3166-1 alpha-2 country code")
        }
        guard let organisationKind = OrganisationKind(rawValue: kind) else {
            throw ValidationError("--kind must be one of \(OrganisationKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard !organisation.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ValidationError("--organisation must not be empty")
        }
        let profile = NodeProfile(
            organisation: organisation,
            kind: organisationKind,
            jurisdiction: code,
            languages: languages.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) },
            timeZone: timeZone,
            contact: contact
        )
        let key: NodeKey
        do {
            key = try node.directory.initialise(profile: profile)
        } catch let error as DataDirectoryError {
            throw ValidationError(error.description)
        }
        let store = try await node.openStore(logger: makeLogger(level: .warning))
        await store.close()
        print("node \(key.nodeID) created in \(node.directory.url.path)")
        print("next: concord token create --data-dir \(node.dataDir) --role admin")
    }
}
