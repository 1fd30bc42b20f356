import ArgumentParser
import AsyncHTTPClient
import ConcordCore
import ConcordStore
import ConcordWeb
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure ingest, in-process checks, memory per identifier, and checks over HTTP.",
        subcommands: [
            Ingest.self, Lookup.self, Load.self, HTTPBatch.self, HTTPSingle.self, Federation.self, Campaigns.self, Risks.self,
            Plan.self, STIX.self, TAXIIPaging.self, Matching.self,
        ]
    )
}

/// Synthetic canonical identifiers in a realistic mix: half phone numbers, then domains, URLs, accounts, wallets.
struct IdentifierMix {
    var rng: SeededRandom

    mutating func next(_ n: Int) -> Identifier {
        switch n % 20 {
        case 0..<10: return Identifier(kind: .phone, canonical: "+66\(8 + n % 2)\(String(format: "%08d", n / 2 % 100_000_000))")
        case 10..<14: return Identifier(kind: .domain, canonical: "scam-\(n)-\(rng.digits(3)).example.com")
        case 14..<17: return Identifier(kind: .url, canonical: "https://pay-\(n).example.net/login")
        case 17..<19: return Identifier(kind: .bankAccount, canonical: "TH:004:\(String(format: "%010d", n))")
        default: return Identifier(kind: .wallet, canonical: "ethereum:0x\(String(format: "%040x", n))")
        }
    }
}

/// Fills a store with `count` identifiers, in reports of 1,000 identifiers each so that seeding is quick
/// (checks do not care which record named an identifier).
func seed(_ ledger: Ledger, key: NodeKey, count: Int, identifier: (Int) -> Identifier) async throws {
    var drafts: [RecordDraft] = []
    for start in stride(from: 0, to: count, by: 1000) {
        let items: [JSONValue] = (start..<min(start + 1000, count)).map { n in
            let id = identifier(n)
            return .object(["kind": .string(id.kind.rawValue), "value": .string(id.canonical)])
        }
        drafts.append(
            try RecordInput.report(
                .object(["typology": .string("investment"), "identifiers": .array(items)]),
                nodeJurisdiction: "TH"
            )
        )
        if drafts.count == 100 {
            _ = try await ledger.append(await RecordDraft.signAll(drafts, with: key))
            drafts = []
        }
    }
    _ = try await ledger.append(await RecordDraft.signAll(drafts, with: key))
}

/// Resident memory of this process, in bytes.
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func format(_ value: Double) -> String {
    value >= 1_000_000
        ? String(format: "%.2fM", value / 1_000_000)
        : value >= 1000 ? String(format: "%.1fk", value / 1000) : String(format: "%.1f", value)
}

extension BenchCommand {
    struct Ingest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Normalise, validate, sign and store indicators into a new SQLite store, as a bulk import does."
        )

        @Option(help: "Indicators to ingest.")
        var count: Int = 200_000

        @Option(help: "Indicators per transaction.")
        var batch: Int = 5000

        func run() async throws {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
                "concord-bench-\(UInt32.random(in: 0...UInt32.max))"
            )
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let logger = makeLogger(level: .warning)
            let store = try await SQLStore.open(.sqlite(path: dir.appendingPathComponent("concord.sqlite").path), logger: logger)
            let ledger = Ledger(store: store, logger: logger)
            let key = NodeKey()
            // Inputs as people type them: national phone formats, mixed-case domains with trailing dots.
            var inputs: [JSONValue] = []
            inputs.reserveCapacity(count)
            for n in 0..<count {
                let item: JSONValue =
                    switch n % 4 {
                    case 0, 1:
                        .object([
                            "kind": .string("phone"),
                            "value": .string(
                                "08\(n % 3 + 1)-\(String(format: "%03d", n / 10000 % 1000))-\(String(format: "%04d", n % 10000))"
                            ),
                            "typology": .string("job"), "confidence": .integer(70),
                        ])
                    case 2:
                        .object([
                            "kind": .string("domain"), "value": .string("Scam-\(n).Example.COM."),
                            "typology": .string("phishing"),
                        ])
                    default:
                        .object([
                            "kind": .string("url"), "value": .string("HTTPS://pay-\(n).example.net/login#x"),
                            "typology": .string("purchase"),
                        ])
                    }
                inputs.append(item)
            }
            var normalizeOnly = ContinuousClock.now
            for input in inputs.prefix(50_000) { _ = try? RecordInput.indicator(input, nodeJurisdiction: "TH") }
            let normalizeRate = Double(min(50_000, count)) / seconds(ContinuousClock.now - normalizeOnly)
            normalizeOnly = ContinuousClock.now
            let started = ContinuousClock.now
            var created = 0
            let batches = stride(from: 0, to: count, by: batch).map { Array(inputs[$0..<min($0 + batch, count)]) }
            try await ledger.writeIndicatorBatches(batches, key: key, jurisdiction: "TH") { outcomes in
                created += outcomes.filter { if case .created = $0 { true } else { false } }.count
            }
            let elapsed = seconds(ContinuousClock.now - started)
            // Where the time goes: signing alone, and storing already signed records alone.
            let sample = try inputs.prefix(20_000).map { try RecordInput.indicator($0, nodeJurisdiction: "TH") }
            let signing = ContinuousClock.now
            let signed = await RecordDraft.signAll(sample, with: NodeKey())
            let signRate = Double(sample.count) / seconds(ContinuousClock.now - signing)
            let storing = ContinuousClock.now
            for start in stride(from: 0, to: signed.count, by: batch) {
                _ = try await store.append(Array(signed[start..<min(start + batch, signed.count)]))
            }
            let storeRate = Double(signed.count) / seconds(ContinuousClock.now - storing)
            await store.close()
            printLine(
                "ingest: signing alone \(format(signRate)) records/s on all cores; storing signed records alone \(format(storeRate)) records/s"
            )
            printLine("ingest: \(created) of \(count) indicators created in \(String(format: "%.2f", elapsed)) s")
            printLine(
                "ingest: \(format(Double(created) / elapsed)) identifiers/s (normalise, validate, sign, store, index; batches of \(batch))"
            )
            printLine("ingest: normalise+validate alone \(format(normalizeRate)) identifiers/s on one core")
        }
    }

    struct Lookup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "lookup",
            abstract: "In-process check look-ups per second on one core, and memory per indexed identifier."
        )

        @Option(help: "Identifiers to index (comma-separated sizes).")
        var sizes: String = "1000000,10000000"

        @Option(help: "Look-ups to time at each size.")
        var lookups: Int = 5_000_000

        func run() async throws {
            for size in sizes.split(separator: ",").compactMap({ Int($0) }) {
                var mix = IdentifierMix(rng: SeededRandom(seed: 42))
                // Generate the keys first, so that memory measured is the index's own.
                var items: [IndexedIdentifier] = []
                items.reserveCapacity(size)
                let seen = Timestamp(milliseconds: 1_760_000_000_000)
                for n in 0..<size {
                    items.append(
                        IndexedIdentifier(
                            identifier: mix.next(n),
                            role: nil,
                            typology: Typology.allCases[n % 11],
                            jurisdiction: ["TH", "MY", "SG", "PH"][n % 4],
                            confidence: 60 + n % 40,
                            firstSeen: seen,
                            lastSeen: seen,
                            isReport: n % 3 == 0
                        )
                    )
                }
                let probes = (0..<min(lookups, 2_000_000)).map { n -> Identifier in
                    // Half hits, half misses, spread over the whole index.
                    let k = (n &* 7_919) % size
                    return n % 2 == 0
                        ? items[k].identifier
                        : Identifier(kind: .phone, canonical: "+6620\(String(format: "%07d", k % 10_000_000))")
                }
                let before = residentBytes()
                let index = CheckIndex()
                let built = ContinuousClock.now
                for chunk in stride(from: 0, to: size, by: 100_000) {
                    index.add(contentsOf: items[chunk..<min(chunk + 100_000, size)].map { ($0, false) })
                }
                let buildSeconds = seconds(ContinuousClock.now - built)
                let after = residentBytes()
                items = []
                var flagged = 0
                let started = ContinuousClock.now
                var done = 0
                while done < lookups {
                    for probe in probes where done < lookups {
                        if index.isFlagged(probe) { flagged += 1 }
                        done += 1
                    }
                }
                let bare = Double(done) / seconds(ContinuousClock.now - started)
                // The same look-ups in batches of 1,000, as a bank's batch or a streamed check makes them.
                let batchStarted = ContinuousClock.now
                var batchDone = 0
                var batchFlagged = 0
                let batches = stride(from: 0, to: probes.count, by: 1000).map { Array(probes[$0..<min($0 + 1000, probes.count)]) }
                while batchDone < lookups {
                    for batch in batches where batchDone < lookups {
                        batchFlagged += index.areFlagged(batch).filter { $0 }.count
                        batchDone += batch.count
                    }
                }
                let batched = Double(batchDone) / seconds(ContinuousClock.now - batchStarted)
                let fullStarted = ContinuousClock.now
                let fullCount = min(lookups, probes.count)
                var fullFlagged = 0
                for probe in probes.prefix(fullCount) where index.check(probe).flagged { fullFlagged += 1 }
                let full = Double(fullCount) / seconds(ContinuousClock.now - fullStarted)
                printLine(
                    "lookup \(format(Double(size))) identifiers: index built in \(String(format: "%.1f", buildSeconds)) s, \(index.count) entries"
                )
                printLine(
                    "lookup \(format(Double(size))): \(format(bare)) look-ups/s (flagged or not; \(flagged) hits of \(done)), one core"
                )
                printLine(
                    "lookup \(format(Double(size))): \(format(batched)) look-ups/s in batches of 1,000 (\(batchFlagged) hits), one core"
                )
                printLine(
                    "lookup \(format(Double(size))): \(format(full)) full check answers/s (counts, jurisdictions, typologies; \(fullFlagged) flagged)"
                )
                printLine(
                    "lookup \(format(Double(size))): \(String(format: "%.0f", Double(after - before) / Double(size))) bytes resident per indexed identifier"
                )
            }
        }
    }
}
