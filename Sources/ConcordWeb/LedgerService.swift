import ConcordCore
import ConcordStore
import Foundation
import Hummingbird
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle

/// The ledger's long-running part: polls the shared store for records other processes wrote (an import beside
/// the node, another replica on PostgreSQL) and indexes them, so that checks see them within `interval`; on
/// shutdown, after the server has stopped, closes the store so that the last writes are flushed.
struct LedgerService: Service {
    let ledger: Ledger
    let store: SQLStore
    let metrics: NodeMetrics
    let interval: Duration
    let logger: Logger
    /// Runs after the server stopped and before the store closes.
    var beforeClose: @Sendable () async -> Void = {}

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: interval)
                } catch {
                    return
                }
                await follow()
            }
        }
        await beforeClose()
        await store.close()
    }

    private func follow() async {
        do {
            let added = try await ledger.catchUp()
            if added > 0 {
                metrics.indexedIdentifiers.set(Int64(ledger.index.count))
                logger.info("indexed records written by other processes", metadata: ["index.records_added": "\(added)"])
            }
        } catch {
            logger.warning(
                "could not read new records from the store; will retry",
                metadata: ["error.type": "\(type(of: error))"]
            )
        }
    }
}
