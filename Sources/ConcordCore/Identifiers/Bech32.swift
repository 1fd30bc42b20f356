/// Bech32 (BIP-173) and Bech32m (BIP-350) strings: a human-readable part, the separator `1`, then
/// 5-bit data characters ending in a six-character checksum.
enum Bech32 {
    /// The two checksum variants; they differ only in the constant the checksum must leave.
    enum Variant: Sendable, Equatable {
        /// BIP-173, used by segwit version 0.
        case bech32
        /// BIP-350, used by segwit version 1 and later.
        case bech32m

        /// What the checksum polynomial leaves for a valid string of this variant.
        var constant: UInt32 {
            switch self {
            case .bech32: 1
            case .bech32m: 0x2BC8_30A3
            }
        }
    }

    /// A string whose checksum verified.
    struct Decoded: Sendable, Equatable {
        /// The human-readable part, lower-cased (`bc` for Bitcoin mainnet).
        let humanReadablePart: String
        /// The 5-bit values between the separator and the checksum.
        let data: [UInt8]
        /// Which checksum constant matched.
        let variant: Variant
    }

    /// Why a text is not a valid Bech32 or Bech32m string.
    enum Failure: Error, Equatable, Sendable {
        /// Longer than the 90 characters the checksum is designed for.
        case tooLong(Int)
        /// Upper- and lower-case letters together.
        case mixedCase
        /// A character outside printable ASCII, or outside the data alphabet after the separator.
        case invalidCharacter(Unicode.Scalar)
        /// No `1` separator.
        case noSeparator
        /// Nothing before the separator.
        case emptyHumanReadablePart
        /// Fewer than six characters after the separator.
        case tooShortForChecksum
        /// The checksum matches neither variant.
        case checksumMismatch
    }

    /// The 32 data characters in value order.
    static let charset: [UInt8] = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)

    /// The value of each lower-case ASCII byte as a data character, or -1.
    private static let charsetValues: [Int8] = {
        var table = [Int8](repeating: -1, count: 128)
        for (value, byte) in charset.enumerated() {
            table[Int(byte)] = Int8(value)
        }
        return table
    }()

    /// The generator of the BCH code behind the checksum.
    private static let generator: [UInt32] = [0x3B6A_57B2, 0x2650_8E6D, 0x1EA1_19FA, 0x3D42_33DD, 0x2A14_62B3]

    /// Reads `text`, verifying its checksum against both variants.
    static func decode(_ text: String) -> Result<Decoded, Failure> {
        var bytes: [UInt8] = []
        var hasLower = false
        var hasUpper = false
        for scalar in text.unicodeScalars {
            guard scalar.value >= 33 && scalar.value <= 126 else { return .failure(.invalidCharacter(scalar)) }
            let byte = UInt8(scalar.value)
            if byte >= 0x61 && byte <= 0x7A { hasLower = true }
            if byte >= 0x41 && byte <= 0x5A { hasUpper = true }
            bytes.append(byte)
        }
        guard bytes.count <= 90 else { return .failure(.tooLong(bytes.count)) }
        guard !(hasLower && hasUpper) else { return .failure(.mixedCase) }
        let lower = bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
        guard let separator = lower.lastIndex(of: 0x31) else { return .failure(.noSeparator) }
        guard separator > 0 else { return .failure(.emptyHumanReadablePart) }
        guard lower.count - separator - 1 >= 6 else { return .failure(.tooShortForChecksum) }

        var values: [UInt8] = []
        values.reserveCapacity(lower.count - separator - 1)
        for byte in lower[(separator + 1)...] {
            let value = byte < 128 ? charsetValues[Int(byte)] : -1
            guard value >= 0 else { return .failure(.invalidCharacter(Unicode.Scalar(byte))) }
            values.append(UInt8(value))
        }
        let humanReadablePart = Array(lower[..<separator])
        let remainder = polymod(expand(humanReadablePart) + values)
        let variant: Variant
        if remainder == Variant.bech32.constant {
            variant = .bech32
        } else if remainder == Variant.bech32m.constant {
            variant = .bech32m
        } else {
            return .failure(.checksumMismatch)
        }
        return .success(
            Decoded(
                humanReadablePart: String(decoding: humanReadablePart, as: UTF8.self),
                data: Array(values[0..<(values.count - 6)]),
                variant: variant
            )
        )
    }

    /// The checksum polynomial's remainder over 5-bit `values`.
    static func polymod(_ values: [UInt8]) -> UInt32 {
        var checksum: UInt32 = 1
        for value in values {
            let top = checksum >> 25
            checksum = ((checksum & 0x1FF_FFFF) << 5) ^ UInt32(value)
            for index in 0..<5 where (top >> UInt32(index)) & 1 == 1 {
                checksum ^= generator[index]
            }
        }
        return checksum
    }

    /// The human-readable part as the checksum sees it: high bits, a zero, then low bits.
    static func expand(_ humanReadablePart: [UInt8]) -> [UInt8] {
        var expanded: [UInt8] = []
        expanded.reserveCapacity(humanReadablePart.count * 2 + 1)
        for byte in humanReadablePart { expanded.append(byte >> 5) }
        expanded.append(0)
        for byte in humanReadablePart { expanded.append(byte & 31) }
        return expanded
    }

    /// Regroups bits, e.g. 5-bit data values into bytes.
    ///
    /// Without `pad`, leftover bits must be fewer than `fromBits` and all zero, as BIP-173 requires
    /// when reading a witness program; returns nil otherwise or when a value has more than `fromBits` bits.
    static func convertBits(_ values: [UInt8], fromBits: Int, toBits: Int, pad: Bool) -> [UInt8]? {
        var accumulator: UInt32 = 0
        var bits = 0
        let mask: UInt32 = (1 << UInt32(toBits)) - 1
        var output: [UInt8] = []
        output.reserveCapacity(values.count * fromBits / toBits + 1)
        for value in values {
            guard UInt32(value) >> UInt32(fromBits) == 0 else { return nil }
            accumulator = (accumulator << UInt32(fromBits)) | UInt32(value)
            bits += fromBits
            while bits >= toBits {
                bits -= toBits
                output.append(UInt8(truncatingIfNeeded: (accumulator >> UInt32(bits)) & mask))
            }
        }
        if pad {
            if bits > 0 {
                output.append(UInt8(truncatingIfNeeded: (accumulator << UInt32(toBits - bits)) & mask))
            }
        } else if bits >= fromBits || (accumulator << UInt32(toBits - bits)) & mask != 0 {
            return nil
        }
        return output
    }
}
