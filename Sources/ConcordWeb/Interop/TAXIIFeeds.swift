public import AsyncHTTPClient
public import ConcordCore
import ConcordInterop
public import ConcordStore
public import Foundation
public import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An external TAXII 2.1 collection this node pulls from, and how far it has read.
public struct TAXIIFeed: Codable, Sendable, Equatable {
    /// The operator's name for the feed.
    public var name: String
    /// The collection's address: `https://host/api-root/collections/<id>/`.
    public var collection: String
    /// HTTP Basic user name, when the server wants one.
    public var user: String?
    /// HTTP Basic password, or the bearer token when there is no user name. Kept in the feeds file only,
    /// which only the node's user may read; never logged.
    public var secret: String?
    /// The TLP level every record pulled from the feed gets.
    public var tlp: TLPLevel
    /// Seconds between pulls.
    public var interval: Int
    /// Objects asked for per page.
    public var pageSize: Int
    /// The `added_after` of the next pull: the last date_added read so far.
    public var addedAfter: String?
    /// When the feed was last pulled, and what came of it.
    public var lastPull: String?
    /// The last error, without credentials.
    public var lastError: String?

    /// Creates a feed.
    public init(name: String, collection: String, user: String?, secret: String?, tlp: TLPLevel, interval: Int, pageSize: Int) {
        self.name = name
        self.collection = collection
        self.user = user
        self.secret = secret
        self.tlp = tlp
        self.interval = interval
        self.pageSize = pageSize
    }
}

/// Why a feed could not be added or pulled.
public struct TAXIIFeedError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, without credentials.
    public let description: String
}

/// The feeds file of a data directory (`feeds.json`, mode 0600): the feeds and their read positions.
public struct TAXIIFeedFile: Sendable {
    /// Where the file is.
    public let url: URL

    /// The feeds file of `directory`.
    public init(directory: URL) {
        url = directory.appendingPathComponent("feeds.json")
    }

    /// The feeds, none when the file does not exist.
    public func load() throws -> [TAXIIFeed] {
        guard FileManager.default.fileExists(atPath: url.path) else { return [] }
        return try JSONDecoder().decode([TAXIIFeed].self, from: Data(contentsOf: url))
    }

    /// Writes the feeds: to a new file readable by the owner only, then moved over the old one.
    public func save(_ feeds: [TAXIIFeed]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(feeds)
        let temporary = url.appendingPathExtension("new")
        guard FileManager.default.createFile(atPath: temporary.path, contents: data, attributes: [.posixPermissions: 0o600])
        else {
            throw TAXIIFeedError(description: "cannot write \(temporary.path)")
        }
        // rename(2) replaces the old file in one step: a crash leaves the old feeds or the new, never neither.
        guard rename(temporary.path, url.path) == 0 else {
            throw TAXIIFeedError(description: "cannot replace \(url.path) (errno \(errno))")
        }
    }

    /// Writes what a pull learned of `feed` (its position, last pull and last error) over the entry of the same
    /// name in the file as it is now, so that feeds added or removed meanwhile are kept as they are.
    public func update(_ feed: TAXIIFeed) throws {
        var feeds = try load()
        guard let at = feeds.firstIndex(where: { $0.name == feed.name }) else { return }
        feeds[at].addedAfter = feed.addedAfter
        feeds[at].lastPull = feed.lastPull
        feeds[at].lastError = feed.lastError
        try save(feeds)
    }

    /// Checks a collection address: http or https, and ending in `/collections/<id>/`.
    public static func check(collection: String) throws -> String {
        var text = collection
        if !text.hasSuffix("/") { text += "/" }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            url.host != nil, url.pathComponents.dropLast().last == "collections"
        else {
            throw TAXIIFeedError(
                description: "\(collection) is not a TAXII collection address (https://host/root/collections/<id>/)"
            )
        }
        return text
    }
}

/// What one pull of a feed did.
public struct TAXIIPullResult: Sendable {
    /// Pages read.
    public var pages = 0
    /// The import's sum over the pages.
    public var summary = STIXImportSummary()
}

/// Pulls pages of objects from a TAXII 2.1 collection and imports them, moving the feed's `added_after` on
/// after every page, so that an interrupted pull starts where it stopped (imports are idempotent, so a page
/// read twice adds nothing).
public struct TAXIIFeedPuller: Sendable {
    let http: HTTPClient
    let ledger: Ledger
    let key: NodeKey
    let jurisdiction: String
    let logger: Logger

    /// Creates a puller writing into `ledger` as the node with `key`.
    public init(http: HTTPClient, ledger: Ledger, key: NodeKey, jurisdiction: String, logger: Logger) {
        self.http = http
        self.ledger = ledger
        self.key = key
        self.jurisdiction = jurisdiction
        self.logger = logger
    }

    /// Pulls everything added since the feed's position; `feed.addedAfter` moves on as pages are read, and
    /// `save` is called after every page.
    public func pull(_ feed: inout TAXIIFeed, save: (TAXIIFeed) throws -> Void) async throws -> TAXIIPullResult {
        var result = TAXIIPullResult()
        var next: String?
        let options = STIXImporter.Options(jurisdiction: jurisdiction, defaultTLP: feed.tlp, assignedTLP: feed.tlp)
        // A chain of pages keeps the filters it started with (servers refuse a `next` with other filters);
        // the position saved after each page is the newest date_added read so far.
        let startAfter = feed.addedAfter
        repeat {
            var query = ["limit=\(feed.pageSize)"]
            if let startAfter { query.append("added_after=" + Self.encode(startAfter)) }
            if let next { query.append("next=" + Self.encode(next)) }
            var request = HTTPClientRequest(url: feed.collection + "objects/?" + query.joined(separator: "&"))
            request.headers.add(name: "Accept", value: "application/taxii+json;version=2.1")
            if let user = feed.user {
                let basic = Data((user + ":" + (feed.secret ?? "")).utf8).base64EncodedString()
                request.headers.add(name: "Authorization", value: "Basic " + basic)
            } else if let secret = feed.secret {
                request.headers.add(name: "Authorization", value: "Bearer " + secret)
            }
            let response = try await http.execute(request, timeout: .seconds(120))
            let body = try await response.body.collect(upTo: 256 << 20)
            guard response.status == .ok else {
                throw TAXIIFeedError(description: "the server answered \(response.status.code) for page \(result.pages + 1)")
            }
            let envelope: JSONValue
            do {
                envelope = try JSONValue.parse(body.readableBytesView)
            } catch {
                throw TAXIIFeedError(description: "page \(result.pages + 1) is not JSON: \(error.detail)")
            }
            result.pages += 1
            let objects = envelope["objects"]?.arrayValue ?? []
            if !objects.isEmpty {
                let file = FileManager.default.temporaryDirectory.appendingPathComponent("concord-feed-\(UUID().uuidString).json")
                defer { try? FileManager.default.removeItem(at: file) }
                try JSONValue.object(["objects": .array(objects)]).canonicalData.write(to: file)
                let summary = try await STIXBundleImport.run(file: file, ledger: ledger, key: key, options: options) { _ in }
                result.summary.add(summary)
            }
            if let last = response.headers.first(name: "X-TAXII-Date-Added-Last"), let time = Timestamp(rfc3339: last) {
                let current = feed.addedAfter.flatMap { Timestamp(rfc3339: $0) }
                if current.map({ $0 < time }) ?? true { feed.addedAfter = last }
            }
            try save(feed)
            next = envelope["more"] == .bool(true) ? envelope["next"]?.stringValue : nil
        } while next != nil
        return result
    }

    /// `text` percent-encoded for a query value.
    public static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
    }
}

/// Pulls every feed of the feeds file on its schedule while the node runs. The file is read again on every
/// round, so feeds added with `concord feed add` are picked up without a restart.
struct TAXIIFeedService: Service {
    let file: TAXIIFeedFile
    let node: RunningNode
    let logger: Logger

    func run() async throws {
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let puller = TAXIIFeedPuller(
            http: http,
            ledger: node.ledger,
            key: node.key,
            jurisdiction: node.profile.jurisdiction,
            logger: logger
        )
        var due: [String: ContinuousClock.Instant] = [:]
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let feeds = (try? file.load()) ?? []
            for var feed in feeds where due[feed.name].map({ $0 <= .now }) ?? true {
                if Task.isShuttingDownGracefully { break }
                due[feed.name] = .now + .seconds(max(10, feed.interval))
                do {
                    let result = try await puller.pull(&feed) { try file.update($0) }
                    node.didWrite(result.summary.created)
                    feed.lastPull = "\(Timestamp.now().rfc3339): \(result.pages) pages, \(result.summary.created) records created"
                    feed.lastError = nil
                    logger.info(
                        "TAXII feed pulled",
                        metadata: [
                            "feed": "\(feed.name)", "objects": "\(result.summary.objects)",
                            "created": "\(result.summary.created)",
                        ]
                    )
                } catch {
                    feed.lastError = "\(Timestamp.now().rfc3339): \(error)"
                    logger.warning("TAXII feed pull failed", metadata: ["feed": "\(feed.name)", "error": "\(error)"])
                }
                try? file.update(feed)
            }
            try? await Task.sleep(for: .seconds(1))
        }
        try? await http.shutdown()
    }
}
