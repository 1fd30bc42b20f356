import AsyncHTTPClient
public import ConcordCore
public import ConcordStore
import Foundation
public import Logging
import Metrics
import NIOCore
import NIOHTTP1
public import ServiceLifecycle
import Synchronization

/// Keeps this node in step with its peers: pulls what each peer may share with it (at once when nudged, and
/// every `interval` as a safety net), verifies every record against its origin's key before storing it, and
/// nudges its own peers when it has something new for them.
///
/// Each peer is pulled on its own, so a slow or dead peer does not hold up the others; a failing peer is
/// retried with exponential backoff up to `maxBackoff`.
public final class PeerSync: Service, Sendable {
    let ledger: Ledger
    let peers: any PeerStore
    /// The signed-request client, shared with other peer calls of the node.
    public let client: PeerClient
    /// This node as its peers see it, for checking that what they send was theirs to send.
    let ownFacts: PeerFacts
    /// The communities this node knows of, for its own memberships.
    let communities: Communities?
    let logger: Logger
    let interval: Duration
    let maxBackoff: Duration
    let pageSize: Int

    private let pulls: AsyncStream<String?>
    private let pullRequests: AsyncStream<String?>.Continuation
    private let announcements: AsyncStream<String?>
    private let announcementRequests: AsyncStream<String?>.Continuation
    private let backoff = Mutex([String: (failures: Int, retryAt: ContinuousClock.Instant)]())
    /// Peers being pulled now, and whether another pull was asked for meanwhile.
    private let inFlight = Mutex([String: Bool]())
    /// The most pages one pull takes before letting the next round begin.
    let maxPagesPerPull = 200
    /// The longest feed line taken: one record at its size cap, with the line's own fields.
    static let maxLineBytes = RecordAdmission.maximumContentBytes + 4096
    /// The most bytes of one page read; past it the page is cut at its last whole line.
    static let maxPageBytes = 64 << 20
    private let rejected = Atomic<Int>(0)
    /// How much each peer may send in a day.
    let quota: PeerQuota

    /// Records refused because they failed verification, since start.
    public var rejectedRecords: Int { rejected.load(ordering: .relaxed) }

    /// Creates the synchroniser of a node.
    public init(
        ledger: Ledger,
        peers: any PeerStore,
        client: PeerClient,
        ownFacts: PeerFacts,
        communities: Communities? = nil,
        logger: Logger,
        interval: Duration = .seconds(5),
        maxBackoff: Duration = .seconds(60),
        pageSize: Int = 1000,
        quota: PeerQuota.Limits = PeerQuota.Limits()
    ) {
        self.ledger = ledger
        self.peers = peers
        self.client = client
        self.ownFacts = ownFacts
        self.communities = communities
        self.logger = logger
        self.interval = interval
        self.maxBackoff = maxBackoff
        self.pageSize = pageSize
        self.quota = PeerQuota(limits: quota)
        (pulls, pullRequests) = AsyncStream.makeStream(of: String?.self, bufferingPolicy: .bufferingNewest(64))
        (announcements, announcementRequests) = AsyncStream.makeStream(of: String?.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks for an immediate pull from `peer` (nil: from every peer), as a peer's nudge does.
    public func pullSoon(from peer: String?) {
        pullRequests.yield(peer)
    }

    /// Notes that `peer` just reached this node with a signed request: it is up, so a backoff left from its
    /// downtime no longer delays pulling from it.
    public func heardFrom(_ peer: String) {
        backoff.withLock { _ = $0.removeValue(forKey: peer) }
    }

    /// Tells the peers (all but `except`) that this node has new records for them.
    public func announce(except peer: String?) {
        announcementRequests.yield(peer)
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.tick() }
                group.addTask { await self.pullLoop() }
                group.addTask { await self.announceLoop() }
                await group.waitForAll()
            }
        }
        pullRequests.finish()
        announcementRequests.finish()
        // The synchroniser owns its HTTP client: nothing else sends to peers.
        try? await client.http.shutdown()
    }

    private func tick() async {
        pullRequests.yield(nil)
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: interval)
            } catch {
                break
            }
            pullRequests.yield(nil)
        }
        pullRequests.finish()
        announcementRequests.finish()
    }

    private func pullLoop() async {
        // Each peer is pulled in its own child task; a peer already being pulled is marked to be pulled again
        // when that pull ends, so neither a slow peer nor a burst of nudges holds up the others.
        await withDiscardingTaskGroup { group in
            for await target in pulls {
                guard let all = try? await peers.peers() else { continue }
                for peer in all where (target == nil || peer.nodeID == target) && (mayTry(peer.nodeID) || target != nil) {
                    guard startPull(peer.nodeID) else { continue }
                    group.addTask {
                        var current = peer
                        while true {
                            await self.pullReporting(current)
                            guard self.finishPull(peer.nodeID), let fresh = try? await self.peers.peer(nodeID: peer.nodeID) else {
                                break
                            }
                            current = fresh
                        }
                    }
                }
            }
        }
    }

    /// Marks a pull of `peer` as started; false (and a request to pull again) when one is already running.
    private func startPull(_ peer: String) -> Bool {
        inFlight.withLock { state in
            if state[peer] != nil {
                state[peer] = true
                return false
            }
            state[peer] = false
            return true
        }
    }

    /// Ends a pull of `peer`; true when another was asked for meanwhile (and it is now running).
    private func finishPull(_ peer: String) -> Bool {
        inFlight.withLock { state in
            if state[peer] == true {
                state[peer] = false
                return true
            }
            state[peer] = nil
            return false
        }
    }

    private func announceLoop() async {
        for await except in announcements {
            guard let all = try? await peers.peers() else { continue }
            await withTaskGroup(of: Void.self) { group in
                for peer in all where peer.nodeID != except {
                    group.addTask {
                        // A nudge is a hint: a peer that misses it pulls on its next tick anyway.
                        _ = try? await self.client.send(
                            .POST,
                            base: peer.url,
                            path: "/federation/v1/nudge",
                            body: Array("{}".utf8),
                            target: peer.nodeID
                        )
                    }
                }
            }
        }
    }

    private func mayTry(_ peer: String) -> Bool {
        backoff.withLock { $0[peer].map { ContinuousClock.now >= $0.retryAt } ?? true }
    }

    private func pullReporting(_ peer: Peer) async {
        do {
            try await pull(peer)
            backoff.withLock { _ = $0.removeValue(forKey: peer.nodeID) }
        } catch {
            let failures = backoff.withLock { state -> Int in
                let failures = (state[peer.nodeID]?.failures ?? 0) + 1
                let wait = min(maxBackoff, .milliseconds(250) * (1 << min(failures, 16)))
                state[peer.nodeID] = (failures, ContinuousClock.now + wait)
                return failures
            }
            logger.warning(
                "pull from peer failed; will retry",
                metadata: ["peer.node_id": "\(peer.nodeID)", "peer.failures": "\(failures)", "error": "\(error)"]
            )
            try? await peers.recordPullFailure(nodeID: peer.nodeID, error: "\(error)")
        }
    }

    /// Why a pull failed.
    public enum PullError: Error, CustomStringConvertible {
        case status(Int, String)
        case unverifiedProfile

        public var description: String {
            switch self {
            case .status(let code, let path): "the peer answered \(code) to \(path)"
            case .unverifiedProfile: "the peer's profile does not prove the node id it was pinned to"
            }
        }
    }

    /// Pulls every page the peer has after this node's cursor, storing each page with its cursor.
    public func pull(_ peer: Peer) async throws {
        if peer.publicKey == nil {
            let answer = try await client.send(
                .GET,
                base: peer.url,
                path: "/federation/v1/node",
                target: peer.nodeID,
                maxBytes: 1 << 20
            )
            guard answer.status == 200 else { throw PullError.status(answer.status, "/federation/v1/node") }
            guard let document = try? JSONValue.parse(answer.body),
                let (publicKey, jurisdiction) = SignedProfile.verify(document, expectedNodeID: peer.nodeID)
            else { throw PullError.unverifiedProfile }
            try await peers.learnPeer(nodeID: peer.nodeID, publicKey: publicKey, jurisdiction: jurisdiction)
            // Until now this node served that peer nothing (it did not know the peer's jurisdiction): nudge it
            // so that it pulls again at once instead of at its next tick.
            _ = try? await client.send(
                .POST,
                base: peer.url,
                path: "/federation/v1/nudge",
                body: Array("{}".utf8),
                target: peer.nodeID
            )
        }
        var cursor = peer.cursor
        // While one page is being stored, the next is fetched and verified: the peer serves it and the other
        // core checks its signatures meanwhile. A page fetched ahead is dropped if storing fails.
        var ahead: Task<FetchedPage, any Error>?
        defer { ahead?.cancel() }
        for _ in 0..<maxPagesPerPull {
            if let exhausted = quota.exhausted(peer.nodeID) {
                if exhausted.first {
                    logger.warning(
                        "peer quota reached; no more pulls from this peer until the day ends",
                        metadata: [
                            "peer.node_id": "\(peer.nodeID)", "quota.records": "\(exhausted.records)",
                            "quota.bytes": "\(exhausted.bytes)",
                        ]
                    )
                    Counter(label: "concord_peer_quota_reached_total", dimensions: [("peer", peer.nodeID)]).increment()
                }
                return
            }
            let page = ahead ?? fetchPage(peer, after: cursor)
            let fetched = try await withTaskCancellationHandler {
                try await page.value
            } onCancel: {
                page.cancel()
            }
            ahead = nil
            guard fetched.status == 200 else { throw PullError.status(fetched.status, "/federation/v1/records") }
            quota.charge(peer.nodeID, records: fetched.lines.count, bytes: fetched.bytes)
            var records: [Record] = []
            var hops: [Int] = []
            var end: (cursor: Int64, more: Bool, head: Int64?)?
            // The highest log position seen on the page: positions must rise, and a cut page ends there.
            var reached = cursor
            let facts = arrivalFacts(page: fetched.lines)
            for outcome in fetched.lines {
                switch outcome {
                case .line(.record(let sequence, let travelled, let record)):
                    guard sequence > reached else {
                        refuse(peer, sequence: sequence, recordID: record.id, reason: "its log position does not rise")
                        continue
                    }
                    reached = sequence
                    // What the sender was not allowed to send is not taken: a RED record not naming this node,
                    // an AMBER+STRICT one relayed, one past the hop limit.
                    guard SharingPolicy.mayServe(record, hops: travelled, holder: peer.nodeID, to: facts) else {
                        refuse(peer, sequence: sequence, recordID: record.id, reason: "its label did not let the peer send it")
                        continue
                    }
                    records.append(record)
                    hops.append(travelled + 1)
                case .line(.end(let last, let more, let head)):
                    end = (last, more, head)
                case .refused(let sequence, let recordID, let reason):
                    if let sequence, sequence > reached { reached = sequence }
                    refuse(peer, sequence: sequence, recordID: recordID, reason: reason)
                }
                if end != nil { break }
            }
            if end == nil && fetched.cut {
                // The peer sent more than a page: what was read is taken, and the next page starts after it.
                guard reached > cursor else { throw FeedError.malformed("the page is over its size and holds no whole record") }
                end = (reached, true, nil)
            }
            guard let end else { throw FeedError.malformed("the page has no closing cursor") }
            guard end.cursor >= cursor else {
                throw FeedError.malformed("the peer's cursor went back from \(cursor) to \(end.cursor): its log was reset?")
            }
            guard !end.more || end.cursor > cursor else {
                throw FeedError.malformed("the peer says there is more but its cursor did not move")
            }
            if end.more { ahead = fetchPage(peer, after: end.cursor) }
            let outcomes = try await ledger.append(
                records,
                receipt: Receipt(peer: peer.nodeID, cursor: end.cursor, hops: hops, head: end.head)
            )
            if outcomes.contains(where: { if case .stored = $0 { true } else { false } }) {
                announce(except: peer.nodeID)
            }
            cursor = end.cursor
            if !end.more { return }
        }
        // The page limit was reached: the next round goes on from the stored cursor.
        pullSoon(from: peer.nodeID)
    }

    /// Counts and logs a record or line of `peer`'s feed that was not taken. The log names the record and the
    /// field, never its content.
    private func refuse(_ peer: Peer, sequence: Int64?, recordID: String?, reason: String) {
        rejected.add(1, ordering: .relaxed)
        Counter(label: "concord_peer_records_refused_total", dimensions: [("peer", peer.nodeID)]).increment()
        var metadata: Logger.Metadata = ["peer.node_id": "\(peer.nodeID)", "refusal.reason": "\(reason)"]
        if let sequence { metadata["feed.sequence"] = "\(sequence)" }
        if let recordID { metadata["record.id"] = "\(recordID)" }
        logger.warning("refused a record from a peer", metadata: metadata)
    }

    /// A page of a peer's feed, read and checked.
    struct FetchedPage: Sendable {
        var status: Int
        var lines: [FeedLineOutcome] = []
        /// Bytes read.
        var bytes = 0
        /// True when reading stopped before the peer's answer ended (too many lines or bytes).
        var cut = false
    }

    /// Fetches one page of `peer`'s feed and parses and verifies its lines, as a task of its own. The answer is
    /// read as it arrives, a line at a time, and reading stops at a page's worth of lines or `maxPageBytes`.
    private func fetchPage(_ peer: Peer, after cursor: Int64) -> Task<FetchedPage, any Error> {
        let client = self.client
        let pageSize = self.pageSize
        return Task {
            let response = try await client.execute(
                .GET,
                base: peer.url,
                path: "/federation/v1/records",
                query: "after=\(cursor)&limit=\(pageSize)",
                target: peer.nodeID
            )
            guard response.status == .ok else { return FetchedPage(status: Int(response.status.code)) }
            var splitter = LineSplitter(maxBytes: Self.maxLineBytes, tailBytes: 64)
            var lines: [LineSplitter.Line] = []
            var page = FetchedPage(status: 200)
            reading: for try await chunk in response.body {
                page.bytes += chunk.readableBytes
                for line in splitter.feed(chunk) {
                    lines.append(line)
                    // A page is at most its records and the closing line; one more line shows the peer sent more.
                    if lines.count > pageSize + 1 {
                        page.cut = true
                        break reading
                    }
                }
                if page.bytes > Self.maxPageBytes {
                    page.cut = true
                    break
                }
            }
            if !page.cut, let last = splitter.finish() { lines.append(last) }
            page.lines = await Self.parseLines(lines)
            return page
        }
    }

    /// This node's facts for checking a page on arrival: its communities include those that declarations in the
    /// same page make it a member of, since they are stored together with the records that name them.
    private func arrivalFacts(page: [FeedLineOutcome]) -> PeerFacts {
        guard let communities else { return ownFacts }
        var directory = communities.snapshot
        for case .line(.record(_, _, let record)) in page where record.kind == .community || record.kind == .retraction {
            directory.apply(record)
        }
        return PeerFacts(
            nodeID: ownFacts.nodeID,
            jurisdiction: ownFacts.jurisdiction,
            communities: directory.communities(of: ownFacts.nodeID)
        )
    }

    /// Parses, verifies and checks a page's lines on all cores (signature checks are most of a pull's work), in order.
    static func parseLines(_ lines: [LineSplitter.Line]) async -> [FeedLineOutcome] {
        func parse(_ part: ArraySlice<LineSplitter.Line>) -> [FeedLineOutcome] {
            part.compactMap { line in
                if case .text(let bytes) = line, bytes.isEmpty { return nil }
                return FeedLineOutcome(line)
            }
        }
        guard lines.count >= 64 else { return parse(lines[...]) }
        let parts = 4
        let size = (lines.count + parts - 1) / parts
        return await withTaskGroup(of: (Int, [FeedLineOutcome]).self) { group in
            for p in 0..<parts {
                let slice = lines[min(p * size, lines.count)..<min((p + 1) * size, lines.count)]
                group.addTask { (p, parse(slice)) }
            }
            var results = [[FeedLineOutcome]](repeating: [], count: parts)
            for await (p, part) in group { results[p] = part }
            return results.flatMap { $0 }
        }
    }
}
