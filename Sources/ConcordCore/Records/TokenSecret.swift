import Crypto
import Foundation

/// A new API token: the secret shown once to its holder, and what the node keeps of it.
public struct TokenSecret: Sendable {
    /// The bearer token: `cnd_` and 256 random bits in base64url. Shown once, never stored.
    public let token: String
    /// The public short id used to list and revoke it.
    public let id: String
    /// SHA-256 of the token, hex: the only form stored.
    public let hash: String

    /// Generates a random token.
    public static func generate() -> TokenSecret {
        let secret = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        let idBytes = SymmetricKey(size: .bits128).withUnsafeBytes { Data($0.prefix(6)) }
        let token = "cnd_" + ByteText.base64url(secret)
        return TokenSecret(token: token, id: ByteText.hex(idBytes), hash: hash(of: token))
    }

    /// The stored hash of a presented token.
    public static func hash(of token: String) -> String {
        ByteText.sha256Hex(Data(token.utf8))
    }
}
