import ConcordAnalysis
import ConcordCore
import ConcordFederation
import ConcordStore
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// One cross-border alert: a report of this node's joined a campaign that spans another jurisdiction, or a
/// report from elsewhere joined a campaign holding this node's reports and brought in a new jurisdiction.
struct CampaignAlert: Sendable {
    let sequence: Int
    let raised: Timestamp
    let campaignID: String
    let jurisdictions: [String]
    let newJurisdictions: [String]
    /// The report whose arrival raised the alert, with where and when it was written.
    let reportID: String
    let reportJurisdiction: String
    let reportCreated: Timestamp
    let reportIsOwn: Bool
    let campaignReports: Int
    let ownReports: Int

    var json: JSONValue {
        .object([
            "sequence": .integer(Int64(sequence)),
            "raised": .string(raised.rfc3339),
            "campaign_id": .string(campaignID),
            "jurisdictions": .array(jurisdictions.map(JSONValue.string)),
            "new_jurisdictions": .array(newJurisdictions.map(JSONValue.string)),
            "report_id": .string(reportID),
            "report_jurisdiction": .string(reportJurisdiction),
            "report_created": .string(reportCreated.rfc3339),
            "report_is_own": .bool(reportIsOwn),
            "campaign_reports": .integer(Int64(campaignReports)),
            "own_reports": .integer(Int64(ownReports)),
        ])
    }
}

extension CampaignAlert {
    /// Reads an alert back from its stored JSON.
    init?(json: JSONValue) {
        func strings(_ key: String) -> [String] { json[key]?.arrayValue?.compactMap(\.stringValue) ?? [] }
        guard let sequence = json["sequence"]?.integerValue,
            let raised = json["raised"]?.stringValue.flatMap(Timestamp.init(rfc3339:)),
            let campaignID = json["campaign_id"]?.stringValue, let reportID = json["report_id"]?.stringValue,
            let created = json["report_created"]?.stringValue.flatMap(Timestamp.init(rfc3339:))
        else { return nil }
        self.sequence = Int(sequence)
        self.raised = raised
        self.campaignID = campaignID
        self.jurisdictions = strings("jurisdictions")
        self.newJurisdictions = strings("new_jurisdictions")
        self.reportID = reportID
        self.reportJurisdiction = json["report_jurisdiction"]?.stringValue ?? ""
        self.reportCreated = created
        self.reportIsOwn = json["report_is_own"] == .bool(true)
        self.campaignReports = Int(json["campaign_reports"]?.integerValue ?? 0)
        self.ownReports = Int(json["own_reports"]?.integerValue ?? 0)
    }
}

/// The node's live analysis: campaigns linked as reports arrive from any path, cross-border alerts, and the
/// landscape of the reports it holds. Built from the store at start, then kept current by the ledger.
final class NodeAnalysis: Service, Sendable {
    struct State: Sendable {
        var linker: CampaignLinker
        /// Landscapes of the reports held, by origin node (this node's own under its id).
        var byOrigin: [String: Landscape] = [:]
        var loaded = false
        /// Records that arrived while the stored reports were being read, taken in once they all are, so that
        /// alerts are judged against the whole history.
        var arrivedDuringLoad: [(records: [Record], withdrawn: Set<String>)] = []
        var landscapesStale = false
        /// Reports taken in while the landscapes are being recounted, to add if the recount missed them.
        var takenDuringRecount: [ReportFacts]?
        var alerts: [CampaignAlert] = []
        var nextAlert = 1
    }

    let nodeID: String
    let rates: ExchangeRates
    let store: SQLStore
    let logger: Logger
    let webhook: AlertWebhook?
    /// The most alerts kept in memory for the API.
    let alertCapacity = 10_000
    /// The smallest number of reports a cell of the aggregate shared with peers may count.
    let k: Int
    private let state: Mutex<State>
    /// Peers' shared aggregates, fetched at most once a minute each.
    private let peerCache = Mutex([String: (fetched: ContinuousClock.Instant, aggregate: SharedLandscape?)]())
    /// The last risk register, by its parameters, reused for a minute.
    private let riskCache = Mutex<(key: String, at: ContinuousClock.Instant, estimates: [RiskEstimate])?>(nil)
    /// The aggregate published to peers, with the day (since 1970, UTC) it was computed on.
    private let publishedLandscape = Mutex<(day: Int64, aggregate: SharedLandscape)?>(nil)
    /// The limits heavy computations (risk registers, plans) run under.
    let compute: ComputeLimit
    /// Alerts raised and not yet stored, in order; `run()` stores them.
    private let alertsToSave: AsyncStream<[CampaignAlert]>
    private let alertSaver: AsyncStream<[CampaignAlert]>.Continuation

    init(
        nodeID: String,
        rates: ExchangeRates,
        policy: CampaignLinker.LinkPolicy,
        store: SQLStore,
        webhook: AlertWebhook?,
        k: Int = 5,
        compute: ComputeLimit = ComputeLimit(),
        logger: Logger
    ) {
        self.compute = compute
        (alertsToSave, alertSaver) = AsyncStream.makeStream(of: [CampaignAlert].self)
        self.k = k
        self.nodeID = nodeID
        self.rates = rates
        self.store = store
        self.webhook = webhook
        self.logger = logger
        state = Mutex(State(linker: CampaignLinker(policy: policy)))
    }

    /// Starts following the ledger; call before `load()` so that nothing written meanwhile is missed.
    func follow(_ ledger: Ledger) {
        ledger.observe { [self] records, withdrawn in take(records, withdrawn: withdrawn) }
    }

    /// Reads every live report already stored, then takes in what the ledger delivered meanwhile (a report both
    /// read and delivered is linked once: the linker drops a report it already holds, and the landscape counts
    /// only what the linker newly added). The node serves checks while this runs; campaigns answer 503 until
    /// it is done.
    func load() async throws {
        var count = 0
        // Only what was stored before now: anything later is also delivered by the ledger (the node follows
        // it before loading), and must go through `take` so that it can raise alerts.
        let through = try await store.lastSequence()
        try await store.forEachPage(of: .report) { page in
            let facts = page.compactMap {
                $0.sequence <= through && $0.retractedBy == nil ? ReportFacts(record: $0.record) : nil
            }
            state.withLock { s in
                for report in facts where s.linker.add(report).status == .added {
                    s.byOrigin[report.origin, default: Landscape(rates: rates)].add(report)
                }
            }
            count += facts.count
        }
        // Alerts raised before a restart stay listed, and numbering goes on after them.
        let kept = try await store.recentAlerts(limit: alertCapacity).compactMap(CampaignAlert.init(json:))
        let waiting = state.withLock { s in
            if s.linker.needsRebuild { s.linker.rebuild() }
            s.alerts = kept
            s.nextAlert = (kept.last?.sequence ?? 0) + 1
            s.loaded = true
            defer { s.arrivedDuringLoad = [] }
            return s.arrivedDuringLoad
        }
        for batch in waiting { take(batch.records, withdrawn: batch.withdrawn) }
        logger.info("campaigns linked from stored reports", metadata: ["analysis.reports": "\(count)"])
    }

    /// Links newly stored records and raises alerts.
    func take(_ records: [Record], withdrawn: Set<String> = []) {
        var raised: [CampaignAlert] = []
        state.withLock { s in
            guard s.loaded else {
                s.arrivedDuringLoad.append((records, withdrawn))
                return
            }
            let now = Timestamp.now()
            // One alert per campaign per batch: a bulk import of many reports into one campaign raises one.
            var alerted = Set<String>()
            for record in records {
                if let target = record.retractedRecordID {
                    // Only a live retraction by the report's own origin withdraws it (the linker checks the
                    // origin); the landscapes are recounted from the store, which applies the same rule.
                    guard !record.exercise else { continue }
                    let before = s.linker.reportCount
                    s.linker.retract(reportID: target, by: record.origin)
                    if s.linker.reportCount != before { s.landscapesStale = true }
                    continue
                }
                // A report whose retraction came first never joins a campaign.
                guard !withdrawn.contains(record.id), let report = ReportFacts(record: record) else { continue }
                let outcome = s.linker.add(report)
                guard outcome.status == .added else { continue }
                s.byOrigin[report.origin, default: Landscape(rates: rates)].add(report)
                s.takenDuringRecount?.append(report)
                guard s.loaded, outcome.jurisdictions.count >= 2, let id = outcome.campaignID else { continue }
                let isOwn = report.origin == nodeID
                // A foreign report matters here when it widened a campaign holding this node's reports; this
                // node's own report matters whenever it lands in a campaign that crosses a border.
                guard isOwn || !outcome.newJurisdictions.isEmpty else { continue }
                guard !alerted.contains(id), let campaign = s.linker.campaign(id: id, now: now) else { continue }
                alerted.insert(id)
                let own = campaign.reportsByOrigin[nodeID] ?? 0
                guard own > 0 else { continue }
                let alert = CampaignAlert(
                    sequence: s.nextAlert,
                    raised: now,
                    campaignID: campaign.id,
                    jurisdictions: campaign.jurisdictions,
                    newJurisdictions: outcome.newJurisdictions,
                    reportID: report.id,
                    reportJurisdiction: report.jurisdiction,
                    reportCreated: record.created,
                    reportIsOwn: isOwn,
                    campaignReports: campaign.reportCount,
                    ownReports: own
                )
                s.nextAlert += 1
                s.alerts.append(alert)
                if s.alerts.count > alertCapacity { s.alerts.removeFirst(s.alerts.count - alertCapacity) }
                raised.append(alert)
            }
        }
        if !raised.isEmpty { alertSaver.yield(raised) }
        for alert in raised {
            logger.info(
                "cross-border campaign alert",
                metadata: [
                    "campaign.id": "\(alert.campaignID)",
                    "campaign.jurisdictions": "\(alert.jurisdictions.joined(separator: ","))",
                ]
            )
            webhook?.post(alert.json)
        }
    }

    /// Stores raised alerts in the order they were raised, until the stream ends at shutdown and is drained.
    private func saveAlerts() async {
        for await batch in alertsToSave {
            for alert in batch {
                do {
                    try await store.saveAlert(sequence: alert.sequence, raised: alert.raised, body: alert.json)
                } catch {
                    logger.warning("could not store an alert", metadata: ["error.type": "\(type(of: error))"])
                }
            }
        }
    }

    /// Reads the stored reports, then rebuilds what a retraction or a hub identifier made stale, at most once a
    /// second; stores alerts as they are raised, and the last of them before it returns at shutdown.
    func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.saveAlerts() }
            await analyse()
            alertSaver.finish()
        }
    }

    private func analyse() async {
        // The stored reports are read here, after the server has started, so that checks do not wait for them.
        var delay = Duration.seconds(1)
        while !isLoaded && !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await load()
            } catch {
                logger.warning("could not read the stored reports; will retry", metadata: ["error.type": "\(type(of: error))"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(60))
            }
        }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: .seconds(1))
                } catch {
                    return
                }
                let (rebuildLinks, rebuildLandscapes) = self.state.withLock { s in
                    (s.loaded && s.linker.needsRebuild, s.loaded && s.landscapesStale)
                }
                if rebuildLinks {
                    self.state.withLock { $0.linker.rebuild() }
                }
                if rebuildLandscapes {
                    await self.rebuildLandscapes()
                }
            }
        }
    }

    /// Recounts the landscapes from the store, leaving out retracted reports.
    private func rebuildLandscapes() async {
        do {
            state.withLock {
                $0.landscapesStale = false
                $0.takenDuringRecount = []
            }
            var fresh: [String: Landscape] = [:]
            var counted = Set<String>()
            try await store.forEachPage(of: .report) { page in
                for stored in page where stored.retractedBy == nil {
                    if let report = ReportFacts(record: stored.record) {
                        fresh[report.origin, default: Landscape(rates: rates)].add(report)
                        counted.insert(report.id)
                    }
                }
            }
            state.withLock { s in
                // Reports stored after the scan passed their place in the log are added now.
                for report in s.takenDuringRecount ?? [] where !counted.contains(report.id) {
                    fresh[report.origin, default: Landscape(rates: rates)].add(report)
                }
                s.takenDuringRecount = nil
                s.byOrigin = fresh
            }
        } catch {
            state.withLock {
                $0.landscapesStale = true
                $0.takenDuringRecount = nil
            }
            logger.warning("could not recount the landscape; will retry", metadata: ["error.type": "\(type(of: error))"])
        }
    }

    // MARK: Reading

    var isLoaded: Bool { state.withLock { $0.loaded } }

    func campaigns(
        minimumReports: Int,
        crossBorderOnly: Bool,
        limit: Int
    ) -> (campaigns: [Campaign], linked: Int, common: [String]) {
        state.withLock { s in
            let now = Timestamp.now()
            let all = s.linker.campaigns(minimumReports: minimumReports, crossBorderOnly: crossBorderOnly, limit: limit, now: now)
            return (all, s.linker.reportCount, s.linker.commonIdentifiers)
        }
    }

    func campaign(id: String) -> Campaign? {
        state.withLock { $0.linker.campaign(id: id, now: .now()) }
    }

    func campaign(containingReport id: String) -> Campaign? {
        state.withLock { $0.linker.campaign(containingReport: id, now: .now()) }
    }

    func alerts(after: Int, limit: Int) -> [CampaignAlert] {
        state.withLock { s in Array(s.alerts.lazy.filter { $0.sequence > after }.prefix(limit)) }
    }

    /// This node's own landscape.
    var ownLandscape: Landscape {
        state.withLock { $0.byOrigin[nodeID] } ?? Landscape(rates: rates)
    }

    /// The landscapes of reports held from other origins, by origin.
    var heldLandscapes: [String: Landscape] {
        state.withLock { s in s.byOrigin.filter { $0.key != nodeID } }
    }

    /// Every live report held, for the risk register.
    func heldReports() async throws -> [ReportFacts] {
        try await liveReports(in: store)
    }

    /// The k-anonymous aggregate of this node's own reports for closed months, as served to peers: computed
    /// once a day (its content changes only when a month's cutoff passes), and only once the stored reports are
    /// read.
    /// - Throws: a 503 problem until the node has read its stored reports.
    func sharedLandscape() async throws -> SharedLandscape {
        guard isLoaded else { throw Problem.notReady("the node is still reading its stored reports") }
        let now = Timestamp.now()
        let day = now.milliseconds / 86_400_000
        if let cached = publishedLandscape.withLock({ $0 }), cached.day == day { return cached.aggregate }
        let (reports, withdrawn) = try await ownReportsForPublication()
        let aggregate = Landscape.published(
            from: reports,
            withdrawn: withdrawn,
            origin: nodeID,
            rates: rates,
            k: k,
            now: now
        )
        publishedLandscape.withLock { $0 = (day, aggregate) }
        return aggregate
    }

    /// This node's own reports, withdrawn ones included, with when each withdrawn one was retracted: a closed
    /// month is published as it stood at its cutoff, so a later retraction must not change it.
    private func ownReportsForPublication() async throws -> ([ReportFacts], withdrawn: [String: Timestamp]) {
        var reports: [ReportFacts] = []
        var retractions: [(report: String, retraction: String)] = []
        let origin = nodeID
        try await store.forEachPage(of: .report) { page in
            for stored in page where stored.record.origin == origin {
                guard let report = ReportFacts(record: stored.record) else { continue }
                reports.append(report)
                if let retraction = stored.retractedBy { retractions.append((report.id, retraction)) }
            }
        }
        var withdrawn: [String: Timestamp] = [:]
        for (report, retraction) in retractions {
            // A retraction always precedes its effect in the store; were it missing, the report counts as
            // withdrawn from the start.
            withdrawn[report] = try await store.record(id: retraction)?.record.created ?? Timestamp(milliseconds: 0)
        }
        return (reports, withdrawn)
    }

    /// The aggregates `peers` share, fetched (signed) with `client`, each at most once a minute; a peer that
    /// does not answer within three seconds, or answers badly, is left out.
    func peerAggregates(peers: [Peer], client: PeerClient?) async -> [String: SharedLandscape] {
        guard let client else { return [:] }
        let now = ContinuousClock.now
        let due = peerCache.withLock { cache in
            peers.filter { peer in cache[peer.nodeID].map { now - $0.fetched > .seconds(60) } ?? true }
        }
        let quick = PeerClient(http: client.http, key: client.key, timeout: .seconds(3))
        await withTaskGroup(of: (String, SharedLandscape?).self) { group in
            for peer in due {
                group.addTask {
                    do {
                        let answer = try await quick.send(
                            .GET,
                            base: peer.url,
                            path: "/federation/v1/landscape",
                            target: peer.nodeID,
                            maxBytes: 16 << 20
                        )
                        guard answer.status == 200 else { return (peer.nodeID, nil) }
                        return (peer.nodeID, try JSONDecoder().decode(SharedLandscape.self, from: Data(answer.body)))
                    } catch {
                        return (peer.nodeID, nil)
                    }
                }
            }
            for await (id, aggregate) in group {
                if aggregate == nil {
                    logger.info("no landscape aggregate from a peer", metadata: ["peer.node_id": "\(id)"])
                }
                peerCache.withLock { $0[id] = (now, aggregate) }
            }
        }
        return peerCache.withLock { cache in
            var out: [String: SharedLandscape] = [:]
            for peer in peers { if let a = cache[peer.nodeID]?.aggregate { out[peer.nodeID] = a } }
            return out
        }
    }

    /// The risk register of the reports this node holds, reused for a minute for the same parameters.
    func risks(asOf: String, trials: Int, seed: UInt64) async throws -> [RiskEstimate] {
        let key = "\(asOf)/\(trials)/\(seed)"
        if let cached = riskCache.withLock({ $0 }), cached.key == key, ContinuousClock.now - cached.at < .seconds(60) {
            return cached.estimates
        }
        let reports = try await heldReports()
        let rates = self.rates
        let estimates: [RiskEstimate]
        do {
            estimates = try await compute.run("risk register") {
                let estimates = try await RiskRegister.register(
                    from: reports,
                    rates: rates,
                    asOf: asOf,
                    trials: trials,
                    seed: seed,
                    parts: ProcessInfo.processInfo.activeProcessorCount
                )
                // Simulations stopped by the time limit return early: what they made is not kept.
                try Task.checkCancellation()
                return estimates
            }
        } catch let error as RiskRegisterError {
            throw Problem.invalid(pointer: "/as_of", "\(error)")
        }
        riskCache.withLock { $0 = (key, .now, estimates) }
        return estimates
    }
}
