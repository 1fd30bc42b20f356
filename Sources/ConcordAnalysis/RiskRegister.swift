public import ConcordCore
import Foundation

/// What the risk register knows about one jurisdiction and typology, and the scores it derives from that.
///
/// The figures are those a programme manager needs to see why a risk ranks where it does: how many reports,
/// whether they are growing, how the losses are spread, how vulnerable the jurisdiction is.
///
/// Scores, each from 1 to 5:
/// - likelihood, from the expected reports a year (`annualFrequency`): 1 under 12 (about one a month),
///   2 from 12, 3 from 120, 4 from 1,200, 5 from 12,000;
/// - impact, from the median loss (`exp(lossMu)`) against the median of the reference distribution
///   (`exp(priorMu)`), so that the bands mean the same in any base currency: 1 under a fifth of the
///   reference median, 2 from a fifth, 3 from half, 4 from twice, 5 from five times.
public struct RiskInputs: Sendable, Hashable, Codable {
    /// ISO 3166-1 alpha-2 code.
    public let jurisdiction: String
    /// The typology.
    public let typology: Typology
    /// The last month counted, `YYYY-MM`.
    public let asOf: String
    /// The currency of every amount.
    public let baseCurrency: String
    /// Reports in the 12 months up to and including `asOf`.
    public let reportsLastYear: Int
    /// Reports in the last 3 months up to `asOf`.
    public let recentReports: Int
    /// Reports in the 3 months before those.
    public let previousReports: Int
    /// `recentReports` over `previousReports`, clipped to `growthRange`; 1 when the two together are fewer than
    /// `minimumReportsForGrowth`.
    public let growth: Double
    /// How exposed the jurisdiction is, as a multiplier on frequency. 1.0 is neutral: the value used until a
    /// capability assessment gives a better one.
    public let vulnerability: Double
    /// Whether `vulnerability` came from a capability assessment (false: the neutral default).
    public let vulnerabilityAssessed: Bool
    /// Expected reports a year, lambda = `reportsLastYear` x `growth` x `vulnerability`.
    public let annualFrequency: Double
    /// How many positive converted losses the fit used.
    public let lossSamples: Int
    /// The mean of the log losses, nil without any loss.
    public let sampleMu: Double?
    /// The standard deviation of the log losses, nil with fewer than two.
    public let sampleSigma: Double?
    /// The reference distribution's log mean (in the base currency).
    public let priorMu: Double
    /// The reference distribution's log standard deviation.
    public let priorSigma: Double
    /// The weight of the sample against the reference, n / (n + 10).
    public let sampleWeight: Double
    /// The log mean of the lognormal loss per report used in the simulation.
    public let lossMu: Double
    /// The log standard deviation of the lognormal loss per report used in the simulation.
    public let lossSigma: Double
    /// The sum of the converted losses reported in the 12 months.
    public let observedLoss: Double
    /// Likelihood score, 1 to 5 (see the type's description).
    public let likelihood: Int
    /// Impact score, 1 to 5 (see the type's description).
    public let impact: Int

    /// The clip range of `growth`.
    public static let growthRange: ClosedRange<Double> = 0.5...3
    /// The fewest reports over the last 6 months for growth to be measured rather than taken as 1.
    public static let minimumReportsForGrowth = 10
    /// How many losses the reference distribution counts as: the sample's weight is n / (n + this).
    public static let priorStrength = 10.0
    /// The vulnerability used when no capability assessment gives one.
    public static let neutralVulnerability = 1.0
    /// The annual frequencies at which the likelihood score steps up to 2, 3, 4 and 5.
    public static let likelihoodBands: [Double] = [12, 120, 1_200, 12_000]
    /// The ratios of median loss to the reference median at which the impact score steps up to 2, 3, 4 and 5.
    public static let impactBands: [Double] = [0.2, 0.5, 2, 5]

    /// Derives growth, frequency, the loss distribution and the scores from the counts and the log-loss sample.
    ///
    /// The lognormal is shrunk toward the reference: with n losses, mu is n/(n+10) of the sample's log mean and
    /// the rest of the prior's, and sigma likewise (with fewer than two losses the sample has no spread of its
    /// own, so the prior's sigma stands for it).
    /// - Parameters:
    ///   - lossSamples: how many positive losses the sample has.
    ///   - sampleMu: their mean log; nil without any.
    ///   - sampleSigma: their log standard deviation; nil with fewer than two.
    ///   - observedLoss: the sum of the losses reported, for display.
    ///   - prior: the reference lognormal in the base currency (see `RiskRegister.referencePrior(in:)`).
    ///   - vulnerability: from a capability assessment; nil for the neutral 1.0.
    public init(
        jurisdiction: String,
        typology: Typology,
        asOf: String,
        baseCurrency: String,
        reportsLastYear: Int,
        recentReports: Int,
        previousReports: Int,
        lossSamples: Int = 0,
        sampleMu: Double? = nil,
        sampleSigma: Double? = nil,
        observedLoss: Double = 0,
        prior: (mu: Double, sigma: Double),
        vulnerability: Double? = nil
    ) {
        self.jurisdiction = jurisdiction
        self.typology = typology
        self.asOf = asOf
        self.baseCurrency = baseCurrency
        self.reportsLastYear = max(reportsLastYear, 0)
        self.recentReports = max(recentReports, 0)
        self.previousReports = max(previousReports, 0)
        growth = Self.growthFactor(recent: recentReports, previous: previousReports)
        let v = vulnerability.flatMap { $0.isFinite && $0 >= 0 ? $0 : nil }
        self.vulnerability = v ?? Self.neutralVulnerability
        vulnerabilityAssessed = v != nil
        annualFrequency = Double(self.reportsLastYear) * growth * self.vulnerability
        let n = max(lossSamples, 0)
        let mean = n > 0 ? sampleMu.flatMap { $0.isFinite ? $0 : nil } : nil
        let spread = n > 1 ? sampleSigma.flatMap { $0.isFinite && $0 >= 0 ? $0 : nil } : nil
        self.lossSamples = n
        self.sampleMu = mean
        self.sampleSigma = spread
        priorMu = prior.mu
        priorSigma = prior.sigma
        let weight = mean == nil ? 0 : Double(n) / (Double(n) + Self.priorStrength)
        sampleWeight = weight
        lossMu = weight * (mean ?? prior.mu) + (1 - weight) * prior.mu
        lossSigma = weight * (spread ?? prior.sigma) + (1 - weight) * prior.sigma
        self.observedLoss = observedLoss
        likelihood = Self.score(annualFrequency, bands: Self.likelihoodBands)
        impact = Self.score(exp(lossMu - prior.mu), bands: Self.impactBands)
    }

    /// The median loss per report, `exp(lossMu)`.
    public var medianLoss: Double { exp(lossMu) }

    /// The mean loss per report, `exp(lossMu + lossSigma² / 2)`.
    public var meanLoss: Double { exp(lossMu + lossSigma * lossSigma / 2) }

    /// The growth factor: recent over previous reports (a previous count of zero taken as one), clipped to
    /// `growthRange`, or 1 when there are fewer than `minimumReportsForGrowth` reports in the two windows.
    public static func growthFactor(recent: Int, previous: Int) -> Double {
        guard recent >= 0, previous >= 0, recent + previous >= minimumReportsForGrowth else { return 1 }
        let ratio = Double(recent) / Double(max(previous, 1))
        return min(max(ratio, growthRange.lowerBound), growthRange.upperBound)
    }

    /// 1 plus the number of `bands` that `value` reaches.
    static func score(_ value: Double, bands: [Double]) -> Int {
        guard !value.isNaN else { return 1 }
        return 1 + bands.filter { value >= $0 }.count
    }

    enum CodingKeys: String, CodingKey {
        case jurisdiction, typology
        case asOf = "as_of"
        case baseCurrency = "base_currency"
        case reportsLastYear = "reports_last_year"
        case recentReports = "recent_reports"
        case previousReports = "previous_reports"
        case growth, vulnerability
        case vulnerabilityAssessed = "vulnerability_assessed"
        case annualFrequency = "annual_frequency"
        case lossSamples = "loss_samples"
        case sampleMu = "sample_mu"
        case sampleSigma = "sample_sigma"
        case priorMu = "prior_mu"
        case priorSigma = "prior_sigma"
        case sampleWeight = "sample_weight"
        case lossMu = "loss_mu"
        case lossSigma = "loss_sigma"
        case observedLoss = "observed_loss"
        case likelihood, impact
    }
}

/// What is wrong with the arguments of `RiskRegister.inputs`.
public enum RiskRegisterError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The month is not written `YYYY-MM`.
    case invalidMonth(String)
    /// The prior's mu is not finite or its sigma is not a finite number of zero or more.
    case invalidPrior(mu: Double, sigma: Double)
    /// A vulnerability is not a finite number of zero or more.
    case invalidVulnerability(key: String, value: Double)

    /// The problem, for a person.
    public var description: String {
        switch self {
        case .invalidMonth(let text): "\"\(text)\" is not a month written YYYY-MM"
        case .invalidPrior(let mu, let sigma):
            "the reference loss distribution (mu \(mu), sigma \(sigma)) needs a finite mu and a sigma of zero or more"
        case .invalidVulnerability(let key, let value):
            "the vulnerability of \(key) is \(value); it must be a finite number of zero or more"
        }
    }
}

/// The quantified risk register: per jurisdiction and typology, a likelihood, an impact and a Monte Carlo
/// estimate of the annual loss, ranked by expected annual loss.
public enum RiskRegister {
    /// The reference loss distribution in Singapore dollars: Singapore's 2024 reported scam losses (median about
    /// S$1,389, cases of S$100k or more 3.3% of cases and 70.8% of losses) are reproduced by this lognormal.
    public static let singaporePrior: (mu: Double, sigma: Double) = (mu: 7.24, sigma: 2.39)

    /// `singaporePrior` moved to `rates.base` (mu plus the log of the rate; sigma unchanged), or nil when
    /// `rates` has no usable rate for SGD.
    public static func referencePrior(in rates: ExchangeRates) -> (mu: Double, sigma: Double)? {
        guard let rate = rates.rates["SGD"], rate.isFinite, rate > 0 else { return nil }
        return (mu: singaporePrior.mu + log(rate), sigma: singaporePrior.sigma)
    }

    /// The risk inputs of every jurisdiction and typology with a report in the 12 months up to `asOf`.
    ///
    /// Reports dated after `asOf` are left out, so a register can be recomputed for any past month. The loss
    /// fit uses the positive losses of those 12 months that convert to `rates.base`.
    /// - Parameters:
    ///   - reports: the reports, in any order.
    ///   - rates: converts losses to one currency.
    ///   - asOf: the last month counted, `YYYY-MM`.
    ///   - prior: the reference lognormal in `rates.base`; `referencePrior(in:)` gives Singapore's.
    ///   - vulnerability: multipliers from capability assessments, keyed `JJ/typology` (e.g. `TH/job`) or by
    ///     jurisdiction alone (`TH`); the first found applies, otherwise the neutral 1.0.
    /// - Returns: inputs ordered by jurisdiction, then typology.
    /// - Throws: `RiskRegisterError` for a malformed month, prior or vulnerability.
    public static func inputs(
        from reports: some Sequence<ReportFacts>,
        rates: ExchangeRates,
        asOf: String,
        prior: (mu: Double, sigma: Double),
        vulnerability: [String: Double] = [:]
    ) throws(RiskRegisterError) -> [RiskInputs] {
        guard let end = Landscape.Month.index(asOf) else { throw RiskRegisterError.invalidMonth(asOf) }
        guard prior.mu.isFinite, prior.sigma.isFinite, prior.sigma >= 0 else {
            throw RiskRegisterError.invalidPrior(mu: prior.mu, sigma: prior.sigma)
        }
        for (key, value) in vulnerability.sorted(by: { $0.key < $1.key }) where !(value.isFinite && value >= 0) {
            throw RiskRegisterError.invalidVulnerability(key: key, value: value)
        }
        var tallies: [Landscape.PairKey: Accumulator] = [:]
        for report in reports {
            guard let month = Landscape.Month.index(of: report.occurredAt) else { continue }
            let age = end - month
            guard age >= 0, age < 12 else { continue }
            var loss: Double?
            if let money = report.loss, let value = rates.convert(money), value.isFinite, value > 0 { loss = value }
            let key = Landscape.PairKey(jurisdiction: report.jurisdiction, typology: report.typology)
            tallies[key, default: Accumulator()].add(age: age, loss: loss)
        }
        var result: [RiskInputs] = []
        result.reserveCapacity(tallies.count)
        for (key, tally) in tallies {
            let months = tally.months
            let assessed =
                vulnerability[key.jurisdiction + "/" + key.typology.rawValue] ?? vulnerability[key.jurisdiction]
            result.append(
                RiskInputs(
                    jurisdiction: key.jurisdiction,
                    typology: key.typology,
                    asOf: asOf,
                    baseCurrency: rates.base,
                    reportsLastYear: months.reduce(0, +),
                    recentReports: months[0] + months[1] + months[2],
                    previousReports: months[3] + months[4] + months[5],
                    lossSamples: tally.samples,
                    sampleMu: tally.samples > 0 ? tally.logMean : nil,
                    sampleSigma: tally.samples > 1 ? (tally.logSquares / Double(tally.samples - 1)).squareRoot() : nil,
                    observedLoss: tally.observed,
                    prior: prior,
                    vulnerability: assessed
                )
            )
        }
        result.sort { a, b in
            if a.jurisdiction != b.jurisdiction { return a.jurisdiction < b.jurisdiction }
            return Landscape.rank(a.typology) < Landscape.rank(b.typology)
        }
        return result
    }

    /// Simulates every risk and ranks them by expected annual loss (highest first), then by jurisdiction and
    /// typology.
    ///
    /// Each risk has its own random stream, derived from `seed` and its `JJ/typology` key (see
    /// `LossSimulation.streamSeed(seed:jurisdiction:typology:)`), so its estimate is the same whichever other
    /// risks are assessed with it and in whatever order.
    /// - Parameters:
    ///   - inputs: the risks.
    ///   - trials: simulated years per risk (at least 1).
    ///   - seed: the seed the whole register repeats under.
    public static func assess(_ inputs: [RiskInputs], trials: Int = 100_000, seed: UInt64) -> [RiskEstimate] {
        ranked(inputs.map { LossSimulation(inputs: $0, trials: trials, seed: seed).run() })
    }

    /// `assess(_:trials:seed:)` with the risks spread over `parts` concurrent tasks: the same estimates in the
    /// same order, since each risk's result depends only on its own stream.
    public static func assess(_ inputs: [RiskInputs], trials: Int = 100_000, seed: UInt64, parts: Int) async -> [RiskEstimate] {
        let parts = max(1, min(parts, inputs.count))
        let all = await withTaskGroup(of: [RiskEstimate].self) { group in
            for p in 0..<parts {
                let slice = inputs.enumerated().filter { $0.offset % parts == p }.map(\.element)
                group.addTask { slice.map { LossSimulation(inputs: $0, trials: trials, seed: seed).run() } }
            }
            var out: [RiskEstimate] = []
            for await part in group { out += part }
            return out
        }
        return ranked(all)
    }

    /// The register of `reports` as of `asOf`, against the Singapore reference prior in `rates.base` (or in SGD
    /// terms when the rates have no SGD), with the simulations spread over `parts` tasks.
    public static func register(
        from reports: some Sequence<ReportFacts>,
        rates: ExchangeRates,
        asOf: String,
        trials: Int,
        seed: UInt64,
        parts: Int
    ) async throws(RiskRegisterError) -> [RiskEstimate] {
        let prior = referencePrior(in: rates) ?? singaporePrior
        let risks = try inputs(from: reports, rates: rates, asOf: asOf, prior: prior)
        return await assess(risks, trials: trials, seed: seed, parts: parts)
    }

    /// Highest expected annual loss first, then by jurisdiction and typology.
    static func ranked(_ estimates: [RiskEstimate]) -> [RiskEstimate] {
        estimates.sorted { a, b in
            if a.expectedAnnualLoss != b.expectedAnnualLoss { return a.expectedAnnualLoss > b.expectedAnnualLoss }
            if a.inputs.jurisdiction != b.inputs.jurisdiction { return a.inputs.jurisdiction < b.inputs.jurisdiction }
            return Landscape.rank(a.inputs.typology) < Landscape.rank(b.inputs.typology)
        }
    }

    /// Monthly counts (by age: 0 is the `asOf` month) and a running log-loss mean and spread (Welford).
    struct Accumulator {
        var months = [Int](repeating: 0, count: 12)
        var samples = 0
        var logMean = 0.0
        var logSquares = 0.0
        var observed = 0.0

        mutating func add(age: Int, loss: Double?) {
            months[age] += 1
            guard let loss else { return }
            observed += loss
            samples += 1
            let x = log(loss)
            let delta = x - logMean
            logMean += delta / Double(samples)
            logSquares += delta * (x - logMean)
        }
    }

    // MARK: Explanation

    /// A few sentences on why a risk ranks where it does.
    static func explain(
        _ inputs: RiskInputs,
        expectedAnnualLoss: Double,
        p99: Double,
        probabilityOfLoss: Double
    ) -> [String] {
        let currency = inputs.baseCurrency
        var lines: [String] = []
        if inputs.reportsLastYear == 0 {
            lines.append("No reports in the 12 months to \(inputs.asOf), so no loss is expected.")
            return lines
        }
        let recent = inputs.recentReports
        let previous = inputs.previousReports
        var volume =
            "\(grouped(inputs.reportsLastYear)) reports in the 12 months to \(inputs.asOf); "
            + "\(grouped(recent)) in the last 3 months against \(grouped(previous)) in the 3 before"
        if recent + previous < RiskInputs.minimumReportsForGrowth {
            volume += ": too few to measure a trend, so growth is taken as 1.0x."
        } else {
            let raw = Double(recent) / Double(max(previous, 1))
            if raw > RiskInputs.growthRange.upperBound {
                volume += ", up \(decimal(raw))x (capped at \(decimal(inputs.growth))x)."
            } else if raw < RiskInputs.growthRange.lowerBound {
                volume += ", down to \(decimal(raw))x (floored at \(decimal(inputs.growth))x)."
            } else if inputs.growth > 1 {
                volume += ", up \(decimal(inputs.growth))x."
            } else if inputs.growth < 1 {
                volume += ", down to \(decimal(inputs.growth))x."
            } else {
                volume += ", flat (1.0x)."
            }
        }
        lines.append(volume)
        let frequency = inputs.annualFrequency
        let frequencyText =
            !frequency.isFinite || frequency < 10 ? decimal(frequency) : grouped(Int(min(frequency, 1e15).rounded()))
        lines.append(
            "Expected \(frequencyText) reports a year (\(grouped(inputs.reportsLastYear)) x growth "
                + "\(decimal(inputs.growth)) x vulnerability \(decimal(inputs.vulnerability))): "
                + "likelihood \(inputs.likelihood) of 5."
        )
        let spread: String
        if inputs.lossSigma >= 1.5 {
            spread = "losses heavy-tailed"
        } else if inputs.lossSigma >= 0.75 {
            spread = "losses widely spread"
        } else {
            spread = "losses fairly even"
        }
        let source: String
        if inputs.sampleMu == nil {
            source = "no losses reported, so the reference distribution is used."
        } else {
            let noun = inputs.lossSamples == 1 ? "loss" : "losses"
            source =
                "fitted to \(grouped(inputs.lossSamples)) reported \(noun), weighted \(percent(inputs.sampleWeight)) "
                + "against the reference distribution."
        }
        lines.append(
            "Median loss \(amount(inputs.medianLoss)) \(currency), \(spread) (sigma \(decimal(inputs.lossSigma))): "
                + "impact \(inputs.impact) of 5; \(source)"
        )
        if inputs.vulnerabilityAssessed {
            lines.append("Vulnerability \(decimal(inputs.vulnerability)) (from a capability assessment).")
        } else {
            lines.append("Vulnerability \(decimal(inputs.vulnerability)) (neutral: no capability assessment yet).")
        }
        if expectedAnnualLoss > 0 {
            lines.append(
                "Expected annual loss \(amount(expectedAnnualLoss)) \(currency); 1 year in 100 above "
                    + "\(amount(p99)) \(currency); some loss in \(percent(probabilityOfLoss)) of simulated years."
            )
        } else {
            lines.append("No loss in any simulated year.")
        }
        return lines
    }

    /// An integer with thousands separators: `12,345`.
    static func grouped(_ value: Int) -> String {
        let digits = Array(String(value.magnitude))
        var out = value < 0 ? "-" : ""
        for (i, digit) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return out
    }

    /// One decimal place: `1.8`.
    static func decimal(_ value: Double) -> String {
        guard value.isFinite else { return "n/a" }
        guard abs(value) < 1e15 else { return value < 0 ? "-" + amount(-value) : amount(value) }
        let tenths = Int((value * 10).rounded())
        let magnitude = tenths.magnitude
        return (tenths < 0 ? "-" : "") + grouped(Int(magnitude / 10)) + "." + String(magnitude % 10)
    }

    /// An amount, whole under a million, then `1.2M`, `3.4bn`, `5.6tn`.
    static func amount(_ value: Double) -> String {
        guard value.isFinite else { return "n/a" }
        let v = max(value, 0)
        if v < 1e6 { return grouped(Int(v.rounded())) }
        if v < 1e9 { return decimal(v / 1e6) + "M" }
        if v < 1e12 { return decimal(v / 1e9) + "bn" }
        if v < 1e15 { return decimal(v / 1e12) + "tn" }
        return "over 1,000tn"
    }

    /// A share as a whole percentage, never rounding a non-zero share to 0% or a share under 1 to 100%.
    static func percent(_ share: Double) -> String {
        guard share.isFinite else { return "n/a" }
        if share > 0 && share < 0.01 { return "under 1%" }
        if share < 1 && share > 0.99 { return "over 99%" }
        return "\(Int((min(max(share, 0), 1) * 100).rounded()))%"
    }
}
