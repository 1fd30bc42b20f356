import Testing

@testable import ConcordCore

@Suite("Communities")
struct CommunityTests {
    let steward = NodeKey()
    let members = (0..<3).map { _ in NodeKey().nodeID }

    func declare(_ name: String, _ members: [String], by key: NodeKey, at ms: Int64 = 1_800_000_000_000) throws -> Record {
        let json: JSONValue = .object(["name": .string(name), "members": .array(members.map(JSONValue.string))])
        return try RecordInput.community(json, steward: key.nodeID).sign(with: key, at: Timestamp(milliseconds: ms))
    }

    func label(_ communities: [String]) -> SharingLabel {
        SharingLabel(tlp: .green, audience: Audience(communities: communities))
    }

    @Test("a declaration makes its members and its steward members of name@steward; others are not")
    func membership() throws {
        var directory = CommunityDirectory()
        #expect(directory.apply(try declare("asean-commonwealth-scams", [members[0], members[1]], by: steward)))
        let id = "asean-commonwealth-scams@" + steward.nodeID
        #expect(directory.communities(of: members[0]) == [id])
        #expect(directory.communities(of: steward.nodeID) == [id])
        #expect(directory.communities(of: members[2]).isEmpty)
    }

    @Test("a later declaration by the same steward replaces the earlier, whatever order they arrive in")
    func redeclare() throws {
        let first = try declare("pacific-partners", [members[0]], by: steward, at: 1_800_000_000_000)
        let second = try declare("pacific-partners", [members[1]], by: steward, at: 1_800_000_100_000)
        for order in [[first, second], [second, first]] {
            var directory = CommunityDirectory()
            for record in order { directory.apply(record) }
            #expect(directory.members(of: "pacific-partners@" + steward.nodeID) == [steward.nodeID, members[1]])
        }
    }

    @Test("another steward's community of the same name is another community: it changes nobody's membership of the first")
    func sameNameElsewhere() throws {
        let rogue = NodeKey()
        var directory = CommunityDirectory()
        directory.apply(try declare("pacific-partners", [members[0], members[1]], by: steward))
        directory.apply(try declare("pacific-partners", [members[2], steward.nodeID], by: rogue))
        let real = "pacific-partners@" + steward.nodeID
        #expect(directory.members(of: real) == [steward.nodeID, members[0], members[1]])
        let served = label([real])
        for (node, expected) in [(members[1], true), (members[2], false), (rogue.nodeID, false)] {
            let facts = PeerFacts(nodeID: node, jurisdiction: "FJ", communities: directory.communities(of: node))
            #expect(
                SharingPolicy.mayServe(label: served, origin: steward.nodeID, hops: 0, holder: steward.nodeID, to: facts)
                    == expected
            )
        }
        // A bare name is ambiguous now, and the writer is asked to choose.
        #expect {
            try directory.qualify(label(["pacific-partners"]))
        } throws: { error in
            (error as? InputError)?.issues.first?.pointer == "/audience/communities/0"
        }
    }

    @Test("a bare name is completed to name@steward when this node knows one community of that name")
    func qualify() throws {
        var directory = CommunityDirectory()
        directory.apply(try declare("pacific-partners", [members[0]], by: steward))
        let qualified = try directory.qualify(label(["pacific-partners"]))
        #expect(qualified.audience.communities == ["pacific-partners@" + steward.nodeID])
        #expect {
            try directory.qualify(label(["nobody-knows"]))
        } throws: { error in
            (error as? InputError)?.issues.first?.detail.contains("no community") ?? false
        }
    }

    @Test("a retraction by the steward withdraws the community, even when it arrives first; one by another node does not")
    func retraction() throws {
        let record = try declare("pacific-partners", [members[0]], by: steward)
        let withdrawal = try RecordInput.retraction(of: record, reason: "closed").sign(with: steward)
        var directory = CommunityDirectory()
        directory.apply(withdrawal)
        directory.apply(record)
        #expect(directory.communities(of: members[0]).isEmpty)

        let other = NodeKey()
        let forged = RecordDraft(
            kind: .retraction,
            body: .object(["record": .string(record.id), "reason": .string("not mine to withdraw")]),
            label: record.label,
            exercise: false
        ).sign(with: other)
        var kept = CommunityDirectory()
        kept.apply(record)
        kept.apply(forged)
        #expect(kept.communities(of: members[0]) == ["pacific-partners@" + steward.nodeID])
    }

    @Test("an older declaration arriving after the newest was withdrawn does not bring the community back")
    func noResurrection() throws {
        let old = try declare("pacific-partners", [members[0], members[2]], by: steward, at: 1_800_000_000_000)
        let newer = try declare("pacific-partners", [members[0]], by: steward, at: 1_800_000_100_000)
        let withdrawal = try RecordInput.retraction(of: newer, reason: "dissolved").sign(with: steward)
        var directory = CommunityDirectory()
        directory.apply(newer)
        directory.apply(withdrawal)
        directory.apply(old)
        #expect(directory.communities(of: members[2]).isEmpty)
        #expect(directory.communities(of: members[0]).isEmpty)
    }

    @Test("bad names, member ids and label entries are refused with the field named")
    func badInput() {
        let json: JSONValue = .object(["name": .string("Pacific Partners"), "members": .array([.string("nope")])])
        #expect {
            try RecordInput.community(json, steward: steward.nodeID)
        } throws: { error in
            let pointers = (error as? InputError)?.issues.map(\.pointer) ?? []
            return pointers.contains("/name") && pointers.contains("/members/0")
        }
        let report: JSONValue = .object([
            "typology": .string("job"), "narrative": .string("x"),
            "audience": .object(["communities": .array([.string("partners@not-a-node")])]),
        ])
        #expect {
            try RecordInput.report(report, nodeJurisdiction: "TH")
        } throws: { error in
            (error as? InputError)?.issues.first?.pointer == "/audience/communities/0"
        }
    }
}
