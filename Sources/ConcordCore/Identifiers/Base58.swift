import Crypto
import Foundation

/// Base58 with the Bitcoin alphabet, and Base58Check (payload followed by the first four bytes of its
/// double SHA-256), as Bitcoin and Tron write their addresses.
enum Base58 {
    /// Why a text is not valid Base58 or Base58Check.
    enum Failure: Error, Equatable, Sendable {
        /// A character outside the alphabet (which leaves out 0, O, I and l).
        case invalidCharacter(Unicode.Scalar)
        /// Fewer bytes than a checksum needs.
        case tooShort
        /// The last four bytes are not the checksum of the rest.
        case checksumMismatch
    }

    /// The 58 digits in value order.
    static let alphabet: [UInt8] = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)

    /// The value of each ASCII byte as a digit, or -1.
    private static let digitValues: [Int8] = {
        var table = [Int8](repeating: -1, count: 128)
        for (value, byte) in alphabet.enumerated() {
            table[Int(byte)] = Int8(value)
        }
        return table
    }()

    /// Whether `scalar` is one of the 58 digits.
    static func isDigit(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 128 && digitValues[Int(scalar.value)] >= 0
    }

    /// The Base58 text of `bytes`; each leading zero byte becomes a leading `1`.
    static func encode(_ bytes: [UInt8]) -> String {
        let zeros = bytes.prefix(while: { $0 == 0 }).count
        // Base-58 digits of the number, least significant first.
        var digits: [UInt8] = []
        digits.reserveCapacity(bytes.count * 138 / 100 + 1)
        for byte in bytes[zeros...] {
            var carry = Int(byte)
            for index in digits.indices {
                carry += Int(digits[index]) << 8
                digits[index] = UInt8(carry % 58)
                carry /= 58
            }
            while carry > 0 {
                digits.append(UInt8(carry % 58))
                carry /= 58
            }
        }
        var text = [UInt8](repeating: alphabet[0], count: zeros)
        text.reserveCapacity(zeros + digits.count)
        for digit in digits.reversed() {
            text.append(alphabet[Int(digit)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The bytes that `text` encodes; each leading `1` becomes a leading zero byte.
    ///
    /// The work grows with the square of the length: callers bound the length first.
    static func decode(_ text: String) -> Result<[UInt8], Failure> {
        var zeros = 0
        var leading = true
        // Base-256 digits of the number, least significant first.
        var bytes: [UInt8] = []
        for scalar in text.unicodeScalars {
            let value = scalar.value < 128 ? Int(digitValues[Int(scalar.value)]) : -1
            guard value >= 0 else { return .failure(.invalidCharacter(scalar)) }
            if leading && value == 0 {
                zeros += 1
                continue
            }
            leading = false
            var carry = value
            for index in bytes.indices {
                carry += Int(bytes[index]) * 58
                bytes[index] = UInt8(carry & 0xFF)
                carry >>= 8
            }
            while carry > 0 {
                bytes.append(UInt8(carry & 0xFF))
                carry >>= 8
            }
        }
        var result = [UInt8](repeating: 0, count: zeros)
        result.append(contentsOf: bytes.reversed())
        return .success(result)
    }

    /// The four checksum bytes of Base58Check: the head of SHA-256(SHA-256(payload)).
    static func checksum(_ payload: [UInt8]) -> [UInt8] {
        let once = Array(SHA256.hash(data: payload))
        let twice = Array(SHA256.hash(data: once))
        return Array(twice[0..<4])
    }

    /// The Base58Check text of `payload` (version byte included by the caller).
    static func encodeCheck(_ payload: [UInt8]) -> String {
        encode(payload + checksum(payload))
    }

    /// The payload of a Base58Check text, with its checksum verified and removed.
    static func decodeCheck(_ text: String) -> Result<[UInt8], Failure> {
        switch decode(text) {
        case .failure(let failure):
            return .failure(failure)
        case .success(let bytes):
            guard bytes.count > 4 else { return .failure(.tooShort) }
            let payload = Array(bytes[0..<(bytes.count - 4)])
            guard Array(bytes[(bytes.count - 4)...]) == checksum(payload) else {
                return .failure(.checksumMismatch)
            }
            return .success(payload)
        }
    }
}
