public import ConcordAnalysis
public import ConcordCore
import ConcordInterop
public import ConcordStore
import Foundation

/// Which records a STIX export takes.
public struct STIXExportFilter: Sendable {
    /// Only records written by this node id.
    public var origin: String?
    /// Only records written at or after this time.
    public var since: Timestamp?
    /// Which kinds: indicators and reports; retractions always travel as `revoked`.
    public var kinds: Set<RecordKind> = [.indicator, .report]
    /// Whether campaigns are written.
    public var campaigns = true

    /// Creates the filter that takes everything.
    public init() {}
}

/// Writes the records of a store as one STIX 2.1 bundle, page by page: indicators, then reports (with the
/// sightings of the indicators they name), then campaigns. Memory grows with the number of indicators (their
/// ids, for sightings), not with the bundle.
public enum STIXBundleExport {
    /// Writes the bundle to `sink` in pieces of about 1 MiB.
    /// - Parameters:
    ///   - store: the records.
    ///   - exporter: the exporting node's id.
    ///   - names: organisation names by node id.
    ///   - campaigns: the campaigns of the store's reports.
    ///   - filter: which records.
    ///   - sink: receives the bytes.
    /// - Returns: how many objects the bundle holds.
    @discardableResult
    public static func write(
        store: any RecordStore,
        exporter: String,
        names: [String: String],
        campaigns: [Campaign],
        filter: STIXExportFilter,
        sink: ([UInt8]) async throws -> Void
    ) async throws -> Int {
        var retractions: [String: STIXExporter.Retraction] = [:]
        try await store.forEachPage(of: .retraction) { page in
            for stored in page {
                let created = stored.record.created
                retractions[stored.record.id] = .init(created: created, reason: stored.record.body["reason"]?.stringValue ?? "")
            }
        }
        let withCampaigns = filter.campaigns && filter.origin == nil && filter.since == nil
        var writer = STIXBundleWriter()
        var out = writer.opening(named: exporter + "|" + Timestamp.now().rfc3339)
        var exporter = STIXExporter(exporter: exporter, names: names, campaigns: withCampaigns ? campaigns : [])
        writer.append(exporter.preamble(), to: &out)
        for kind in [RecordKind.indicator, .report] where filter.kinds.contains(kind) {
            var query = RecordQuery(after: 0, limit: 2000, kind: kind, origin: filter.origin)
            query.checkSignatures = false
            while true {
                let page = try await store.records(query)
                for stored in page where !stored.record.exercise {
                    if let since = filter.since, stored.record.created < since { continue }
                    let retraction = stored.retractedBy.flatMap { retractions[$0] }
                    writer.append(exporter.objects(for: stored.record, retraction: retraction), to: &out)
                    if out.count >= 1 << 20 {
                        try await sink(out)
                        out.removeAll(keepingCapacity: true)
                    }
                }
                guard let last = page.last, page.count == query.limit else { break }
                query.after = last.sequence
            }
        }
        if withCampaigns && filter.kinds.contains(.report) {
            for campaign in campaigns { writer.append(exporter.objects(for: campaign), to: &out) }
        }
        out += writer.closing()
        try await sink(out)
        return writer.objectCount
    }
}
