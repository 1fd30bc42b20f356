import ConcordCore
import ConcordFederation
import ConcordStore
import Foundation
import Hummingbird
import Logging
import NIOCore
import Prometheus

/// Everything the routes of one node share: its identity, its ledger (store and check index) and its metrics.
final class RunningNode: Sendable {
    let key: NodeKey
    let profile: NodeProfile
    let store: SQLStore
    let ledger: Ledger
    let metrics: NodeMetrics
    let limits: APILimits
    let logger: Logger
    /// The peer synchroniser, told when this node writes something new.
    let sync: PeerSync?
    /// The communities this node knows of, for serving community-labelled records.
    let communities: Communities
    /// Campaigns, alerts and the landscape of the reports held.
    let analysis: NodeAnalysis
    /// One delivery of exercise injects at a time.
    let exerciseLock = AsyncLock()

    init(
        key: NodeKey,
        profile: NodeProfile,
        store: SQLStore,
        ledger: Ledger,
        metrics: NodeMetrics,
        limits: APILimits,
        logger: Logger,
        sync: PeerSync? = nil,
        communities: Communities = Communities(),
        analysis: NodeAnalysis
    ) {
        self.key = key
        self.profile = profile
        self.store = store
        self.ledger = ledger
        self.metrics = metrics
        self.limits = limits
        self.logger = logger
        self.sync = sync
        self.communities = communities
        self.analysis = analysis
    }

    /// What the sharing policy needs to know of `peer`, with its communities as this node knows them.
    func facts(of peer: Peer) -> PeerFacts {
        communities.facts(nodeID: peer.nodeID, jurisdiction: peer.jurisdiction ?? "")
    }

    var index: CheckIndex { ledger.index }

    /// Signs drafts into records, stores and indexes them.
    func write(_ drafts: [RecordDraft]) async throws -> [(Record, AppendOutcome)] {
        let key = self.key
        var drafts = drafts
        // What a player writes in an exercise also goes to the exercise's director, who scores it.
        if drafts.contains(where: Self.isPlay) {
            let directors = try await Exercises.runningDirectors(store, for: key.nodeID).subtracting([key.nodeID])
            if !directors.isEmpty {
                if drafts.contains(where: {
                    Self.isPlay($0) && !($0.label.audience.communities + $0.label.audience.jurisdictions).isEmpty
                }) {
                    throw Problem.invalid(
                        pointer: "/audience",
                        "an exercise move must reach the exercise's director: label it by nodes or TLP, not by community or jurisdiction"
                    )
                }
                drafts = drafts.map { Self.isPlay($0) ? $0.addressed(alsoTo: directors) : $0 }
            }
        }
        let records = await RecordDraft.signAll(drafts, with: key)
        try Self.checkSize(records)
        let outcomes = try await ledger.append(records)
        didWrite(outcomes.filter { if case .stored = $0 { true } else { false } }.count)
        return Array(zip(records, outcomes))
    }

    /// Whether a draft is a player's move in an exercise: an exercise report, indicator, request or answer.
    static func isPlay(_ draft: RecordDraft) -> Bool {
        draft.exercise && [.report, .indicator, .actionRequest, .actionResponse].contains(draft.kind)
    }

    /// Refuses a record larger than peers admit, before it is stored here and refused everywhere else.
    static func checkSize(_ records: [Record]) throws {
        if let big = records.first(where: { $0.canonical.count > RecordAdmission.maximumContentBytes }) {
            throw Problem.invalid(
                pointer: "",
                "the \(big.kind.rawValue) record would be \(big.canonical.count) bytes; a record may have at most \(RecordAdmission.maximumContentBytes)"
            )
        }
    }

    /// Stores and indexes records this node has signed already, in one append.
    func append(_ records: [Record]) async throws -> [AppendOutcome] {
        try Self.checkSize(records)
        let outcomes = try await ledger.append(records)
        didWrite(outcomes.filter { if case .stored = $0 { true } else { false } }.count)
        return outcomes
    }

    /// What follows every write of this node's own records: the counters, and a nudge to the peers.
    func didWrite(_ stored: Int) {
        metrics.recordsWritten.increment(by: Int64(stored))
        if stored > 0 { sync?.announce(except: nil) }
    }
}

/// Size limits of the API, each answered with a clear problem when exceeded.
public struct APILimits: Sendable {
    /// Most items in one JSON check batch.
    public var maxCheckBatch = 100_000
    /// Longest accepted NDJSON line, in bytes.
    public var maxLineBytes = 64 * 1024
    /// Most lines in one NDJSON body (bulk import or streamed check).
    public var maxStreamLines = 50_000_000
    /// Largest STIX bundle one request may send, in bytes; it is held in a temporary file, not in memory.
    public var maxBundleBytes: Int64 = 4 << 30
    /// Most values in one normalize request.
    public var maxNormalizeValues = 10_000
    /// Longest a risk register or plan may compute before the request gets a 503 problem.
    public var computeTime: Duration = .seconds(20)
    /// Requests one client address may make to the public page in a minute (a burst of that many, then one
    /// every `60 / n` seconds); more get a 429 problem.
    public var publicRequestsPerMinute = 30
    /// Most risk registers and plans computed at once; more get a 503 problem at once.
    public var concurrentComputations = 2

    /// The default limits.
    public init() {}
}
