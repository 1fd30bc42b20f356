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

extension Ledger {
    /// Validates, signs and stores a batch of indicator inputs in one transaction; a bad input is rejected
    /// on its own and does not stop the others.
    /// - Parameters:
    ///   - inputs: the indicator objects, as NDJSON lines or CSV rows read them.
    ///   - key: the writing node's key.
    ///   - jurisdiction: the node's jurisdiction, for inputs that name none.
    /// - Returns: one outcome per input, in order.
    public func writeIndicators(_ inputs: [JSONValue], key: NodeKey, jurisdiction: String) async throws -> [IndicatorOutcome] {
        var outcomes = [IndicatorOutcome?](repeating: nil, count: inputs.count)
        var drafts: [RecordDraft] = []
        var slots: [Int] = []
        for (slot, input) in inputs.enumerated() {
            do {
                drafts.append(try RecordInput.indicator(input, nodeJurisdiction: jurisdiction))
                slots.append(slot)
            } catch {
                outcomes[slot] = .rejected(error)
            }
        }
        let records = await RecordDraft.signAll(drafts, with: key)
        let appended = try await append(records)
        for ((record, outcome), slot) in zip(zip(records, appended), slots) {
            outcomes[slot] = outcome == .duplicate ? .duplicate(id: record.id) : .created(id: record.id)
        }
        return outcomes.map { $0 ?? .rejected(InputError(pointer: "", detail: "not processed")) }
    }
}
