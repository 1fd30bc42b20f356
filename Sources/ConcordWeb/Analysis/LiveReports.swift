public import ConcordAnalysis
import ConcordCore
public import ConcordStore

/// Every live (not retracted, not exercise) report in `store`, as the analysis reads it.
public func liveReports(in store: any RecordStore) async throws -> [ReportFacts] {
    var out: [ReportFacts] = []
    try await store.forEachPage(of: .report) { page in
        out += page.compactMap { $0.retractedBy == nil ? ReportFacts(record: $0.record) : nil }
    }
    return out
}
