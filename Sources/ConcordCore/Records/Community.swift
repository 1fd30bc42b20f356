/// A community as its steward declared it: a name that sharing labels can use, and the nodes it holds.
///
/// The body of a `community` record is `{"name", "title"?, "description"?, "members": [node id, ...]}`.
/// The steward (the record's origin) is always a member. A later declaration of the same name by the same
/// steward replaces the earlier one; a retraction withdraws it.
public struct CommunityDeclaration: Sendable, Hashable {
    /// The name labels use, e.g. `asean-commonwealth-scams`: 3 to 64 of `a-z`, `0-9` and `-`.
    public let name: String
    /// A human title, e.g. "ASEAN-Commonwealth scam intelligence group".
    public let title: String?
    /// The member node ids, the steward included.
    public let members: Set<String>
    /// The node that declared it.
    public let steward: String
    /// When the steward wrote the declaration.
    public let declared: Timestamp
    /// The id of the declaring record.
    public let recordID: String

    /// Reads a community record; nil for any other kind or a body that is not a well-formed declaration.
    public init?(record: Record) {
        guard record.kind == .community, !record.exercise,
            let name = record.body["name"]?.stringValue, CommunityDeclaration.isWellFormedName(name),
            let list = record.body["members"]?.arrayValue
        else { return nil }
        var members: Set<String> = [record.origin]
        for item in list {
            guard let id = item.stringValue, NodeID.isWellFormed(id) else { return nil }
            members.insert(id)
        }
        self.name = name
        self.title = record.body["title"]?.stringValue
        self.members = members
        self.steward = record.origin
        self.declared = record.created
        self.recordID = record.id
    }

    /// Whether `name` can name a community: 3 to 64 of `a-z`, `0-9` and `-`, starting with a letter or digit.
    public static func isWellFormedName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (3...64).contains(bytes.count), bytes[0] != UInt8(ascii: "-") else { return false }
        return bytes.allSatisfy { b in
            (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
                || b == UInt8(ascii: "-")
        }
    }
}

extension RecordInput {
    /// Reads a community declaration: `{"name", "title"?, "description"?, "members": [node id, ...]}` plus the
    /// usual label fields. The declaration itself defaults to TLP:GREEN with relay, so that members learn of it.
    /// - Parameter steward: the declaring node's id (it is a member whether listed or not).
    /// - Throws: `InputError` naming each bad field.
    public static func community(_ json: JSONValue, steward: String) throws(InputError) -> RecordDraft {
        guard json.objectValue != nil else { throw InputError(pointer: "", detail: "expected an object, got \(json.typeName)") }
        var r = FieldReader(json)
        r.rejectUnknown(labelFields.union(["name", "title", "description", "members"]))
        var body: [String: JSONValue] = [:]
        if let name = r.string("name", required: true, maxLength: 64) {
            if CommunityDeclaration.isWellFormedName(name) {
                body["name"] = .string(name)
            } else {
                r.fail("name", "\"\(name)\" is not a community name: use 3 to 64 of a-z, 0-9 and -")
            }
        }
        if let title = r.string("title", maxLength: 256) { body["title"] = .string(title) }
        if let description = r.string("description", maxLength: 4096) { body["description"] = .string(description) }
        var members: Set<String> = [steward]
        if let list = r.stringList("members", maxCount: 1000) {
            for (n, id) in list.enumerated() {
                if NodeID.isWellFormed(id) {
                    members.insert(id)
                } else {
                    r.issues.append(FieldIssue(pointer: r.pointer("members") + "/\(n)", detail: "\"\(id)\" is not a node id"))
                }
            }
        } else if r.issues.isEmpty {
            r.fail("members", "is required: list the member node ids")
        }
        body["members"] = .array(members.sorted().map { .string($0) })
        let (label, exercise) = readLabel(&r, defaultTLP: .green)
        if exercise { r.fail("exercise", "a community is declared for live data; exercises use their own records") }
        guard r.issues.isEmpty else { throw InputError(issues: r.issues) }
        return RecordDraft(kind: .community, body: .object(body), label: label, exercise: false)
    }
}

/// Which communities each node belongs to, from the community records a node holds.
///
/// A community is known by its name and its steward: `name@steward` (the steward's node id). Labels name
/// communities that way, so that no other node can change who belongs to someone else's community by declaring
/// one of the same name: it only makes a community of its own. A person may write the bare name when this node
/// knows exactly one community of that name; `qualify(_:)` completes it before the record is signed.
public struct CommunityDirectory: Sendable {
    struct Entry: Sendable {
        var declaration: CommunityDeclaration
        /// Withdrawn by its steward; kept so that an older declaration arriving later stays out.
        var withdrawn: Bool
    }

    /// The newest declaration of each `name@steward`.
    private var current: [String: Entry] = [:]
    /// `origin/record id` of every retraction seen, so that a declaration arriving after its retraction stays withdrawn.
    private var retracted: Set<String> = []

    public init() {}

    /// Takes in any record: community declarations and retractions of them change the directory; others are ignored.
    /// - Returns: true when the directory changed.
    @discardableResult
    public mutating func apply(_ record: Record) -> Bool {
        if let target = record.retractedRecordID {
            guard retracted.insert(record.origin + "/" + target).inserted else { return false }
            for (key, entry) in current
            where entry.declaration.recordID == target && entry.declaration.steward == record.origin && !entry.withdrawn {
                current[key]?.withdrawn = true
                return true
            }
            return false
        }
        guard let declaration = CommunityDeclaration(record: record) else { return false }
        let key = declaration.id
        if let held = current[key],
            (held.declaration.declared, held.declaration.recordID) >= (declaration.declared, declaration.recordID)
        {
            return false
        }
        current[key] = Entry(
            declaration: declaration,
            withdrawn: retracted.contains(declaration.steward + "/" + declaration.recordID)
        )
        return true
    }

    /// The communities `nodeID` belongs to, as `name@steward`.
    public func communities(of nodeID: String) -> Set<String> {
        Set(current.values.filter { !$0.withdrawn && $0.declaration.members.contains(nodeID) }.map(\.declaration.id))
    }

    /// The members of community `id` (`name@steward`); empty when it is not declared or was withdrawn.
    public func members(of id: String) -> Set<String> {
        guard let entry = current[id], !entry.withdrawn else { return [] }
        return entry.declaration.members
    }

    /// Every live declaration, by name then steward.
    public var declarations: [CommunityDeclaration] {
        current.values.filter { !$0.withdrawn }.map(\.declaration).sorted { ($0.name, $0.steward) < ($1.name, $1.steward) }
    }

    /// `label` with each bare community name completed to `name@steward`.
    /// - Throws: `InputError` at `/audience/communities/N` for a name this node knows no community of, or
    ///   several: the writer then names the steward.
    public func qualify(_ label: SharingLabel) throws(InputError) -> SharingLabel {
        guard label.audience.communities.contains(where: { !$0.contains("@") }) else { return label }
        var issues: [FieldIssue] = []
        var names: [String] = []
        for (n, name) in label.audience.communities.enumerated() {
            if name.contains("@") {
                names.append(name)
                continue
            }
            let stewards = declarations.filter { $0.name == name }.map(\.id)
            switch stewards.count {
            case 1: names.append(stewards[0])
            case 0:
                issues.append(
                    FieldIssue(pointer: "/audience/communities/\(n)", detail: "no community \"\(name)\" is known to this node")
                )
            default:
                issues.append(
                    FieldIssue(
                        pointer: "/audience/communities/\(n)",
                        detail: "several stewards declared \"\(name)\": write one of \(stewards.joined(separator: ", "))"
                    )
                )
            }
        }
        guard issues.isEmpty else { throw InputError(issues: issues) }
        return SharingLabel(
            tlp: label.tlp,
            audience: Audience(nodes: label.audience.nodes, communities: names, jurisdictions: label.audience.jurisdictions),
            relay: label.relay
        )
    }
}

extension CommunityDeclaration {
    /// How labels name the community: `name@steward`.
    public var id: String { name + "@" + steward }
}

extension RecordDraft {
    /// The same draft with another label.
    public func relabelled(_ label: SharingLabel) -> RecordDraft {
        RecordDraft(kind: kind, body: body, label: label, exercise: exercise)
    }
}
