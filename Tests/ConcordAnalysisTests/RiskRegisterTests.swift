import ConcordCore
import Foundation
import Testing

@testable import ConcordAnalysis

private struct BadFixture: Error {}

private let toSGD = ExchangeRates(base: "SGD", rates: ["THB": 1 / 26.5])

/// Singapore's 2024 loss distribution, in SGD.
private let singapore = (mu: 7.24, sigma: 2.39)

private func report(
    _ jurisdiction: String,
    _ typology: Typology,
    _ when: String,
    sgd: Int64? = nil
) throws
    -> ReportFacts
{
    guard let time = Timestamp(rfc3339: when) else { throw BadFixture() }
    return ReportFacts(
        id: String(repeating: "b", count: 64),
        origin: "node-b",
        jurisdiction: jurisdiction,
        typology: typology,
        loss: sgd.map { Money(minorUnits: $0 * 100, currency: "SGD") },
        occurredAt: time,
        identifiers: []
    )
}

/// A risk with `reports` a year, no measurable trend, and losses lognormal(mu, sigma).
private func risk(
    _ jurisdiction: String,
    _ typology: Typology,
    reports: Int,
    mu: Double = 7.24,
    sigma: Double = 2.39
) -> RiskInputs {
    RiskInputs(
        jurisdiction: jurisdiction,
        typology: typology,
        asOf: "2026-10",
        baseCurrency: "SGD",
        reportsLastYear: reports,
        recentReports: 0,
        previousReports: 0,
        prior: (mu: mu, sigma: sigma)
    )
}

@Test(arguments: [4.0, 200.0, 5_000.0])
func poissonCountsHaveTheRightMeanAndVariance(mean: Double) {
    let sampler = LossSimulation.PoissonSampler(mean: mean)
    var random = SeededRandom(seed: 11)
    let n = 20_000
    var sum = 0.0
    var squares = 0.0
    for _ in 0..<n {
        let k = Double(sampler.next(&random))
        sum += k
        squares += k * k
    }
    let sampleMean = sum / Double(n)
    let sampleVariance = squares / Double(n) - sampleMean * sampleMean
    // Six standard errors of the sample mean and seven of the sample variance.
    #expect(abs(sampleMean - mean) < 6 * (mean / Double(n)).squareRoot())
    #expect(abs(sampleVariance - mean) < 7 * ((mean + 2 * mean * mean) / Double(n)).squareRoot())
}

@Test func oneLossPerYearHasTheLognormalMean() {
    let model = LossSimulation.LossModel(mu: 1, sigma: 0.8)
    var random = SeededRandom(seed: 5)
    var normals = LossSimulation.NormalSource()
    let n = 20_000
    var sum = 0.0
    for _ in 0..<n { sum += model.annualLoss(count: 1, random: &random, normals: &normals) }
    let expected = exp(1 + 0.8 * 0.8 / 2)
    #expect(abs(sum / Double(n) / expected - 1) < 0.04)
}

@Test func manyLossesAYearKeepTheirMeanThroughTheSumApproximation() {
    let model = LossSimulation.LossModel(mu: 7.24, sigma: 2.39)
    var random = SeededRandom(seed: 6)
    var normals = LossSimulation.NormalSource()
    let count = 1_000
    #expect(count > LossSimulation.exactSumLimit)
    let n = 5_000
    var sum = 0.0
    for _ in 0..<n { sum += model.annualLoss(count: count, random: &random, normals: &normals) }
    let expected = Double(count) * exp(7.24 + 2.39 * 2.39 / 2)
    #expect(abs(sum / Double(n) / expected - 1) < 0.05)
}

@Test func theSameSeedRepeatsAndAnotherSeedDiffers() {
    let inputs = risk("TH", .job, reports: 3)
    let first = LossSimulation(inputs: inputs, trials: 20_000, seed: 42).run()
    let again = LossSimulation(inputs: inputs, trials: 20_000, seed: 42).run()
    let other = LossSimulation(inputs: inputs, trials: 20_000, seed: 43).run()
    #expect(first == again)
    #expect(first.expectedAnnualLoss != other.expectedAnnualLoss)
    #expect(first.seed == 42)
}

@Test func aRisksEstimateDoesNotDependOnTheOtherRisks() throws {
    let a = risk("TH", .job, reports: 3, mu: 7, sigma: 1)
    let b = risk("MY", .investment, reports: 1_000, mu: 7, sigma: 1)
    let c = risk("PH", .loan, reports: 1, mu: 7, sigma: 1)
    let forward = RiskRegister.assess([a, b, c], trials: 20_000, seed: 7)
    let backward = RiskRegister.assess([c, b, a], trials: 20_000, seed: 7)
    let alone = RiskRegister.assess([a], trials: 20_000, seed: 7)
    #expect(forward == backward)
    #expect(forward.first(where: { $0.inputs == a }) == alone.first)
    // Ranked by expected annual loss: a thousand reports a year first.
    #expect(forward.map(\.inputs.jurisdiction) == ["MY", "TH", "PH"])
}

@Test func theExceedanceCurveNeverRises() throws {
    let estimate = LossSimulation(inputs: risk("TH", .job, reports: 3), trials: 20_000, seed: 1).run()
    let curve = estimate.exceedance
    #expect(curve.count == LossSimulation.exceedancePoints)
    for (earlier, later) in zip(curve, curve.dropFirst()) {
        #expect(earlier.loss < later.loss)
        #expect(earlier.probability >= later.probability)
    }
    #expect(curve.first?.probability == estimate.probabilityOfLoss)
    #expect((curve.last?.probability ?? 0) > 0)
    #expect(estimate.p50 <= estimate.p90)
    #expect(estimate.p90 <= estimate.p99)
    // Three reports a year: some loss in about 1 - e^-3 = 95% of years.
    #expect(abs(estimate.probabilityOfLoss - (1 - exp(-3.0))) < 0.01)
}

@Test func aRiskWithoutReportsLosesNothing() {
    let estimate = LossSimulation(inputs: risk("FJ", .bec, reports: 0), trials: 20_000, seed: 3).run()
    #expect(estimate.expectedAnnualLoss == 0)
    #expect(estimate.p99 == 0)
    #expect(estimate.probabilityOfLoss == 0)
    #expect(estimate.exceedance.isEmpty)
    #expect(estimate.explanation.first?.hasPrefix("No reports") == true)
}

@Test func growthIsClippedAndNeedsEnoughReports() {
    #expect(RiskInputs.growthFactor(recent: 40, previous: 5) == 3)
    #expect(RiskInputs.growthFactor(recent: 2, previous: 20) == 0.5)
    #expect(RiskInputs.growthFactor(recent: 12, previous: 8) == 1.5)
    #expect(RiskInputs.growthFactor(recent: 10, previous: 0) == 3)
    // 6 against 1 is too few reports to call a trend.
    #expect(RiskInputs.growthFactor(recent: 6, previous: 1) == 1)
}

@Test func oneLossIsShrunkMostlyToThePrior() throws {
    let facts = [try report("FJ", .romance, "2026-09-15", sgd: 100_000)]
    let inputs = try RiskRegister.inputs(from: facts, rates: toSGD, asOf: "2026-10", prior: singapore)
    let fiji = try #require(inputs.first)
    #expect(fiji.lossSamples == 1)
    #expect(abs(fiji.sampleWeight - 1.0 / 11) < 1e-12)
    #expect(abs(fiji.lossMu - (log(100_000.0) + 10 * 7.24) / 11) < 1e-9)
    // One loss has no spread of its own: sigma stays the prior's.
    #expect(abs(fiji.lossSigma - 2.39) < 1e-9)
    #expect(fiji.sampleSigma == nil)
}

@Test func manyLossesOutweighThePrior() throws {
    // 90 losses of 100 SGD and 90 of 10,000 SGD: log mean ln(1,000), weight 90%.
    var facts: [ReportFacts] = []
    for _ in 0..<90 {
        facts.append(try report("SG", .purchase, "2026-08-01", sgd: 100))
        facts.append(try report("SG", .purchase, "2026-08-02", sgd: 10_000))
    }
    let inputs = try RiskRegister.inputs(from: facts, rates: toSGD, asOf: "2026-10", prior: singapore)
    let shop = try #require(inputs.first)
    #expect(shop.lossSamples == 180)
    #expect(abs(shop.sampleWeight - 180.0 / 190) < 1e-12)
    #expect(abs((shop.sampleMu ?? 0) - log(1_000.0)) < 1e-9)
    #expect(abs(shop.lossMu - (180 * log(1_000.0) + 10 * 7.24) / 190) < 1e-9)
    #expect(abs(shop.observedLoss - 90 * 10_100) < 1e-6)
}

@Test func inputsCountTheTwelveMonthsToAsOfAndTheLastTwoQuarters() throws {
    var facts = [
        try report("TH", .job, "2025-10-31T23:59:00Z"),  // 12 months back: out
        try report("TH", .job, "2026-11-01"),  // after asOf: out
        try report("TH", .job, "2025-11-01"),  // the first month of the 12
        try report("TH", .job, "2026-04-15"),  // neither quarter
    ]
    for _ in 0..<6 { facts.append(try report("TH", .job, "2026-09-10")) }
    for _ in 0..<4 { facts.append(try report("TH", .job, "2026-05-10")) }
    let inputs = try RiskRegister.inputs(from: facts, rates: toSGD, asOf: "2026-10", prior: singapore)
    let jobs = try #require(inputs.first)
    #expect(inputs.count == 1)
    #expect(jobs.reportsLastYear == 12)
    #expect(jobs.recentReports == 6)
    #expect(jobs.previousReports == 4)
    #expect(jobs.growth == 1.5)
    #expect(jobs.annualFrequency == 18)
    #expect(jobs.likelihood == 2)
    #expect(jobs.impact == 3)
    #expect(jobs.vulnerability == 1)
    #expect(!jobs.vulnerabilityAssessed)
}

@Test func vulnerabilityScalesFrequency() throws {
    let facts = [try report("TH", .job, "2026-09-10"), try report("TH", .loan, "2026-09-10")]
    let inputs = try RiskRegister.inputs(
        from: facts,
        rates: toSGD,
        asOf: "2026-10",
        prior: singapore,
        vulnerability: ["TH/job": 2, "TH": 0.5]
    )
    #expect(inputs.map(\.typology) == [.job, .loan])
    #expect(inputs.map(\.annualFrequency) == [2, 0.5])
    let assessed = inputs.filter { $0.vulnerabilityAssessed }.count
    #expect(assessed == inputs.count)
    #expect(throws: RiskRegisterError.invalidVulnerability(key: "TH", value: -1)) {
        try RiskRegister.inputs(from: facts, rates: toSGD, asOf: "2026-10", prior: singapore, vulnerability: ["TH": -1])
    }
    #expect(throws: RiskRegisterError.invalidMonth("Oct 2026")) {
        try RiskRegister.inputs(from: facts, rates: toSGD, asOf: "Oct 2026", prior: singapore)
    }
}

@Test func theExplanationShowsWhyARiskRanks() throws {
    let inputs = RiskInputs(
        jurisdiction: "SG",
        typology: .investment,
        asOf: "2026-10",
        baseCurrency: "SGD",
        reportsLastYear: 412,
        recentReports: 96,
        previousReports: 53,
        prior: singapore
    )
    let estimate = LossSimulation(inputs: inputs, trials: 20_000, seed: 9).run()
    let text = estimate.explanation.joined(separator: " ")
    #expect(text.contains("412 reports in the 12 months to 2026-10"))
    #expect(text.contains("up 1.8x"))
    #expect(text.contains("Median loss 1,394 SGD"))
    #expect(text.contains("heavy-tailed (sigma 2.4)"))
    #expect(text.contains("neutral"))
    #expect(inputs.likelihood == 3)
    // 746 losses a year at a mean of about S$24,000 each.
    let expected = inputs.annualFrequency * inputs.meanLoss
    #expect(abs(estimate.expectedAnnualLoss / expected - 1) < 0.05)
    let json = String(decoding: try JSONEncoder().encode(estimate), as: UTF8.self)
    #expect(json.contains("\"expected_annual_loss\""))
}

@Test func theReferencePriorMovesToTheBaseCurrency() throws {
    let baht = ExchangeRates(base: "THB", rates: ["SGD": 26.5])
    let prior = try #require(RiskRegister.referencePrior(in: baht))
    #expect(abs(exp(prior.mu) - 26.5 * exp(7.24)) < 1e-6)
    #expect(prior.sigma == 2.39)
    #expect(RiskRegister.referencePrior(in: ExchangeRates(base: "EUR", rates: [:])) == nil)
}
