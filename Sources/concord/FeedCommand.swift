import ArgumentParser
import AsyncHTTPClient
import ConcordCore
import ConcordStore
import ConcordWeb
import Foundation
import Logging

struct FeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feed",
        abstract: "Subscribe to external TAXII 2.1 collections: a running node pulls each on its schedule.",
        discussion: """
            Feeds live in feeds.json in the data directory (readable by its owner only, as it holds the feeds' \
            credentials). Every record pulled gets the TLP level given here, whatever the objects are marked with.
            """,
        subcommands: [Add.self, List.self, Remove.self, Pull.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a feed.")

        @OptionGroup var node: NodeOptions

        @Argument(help: "A name for the feed.")
        var name: String

        @Option(help: "The collection's address: https://host/api-root/collections/<id>/")
        var collection: String

        @Option(help: "HTTP Basic user name.")
        var user: String?

        @Option(
            help:
                "Environment variable holding the password (or bearer token without --user); never a flag, so it stays out of shell history."
        )
        var secretEnv: String?

        @Option(help: "TLP level of the records pulled: clear, green, amber, amber+strict or red.")
        var tlp: String = "amber"

        @Option(help: "Seconds between pulls (at least 10).")
        var interval: Int = 300

        @Option(help: "Objects per page (1 to 10000).")
        var pageSize: Int = 1000

        func run() async throws {
            _ = try node.load()
            guard let level = TLPLevel(lenient: tlp) else { throw ValidationError("--tlp \(tlp) is not a TLP level") }
            guard interval >= 10 else { throw ValidationError("--interval must be at least 10 seconds") }
            guard (1...10_000).contains(pageSize) else { throw ValidationError("--page-size must be 1 to 10000") }
            guard !name.isEmpty, name.utf8.count <= 64 else { throw ValidationError("the name must have 1 to 64 characters") }
            var secret: String?
            if let secretEnv {
                guard let value = ProcessInfo.processInfo.environment[secretEnv], !value.isEmpty else {
                    throw ValidationError("the environment variable \(secretEnv) is not set")
                }
                secret = value
            }
            let address: String
            do {
                address = try TAXIIFeedFile.check(collection: collection)
            } catch {
                throw ValidationError("\(error)")
            }
            let file = TAXIIFeedFile(directory: node.directory.url)
            var feeds = try file.load()
            guard !feeds.contains(where: { $0.name == name }) else { throw ValidationError("a feed named \(name) exists") }
            feeds.append(
                TAXIIFeed(
                    name: name,
                    collection: address,
                    user: user,
                    secret: secret,
                    tlp: level,
                    interval: interval,
                    pageSize: pageSize
                )
            )
            try file.save(feeds)
            print("feed \(name) added: \(address), records labelled TLP:\(level.rawValue.uppercased()), every \(interval) s")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the feeds (never their credentials).")

        @OptionGroup var node: NodeOptions

        func run() async throws {
            _ = try node.load()
            for feed in try TAXIIFeedFile(directory: node.directory.url).load() {
                print("\(feed.name)  \(feed.collection)  TLP:\(feed.tlp.rawValue.uppercased())  every \(feed.interval) s")
                print("  read up to: \(feed.addedAfter ?? "nothing yet")")
                if let last = feed.lastPull { print("  last pull: \(last)") }
                if let error = feed.lastError { print("  last error: \(error)") }
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a feed; records already pulled stay.")

        @OptionGroup var node: NodeOptions

        @Argument(help: "The feed's name.")
        var name: String

        func run() async throws {
            _ = try node.load()
            let file = TAXIIFeedFile(directory: node.directory.url)
            var feeds = try file.load()
            guard let at = feeds.firstIndex(where: { $0.name == name }) else { throw ValidationError("no feed named \(name)") }
            feeds.remove(at: at)
            try file.save(feeds)
            print("feed \(name) removed")
        }
    }

    struct Pull: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Pull a feed now, into the store directly (no server needed); a running node sees the records within a second."
        )

        @OptionGroup var node: NodeOptions

        @Argument(help: "The feed's name.")
        var name: String

        func run() async throws {
            let (key, profile) = try node.load()
            let file = TAXIIFeedFile(directory: node.directory.url)
            guard var feed = try file.load().first(where: { $0.name == name }) else {
                throw ValidationError("no feed named \(name)")
            }
            let logger = makeLogger(level: .warning)
            let store = try await node.openStore(logger: logger)
            let http = HTTPClient(eventLoopGroupProvider: .singleton)
            let puller = TAXIIFeedPuller(
                http: http,
                ledger: Ledger(store: store, logger: logger),
                key: key,
                jurisdiction: profile.jurisdiction,
                logger: logger
            )
            do {
                let result = try await puller.pull(&feed) { try file.update($0) }
                try? await http.shutdown()
                await store.close()
                let s = result.summary
                print(
                    "pulled \(name): \(result.pages) pages, \(s.objects) objects: \(s.imported) imported (\(s.created) records "
                        + "created, \(s.duplicates) already held), \(s.skipped) skipped, \(s.rejected) rejected; "
                        + "read up to \(feed.addedAfter ?? "-")"
                )
            } catch {
                try? await http.shutdown()
                await store.close()
                throw ValidationError("pulling \(name) failed: \(error)")
            }
        }
    }
}
