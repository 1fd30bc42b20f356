public import ConcordCore
import Synchronization

/// The communities a node knows of, kept current from every record its ledger takes in.
public final class Communities: Sendable {
    private let directory = Mutex(CommunityDirectory())

    public init() {}

    /// Follows `ledger` from now on, then reads the community records and retractions already stored.
    public func follow(_ ledger: Ledger) async throws {
        ledger.observe { [self] records, _ in
            directory.withLock { d in
                for record in records where record.kind == .community || record.kind == .retraction { d.apply(record) }
            }
        }
        for kind in [RecordKind.community, .retraction] {
            try await ledger.store.forEachPage(of: kind, pageSize: 1000) { page in
                directory.withLock { d in
                    for stored in page { d.apply(stored.record) }
                }
            }
        }
    }

    /// Takes in records directly (for a node without a ledger, and for tests).
    public func apply(_ records: some Sequence<Record>) {
        directory.withLock { d in
            for record in records { d.apply(record) }
        }
    }

    /// The communities `nodeID` belongs to.
    public func communities(of nodeID: String) -> Set<String> {
        directory.withLock { $0.communities(of: nodeID) }
    }

    /// `label` with bare community names completed to `name@steward` (see `CommunityDirectory.qualify`).
    public func qualify(_ label: SharingLabel) throws(InputError) -> SharingLabel {
        let directory = snapshot
        return try directory.qualify(label)
    }

    /// `draft` with its label's bare community names completed.
    public func qualify(_ draft: RecordDraft) throws(InputError) -> RecordDraft {
        guard draft.label.audience.communities.contains(where: { !$0.contains("@") }) else { return draft }
        return draft.relabelled(try qualify(draft.label))
    }

    /// A copy of the directory as it stands.
    public var snapshot: CommunityDirectory {
        directory.withLock { $0 }
    }

    /// What the sharing policy needs to know of a peer, with its community memberships as this node knows them.
    public func facts(nodeID: String, jurisdiction: String) -> PeerFacts {
        PeerFacts(nodeID: nodeID, jurisdiction: jurisdiction, communities: communities(of: nodeID))
    }
}
