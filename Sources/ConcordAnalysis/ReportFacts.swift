public import ConcordCore

/// What the analysis needs to know about one report, read from a signed report record by the store layer.
///
/// Analysis code never sees records, SQL or HTTP: the node turns each report it holds into one of these.
public struct ReportFacts: Sendable, Hashable {
    /// The report record's id (64 hex digits).
    public let id: String
    /// The node id of the organisation that wrote the report.
    public let origin: String
    /// ISO 3166-1 alpha-2 code of the jurisdiction the report was filed in.
    public let jurisdiction: String
    public let typology: Typology
    /// The reported loss, in the currency the victim lost it in; nil when none was reported.
    public let loss: Money?
    /// How many victims the report covers (1 unless the report says otherwise).
    public let victims: Int
    /// When the scam happened if the report says, otherwise when the report was written.
    public let occurredAt: Timestamp
    /// The identifiers the report names, as keys `kind:canonical` (for example `phone:+66812345678`,
    /// `bank_account:TH:014:1234567890`, `domain:scam-shop.example`), without duplicates.
    public let identifiers: [String]
    /// When the report was written (its record's creation time), which decides which published aggregate of
    /// its origin it can be in.
    public let filed: Timestamp

    public init(
        id: String,
        origin: String,
        jurisdiction: String,
        typology: Typology,
        loss: Money?,
        victims: Int = 1,
        occurredAt: Timestamp,
        identifiers: [String],
        filed: Timestamp? = nil
    ) {
        self.id = id
        self.origin = origin
        self.jurisdiction = jurisdiction
        self.typology = typology
        self.loss = loss
        self.victims = victims
        self.occurredAt = occurredAt
        self.identifiers = identifiers
        self.filed = filed ?? occurredAt
    }
}

/// Converts amounts to one currency with rates an operator supplies.
public struct ExchangeRates: Sendable, Hashable {
    /// The currency every amount is converted to (ISO 4217).
    public let base: String
    /// How many units of `base` one major unit of each currency is worth. `base` itself is 1.
    public let rates: [String: Double]

    public init(base: String, rates: [String: Double]) {
        self.base = base
        var all = rates
        all[base] = 1
        self.rates = all
    }

    /// `money` in the base currency, or nil when no rate is known for its currency.
    public func convert(_ money: Money) -> Double? {
        guard let rate = rates[money.currency] else { return nil }
        return money.majorUnits * rate
    }
}
