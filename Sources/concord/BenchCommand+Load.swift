import ArgumentParser
import ConcordCore
import ConcordStore
import Foundation
import Logging

extension BenchCommand {
    struct Load: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "load",
            abstract: "Time filling the check index from the store at start, as `serve` does."
        )

        @Option(help: "Identifiers in the store.")
        var identifiers: Int = 1_000_000

        @Option(help: "Keep the seeded store in this directory (reused when it exists).")
        var dataDir: String?

        func run() async throws {
            let logger = makeLogger(level: .warning)
            let dir =
                dataDir.map { URL(fileURLWithPath: $0) }
                ?? FileManager.default.temporaryDirectory.appendingPathComponent(
                    "concord-bench-\(UInt32.random(in: 0...UInt32.max))"
                )
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let database = DatabaseLocation.sqlite(path: dir.appendingPathComponent("concord.sqlite").path)
            let store = try await SQLStore.open(database, logger: logger)
            let have = try await store.lastSequence()
            if have == 0 {
                let seeding = ContinuousClock.now
                let key = NodeKey()
                let ledger = Ledger(store: store, logger: logger)
                var mix = IdentifierMix(rng: SeededRandom(seed: 9))
                try await seed(ledger, key: key, count: identifiers) { mix.next($0) }
                printLine(
                    "load: seeded \(format(Double(identifiers))) identifiers in \(String(format: "%.1f", seconds(ContinuousClock.now - seeding))) s"
                )
            }
            let before = residentBytes()
            let ledger = Ledger(store: store, logger: logger)
            let started = ContinuousClock.now
            let rows = try await ledger.loadIndex()
            let elapsed = seconds(ContinuousClock.now - started)
            printLine(
                "load: \(format(Double(rows))) identifier rows into \(ledger.index.count) index entries in \(String(format: "%.1f", elapsed)) s (\(format(Double(rows) / elapsed)) rows/s); resident +\((residentBytes() - before) >> 20) MiB"
            )
            await store.close()
            if dataDir == nil { try? FileManager.default.removeItem(at: dir) }
        }
    }
}
