public import ConcordAnalysis
public import Foundation

/// Exchange rates a node uses until its operator supplies its own (`concord serve --rates FILE`).
public enum ReferenceRates {
    /// US dollars per unit of the currencies of the regions Concord starts in: rounded mid-2025 market rates,
    /// good enough to compare losses across countries, not for accounting.
    public static let usd = ExchangeRates(
        base: "USD",
        rates: [
            "AUD": 0.65, "BND": 0.78, "CNY": 0.14, "EUR": 1.15, "FJD": 0.44, "GBP": 1.35, "GHS": 0.095,
            "HKD": 0.127, "IDR": 0.000061, "INR": 0.0116, "JPY": 0.0068, "KES": 0.0077, "KHR": 0.00025,
            "LAK": 0.000046, "MMK": 0.00048, "MYR": 0.236, "NGN": 0.00065, "NZD": 0.60, "PGK": 0.24,
            "PHP": 0.0177, "SGD": 0.78, "THB": 0.0307, "TWD": 0.034, "VND": 0.000038, "WST": 0.36,
            "ZAR": 0.056,
        ]
    )

    /// Reads rates from JSON `{"base": "USD", "rates": {"THB": 0.0307, ...}}` (units of base per unit).
    /// - Throws: a message naming the bad field.
    public static func parse(_ data: Data) throws(RatesError) -> ExchangeRates {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw RatesError("the rates file is not a JSON object")
        }
        guard let base = object["base"] as? String, base.count == 3, base == base.uppercased() else {
            throw RatesError("/base: expected a currency code such as USD")
        }
        guard let table = object["rates"] as? [String: Any] else { throw RatesError("/rates: expected an object") }
        var rates: [String: Double] = [:]
        for (code, value) in table {
            guard code.count == 3, code == code.uppercased() else { throw RatesError("/rates/\(code): not a currency code") }
            guard let number = value as? NSNumber, number.doubleValue.isFinite, number.doubleValue > 0 else {
                throw RatesError("/rates/\(code): expected a positive number")
            }
            rates[code] = number.doubleValue
        }
        return ExchangeRates(base: base, rates: rates)
    }

    /// Why a rates file was refused.
    public struct RatesError: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }
}
