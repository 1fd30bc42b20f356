import ConcordCore
import ConcordStore
import Foundation
import Hummingbird
import Logging
import NIOCore
import Prometheus

/// Checks and normalisation: `GET /check`, `POST /check` (JSON up to the batch limit, NDJSON streamed),
/// `POST /normalize`.
struct CheckController {
    let node: RunningNode

    func addRoutes(to group: RouterGroup<ConcordRequestContext>) {
        group.get("check", use: checkOne)
        group.post("check", use: checkMany)
        group.post("normalize", use: normalize)
    }

    @Sendable func checkOne(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.checker)
        var item: [String: JSONValue] = [:]
        for (k, value) in request.formQuery where item[k] == nil {
            guard RecordInput.identifierFields.contains(k) else {
                throw Problem.invalid(pointer: "/\(k)", "is not a check parameter; use kind, value, region, chain, platform, bank")
            }
            item[k] = .string(value)
        }
        let identifier = try RecordInput.identifier(.object(item), defaultRegion: node.profile.jurisdiction)
        let result = node.index.check(identifier)
        count([result])
        return Response.json(result.json)
    }

    @Sendable func checkMany(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.checker)
        if request.isNDJSON { return streamCheck(request, context: context) }
        let json = try await request.jsonBody(context: context)
        let items: [JSONValue]
        let base: String
        if let array = json.arrayValue {
            items = array
            base = ""
        } else if let array = json["items"]?.arrayValue {
            items = array
            base = "/items"
        } else {
            throw Problem.invalid(pointer: "", "expected an array of {kind, value} items, or {\"items\": [...]}")
        }
        guard items.count <= node.limits.maxCheckBatch else {
            throw Problem.tooLarge(
                "a JSON batch holds at most \(node.limits.maxCheckBatch) items (got \(items.count)); stream larger batches as application/x-ndjson"
            )
        }
        let region = node.profile.jurisdiction
        var answers: [JSONValue] = []
        answers.reserveCapacity(items.count)
        var checked: [CheckResult] = []
        for (n, item) in items.enumerated() {
            do {
                let identifier = try RecordInput.identifier(item, at: base + "/\(n)", defaultRegion: region)
                let result = node.index.check(identifier)
                checked.append(result)
                answers.append(result.json)
            } catch {
                answers.append(Self.itemProblem(item, error))
            }
        }
        count(checked)
        return Response.json(.array(answers))
    }

    /// Streams an NDJSON check: results are written as lines arrive, so any number of items fits.
    private func streamCheck(_ request: Request, context: ConcordRequestContext) -> Response {
        let node = self.node
        return Response(
            status: .ok,
            headers: [.contentType: "application/x-ndjson"],
            body: ResponseBody { writer in
                var splitter = LineSplitter(maxBytes: node.limits.maxLineBytes)
                var lineNumber = 0
                let limit = node.limits.maxStreamLines
                var truncated = false
                for try await buffer in request.body {
                    var lines = splitter.feed(buffer)
                    if lineNumber + lines.count > limit {
                        lines = Array(lines.prefix(limit - lineNumber))
                        truncated = true
                    }
                    let out = Self.answer(lines, firstLine: lineNumber + 1, node: node)
                    lineNumber += lines.count
                    if out.readableBytes > 0 { try await writer.write(out) }
                    if truncated { break }
                }
                if !truncated, let last = splitter.finish() {
                    if lineNumber == limit {
                        truncated = true
                    } else {
                        try await writer.write(Self.answer([last], firstLine: lineNumber + 1, node: node))
                    }
                }
                if truncated {
                    var tail = ByteBuffer()
                    tail.writeBytes(
                        JSONValue.object([
                            "problem": Problem.tooLarge("a streamed check holds at most \(limit) lines; the rest was not read").inlineJSON
                        ]).canonicalData)
                    tail.writeInteger(UInt8(ascii: "\n"))
                    try await writer.write(tail)
                }
                try await writer.finish(nil)
            }
        )
    }

    static func answer(_ lines: [LineSplitter.Line], firstLine: Int, node: RunningNode) -> ByteBuffer {
        var out = ByteBuffer()
        let region = node.profile.jurisdiction
        var checked: [CheckResult] = []
        for (offset, line) in lines.enumerated() {
            let answer: JSONValue
            switch line {
            case .tooLong:
                answer = .object([
                    "line": .integer(Int64(firstLine + offset)),
                    "problem": Problem.tooLarge("the line is longer than \(node.limits.maxLineBytes) bytes").inlineJSON,
                ])
            case .text(let bytes):
                if bytes.allSatisfy({ $0 == 32 || $0 == 9 }) { continue }  // blank lines are skipped
                var item: JSONValue = .null
                do {
                    item = try JSONValue.parse(bytes)
                    let identifier = try RecordInput.identifier(item, defaultRegion: region)
                    let result = node.index.check(identifier)
                    checked.append(result)
                    answer = result.json.adding("line", .integer(Int64(firstLine + offset)))
                } catch let error as JSONParseError {
                    answer = .object([
                        "line": .integer(Int64(firstLine + offset)),
                        "problem": Problem.malformed("not valid JSON: \(error.detail)").inlineJSON,
                    ])
                } catch {
                    answer = itemProblem(item, error).adding("line", .integer(Int64(firstLine + offset)))
                }
            }
            out.writeBytes(answer.canonicalData)
            out.writeInteger(UInt8(ascii: "\n"))
        }
        node.metrics.checks.increment(by: Int64(checked.count))
        node.metrics.checksFlagged.increment(by: Int64(checked.filter(\.flagged).count))
        return out
    }

    static func itemProblem(_ item: JSONValue, _ error: any Error) -> JSONValue {
        let problem: Problem =
            if let e = error as? InputError { .invalid(e) } else { .malformed("the item cannot be read") }
        var members: [String: JSONValue] = ["problem": problem.inlineJSON]
        if let kind = item["kind"] { members["kind"] = kind }
        if let value = item["value"] { members["value"] = value }
        return .object(members)
    }

    private func count(_ results: [CheckResult]) {
        node.metrics.checks.increment(by: Int64(results.count))
        node.metrics.checksFlagged.increment(by: Int64(results.filter(\.flagged).count))
    }

    @Sendable func normalize(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.checker)
        let json = try await request.jsonBody(context: context)
        guard let kindValue = json["kind"], kindValue != .null else { throw Problem.invalid(pointer: "/kind", "is required") }
        guard let kindText = kindValue.stringValue else {
            throw Problem.invalid(pointer: "/kind", "expected a string, got \(kindValue.typeName)")
        }
        guard let kind = IdentifierKind(rawValue: kindText.lowercased()) else {
            throw Problem.invalid(
                pointer: "/kind",
                "\"\(kindText)\" is not an identifier kind; use one of \(IdentifierKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let values = json["values"]?.arrayValue else {
            throw Problem.invalid(pointer: "/values", "expected an array of strings")
        }
        guard values.count <= node.limits.maxNormalizeValues else {
            throw Problem.tooLarge("at most \(node.limits.maxNormalizeValues) values a request")
        }
        var region = node.profile.jurisdiction
        if let r = json["region"], r != .null {
            guard let text = r.stringValue, let code = Jurisdiction.normalize(text) else {
                throw Problem.invalid(pointer: "/region", "is not an ISO 3166-1 alpha-2 country code")
            }
            region = code
        }
        var hintValues: [String: String] = [:]
        for name in ["chain", "platform", "bank"] {
            guard let value = json[name], value != .null else { continue }
            guard let text = value.stringValue, text.utf8.count <= 64 else {
                throw Problem.invalid(pointer: "/\(name)", "expected a string of at most 64 bytes")
            }
            hintValues[name] = text
        }
        let hints = NormalizationHints(
            region: region, chain: hintValues["chain"], platform: hintValues["platform"], bank: hintValues["bank"])
        var results: [JSONValue] = []
        for (n, value) in values.enumerated() {
            guard let text = value.stringValue else {
                throw Problem.invalid(pointer: "/values/\(n)", "expected a string, got \(value.typeName)")
            }
            do {
                let identifier = try Identifier.normalize(kind: kind, value: text, hints: hints)
                var members: [String: JSONValue] = ["value": .string(text), "canonical": .string(identifier.canonical)]
                if let display = identifier.display { members["display"] = .string(display) }
                results.append(.object(members))
            } catch {
                results.append(.object(["value": .string(text), "error": .string(error.reason), "pointer": .string("/values/\(n)")]))
            }
        }
        return Response.json(.object(["kind": .string(kind.rawValue), "results": .array(results)]))
    }
}
