/// Realistic synthetic victim reports for demos, tests and benchmarks.
///
/// Typologies follow the mix of complaints Thailand's anti-scam centre reported in its first months (purchase
/// 44.9%, fake jobs 13.3%, investment 9.3%, loans 8.4%, extortion 6.2%, the rest spread over the other kinds);
/// losses are lognormal with mu 7.24 and sigma 2.39 in Singapore dollars, which reproduces Singapore's 2024
/// figures (median about S$1,400; cases of S$100k or more are about 3% of cases and 70% of losses). A share of
/// reports reuses identifiers from a pool of campaigns, written the way each country writes them, so that the
/// same scam number or mule account turns up across reports and borders.
public struct SyntheticReports: Sendable {
    /// How a jurisdiction writes its numbers and money.
    struct Locale: Sendable {
        let code: String
        /// The country calling code, for writing the number from abroad.
        let callingCode: String
        let currency: String
        let perSGD: Double
        /// A national-format mobile number from random digits.
        let phone: @Sendable (inout SeededRandom) -> String
        /// A national bank code and an account number, or an IBAN.
        let account: @Sendable (inout SeededRandom) -> (bank: String?, value: String)
    }

    static let locales: [Locale] = [
        Locale(
            code: "TH",
            callingCode: "66",
            currency: "THB",
            perSGD: 26.5,
            phone: { "08\($0.digits(1))-\($0.digits(3))-\($0.digits(4))" },
            account: { ("004", "\($0.digits(3))-\($0.digits(1))-\($0.digits(5))-\($0.digits(1))") }
        ),
        Locale(
            code: "MY",
            callingCode: "60",
            currency: "MYR",
            perSGD: 3.4,
            phone: { "01\($0.digits(1))-\($0.digits(3)) \($0.digits(4))" },
            account: { ("MBBEMYKL", $0.digits(12)) }
        ),
        Locale(
            code: "PH",
            callingCode: "63",
            currency: "PHP",
            perSGD: 43.0,
            phone: { "09\($0.digits(2)) \($0.digits(3)) \($0.digits(4))" },
            account: { ("BPI", $0.digits(10)) }
        ),
        Locale(
            code: "SG",
            callingCode: "65",
            currency: "SGD",
            perSGD: 1.0,
            phone: { "9\($0.digits(3)) \($0.digits(4))" },
            account: { ("7171", "\($0.digits(3))-\($0.digits(6))-\($0.digits(1))") }
        ),
        Locale(
            code: "KE",
            callingCode: "254",
            currency: "KES",
            perSGD: 96.0,
            phone: { "07\($0.digits(2)) \($0.digits(3)) \($0.digits(3))" },
            account: { ("01", $0.digits(13)) }
        ),
        Locale(
            code: "NG",
            callingCode: "234",
            currency: "NGN",
            perSGD: 1150.0,
            phone: { "080\($0.digits(1)) \($0.digits(3)) \($0.digits(4))" },
            account: { ("058", $0.digits(10)) }
        ),
        Locale(
            code: "FJ",
            callingCode: "679",
            currency: "FJD",
            perSGD: 1.7,
            phone: { "9\($0.digits(2)) \($0.digits(4))" },
            account: { ("ANZ", $0.digits(9)) }
        ),
        Locale(
            code: "AU",
            callingCode: "61",
            currency: "AUD",
            perSGD: 1.13,
            phone: { "04\($0.digits(2)) \($0.digits(3)) \($0.digits(3))" },
            account: { ("062-000", $0.digits(8)) }
        ),
        Locale(
            code: "NL",
            callingCode: "31",
            currency: "EUR",
            perSGD: 0.69,
            phone: { "06-\($0.digits(8))" },
            account: { (nil, iban(country: "NL", bban: "ABNA" + $0.digits(10))) }
        ),
        Locale(
            code: "GB",
            callingCode: "44",
            currency: "GBP",
            perSGD: 0.58,
            phone: { "07\($0.digits(3)) \($0.digits(6))" },
            account: { (nil, iban(country: "GB", bban: "WEST" + $0.digits(14))) }
        ),
    ]

    static let typologies: [(Typology, Double)] = [
        (.purchase, 44.9), (.job, 13.3), (.investment, 9.3), (.loan, 8.4), (.extortion, 6.2), (.impersonation, 7.0),
        (.romance, 4.0), (.phishing, 4.0), (.techSupport, 1.5), (.bec, 1.0), (.other, 0.4),
    ]

    static let siteWords = ["shop", "invest", "jobs", "loan", "secure", "verify", "parcel", "gold", "crypto", "deal"]
    static let tlds = ["com", "net", "top", "shop", "xyz", "online", "site", "info"]

    private var rng: SeededRandom
    /// The campaigns every generator made with the same campaign seed shares, whatever its jurisdictions.
    public let campaigns: [SyntheticCampaign]
    /// The campaigns active in each of this generator's jurisdictions, with their weights.
    private let active: [String: (indices: [Int], weights: [Double])]
    /// Jurisdictions the reports are filed in.
    public let jurisdictions: [String]
    /// The share of reports that belong to a campaign; the rest name identifiers of their own.
    public let campaignShare: Double

    /// A generator for reports filed in `jurisdictions` (default: all the locales it knows).
    /// - Parameters:
    ///   - seed: the seed of this generator's reports.
    ///   - jurisdictions: where its reports are filed.
    ///   - campaignSeed: the seed of the shared campaigns: generators with the same one (one per node of a demo
    ///     region) write reports of the same campaigns, so that they link across nodes and borders.
    ///   - campaignCount: how many campaigns there are.
    ///   - campaignShare: the share of reports that belong to a campaign.
    public init(
        seed: UInt64,
        jurisdictions: [String]? = nil,
        campaignSeed: UInt64 = 2026,
        campaignCount: Int = 60,
        campaignShare: Double = 0.35
    ) {
        rng = SeededRandom(seed: seed)
        let known = Self.locales.map(\.code)
        let chosen = (jurisdictions ?? known).filter { known.contains($0) }
        // Jurisdictions with no locale here fall back to all the known ones rather than to none.
        self.jurisdictions = chosen.isEmpty ? known : chosen
        self.campaignShare = campaignShare
        campaigns = Self.makeCampaigns(seed: campaignSeed, count: campaignCount)
        var active: [String: (indices: [Int], weights: [Double])] = [:]
        for code in self.jurisdictions {
            let here = campaigns.filter { $0.jurisdictions.contains(code) }
            // Campaign sizes are heavy-tailed: a few large campaigns, many small ones.
            active[code] = (here.map(\.index), here.map { 1.0 / Double($0.index + 1) })
        }
        self.active = active
    }

    /// The shared campaigns: each has a typology, a home country, the countries its victims are in, and the
    /// identifiers it reuses (a number from its home country, a mule account there, a site, a wallet).
    static func makeCampaigns(seed: UInt64, count: Int) -> [SyntheticCampaign] {
        var rng = SeededRandom(seed: seed)
        return (0..<count).map { index in
            let typology = typologies[rng.pick(weights: typologies.map(\.1))].0
            let home = locales[Int(rng.next() % UInt64(locales.count))]
            var countries = [home.code]
            // Most campaigns cross a border: the call centre is in one country, the victims in others.
            if rng.unit() < 0.7 {
                for _ in 0..<(1 + Int(rng.next() % 3)) {
                    let other = locales[Int(rng.next() % UInt64(locales.count))].code
                    if !countries.contains(other) { countries.append(other) }
                }
            }
            let account = home.account(&rng)
            let word = siteWords[Int(rng.next() % UInt64(siteWords.count))]
            let tld = tlds[Int(rng.next() % UInt64(tlds.count))]
            return SyntheticCampaign(
                index: index,
                typology: typology,
                home: home.code,
                jurisdictions: countries,
                phone: home.phone(&rng),
                account: account,
                site: "https://\(word)-\(rng.digits(5)).\(tld)/login",
                wallet: rng.unit() < 0.4 ? "0x" + (0..<40).map { _ in String(rng.next() % 16, radix: 16) }.joined() : nil
            )
        }
    }

    /// The next report, as the JSON input of `POST /api/v1/reports`.
    public mutating func next() -> JSONValue {
        nextWithTruth().report
    }

    /// The next report and the index of the campaign it belongs to (nil for a report of its own), so that a
    /// demo can measure how well reports are linked.
    public mutating func nextWithTruth() -> (report: JSONValue, campaign: Int?) {
        let jurisdiction = jurisdictions[Int(rng.next() % UInt64(jurisdictions.count))]
        let locale = Self.locales.first { $0.code == jurisdiction } ?? Self.locales[0]
        var campaign: SyntheticCampaign?
        if let pool = active[jurisdiction], !pool.indices.isEmpty, rng.unit() < campaignShare {
            campaign = campaigns[pool.indices[rng.pick(weights: pool.weights)]]
        }
        let typology = campaign?.typology ?? Self.typologies[rng.pick(weights: Self.typologies.map(\.1))].0
        let lossSGD = rng.lognormal(mu: 7.24, sigma: 2.39)
        let amount = (lossSGD * locale.perSGD * 100).rounded() / 100
        var identifiers: [JSONValue] = []
        if let campaign {
            identifiers = campaignIdentifiers(campaign, writtenIn: locale)
        } else {
            identifiers.append(
                .object(["kind": .string("phone"), "value": .string(locale.phone(&rng)), "role": .string("contact")])
            )
            let account = locale.account(&rng)
            identifiers.append(accountItem(account, home: locale, writtenIn: locale))
            if rng.unit() < 0.5 {
                let word = Self.siteWords[Int(rng.next() % UInt64(Self.siteWords.count))]
                identifiers.append(
                    .object([
                        "kind": .string("url"), "value": .string("http://\(word)\(rng.digits(7)).com/"),
                        "role": .string("website"),
                    ])
                )
            }
        }
        let day = 1 + Int(rng.next() % 28)
        let month = 1 + Int(rng.next() % 10)
        let report: JSONValue = .object([
            "typology": .string(typology.rawValue),
            "jurisdiction": .string(jurisdiction),
            "occurred_at": .string("2026-\(month < 10 ? "0" : "")\(month)-\(day < 10 ? "0" : "")\(day)"),
            "loss": .object(["amount": .double(amount), "currency": .string(locale.currency)]),
            "victims": .integer(1),
            "narrative": .string("Synthetic \(typology.rawValue) report for testing."),
            "identifiers": .array(identifiers),
            "tlp": .string("green"),
        ])
        return (report, campaign?.index)
    }

    /// A campaign's identifiers as one victim in `locale` reports them: always its contact number (in national
    /// form at home, international form abroad), often its mule account (with its country), sometimes its site
    /// or wallet. Every report of a campaign thus shares at least the number with the others, so that each
    /// seeded campaign can be linked in principle; how well it is linked is then the linker's and the network's
    /// doing, not luck in the data.
    private mutating func campaignIdentifiers(_ campaign: SyntheticCampaign, writtenIn locale: Locale) -> [JSONValue] {
        guard let home = Self.locales.first(where: { $0.code == campaign.home }) else { return [] }
        var chosen: [JSONValue] = [
            .object([
                "kind": .string("phone"),
                "value": .string(locale.code == home.code ? campaign.phone : Self.international(campaign.phone, home)),
                "role": .string("contact"),
            ])
        ]
        if rng.unit() < 0.6 {
            chosen.append(accountItem((campaign.account.bank, campaign.account.value), home: home, writtenIn: locale))
        }
        if rng.unit() < 0.3 {
            chosen.append(.object(["kind": .string("url"), "value": .string(campaign.site), "role": .string("website")]))
        }
        if let wallet = campaign.wallet, rng.unit() < 0.3 {
            chosen.append(
                .object([
                    "kind": .string("wallet"), "value": .string(wallet), "chain": .string("ethereum"), "role": .string("payment"),
                ])
            )
        }
        return chosen
    }

    private func accountItem(_ account: (bank: String?, value: String), home: Locale, writtenIn locale: Locale) -> JSONValue {
        var item: [String: JSONValue] = [
            "kind": .string("bank_account"), "value": .string(account.value), "role": .string("payment"),
        ]
        if let bank = account.bank { item["bank"] = .string(bank) }
        if home.code != locale.code { item["region"] = .string(home.code) }
        return .object(item)
    }

    /// A national number written from abroad: `+CC` and the number without its trunk 0.
    static func international(_ national: String, _ home: Locale) -> String {
        var digits = national.filter(\.isNumber)
        if digits.hasPrefix("0") { digits.removeFirst() }
        return "+\(home.callingCode) \(digits)"
    }
}

/// A scam campaign of the synthetic data: what ties its reports together.
public struct SyntheticCampaign: Sendable, Hashable {
    public let index: Int
    public let typology: Typology
    /// The country its numbers and accounts belong to.
    public let home: String
    /// The countries its victims report from.
    public let jurisdictions: [String]
    let phone: String
    let account: AccountText
    let site: String
    let wallet: String?

    struct AccountText: Sendable, Hashable {
        let bank: String?
        let value: String
    }

    init(
        index: Int,
        typology: Typology,
        home: String,
        jurisdictions: [String],
        phone: String,
        account: (bank: String?, value: String),
        site: String,
        wallet: String?
    ) {
        self.index = index
        self.typology = typology
        self.home = home
        self.jurisdictions = jurisdictions
        self.phone = phone
        self.account = AccountText(bank: account.bank, value: account.value)
        self.site = site
        self.wallet = wallet
    }
}

/// An IBAN with its check digits computed (ISO 13616: mod 97 of the rearranged digits).
func iban(country: String, bban: String) -> String {
    let rearranged = bban + country + "00"
    var remainder = 0
    for ch in rearranged.unicodeScalars {
        let v = ch.value
        let digits: [Int] =
            (48...57).contains(v) ? [Int(v - 48)] : (65...90).contains(v) ? [Int(v - 55) / 10, Int(v - 55) % 10] : []
        for d in digits { remainder = (remainder * 10 + d) % 97 }
    }
    let check = 98 - remainder
    return country + (check < 10 ? "0" : "") + String(check) + bban
}
