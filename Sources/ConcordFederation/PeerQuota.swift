public import ConcordCore
import Synchronization

/// How much each peer may send this node in a day, counted in feed lines and bytes as they are read. A peer past
/// either limit is not pulled again until the day (UTC) ends, so that one peer, hostile or broken, cannot fill the
/// store or hold the node's cores. Counts live in memory: a restart starts the day's counts afresh.
public final class PeerQuota: Sendable {
    /// The daily limits.
    public struct Limits: Sendable, Equatable {
        /// Feed lines (records) a peer may send in a day.
        public var recordsPerDay: Int
        /// Feed bytes a peer may send in a day.
        public var bytesPerDay: Int

        /// Limits far above what a national node sends in a day (about a million reports a year), yet a bound.
        public init(recordsPerDay: Int = 5_000_000, bytesPerDay: Int = 8 << 30) {
            self.recordsPerDay = recordsPerDay
            self.bytesPerDay = bytesPerDay
        }
    }

    struct Usage {
        var day: Int64
        var records = 0
        var bytes = 0
        var reported = false
    }

    /// The limits in force.
    public let limits: Limits
    private let usage = Mutex([String: Usage]())
    private let today: @Sendable () -> Int64

    /// Creates a quota; `today` (days since 1970, UTC) is for tests.
    public init(limits: Limits, today: @escaping @Sendable () -> Int64 = { Timestamp.now().milliseconds / 86_400_000 }) {
        self.limits = limits
        self.today = today
    }

    /// Counts what `peer` just sent.
    public func charge(_ peer: String, records: Int, bytes: Int) {
        let day = today()
        usage.withLock { all in
            var entry = all[peer].flatMap { $0.day == day ? $0 : nil } ?? Usage(day: day)
            entry.records += records
            entry.bytes += bytes
            all[peer] = entry
        }
    }

    /// Nil while `peer` is within its limits; otherwise what it used today, and whether this is the first time
    /// the limit is reported today (so that it is logged once, not at every tick).
    public func exhausted(_ peer: String) -> (records: Int, bytes: Int, first: Bool)? {
        let day = today()
        return usage.withLock { all in
            guard var entry = all[peer], entry.day == day,
                entry.records >= limits.recordsPerDay || entry.bytes >= limits.bytesPerDay
            else { return nil }
            let first = !entry.reported
            entry.reported = true
            all[peer] = entry
            return (entry.records, entry.bytes, first)
        }
    }
}
