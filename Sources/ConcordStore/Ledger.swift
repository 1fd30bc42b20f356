public import ConcordCore
public import Logging
import Synchronization

/// The node's records and its check index kept in step: every path that writes records goes through here.
///
/// A record is indexed only after its transaction commits, so a check never reports what a crash could lose.
/// Records written by another process (`concord import` beside a running node, another replica) are picked up
/// by `catchUp()`; each log position is indexed once, whichever path sees it first.
public final class Ledger: Sendable {
    /// The store of records.
    public let store: any RecordStore
    /// The in-memory check index.
    public let index: CheckIndex
    /// The communities this node knows, which labels written here are checked against; current once
    /// `communities.follow(ledger)` has run.
    public let communities = Communities()
    let logger: Logger

    private struct Progress {
        /// Every log position up to here is indexed.
        var through: Int64 = 0
        /// Positions above `through` already indexed by this process's own appends.
        var above: Set<Int64> = []

        mutating func mark(_ seq: Int64) -> Bool {
            guard seq > through, above.insert(seq).inserted else { return false }
            return true
        }
    }

    private let progress = Mutex(Progress())
    private let observers = Mutex<[@Sendable ([Record], Set<String>) -> Void]>([])

    /// Calls `handler` with every batch of records newly stored and indexed, whichever path wrote them
    /// (this node's API, a peer pull, another process on the same store), and the ids of those among them that
    /// arrived already withdrawn (their retraction came first). Exercise records are included.
    ///
    /// A handler that also reads the history from the store should register first, then read, and drop
    /// records it sees twice.
    public func observe(_ handler: @escaping @Sendable ([Record], _ withdrawn: Set<String>) -> Void) {
        observers.withLock { $0.append(handler) }
    }

    /// Creates a ledger over `store` with an empty index; call `loadIndex()` before serving checks.
    public init(store: any RecordStore, index: CheckIndex = CheckIndex(), logger: Logger) {
        self.store = store
        self.index = index
        self.logger = logger
    }

    /// Fills the check index from the store.
    /// - Returns: the number of identifier rows read.
    @discardableResult
    public func loadIndex() async throws -> Int {
        let last = try await store.lastSequence()
        let rows = try await store.forEachIndexedIdentifierPage(through: last) { page in index.add(contentsOf: page) }
        progress.withLock {
            $0.through = last
            $0.above = []
        }
        return rows
    }

    /// Stores verified or newly signed records and indexes the new ones.
    /// - Returns: for each record, whether it was stored or a duplicate, in order.
    public func append(_ records: [Record], receipt: Receipt? = nil) async throws -> [AppendOutcome] {
        let (outcomes, retractedOnArrival) = try await store.appendNotingRetracted(records, receipt: receipt)
        var fresh: [Record] = []
        progress.withLock { p in
            for (record, outcome) in zip(records, outcomes) {
                if case .stored(let seq) = outcome, p.mark(seq) { fresh.append(record) }
            }
        }
        try await indexRecords(fresh, withdrawn: retractedOnArrival)
        return outcomes
    }

    /// Indexes records that other processes appended to the shared store since the last look.
    /// - Returns: how many records were newly indexed.
    @discardableResult
    public func catchUp() async throws -> Int {
        var total = 0
        while true {
            let after = progress.withLock { $0.through }
            // Rows in this node's own store were verified or signed when written; the ids are still checked.
            var query = RecordQuery(after: after, limit: 2000)
            query.checkSignatures = false
            let page = try await store.records(query)
            guard let last = page.last?.sequence else { return total }
            var fresh: [Record] = []
            var withdrawn: [String] = []
            progress.withLock { p in
                for stored in page where p.mark(stored.sequence) {
                    fresh.append(stored.record)
                    if stored.retractedBy != nil { withdrawn.append(stored.record.id) }
                }
                p.through = max(p.through, last)
                p.above = p.above.filter { $0 > p.through }
            }
            try await indexRecords(fresh, withdrawn: Set(withdrawn))
            total += fresh.count
            if page.count < 2000 { return total }
        }
    }

    private func indexRecords(_ records: [Record], withdrawn: Set<String> = []) async throws {
        guard !records.isEmpty else { return }
        defer {
            for handler in observers.withLock({ $0 }) { handler(records, withdrawn) }
        }
        var rows: [(IndexedIdentifier, retracted: Bool)] = []
        var retracted: [(target: String, origin: String)] = []
        for record in records where !record.exercise {
            for item in record.indexedIdentifiers { rows.append((item, false)) }
            if let target = record.retractedRecordID { retracted.append((target, record.origin)) }
        }
        index.add(contentsOf: rows)
        for (target, origin) in retracted {
            try await reindex(recordID: target, retractedBy: origin)
        }
        // A record whose retraction came first is indexed as withdrawn.
        for id in withdrawn { try await reindex(recordID: id, retractedBy: nil) }
    }

    /// Index rebuilds done after retractions, since start.
    public var reindexes: Int { reindexCount.load(ordering: .relaxed) }
    private let reindexCount = Atomic<Int>(0)

    /// Rebuilds the index entries of every identifier of the record `recordID` from the store. A retraction by
    /// another origin than the record's withdraws nothing, so it costs nothing either: no rebuild.
    private func reindex(recordID: String, retractedBy origin: String?) async throws {
        guard let stored = try await store.record(id: recordID) else { return }
        if let origin, origin != stored.record.origin { return }
        reindexCount.add(1, ordering: .relaxed)
        var seen = Set<Identifier>()
        for item in stored.record.indexedIdentifiers where seen.insert(item.identifier).inserted {
            let rows = try await store.indexedIdentifiers(naming: item.identifier)
            index.rebuild(item.identifier, from: rows)
        }
        logger.debug("index rebuilt after retraction", metadata: ["record.id": "\(recordID)"])
    }
}
