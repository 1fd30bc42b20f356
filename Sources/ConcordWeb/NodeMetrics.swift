import ConcordCore
import ConcordStore
import Foundation
import Hummingbird
import Logging
import NIOCore
import Prometheus

/// The node's own counters and gauges, registered on one Prometheus registry and served at `/metrics`.
struct NodeMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    let recordsWritten: Counter
    let indicatorLinesRejected: Counter
    let checks: Counter
    let checksFlagged: Counter
    let indexedIdentifiers: Gauge

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        recordsWritten = registry.makeCounter(name: "concord_records_written_total", help: "Records signed and stored by this node.")
        indicatorLinesRejected = registry.makeCounter(
            name: "concord_indicator_lines_rejected_total", help: "Bulk import lines rejected with a problem.")
        checks = registry.makeCounter(name: "concord_checks_total", help: "Identifiers checked.")
        checksFlagged = registry.makeCounter(name: "concord_checks_flagged_total", help: "Checked identifiers found flagged.")
        indexedIdentifiers = registry.makeGauge(
            name: "concord_index_identifiers", help: "Distinct identifiers in the in-memory check index.")
    }
}
