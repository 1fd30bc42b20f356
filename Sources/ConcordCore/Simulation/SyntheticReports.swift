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
            currency: "THB",
            perSGD: 26.5,
            phone: { "08\($0.digits(1))-\($0.digits(3))-\($0.digits(4))" },
            account: { ("004", "\($0.digits(3))-\($0.digits(1))-\($0.digits(5))-\($0.digits(1))") }
        ),
        Locale(
            code: "MY",
            currency: "MYR",
            perSGD: 3.4,
            phone: { "01\($0.digits(1))-\($0.digits(3)) \($0.digits(4))" },
            account: { ("MBBEMYKL", $0.digits(12)) }
        ),
        Locale(
            code: "PH",
            currency: "PHP",
            perSGD: 43.0,
            phone: { "09\($0.digits(2)) \($0.digits(3)) \($0.digits(4))" },
            account: { ("BPI", $0.digits(10)) }
        ),
        Locale(
            code: "SG",
            currency: "SGD",
            perSGD: 1.0,
            phone: { "9\($0.digits(3)) \($0.digits(4))" },
            account: { ("7171", "\($0.digits(3))-\($0.digits(6))-\($0.digits(1))") }
        ),
        Locale(
            code: "KE",
            currency: "KES",
            perSGD: 96.0,
            phone: { "07\($0.digits(2)) \($0.digits(3)) \($0.digits(3))" },
            account: { ("01", $0.digits(13)) }
        ),
        Locale(
            code: "NG",
            currency: "NGN",
            perSGD: 1150.0,
            phone: { "080\($0.digits(1)) \($0.digits(3)) \($0.digits(4))" },
            account: { ("058", $0.digits(10)) }
        ),
        Locale(
            code: "FJ",
            currency: "FJD",
            perSGD: 1.7,
            phone: { "9\($0.digits(2)) \($0.digits(4))" },
            account: { ("ANZ", $0.digits(9)) }
        ),
        Locale(
            code: "AU",
            currency: "AUD",
            perSGD: 1.13,
            phone: { "04\($0.digits(2)) \($0.digits(3)) \($0.digits(3))" },
            account: { ("062-000", $0.digits(8)) }
        ),
        Locale(
            code: "NL",
            currency: "EUR",
            perSGD: 0.69,
            phone: { "06-\($0.digits(8))" },
            account: { _ in (nil, "NL91 ABNA 0417 1643 00") }
        ),
        Locale(
            code: "GB",
            currency: "GBP",
            perSGD: 0.58,
            phone: { "07\($0.digits(3)) \($0.digits(6))" },
            account: { _ in (nil, "GB82 WEST 1234 5698 7654 32") }
        ),
    ]

    static let typologies: [(Typology, Double)] = [
        (.purchase, 44.9), (.job, 13.3), (.investment, 9.3), (.loan, 8.4), (.extortion, 6.2), (.impersonation, 7.0),
        (.romance, 4.0), (.phishing, 4.0), (.techSupport, 1.5), (.bec, 1.0), (.other, 0.4),
    ]

    static let siteWords = ["shop", "invest", "jobs", "loan", "secure", "verify", "parcel", "gold", "crypto", "deal"]
    static let tlds = ["com", "net", "top", "shop", "xyz", "online", "site", "info"]

    private var rng: SeededRandom
    private var campaignPool: [[String: JSONValue]] = []
    /// Jurisdictions the reports are filed in.
    public let jurisdictions: [String]

    /// A generator for reports filed in `jurisdictions` (default: all the locales it knows).
    public init(seed: UInt64, jurisdictions: [String]? = nil) {
        rng = SeededRandom(seed: seed)
        let known = Self.locales.map(\.code)
        let chosen = (jurisdictions ?? known).filter { known.contains($0) }
        // Jurisdictions with no locale here fall back to all the known ones rather than to none.
        self.jurisdictions = chosen.isEmpty ? known : chosen
        for _ in 0..<40 { campaignPool.append(makeCampaignIdentifier()) }
    }

    private mutating func makeCampaignIdentifier() -> [String: JSONValue] {
        switch rng.next() % 3 {
        case 0:
            let word = Self.siteWords[Int(rng.next() % UInt64(Self.siteWords.count))]
            let tld = Self.tlds[Int(rng.next() % UInt64(Self.tlds.count))]
            return ["kind": .string("url"), "value": .string("https://\(word)-\(rng.digits(4)).\(tld)/login")]
        case 1:
            return ["kind": .string("phone"), "value": .string("+66 8\(rng.digits(1)) \(rng.digits(3)) \(rng.digits(4))")]
        default:
            return [
                "kind": .string("wallet"),
                "value": .string("0x" + (0..<40).map { _ in String(rng.next() % 16, radix: 16) }.joined()),
            ]
        }
    }

    /// The next report, as the JSON input of `POST /api/v1/reports`.
    public mutating func next() -> JSONValue {
        let jurisdiction = jurisdictions[Int(rng.next() % UInt64(jurisdictions.count))]
        let locale = Self.locales.first { $0.code == jurisdiction } ?? Self.locales[0]
        let typology = Self.typologies[rng.pick(weights: Self.typologies.map(\.1))].0
        let lossSGD = rng.lognormal(mu: 7.24, sigma: 2.39)
        let amount = (lossSGD * locale.perSGD * 100).rounded() / 100
        var identifiers: [JSONValue] = [
            .object(["kind": .string("phone"), "value": .string(locale.phone(&rng)), "role": .string("contact")])
        ]
        let account = locale.account(&rng)
        var accountItem: [String: JSONValue] = [
            "kind": .string("bank_account"), "value": .string(account.value), "role": .string("payment"),
        ]
        if let bank = account.bank { accountItem["bank"] = .string(bank) }
        identifiers.append(.object(accountItem))
        if rng.unit() < 0.5 {
            let word = Self.siteWords[Int(rng.next() % UInt64(Self.siteWords.count))]
            identifiers.append(
                .object([
                    "kind": .string("url"), "value": .string("http://\(word)\(rng.digits(5)).com/"), "role": .string("website"),
                ])
            )
        }
        if rng.unit() < 0.3 {
            identifiers.append(.object(campaignPool[Int(rng.next() % UInt64(campaignPool.count))]))
        }
        let day = 1 + Int(rng.next() % 28)
        let month = 1 + Int(rng.next() % 10)
        return .object([
            "typology": .string(typology.rawValue),
            "jurisdiction": .string(jurisdiction),
            "occurred_at": .string("2026-\(month < 10 ? "0" : "")\(month)-\(day < 10 ? "0" : "")\(day)"),
            "loss": .object(["amount": .double(amount), "currency": .string(locale.currency)]),
            "victims": .integer(1),
            "narrative": .string("Synthetic \(typology.rawValue) report for testing."),
            "identifiers": .array(identifiers),
            "tlp": .string("green"),
        ])
    }
}
