import ConcordCore
import ConcordStore
import Hummingbird
import Logging

/// Communities: `POST /communities` declares one this node stewards; `GET /communities` lists those it knows.
struct CommunityController {
    let node: RunningNode

    func addRoutes(to group: RouterGroup<ConcordRequestContext>) {
        group.post("communities", use: declare)
        group.get("communities", use: list)
    }

    @Sendable func declare(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.admin)
        let json = try await request.jsonBody(context: context)
        let draft = try node.communities.qualify(RecordInput.community(json, steward: node.key.nodeID))
        guard let (record, outcome) = try await node.write([draft]).first else {
            throw Problem.malformed("the community could not be declared")
        }
        context.logger.info("community declared", metadata: ["record.id": "\(record.id)"])
        return RecordController.created(record, outcome)
    }

    @Sendable func list(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        let directory = node.communities.snapshot
        let items: [JSONValue] = directory.declarations.map { d in
            .object([
                "id": .string(d.id),
                "name": .string(d.name),
                "steward": .string(d.steward),
                "title": d.title.map(JSONValue.string) ?? .null,
                "record_id": .string(d.recordID),
                "declared": .string(d.declared.rfc3339),
                "members": .array(d.members.sorted().map(JSONValue.string)),
                "this_node_is_member": .bool(d.members.contains(node.key.nodeID)),
            ])
        }
        return Response.json(.object(["communities": .array(items)]))
    }
}
