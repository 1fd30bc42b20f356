import ConcordCore
import ConcordInterop
import ConcordStore
import Foundation
import Hummingbird
import NIOCore

/// `GET /api/v1/stix/bundle`: the node's records as a STIX 2.1 bundle, streamed.
struct STIXController {
    let node: RunningNode

    func addRoutes(to group: RouterGroup<ConcordRequestContext>) {
        group.get("stix/bundle", use: bundle)
    }

    @Sendable func bundle(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        let q = try StrictQuery(request, allowed: ["origin", "since", "kind", "campaigns"])
        var filter = STIXExportFilter()
        if let origin = q["origin"] {
            guard NodeID.isWellFormed(origin) else { throw Problem.invalid(pointer: "/origin", "not a node id") }
            filter.origin = origin
        }
        if let since = q["since"] {
            guard let time = Timestamp(rfc3339: since) else {
                throw Problem.invalid(pointer: "/since", "expected an RFC 3339 time such as 2026-01-31T00:00:00Z")
            }
            filter.since = time
        }
        if let kind = q["kind"] {
            guard let k = RecordKind(rawValue: kind), k == .report || k == .indicator else {
                throw Problem.invalid(pointer: "/kind", "kind is report or indicator")
            }
            filter.kinds = [k]
        }
        filter.campaigns = try q.bool("campaigns") ?? true
        let campaigns =
            node.analysis.isLoaded
            ? node.analysis.campaigns(minimumReports: 2, crossBorderOnly: false, limit: 100_000).campaigns : []
        let node = self.node
        let chosen = filter
        return Response(
            status: .ok,
            headers: [.contentType: "application/stix+json;version=2.1"],
            body: ResponseBody { writer in
                try await STIXBundleExport.write(
                    store: node.store,
                    exporter: node.key.nodeID,
                    names: [node.key.nodeID: node.profile.organisation],
                    campaigns: campaigns,
                    filter: chosen
                ) { bytes in
                    try await writer.write(ByteBuffer(bytes: bytes))
                }
                try await writer.finish(nil)
            }
        )
    }
}
