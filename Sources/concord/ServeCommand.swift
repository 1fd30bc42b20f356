import ArgumentParser
import ConcordCore
import ConcordFederation
import ConcordInterop
import ConcordStore
import ConcordWeb
import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the node's HTTP API.")

    @OptionGroup var node: NodeOptions
    @OptionGroup var analysis: AnalysisOptions

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one).")
    var port: Int = 8080

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Option(help: "Seconds between pulls from each peer when no nudge arrives.")
    var pullInterval: Int = 5

    @Option(help: "Feed records each peer may send in a day (UTC); past it the peer is not pulled until the day ends.")
    var peerQuotaRecords: Int = PeerQuota.Limits().recordsPerDay

    @Option(help: "Feed bytes (MiB) each peer may send in a day (UTC).")
    var peerQuotaMib: Int = PeerQuota.Limits().bytesPerDay >> 20

    @Option(help: "Largest clock difference, in seconds, tolerated on peers' signed requests.")
    var maxClockSkew: Int = 300

    @Option(help: "URL to POST each cross-border campaign alert to, signed with the node key.")
    var alertWebhook: String?

    @Option(help: "Fewest reports a landscape cell shared with peers may count (k-anonymity).")
    var kAnonymity: Int = 5

    @Option(help: "Requests each client address may make to the public page (/public) in a minute; past it, 429.")
    var publicRate: Int = APILimits().publicRequestsPerMinute

    @Option(help: "YAML capability framework for assessments (the shipped one's keys); default: the shipped one.")
    var framework: String?

    @Option(help: "YAML intervention catalogue for plans (costs in the rates' base currency); default: the shipped one.")
    var catalogue: String?

    func run() async throws {
        let (key, profile) = try node.load()
        let logger = makeLogger(level: .init(rawValue: logLevel) ?? .info)
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        guard pullInterval >= 1 else { throw ValidationError("--pull-interval must be at least 1 second") }
        guard (5...3600).contains(maxClockSkew) else { throw ValidationError("--max-clock-skew must be 5 to 3600 seconds") }
        var configuration = NodeConfiguration(
            host: host,
            port: port,
            key: key,
            profile: profile,
            database: node.database,
            metricsRegistry: registry
        )
        configuration.pullInterval = .seconds(pullInterval)
        guard publicRate >= 1 else { throw ValidationError("--public-rate must be at least 1 request a minute") }
        configuration.limits.publicRequestsPerMinute = publicRate
        configuration.maxClockSkew = .seconds(maxClockSkew)
        guard peerQuotaRecords >= 1, peerQuotaMib >= 1 else {
            throw ValidationError("--peer-quota-records and --peer-quota-mib must be at least 1")
        }
        configuration.peerQuota = PeerQuota.Limits(recordsPerDay: peerQuotaRecords, bytesPerDay: peerQuotaMib << 20)
        configuration.rates = try analysis.exchangeRates()
        configuration.warningList = try analysis.warnings()
        guard kAnonymity >= 2 else { throw ValidationError("--k-anonymity must be at least 2") }
        configuration.kAnonymity = kAnonymity
        if let catalogue {
            do {
                configuration.catalogue = try InterventionCatalogue.load(path: catalogue)
            } catch {
                throw ValidationError("\(error)")
            }
        }
        if let alertWebhook {
            guard let url = URL(string: alertWebhook), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw ValidationError("--alert-webhook \(alertWebhook) is not an http(s) URL")
            }
            configuration.alertWebhook = url
        }
        if let framework {
            do {
                configuration.framework = try CapabilityFrameworkFile.load(path: framework)
            } catch {
                throw ValidationError("\(framework): \(error)")
            }
        }
        configuration.feeds = TAXIIFeedFile(directory: node.directory.url)
        let app = try await buildApplication(configuration: configuration, logger: logger) { port in
            // Scripts and tests wait for this line to know the node is up and on which port.
            printLine("concord node \(key.nodeID) listening on http://\(host):\(port)")
        }
        try await app.runService()
    }
}
