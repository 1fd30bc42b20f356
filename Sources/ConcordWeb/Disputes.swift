import ConcordCore
import ConcordStore
import Foundation
import Synchronization

/// What the triage queue and disputes do, shared by the API and the pages: accept or reject what the public page
/// received, and decide a dispute (retract or uphold).
struct Disputes {
    let node: RunningNode

    enum Failure: Error {
        /// The item or dispute is not in a state that allows this (decided already, nothing flags it any more).
        case conflict(String)
        case notFound(String)
    }

    // MARK: - Triage

    /// Accepts a queued item: a report becomes this node's report under `label` (the label members of the API's
    /// report input); a dispute becomes one dispute record for each node whose live records flag the identifier,
    /// addressed to that node alone, so that no flagging node learns who else flagged it. The item is claimed
    /// before anything is written, so two analysts cannot both accept it.
    func accept(_ id: String, label: [String: JSONValue], by analyst: String) async throws -> (TriageItem, [Record]) {
        guard let item = try await node.store.triageItem(id: id) else { throw Failure.notFound("no triage item \(id)") }
        guard item.status == .pending else { throw Failure.conflict("triage item \(id) was \(item.status.rawValue) already") }
        var drafts: [RecordDraft] = []
        switch item.kind {
        case .report:
            var members = label
            for key in ["typology", "identifiers", "narrative", "loss", "occurred_at"] {
                if let value = item.body[key] { members[key] = value }
            }
            drafts.append(try RecordInput.report(.object(members), nodeJurisdiction: node.profile.jurisdiction))
        case .dispute:
            guard label.isEmpty else { throw InputError(pointer: "/tlp", detail: "a dispute's label is set by whom it concerns") }
            guard let identifierJSON = item.body["identifier"],
                let kind = identifierJSON["kind"]?.stringValue.flatMap(IdentifierKind.init),
                let value = identifierJSON["value"]?.stringValue
            else { throw Failure.conflict("triage item \(id) has no identifier") }
            let flagging = try await node.store.flaggingRecords(naming: Identifier(kind: kind, canonical: value))
            let origins = Set(flagging.map(\.origin)).sorted()
            guard !origins.isEmpty else {
                throw Failure.conflict(
                    "no live record flags \(kind.rawValue) \(value) any more: reject the item with a note instead"
                )
            }
            for origin in origins {
                drafts.append(
                    try RecordInput.dispute(
                        [
                            "identifier": ["kind": .string(kind.rawValue), "value": .string(value)],
                            "statement": item.body["statement"] ?? "", "to": [.string(origin)],
                        ],
                        filer: node.key.nodeID,
                        nodeJurisdiction: node.profile.jurisdiction
                    )
                )
            }
        }
        guard try await node.store.decideTriageItem(id: id, status: .accepted, by: analyst, recordID: nil, note: nil) else {
            throw Failure.conflict("triage item \(id) was decided meanwhile")
        }
        let records: [Record]
        do {
            records = try await node.write(drafts).map(\.0)
            try await node.store.setTriageRecords(id: id, recordIDs: records.map(\.id))
        } catch {
            try? await node.store.releaseTriageItem(id: id)
            throw error
        }
        return (try await node.store.triageItem(id: id) ?? item, records)
    }

    /// Rejects a queued item with a note; nothing is written or shared.
    func reject(_ id: String, note: String, by analyst: String) async throws -> TriageItem {
        guard let item = try await node.store.triageItem(id: id) else { throw Failure.notFound("no triage item \(id)") }
        guard try await node.store.decideTriageItem(id: id, status: .rejected, by: analyst, recordID: nil, note: note) else {
            throw Failure.conflict("triage item \(id) was \(item.status.rawValue) already")
        }
        return try await node.store.triageItem(id: id) ?? item
    }

    // MARK: - Disputes

    /// A dispute held here, with the decisions of the nodes it is addressed to.
    struct Thread {
        let dispute: Record
        var decisions: [Record] = []

        var addressees: [String] { (dispute.body["to"]?.arrayValue ?? []).compactMap(\.stringValue) }

        var json: JSONValue {
            let decided = Set(decisions.map(\.origin))
            return [
                "id": .string(dispute.id),
                "from": .string(dispute.origin),
                "created": .string(dispute.created.rfc3339),
                "identifier": dispute.body["identifier"] ?? .null,
                "statement": dispute.body["statement"] ?? .null,
                "to": dispute.body["to"] ?? [],
                "awaiting": .array(addressees.filter { !decided.contains($0) }.map(JSONValue.string)),
                "decisions": .array(
                    decisions.map { d in
                        [
                            "id": .string(d.id), "node": .string(d.origin), "created": .string(d.created.rfc3339),
                            "outcome": d.body["outcome"] ?? .null, "reason": d.body["reason"] ?? .null,
                            "withdrawn": d.body["withdrawn"] ?? [],
                        ]
                    }
                ),
            ]
        }
    }

    /// Every dispute held, newest first, each with the decisions its addressees wrote.
    func threads() async throws -> [Thread] {
        var threads: [String: Thread] = [:]
        var order: [String] = []
        try await node.store.forEachPage(of: .dispute) { page in
            for stored in page where stored.retractedBy == nil && !stored.record.exercise {
                threads[stored.record.id] = Thread(dispute: stored.record)
                order.append(stored.record.id)
            }
        }
        try await node.store.forEachPage(of: .disputeDecision) { page in
            for stored in page {
                guard let id = stored.record.body["dispute"]?.stringValue, let thread = threads[id],
                    thread.addressees.contains(stored.record.origin),
                    !thread.decisions.contains(where: { $0.origin == stored.record.origin })
                else { continue }
                threads[id]?.decisions.append(stored.record)
            }
        }
        return order.reversed().compactMap { threads[$0] }
    }

    /// Disputes being decided right now, so that a double submission cannot decide one twice.
    private static let deciding = Mutex<Set<String>>([])

    /// Decides a dispute addressed to this node. Retracting withdraws everything this node said of the identifier:
    /// an indicator is retracted; a report naming other identifiers too is replaced by one without it (the old one
    /// retracted as superseded), so its victims and other identifiers stay on record. For a domain, URLs on it go
    /// too. The replacements, retractions and decision are appended together. The retractions travel where the
    /// records went, so every node's check answer changes.
    func decide(_ disputeID: String, json: JSONValue) async throws -> (decision: Record, withdrawn: [String]) {
        guard Self.deciding.withLock({ $0.insert(disputeID).inserted }) else {
            throw Failure.conflict("dispute \(disputeID) is being decided already")
        }
        defer { _ = Self.deciding.withLock { $0.remove(disputeID) } }
        guard let stored = try await node.store.record(id: disputeID), stored.record.kind == .dispute, stored.retractedBy == nil
        else {
            throw Failure.notFound("no dispute \(disputeID) on this node")
        }
        let dispute = stored.record
        let own = node.key.nodeID
        if try await threads().first(where: { $0.dispute.id == disputeID })?.decisions.contains(where: { $0.origin == own })
            == true
        {
            throw Failure.conflict("this node has decided dispute \(disputeID) already")
        }
        // Read the decision first, so that a bad one withdraws nothing.
        _ = try RecordInput.disputeDecision(json, on: dispute, decider: own, withdrawn: [])
        var withdrawn: [String] = []
        var records: [Record] = []
        if json["outcome"]?.stringValue == DisputeOutcome.retracted.rawValue,
            let kind = dispute.body["identifier"]?["kind"]?.stringValue.flatMap(IdentifierKind.init),
            let value = dispute.body["identifier"]?["value"]?.stringValue
        {
            let disputed = Identifier(kind: kind, canonical: value)
            let reason = String(("dispute \(disputeID): " + (json["reason"]?.stringValue ?? "")).prefix(4000))
            for flag in try await node.store.flaggingRecords(naming: disputed) where flag.origin == own {
                guard let old = try await node.store.record(id: flag.id)?.record else { continue }
                withdrawn.append(old.id)
                if let replacement = RecordInput.report(old, without: disputed) {
                    let newer = replacement.sign(with: node.key)
                    records.append(newer)
                    records.append(RecordInput.supersession(of: old.id, by: newer).sign(with: node.key))
                } else {
                    records.append(try RecordInput.retraction(of: old, reason: reason).sign(with: node.key))
                }
            }
        }
        let decision = try RecordInput.disputeDecision(json, on: dispute, decider: own, withdrawn: withdrawn).sign(with: node.key)
        _ = try await node.append(records + [decision])
        return (decision, withdrawn)
    }
}

extension TriageItem {
    var json: JSONValue {
        var out: [String: JSONValue] = [
            "id": .string(id), "kind": .string(kind.rawValue), "status": .string(status.rawValue),
            "received": .string(received.rfc3339), "body": body,
        ]
        if let decided { out["decided"] = .string(decided.rfc3339) }
        if let decidedBy { out["decided_by"] = .string(decidedBy) }
        if let recordID, !recordID.isEmpty {
            let ids = recordID.split(separator: ",").map(String.init)
            out["record"] = .string(ids[0])
            out["records"] = .array(ids.map(JSONValue.string))
        }
        if let note { out["note"] = .string(note) }
        return .object(out)
    }
}
