import ArgumentParser
import ConcordCore
import ConcordStore
import Foundation
import Logging

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the node's records as NDJSON, one signed record a line, in log order.",
        discussion:
            "Each line is {\"id\", \"content\", \"signature\", \"sequence\"}: anyone can verify it against its origin's key."
    )

    @OptionGroup var node: NodeOptions

    @Option(help: "Only records after this log position.")
    var after: Int64 = 0

    @Option(help: "Only this kind: report, indicator, retraction.")
    var kind: String?

    @Option(help: "Write to this file instead of standard output.")
    var output: String?

    func run() async throws {
        _ = try node.load()
        var recordKind: RecordKind?
        if let kind {
            guard let k = RecordKind(rawValue: kind) else {
                throw ValidationError("--kind must be report, indicator or retraction")
            }
            recordKind = k
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
}
