import ArgumentParser
import ConcordAnalysis
import ConcordCore
import Foundation

extension BenchCommand {
    struct Campaigns: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Link synthetic reports into campaigns: the bulk load, then reports added one at a time.",
            discussion:
                "Reports name five identifiers on average; 40% belong to campaigns of heavy-tailed sizes that share identifiers, the rest name identifiers of their own. Generation is not timed."
        )

        @Option(help: "Reports in the bulk load.")
        var reports: Int = 1_000_000

        @Option(help: "Identifier links (report-identifier pairs) in the bulk load.")
        var links: Int = 5_000_000

        @Option(help: "Reports then added one at a time, each timed.")
        var adds: Int = 20_000

        func run() async throws {
            guard reports >= 1000, links >= reports, adds >= 100 else {
                throw ValidationError("--reports at least 1000, --links at least --reports, --adds at least 100")
            }
            let perReport = Double(links) / Double(reports)
            var rng = SeededRandom(seed: 42)
            let campaigns = max(1, reports / 20)
            let jurisdictions = ["TH", "MY", "PH", "SG", "KE", "NG", "FJ", "AU", "NL", "GB"]
            var unique = 0
            func make(_ n: Int) -> ReportFacts {
                let count = max(1, Int((perReport + rng.unit() * 2 - 1).rounded()))
                var keys: [String] = []
                keys.reserveCapacity(count)
                var typology = Typology.allCases[Int(rng.next() % UInt64(Typology.allCases.count))]
                if rng.unit() < 0.4 {
                    // Campaign sizes follow a power law: campaign k is picked with weight about 1/k.
                    let c = Int(Double(campaigns) * pow(rng.unit(), 3))
                    typology = Typology.allCases[c % Typology.allCases.count]
                    keys.append("phone:+6681\(String(format: "%07d", c))")
                    if count > 1 { keys.append("bank_account:TH:004:\(String(format: "%010d", c * 7 + Int(rng.next() % 3)))") }
                }
                while keys.count < count {
                    unique += 1
                    keys.append(unique % 2 == 0 ? "phone:+6692\(String(format: "%08d", unique))" : "domain:s\(unique).example")
                }
                return ReportFacts(
                    id: String(format: "%064x", n),
                    origin: "node\(n % 10)",
                    jurisdiction: jurisdictions[n % jurisdictions.count],
                    typology: typology,
                    loss: Money(minorUnits: Int64(rng.lognormal(mu: 7.24, sigma: 2.39) * 100), currency: "SGD"),
                    occurredAt: Timestamp(milliseconds: 1_767_225_600_000 + Int64(n) * 25_000),
                    identifiers: keys
                )
            }
            printLine("generating \(reports + adds) reports...")
            let bulk = (0..<reports).map(make)
            let extra = (reports..<(reports + adds)).map(make)
            let totalLinks = bulk.reduce(0) { $0 + $1.identifiers.count }

            let memoryBefore = residentBytes()
            var linker = CampaignLinker()
            linker.reserveCapacity(reports: reports + adds, identifiers: totalLinks, links: totalLinks + adds * 8)
            let started = ContinuousClock.now
            linker.add(contentsOf: bulk)
            let bulkTime = seconds(ContinuousClock.now - started)
            let found = linker.campaigns(minimumReports: 2, limit: nil, now: .now())
            printLine(
                "bulk: \(reports) reports, \(totalLinks) links, \(linker.identifierCount) identifiers linked in \(String(format: "%.2f", bulkTime)) s; \(found.count) campaigns, largest \(found.first?.reportCount ?? 0) reports; +\((residentBytes() - memoryBefore) >> 20) MiB"
            )

            var times: [Double] = []
            times.reserveCapacity(adds)
            var crossBorder = 0
            for report in extra {
                let t0 = ContinuousClock.now
                let outcome = linker.add(report)
                times.append(seconds(ContinuousClock.now - t0) * 1e6)
                if outcome.raisesCrossBorderAlert { crossBorder += 1 }
            }
            times.sort()
            let mean = times.reduce(0, +) / Double(times.count)
            printLine(
                "incremental: \(adds) adds, mean \(String(format: "%.1f", mean)) us, p50 \(String(format: "%.1f", times[times.count / 2])) us, p99 \(String(format: "%.1f", times[times.count * 99 / 100])) us, max \(String(format: "%.1f", times.last ?? 0)) us; \(crossBorder) cross-border alerts; rebuild pending: \(linker.needsRebuild)"
            )
            let rebuildStart = ContinuousClock.now
            linker.rebuild()
            printLine(
                "full rebuild of \(linker.reportCount) reports: \(String(format: "%.2f", seconds(ContinuousClock.now - rebuildStart))) s"
            )
        }
    }

    struct Risks: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Monte Carlo of the risk register: time per risk at a given number of trials, over a range of frequencies."
        )

        @Option(help: "Trials per risk.")
        var trials: Int = 100_000

        @Option(help: "Risks, with annual frequencies spread log-evenly from 2 to 20,000 reports a year.")
        var risks: Int = 40

        func run() async throws {
            guard trials >= 1000, risks >= 2 else { throw ValidationError("--trials at least 1000, --risks at least 2") }
            let inputs = (0..<risks).map { n in
                let frequency = Int(2 * pow(10_000, Double(n) / Double(risks - 1)))
                return RiskInputs(
                    jurisdiction: ["TH", "MY", "PH", "SG", "KE", "NG", "FJ", "AU"][n % 8],
                    typology: Typology.allCases[n % Typology.allCases.count],
                    asOf: "2026-10",
                    baseCurrency: "SGD",
                    reportsLastYear: frequency,
                    recentReports: frequency / 4,
                    previousReports: frequency / 4,
                    prior: RiskRegister.singaporePrior
                )
            }
            var perRisk: [(Double, Int)] = []
            for input in inputs {
                let t0 = ContinuousClock.now
                _ = RiskRegister.assess([input], trials: trials, seed: 1)
                perRisk.append((seconds(ContinuousClock.now - t0), input.reportsLastYear))
            }
            let sorted = perRisk.map(\.0).sorted()
            let slowest = perRisk.max { $0.0 < $1.0 }
            printLine(
                "one core, \(trials) trials per risk: median \(String(format: "%.1f", sorted[sorted.count / 2] * 1000)) ms, slowest \(String(format: "%.1f", (slowest?.0 ?? 0) * 1000)) ms (at \(slowest?.1 ?? 0) reports a year), all \(risks) risks \(String(format: "%.2f", sorted.reduce(0, +))) s"
            )
            let t0 = ContinuousClock.now
            _ = await RiskRegister.assess(inputs, trials: trials, seed: 1, parts: ProcessInfo.processInfo.activeProcessorCount)
            printLine("all \(risks) risks on every core: \(String(format: "%.2f", seconds(ContinuousClock.now - t0))) s")
        }
    }
}

extension BenchCommand {
    struct Matching: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Mentor matching: time to propose pairs among N organisations assessed on 25 factors (Hungarian assignment)."
        )

        @Option(help: "Numbers of organisations, comma-separated.")
        var organisations: String = "25,50,100,200,400"

        func run() async throws {
            let sizes = organisations.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !sizes.isEmpty, sizes.allSatisfy({ (2...5000).contains($0) }) else {
                throw ValidationError("--organisations lists numbers from 2 to 5000")
            }
            let factors = (0..<25).map { "factor-\($0)" }
            let regions = ["southeast-asia", "pacific", "africa", "europe", "latin-america"]
            for n in sizes {
                var rng = SeededRandom(seed: UInt64(n))
                let participants = (0..<n).map { i -> PeerMatching.Participant in
                    var stages: [String: Int] = [:]
                    var targets: [String: Int] = [:]
                    for f in factors {
                        let stage = Int.random(in: 1...5, using: &rng)
                        stages[f] = stage
                        targets[f] = min(5, stage + Int.random(in: 0...2, using: &rng))
                    }
                    return PeerMatching.Participant(
                        id: "org-\(i)",
                        region: regions[i % regions.count],
                        languages: Int.random(in: 0...3, using: &rng) == 0 ? ["fr", "en"] : ["en"],
                        utcOffsetMinutes: 60 * Int.random(in: -5...12, using: &rng),
                        legalTradition: ["common", "civil", "mixed"][i % 3],
                        stages: stages,
                        targets: targets,
                        capacity: Int.random(in: 0...3, using: &rng)
                    )
                }
                let t0 = ContinuousClock.now
                let pairs = PeerMatching.propose(participants)
                let elapsed = seconds(ContinuousClock.now - t0)
                printLine(
                    "\(n) organisations, \(participants.reduce(0) { $0 + $1.capacity }) mentor places: \(pairs.count) pairs in \(String(format: "%.1f", elapsed * 1000)) ms"
                )
            }
        }
    }

    struct Plan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The portfolio optimiser on synthetic catalogues: time to an exact plan, and search nodes."
        )

        @Option(help: "Interventions in each catalogue.")
        var interventions: Int = 300

        @Option(help: "Catalogues (seeds) to solve.")
        var runs: Int = 5

        func run() async throws {
            guard interventions >= 2, runs >= 1 else { throw ValidationError("--interventions at least 2, --runs at least 1") }
            var times: [Double] = []
            for seed in 1...runs {
                let request = PlanRequest.synthetic(interventions: interventions, seed: UInt64(seed))
                let t0 = ContinuousClock.now
                let plan = Planner.plan(request)
                let elapsed = seconds(ContinuousClock.now - t0)
                times.append(elapsed)
                printLine(
                    "seed \(seed): \(request.interventions.count) interventions, \(request.risks.count) risks: \(plan.picks.count) picked, \(plan.provenOptimal ? "proven optimal" : "NOT proven (gap \(plan.gap))"), \(plan.nodesExplored) nodes, \(String(format: "%.3f", elapsed)) s (with the two next-unit solves)"
                )
            }
            times.sort()
            printLine(
                "median \(String(format: "%.3f", times[times.count / 2])) s, slowest \(String(format: "%.3f", times.last ?? 0)) s"
            )
        }
    }
}
