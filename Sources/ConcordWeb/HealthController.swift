import ConcordCore
import ConcordStore
import Foundation
import Hummingbird
import Logging
import NIOCore
import Prometheus

/// `/healthz`, `/readyz` (no token needed) and `/metrics` (admin).
struct HealthController {
    let node: RunningNode

    func addRoutes(to router: Router<ConcordRequestContext>) {
        router.get("healthz") { _, _ in
            Response.json(.object(["status": .string("ok")]))
        }
        router.get("readyz") { request, _ in
            do {
                let last = try await node.store.lastSequence()
                return Response.json(
                    .object([
                        "status": .string("ready"), "log_sequence": .integer(last),
                        "indexed_identifiers": .integer(Int64(node.index.count)),
                    ])
                )
            } catch {
                node.logger.warning("readiness check failed: store unreachable")
                return Response.problem(
                    Problem(
                        slug: "unavailable",
                        title: "Not ready",
                        status: .serviceUnavailable,
                        detail: "the store does not answer"
                    ),
                    instance: request.uri.path
                )
            }
        }
        router.get("metrics") { _, context in
            _ = try context.require(.admin)
            var buffer = [UInt8]()
            node.metrics.registry.emit(into: &buffer)
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: buffer))
            )
        }
        router.get("api/v1/openapi.json") { _, context in
            _ = try context.require(.checker)
            guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"),
                let data = try? Data(contentsOf: url)
            else { throw Problem.notFound("the OpenAPI document is not bundled with this build") }
            return Response(
                status: .ok,
                headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
            )
        }
    }
}

/// `GET /api/v1/node`: who this node is.
struct NodeController {
    let node: RunningNode

    func addRoutes(to group: RouterGroup<ConcordRequestContext>) {
        group.get("node") { _, context in
            _ = try context.require(.checker)
            let p = node.profile
            return Response.json(
                .object([
                    "node_id": .string(node.key.nodeID),
                    "public_key": .string(ByteText.base64url(node.key.publicKey)),
                    "organisation": .string(p.organisation),
                    "kind": .string(p.kind.rawValue),
                    "jurisdiction": .string(p.jurisdiction),
                    "languages": .array(p.languages.map(JSONValue.string)),
                    "time_zone": .string(p.timeZone),
                    "contact": .string(p.contact),
                    "log_sequence": .integer(try await node.store.lastSequence()),
                    "indexed_identifiers": .integer(Int64(node.index.count)),
                ])
            )
        }
    }
}
