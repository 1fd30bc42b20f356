import ArgumentParser
import ConcordCore
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

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one).")
    var port: Int = 8080

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func run() async throws {
        let (key, profile) = try node.load()
        let logger = makeLogger(level: .init(rawValue: logLevel) ?? .info)
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let configuration = NodeConfiguration(
            host: host,
            port: port,
            key: key,
            profile: profile,
            database: node.database,
            metricsRegistry: registry
        )
        let app = try await buildApplication(configuration: configuration, logger: logger) { port in
            // Scripts and tests wait for this line to know the node is up and on which port.
            printLine("concord node \(key.nodeID) listening on http://\(host):\(port)")
        }
        try await app.runService()
    }
}
