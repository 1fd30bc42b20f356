/// Punycode (RFC 3492): the reversible ASCII spelling of Unicode text that internationalised
/// domain names use for their labels (`bücher` is `bcher-kva`, so the host is `xn--bcher-kva`).
///
/// Only the Bootstring parameters that RFC 3492 fixes for Punycode are used. The `xn--` prefix is
/// not part of the encoding; callers add or strip it.
public enum Punycode {
    private static let base = 36
    private static let tMin = 1
    private static let tMax = 26
    private static let skew = 38
    private static let damp = 700
    private static let initialBias = 72
    private static let initialN = 0x80
    private static let delimiter = UInt8(ascii: "-")
    /// Any intermediate value above this is treated as an overflow and the input is refused.
    /// RFC 3492 asks for at least 26-bit integers; a 31-bit bound keeps every step exact in `Int`.
    private static let limit = Int(Int32.max)
    /// The longest input either direction takes. Both algorithms are quadratic in their input; a domain label
    /// is at most 63 characters, so nothing real comes near this, and a crafted megabyte label costs nothing.
    public static let maximumInput = 256

    /// Encodes Unicode text as punycode, without the `xn--` prefix.
    ///
    /// ASCII characters are copied first, in order and with their case; the other code points
    /// follow the last `-` as variable-length deltas written with lower-case letters and digits.
    /// - Parameter text: the text to encode, usually one domain label.
    /// - Returns: the encoded text, or nil if the text has more than `maximumInput` code points or is too long
    ///   to encode without overflow.
    public static func encode(_ text: String) -> String? {
        guard text.utf8.count <= maximumInput * 4, text.unicodeScalars.count <= maximumInput else { return nil }
        var scalars: [UInt32] = []
        scalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars { scalars.append(scalar.value) }
        return encode(scalars: scalars)
    }

    /// Decodes punycode (without the `xn--` prefix) back into Unicode text.
    ///
    /// Letters in the encoded part are read case-insensitively.
    /// - Parameter text: the encoded text.
    /// - Returns: the decoded text, or nil if the input is not valid punycode (a bad digit, a
    ///   truncated number, an overflow, or a code point that is not a Unicode scalar), or is longer than
    ///   `maximumInput` bytes.
    public static func decode(_ text: String) -> String? {
        guard text.utf8.count <= maximumInput else { return nil }
        let input = Array(text.utf8)
        var output: [Unicode.Scalar] = []
        output.reserveCapacity(input.count)

        // Everything before the last delimiter is copied as is; it must be ASCII.
        var position = 0
        if let last = input.lastIndex(of: delimiter) {
            for byte in input[..<last] {
                guard byte < 0x80 else { return nil }
                output.append(Unicode.Scalar(byte))
            }
            // The delimiter is consumed only when it ended a non-empty run of basic code points.
            position = last > 0 ? last + 1 : 0
        }

        var n = initialN
        var i = 0
        var bias = initialBias
        while position < input.count {
            let oldI = i
            var weight = 1
            var k = base
            while true {
                guard position < input.count, let digit = digitValue(input[position]) else { return nil }
                position += 1
                guard digit <= (limit - i) / weight else { return nil }
                i += digit * weight
                let t = threshold(k, bias: bias)
                if digit < t { break }
                guard weight <= limit / (base - t) else { return nil }
                weight *= base - t
                k += base
            }
            let length = output.count + 1
            bias = adapt(delta: i - oldI, count: length, first: oldI == 0)
            guard i / length <= limit - n else { return nil }
            n += i / length
            i %= length
            guard n >= 0x80, let scalar = Unicode.Scalar(UInt32(n)) else { return nil }
            output.insert(scalar, at: i)
            i += 1
        }

        var view = String.UnicodeScalarView()
        view.append(contentsOf: output)
        return String(view)
    }

    /// Encodes code points (all valid Unicode scalar values) as punycode.
    static func encode(scalars input: [UInt32]) -> String? {
        guard input.count <= maximumInput else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(input.count * 2 + 1)
        for value in input where value < 0x80 {
            output.append(UInt8(value))
        }
        let basicCount = output.count
        var handled = basicCount
        if basicCount > 0 { output.append(delimiter) }

        var n = initialN
        var delta = 0
        var bias = initialBias
        while handled < input.count {
            // The smallest code point not handled yet.
            var next = Int.max
            for value in input where Int(value) >= n && Int(value) < next {
                next = Int(value)
            }
            guard next - n <= (limit - delta) / (handled + 1) else { return nil }
            delta += (next - n) * (handled + 1)
            n = next
            for value in input {
                let code = Int(value)
                if code < n {
                    delta += 1
                    guard delta <= limit else { return nil }
                }
                if code == n {
                    // Write delta as a variable-length base-36 number.
                    var q = delta
                    var k = base
                    while true {
                        let t = threshold(k, bias: bias)
                        if q < t { break }
                        output.append(digitByte(t + (q - t) % (base - t)))
                        q = (q - t) / (base - t)
                        k += base
                    }
                    output.append(digitByte(q))
                    bias = adapt(delta: delta, count: handled + 1, first: handled == basicCount)
                    delta = 0
                    handled += 1
                }
            }
            delta += 1
            n += 1
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The bias adaptation function of RFC 3492 section 6.1.
    private static func adapt(delta: Int, count: Int, first: Bool) -> Int {
        var delta = first ? delta / damp : delta / 2
        delta += delta / count
        var k = 0
        while delta > ((base - tMin) * tMax) / 2 {
            delta /= base - tMin
            k += base
        }
        return k + (base - tMin + 1) * delta / (delta + skew)
    }

    /// The threshold t for position k under the current bias, clamped to tMin...tMax.
    private static func threshold(_ k: Int, bias: Int) -> Int {
        if k <= bias { return tMin }
        if k >= bias + tMax { return tMax }
        return k - bias
    }

    /// The digit 0...35 written as a-z then 0-9.
    private static func digitByte(_ digit: Int) -> UInt8 {
        digit < 26 ? UInt8(ascii: "a") + UInt8(digit) : UInt8(ascii: "0") + UInt8(digit - 26)
    }

    /// The value of an encoded digit, letters in either case; nil for anything else.
    private static func digitValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"): Int(byte - UInt8(ascii: "a"))
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): Int(byte - UInt8(ascii: "A"))
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0")) + 26
        default: nil
        }
    }
}
