public import ConcordCore
import Foundation

/// A FAIR-style Monte Carlo of one risk's annual loss: in each simulated year the number of losses is
/// Poisson(`annualFrequency`) and each loss is lognormal(`lossMu`, `lossSigma`); the year's loss is their sum.
///
/// Poisson counts come from Knuth's multiplication method below a mean of 30 and from Hörmann's transformed
/// rejection with squeeze (PTRS) above it; both are exact. When a year has more than `exactSumLimit` losses,
/// their sum is not drawn loss by loss: it is drawn from the Fenton-Wilkinson approximation, the lognormal
/// with the same mean and variance as the sum of that many independent lognormals. That keeps 100,000 trials
/// fast when the frequency is in the thousands; the mean is exact and the spread close, though the far tail of
/// a sum of few heavy-tailed losses is somewhat lighter than the exact sum's.
///
/// The generator is ConcordCore's `SeededRandom`, seeded per risk (see `streamSeed`), so a simulation repeats
/// exactly. Inputs outside sane ranges are clamped: frequency to [0, 1e9], mu to [-30, 40], sigma to [0, 10].
public struct LossSimulation: Sendable {
    /// The risk simulated.
    public let inputs: RiskInputs
    /// Simulated years (at least 1 are run).
    public let trials: Int
    /// The caller's seed, before mixing with the risk's key.
    public let seed: UInt64

    /// Years with more losses than this have their sum drawn from the Fenton-Wilkinson approximation.
    public static let exactSumLimit = 256
    /// How many points the loss exceedance curve has.
    public static let exceedancePoints = 20

    /// A simulation of `inputs` over `trials` years under `seed`.
    public init(inputs: RiskInputs, trials: Int = 100_000, seed: UInt64) {
        self.inputs = inputs
        self.trials = trials
        self.seed = seed
    }

    /// The seed of this risk's random stream.
    public var streamSeed: UInt64 {
        Self.streamSeed(seed: seed, jurisdiction: inputs.jurisdiction, typology: inputs.typology)
    }

    /// The seed of one risk's random stream: `seed` mixed with a stable 64-bit FNV-1a hash of
    /// `JJ/typology` (e.g. `TH/job`) through the SplitMix64 finaliser. It depends on nothing else, so a risk's
    /// estimate does not change with the other risks assessed or their order, and is the same on every run
    /// and machine.
    public static func streamSeed(seed: UInt64, jurisdiction: String, typology: Typology) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func feed(_ byte: UInt8) {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        for byte in jurisdiction.utf8 { feed(byte) }
        feed(UInt8(ascii: "/"))
        for byte in typology.rawValue.utf8 { feed(byte) }
        return finalise(seed ^ finalise(hash))
    }

    /// Runs the simulation.
    public func run() -> RiskEstimate {
        let trials = max(self.trials, 1)
        let frequency = inputs.annualFrequency.isFinite ? min(max(inputs.annualFrequency, 0), 1e9) : 0
        let mu = inputs.lossMu.isFinite ? min(max(inputs.lossMu, -30), 40) : 0
        let sigma = inputs.lossSigma.isFinite ? min(max(inputs.lossSigma, 0), 10) : 0
        let counts = PoissonSampler(mean: frequency)
        let model = LossModel(mu: mu, sigma: sigma)
        var random = SeededRandom(seed: streamSeed)
        var normals = NormalSource()
        var losses = [Double](repeating: 0, count: trials)
        var total = 0.0
        var yearsWithLoss = 0
        if frequency > 0 {
            for trial in 0..<trials {
                // A request that timed out cancels the task; what was simulated is then thrown away, so only the
                // trials run so far are summarised (sorting a million unsimulated zeros would take a while).
                if trial & 4095 == 0 && Task.isCancelled {
                    losses.removeLast(trials - trial)
                    break
                }
                let count = counts.next(&random)
                guard count > 0 else { continue }
                let loss = model.annualLoss(count: count, random: &random, normals: &normals)
                losses[trial] = loss
                total += loss
                if loss > 0 { yearsWithLoss += 1 }
            }
        }
        losses.sort()
        let simulated = Double(max(losses.count, 1))
        let expected = total / simulated
        let p99 = Self.quantile(0.99, of: losses)
        let probabilityOfLoss = Double(yearsWithLoss) / simulated
        return RiskEstimate(
            inputs: inputs,
            trials: trials,
            seed: seed,
            expectedAnnualLoss: expected,
            p50: Self.quantile(0.5, of: losses),
            p90: Self.quantile(0.9, of: losses),
            p99: p99,
            probabilityOfLoss: probabilityOfLoss,
            exceedance: Self.exceedance(of: losses, points: Self.exceedancePoints),
            explanation: RiskRegister.explain(
                inputs,
                expectedAnnualLoss: expected,
                p99: p99,
                probabilityOfLoss: probabilityOfLoss
            )
        )
    }

    // MARK: Summaries

    /// The nearest-rank quantile `q` of sorted values: the smallest value with at least a share `q` of the
    /// values at or below it.
    static func quantile(_ q: Double, of sorted: [Double]) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((q * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank - 1, 0), sorted.count - 1)]
    }

    /// The share of sorted values at or above each of `points` thresholds spaced evenly on a log scale from the
    /// smallest positive value to the largest. Empty when no value is positive.
    static func exceedance(of sorted: [Double], points: Int) -> [ExceedancePoint] {
        let n = sorted.count
        let firstPositive = firstIndex(in: sorted, atLeast: .leastNonzeroMagnitude)
        guard firstPositive < n, let highest = sorted.last else { return [] }
        let lowest = sorted[firstPositive]
        guard highest > lowest, points >= 2 else {
            return [ExceedancePoint(loss: lowest, probability: Double(n - firstPositive) / Double(n))]
        }
        let logLowest = log(lowest)
        let step = (log(highest) - logLowest) / Double(points - 1)
        var curve: [ExceedancePoint] = []
        curve.reserveCapacity(points)
        for i in 0..<points {
            let threshold: Double
            if i == 0 {
                threshold = lowest
            } else if i == points - 1 {
                threshold = highest
            } else {
                threshold = min(exp(logLowest + step * Double(i)), highest)
            }
            let above = n - firstIndex(in: sorted, atLeast: threshold)
            curve.append(ExceedancePoint(loss: threshold, probability: Double(above) / Double(n)))
        }
        return curve
    }

    /// The index of the first sorted value at or above `threshold` (`sorted.count` when none is).
    static func firstIndex(in sorted: [Double], atLeast threshold: Double) -> Int {
        var low = 0
        var high = sorted.count
        while low < high {
            let middle = low + (high - low) / 2
            if sorted[middle] < threshold {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low
    }

    /// The SplitMix64 output function: a bijection that spreads every input bit over the output.
    static func finalise(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    // MARK: Sampling

    /// Draws Poisson counts with one mean.
    struct PoissonSampler: Sendable {
        let mean: Double
        /// exp(-mean), for the multiplication method.
        private let limit: Double
        // Constants of the transformed rejection method (Hörmann 1993, "The transformed rejection method for
        // generating Poisson random variables").
        private let b: Double
        private let a: Double
        private let inverseAlpha: Double
        private let acceptBound: Double
        private let logMean: Double

        /// Means from this one up use transformed rejection; below it, multiplication.
        static let rejectionFrom = 30.0

        init(mean: Double) {
            self.mean = mean.isFinite ? max(mean, 0) : 0
            limit = exp(-self.mean)
            let root = self.mean.squareRoot()
            b = 0.931 + 2.53 * root
            a = -0.059 + 0.024_83 * b
            inverseAlpha = 1.1239 + 1.1328 / (b - 3.4)
            acceptBound = 0.9277 - 3.6224 / (b - 2)
            logMean = self.mean > 0 ? log(self.mean) : 0
        }

        func next(_ random: inout SeededRandom) -> Int {
            guard mean > 0 else { return 0 }
            if mean < Self.rejectionFrom {
                // Multiply uniforms until the product falls to exp(-mean); the count of extra factors is Poisson.
                var product = random.unit()
                var count = 0
                while product > limit {
                    product *= random.unit()
                    count += 1
                }
                return count
            }
            while true {
                let u = random.unit() - 0.5
                let v = random.unit()
                let us = 0.5 - abs(u)
                let k = ((2 * a / us + b) * u + mean + 0.43).rounded(.down)
                if us >= 0.07 && v <= acceptBound { return Int(max(k, 0)) }
                // Near the edges of u the candidate runs off to huge values; none of them can be accepted for a
                // mean of at most 1e9, so they are rejected before converting to Int.
                if k < 0 || k > 1e15 || (us < 0.013 && v > us) { continue }
                let accept = -mean + k * logMean - LossSimulation.logFactorial(Int(k))
                if log(v * inverseAlpha / (a / (us * us) + b)) <= accept { return Int(k) }
            }
        }
    }

    /// ln(k!): exact below 16, Stirling's series above (error under 1e-11 there).
    static func logFactorial(_ k: Int) -> Double {
        if k < smallLogFactorials.count { return smallLogFactorials[max(k, 0)] }
        let x = Double(k) + 1
        let inverse = 1 / x
        let inverseSquare = inverse * inverse
        let series = inverse * (1.0 / 12 - inverseSquare * (1.0 / 360 - inverseSquare / 1260))
        return (x - 0.5) * log(x) - x + 0.5 * log(2 * Double.pi) + series
    }

    static let smallLogFactorials: [Double] = {
        var table = [0.0]
        var sum = 0.0
        for k in 1..<16 {
            sum += log(Double(k))
            table.append(sum)
        }
        return table
    }()

    /// Standard normal variates from the polar method, two per accepted pair of uniforms.
    struct NormalSource: Sendable {
        private var spare = 0.0
        private var hasSpare = false

        mutating func next(_ random: inout SeededRandom) -> Double {
            if hasSpare {
                hasSpare = false
                return spare
            }
            while true {
                let u = 2 * random.unit() - 1
                let v = 2 * random.unit() - 1
                let s = u * u + v * v
                guard s > 0, s < 1 else { continue }
                let factor = (-2 * log(s) / s).squareRoot()
                spare = v * factor
                hasSpare = true
                return u * factor
            }
        }
    }

    /// The lognormal loss per event and the sum of a year's losses.
    struct LossModel: Sendable {
        let mu: Double
        let sigma: Double
        /// sigma² / 2: the log of a loss's mean is mu plus this.
        let halfVariance: Double
        /// exp(sigma²) - 1: a loss's variance over its mean squared.
        let relativeVariance: Double

        init(mu: Double, sigma: Double) {
            self.mu = mu
            self.sigma = sigma
            halfVariance = sigma * sigma / 2
            relativeVariance = expm1(sigma * sigma)
        }

        /// The sum of `count` losses: drawn one by one up to `exactSumLimit`, above it from the lognormal with
        /// the sum's mean and variance (Fenton-Wilkinson).
        func annualLoss(count: Int, random: inout SeededRandom, normals: inout NormalSource) -> Double {
            guard count > 0 else { return 0 }
            if count <= LossSimulation.exactSumLimit {
                var sum = 0.0
                for _ in 0..<count { sum += exp(mu + sigma * normals.next(&random)) }
                return sum
            }
            let n = Double(count)
            // Sum of n iid lognormals: mean n·e^(mu+s²/2), variance over mean squared (e^(s²)-1)/n.
            let sumVariance = log1p(relativeVariance / n)
            let sumMu = log(n) + mu + halfVariance - sumVariance / 2
            return exp(sumMu + sumVariance.squareRoot() * normals.next(&random))
        }
    }
}

/// One point of a loss exceedance curve.
public struct ExceedancePoint: Sendable, Hashable, Codable {
    /// An annual loss in the base currency.
    public let loss: Double
    /// The share of simulated years whose loss was at least `loss`.
    public let probability: Double
}

/// One risk's simulated annual loss, with the inputs and the reasons behind its rank.
public struct RiskEstimate: Sendable, Hashable, Codable {
    /// What the simulation was given.
    public let inputs: RiskInputs
    /// Simulated years.
    public let trials: Int
    /// The caller's seed (the risk's own stream is derived from it and the risk's key).
    public let seed: UInt64
    /// The mean annual loss over the simulated years, in the base currency.
    public let expectedAnnualLoss: Double
    /// The median annual loss.
    public let p50: Double
    /// The annual loss exceeded in one year in ten.
    public let p90: Double
    /// The annual loss exceeded in one year in a hundred.
    public let p99: Double
    /// The share of simulated years with any loss.
    public let probabilityOfLoss: Double
    /// The loss exceedance curve: for about 20 losses spaced on a log scale over the simulated range, the share
    /// of years losing at least that much. Probabilities never increase along it; empty when no year lost.
    public let exceedance: [ExceedancePoint]
    /// Why the risk ranks where it does, in a few sentences.
    public let explanation: [String]

    enum CodingKeys: String, CodingKey {
        case inputs, trials, seed
        case expectedAnnualLoss = "expected_annual_loss"
        case p50, p90, p99
        case probabilityOfLoss = "probability_of_loss"
        case exceedance, explanation
    }
}
