import ConcordCore
import Crypto
import Foundation
import _CryptoExtras

/// Passwords are kept as scrypt hashes (memory-hard: 32 MiB and about a tenth of a second each at the standard
/// cost), encoded with their parameters and salt as `scrypt$N$r$p$salt$hash` so that the cost can rise later
/// without breaking stored accounts.
public enum PasswordHasher {
    /// The scrypt parameters.
    public struct Cost: Sendable, Equatable {
        /// CPU and memory cost N, a power of two.
        public var rounds: Int
        /// Block size r.
        public var blockSize: Int
        /// Parallelism p.
        public var parallelism: Int

        /// N = 2^15, r = 8, p = 1: 32 MiB a hash.
        public static let standard = Cost(rounds: 1 << 15, blockSize: 8, parallelism: 1)
        /// Cheap, for tests only.
        public static let testing = Cost(rounds: 1 << 10, blockSize: 8, parallelism: 1)
    }

    /// Why a password is not acceptable for a new account.
    public static func weakness(of password: String) -> String? {
        if password.count < 12 { return "a password needs at least 12 characters" }
        if password.utf8.count > 1024 { return "a password may have at most 1024 bytes" }
        if password.utf8.contains(0) { return "a password may not hold a NUL character" }
        return nil
    }

    /// The encoded hash of `password` with a new random salt.
    public static func hash(_ password: String, cost: Cost = .standard) -> String {
        let salt = (0..<16).map { _ in UInt8.random(in: .min ... .max) }
        let derived = derive(password, salt: salt, cost: cost) ?? []
        return [
            "scrypt", "\(cost.rounds)", "\(cost.blockSize)", "\(cost.parallelism)", ByteText.base64url(Data(salt)),
            ByteText.base64url(Data(derived)),
        ].joined(separator: "$")
    }

    /// Whether `password` matches `encoded`; false for anything that is not a well-formed hash.
    public static func verify(_ password: String, against encoded: String) -> Bool {
        let parts = encoded.split(separator: "$").map(String.init)
        guard parts.count == 6, parts[0] == "scrypt", let rounds = Int(parts[1]), let blockSize = Int(parts[2]),
            let parallelism = Int(parts[3]), let salt = ByteText.fromBase64url(parts[4]),
            let expected = ByteText.fromBase64url(parts[5]), expected.count == 32,
            rounds >= 2, rounds <= 1 << 20, rounds & (rounds - 1) == 0, (1...32).contains(blockSize),
            (1...4).contains(parallelism)
        else { return false }
        let cost = Cost(rounds: rounds, blockSize: blockSize, parallelism: parallelism)
        guard let derived = derive(password, salt: Array(salt), cost: cost) else { return false }
        // Every byte is compared, so the time taken says nothing about where a guess went wrong.
        return zip(derived, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    private static func derive(_ password: String, salt: [UInt8], cost: Cost) -> [UInt8]? {
        guard
            let key = try? KDF.Scrypt.deriveKey(
                from: Array(password.utf8),
                salt: salt,
                outputByteCount: 32,
                rounds: cost.rounds,
                blockSize: cost.blockSize,
                parallelism: cost.parallelism
            )
        else { return nil }
        return key.withUnsafeBytes { Array($0) }
    }
}

/// User names for the pages' sign-in.
public enum UserName {
    /// Why `name` cannot be a user name: 2 to 64 lower-case letters, digits, `.`, `_` or `-`.
    public static func problem(_ name: String) -> String? {
        guard (2...64).contains(name.utf8.count) else { return "a user name has 2 to 64 characters" }
        let allowed = name.utf8.allSatisfy {
            (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D
        }
        return allowed ? nil : "a user name uses only lower-case letters, digits, '.', '_' and '-'"
    }

    /// A new account id: 12 random hex digits.
    public static func newID() -> String {
        (0..<6).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max)) }.joined()
    }
}

/// New passwords made for people.
public enum WebPassword {
    /// 20 characters from an alphabet without look-alikes: about 113 bits.
    public static func generate() -> String {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        return String((0..<20).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
    }
}
