import ArgumentParser
import ConcordCore
import ConcordFederation
import ConcordStore
import Foundation
import Logging

struct PeerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peer",
        abstract: "Add, list and remove peers. Peering is mutual: each side adds the other, pinned to its node id.",
        subcommands: [Add.self, List.self, Remove.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a peer by URL, pinned to the node id it gave you (`concord id` on its side)."
        )

        @OptionGroup var node: NodeOptions

        @Argument(help: "The peer's base URL, e.g. https://concord.example.org")
        var url: String

        @Option(help: "The peer's node id.")
        var id: String

        @Flag(help: "Accept a plain http URL for a peer on another machine (a closed test network only).")
        var allowPlainHTTP = false

        func run() async throws {
            let own = try node.load().key.nodeID
            if let problem = PeerAddress.problem(url: url, id: id, own: own, allowPlainHTTP: allowPlainHTTP) {
                throw ValidationError(problem)
            }
            let store = try await node.openStore(logger: makeLogger(level: .warning))
            do {
                try await store.addPeer(nodeID: id, url: url)
            } catch {
                await store.close()
                throw error
            }
            await store.close()
            print("peer \(id) at \(url) added; it must add this node too (`concord id` prints this node's id)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List peers with their pull state.")

        @OptionGroup var node: NodeOptions

        func run() async throws {
            _ = try node.load()
            let store = try await node.openStore(logger: makeLogger(level: .warning))
            let peers = try await store.peers()
            await store.close()
            print("node id\turl\tjurisdiction\tcursor\tbehind\tlast pull\tfailures\tlast error")
            for p in peers {
                print(
                    "\(p.nodeID)\t\(p.url)\t\(p.jurisdiction ?? "-")\t\(p.cursor)\t\(p.behind.map(String.init) ?? "-")\t\(p.lastPull?.rfc3339 ?? "never")\t\(p.errors)\t\(p.lastError ?? "-")"
                )
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a peer: it is no longer served nor pulled.")

        @OptionGroup var node: NodeOptions

        @Argument(help: "The peer's node id.")
        var id: String

        func run() async throws {
            _ = try node.load()
            let store = try await node.openStore(logger: makeLogger(level: .warning))
            let removed = try await store.removePeer(nodeID: id)
            await store.close()
            guard removed else { throw ValidationError("no peer \(id)") }
            print("peer \(id) removed")
        }
    }
}
