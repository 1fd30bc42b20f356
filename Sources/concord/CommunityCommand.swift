import ArgumentParser
import ConcordCore
import ConcordStore
import Foundation
import Logging

struct CommunityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "community",
        abstract: "Declare communities this node stewards, and list the communities it knows.",
        subcommands: [Declare.self, List.self]
    )

    struct Declare: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Declare (or redeclare) a community: a signed record naming its members, which labels can then name."
        )

        @OptionGroup var node: NodeOptions

        @Argument(help: "The community's name: 3 to 64 of a-z, 0-9 and -, e.g. asean-commonwealth-scams.")
        var name: String

        @Option(name: .customLong("member"), help: "A member's node id; repeat for each. This node is always a member.")
        var members: [String] = []

        @Option(help: "A human title.")
        var title: String?

        @Option(help: "The declaration's own TLP level (default green, so that peers relay it to members).")
        var tlp: String = "green"

        func run() async throws {
            let (key, _) = try node.load()
            var fields: [String: JSONValue] = [
                "name": .string(name),
                "members": .array(members.map(JSONValue.string)),
                "tlp": .string(tlp),
            ]
            if let title { fields["title"] = .string(title) }
            let draft: RecordDraft
            do {
                draft = try RecordInput.community(.object(fields), steward: key.nodeID)
            } catch {
                throw ValidationError(error.issues.map { "\($0.pointer.dropFirst()): \($0.detail)" }.joined(separator: "; "))
            }
            let record = draft.sign(with: key)
            let store = try await node.openStore(logger: makeLogger(level: .warning))
            do {
                _ = try await store.append([record], receipt: nil)
            } catch {
                await store.close()
                throw error
            }
            await store.close()
            print(
                "community \(name) declared in record \(record.id) with \(record.body["members"]?.arrayValue?.count ?? 0) members"
            )
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the communities this node knows, with members.")

        @OptionGroup var node: NodeOptions

        func run() async throws {
            let own = try node.load().key.nodeID
            let store = try await node.openStore(logger: makeLogger(level: .warning))
            let ledger = Ledger(store: store, logger: makeLogger(level: .warning))
            let communities = Communities()
            do {
                try await communities.follow(ledger)
            } catch {
                await store.close()
                throw error
            }
            await store.close()
            let directory = communities.snapshot
            print("community (name@steward)\tmembers\tthis node\ttitle")
            for d in directory.declarations {
                print("\(d.id)\t\(d.members.count)\t\(d.members.contains(own) ? "member" : "-")\t\(d.title ?? "-")")
            }
        }
    }
}
