import ConcordCore
import ConcordFederation
import ConcordStore
import Foundation
import Hummingbird
import Logging
import NIOCore
import Prometheus

/// `POST /api/v1/indicators`: bulk import of indicators as NDJSON, one result line per input line.
///
/// Lines are read as they stream in and written in batches of `batchSize` lines or 1 MiB, each batch one
/// transaction; a bad line gets its own problem and does not stop the others. The last line of the answer is a
/// summary.
struct IndicatorController {
    let node: RunningNode
    let batchSize = 2000

    func addRoutes(to group: RouterGroup<ConcordRequestContext>) {
        group.post("indicators", use: importIndicators)
    }

    @Sendable func importIndicators(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        guard request.isNDJSON else {
            throw Problem.unsupportedMediaType("send indicators as application/x-ndjson, one JSON object a line")
        }
        let node = self.node
        let batchSize = self.batchSize
        let logger = context.logger
        return Response(
            status: .ok,
            headers: [.contentType: "application/x-ndjson"],
            body: ResponseBody { writer in
                var splitter = LineSplitter(maxBytes: node.limits.maxLineBytes)
                var pending: [(line: Int, input: LineSplitter.Line)] = []
                var pendingBytes = 0
                var lineNumber = 0
                var summary = ImportSummary()
                var truncated = false
                reading: for try await buffer in request.body {
                    for line in splitter.feed(buffer) {
                        if lineNumber == node.limits.maxStreamLines {
                            truncated = true
                            break reading
                        }
                        lineNumber += 1
                        pending.append((lineNumber, line))
                        if case .text(let bytes) = line { pendingBytes += bytes.count }
                        // A batch ends at `batchSize` lines or 1 MiB of them, so that long lines cannot make one
                        // request hold much memory.
                        if pending.count >= batchSize || pendingBytes >= 1 << 20 {
                            try await writer.write(try await Self.process(pending, node: node, summary: &summary))
                            pending.removeAll(keepingCapacity: true)
                            pendingBytes = 0
                        }
                    }
                }
                if !truncated, let last = splitter.finish() {
                    if lineNumber == node.limits.maxStreamLines {
                        truncated = true
                    } else {
                        lineNumber += 1
                        pending.append((lineNumber, last))
                    }
                }
                try await writer.write(try await Self.process(pending, node: node, summary: &summary))
                var tail = ByteBuffer()
                var summaryJSON = summary.json
                if truncated, case .object(var members) = summaryJSON {
                    members["truncated_after_line"] = .integer(Int64(node.limits.maxStreamLines))
                    summaryJSON = .object(members)
                }
                tail.writeJSONLine(["summary": summaryJSON])
                try await writer.write(tail)
                try await writer.finish(nil)
                logger.info(
                    "indicators imported",
                    metadata: [
                        "import.lines": "\(summary.lines)", "import.created": "\(summary.created)",
                        "import.rejected": "\(summary.rejected)",
                    ]
                )
            }
        )
    }

    static func process(
        _ lines: [(line: Int, input: LineSplitter.Line)],
        node: RunningNode,
        summary: inout ImportSummary
    ) async throws -> ByteBuffer {
        var results = [JSONValue?](repeating: nil, count: lines.count)
        var inputs: [JSONValue] = []
        var inputSlots: [Int] = []
        for (slot, entry) in lines.enumerated() {
            switch entry.input {
            case .tooLong:
                results[slot] = lineProblem(entry.line, .tooLarge("the line is longer than \(node.limits.maxLineBytes) bytes"))
            case .text(let bytes):
                if bytes.allSatisfy({ $0 == 32 || $0 == 9 }) { continue }  // blank lines are skipped
                do {
                    inputs.append(try JSONValue.parse(bytes))
                    inputSlots.append(slot)
                } catch {
                    results[slot] = lineProblem(entry.line, .malformed("line \(entry.line) is not valid JSON: \(error.detail)"))
                }
            }
        }
        let outcomes = try await node.ledger.writeIndicators(inputs, key: node.key, jurisdiction: node.profile.jurisdiction)
        var createdHere = 0
        for (outcome, slot) in zip(outcomes, inputSlots) {
            let line = JSONValue.integer(Int64(lines[slot].line))
            switch outcome {
            case .created(let id):
                summary.created += 1
                createdHere += 1
                results[slot] = .object(["line": line, "id": .string(id), "status": .string("created")])
            case .duplicate(let id):
                summary.duplicates += 1
                results[slot] = .object(["line": line, "id": .string(id), "status": .string("duplicate")])
            case .rejected(let error):
                results[slot] = lineProblem(lines[slot].line, .invalid(error))
            }
        }
        node.didWrite(createdHere)
        var out = ByteBuffer()
        for result in results {
            guard let result else { continue }
            summary.lines += 1
            if result["problem"] != nil {
                summary.rejected += 1
                node.metrics.indicatorLinesRejected.increment()
            }
            out.writeJSONLine(result)
        }
        return out
    }

    static func lineProblem(_ line: Int, _ problem: Problem) -> JSONValue {
        .object(["line": .integer(Int64(line)), "problem": problem.inlineJSON])
    }
}

/// Counts of a bulk import, sent as its last line.
struct ImportSummary {
    var lines = 0
    var created = 0
    var duplicates = 0
    var rejected = 0

    var json: JSONValue {
        .object([
            "lines": .integer(Int64(lines)), "created": .integer(Int64(created)),
            "duplicates": .integer(Int64(duplicates)), "rejected": .integer(Int64(rejected)),
        ])
    }
}
