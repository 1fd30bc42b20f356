import ConcordCore
import ConcordStore
import Foundation
import Hummingbird
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle

/// Polls the shared store for records other processes wrote (an import beside the node, another replica
/// on PostgreSQL) and indexes them, so that checks see them within `interval`.
struct LogFollower: Service {
    let ledger: Ledger
    let metrics: NodeMetrics
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
            do {
                let added = try await ledger.catchUp()
                if added > 0 {
                    metrics.indexedIdentifiers.set(Int64(ledger.index.count))
                    logger.info("indexed records written by other processes", metadata: ["index.records_added": "\(added)"])
                }
            } catch {
                logger.warning("could not read new records from the store; will retry", metadata: ["error.type": "\(type(of: error))"])
            }
        }
    }
}
