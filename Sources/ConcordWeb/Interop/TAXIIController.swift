import ConcordCore
import ConcordInterop
import ConcordStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A TAXII 2.1 server over the node's records: discovery at `/taxii2/`, one API root (`/taxii2/concord/`),
/// collections by sharing scope (TLP:CLEAR and GREEN; AMBER; AMBER+STRICT and RED) and by community, each
/// serving the STIX objects of its records (`docs/interop.md`).
///
/// Objects are listed in the order the node received their records; `next` is the log position the page
/// ended at and `added_after` compares with the time the record was received. A page ends between records,
/// so it holds at most `limit` objects unless one record alone has more.
struct TAXIIController {
    let node: RunningNode
    let statuses = TAXIIStatuses()

    static let mediaType = "application/taxii+json;version=2.1"
    static let stixMediaType = "application/stix+json;version=2.1"
    static let root = "concord"
    /// The largest envelope one POST may send.
    static let maxContentLength = 100 << 20

    func addRoutes(to router: Router<ConcordRequestContext>) {
        let taxii = router.group("taxii2").add(middleware: TAXIIMiddleware())
        taxii.get("", use: discovery)
        let root = taxii.group(RouterPath(stringLiteral: Self.root))
        root.get("", use: apiRoot)
        root.get("collections", use: collections)
        root.get("collections/{collection}", use: collection)
        root.get("collections/{collection}/objects", use: objects)
        root.post("collections/{collection}/objects", use: add)
        root.get("collections/{collection}/objects/{object}", use: object)
        root.get("collections/{collection}/objects/{object}/versions", use: versions)
        root.get("collections/{collection}/manifest", use: manifest)
        root.get("status/{status}", use: status)
    }

    // MARK: Discovery and collections

    @Sendable func discovery(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.checker)
        return Self.taxii([
            "title": .string("Concord node \(node.profile.organisation)"),
            "description": "The records of a Concord node as STIX 2.1, by sharing scope and community.",
            "contact": .string(node.profile.contact),
            "default": .string("/taxii2/\(Self.root)/"),
            "api_roots": [.string("/taxii2/\(Self.root)/")],
        ])
    }

    @Sendable func apiRoot(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.checker)
        return Self.taxii([
            "title": "Concord records",
            "versions": [.string(Self.mediaType)],
            "max_content_length": .integer(Int64(Self.maxContentLength)),
        ])
    }

    @Sendable func collections(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        let token = try context.require(.checker)
        let visible = TAXIICollection.all(node: node).filter { $0.canRead(token) }
        return Self.taxii(["collections": .array(visible.map { $0.json(for: token) })])
    }

    @Sendable func collection(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        let (collection, token) = try readable(context)
        return Self.taxii(collection.json(for: token))
    }

    // MARK: Objects

    static let listing: Set<String> = [
        "added_after", "limit", "next", "match[id]", "match[type]", "match[version]", "match[spec_version]",
    ]

    @Sendable func objects(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        try await listing(request, context) { $0.object }
    }

    @Sendable func manifest(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        try await listing(request, context) { item in
            [
                "id": item.object["id"] ?? .null,
                "date_added": .string(item.added.rfc3339),
                "version": .string(TAXIIPager.version(of: item.object, added: item.added)),
                "media_type": .string(Self.stixMediaType),
            ]
        }
    }

    /// A page of the collection, each object written by `entry`: the objects themselves or their manifest.
    private func listing(
        _ request: Request,
        _ context: ConcordRequestContext,
        entry: ((object: JSONValue, added: Timestamp)) -> JSONValue
    ) async throws -> Response {
        let (collection, _) = try readable(context)
        let query = try TAXIIQuery(request, allowed: Self.listing)
        let page = try await TAXIIPager(node: node, collection: collection).page(query)
        var body: [String: JSONValue] = ["more": .bool(page.more)]
        if !page.objects.isEmpty { body["objects"] = .array(page.objects.map(entry)) }
        if page.more, let next = page.next { body["next"] = .string(next) }
        return Self.taxii(.object(body), headers: page.headers)
    }

    @Sendable func object(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        let (collection, _) = try readable(context)
        let id = try objectID(context)
        var query = try TAXIIQuery(request, allowed: ["added_after", "limit", "next", "match[version]", "match[spec_version]"])
        query.ids = [id]
        let page = try await TAXIIPager(node: node, collection: collection).page(query)
        guard !page.objects.isEmpty else { throw Problem.notFound("no object \(id) in this collection") }
        var body: [String: JSONValue] = ["more": .bool(page.more), "objects": .array(page.objects.map(\.object))]
        if page.more, let next = page.next { body["next"] = .string(next) }
        return Self.taxii(.object(body), headers: page.headers)
    }

    @Sendable func versions(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        let (collection, _) = try readable(context)
        let id = try objectID(context)
        var query = try TAXIIQuery(request, allowed: ["added_after", "limit", "next", "match[spec_version]"])
        query.ids = [id]
        query.versions = ["all"]
        let page = try await TAXIIPager(node: node, collection: collection).page(query)
        guard !page.objects.isEmpty else { throw Problem.notFound("no object \(id) in this collection") }
        let versions = Set(page.objects.map { TAXIIPager.version(of: $0.object, added: $0.added) }).sorted()
        return Self.taxii(["more": .bool(page.more), "versions": .array(versions.map(JSONValue.string))], headers: page.headers)
    }

    /// `POST .../objects/`: an envelope of objects imported under the collection's scope; the answer is a
    /// status resource, complete when it is sent.
    @Sendable func add(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        let token = try context.require(.analyst)
        let collection = try Self.collection(context, node: node)
        guard let level = collection.writeLevel, collection.canRead(token) else {
            throw Problem.forbidden("collection \(collection.id) cannot be written to")
        }
        let type = request.headers[.contentType]?.lowercased().replacingOccurrences(of: " ", with: "") ?? ""
        guard type.hasPrefix("application/taxii+json") else {
            throw Problem.unsupportedMediaType("send an envelope as \(Self.mediaType)")
        }
        let requested = Timestamp.now()
        let upload = try await SpooledBundle.receive(
            request.body,
            limit: Int64(Self.maxContentLength),
            noun: "envelope",
            readable: "a readable envelope",
            options: STIXImporter.Options(jurisdiction: node.profile.jurisdiction, defaultTLP: level, assignedTLP: level)
        )
        defer { upload.remove() }
        var successes: [JSONValue] = []
        var failures: [JSONValue] = []
        let summary = try await STIXBundleImport.importObjects(
            file: upload.file,
            importer: upload.importer,
            ledger: node.ledger,
            key: node.key
        ) {
            lines in
            for line in lines {
                let id = line["id"] ?? .string("object \(line["index"]?.integerValue ?? 0)")
                if line["outcome"] == "rejected" {
                    if failures.count < 10_000 { failures.append(["id": id, "message": line["reason"] ?? .null]) }
                } else if successes.count < 10_000 {
                    successes.append(["id": id, "message": .string(line["outcome"]?.stringValue ?? "")])
                }
            }
        }
        node.didWrite(summary.created)
        let id = UUID().uuidString.lowercased()
        let status: JSONValue = [
            "id": .string(id),
            "status": "complete",
            "request_timestamp": .string(requested.rfc3339),
            "total_count": .integer(Int64(summary.objects)),
            "success_count": .integer(Int64(summary.imported + summary.skipped)),
            "successes": .array(successes),
            "failure_count": .integer(Int64(summary.rejected)),
            "failures": .array(failures),
            "pending_count": 0,
            "pendings": [],
        ]
        statuses.store(id, status)
        context.logger.info(
            "TAXII objects added",
            metadata: ["collection": "\(collection.id)", "objects": "\(summary.objects)", "created": "\(summary.created)"]
        )
        return Self.taxii(status, status: .accepted)
    }

    @Sendable func status(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        let id = try context.parameters.require("status")
        guard let status = statuses.lookup(id) else { throw Problem.notFound("no status \(id) on this node") }
        return Self.taxii(status)
    }

    // MARK: Parts

    private func readable(_ context: ConcordRequestContext) throws -> (TAXIICollection, APIToken) {
        let token = try context.require(.checker)
        let collection = try Self.collection(context, node: node)
        guard collection.canRead(token) else { throw Problem.forbidden("this token may not read collection \(collection.id)") }
        return (collection, token)
    }

    private static func collection(_ context: ConcordRequestContext, node: RunningNode) throws -> TAXIICollection {
        let id = try context.parameters.require("collection").lowercased()
        guard let found = TAXIICollection.all(node: node).first(where: { $0.id == id }) else {
            throw Problem.notFound("no collection \(id) on this node")
        }
        return found
    }

    private func objectID(_ context: ConcordRequestContext) throws -> String {
        let id = try context.parameters.require("object")
        guard STIXID.isWellFormed(id) else { throw Problem.invalid(pointer: "/object", "\(id) is not a STIX id (type--UUID)") }
        return id
    }

    static func taxii(_ body: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = mediaType
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body.compactData)))
    }
}

/// One TAXII collection: a sharing scope or a community.
struct TAXIICollection: Sendable {
    let id: String
    let title: String
    let description: String
    /// The TLP levels whose records it holds.
    let levels: Set<TLPLevel>
    /// The community whose records it holds, for a community collection.
    let community: String?
    /// The least token scope that may read it.
    let scope: CheckScope
    /// The level objects POSTed here get; nil when it cannot be written to.
    let writeLevel: TLPLevel?

    func canRead(_ token: APIToken) -> Bool { token.checkScope >= scope }

    func holds(_ record: Record) -> Bool {
        guard levels.contains(record.label.tlp) else { return false }
        guard let community else { return true }
        return record.label.audience.communities.contains(community)
    }

    func json(for token: APIToken) -> JSONValue {
        [
            "id": .string(id),
            "title": .string(title),
            "description": .string(description),
            "can_read": .bool(canRead(token)),
            "can_write": .bool(writeLevel != nil && token.role >= .analyst),
            "media_types": [.string(TAXIIController.stixMediaType)],
        ]
    }

    static func all(node: RunningNode) -> [TAXIICollection] {
        let nodeID = node.key.nodeID
        func uuid(_ name: String) -> String {
            String(STIXID.object("x", named: nodeID + "|collection|" + name).dropFirst(3))
        }
        var out = [
            TAXIICollection(
                id: uuid("clear-green"),
                title: "TLP:CLEAR and TLP:GREEN",
                description: "Records any member of the network may see.",
                levels: [.clear, .green],
                community: nil,
                scope: .green,
                writeLevel: .green
            ),
            TAXIICollection(
                id: uuid("amber"),
                title: "TLP:AMBER",
                description: "Records for the receiving organisations and their clients who need to know.",
                levels: [.amber],
                community: nil,
                scope: .amber,
                writeLevel: .amber
            ),
            TAXIICollection(
                id: uuid("amber-strict-red"),
                title: "TLP:AMBER+STRICT and TLP:RED",
                description: "Records for named recipients and their own organisation only.",
                levels: [.amberStrict, .red],
                community: nil,
                scope: .all,
                writeLevel: .amberStrict
            ),
        ]
        for community in node.communities.communities(of: nodeID).sorted() {
            out.append(
                TAXIICollection(
                    id: uuid("community|" + community),
                    title: "Community \(community)",
                    description: "Records shared with the members of community \(community).",
                    levels: Set(TLPLevel.allCases),
                    community: community,
                    scope: .all,
                    writeLevel: nil
                )
            )
        }
        return out
    }
}

/// The filters of an objects or manifest request.
struct TAXIIQuery {
    var addedAfter: Timestamp?
    var limit = 1000
    var after: Int64 = 0
    var ids: Set<String> = []
    var types: Set<String> = []
    var versions: [String] = ["last"]
    var specVersions: Set<String> = []

    static let maximumLimit = 10_000

    init(_ request: Request, allowed: Set<String>) throws {
        let q = try StrictQuery(request, allowed: allowed)
        func list(_ name: String) -> [String] {
            (q[name] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        if let text = q["added_after"] {
            guard let time = Timestamp(rfc3339: text) else {
                throw Problem.invalid(pointer: "/added_after", "expected an RFC 3339 time such as 2026-01-31T00:00:00.000Z")
            }
            addedAfter = time
        }
        limit = try q.integer("limit", in: 1...Self.maximumLimit, default: 1000)
        if let next = q["next"] {
            guard let value = Int64(next), value >= 0 else {
                throw Problem.invalid(pointer: "/next", "expected the next value of an earlier page")
            }
            after = value
        }
        ids = Set(list("match[id]"))
        types = Set(list("match[type]"))
        if q["match[version]"] != nil { versions = list("match[version]") }
        for version in versions where !["first", "last", "all"].contains(version) && Timestamp(rfc3339: version) == nil {
            throw Problem.invalid(pointer: "/match[version]", "\(version) is not first, last, all or an RFC 3339 time")
        }
        specVersions = Set(list("match[spec_version]"))
    }

    /// Whether an object passes the match filters.
    func matches(_ object: JSONValue, added: Timestamp) -> Bool {
        if !ids.isEmpty && !ids.contains(object["id"]?.stringValue ?? "") { return false }
        if !types.isEmpty && !types.contains(object["type"]?.stringValue ?? "") { return false }
        if !specVersions.isEmpty && !specVersions.contains(object["spec_version"]?.stringValue ?? "2.1") { return false }
        // Every object here has one version, so first, last and all each give it; a time must be that version.
        let times = versions.filter { !["first", "last", "all"].contains($0) }.compactMap(Timestamp.init(rfc3339:))
        if !times.isEmpty && versions.allSatisfy({ Timestamp(rfc3339: $0) != nil }) {
            let version = Timestamp(rfc3339: TAXIIPager.version(of: object, added: added))
            return times.contains { $0 == version }
        }
        return true
    }
}

/// Reads pages of a collection's objects from the store.
struct TAXIIPager {
    let node: RunningNode
    let collection: TAXIICollection

    struct Page {
        var objects: [(object: JSONValue, added: Timestamp)] = []
        var more = false
        var next: String?
        var headers: HTTPFields {
            var fields = HTTPFields()
            if let first = objects.first?.added, let last = objects.last?.added {
                fields[HTTPField.Name("X-TAXII-Date-Added-First")!] = first.rfc3339
                fields[HTTPField.Name("X-TAXII-Date-Added-Last")!] = last.rfc3339
            }
            return fields
        }
    }

    /// An object's version: its `modified` time, else `created`, else when it was added.
    static func version(of object: JSONValue, added: Timestamp) -> String {
        object["modified"]?.stringValue ?? object["created"]?.stringValue ?? added.rfc3339
    }

    func page(_ query: TAXIIQuery) async throws -> Page {
        var exporter = STIXExporter(exporter: node.key.nodeID, names: [node.key.nodeID: node.profile.organisation], campaigns: [])
        exporter.sightings = false
        var page = Page()
        var cursor = query.after
        var store = RecordQuery(after: cursor, limit: 1000)
        store.checkSignatures = false
        scanning: while true {
            let rows = try await node.store.records(store)
            for stored in rows {
                let record = stored.record
                guard !record.exercise, record.kind == .indicator || record.kind == .report, collection.holds(record) else {
                    cursor = stored.sequence
                    continue
                }
                if let after = query.addedAfter, stored.received <= after {
                    cursor = stored.sequence
                    continue
                }
                var retraction: STIXExporter.Retraction?
                if let by = stored.retractedBy, let withdrawal = try await node.store.record(id: by) {
                    retraction = .init(
                        created: withdrawal.record.created,
                        reason: withdrawal.record.body["reason"]?.stringValue ?? ""
                    )
                }
                let made = exporter.objects(for: record, retraction: retraction).filter {
                    query.matches($0, added: stored.received)
                }
                if !page.objects.isEmpty && page.objects.count + made.count > query.limit {
                    page.more = true
                    break scanning
                }
                page.objects += made.map { ($0, stored.received) }
                cursor = stored.sequence
                if page.objects.count >= query.limit {
                    page.more = true
                    break scanning
                }
            }
            guard let last = rows.last, rows.count == store.limit else { break }
            store.after = last.sequence
        }
        page.next = String(cursor)
        return page
    }
}

/// Status resources of recent POSTs, the newest thousand.
final class TAXIIStatuses: Sendable {
    private let entries = Mutex<(order: [String], byID: [String: JSONValue])>(([], [:]))

    func store(_ id: String, _ status: JSONValue) {
        entries.withLock { e in
            e.order.append(id)
            e.byID[id] = status
            if e.order.count > 1000 { e.byID[e.order.removeFirst()] = nil }
        }
    }

    func lookup(_ id: String) -> JSONValue? { entries.withLock { $0.byID[id] } }
}

/// TAXII's rules for every request below `/taxii2/`: the client must accept TAXII's media type, and errors
/// are TAXII error messages that also carry the members of an RFC 9457 problem.
struct TAXIIMiddleware: RouterMiddleware {
    typealias Context = ConcordRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response
    {
        do {
            if let accept = request.headers[.accept]?.lowercased(), !accept.isEmpty {
                let accepted = accept.split(separator: ",").contains { part in
                    let type = part.split(separator: ";").first?.trimmingCharacters(in: .whitespaces) ?? ""
                    return type == "application/taxii+json" || type == "*/*" || type == "application/*"
                }
                guard accepted else {
                    throw Problem(
                        slug: "not-acceptable",
                        title: "Not acceptable",
                        status: .notAcceptable,
                        detail: "this is a TAXII 2.1 server: accept \(TAXIIController.mediaType)"
                    )
                }
            }
            return try await next(request, context)
        } catch let problem as Problem {
            var body = problem.json(instance: request.uri.path, requestID: nil)
            if case .object(var members) = body {
                members["description"] = .string(problem.detail)
                members["http_status"] = .string(String(problem.status.code))
                body = .object(members)
            }
            var headers = HTTPFields()
            if problem.status == .unauthorized { headers[.wwwAuthenticate] = "Basic realm=\"concord\", Bearer" }
            return TAXIIController.taxii(body, status: problem.status, headers: headers)
        }
    }
}
