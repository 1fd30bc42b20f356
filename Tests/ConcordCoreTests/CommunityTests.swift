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

    @Test("a declaration makes its members and its steward members; others are not")
    func membership() throws {
        var directory = CommunityDirectory()
        #expect(directory.apply(try declare("asean-commonwealth-scams", [members[0], members[1]], by: steward)))
        #expect(directory.communities(of: members[0]) == ["asean-commonwealth-scams"])
        #expect(directory.communities(of: steward.nodeID) == ["asean-commonwealth-scams"])
        #expect(directory.communities(of: members[2]).isEmpty)
    }

    @Test("a later declaration by the same steward replaces the earlier, whatever order they arrive in")
    func redeclare() throws {
        let first = try declare("pacific-partners", [members[0]], by: steward, at: 1_800_000_000_000)
        let second = try declare("pacific-partners", [members[1]], by: steward, at: 1_800_000_100_000)
        for order in [[first, second], [second, first]] {
            var directory = CommunityDirectory()
            for record in order { directory.apply(record) }
            #expect(directory.members(of: "pacific-partners") == [steward.nodeID, members[1]])
        }
    }

    @Test("another steward declaring the same name can narrow the community but never widen it")
    func sameNameElsewhere() throws {
        let rogue = NodeKey()
        var directory = CommunityDirectory()
        directory.apply(try declare("pacific-partners", [members[0], members[1]], by: steward))
        directory.apply(try declare("pacific-partners", [members[0], members[2], steward.nodeID], by: rogue))
        #expect(directory.members(of: "pacific-partners") == [steward.nodeID, members[0]])
        #expect(!directory.communities(of: rogue.nodeID).contains("pacific-partners"))
        #expect(!directory.communities(of: members[2]).contains("pacific-partners"))
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
        #expect(kept.communities(of: members[0]) == ["pacific-partners"])
    }

    @Test("bad names and member ids are refused with the field named")
    func badInput() {
        let json: JSONValue = .object(["name": .string("Pacific Partners"), "members": .array([.string("nope")])])
        #expect {
            try RecordInput.community(json, steward: steward.nodeID)
        } throws: { error in
            let pointers = (error as? InputError)?.issues.map(\.pointer) ?? []
            return pointers.contains("/name") && pointers.contains("/members/0")
        }
    }

    @Test("the sharing policy serves a community-labelled record to members only")
    func policy() throws {
        var directory = CommunityDirectory()
        directory.apply(try declare("pacific-partners", [members[0]], by: steward))
        let label = SharingLabel(tlp: .green, audience: Audience(communities: ["pacific-partners"]))
        for (node, expected) in [(members[0], true), (members[1], false)] {
            let facts = PeerFacts(nodeID: node, jurisdiction: "FJ", communities: directory.communities(of: node))
            #expect(
                SharingPolicy.mayServe(label: label, origin: steward.nodeID, hops: 0, holder: steward.nodeID, to: facts)
                    == expected
            )
        }
    }
}
