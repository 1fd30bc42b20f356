public import ConcordCore

/// What learning exchanges were followed by: the stage change of each participant in each factor worked on, and
/// a programme view of exchanges by funder, region and factor.
public enum ExchangeEffects {
    /// One assessment as this computation needs it.
    public struct Snapshot: Sendable, Equatable {
        public let origin: String
        public let created: Timestamp
        /// The exchange the assessment says it follows, if any.
        public let follows: String?
        public let stages: [String: Int]

        public init(origin: String, created: Timestamp, follows: String?, stages: [String: Int]) {
            self.origin = origin
            self.created = created
            self.follows = follows
            self.stages = stages
        }
    }

    /// One participant's stage in one factor before and after an exchange.
    public struct Change: Sendable, Equatable {
        public let participant: String
        public let factor: String
        /// From the participant's latest assessment made before the exchange began.
        public let before: Int?
        /// From the first assessment that names the exchange in `follows`, else the first made after it ended.
        public let after: Int?

        /// `after - before` when both are known.
        public var change: Int? { before.flatMap { b in after.map { $0 - b } } }
    }

    /// The stage changes an exchange was followed by, participant by participant, factor by factor.
    public static func changes(
        exchange id: String,
        participants: [String],
        factors: [String],
        start: Timestamp,
        end: Timestamp,
        assessments: [Snapshot]
    ) -> [Change] {
        var out: [Change] = []
        for participant in participants {
            let own = assessments.filter { $0.origin == participant }.sorted { $0.created < $1.created }
            let before = own.last { $0.created < start }
            // After must come after before: an assessment that names the exchange but was made before it began
            // says nothing of what followed.
            let later = own.filter { a in before.map { a.created > $0.created } ?? true }
            let after = later.first { $0.follows == id } ?? later.first { $0.created > end && $0.follows == nil }
            for factor in factors {
                out.append(
                    Change(participant: participant, factor: factor, before: before?.stages[factor], after: after?.stages[factor])
                )
            }
        }
        return out
    }

    /// One row of the programme view.
    public struct ProgrammeRow: Sendable, Equatable {
        /// The funder, region or factor.
        public let key: String
        public let exchanges: Int
        /// Participant-factor pairs with a stage before and after.
        public let measured: Int
        /// Their mean stage change, nil when none is measured.
        public let meanChange: Double?

        public init(key: String, exchanges: Int, measured: Int, meanChange: Double?) {
            self.key = key
            self.exchanges = exchanges
            self.measured = measured
            self.meanChange = meanChange
        }
    }

    /// An exchange as the programme view needs it.
    public struct Summary: Sendable, Equatable {
        public let funder: String?
        public let region: String?
        public let factors: [String]
        public let changes: [Change]

        public init(funder: String?, region: String?, factors: [String], changes: [Change]) {
            self.funder = funder
            self.region = region
            self.factors = factors
            self.changes = changes
        }
    }

    /// How the programme view groups exchanges.
    public enum Grouping: String, CaseIterable, Sendable {
        case funder
        case region
        case factor
    }

    /// Exchanges grouped by funder, region or each factor worked on, with the mean stage change measured in the
    /// group (by factor, only that factor's changes); rows by key. Exchanges without a funder or region are
    /// grouped under "unspecified".
    public static func programme(_ exchanges: [Summary], by grouping: Grouping) -> [ProgrammeRow] {
        var groups: [String: (count: Int, changes: [Int])] = [:]
        for exchange in exchanges {
            let keys: [String]
            switch grouping {
            case .funder: keys = [exchange.funder ?? "unspecified"]
            case .region: keys = [exchange.region ?? "unspecified"]
            case .factor: keys = exchange.factors
            }
            for key in keys {
                var group = groups[key] ?? (0, [])
                group.count += 1
                let relevant = grouping == .factor ? exchange.changes.filter { $0.factor == key } : exchange.changes
                group.changes += relevant.compactMap(\.change)
                groups[key] = group
            }
        }
        return groups.keys.sorted().map { key in
            let g = groups[key] ?? (0, [])
            return ProgrammeRow(
                key: key,
                exchanges: g.count,
                measured: g.changes.count,
                meanChange: g.changes.isEmpty ? nil : Double(g.changes.reduce(0, +)) / Double(g.changes.count)
            )
        }
    }
}
