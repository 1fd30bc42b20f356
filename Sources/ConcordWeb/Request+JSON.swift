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

/// Splits a byte stream into lines, whatever the buffer boundaries; a line over the limit is reported,
/// not kept, so one huge line cannot exhaust memory.
struct LineSplitter {
    enum Line: Sendable {
        case text([UInt8])
        case tooLong
    }

    let maxBytes: Int
    private var pending: [UInt8] = []
    private var overflowing = false

    init(maxBytes: Int) {
        self.maxBytes = maxBytes
    }

    /// Feeds a buffer; returns the complete lines in it.
    mutating func feed(_ buffer: ByteBuffer) -> [Line] {
        var lines: [Line] = []
        buffer.withUnsafeReadableBytes { raw in
            var start = 0
            let count = raw.count
            while start < count {
                if let nl = raw[start..<count].firstIndex(of: UInt8(ascii: "\n")) {
                    appendPending(raw[start..<nl])
                    lines.append(takeLine())
                    start = nl + 1
                } else {
                    appendPending(raw[start..<count])
                    start = count
                }
            }
        }
        return lines
    }

    /// The last line when the stream ended without a newline.
    mutating func finish() -> Line? {
        guard !pending.isEmpty || overflowing else { return nil }
        return takeLine()
    }

    private mutating func appendPending(_ bytes: Slice<UnsafeRawBufferPointer>) {
        guard !overflowing else { return }
        if pending.count + bytes.count > maxBytes {
            overflowing = true
            pending.removeAll()
        } else {
            pending.append(contentsOf: bytes)
        }
    }

    private mutating func takeLine() -> Line {
        defer {
            pending.removeAll(keepingCapacity: true)
            overflowing = false
        }
        if overflowing { return .tooLong }
        if pending.last == UInt8(ascii: "\r") { pending.removeLast() }
        return .text(pending)
    }
}
