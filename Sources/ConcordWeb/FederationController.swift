import ConcordCore
import ConcordFederation
import ConcordStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The federation endpoints under `/federation/v1`: the signed profile (public), the record feed and the nudge
/// (both only for peers, on requests signed with their node key). See docs/federation.md.
struct FederationController {
    let node: RunningNode
    let verifier: RequestVerifier

    func addRoutes(to group: RouterGroup<ConcordRequestContext>) {
        group.get("node") { _, _ in Response.json(SignedProfile.make(profile: node.profile, key: node.key)) }
        group.get("records", use: records)
        group.post("nudge", use: nudge)
        group.get("landscape", use: landscape)
    }

    /// The k-anonymous aggregate of this node's own reports (cells under k are left out, not zeroed), for peers.
    @Sendable func landscape(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try await peer(request, body: [])
        guard request.uri.query?.isEmpty ?? true else {
            throw Problem.invalid(pointer: "", "the landscape takes no parameters")
        }
        return try Response.encoded(try await node.analysis.sharedLandscape())
    }

    /// The peer that signed `request`, or a 401/403 problem.
    private func peer(_ request: Request, body: [UInt8]) async throws -> Peer {
        do {
            return try await verifier.verify(
                method: request.method.rawValue,
                path: request.uri.path,
                query: request.uri.query,
                body: body,
                headers: { name in HTTPField.Name(name).flatMap { request.headers[$0] } }
            )
        } catch let refusal as RequestVerifier.Refusal {
            switch refusal {
            case .unauthenticated(let why):
                throw Problem(slug: "unsigned", title: "The request is not signed by a peer", status: .unauthorized, detail: why)
            case .notAPeer(let why):
                throw Problem.forbidden(why)
            }
        }
    }

    @Sendable func records(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        let peer = try await peer(request, body: [])
        var after: Int64 = 0
        var limit = 1000
        for (name, value) in request.formQuery {
            switch name {
            case "after":
                guard let v = Int64(value), v >= 0 else {
                    throw Problem.invalid(pointer: "/after", "the cursor is a whole number")
                }
                after = v
            case "limit":
                guard let v = Int(value), (1...1000).contains(v) else {
                    throw Problem.invalid(pointer: "/limit", "limit is 1 to 1000")
                }
                limit = v
            default:
                throw Problem.invalid(pointer: "/\(name)", "is not a feed parameter; use after and limit")
            }
        }
        // Until this node has read the peer's signed profile, it does not know the peer's jurisdiction: it serves
        // nothing yet rather than let the cursor pass records meant for that jurisdiction.
        guard peer.jurisdiction != nil else {
            node.sync?.pullSoon(from: peer.nodeID)
            var out = RecordFeedLine.end(cursor: after, more: false).json.canonicalData
            out.append(UInt8(ascii: "\n"))
            return Response(
                status: .ok,
                headers: [.contentType: "application/x-ndjson"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: out))
            )
        }
        var query = RecordQuery(after: after, limit: limit)
        query.checkSignatures = false
        let page = try await node.store.records(query)
        var out: [UInt8] = []
        var served = 0
        let facts = node.facts(of: peer)
        // A withdrawn record is not served: its retraction, at its own place in the log, is what peers get.
        for stored in page
        where stored.retractedBy == nil
            && SharingPolicy.mayServe(stored.record, hops: stored.hops, holder: node.key.nodeID, to: facts)
        {
            RecordFeedLine.record(sequence: stored.sequence, hops: stored.hops, record: stored.record)
                .appendCanonical(to: &out)
            out.append(UInt8(ascii: "\n"))
            served += 1
        }
        let cursor = page.last?.sequence ?? after
        let head = try await node.store.lastSequence()
        out.append(contentsOf: RecordFeedLine.end(cursor: cursor, more: page.count == limit, head: head).json.canonicalData)
        out.append(UInt8(ascii: "\n"))
        context.logger.debug(
            "feed served",
            metadata: ["peer.node_id": "\(peer.nodeID)", "feed.scanned": "\(page.count)", "feed.served": "\(served)"]
        )
        return Response(
            status: .ok,
            headers: [.contentType: "application/x-ndjson"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: out))
        )
    }

    @Sendable func nudge(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: 4096)
        let peer = try await peer(request, body: Array(body.readableBytesView))
        node.sync?.heardFrom(peer.nodeID)
        node.sync?.pullSoon(from: peer.nodeID)
        return Response(status: .accepted)
    }
}
