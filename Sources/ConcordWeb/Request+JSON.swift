import ConcordCore
import ConcordStore
import Foundation
import Hummingbird
import Logging
import NIOCore
import Prometheus

extension Request {
    /// Reads the body as one JSON document, with problems for a wrong content type, a body over the
    /// context's limit, or text that is not JSON.
    func jsonBody(context: ConcordRequestContext) async throws -> JSONValue {
        if let type = headers[.contentType]?.lowercased(),
            type.split(separator: ";").first?.trimmingCharacters(in: .whitespaces) != "application/json"
        {
            throw Problem.unsupportedMediaType("send the body as application/json (got \(type))")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: context.maxUploadSize)
        } catch {
            throw Problem.tooLarge(
                "the body is larger than \(context.maxUploadSize / 1_048_576) MiB; use NDJSON streaming for big batches"
            )
        }
        guard buffer.readableBytes > 0 else { throw Problem.malformed("the body is empty; send a JSON document") }
        do {
            return try JSONValue.parse(buffer.readableBytesView)
        } catch {
            throw Problem.malformed("the body is not valid JSON: \(error.detail)")
        }
    }

    /// The query parameters read as an HTML form encodes them: `+` is a space, `%2B` a plus sign. The first
    /// value of a repeated name wins.
    var formQuery: [(name: String, value: String)] {
        guard let query = uri.query, !query.isEmpty else { return [] }
        return query.utf8.split(separator: UInt8(ascii: "&")).compactMap { pair in
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = parts.first, !name.isEmpty else { return nil }
            return (Self.formDecode(name), parts.count > 1 ? Self.formDecode(parts[1]) : "")
        }
    }

    /// Decodes one form-encoded component: `+` is a space, `%XX` a byte; a malformed escape is kept as typed,
    /// and bytes that are not UTF-8 are replaced.
    static func formDecode(_ bytes: Substring.UTF8View.SubSequence) -> String {
        func hex(_ b: UInt8) -> UInt8? {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            if b == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if b == UInt8(ascii: "%"), let j = bytes.index(i, offsetBy: 2, limitedBy: bytes.endIndex), j < bytes.endIndex,
                let high = hex(bytes[bytes.index(after: i)]), let low = hex(bytes[j])
            {
                out.append(high << 4 | low)
                i = j
            } else {
                out.append(b)
            }
            i = bytes.index(after: i)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// True when the body is declared as newline-delimited JSON.
    var isNDJSON: Bool {
        guard let type = headers[.contentType]?.lowercased() else { return false }
        return type.hasPrefix("application/x-ndjson") || type.hasPrefix("application/ndjson")
            || type.hasPrefix("application/jsonl")
    }
}

extension ByteBuffer {
    /// Appends `value` in canonical form and a newline: one line of an NDJSON answer.
    mutating func writeJSONLine(_ value: JSONValue) {
        writeBytes(value.canonicalData)
        writeInteger(UInt8(ascii: "\n"))
    }
}
