/// What a node knows of a peer when deciding what it may send it.
public struct PeerFacts: Sendable, Hashable {
    /// The peer's node id.
    public let nodeID: String
    /// The peer's jurisdiction (ISO 3166-1 alpha-2).
    public let jurisdiction: String
    /// The communities the peer is a member of, by name.
    public let communities: Set<String>

    /// Creates the facts about a peer.
    public init(nodeID: String, jurisdiction: String, communities: Set<String> = []) {
        self.nodeID = nodeID
        self.jurisdiction = jurisdiction
        self.communities = communities
    }
}

/// The sharing rules a node enforces on every record it serves: TLP 2.0 levels, audiences and relay.
///
/// - CLEAR and GREEN: any peer; relayed onward when the label allows relay.
/// - AMBER: the receiving organisation (and its clients, inside it): served to direct peers; relayed only when
///   the label says so explicitly.
/// - AMBER+STRICT: the receiving organisation only: served by the origin to its direct peers, never relayed.
/// - RED: named recipients only (`audience.nodes`), never relayed.
/// - Audience lists narrow every level: a non-empty node list, community list or jurisdiction list must each
///   include the recipient.
public enum SharingPolicy {
    /// How many times a record may be passed on after its origin served it (origin -> A is hop 1).
    public static let defaultHopLimit = 4

    /// Whether `holder` may serve `record` to `peer`.
    /// - Parameters:
    ///   - record: the record.
    ///   - hops: how many nodes the record passed through to reach `holder` (0 when `holder` is its origin).
    ///   - holder: the id of the node that would serve it.
    ///   - peer: the would-be recipient.
    ///   - hopLimit: the most hops a relayed record may travel.
    public static func mayServe(
        _ record: Record,
        hops: Int,
        holder: String,
        to peer: PeerFacts,
        hopLimit: Int = defaultHopLimit
    ) -> Bool {
        mayServe(label: record.label, origin: record.origin, hops: hops, holder: holder, to: peer, hopLimit: hopLimit)
    }

    /// The rule on a label alone, for records not yet decoded and for tests.
    public static func mayServe(
        label: SharingLabel,
        origin: String,
        hops: Int,
        holder: String,
        to peer: PeerFacts,
        hopLimit: Int = defaultHopLimit
    ) -> Bool {
        // Sending a record back to the node that wrote it serves no one.
        guard peer.nodeID != origin else { return false }
        if holder != origin {
            // Relaying: only what the label lets travel onward, and not too far.
            guard label.relay, label.tlp != .red, label.tlp != .amberStrict, hops + 1 <= hopLimit else { return false }
        }
        if label.tlp == .red && !label.audience.nodes.contains(peer.nodeID) { return false }
        let audience = label.audience
        if !audience.nodes.isEmpty && !audience.nodes.contains(peer.nodeID) { return false }
        if !audience.communities.isEmpty && audience.communities.allSatisfy({ !peer.communities.contains($0) }) {
            return false
        }
        if !audience.jurisdictions.isEmpty && !audience.jurisdictions.contains(peer.jurisdiction) { return false }
        return true
    }
}
