public import ConcordCore

/// A group of reports linked by the identifiers they share: one scam operation as the network sees it.
///
/// Campaigns are read from a `CampaignLinker`; a campaign is a snapshot and does not change when
/// more reports arrive.
public struct Campaign: Sendable, Hashable {
    /// How many reports of one typology a campaign holds.
    public struct TypologyCount: Sendable, Hashable {
        /// The typology.
        public let typology: Typology
        /// How many of the campaign's reports are filed under it.
        public let reports: Int

        /// Creates a count of `reports` reports filed under `typology`.
        public init(typology: Typology, reports: Int) {
            self.typology = typology
            self.reports = reports
        }
    }

    /// `c-` and 16 hex digits, derived from the campaign's earliest report (see `CampaignLinker`).
    ///
    /// The same reports give the same id on every node. The id changes when a report that happened
    /// earlier than all others joins the campaign, or when two campaigns merge (the merged one takes
    /// the id of the one with the earlier first report).
    public let id: String
    /// The ids of the campaign's reports, earliest first (ties by report id).
    public let reports: [String]
    /// ISO 3166-1 alpha-2 codes of the jurisdictions the reports were filed in, sorted.
    public let jurisdictions: [String]
    /// The identifiers the reports name, most reported first (ties by key), with those that do not
    /// link (warning-listed or too common) included and marked.
    public let identifiers: [CampaignIdentifier]
    /// Reports per typology, most reports first (ties in the order of `Typology.allCases`).
    public let typologies: [TypologyCount]
    /// The reported losses summed per currency, sorted by currency code.
    public let losses: [Money]
    /// The number of victims the reports cover.
    public let victims: Int
    /// When the earliest report's scam happened.
    public let firstSeen: Timestamp
    /// When the latest report's scam happened.
    public let lastSeen: Timestamp
    /// Reports in the 30 days before the time the campaign was read, against the 30 days before that.
    public let growth: CampaignGrowth
    /// Node ids of the organisations that filed the reports, sorted.
    public let origins: [String]
    /// How many of the reports each origin filed.
    public let reportsByOrigin: [String: Int]

    /// Creates a campaign; `CampaignLinker` is the usual source.
    public init(
        id: String,
        reports: [String],
        jurisdictions: [String],
        identifiers: [CampaignIdentifier],
        typologies: [TypologyCount],
        losses: [Money],
        victims: Int,
        firstSeen: Timestamp,
        lastSeen: Timestamp,
        growth: CampaignGrowth,
        origins: [String],
        reportsByOrigin: [String: Int] = [:]
    ) {
        self.id = id
        self.reports = reports
        self.jurisdictions = jurisdictions
        self.identifiers = identifiers
        self.typologies = typologies
        self.losses = losses
        self.victims = victims
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.growth = growth
        self.origins = origins
        self.reportsByOrigin = reportsByOrigin
    }

    /// The number of reports in the campaign.
    public var reportCount: Int { reports.count }

    /// Whether the campaign spans two or more jurisdictions.
    public var crossBorder: Bool { jurisdictions.count >= 2 }

    /// The losses converted to the rates' base currency and summed.
    ///
    /// - Parameter rates: the exchange rates to convert with.
    /// - Returns: the total in `rates.base`, and the losses in currencies the rates do not cover,
    ///   which are left out of the total rather than guessed.
    public func totalLoss(in rates: ExchangeRates) -> (amount: Double, unconverted: [Money]) {
        var amount = 0.0
        var unconverted: [Money] = []
        for money in losses {
            if let converted = rates.convert(money) {
                amount += converted
            } else {
                unconverted.append(money)
            }
        }
        return (amount, unconverted)
    }
}

/// One identifier as it appears in a campaign.
public struct CampaignIdentifier: Sendable, Hashable {
    /// The key, `kind:canonical` (for example `phone:+66812345678`).
    public let key: String
    /// The kind: the part of the key before the first `:`.
    public let kind: String
    /// How many of the campaign's reports name it.
    public let reports: Int
    /// How many reports the linker holds that name it, in this campaign or any other.
    public let reportsOverall: Int
    /// Whether it links reports: false when it is on the warning list or judged too common to link
    /// (a hub such as a payment gateway, shown so analysts see it but not used to join reports).
    public let linking: Bool

    /// Creates a campaign identifier; `kind` is taken from `key`.
    public init(key: String, reports: Int, reportsOverall: Int, linking: Bool) {
        self.key = key
        if let colon = key.firstIndex(of: ":") {
            self.kind = String(key[..<colon])
        } else {
            self.kind = key
        }
        self.reports = reports
        self.reportsOverall = reportsOverall
        self.linking = linking
    }
}

/// Whether a campaign is growing: its reports in the last 30 days against the 30 days before.
public struct CampaignGrowth: Sendable, Hashable {
    /// Length of each window in days.
    public static let windowDays = 30

    /// Reports whose scam happened in the 30 days up to the reading time (after `now - 30 days`, up to `now`).
    public let recent: Int
    /// Reports whose scam happened in the 30 days before that.
    public let previous: Int

    /// Creates a growth figure from the two window counts.
    public init(recent: Int, previous: Int) {
        self.recent = recent
        self.previous = previous
    }

    /// `recent / previous`, or nil when the earlier window is empty (a new or revived campaign).
    public var ratio: Double? {
        previous > 0 ? Double(recent) / Double(previous) : nil
    }
}
