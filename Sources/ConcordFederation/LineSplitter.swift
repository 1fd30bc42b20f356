public import NIOCore

/// Splits a byte stream into lines, whatever the buffer boundaries; a line over the limit is reported,
/// not kept, so one huge line cannot exhaust memory. Used for NDJSON sent to the API and for peers' feed pages.
public struct LineSplitter: Sendable {
    /// One line of the stream.
    public enum Line: Sendable {
        /// A line within the limit, without its line break.
        case text([UInt8])
        /// A line over the limit: only its last `tailBytes` bytes were kept.
        case tooLong(tail: [UInt8])
    }

    /// The longest line kept whole.
    public let maxBytes: Int
    /// How many bytes of the end of an overlong line are kept.
    public let tailBytes: Int
    private var pending: [UInt8] = []
    private var overflowing = false

    /// Creates a splitter keeping lines of up to `maxBytes` bytes.
    public init(maxBytes: Int, tailBytes: Int = 0) {
        self.maxBytes = maxBytes
        self.tailBytes = tailBytes
    }

    /// Feeds a buffer; returns the complete lines in it.
    public mutating func feed(_ buffer: ByteBuffer) -> [Line] {
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
    public mutating func finish() -> Line? {
        guard !pending.isEmpty || overflowing else { return nil }
        return takeLine()
    }

    private mutating func appendPending(_ bytes: Slice<UnsafeRawBufferPointer>) {
        if overflowing {
            // Only the tail of an overlong line is kept.
            pending.append(contentsOf: bytes.suffix(tailBytes))
            if pending.count > tailBytes { pending.removeFirst(pending.count - tailBytes) }
        } else if pending.count + bytes.count > maxBytes {
            overflowing = true
            pending.append(contentsOf: bytes.suffix(tailBytes))
            if pending.count > tailBytes { pending.removeFirst(pending.count - tailBytes) }
        } else {
            pending.append(contentsOf: bytes)
        }
    }

    private mutating func takeLine() -> Line {
        defer {
            pending.removeAll(keepingCapacity: !overflowing)
            overflowing = false
        }
        if overflowing { return .tooLong(tail: pending) }
        if pending.last == UInt8(ascii: "\r") { pending.removeLast() }
        return .text(pending)
    }
}
