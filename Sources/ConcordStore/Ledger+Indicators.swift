public import ConcordCore

/// What became of one indicator of a bulk import.
public enum IndicatorOutcome: Sendable, Equatable {
    /// Signed and stored as this record.
    case created(id: String)
    /// The same record was already held.
    case duplicate(id: String)
    /// Rejected, with every bad field.
    case rejected(InputError)
}

/// A batch of indicators validated, de-duplicated and signed, ready to be stored in one transaction.
public struct PreparedIndicators: Sendable {
    fileprivate var outcomes: [IndicatorOutcome?]
    fileprivate let fresh: [(slot: Int, record: Record)]
    fileprivate let retractions: [Record]
    fileprivate let sameAs: [(slot: Int, first: Int)]
    /// The indicators this batch holds once stored: what the next batch of a pipeline de-duplicates against.
    public let holds: [HeldIndicator]
}

extension Ledger {
    /// Validates, signs and stores a batch of indicator inputs in one transaction; a bad input is rejected
    /// on its own and does not stop the others.
    /// - Parameters:
    ///   - inputs: the indicator objects, as NDJSON lines or CSV rows read them.
    ///   - key: the writing node's key.
    ///   - jurisdiction: the node's jurisdiction, for inputs that name none.
    /// - Returns: one outcome per input, in order.
    public func writeIndicators(_ inputs: [JSONValue], key: NodeKey, jurisdiction: String) async throws -> [IndicatorOutcome] {
        try await commit(try await prepareIndicators(inputs, key: key, jurisdiction: jurisdiction))
    }

    /// Writes batches one after another, preparing (validating, de-duplicating, signing) each batch while the
    /// one before it is being stored, so that the cores and the disk work at the same time.
    /// - Parameters:
    ///   - batches: the batches, each one transaction.
    ///   - key: the writing node's key.
    ///   - jurisdiction: the node's jurisdiction, for inputs that name none.
    ///   - stored: called with each batch's outcomes, in order, once it is stored.
    public func writeIndicatorBatches(
        _ batches: some Sequence<[JSONValue]>,
        key: NodeKey,
        jurisdiction: String,
        stored: ([IndicatorOutcome]) -> Void
    ) async throws {
        var inFlight: Task<[IndicatorOutcome], any Error>?
        var inFlightHolds: [HeldIndicator] = []
        do {
            for batch in batches {
                let prepared = try await prepareIndicators(batch, key: key, jurisdiction: jurisdiction, alsoHeld: inFlightHolds)
                if let inFlight { stored(try await inFlight.value) }
                inFlightHolds = prepared.holds
                inFlight = Task { try await self.commit(prepared) }
            }
            if let inFlight { stored(try await inFlight.value) }
        } catch {
            // Never leave a commit running unobserved: wait for it before reporting the failure.
            _ = try? await inFlight?.value
            throw error
        }
    }

    /// Validates, de-duplicates and signs a batch without storing it.
    /// - Parameters:
    ///   - alsoHeld: indicators of an earlier batch not yet stored, to de-duplicate against as if they were.
    public func prepareIndicators(
        _ inputs: [JSONValue],
        key: NodeKey,
        jurisdiction: String,
        alsoHeld: [HeldIndicator] = []
    ) async throws -> PreparedIndicators {
        var outcomes = [IndicatorOutcome?](repeating: nil, count: inputs.count)
        var drafts: [(slot: Int, draft: RecordDraft, key: IndicatorKey)] = []
        for (slot, input) in inputs.enumerated() {
            do {
                let draft = try communities.qualify(RecordInput.indicator(input, nodeJurisdiction: jurisdiction))
                guard let item = draft.indicatorKey else { continue }
                drafts.append((slot, draft, item))
            } catch {
                outcomes[slot] = .rejected(error)
            }
        }
        // An indicator this node already holds live for the same identifier and typology is not written again
        // (re-importing a feed must not count its entries twice), unless it changed: then the new record is written
        // and the old one retracted as superseded, so the index holds one entry for it either way.
        var held: [IndicatorKey: HeldIndicator] = [:]
        for indicator in try await store.liveIndicators(origin: key.nodeID, naming: drafts.map(\.key.identifier)) + alsoHeld {
            held[IndicatorKey(identifier: indicator.identifier, typology: indicator.typology)] = indicator
        }
        var fresh: [(slot: Int, draft: RecordDraft, key: IndicatorKey)] = []
        var supersedes: [Int: HeldIndicator] = [:]
        var firstSlot: [IndicatorKey: Int] = [:]
        var sameAs: [(slot: Int, first: Int)] = []
        for entry in drafts {
            if let first = firstSlot[entry.key] {
                sameAs.append((entry.slot, first))
                continue
            }
            if let existing = held[entry.key] {
                if entry.draft.sameFacts(as: existing) {
                    outcomes[entry.slot] = .duplicate(id: existing.recordID)
                    continue
                }
                supersedes[fresh.count] = existing
            }
            firstSlot[entry.key] = entry.slot
            fresh.append(entry)
        }
        let records = await RecordDraft.signAll(fresh.map(\.draft), with: key)
        var retractions: [RecordDraft] = []
        for (position, old) in supersedes.sorted(by: { $0.key < $1.key }) {
            retractions.append(RecordInput.supersession(of: old.recordID, by: records[position]))
        }
        let holds = zip(fresh, records).map { entry, record in
            HeldIndicator(
                identifier: entry.key.identifier,
                typology: entry.key.typology,
                confidence: entry.draft.body["confidence"]?.integerValue.map { Int($0) },
                lastSeen: entry.draft.body["last_seen"]?.stringValue.flatMap(Timestamp.init(rfc3339:)) ?? record.created,
                recordID: record.id
            )
        }
        return PreparedIndicators(
            outcomes: outcomes,
            fresh: zip(fresh, records).map { ($0.slot, $1) },
            retractions: await RecordDraft.signAll(retractions, with: key),
            sameAs: sameAs,
            holds: holds
        )
    }

    /// Stores a prepared batch in one transaction and indexes it.
    /// - Returns: one outcome per input, in order.
    public func commit(_ prepared: PreparedIndicators) async throws -> [IndicatorOutcome] {
        var outcomes = prepared.outcomes
        let appended = try await append(prepared.fresh.map(\.record) + prepared.retractions)
        for ((slot, record), outcome) in zip(prepared.fresh, appended) {
            outcomes[slot] = outcome == .duplicate ? .duplicate(id: record.id) : .created(id: record.id)
        }
        for (slot, first) in prepared.sameAs {
            if case .created(let id) = outcomes[first] {
                outcomes[slot] = .duplicate(id: id)
            } else {
                outcomes[slot] = outcomes[first]
            }
        }
        return outcomes.map { $0 ?? .rejected(InputError(pointer: "", detail: "not processed")) }
    }
}

/// What makes two indicators of one origin the same: the identifier and the typology.
struct IndicatorKey: Hashable {
    let identifier: Identifier
    let typology: Typology?
}

extension RecordDraft {
    /// Whether this indicator says nothing new over `held`: same confidence, and no later sighting.
    func sameFacts(as held: HeldIndicator) -> Bool {
        let confidence = body["confidence"]?.integerValue.map { Int($0) }
        let lastSeen = body["last_seen"]?.stringValue.flatMap(Timestamp.init(rfc3339:))
        return confidence == held.confidence && (lastSeen == nil || lastSeen! <= held.lastSeen)
    }

    var indicatorKey: IndicatorKey? {
        guard kind == .indicator, let item = body["identifier"], let kindText = item["kind"]?.stringValue,
            let kind = IdentifierKind(rawValue: kindText), let value = item["value"]?.stringValue
        else { return nil }
        return IndicatorKey(
            identifier: Identifier(kind: kind, canonical: value),
            typology: body["typology"]?.stringValue.flatMap(Typology.init(rawValue:))
        )
    }
}
