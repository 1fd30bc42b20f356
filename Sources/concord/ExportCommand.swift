import ArgumentParser
import ConcordAnalysis
import ConcordCore
import ConcordInterop
import ConcordStore
import ConcordWeb
import Foundation
import Logging

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the node's records as NDJSON (signed records in log order) or as a STIX 2.1 bundle.",
        discussion: """
            NDJSON: each line is {"id", "content", "signature", "sequence"}; anyone can verify it against its origin's \
            key. STIX: indicators, reports, sightings, campaigns and their relationships, withdrawn records as \
            revoked objects, TLP 2.0 markings (docs/interop.md).
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case ndjson, stix, misp
    }

    @Option(help: "Output format: ndjson, stix or misp (a MISP feed directory: give --output).")
    var format: Format = .ndjson

    @OptionGroup var node: NodeOptions

    @Option(help: "Only records after this log position.")
    var after: Int64 = 0

    @Option(help: "Only this kind: report, indicator, retraction.")
    var kind: String?

    @Option(help: "Write to this file instead of standard output.")
    var output: String?

    func run() async throws {
        let (key, profile) = try node.load()
        var recordKind: RecordKind?
        if let kind {
            guard let k = RecordKind(rawValue: kind) else {
                throw ValidationError("--kind must be report, indicator or retraction")
            }
            recordKind = k
        }
        if format == .misp {
            guard let output else { throw ValidationError("--format misp writes a feed directory: give --output DIR") }
            let store = try await node.openStore(logger: makeLogger(level: .warning))
            do {
                let count = try await MISPExchange.writeFeed(
                    store: store,
                    organisation: MISPFeedWriter.Organisation(name: profile.organisation, nodeID: key.nodeID),
                    to: URL(fileURLWithPath: output)
                )
                await store.close()
                print("exported \(count) MISP events to \(output) (manifest.json, one file an event, hashes.csv)")
            } catch {
                await store.close()
                throw error
            }
            return
        }
        let handle: FileHandle
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: nil) else {
                throw ValidationError("cannot write \(output)")
            }
            handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        } else {
            handle = FileHandle.standardOutput
        }
        if format == .stix {
            try await exportSTIX(key: key, profile: profile, kind: recordKind, to: handle)
            return
        }
        let store = try await node.openStore(logger: makeLogger(level: .warning))
        var cursor = after
        var count = 0
        do {
            while true {
                let page = try await store.records(RecordQuery(after: cursor, limit: 1000, kind: recordKind))
                guard let last = page.last else { break }
                var chunk = Data()
                for stored in page {
                    guard case .object(var members) = stored.record.wire else { continue }
                    members["sequence"] = .integer(stored.sequence)
                    chunk.append(JSONValue.object(members).canonicalData)
                    chunk.append(UInt8(ascii: "\n"))
                }
                handle.write(chunk)
                count += page.count
                cursor = last.sequence
            }
        } catch {
            await store.close()
            throw error
        }
        await store.close()
        if output != nil {
            try handle.close()
            print("exported \(count) records to \(output ?? "")")
        }
    }

    private func exportSTIX(key: NodeKey, profile: NodeProfile, kind: RecordKind?, to handle: FileHandle) async throws {
        guard after == 0 else { throw ValidationError("--after applies to NDJSON; a STIX bundle holds every record") }
        var filter = STIXExportFilter()
        if let kind {
            guard kind == .report || kind == .indicator else { throw ValidationError("--kind for STIX is report or indicator") }
            filter.kinds = [kind]
        }
        let store = try await node.openStore(logger: makeLogger(level: .warning))
        do {
            var linker = CampaignLinker()
            linker.add(contentsOf: try await liveReports(in: store))
            let count = try await STIXBundleExport.write(
                store: store,
                exporter: key.nodeID,
                names: [key.nodeID: profile.organisation],
                campaigns: linker.campaigns(now: .now()),
                filter: filter
            ) { bytes in handle.write(Data(bytes)) }
            await store.close()
            if output != nil {
                try handle.close()
                print("exported \(count) STIX objects to \(output ?? "")")
            }
        } catch {
            await store.close()
            throw error
        }
    }
}
