import ArgumentParser
import ConcordCore
import ConcordInterop
import ConcordStore
import ConcordWeb
import Foundation
import Logging

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import indicators into the node's store: NDJSON, CSV, or the polkadot-js phishing deny list.",
        discussion: """
            Writes signed records straight into the store, in batches of one transaction each. A running node \
            picks them up within a second. Bad lines are reported on standard error and do not stop the import.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case ndjson, csv, polkadot, stix, misp
    }

    @OptionGroup var node: NodeOptions

    @Argument(help: "File to import (for polkadot: all.json, address.json, dated.jsonl, or their directory).")
    var path: String

    @Option(
        help:
            "Input format: ndjson, csv, polkadot, stix (a STIX 2.1 bundle) or misp (a MISP feed directory or event file); default from the file name."
    )
    var format: Format?

    @Option(help: "STIX and MISP: the TLP level every imported record gets, whatever the source marks.")
    var tlp: String?

    @Option(help: "STIX: the TLP level of objects without a TLP marking.")
    var defaultTLP: String = "amber"

    @Option(
        help: "STIX and MISP: write one result line per object or event (imported, skipped or rejected, and why) to this file."
    )
    var results: String?

    @Option(help: "Typology for polkadot entries.")
    var typology: String = "phishing"

    @Option(help: "Confidence 0-100 for polkadot entries.")
    var confidence: Int = 80

    @Option(help: "Lines per transaction.")
    var batch: Int = 5000

    func run() async throws {
        let (key, profile) = try node.load()
        let chosen = format ?? Self.guess(path)
        if chosen == .stix {
            try await importSTIX(key: key, profile: profile)
            return
        }
        if chosen == .misp {
            try await importMISP(key: key, profile: profile)
            return
        }
        let lines = try readInputs(chosen)
        let logger = makeLogger(level: .warning)
        let store = try await node.openStore(logger: logger)
        let ledger = Ledger(store: store, logger: logger)
        do {
            // Labels may name communities by their bare name: they are completed from the ones this node knows.
            try await ledger.communities.follow(ledger)
        } catch {
            await store.close()
            throw error
        }
        let progress = ProgressBar(total: lines.count)
        var created = 0, duplicates = 0, rejected = 0, shown = 0
        let started = ContinuousClock.now
        var inputLines: [[Int]] = []
        var batches: [[JSONValue]] = []
        for chunk in stride(from: 0, to: lines.count, by: max(1, batch)) {
            var inputs: [JSONValue] = []
            var numbers: [Int] = []
            for (line, input) in lines[chunk..<min(chunk + max(1, batch), lines.count)] {
                switch input {
                case .success(let json):
                    inputs.append(json)
                    numbers.append(line)
                case .failure(let reason):
                    rejected += 1
                    if shown < 20 {
                        printError("line \(line): \(reason)")
                        shown += 1
                    }
                }
            }
            batches.append(inputs)
            inputLines.append(numbers)
        }
        var done = 0
        var batchNumber = 0
        do {
            try await ledger.writeIndicatorBatches(batches, key: key, jurisdiction: profile.jurisdiction) { outcomes in
                for (outcome, line) in zip(outcomes, inputLines[batchNumber]) {
                    switch outcome {
                    case .created: created += 1
                    case .duplicate: duplicates += 1
                    case .rejected(let error):
                        rejected += 1
                        if shown < 20 {
                            printError("line \(line): \(error.summary)")
                            shown += 1
                        }
                    }
                }
                done += outcomes.count
                batchNumber += 1
                progress.update(done: min(done, lines.count))
            }
        } catch {
            progress.finish()
            await store.close()
            throw error
        }
        progress.finish()
        await store.close()
        let seconds =
            Double((ContinuousClock.now - started).components.attoseconds) / 1e18
            + Double((ContinuousClock.now - started).components.seconds)
        if rejected > shown { printError("... and \(rejected - shown) more rejected lines") }
        print(
            "imported \(lines.count) lines: \(created) created, \(duplicates) duplicates, \(rejected) rejected in \(String(format: "%.1f", seconds)) s"
        )
    }

    static func guess(_ path: String) -> Format {
        let lower = path.lowercased()
        if lower.hasSuffix(".stix.json") || lower.hasSuffix(".stix") { return .stix }
        if lower.hasSuffix(".csv") { return .csv }
        if lower.hasSuffix(".ndjson") || lower.hasSuffix(".jsonl") && !lower.hasSuffix("dated.jsonl") { return .ndjson }
        return .polkadot
    }

    private func importSTIX(key: NodeKey, profile: NodeProfile) async throws {
        let assigned = try assignedTLP()
        guard let fallback = TLPLevel(lenient: defaultTLP) else {
            throw ValidationError("--default-tlp \(defaultTLP) is not a TLP level")
        }
        let sink = try resultsFile()
        let logger = makeLogger(level: .warning)
        let store = try await node.openStore(logger: logger)
        let ledger = Ledger(store: store, logger: logger)
        let started = ContinuousClock.now
        var shown = 0
        let summary: STIXImportSummary
        do {
            summary = try await STIXBundleImport.run(
                file: URL(fileURLWithPath: path),
                ledger: ledger,
                key: key,
                options: STIXImporter.Options(jurisdiction: profile.jurisdiction, defaultTLP: fallback, assignedTLP: assigned)
            ) { lines in
                var bytes = Data()
                for line in lines {
                    if line["outcome"] == "rejected" && shown < 20 {
                        printError("object \(line["index"]?.integerValue ?? 0): \(line["reason"]?.stringValue ?? "")")
                        shown += 1
                    }
                    bytes.append(line.canonicalData)
                    bytes.append(UInt8(ascii: "\n"))
                }
                sink?.write(bytes)
            }
        } catch let error as STIXBundleError {
            await store.close()
            throw ValidationError("\(path) is not a readable STIX bundle: \(error.detail); nothing was imported")
        } catch {
            await store.close()
            throw error
        }
        await store.close()
        try sink?.close()
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(
            "read \(summary.objects) STIX objects: \(summary.imported) imported (\(summary.created) records created, "
                + "\(summary.duplicates) already held), \(summary.skipped) skipped, \(summary.rejected) rejected in "
                + String(format: "%.1f s", seconds)
        )
    }

    /// The level named by `--tlp`, or nil.
    private func assignedTLP() throws -> TLPLevel? {
        guard let tlp else { return nil }
        guard let level = TLPLevel(lenient: tlp) else { throw ValidationError("--tlp \(tlp) is not a TLP level") }
        return level
    }

    /// The file named by `--results`, created empty, or nil.
    private func resultsFile() throws -> FileHandle? {
        guard let results else { return nil }
        guard FileManager.default.createFile(atPath: results, contents: nil) else {
            throw ValidationError("cannot write \(results)")
        }
        return try FileHandle(forWritingTo: URL(fileURLWithPath: results))
    }

    private func importMISP(key: NodeKey, profile: NodeProfile) async throws {
        let assigned = try assignedTLP()
        let events: AnySequence<Result<JSONValue, STIXBundleError>>
        do {
            events = try MISPExchange.events(at: URL(fileURLWithPath: path))
        } catch let error as STIXBundleError {
            throw ValidationError(error.detail)
        }
        let sink = try resultsFile()
        let logger = makeLogger(level: .warning)
        let store = try await node.openStore(logger: logger)
        var shown = 0
        let summary: STIXImportSummary
        do {
            summary = try await MISPExchange.importEvents(
                events,
                ledger: Ledger(store: store, logger: logger),
                key: key,
                options: MISPMapping.Options(jurisdiction: profile.jurisdiction, assignedTLP: assigned)
            ) { line in
                if line["outcome"] == "rejected" && shown < 20 {
                    printError(
                        "event \(line["event"]?.stringValue ?? "\(line["index"]?.integerValue ?? 0)"): \(line["reason"]?.stringValue ?? "")"
                    )
                    shown += 1
                }
                sink?.write(line.canonicalData + Data("\n".utf8))
            }
        } catch {
            await store.close()
            throw error
        }
        await store.close()
        try sink?.close()
        print(
            "read \(summary.objects) MISP events: \(summary.imported) imported (\(summary.created) records created, "
                + "\(summary.duplicates) already held), \(summary.skipped) skipped, \(summary.rejected) rejected"
        )
    }

    /// Each input line with its number: the parsed object, or why it could not be read.
    func readInputs(_ format: Format) throws -> [(Int, Result<JSONValue, LineError>)] {
        switch format {
        case .stix, .misp:
            throw ValidationError("STIX bundles and MISP events are read by their own importers")
        case .polkadot:
            guard let typologyValue = Typology(lenient: typology) else {
                throw ValidationError("--typology \(typology) is not a known typology")
            }
            guard (0...100).contains(confidence) else { throw ValidationError("--confidence must be 0 to 100") }
            let list = try PolkadotPhishingList(path: path, typology: typologyValue, confidence: confidence)
            if !list.allow.isEmpty {
                printError("note: \(list.allow.count) allow-listed hosting suffixes are not imported as indicators")
            }
            return list.indicators.enumerated().map { ($0.offset + 1, .success($0.element)) }
        case .csv:
            let text = try String(contentsOfFile: path, encoding: .utf8)
            return try CSVIndicators.parse(text).map { ($0.line, .success($0.input)) }
        case .ndjson:
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            var out: [(Int, Result<JSONValue, LineError>)] = []
            var lineNumber = 0
            for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
                lineNumber += 1
                if line.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
                do {
                    out.append((lineNumber, .success(try JSONValue.parse(line))))
                } catch {
                    out.append((lineNumber, .failure(LineError(text: "not valid JSON: \(error.detail)"))))
                }
            }
            return out
        }
    }
}

struct LineError: Error, CustomStringConvertible {
    let text: String
    var description: String { text }
}

/// A one-line progress bar on standard error, drawn only when standard error is a terminal.
final class ProgressBar {
    let total: Int
    let enabled = isatty(2) == 1

    init(total: Int) {
        self.total = total
    }

    func update(done: Int) {
        guard enabled, total > 0 else { return }
        let width = 40
        let filled = width * done / total
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        FileHandle.standardError.write(Data("\r[\(bar)] \(done)/\(total)".utf8))
    }

    func finish() {
        if enabled { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
