import AsyncHTTPClient
import ConcordCore
import ConcordFederation
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// Posts each alert to a URL the operator configured, signed with the node's key like a federation request
/// (RFC 9421, `tag` = `concord-alert`), so that the receiver can check it came from this node.
///
/// Alerts wait in a bounded queue (the oldest are dropped, and counted, when the receiver is down for long);
/// each is tried up to four times with growing pauses.
final class AlertWebhook: Service, Sendable {
    let url: URL
    let client: PeerClient
    let logger: Logger
    private let queue: AsyncStream<JSONValue>
    private let queueInput: AsyncStream<JSONValue>.Continuation

    /// The signature tag of alert deliveries.
    static let tag = "concord-alert"

    init(url: URL, key: NodeKey, logger: Logger) {
        self.url = url
        self.client = PeerClient(http: PeerClient.makeHTTPClient(), key: key, timeout: .seconds(5))
        self.logger = logger
        (queue, queueInput) = AsyncStream.makeStream(of: JSONValue.self, bufferingPolicy: .bufferingNewest(10_000))
    }

    /// Queues an alert for delivery.
    func post(_ alert: JSONValue) {
        if case .dropped = queueInput.yield(alert) {
            logger.warning("alert webhook queue full: the oldest alert was dropped")
        }
    }

    func run() async throws {
        let host = url.host ?? "127.0.0.1"
        let base = "\(url.scheme ?? "http")://\(host.contains(":") ? "[\(host)]" : host)\(url.port.map { ":\($0)" } ?? "")"
        let path = url.path.isEmpty ? "/" : url.path
        let query = url.query
        await withGracefulShutdownHandler {
            for await alert in queue {
                let body = Array(alert.canonicalData)
                var delay = Duration.milliseconds(500)
                for attempt in 1...4 {
                    do {
                        let answer = try await client.send(
                            .POST,
                            base: base,
                            path: path,
                            query: query,
                            body: body,
                            target: Self.tag
                        )
                        if (200..<300).contains(answer.status) { break }
                        logger.warning(
                            "alert webhook refused an alert",
                            metadata: ["http.status": "\(answer.status)", "attempt": "\(attempt)"]
                        )
                    } catch {
                        logger.warning("alert webhook unreachable", metadata: ["error": "\(error)", "attempt": "\(attempt)"])
                    }
                    if attempt == 4 { break }
                    try? await Task.sleep(for: delay)
                    delay *= 2
                }
            }
        } onGracefulShutdown: {
            self.queueInput.finish()
        }
        try? await client.http.shutdown()
    }
}
