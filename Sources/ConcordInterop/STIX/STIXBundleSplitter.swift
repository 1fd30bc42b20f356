/// Cuts a STIX bundle, as its bytes arrive, into the elements of its `objects` array, so that a bundle of a
/// million objects is read one object at a time.
///
/// Only the structure is followed here (strings, nesting, the top-level member names); each element is parsed
/// and judged by whoever receives it. Other top-level members are skipped.
public struct STIXBundleSplitter: Sendable {
    /// One element of `objects`.
    public enum Element: Sendable, Equatable {
        /// The element's bytes.
        case bytes([UInt8])
        /// An element longer than the limit, of this many bytes; its bytes were not kept.
        case oversized(Int)
    }

    /// Why the bundle cannot be read on.
    public struct Failure: Error, Sendable, Equatable {
        /// What is wrong, in words.
        public let detail: String

        /// Creates a failure saying `detail`.
        public init(detail: String) { self.detail = detail }
    }

    private enum Place { case key, inKey, colon, value, afterValue }

    /// The most bytes one object may have.
    public let maximumElementBytes: Int
    private var depth = 0
    private var inString = false
    private var escaped = false
    private var place = Place.key
    private var key: [UInt8] = []
    private var inObjects = false
    private var sawObjects = false
    private var capturing = false
    private var scalar = false
    private var buffer: [UInt8] = []
    private var captured = 0
    private var finished = false

    /// Creates a splitter keeping elements of at most `maximumElementBytes` bytes.
    public init(maximumElementBytes: Int = 1 << 20) {
        self.maximumElementBytes = maximumElementBytes
    }

    /// The elements completed by `bytes`, in order.
    public mutating func feed(_ bytes: some Sequence<UInt8>) throws(Failure) -> [Element] {
        var out: [Element] = []
        for b in bytes {
            if finished {
                guard isSpace(b) else { throw Failure(detail: "there is more after the bundle's closing brace") }
                continue
            }
            if inString {
                keep(b)
                if depth == 1 && place == .inKey && key.count < 64 { key.append(b) }
                if escaped {
                    escaped = false
                } else if b == UInt8(ascii: "\\") {
                    escaped = true
                } else if b == UInt8(ascii: "\"") {
                    inString = false
                    if depth == 1 && place == .inKey {
                        key.removeLast()
                        place = .colon
                    }
                }
                continue
            }
            switch b {
            case UInt8(ascii: "\""):
                if depth == 2 && inObjects && !capturing { begin(scalar: true) }
                keep(b)
                inString = true
                if depth == 1 && place == .key {
                    place = .inKey
                    key.removeAll(keepingCapacity: true)
                }
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                if depth == 0 {
                    guard b == UInt8(ascii: "{") else { throw Failure(detail: "a bundle is a JSON object") }
                    depth = 1
                    place = .key
                    continue
                }
                if depth == 1 {
                    guard place == .value else { throw Failure(detail: "the bundle is not well-formed JSON") }
                    if key == Array("objects".utf8) {
                        guard b == UInt8(ascii: "[") else { throw Failure(detail: "objects is not an array") }
                        guard !sawObjects else { throw Failure(detail: "the bundle has two objects members") }
                        inObjects = true
                        sawObjects = true
                    }
                    depth = 2
                    continue
                }
                if depth == 2 && inObjects && !capturing { begin(scalar: false) }
                keep(b)
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if depth == 2 && inObjects && capturing && scalar { out.append(end()) }
                keep(b)
                depth -= 1
                if depth < 0 { throw Failure(detail: "the bundle closes more than it opens") }
                if depth == 2 && inObjects && capturing { out.append(end()) }
                if depth == 1 {
                    inObjects = false
                    place = .afterValue
                }
                if depth == 0 { finished = true }
            case UInt8(ascii: ","):
                if depth == 2 && inObjects && capturing && scalar {
                    out.append(end())
                    continue
                }
                keep(b)
                if depth == 1 { place = .key }
            case UInt8(ascii: ":"):
                keep(b)
                if depth == 1 && place == .colon { place = .value }
            default:
                if isSpace(b) {
                    if capturing && !scalar { keep(b) }
                    continue
                }
                if depth == 2 && inObjects && !capturing { begin(scalar: true) }
                keep(b)
                if depth == 1 && place == .value { place = .afterValue }
            }
        }
        return out
    }

    /// Checks that the bundle ended where it should.
    public func finish() throws(Failure) {
        guard finished else {
            throw Failure(detail: depth == 0 ? "the input is empty" : "the bundle ends before its closing brace")
        }
        guard sawObjects else { throw Failure(detail: "the bundle has no objects array") }
    }

    private mutating func begin(scalar: Bool) {
        capturing = true
        self.scalar = scalar
        buffer.removeAll(keepingCapacity: true)
        captured = 0
    }

    private mutating func keep(_ b: UInt8) {
        guard capturing else { return }
        captured += 1
        if captured <= maximumElementBytes { buffer.append(b) }
    }

    private mutating func end() -> Element {
        capturing = false
        if captured > maximumElementBytes { return .oversized(captured) }
        return .bytes(buffer)
    }

    private func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }
}
