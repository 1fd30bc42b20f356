import ConcordAnalysis
import ConcordCore
import ConcordStore
import Foundation
import Hummingbird

/// The federated directory of whom to ask: `POST /directory` publishes an entry (a service provider, or this
/// member's 24/7 point of contact) as a record under its label; `GET /directory` lists the entries held, the
/// latest of each, with the response times this node measured from its own requests to the entry's node.
struct DirectoryController {
    let node: RunningNode

    func addRoutes(to group: RouterGroup<ConcordRequestContext>) {
        group.post("directory", use: create)
        group.get("directory", use: list)
    }

    @Sendable func create(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        let json = try await request.jsonBody(context: context)
        let draft = try RecordInput.directoryEntry(json, writer: node.key.nodeID, nodeJurisdiction: node.profile.jurisdiction)
        guard let (record, outcome) = try await node.write([draft]).first else {
            throw Problem.malformed("the entry could not be written")
        }
        return RecordController.created(record, outcome)
    }

    @Sendable func list(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        let q = try StrictQuery(request, allowed: ["sector", "jurisdiction", "contact_24_7"])
        if let sector = q["sector"], ProviderSector(rawValue: sector) == nil {
            throw Problem.invalid(
                pointer: "/sector",
                "is one of \(ProviderSector.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        var jurisdiction: String?
        if let text = q["jurisdiction"] {
            guard let code = Jurisdiction.normalize(text) else {
                throw Problem.invalid(pointer: "/jurisdiction", "is an ISO 3166-1 alpha-2 code")
            }
            jurisdiction = code
        }
        var only24: Bool?
        if let text = q["contact_24_7"] {
            guard text == "true" || text == "false" else { throw Problem.invalid(pointer: "/contact_24_7", "is true or false") }
            only24 = text == "true"
        }
        let entries = try await Directory.entries(node.store).filter { entry in
            (q["sector"].map { entry.body["sector"]?.stringValue == $0 } ?? true)
                && (jurisdiction.map { entry.body["jurisdiction"]?.stringValue == $0 } ?? true)
                && (only24.map { entry.body["contact_24_7"] == .bool($0) } ?? true)
        }
        let measured = try await Directory.measured(node)
        return Response.json(["entries": .array(entries.map { Directory.json($0, measured: measured) })])
    }
}

/// Directory entries as records: reading the latest of each, and what this node measured of each entry's node.
enum Directory {
    /// The live entries held, the newest of each (writer, name, jurisdiction, sector), sorted by jurisdiction and name.
    static func entries(_ store: any RecordStore) async throws -> [Record] {
        var latest: [String: Record] = [:]
        try await store.forEachPage(of: .directoryEntry) { page in
            for stored in page where stored.retractedBy == nil && !stored.record.exercise {
                let b = stored.record.body
                let key = [
                    stored.record.origin, b["name"]?.stringValue ?? "", b["jurisdiction"]?.stringValue ?? "",
                    b["sector"]?.stringValue ?? "",
                ]
                .joined(separator: "\u{1F}")
                if let held = latest[key], held.created >= stored.record.created { continue }
                latest[key] = stored.record
            }
        }
        return latest.values.sorted {
            ($0.body["jurisdiction"]?.stringValue ?? "", $0.body["name"]?.stringValue ?? "", $0.id)
                < ($1.body["jurisdiction"]?.stringValue ?? "", $1.body["name"]?.stringValue ?? "", $1.id)
        }
    }

    /// This node's cooperation figures for its own requests, by addressee.
    static func measured(_ node: RunningNode) async throws -> [String: Cooperation.Figures] {
        let threads = try await ActionThreads.read(node.store).filter { !$0.request.exercise }.map(\.facts)
        let figures = Cooperation.figures(threads, own: node.key.nodeID, now: .now()).filter { $0.direction == "outbound" }
        return Dictionary(figures.map { ($0.partner, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// The 24/7 point of contact to escalate a request to `addressee` to: the contact entry the addressee itself
    /// published, else one for the addressee's jurisdiction published by a peer this node knows to be in that
    /// jurisdiction (`localPublishers`). Entries from anyone else are not trusted with a RED escalation: any
    /// member can publish an entry naming any country and its own node.
    static func contact(
        for addressee: String,
        jurisdiction: String?,
        in entries: [Record],
        localPublishers: Set<String>
    ) -> Record? {
        let contacts = entries.filter { $0.body["contact_24_7"] == .bool(true) }
        return contacts.first { $0.origin == addressee }
            ?? jurisdiction.flatMap { j in
                contacts.first { $0.body["jurisdiction"]?.stringValue == j && localPublishers.contains($0.origin) }
            }
    }

    static func json(_ entry: Record, measured: [String: Cooperation.Figures]) -> JSONValue {
        var out = entry.body.objectValue ?? [:]
        out["id"] = .string(entry.id)
        out["published_by"] = .string(entry.origin)
        out["updated"] = .string(entry.created.rfc3339)
        if let node = entry.body["node"]?.stringValue, let f = measured[node] {
            var m: [String: JSONValue] = [
                "requests": .integer(Int64(f.requests)), "actioned": .integer(Int64(f.actioned)), "open": .integer(Int64(f.open)),
            ]
            if let s = f.medianSecondsToAcknowledge { m["median_seconds_to_acknowledge"] = .integer(s) }
            if let s = f.medianSecondsToAction { m["median_seconds_to_action"] = .integer(s) }
            if let s = f.shareActioned { m["share_actioned"] = .double(s) }
            out["measured"] = .object(m)
        }
        return .object(out)
    }
}
