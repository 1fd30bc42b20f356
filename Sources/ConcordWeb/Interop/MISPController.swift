import ConcordCore
import ConcordInterop
import ConcordStore
import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// MISP over HTTP: `POST /api/v1/misp/events` imports events; `/misp/feed/` serves the node's records as a
/// MISP feed (`manifest.json`, `<uuid>.json`, `hashes.csv`) that a MISP instance subscribes to with a token
/// in an Authorization header. The feed holds what the token's check scope allows.
struct MISPController {
    let node: RunningNode
    let feedCache = MISPFeedCache()

    func addRoutes(api: RouterGroup<ConcordRequestContext>, router: Router<ConcordRequestContext>) {
        api.post("misp/events", use: importEvents)
        router.get("misp/feed/{file}", use: feedFile)
    }

    /// Imports one event, an array of events, or a search answer; answers NDJSON, one line an event and a
    /// summary line last.
    @Sendable func importEvents(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        let q = try StrictQuery(request, allowed: ["tlp"])
        var options = MISPMapping.Options(jurisdiction: node.profile.jurisdiction)
        if let text = q["tlp"] {
            guard let level = TLPLevel(lenient: text) else {
                throw Problem.invalid(pointer: "/tlp", "\"\(text)\" is not a TLP level")
            }
            options.assignedTLP = level
        }
        let json = try await request.jsonBody(context: context)
        let list = json["response"]?.arrayValue ?? json.arrayValue ?? [json]
        guard list.count <= 10_000 else { throw Problem.tooLarge("at most 10000 events a request") }
        var lines = ByteBuffer()
        let summary = try await MISPExchange.importEvents(
            list.map { .success($0) },
            ledger: node.ledger,
            key: node.key,
            options: options
        ) { line in
            lines.writeJSONLine(line)
        }
        node.didWrite(summary.created)
        lines.writeJSONLine(["summary": summary.json])
        return Response(status: .ok, headers: [.contentType: "application/x-ndjson"], body: ResponseBody(byteBuffer: lines))
    }

    @Sendable func feedFile(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        let token = try context.require(.checker)
        let file = try context.parameters.require("file")
        let scope = token.checkScope
        let feed = try await feedCache.feed(scope: scope, node: node, rebuild: file == "manifest.json")
        let body: Data
        let type: String
        switch file {
        case "manifest.json":
            body = JSONValue.object(feed.manifest).canonicalData
            type = "application/json"
        case "hashes.csv":
            body = Data(feed.hashes.map { $0 + "\n" }.joined().utf8)
            type = "text/csv"
        default:
            let uuid = String(file.dropLast(".json".count))
            guard file.hasSuffix(".json"), let recordID = feed.records[uuid.lowercased()],
                let stored = try await node.store.record(id: recordID), stored.retractedBy == nil,
                let event = MISPFeedWriter.event(
                    for: stored.record,
                    organisation: MISPFeedWriter.Organisation(name: node.profile.organisation, nodeID: node.key.nodeID)
                )
            else { throw Problem.notFound("no event \(file) in this feed") }
            body = event.canonicalData
            type = "application/json"
        }
        return Response(status: .ok, headers: [.contentType: type], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// The feed's manifest, hashes and event-to-record map per scope, rebuilt when a manifest is asked for (a
/// subscribing MISP reads the manifest first, then the events it lists).
final class MISPFeedCache: Sendable {
    struct Feed: Sendable {
        var manifest: [String: JSONValue] = [:]
        var hashes: [String] = []
        var records: [String: String] = [:]
    }

    private let feeds = Mutex([CheckScope: Feed]())

    func feed(scope: CheckScope, node: RunningNode, rebuild: Bool) async throws -> Feed {
        if !rebuild, let cached = feeds.withLock({ $0[scope] }) { return cached }
        var feed = Feed()
        let organisation = MISPFeedWriter.Organisation(name: node.profile.organisation, nodeID: node.key.nodeID)
        try await MISPExchange.forEachEvent(store: node.store, organisation: organisation, scope: scope) {
            uuid,
            entry,
            event,
            record in
            feed.manifest[uuid] = entry
            feed.hashes += MISPFeedWriter.hashLines(event)
            feed.records[uuid] = record
        }
        let built = feed
        feeds.withLock { $0[scope] = built }
        return built
    }
}
