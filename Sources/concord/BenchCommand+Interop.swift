import ArgumentParser
import AsyncHTTPClient
import ConcordCore
import ConcordInterop
import ConcordStore
import ConcordWeb
import Foundation
import Logging
import NIOCore
import NIOHTTP1

extension BenchCommand {
    struct STIX: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "stix",
            abstract: "STIX bundle import: objects/s read and mapped (no writes), and fully imported into a new store."
        )

        @Option(help: "The bundle to import.")
        var bundle: String

        func run() async throws {
            let file = URL(fileURLWithPath: bundle)
            let options = STIXImporter.Options(jurisdiction: "TH", defaultTLP: .green)

            // Where the time goes: one pass that only splits, one that splits and parses every object.
            for parse in [false, true] {
                let began = ContinuousClock.now
                var splitter = STIXBundleSplitter()
                let handle = try FileHandle(forReadingFrom: file)
                var count = 0
                while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                    for element in try splitter.feed(chunk) {
                        if parse, case .bytes(let bytes) = element { _ = try? JSONValue.parse(bytes) }
                        count += 1
                    }
                }
                try handle.close()
                let took = ContinuousClock.now - began
                printLine(
                    "stix \(parse ? "split+parse" : "split only"): \(count) objects in \(Self.seconds(took)) s: \(Self.rate(count, took)) objects/s"
                )
            }

            // Read and map: the three passes as the import runs them (the third on both cores), every object parsed
            // and mapped and every record input read as API input, nothing signed or stored.
            var started = ContinuousClock.now
            let importer = try STIXBundleImport.prepare(file: file, options: options)
            let prepared = ContinuousClock.now - started
            var splitter = STIXBundleSplitter()
            let handle = try FileHandle(forReadingFrom: file)
            var objects = 0
            var inputs = 0
            var refused = 0
            while let chunk = try handle.read(upToCount: 1 << 19), !chunk.isEmpty {
                let elements = try splitter.feed(chunk)
                let mapped = await STIXBundleImport.mapAll(elements, first: objects, importer: importer)
                objects += elements.count
                var indicators: [JSONValue] = []
                for (_, item) in mapped {
                    switch item {
                    case .done(let line): if line["outcome"] == "rejected" { refused += 1 }
                    case .indicators(_, let list): indicators += list
                    case .report: inputs += 1
                    case .revoked: break
                    }
                }
                let valid = await Self.validate(indicators)
                inputs += valid
                refused += indicators.count - valid
            }
            try handle.close()
            let mapped = ContinuousClock.now - started
            printLine(
                "stix read+map: \(objects) objects in \(Self.seconds(mapped)) s: \(Self.rate(objects, mapped)) objects/s "
                    + "(\(inputs) record inputs valid, \(refused) refused; first two passes \(Self.seconds(prepared)) s on one "
                    + "core, the third on all)"
            )

            // Full import: signed and stored in a new SQLite store, as `concord import --format stix` does.
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "concord-bench-stix-\(UUID().uuidString)"
            )
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let logger = makeLogger(level: .warning)
            let store = try await SQLStore.open(
                .sqlite(path: directory.appendingPathComponent("concord.sqlite").path),
                logger: logger
            )
            started = ContinuousClock.now
            let summary: STIXImportSummary
            do {
                summary = try await STIXBundleImport.run(
                    file: file,
                    ledger: Ledger(store: store, logger: logger),
                    key: NodeKey(),
                    options: options
                ) { _ in }
            } catch {
                await store.close()
                throw error
            }
            let full = ContinuousClock.now - started
            await store.close()
            printLine(
                "stix import: \(summary.objects) objects in \(Self.seconds(full)) s: \(Self.rate(summary.objects, full)) objects/s "
                    + "(\(summary.created) records signed and stored, \(summary.skipped) skipped, \(summary.rejected) rejected)"
            )
        }

        /// How many of `inputs` read as valid indicator input, on two tasks.
        static func validate(_ inputs: [JSONValue]) async -> Int {
            let half = inputs.count / 2
            return await withTaskGroup(of: Int.self) { group in
                for part in [inputs[..<half], inputs[half...]] {
                    group.addTask { part.filter { (try? RecordInput.indicator($0, nodeJurisdiction: "TH")) != nil }.count }
                }
                return await group.reduce(0, +)
            }
        }

        static func seconds(_ d: Duration) -> String {
            String(format: "%.2f", Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
        }

        static func rate(_ count: Int, _ d: Duration) -> String {
            let s = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
            return String(format: "%.0f", Double(count) / max(s, 1e-9))
        }
    }

    struct TAXIIPaging: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "taxii",
            abstract: "TAXII paging throughput: reads a collection's objects page by page (next) and reports objects/s."
        )

        @Option(help: "The collection's address: http://host/root/collections/<id>/")
        var collection: String

        @Option(help: "HTTP Basic user name.")
        var user: String = "bench"

        @Option(help: "Environment variable holding the password or token.")
        var secretEnv: String = "TAXII_SECRET"

        @Option(help: "Objects per page.")
        var limit: Int = 1000

        @Option(help: "Times to read the whole collection; the best and the median are printed.")
        var rounds: Int = 3

        func run() async throws {
            let secret = ProcessInfo.processInfo.environment[secretEnv] ?? ""
            let address = collection.hasSuffix("/") ? collection : collection + "/"
            let http = HTTPClient(eventLoopGroupProvider: .singleton)
            var rates: [Double] = []
            var total = 0
            do {
                for _ in 0..<max(1, rounds) {
                    let started = ContinuousClock.now
                    var next: String?
                    var objects = 0
                    var distinct = Set<String>()
                    var pages = 0
                    repeat {
                        var request = HTTPClientRequest(
                            url: address + "objects/?limit=\(limit)" + (next.map { "&next=" + TAXIIFeedPuller.encode($0) } ?? "")
                        )
                        request.headers.add(name: "Accept", value: "application/taxii+json;version=2.1")
                        request.headers.add(
                            name: "Authorization",
                            value: "Basic " + Data("\(user):\(secret)".utf8).base64EncodedString()
                        )
                        let response = try await http.execute(request, timeout: .seconds(600))
                        let body = try await response.body.collect(upTo: 1 << 30)
                        guard response.status == .ok else {
                            throw ValidationError("page \(pages + 1): HTTP \(response.status.code)")
                        }
                        let envelope = try JSONValue.parse(body.readableBytesView)
                        for object in envelope["objects"]?.arrayValue ?? [] {
                            objects += 1
                            if let id = object["id"]?.stringValue { distinct.insert(id) }
                        }
                        pages += 1
                        next = envelope["more"] == .bool(true) ? envelope["next"]?.stringValue : nil
                    } while next != nil
                    let elapsed = ContinuousClock.now - started
                    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                    // Shared objects (identities, markings, observables) may come again on later pages: the rate
                    // counts distinct objects, what a client ends up holding.
                    rates.append(Double(distinct.count) / seconds)
                    total = distinct.count
                    printLine(
                        String(
                            format: "taxii round: %d objects (%d distinct) in %d pages in %.2f s: %.0f distinct objects/s",
                            objects,
                            distinct.count,
                            pages,
                            seconds,
                            rates.last ?? 0
                        )
                    )
                }
            } catch {
                try? await http.shutdown()
                throw error
            }
            try? await http.shutdown()
            let sorted = rates.sorted()
            printLine(
                String(
                    format: "taxii paging: %d distinct objects, limit %d: best %.0f objects/s, median %.0f objects/s",
                    total,
                    limit,
                    sorted.last ?? 0,
                    sorted[sorted.count / 2]
                )
            )
        }
    }
}
