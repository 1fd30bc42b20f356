import AsyncHTTPClient
public import ConcordAnalysis
public import ConcordCore
public import ConcordFederation
import ConcordInterop
public import ConcordStore
public import Foundation
public import Hummingbird
public import Logging
import NIOCore
public import Prometheus
import ServiceLifecycle

/// What `buildApplication` needs to run a node.
public struct NodeConfiguration: Sendable {
    /// Address to listen on.
    public var host: String
    /// Port to listen on; 0 picks a free one.
    public var port: Int
    /// The node's signing key.
    public var key: NodeKey
    /// The node's profile.
    public var profile: NodeProfile
    /// Where the records live.
    public var database: DatabaseLocation
    /// API size limits.
    public var limits: APILimits
    /// The registry served at `/metrics`.
    public var metricsRegistry: PrometheusCollectorRegistry
    /// How often each peer is pulled when no nudge arrives.
    public var pullInterval: Duration = .seconds(5)
    /// How much each peer may send this node in a day.
    public var peerQuota = PeerQuota.Limits()
    /// The largest clock difference tolerated on signed federation requests.
    public var maxClockSkew: Duration = .seconds(300)
    /// The rates that convert losses to one currency for campaigns, the landscape and the risk register.
    public var rates: ExchangeRates = ReferenceRates.usd
    /// Identifier keys (`kind:canonical`) that never link reports into campaigns, on top of the shipped list.
    public var warningList: Set<String> = []
    /// Where cross-border campaign alerts are posted, signed; nil for none.
    public var alertWebhook: URL?
    /// The smallest number of reports a landscape cell shared with peers may count.
    public var kAnonymity = 5
    /// The intervention catalogue plans choose from, costs in the base currency of `rates`; nil for the shipped one.
    public var catalogue: [Intervention]?
    /// The capability framework assessments are made against; nil for the shipped one.
    public var framework: CapabilityFramework?
    /// The scrypt cost of new and checked passwords for the pages' sign-in.
    public var passwordCost = PasswordHasher.Cost.standard
    /// The TAXII feeds file whose feeds the node pulls on their schedules; nil for none.
    public var feeds: TAXIIFeedFile?

    /// Creates a configuration; host defaults to loopback.
    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        key: NodeKey,
        profile: NodeProfile,
        database: DatabaseLocation,
        limits: APILimits = APILimits(),
        metricsRegistry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()
    ) {
        self.host = host
        self.port = port
        self.key = key
        self.profile = profile
        self.database = database
        self.limits = limits
        self.metricsRegistry = metricsRegistry
    }
}

/// Builds a node's HTTP application: opens the store, loads the check index, and wires the routes.
/// - Parameters:
///   - configuration: the node's key, profile, store and address.
///   - logger: the node's logger.
///   - onServerRunning: called with the bound port once the server listens.
/// - Throws: when the store cannot be opened or read.
public func buildApplication(
    configuration: NodeConfiguration,
    logger: Logger,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    let store = try await SQLStore.open(configuration.database, logger: logger)
    let ledger = Ledger(store: store, logger: logger)
    let started = ContinuousClock.now
    let rows: Int
    do {
        rows = try await ledger.loadIndex()
    } catch {
        await store.close()
        throw error
    }
    let elapsed = ContinuousClock.now - started
    logger.info(
        "check index loaded",
        metadata: [
            "index.rows": "\(rows)", "index.identifiers": "\(ledger.index.count)",
            "index.load_ms": "\(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)",
        ]
    )
    let metrics = NodeMetrics(registry: configuration.metricsRegistry)
    metrics.indexedIdentifiers.set(Int64(ledger.index.count))
    // Records from every path (API, peers, other processes) move the gauge, not only this node's own writes.
    ledger.observe { [index = ledger.index] _, _ in metrics.indexedIdentifiers.set(Int64(index.count)) }
    let communities = ledger.communities
    let webhook = configuration.alertWebhook.map { AlertWebhook(url: $0, key: configuration.key, logger: logger) }
    var policy = CampaignLinker.LinkPolicy()
    policy.warningList.formUnion(configuration.warningList)
    // The same list keeps known-good values (platforms, shorteners, an operator's bank switchboards) out of checks.
    ledger.index.setKnownGood(policy.warningList)
    let analysis = NodeAnalysis(
        nodeID: configuration.key.nodeID,
        rates: configuration.rates,
        policy: policy,
        store: store,
        webhook: webhook,
        k: configuration.kAnonymity,
        compute: ComputeLimit(
            concurrent: configuration.limits.concurrentComputations,
            timeLimit: configuration.limits.computeTime
        ),
        logger: logger
    )
    do {
        try await communities.follow(ledger)
        analysis.follow(ledger)
    } catch {
        await store.close()
        throw error
    }
    let sync = PeerSync(
        ledger: ledger,
        peers: store,
        client: PeerClient(http: PeerClient.makeHTTPClient(), key: configuration.key),
        ownFacts: PeerFacts(nodeID: configuration.key.nodeID, jurisdiction: configuration.profile.jurisdiction),
        communities: communities,
        logger: logger,
        interval: configuration.pullInterval,
        quota: configuration.peerQuota
    )
    let node = RunningNode(
        key: configuration.key,
        profile: configuration.profile,
        store: store,
        ledger: ledger,
        metrics: metrics,
        limits: configuration.limits,
        logger: logger,
        sync: sync,
        communities: communities,
        analysis: analysis
    )
    let catalogue: [Intervention]
    let framework: CapabilityFramework
    let scenarios: [ExerciseScenario]
    do {
        catalogue = try configuration.catalogue ?? InterventionCatalogue.shipped()
        framework = try configuration.framework ?? CapabilityFrameworkFile.shipped()
        scenarios = try ExerciseScenarioFile.shipped()
    } catch {
        await store.close()
        throw error
    }
    let verifier = RequestVerifier(peers: store, nodeID: configuration.key.nodeID, maxSkew: configuration.maxClockSkew)
    let pages: PageRenderer
    let strings: PublicStrings
    do {
        pages = try await PageRenderer.load()
        strings = try PublicStrings.load()
    } catch {
        await store.close()
        throw error
    }
    let router = buildRouter(
        node: node,
        verifier: verifier,
        catalogue: catalogue,
        framework: framework,
        scenarios: scenarios,
        pages: PageController(
            node: node,
            pages: pages,
            sessions: WebSessions(store: store, cost: configuration.passwordCost),
            catalogue: catalogue,
            framework: framework,
            scenarios: scenarios
        ),
        publicPage: PublicController(
            node: node,
            pages: pages,
            strings: strings,
            limiter: AddressRateLimiter(perMinute: configuration.limits.publicRequestsPerMinute)
        )
    )
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "concord"),
        services: [
            LedgerService(
                ledger: ledger,
                store: store,
                metrics: metrics,
                interval: .seconds(1),
                logger: logger,
                beforeClose: { await verifier.flush() }
            ),
            // Services stop in reverse order: these finish (the verifier's last nonces, the analysis's last
            // alerts stored) before the ledger service closes the store.
            verifier, sync, analysis, ExerciseDirectorService(node: node, logger: logger),
        ] + (webhook.map { [$0] } ?? [])
            + (configuration.feeds.map { [TAXIIFeedService(file: $0, node: node, logger: logger)] } ?? []),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger
    )
}

func buildRouter(
    node: RunningNode,
    verifier: RequestVerifier,
    catalogue: [Intervention],
    framework: CapabilityFramework,
    scenarios: [ExerciseScenario],
    pages: PageController,
    publicPage: PublicController
) -> Router<
    ConcordRequestContext
> {
    let router = Router(context: ConcordRequestContext.self)
    router.add(middleware: ProblemMiddleware())
    router.add(middleware: TokenAuthMiddleware(tokens: node.store, cache: TokenCache()))
    HealthController(node: node).addRoutes(to: router)
    let api = router.group("api/v1")
    NodeController(node: node).addRoutes(to: api)
    RecordController(node: node).addRoutes(to: api)
    IndicatorController(node: node).addRoutes(to: api)
    STIXController(node: node).addRoutes(to: api)
    ActionController(node: node).addRoutes(to: api)
    DisputeController(node: node).addRoutes(to: api)
    DirectoryController(node: node).addRoutes(to: api)
    LearningController(node: node, framework: framework).addRoutes(to: api)
    ExerciseController(node: node, scenarios: scenarios, framework: framework).addRoutes(to: api)
    TAXIIController(node: node).addRoutes(to: router)
    MISPController(node: node).addRoutes(api: api, router: router)
    CheckController(node: node).addRoutes(to: api)
    CommunityController(node: node).addRoutes(to: api)
    AnalysisController(node: node, analysis: node.analysis).addRoutes(to: api)
    PlanController(node: node, analysis: node.analysis, catalogue: catalogue).addRoutes(to: api)
    FederationController(node: node, verifier: verifier).addRoutes(to: router.group("federation/v1"))
    pages.addRoutes(to: router)
    publicPage.addRoutes(to: router)
    return router
}
