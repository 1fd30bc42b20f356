import Foundation

/// Proposes mentoring pairs between organisations from their capability assessments: each organisation that needs
/// to grow in some factors (a gap between stage and target) is paired with at most one mentor that is strong in
/// them (stage 4 or above), each mentor taking at most its capacity, so that the total benefit is the largest
/// possible. The assignment is solved exactly with the Hungarian algorithm over mentor slots.
public enum PeerMatching {
    /// An organisation as matching sees it.
    public struct Participant: Sendable, Equatable {
        /// Its node id.
        public let id: String
        /// Its region (for example southeast-asia, pacific, africa); pairs across regions are preferred.
        public let region: String
        /// ISO 639 codes of the languages it works in.
        public let languages: Set<String>
        /// Its offset from UTC in minutes, for the shared working day.
        public let utcOffsetMinutes: Int
        /// Its legal tradition (common, civil, mixed, islamic, customary), when given.
        public let legalTradition: String?
        /// Stage now, by factor id.
        public let stages: [String: Int]
        /// Stage aimed for, by factor id.
        public let targets: [String: Int]
        /// How many organisations it can mentor at once; 0 for none.
        public let capacity: Int

        public init(
            id: String,
            region: String,
            languages: Set<String>,
            utcOffsetMinutes: Int,
            legalTradition: String?,
            stages: [String: Int],
            targets: [String: Int],
            capacity: Int
        ) {
            self.id = id
            self.region = region
            self.languages = languages
            self.utcOffsetMinutes = utcOffsetMinutes
            self.legalTradition = legalTradition
            self.stages = stages
            self.targets = targets
            self.capacity = capacity
        }
    }

    /// What shapes the benefit of a pair.
    public struct Options: Sendable, Equatable {
        /// The stage from which an organisation can mentor in a factor.
        public var strength = 4
        /// Pairs an operator rules out, as (mentee, mentor) ids.
        public var exclusions: Set<[String]> = []
        /// Multiplier for a pair in the same legal tradition.
        public var sameLegalTradition = 1.15
        /// Multiplier for a pair across regions.
        public var crossRegional = 1.1
        /// Factor weights (from the gap view's risk weighting); 1 when absent.
        public var factorWeights: [String: Double] = [:]

        public init() {}
    }

    /// A proposed pair and why.
    public struct Pair: Sendable, Equatable {
        public let mentee: String
        public let mentor: String
        public let benefit: Double
        /// The factors the mentor can help with, largest contribution first.
        public let factors: [String]
        /// Why this pair, in plain words.
        public let reasons: [String]
    }

    /// Hours of the 09:00-17:00 working day two offsets share, 0 to 8.
    public static func sharedWorkingHours(_ a: Int, _ b: Int) -> Double {
        // Working day of each in UTC minutes, compared on the day before, the same day and the day after.
        let startA = 9 * 60 - a
        let startB = 9 * 60 - b
        var best = 0
        for shift in [-1440, 0, 1440] {
            let s = max(startA, startB + shift)
            let e = min(startA + 480, startB + shift + 480)
            best = max(best, e - s)
        }
        return Double(best) / 60
    }

    /// The benefit of `mentor` mentoring `mentee`, with the factors and reasons; nil when they cannot pair (the same
    /// organisation, excluded, no shared language, or nothing the mentor is strong in that the mentee needs).
    public static func benefit(mentee: Participant, mentor: Participant, options: Options = Options()) -> Pair? {
        guard mentee.id != mentor.id, mentor.capacity > 0, !options.exclusions.contains([mentee.id, mentor.id]) else {
            return nil
        }
        let shared = mentee.languages.intersection(mentor.languages)
        guard !shared.isEmpty else { return nil }
        var contributions: [(String, Double, String)] = []
        for (factor, target) in mentee.targets {
            let stage = mentee.stages[factor] ?? 1
            guard target > stage, let strong = mentor.stages[factor], strong >= options.strength, strong > stage else { continue }
            let value = Double(min(target - stage, strong - stage)) * (options.factorWeights[factor] ?? 1)
            contributions.append((factor, value, "\(factor): stage \(stage), aiming for \(target); the mentor is at \(strong)"))
        }
        guard !contributions.isEmpty else { return nil }
        contributions.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
        var benefit = contributions.reduce(0) { $0 + $1.1 }
        var reasons = contributions.map(\.2)
        reasons.append("shared languages: \(shared.sorted().joined(separator: ", "))")
        let hours = sharedWorkingHours(mentee.utcOffsetMinutes, mentor.utcOffsetMinutes)
        benefit *= 0.75 + 0.25 * hours / 8
        reasons.append(
            hours >= 1
                ? "\(Int(hours.rounded())) h of working day in common" : "no working hours in common: visits or written exchanges"
        )
        if let tradition = mentee.legalTradition, tradition == mentor.legalTradition {
            benefit *= options.sameLegalTradition
            reasons.append("both work in a \(tradition) legal tradition")
        }
        if mentee.region != mentor.region {
            benefit *= options.crossRegional
            reasons.append("across regions: \(mentee.region) and \(mentor.region)")
        }
        return Pair(mentee: mentee.id, mentor: mentor.id, benefit: benefit, factors: contributions.map(\.0), reasons: reasons)
    }

    /// The pairs of largest total benefit: every participant with a gap gets at most one mentor, every mentor at most
    /// its capacity of mentees. Pairs are in mentee order.
    public static func propose(_ participants: [Participant], options: Options = Options()) -> [Pair] {
        let mentees = participants.filter { p in p.targets.contains { $0.value > (p.stages[$0.key] ?? 1) } }
        var slots: [Int] = []  // index into participants, once per place
        for (n, p) in participants.enumerated() where p.capacity > 0 {
            slots += Array(repeating: n, count: min(p.capacity, mentees.count))
        }
        guard !mentees.isEmpty, !slots.isEmpty else { return [] }
        var pairs = [[Pair?]](repeating: [], count: mentees.count)
        var profit = [[Double]](repeating: [], count: mentees.count)
        var cache: [Int: Pair?] = [:]
        for (i, mentee) in mentees.enumerated() {
            cache.removeAll(keepingCapacity: true)
            for slot in slots {
                if cache[slot] == nil {
                    cache[slot] = .some(benefit(mentee: mentee, mentor: participants[slot], options: options))
                }
                let pair = cache[slot] ?? nil
                pairs[i].append(pair)
                profit[i].append(pair?.benefit ?? 0)
            }
        }
        let assignment = Assignment.maximise(profit)
        return assignment.enumerated().compactMap { i, j in
            guard let j, let pair = pairs[i][j], pair.benefit > 0 else { return nil }
            return pair
        }
    }
}

/// The assignment problem: rows to distinct columns, maximising the total, by the Hungarian algorithm with
/// potentials (O(n^3) on the padded square matrix).
public enum Assignment {
    /// The column of each row (nil when a row is left unassigned because the matrix has more rows than columns)
    /// such that the sum of `profit[row][column]` is the largest possible. Every row must have the same length.
    /// Negative, infinite or NaN profits count as 0, and profits are capped at 10^12.
    public static func maximise(_ profit: [[Double]]) -> [Int?] {
        let rows = profit.count
        let columns = profit.first?.count ?? 0
        let n = max(rows, columns)
        guard n > 0 else { return [] }
        // A profit that is not a finite number, or is negative, counts as none: the loop below needs finite costs.
        let clean = profit.map { row in row.map { $0.isFinite && $0 > 0 ? min($0, 1e12) : 0 } }
        let top = clean.joined().max() ?? 0
        // Minimise top - profit over an n x n matrix padded with zeros of profit.
        func cost(_ i: Int, _ j: Int) -> Double { i < rows && j < columns ? top - clean[i][j] : top }
        var u = [Double](repeating: 0, count: n + 1)
        var v = [Double](repeating: 0, count: n + 1)
        var owner = [Int](repeating: 0, count: n + 1)  // owner[j]: the row (1-based) holding column j
        var way = [Int](repeating: 0, count: n + 1)
        for i in 1...n {
            owner[0] = i
            var j0 = 0
            var minimum = [Double](repeating: .infinity, count: n + 1)
            var used = [Bool](repeating: false, count: n + 1)
            repeat {
                used[j0] = true
                let i0 = owner[j0]
                var delta = Double.infinity
                var j1 = 0
                for j in 1...n where !used[j] {
                    let reduced = cost(i0 - 1, j - 1) - u[i0] - v[j]
                    if reduced < minimum[j] {
                        minimum[j] = reduced
                        way[j] = j0
                    }
                    if minimum[j] < delta {
                        delta = minimum[j]
                        j1 = j
                    }
                }
                for j in 0...n {
                    if used[j] {
                        u[owner[j]] += delta
                        v[j] -= delta
                    } else {
                        minimum[j] -= delta
                    }
                }
                j0 = j1
            } while owner[j0] != 0
            repeat {
                let j1 = way[j0]
                owner[j0] = owner[j1]
                j0 = j1
            } while j0 != 0
        }
        var result = [Int?](repeating: nil, count: rows)
        for j in 1...n where owner[j] >= 1 && owner[j] <= rows && j <= columns {
            result[owner[j] - 1] = j - 1
        }
        return result
    }
}
