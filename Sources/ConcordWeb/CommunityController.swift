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
        let draft = try RecordInput.community(json, steward: node.key.nodeID)
        guard let (record, outcome) = try await node.write([draft]).first else {
            throw Problem.malformed("the community could not be declared")
        }
        context.logger.info("community declared", metadata: ["record.id": "\(record.id)"])
        return RecordController.created(record, outcome)
    }

    @Sendable func list(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        let directory = node.communities.snapshot
        let names = Set(directory.declarations.map(\.name)).sorted()
        let own = directory.communities(of: node.key.nodeID)
        let items: [JSONValue] = names.map { name in
            let declarations = directory.declarations.filter { $0.name == name }
            return .object([
                "name": .string(name),
                "members": .array(directory.members(of: name).sorted().map(JSONValue.string)),
                "this_node_is_member": .bool(own.contains(name)),
                "declarations": .array(
                    declarations.map { d in
                        .object([
                            "steward": .string(d.steward),
                            "record_id": .string(d.recordID),
                            "title": d.title.map(JSONValue.string) ?? .null,
                            "declared": .string(d.declared.rfc3339),
                            "members": .array(d.members.sorted().map(JSONValue.string)),
                        ])
                    }
                ),
            ])
        }
        return Response.json(.object(["communities": .array(items)]))
    }
}
