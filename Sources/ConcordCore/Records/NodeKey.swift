import Crypto
public import Foundation

/// A node's Ed25519 signing key: its identity in the network.
public struct NodeKey: Sendable {
    private let privateKey: Curve25519.Signing.PrivateKey
    /// The 32-byte public key (derived once: deriving it costs a scalar multiplication).
    public let publicKey: Data
    /// The node id derived from the public key.
    public let nodeID: String

    /// A new random key.
    public init() {
        self.init(privateKey: Curve25519.Signing.PrivateKey())
    }

    private init(privateKey: Curve25519.Signing.PrivateKey) {
        self.privateKey = privateKey
        publicKey = privateKey.publicKey.rawRepresentation
        nodeID = NodeID.derive(publicKey: publicKey)
    }

    /// Restores a key from its 32-byte seed.
    /// - Throws: `NodeKeyError.malformed` when the bytes are not a key.
    public init(seed: Data) throws(NodeKeyError) {
        let key: Curve25519.Signing.PrivateKey
        do {
            key = try Curve25519.Signing.PrivateKey(rawRepresentation: seed)
        } catch {
            throw .malformed
        }
        self.init(privateKey: key)
    }

    /// The 32-byte seed to keep secret on disk.
    public var seed: Data { privateKey.rawRepresentation }

    /// Signs `message`, returning the 64-byte Ed25519 signature.
    public func sign(_ message: Data) -> Data {
        // Signing with a valid key over any bytes does not fail in practice; an empty result fails verification.
        (try? privateKey.signature(for: message)) ?? Data()
    }
}

/// A node key that cannot be used.
public enum NodeKeyError: Error, Sendable {
    /// The stored bytes are not an Ed25519 key.
    case malformed
}

/// Node ids: lower-case base32 of the first 20 bytes of SHA-256 of the node's public key.
public enum NodeID {
    /// The id of the node with `publicKey`.
    public static func derive(publicKey: Data) -> String {
        let digest = SHA256.hash(data: publicKey)
        return Base32.encode(Array(digest.prefix(20)))
    }

    /// Whether `text` has the shape of a node id.
    public static func isWellFormed(_ text: String) -> Bool {
        text.utf8.count == 32 && text.utf8.allSatisfy { Base32.alphabet.contains($0) }
    }

    /// Verifies an Ed25519 signature by `publicKey` over `message`.
    public static func verify(signature: Data, message: Data, publicKey: Data) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else { return false }
        return key.isValidSignature(signature, for: message)
    }
}

/// RFC 4648 base32, lower-case, without padding.
enum Base32 {
    static let alphabet: [UInt8] = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | UInt32(byte)
            bits += 8
            while bits >= 5 {
                out.append(alphabet[Int((buffer >> UInt32(bits - 5)) & 31)])
                bits -= 5
            }
        }
        if bits > 0 { out.append(alphabet[Int((buffer << UInt32(5 - bits)) & 31)]) }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Hex and base64url helpers for ids and signatures.
public enum ByteText {
    /// Lower-case hex.
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// base64url without padding (RFC 4648 section 5).
    public static func base64url(_ data: Data) -> String {
        let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        var out = [UInt8]()
        out.reserveCapacity((data.count * 4 + 2) / 3)
        var bytes = data.makeIterator()
        while let b0 = bytes.next() {
            let b1 = bytes.next()
            let b2 = bytes.next()
            let word = UInt32(b0) << 16 | UInt32(b1 ?? 0) << 8 | UInt32(b2 ?? 0)
            out.append(alphabet[Int(word >> 18 & 63)])
            out.append(alphabet[Int(word >> 12 & 63)])
            if b1 != nil { out.append(alphabet[Int(word >> 6 & 63)]) }
            if b2 != nil { out.append(alphabet[Int(word & 63)]) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes base64url with or without padding; nil for any other character.
    public static func fromBase64url(_ text: String) -> Data? {
        var out = [UInt8]()
        out.reserveCapacity(text.utf8.count * 3 / 4)
        var buffer: UInt32 = 0
        var bits = 0
        for c in text.utf8 {
            let value: UInt8
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = c - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = c - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = c - UInt8(ascii: "0") + 52
            case UInt8(ascii: "-"), UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "_"), UInt8(ascii: "/"): value = 63
            case UInt8(ascii: "="): continue
            default: return nil
            }
            buffer = buffer << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        // Leftover bits must be zero padding of fewer than 8 bits, as a canonical encoder leaves them.
        guard bits < 6, buffer & ((1 << UInt32(bits)) - 1) == 0 else { return nil }
        return Data(out)
    }

    /// Whether `text` has the shape of a record id: 64 lower-case hex digits.
    public static func isSHA256Hex(_ text: String) -> Bool {
        text.utf8.count == 64
            && text.utf8.allSatisfy {
                ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "f"))
            }
    }

    /// SHA-256 as lower-case hex.
    public static func sha256Hex(_ data: Data) -> String {
        hex(SHA256.hash(data: data))
    }
}
