import Crypto
public import Foundation

/// `Content-Digest` header values (RFC 9530): a hash of the message body, so that a signature over the header
/// also covers the body.
public enum ContentDigest {
    /// The header value for `body`: `sha-256=:<base64 of SHA-256>:`.
    public static func sha256(_ body: some DataProtocol) -> String {
        "sha-256=:" + Data(SHA256.hash(data: body)).base64EncodedString() + ":"
    }

    /// Whether `header` is a `Content-Digest` value that matches `body`.
    ///
    /// The value is a structured-field dictionary that may list several algorithms. A `sha-256` digest must be present
    /// and match; a `sha-512` digest, when also present, must match too; other algorithms are ignored. A value that is
    /// not a valid dictionary, or whose digests are not byte sequences, does not match.
    public static func verify(_ header: String, body: some DataProtocol) -> Bool {
        guard let entries = try? StructuredField.parseDictionary(header) else { return false }
        guard let sha256 = digest(named: "sha-256", in: entries), sha256 == Data(SHA256.hash(data: body)) else {
            return false
        }
        if entries.first(key: "sha-512") != nil {
            guard let sha512 = digest(named: "sha-512", in: entries), sha512 == Data(SHA512.hash(data: body)) else {
                return false
            }
        }
        return true
    }

    /// The bytes of the digest listed under `algorithm`, or nil when it is absent or not a byte sequence.
    private static func digest(named algorithm: String, in entries: [StructuredField.Entry]) -> Data? {
        guard case .item(let item)? = entries.first(key: algorithm)?.member, case .bytes(let bytes) = item.value else {
            return nil
        }
        return bytes
    }
}
