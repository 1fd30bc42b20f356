/// An amount of money in minor units of an ISO 4217 currency (or a common crypto asset).
public struct Money: Sendable, Hashable {
    /// The amount in minor units (cents, satang, ...).
    public let minorUnits: Int64
    /// The currency code, upper case.
    public let currency: String

    /// Creates an amount of `minorUnits` of `currency`.
    public init(minorUnits: Int64, currency: String) {
        self.minorUnits = minorUnits
        self.currency = currency
    }

    /// The number of decimal places of `currency`, or nil when it is not a known code.
    public static func exponent(of currency: String) -> Int? {
        if let e = special[currency] { return e }
        return isoTwoDecimal.contains(currency) ? 2 : nil
    }

    /// The decimal text with the currency's number of places, e.g. `1389.50`.
    public var decimalText: String {
        let e = Money.exponent(of: currency) ?? 2
        let negative = minorUnits < 0
        let magnitude = minorUnits.magnitude
        var scale: UInt64 = 1
        for _ in 0..<e { scale *= 10 }
        let whole = String(magnitude / scale)
        guard e > 0 else { return (negative ? "-" : "") + whole }
        var fraction = String(magnitude % scale)
        while fraction.count < e { fraction = "0" + fraction }
        return (negative ? "-" : "") + whole + "." + fraction
    }

    /// The amount as a floating-point number of major units, for aggregates.
    public var majorUnits: Double {
        var scale = 1.0
        for _ in 0..<(Money.exponent(of: currency) ?? 2) { scale *= 10 }
        return Double(minorUnits) / scale
    }

    /// The largest amount accepted, in minor units: 10^17, a thousand trillion dollars or a billion bitcoin.
    /// Far above any real loss, and low enough that sums of many amounts stay exact in 64 bits and finite in doubles.
    public static let maximumMinorUnits: Int64 = 100_000_000_000_000_000

    /// Reads an amount given as a JSON number or a decimal string (no thousands separators).
    /// - Returns: nil when the text is not a non-negative amount with at most the currency's decimals, or when it
    ///   is above `maximumMinorUnits`.
    public static func parse(amount: JSONValue, currency code: String) -> Money? {
        let currency = code.uppercased()
        guard let e = exponent(of: currency) else { return nil }
        let text: String
        switch amount {
        case .integer(let i): text = String(i)
        case .double(let d):
            guard d.isFinite, d >= 0, d < 1e15 else { return nil }
            var scale = 1.0
            for _ in 0..<e { scale *= 10 }
            // A number with more decimals than the currency has is refused, as the same amount in a string is.
            let scaled = d * scale
            guard abs(scaled - scaled.rounded()) <= 1e-6 * max(1, scaled) else { return nil }
            // Compared as a double before converting: a scaled amount past Int64 would trap in the conversion.
            guard scaled.rounded() <= Double(maximumMinorUnits) else { return nil }
            return Money(minorUnits: Int64(scaled.rounded()), currency: currency)
        case .string(let s): text = s.trimmingWhitespace()
        default: return nil
        }
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let wholePart = parts.first, !wholePart.isEmpty, wholePart.count <= 15,
            wholePart.allSatisfy({ $0.isASCII && $0.isNumber })
        else { return nil }
        var fraction = parts.count == 2 ? String(parts[1]) : ""
        guard fraction.count <= e, fraction.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        if parts.count == 2 && fraction.isEmpty { return nil }
        while fraction.count < e { fraction += "0" }
        guard let value = Int64(String(wholePart) + fraction), value <= maximumMinorUnits else { return nil }
        return Money(minorUnits: value, currency: currency)
    }

    private static let special: [String: Int] = [
        "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0, "RWF": 0,
        "UGX": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
        "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
        // Crypto assets scams are paid in, with the precision kept for reporting.
        "BTC": 8, "ETH": 8, "USDT": 6, "USDC": 6,
    ]

    private static let isoTwoDecimal: Set<String> = Set(
        """
        AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF \
        CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL \
        HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP \
        MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD \
        SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS \
        VES WST XCD XCG YER ZAR ZMW ZWG
        """.split(separator: " ").map(String.init)
    )
}
