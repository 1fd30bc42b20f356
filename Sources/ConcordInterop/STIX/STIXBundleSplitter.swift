/// Cuts a STIX bundle, as its bytes arrive, into the elements of its `objects` array, so that a bundle of a
/// million objects is read one object at a time.
///
/// Only the structure is followed here (strings, nesting, the top-level member names); each element is parsed
/// and judged by whoever receives it. Other top-level members are skipped. For an object element, the raw
/// values of its own `type` and `id` members are noted on the way, so that a reader looking for a few objects
/// parses only those.
public struct STIXBundleSplitter: Sendable {
    /// One element of `objects`.
    public enum Element: Sendable, Equatable {
        /// The element's bytes.
        case bytes([UInt8])
        /// An element longer than the limit, of this many bytes; its bytes were not kept.
        case oversized(Int)
    }

    /// An element with what was noted of it.
    public struct Noted: Sendable, Equatable {
        /// The element.
        public let element: Element
        /// The raw text of the object's own `type` member, when it is a plain string (no escapes).
        public let type: String?
        /// The raw text of the object's own `id` member, when it is a plain string (no escapes).
        public let id: String?
        /// False when `type` or `id` could not be noted for certain (escapes, repeats): parse to know.
        public let certain: Bool
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
    // Noting the element's own members (depth 3 inside `objects`).
    private var memberPlace = Place.key
    private var memberKey: [UInt8] = []
    private var noting: UInt8 = 0  // 1 type, 2 id
    private var noted: [UInt8] = []
    private var notedEscape = false
    private var typeText: String?
    private var idText: String?
    private var certain = true

    /// Creates a splitter keeping elements of at most `maximumElementBytes` bytes.
    public init(maximumElementBytes: Int = 1 << 20) {
        self.maximumElementBytes = maximumElementBytes
    }

    /// The elements completed by `bytes`, in order.
    public mutating func feed(_ bytes: some Sequence<UInt8>) throws(Failure) -> [Element] {
        try feedNoting(bytes).map(\.element)
    }

    /// The elements completed by `bytes`, in order, with their noted `type` and `id`.
    public mutating func feedNoting(_ bytes: some Sequence<UInt8>) throws(Failure) -> [Noted] {
        var out: [Noted] = []
        let done: Failure? =
            bytes.withContiguousStorageIfAvailable { pointer -> Failure? in
                do throws(Failure) {
                    try scan(pointer, into: &out)
                    return nil
                } catch {
                    return error
                }
            }
            ?? {
                let copy = Array(bytes)
                return copy.withUnsafeBufferPointer { pointer -> Failure? in
                    do throws(Failure) {
                        try scan(pointer, into: &out)
                        return nil
                    } catch {
                        return error
                    }
                }
            }()
        if let done { throw done }
        return out
    }

    private mutating func scan(_ b: UnsafeBufferPointer<UInt8>, into out: inout [Noted]) throws(Failure) {
        var i = 0
        let n = b.count
        // Where the current element's bytes start in this chunk, when capturing.
        var start = capturing ? 0 : -1
        func flush(to end: Int) {
            guard start >= 0, end > start else { return }
            let length = end - start
            if captured + length <= maximumElementBytes {
                buffer.append(contentsOf: UnsafeBufferPointer(rebasing: b[start..<end]))
            } else if captured < maximumElementBytes {
                buffer.append(contentsOf: UnsafeBufferPointer(rebasing: b[start..<(start + maximumElementBytes - captured)]))
            }
            captured += length
        }
        while i < n {
            let c = b[i]
            if finished {
                guard isSpace(c) else { throw Failure(detail: "there is more after the bundle's closing brace") }
                i += 1
                continue
            }
            if inString {
                // Fast path: run to the next quote or backslash.
                if !escaped && depth != 1 && noting == 0 && !(depth == 3 && memberPlace == .inKey) {
                    var j = i
                    while j < n, b[j] != 0x22, b[j] != 0x5C { j += 1 }
                    i = j
                    if i == n { break }
                }
                let d = b[i]
                if depth == 1 && place == .inKey && key.count < 64 { key.append(d) }
                if depth == 3 && inObjects && capturing && !scalar {
                    if memberPlace == .inKey && memberKey.count < 16 { memberKey.append(d) }
                    if noting != 0 && noted.count < 300 {
                        noted.append(d)
                        if d == 0x5C { notedEscape = true }
                    }
                }
                if escaped {
                    escaped = false
                } else if d == 0x5C {
                    escaped = true
                } else if d == 0x22 {
                    inString = false
                    if depth == 1 && place == .inKey {
                        key.removeLast()
                        place = .colon
                    }
                    if depth == 3 && inObjects && capturing && !scalar {
                        if memberPlace == .inKey {
                            memberKey.removeLast()
                            memberPlace = .colon
                        } else if noting != 0 {
                            noted.removeLast()
                            let text = notedEscape || noted.count >= 300 ? nil : String(decoding: noted, as: UTF8.self)
                            if text == nil { certain = false }
                            if noting == 1 {
                                if typeText != nil { certain = false }
                                typeText = text
                            } else {
                                if idText != nil { certain = false }
                                idText = text
                            }
                            noting = 0
                        }
                    }
                }
                i += 1
                continue
            }
            switch c {
            case 0x22:  // "
                if depth == 2 && inObjects && !capturing {
                    begin(scalar: true)
                    start = i
                }
                inString = true
                if depth == 1 && place == .key {
                    place = .inKey
                    key.removeAll(keepingCapacity: true)
                }
                if depth == 3 && inObjects && capturing && !scalar {
                    if memberPlace == .key {
                        memberPlace = .inKey
                        memberKey.removeAll(keepingCapacity: true)
                    } else if memberPlace == .value {
                        if memberKey == Self.typeKey {
                            noting = 1
                        } else if memberKey == Self.idKey {
                            noting = 2
                        }
                        noted.removeAll(keepingCapacity: true)
                        notedEscape = false
                        memberPlace = .afterValue
                    }
                }
            case 0x7B, 0x5B:  // { [
                if depth == 0 {
                    guard c == 0x7B else { throw Failure(detail: "a bundle is a JSON object") }
                    depth = 1
                    place = .key
                    i += 1
                    continue
                }
                if depth == 1 {
                    guard place == .value else { throw Failure(detail: "the bundle is not well-formed JSON") }
                    if key == Self.objectsKey {
                        guard c == 0x5B else { throw Failure(detail: "objects is not an array") }
                        guard !sawObjects else { throw Failure(detail: "the bundle has two objects members") }
                        inObjects = true
                        sawObjects = true
                    }
                    depth = 2
                    i += 1
                    continue
                }
                if depth == 2 && inObjects && !capturing {
                    begin(scalar: false)
                    start = i
                    memberPlace = c == 0x7B ? .key : .afterValue
                }
                if depth == 3 && inObjects && capturing && !scalar && memberPlace == .value { memberPlace = .afterValue }
                depth += 1
            case 0x7D, 0x5D:  // } ]
                if depth == 2 && inObjects && capturing && scalar {
                    flush(to: i)
                    start = -1
                    out.append(end())
                }
                depth -= 1
                if depth < 0 { throw Failure(detail: "the bundle closes more than it opens") }
                if depth == 2 && inObjects && capturing {
                    flush(to: i + 1)
                    start = -1
                    out.append(end())
                } else if depth == 3 && inObjects && capturing && !scalar {
                    memberPlace = .afterValue
                }
                if depth == 1 {
                    inObjects = false
                    place = .afterValue
                }
                if depth == 0 { finished = true }
            case 0x2C:  // ,
                if depth == 2 && inObjects && capturing && scalar {
                    flush(to: i)
                    start = -1
                    out.append(end())
                    i += 1
                    continue
                }
                if depth == 1 { place = .key }
                if depth == 3 && inObjects && capturing && !scalar { memberPlace = .key }
            case 0x3A:  // :
                if depth == 1 && place == .colon { place = .value }
                if depth == 3 && inObjects && capturing && !scalar && memberPlace == .colon { memberPlace = .value }
            default:
                if isSpace(c) { break }
                if depth == 2 && inObjects && !capturing {
                    begin(scalar: true)
                    start = i
                }
                if depth == 1 && place == .value { place = .afterValue }
                if depth == 3 && inObjects && capturing && !scalar && memberPlace == .value { memberPlace = .afterValue }
            }
            i += 1
        }
        if capturing { flush(to: n) }
    }

    private static let objectsKey = Array("objects".utf8)
    private static let typeKey = Array("type".utf8)
    private static let idKey = Array("id".utf8)

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
        typeText = nil
        idText = nil
        certain = true
        noting = 0
    }

    private mutating func end() -> Noted {
        capturing = false
        let element: Element = captured > maximumElementBytes ? .oversized(captured) : .bytes(buffer)
        return Noted(element: element, type: typeText, id: idText, certain: certain && !scalar)
    }

    private func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }
}
