/// The kinds of scam identifier that Concord indexes and checks.
public enum IdentifierKind: String, CaseIterable, Sendable, Codable, Hashable {
    case phone
    case bankAccount = "bank_account"
    case url
    case domain
    case email
    case ip
    case wallet
    case handle

    /// A dense index for per-kind tables.
    public var ordinal: Int {
        switch self {
        case .phone: 0
        case .bankAccount: 1
        case .url: 2
        case .domain: 3
        case .email: 4
        case .ip: 5
        case .wallet: 6
        case .handle: 7
        }
    }
}

/// Why a typed value could not be read as an identifier, in words a person understands.
public struct IdentifierError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The kind the value was read as.
    public let kind: IdentifierKind
    /// A short human explanation, e.g. "a Thai mobile number has 9 digits after the 0, this has 8".
    public let reason: String

    /// Creates an error for a value of `kind` rejected for `reason`.
    public init(_ kind: IdentifierKind, _ reason: String) {
        self.kind = kind
        self.reason = reason
    }

    public var description: String { reason }
}

/// Context that some kinds need to read a value: the region for national phone formats, the
/// chain of a wallet, the platform of a handle, the bank of a national account number.
public struct NormalizationHints: Sendable, Equatable {
    /// ISO 3166-1 alpha-2 region for national phone numbers and national bank accounts.
    public var region: String?
    /// Chain of a wallet address (`bitcoin`, `ethereum`, `tron`, ...).
    public var chain: String?
    /// Platform of a social handle (`telegram`, `facebook`, ...).
    public var platform: String?
    /// Bank code of a national (non-IBAN) account number.
    public var bank: String?

    /// Creates hints; every field is optional.
    public init(region: String? = nil, chain: String? = nil, platform: String? = nil, bank: String? = nil) {
        self.region = region
        self.chain = chain
        self.platform = platform
        self.bank = bank
    }
}

/// A typed identifier in its one canonical form: the key under which it is stored and checked.
///
/// The same scam number typed five ways in five countries becomes one `Identifier`.
public struct Identifier: Hashable, Sendable, Codable {
    /// What the identifier is.
    public let kind: IdentifierKind
    /// The canonical text: E.164 for phones, punycode host for domains, `chain:address` for wallets...
    public let canonical: String

    /// Wraps an already canonical value, as read back from the store or a verified record.
    public init(kind: IdentifierKind, canonical: String) {
        self.kind = kind
        self.canonical = canonical
    }

    /// Reads what a person typed into its canonical form, or explains why it cannot.
    /// - Parameters:
    ///   - kind: the kind of identifier the value is.
    ///   - value: the value as typed.
    ///   - hints: context for national formats, chains and platforms.
    /// - Throws: `IdentifierError` naming the reason.
    public static func normalize(
        kind: IdentifierKind,
        value: String,
        hints: NormalizationHints = NormalizationHints()
    ) throws(IdentifierError) -> Identifier {
        let trimmed = value.trimmingWhitespace()
        guard !trimmed.isEmpty else { throw IdentifierError(kind, "the value is empty") }
        guard trimmed.utf8.count <= 2048 else { throw IdentifierError(kind, "the value is longer than 2048 bytes") }
        let canonical: String
        switch kind {
        case .phone: canonical = try PhoneNumberNormalizer.normalize(trimmed, region: hints.region)
        case .bankAccount: canonical = try BankAccountNormalizer.normalize(trimmed, country: hints.region, bank: hints.bank)
        case .url: canonical = try WebAddressNormalizer.normalizeURL(trimmed)
        case .domain: canonical = try WebAddressNormalizer.normalizeDomain(trimmed)
        case .email: canonical = try EmailNormalizer.normalize(trimmed)
        case .ip: canonical = try IPAddressNormalizer.normalize(trimmed)
        case .wallet: canonical = try WalletNormalizer.normalize(trimmed, chain: hints.chain)
        case .handle: canonical = try SocialHandleNormalizer.normalize(trimmed, platform: hints.platform)
        }
        return Identifier(kind: kind, canonical: canonical)
    }
}

extension String {
    /// The text as a lower-case name of `[a-z0-9-]` (spaces and underscores read as dashes), as chains and
    /// platforms are named; nil when it holds any other character.
    func lowercaseSlug() -> String? {
        var name = ""
        for scalar in trimmingWhitespace().lowercased().unicodeScalars {
            switch scalar {
            case "a"..."z", "0"..."9", "-": name.unicodeScalars.append(scalar)
            case " ", "_": name.unicodeScalars.append("-")
            default: return nil
            }
        }
        return name
    }

    /// The string without leading and trailing white space (including no-break and zero-width spaces).
    func trimmingWhitespace() -> String {
        // Most values arrive trimmed: printable ASCII at both ends needs no Unicode look-ups.
        if let first = utf8.first, let last = utf8.last, (0x21...0x7E).contains(first), (0x21...0x7E).contains(last) {
            return self
        }
        let scalars = self.unicodeScalars
        func isSpace(_ s: Unicode.Scalar) -> Bool {
            s.properties.isWhitespace || s == "\u{200B}" || s == "\u{FEFF}" || s == "\u{200E}" || s == "\u{200F}"
        }
        guard let first = scalars.firstIndex(where: { !isSpace($0) }),
            let last = scalars.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(scalars[first...last])
    }
}
