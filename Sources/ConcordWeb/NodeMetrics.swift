import Prometheus

/// The node's own counters and gauges, registered on one Prometheus registry and served at `/metrics`.
struct NodeMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    let recordsWritten: Counter
    let indicatorLinesRejected: Counter
    let checks: Counter
    let checksFlagged: Counter
    let indexedIdentifiers: Gauge
    let publicLimited: Counter

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        func counter(_ name: String, _ help: String) -> Counter {
            registry.makeCounter(
                descriptor: MetricNameDescriptor(namespace: "concord", metricName: name, unitName: "total", helpText: help)
            )
        }
        recordsWritten = counter("records_written", "Records signed and stored by this node.")
        indicatorLinesRejected = counter("indicator_lines_rejected", "Bulk import lines rejected with a problem.")
        checks = counter("checks", "Identifiers checked.")
        checksFlagged = counter("checks_flagged", "Checked identifiers found flagged.")
        publicLimited = counter("public_rate_limited", "Requests to the public page refused for their address's rate limit.")
        indexedIdentifiers = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "concord",
                metricName: "index",
                unitName: "identifiers",
                helpText: "Distinct identifiers in the in-memory check index."
            )
        )
    }
}
