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
                var drafts: [RecordDraft] = []
                var mix = IdentifierMix(rng: SeededRandom(seed: 9))
                for start in stride(from: 0, to: identifiers, by: 1000) {
                    let items: [JSONValue] = (start..<min(start + 1000, identifiers)).map { n in
                        let id = mix.next(n)
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
