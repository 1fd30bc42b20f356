import ConcordCore
import ConcordFederation
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
        let scope = try context.require(.checker).checkScope
        var fields: [String: String] = [:]
        for (k, value) in request.formQuery where fields[k] == nil {
            guard RecordInput.identifierFields.contains(k) else {
                throw Problem.invalid(
                    pointer: "/\(k)",
                    "is not a check parameter; use kind, value, region, chain, platform, bank"
                )
            }
            fields[k] = value
        }
        let identifier =
            try RecordInput.identifier(fields: fields, defaultRegion: node.profile.jurisdiction)
            ?? RecordInput.identifier(.object(fields.mapValues(JSONValue.string)), defaultRegion: node.profile.jurisdiction)
        let result = node.index.check(identifier, scope: scope)
        count([result])
        var body: [UInt8] = []
        body.reserveCapacity(320)
        result.appendCanonicalJSON(to: &body)
        return Response(
            status: .ok,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body))
        )
    }

    @Sendable func checkMany(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        let scope = try context.require(.checker).checkScope
        if request.isNDJSON { return streamCheck(request, scope: scope, context: context) }
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
        let inputs = items.enumerated().map { CheckInput.item($0.element, pointer: base + "/\($0.offset)") }
        var out: [UInt8] = [UInt8(ascii: "[")]
        out.append(contentsOf: await Self.answer(inputs, node: node, scope: scope, separator: UInt8(ascii: ",")))
        if out.last == UInt8(ascii: ",") { out.removeLast() }
        out.append(UInt8(ascii: "]"))
        return Response(
            status: .ok,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: out))
        )
    }

    /// Streams an NDJSON check: results are written as lines arrive, so any number of items fits.
    private func streamCheck(_ request: Request, scope: CheckScope, context: ConcordRequestContext) -> Response {
        let node = self.node
        return Response(
            status: .ok,
            headers: [.contentType: "application/x-ndjson"],
            body: ResponseBody { writer in
                var splitter = LineSplitter(maxBytes: node.limits.maxLineBytes)
                var lineNumber = 0
                let limit = node.limits.maxStreamLines
                var truncated = false
                var pending: [CheckInput] = []
                var pendingBytes = 0
                func take(_ line: LineSplitter.Line) {
                    lineNumber += 1
                    if case .text(let bytes) = line { pendingBytes += bytes.count }
                    pending.append(.line(line, number: lineNumber))
                }
                for try await buffer in request.body {
                    for line in splitter.feed(buffer) {
                        if lineNumber == limit {
                            truncated = true
                            break
                        }
                        take(line)
                    }
                    // Answer in blocks big enough to share between cores, small enough to stream: at most 8192
                    // lines or 1 MiB of them, so that long lines cannot make one request hold much memory.
                    if pending.count >= 8192 || pendingBytes >= 1 << 20 || truncated {
                        try await writer.write(ByteBuffer(bytes: await Self.answer(pending, node: node, scope: scope)))
                        pending.removeAll(keepingCapacity: true)
                        pendingBytes = 0
                    }
                    if truncated { break }
                }
                if !truncated, let last = splitter.finish() {
                    if lineNumber == limit { truncated = true } else { take(last) }
                }
                if !pending.isEmpty {
                    try await writer.write(ByteBuffer(bytes: await Self.answer(pending, node: node, scope: scope)))
                }
                if truncated {
                    var tail = ByteBuffer()
                    tail.writeJSONLine([
                        "problem": Problem.tooLarge("a streamed check holds at most \(limit) lines; the rest was not read")
                            .inlineJSON
                    ])
                    try await writer.write(tail)
                }
                try await writer.finish(nil)
            }
        )
    }

    /// Answers a block of check inputs in order, each followed by `separator`; large blocks are split between
    /// two tasks so that both cores work on one streamed check.
    static func answer(
        _ inputs: [CheckInput],
        node: RunningNode,
        scope: CheckScope,
        separator: UInt8 = UInt8(ascii: "\n")
    ) async -> [UInt8] {
        guard inputs.count >= 4096 else { return answerSerially(inputs[...], node: node, scope: scope, separator: separator) }
        let middle = inputs.count / 2
        async let head = answerSerially(inputs[..<middle], node: node, scope: scope, separator: separator)
        let tail = answerSerially(inputs[middle...], node: node, scope: scope, separator: separator)
        return await head + tail
    }

    private static func answerSerially(
        _ inputs: ArraySlice<CheckInput>,
        node: RunningNode,
        scope: CheckScope,
        separator: UInt8
    ) -> [UInt8] {
        let region = node.profile.jurisdiction
        // Read every input first, then look them all up under one lock, then write the answers.
        var read: [Result<Identifier, CheckInputFailure>] = []
        read.reserveCapacity(inputs.count)
        var identifiers: [Identifier] = []
        identifiers.reserveCapacity(inputs.count)
        for input in inputs {
            let outcome = input.read(defaultRegion: region, maxLineBytes: node.limits.maxLineBytes)
            if case .success(let identifier) = outcome { identifiers.append(identifier) }
            read.append(outcome)
        }
        let results = node.index.check(identifiers, scope: scope)
        node.metrics.checks.increment(by: Int64(results.count))
        node.metrics.checksFlagged.increment(by: Int64(results.filter(\.flagged).count))
        var out: [UInt8] = []
        out.reserveCapacity(inputs.count * 240)
        var next = 0
        for (input, outcome) in zip(inputs, read) {
            switch outcome {
            case .success:
                results[next].appendCanonicalJSON(to: &out, line: input.lineNumber)
                next += 1
            case .failure(.blank):
                continue
            case .failure(.problem(let answer)):
                out.append(contentsOf: answer.canonicalData)
            }
            out.append(separator)
        }
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
                "\"\(kindText)\" is not an identifier kind; use one of \(IdentifierKind.allCases.map(\.rawValue).joined(separator: ", "))"
            )
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
            region: region,
            chain: hintValues["chain"],
            platform: hintValues["platform"],
            bank: hintValues["bank"]
        )
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
                results.append(
                    .object(["value": .string(text), "error": .string(error.reason), "pointer": .string("/values/\(n)")])
                )
            }
        }
        return Response.json(.object(["kind": .string(kind.rawValue), "results": .array(results)]))
    }
}

/// One item of a batch check: an element of a JSON array, or a line of an NDJSON stream.
enum CheckInput: Sendable {
    case item(JSONValue, pointer: String)
    case line(LineSplitter.Line, number: Int)

    var lineNumber: Int? {
        if case .line(_, let number) = self { return number }
        return nil
    }

    /// The identifier the input names, or the answer to give instead.
    func read(defaultRegion: String, maxLineBytes: Int) -> Result<Identifier, CheckInputFailure> {
        let item: JSONValue
        let pointer: String
        switch self {
        case .item(let value, let at):
            item = value
            pointer = at
        case .line(.tooLong, let number):
            return .failure(
                .problem(
                    .object([
                        "line": .integer(Int64(number)),
                        "problem": Problem.tooLarge("the line is longer than \(maxLineBytes) bytes").inlineJSON,
                    ])
                )
            )
        case .line(.text(let bytes), let number):
            if bytes.allSatisfy({ $0 == 32 || $0 == 9 }) { return .failure(.blank) }
            pointer = ""
            if let flat = JSONValue.parseFlatStrings(bytes) {
                if let identifier = RecordInput.identifier(fields: flat, defaultRegion: defaultRegion) {
                    return .success(identifier)
                }
                item = .object(flat.mapValues(JSONValue.string))
            } else {
                do {
                    item = try JSONValue.parse(bytes)
                } catch {
                    return .failure(
                        .problem(
                            .object([
                                "line": .integer(Int64(number)),
                                "problem": Problem.malformed("not valid JSON: \(error.detail)").inlineJSON,
                            ])
                        )
                    )
                }
            }
        }
        do {
            return .success(try RecordInput.identifier(item, at: pointer, defaultRegion: defaultRegion))
        } catch {
            var answer = CheckController.itemProblem(item, error)
            if let number = lineNumber { answer = answer.adding("line", .integer(Int64(number))) }
            return .failure(.problem(answer))
        }
    }
}

/// Why a batch item has no check answer: a blank line (no answer), or a problem (answered in its place).
enum CheckInputFailure: Error {
    case blank
    case problem(JSONValue)
}
