public import ConcordCore
public import Foundation

/// The checks on a peer before it is added, the same from the command line and the pages.
public enum PeerAddress {
    /// Why `url` and `id` cannot be added as a peer of the node `own`, or nil when they can.
    /// - Parameter allowPlainHTTP: whether plain `http://` is allowed to a host that is not this machine.
    public static func problem(url: String, id: String, own: String, allowPlainHTTP: Bool) -> String? {
        guard NodeID.isWellFormed(id) else { return "\(id.prefix(80)) is not a node id (32 base32 characters)" }
        guard id != own else { return "\(id) is this node's own id" }
        guard let parsed = URL(string: url), let scheme = parsed.scheme, ["http", "https"].contains(scheme),
            parsed.host != nil, url.utf8.count <= 2048
        else { return "\(url.prefix(80)) is not an http(s) URL" }
        // Peer answers are not signed: outside this machine they must travel over TLS.
        guard scheme == "https" || ["127.0.0.1", "localhost", "::1"].contains(parsed.host ?? "") || allowPlainHTTP else {
            return "use https for a peer that is not on this machine (or allow plain http on a closed network)"
        }
        return nil
    }
}
