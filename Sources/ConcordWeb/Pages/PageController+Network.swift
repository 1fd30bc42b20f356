import ConcordCore
import ConcordFederation
import ConcordStore
import Foundation
import Hummingbird
import Logging

/// Peers and communities: every analyst sees them; an admin's session may add and remove peers and declare
/// communities, through the same checks as the command line and the API.
extension PageController {
    @Sendable func network(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let session = try await require(request, .analyst)
            return try await networkPage(session: session, notice: nil, message: nil, form: nil)
        }
    }

    func networkPage(session: UserSession, notice: String?, message: String?, form: FormBody?) async throws -> Response {
        let peers = try await node.store.peers().map { peer -> [String: Any] in
            let healthy = peer.errors == 0 && peer.lastPull != nil
            return [
                "id": peer.nodeID, "url": peer.url, "jurisdiction": peer.jurisdiction ?? "not yet known",
                "health": healthy ? "pulling" : (peer.lastError.map { "failing: \($0.prefix(120))" } ?? "not yet pulled"),
                "healthClass": healthy ? "healthy" : "unhealthy", "lag": peer.behind.map(String.init) ?? "?",
                "lastPulled": peer.lastPull?.rfc3339 ?? "never",
            ]
        }
        let communities = node.communities.snapshot.declarations.map { d -> [String: Any] in
            [
                "name": d.name, "title": d.title ?? "", "steward": String(d.steward.prefix(16)), "members": d.members.count,
                "member": d.members.contains(node.key.nodeID),
            ]
        }
        return pages.page(
            "network",
            title: "Peers and communities",
            node: node,
            session: session,
            status: message == nil ? .ok : .unprocessableContent,
            nav: "Network",
            values: [
                "peers": peers, "hasPeers": !peers.isEmpty, "communities": communities, "hasCommunities": !communities.isEmpty,
                "notice": notice, "message": message, "peerURL": form?["url"], "peerID": form?["id"],
                "cName": form?["name"], "cTitle": form?["title"], "cMembers": form?["members"],
            ]
        )
    }

    @Sendable func addPeer(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let session = try await require(request, .admin)
            let form = try await form(request, session)
            let url = (form["url"] ?? "").trimmingCharacters(in: .whitespaces)
            let id = (form["id"] ?? "").trimmingCharacters(in: .whitespaces)
            if let problem = PeerAddress.problem(url: url, id: id, own: node.key.nodeID, allowPlainHTTP: false) {
                return try await networkPage(session: session, notice: nil, message: problem, form: form)
            }
            try await node.store.addPeer(nodeID: id, url: url)
            node.logger.info("peer added from the pages", metadata: ["peer.node_id": "\(id)"])
            node.sync?.announce(except: nil)
            return try await networkPage(
                session: session,
                notice: "Peer \(id) added. It must add this node too: its id is \(node.key.nodeID).",
                message: nil,
                form: nil
            )
        }
    }

    @Sendable func removePeer(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let session = try await require(request, .admin)
            let form = try await form(request, session)
            let id = form["id"] ?? ""
            let removed = try await node.store.removePeer(nodeID: id)
            if removed { node.logger.info("peer removed from the pages", metadata: ["peer.node_id": "\(id)"]) }
            return try await networkPage(
                session: session,
                notice: removed ? "Peer \(id) removed: it is no longer pulled or served." : nil,
                message: removed ? nil : "There is no peer \(id.prefix(40)).",
                form: nil
            )
        }
    }

    @Sendable func declareCommunity(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let session = try await require(request, .admin)
            let form = try await form(request, session)
            var fields: [String: JSONValue] = ["name": .string(form["name"] ?? "")]
            if let title = form["title"], !title.isEmpty { fields["title"] = .string(title) }
            let members = (form["members"] ?? "").split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            fields["members"] = .array(members.map(JSONValue.string))
            do {
                let draft = try node.communities.qualify(RecordInput.community(.object(fields), steward: node.key.nodeID))
                _ = try await node.write([draft])
            } catch let error as InputError {
                let text = error.issues.map { "\($0.pointer.dropFirst().replacingOccurrences(of: "/", with: " ")): \($0.detail)" }
                return try await networkPage(session: session, notice: nil, message: text.joined(separator: "; "), form: form)
            }
            return try await networkPage(
                session: session,
                notice: "Community \(form["name"] ?? "") declared; its members learn of it as the record reaches them.",
                message: nil,
                form: nil
            )
        }
    }
}
