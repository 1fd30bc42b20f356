/// Reads crypto wallet addresses into `chain:address`, so that one address written several ways
/// (with or without a chain prefix, in checksummed or lower-case hex) is one key.
///
/// Bitcoin, Ethereum and other EVM chains, and Tron addresses are verified (checksums, versions, lengths).
/// Other chains are kept as opaque text with light checks.
public enum WalletNormalizer {
    /// How a chain's addresses are checked.
    enum Family: Sendable {
        /// Base58Check P2PKH/P2SH and bech32/bech32m segwit, mainnet only.
        case bitcoin
        /// `0x` and 40 hex digits, EIP-55 checksummed when mixed-case.
        case evm
        /// Base58Check with version byte 0x41.
        case tron
        /// Kept as typed, with light checks.
        case opaque
    }

    /// Common names of chains mapped to the one name Concord uses.
    static let chainAliases: [String: String] = [
        "bitcoin": "bitcoin", "btc": "bitcoin", "xbt": "bitcoin",
        "ethereum": "ethereum", "eth": "ethereum", "ether": "ethereum", "erc20": "ethereum", "erc-20": "ethereum",
        "bsc": "bsc", "bep20": "bsc", "bep-20": "bsc", "bnb": "bsc", "binance-smart-chain": "bsc",
        "bnb-smart-chain": "bsc", "bnb-chain": "bsc",
        "polygon": "polygon", "matic": "polygon", "pol": "polygon",
        "arbitrum": "arbitrum", "arb": "arbitrum", "arbitrum-one": "arbitrum",
        "base": "base",
        "optimism": "optimism", "op": "optimism",
        "avalanche": "avalanche", "avax": "avalanche", "avalanche-c": "avalanche", "avax-c": "avalanche",
        "fantom": "fantom", "ftm": "fantom",
        "linea": "linea", "zksync": "zksync", "gnosis": "gnosis", "celo": "celo", "cronos": "cronos",
        "tron": "tron", "trx": "tron", "trc20": "tron", "trc-20": "tron",
        "solana": "solana", "sol": "solana",
        "litecoin": "litecoin", "ltc": "litecoin",
        "xrp": "xrp", "ripple": "xrp",
        "ton": "ton", "toncoin": "ton",
        "dogecoin": "dogecoin", "doge": "dogecoin",
        "bitcoin-cash": "bitcoin-cash", "bitcoincash": "bitcoin-cash", "bch": "bitcoin-cash",
        "cardano": "cardano", "ada": "cardano",
        "monero": "monero", "xmr": "monero",
        "stellar": "stellar", "xlm": "stellar",
        "polkadot": "polkadot", "dot": "polkadot",
    ]

    /// Chains whose addresses are EVM addresses (the C-chain for Avalanche).
    static let evmChains: Set<String> = [
        "ethereum", "bsc", "polygon", "arbitrum", "base", "optimism", "avalanche", "fantom", "linea", "zksync",
        "gnosis", "celo", "cronos",
    ]

    /// Token names people give instead of a chain; the chain is then read from the address.
    static let tokenNames: Set<String> = ["usdt", "usdc", "tether"]

    /// Reads a wallet address into `chain:address`.
    ///
    /// - Parameters:
    ///   - raw: the address as typed, optionally with a chain prefix (`bitcoin:bc1q...`, `eth:0x...`,
    ///     a BIP-21 or EIP-681 URI).
    ///   - chain: the chain when the value has no prefix (`bitcoin`, `ethereum`, `tron`, `bsc`, ...);
    ///     without either, Bitcoin, Ethereum and Tron addresses are recognised by their shape.
    /// - Returns: `bitcoin:` with a base58 address as is or a bech32 address in lower case,
    ///   `ethereum:0x` (or another EVM chain) with lower-case hex, `tron:T...`, or `chain:address`.
    /// - Throws: `IdentifierError` when the chain is unknown and cannot be inferred, or the address
    ///   fails its chain's checks (checksum, version, length).
    public static func normalize(_ raw: String, chain: String?) throws(IdentifierError) -> String {
        let value = raw.trimmingWhitespace()
        guard !value.isEmpty else { throw IdentifierError(.wallet, "the wallet address is empty") }

        var address = value
        var named: String?
        if let split = splitChainPrefix(value) {
            let lowered = split.prefix.lowercased()
            if lowered == "http" || lowered == "https" {
                throw IdentifierError(
                    .wallet,
                    "this is a web link, not a wallet address: paste the address itself (or report the link as a URL)"
                )
            }
            guard !split.rest.isEmpty else {
                throw IdentifierError(.wallet, "there is no address after \"\(split.prefix):\"")
            }
            named = split.prefix
            address = split.rest
        } else if let chain, !chain.trimmingWhitespace().isEmpty {
            named = chain
        }

        var chainName: String?
        if let named {
            chainName = try canonicalChainName(named)
        }
        let family: Family
        let resolved: String
        if let chainName {
            resolved = chainName
            family = Self.family(of: chainName)
        } else if let inferred = inferChain(address) {
            resolved = inferred
            family = Self.family(of: inferred)
        } else {
            throw IdentifierError(
                .wallet,
                "say which chain this address is on (for example solana:... or chain \"solana\"): "
                    + "it is not shaped like a Bitcoin, Ethereum or Tron address"
            )
        }

        switch family {
        case .bitcoin:
            let canonical = try bitcoinAddress(stripURIParameters(address))
            return "bitcoin:" + canonical
        case .evm:
            let canonical = try evmAddress(stripURIParameters(address), chain: resolved)
            return resolved + ":" + canonical
        case .tron:
            let canonical = try tronAddress(stripURIParameters(address))
            return "tron:" + canonical
        case .opaque:
            let canonical = try opaqueAddress(address)
            return resolved + ":" + canonical
        }
    }

    // MARK: - Chains

    /// Splits `name:address` when the part before the first colon looks like a chain name.
    static func splitChainPrefix(_ value: String) -> (prefix: String, rest: String)? {
        guard let colon = value.firstIndex(of: ":") else { return nil }
        let prefix = value[..<colon]
        guard !prefix.isEmpty, prefix.unicodeScalars.count <= 32 else { return nil }
        for scalar in prefix.unicodeScalars {
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "-", "_", " ": continue
            default: return nil
            }
        }
        let rest = String(value[value.index(after: colon)...]).trimmingWhitespace()
        return (String(prefix), rest)
    }

    /// The name Concord uses for a chain, nil for a token name (USDT), or an error for a malformed name.
    static func canonicalChainName(_ raw: String) throws(IdentifierError) -> String? {
        guard let name = raw.lowercaseSlug() else {
            throw IdentifierError(
                .wallet,
                "\"\(raw)\" is not a chain name: use letters, digits and dashes (bitcoin, ethereum, tron, bsc, ...)"
            )
        }
        guard name.count >= 2 && name.count <= 32 else {
            throw IdentifierError(.wallet, "a chain name has 2 to 32 characters; \"\(raw)\" has \(name.count)")
        }
        if tokenNames.contains(name) { return nil }
        return chainAliases[name] ?? name
    }

    static func family(of chain: String) -> Family {
        switch chain {
        case "bitcoin": .bitcoin
        case "tron": .tron
        default: evmChains.contains(chain) ? .evm : .opaque
        }
    }

    /// The chain an address with no named chain is on, from its shape.
    static func inferChain(_ address: String) -> String? {
        let utf8 = Array(address.utf8)
        guard let first = utf8.first else { return nil }
        // A Tron address is base58 and so can begin "TB1"; test its exact shape before the bech32 prefixes.
        if first == UInt8(ascii: "T") && utf8.count == 34 && address.unicodeScalars.allSatisfy(Base58.isDigit) {
            return "tron"
        }
        let head = String(decoding: utf8.prefix(5), as: UTF8.self).lowercased()
        if head.hasPrefix("bc1") || head.hasPrefix("tb1") || head.hasPrefix("bcrt1") { return "bitcoin" }
        if utf8.count >= 2 && first == UInt8(ascii: "0") && (utf8[1] == UInt8(ascii: "x") || utf8[1] == UInt8(ascii: "X")) {
            return "ethereum"
        }
        if (first == UInt8(ascii: "1") || first == UInt8(ascii: "3")) && (25...35).contains(utf8.count) {
            return "bitcoin"
        }
        return nil
    }

    /// The address without the parameters that payment URIs append (`?amount=`, EIP-681's `@chain`
    /// and `/function`), and without EIP-681's `pay-` prefix.
    static func stripURIParameters(_ address: String) -> String {
        var text = Substring(address)
        if let cut = text.firstIndex(where: { $0 == "?" || $0 == "@" || $0 == "/" }) {
            text = text[..<cut]
        }
        if text.hasPrefix("pay-") {
            text = text.dropFirst(4)
        }
        return String(text)
    }

    // MARK: - Bitcoin

    /// A Bitcoin mainnet address: base58 (P2PKH `1...`, P2SH `3...`) kept as is, segwit lower-cased.
    static func bitcoinAddress(_ address: String) throws(IdentifierError) -> String {
        let head = String(decoding: address.utf8.prefix(5), as: UTF8.self).lowercased()
        let isBase58Shaped = address.hasPrefix("1") || address.hasPrefix("3")
        if head.hasPrefix("bc1") || head.hasPrefix("tb1") || head.hasPrefix("bcrt1")
            || (address.utf8.count > 35 && !isBase58Shaped)
        {
            return try segwitAddress(address)
        }
        guard address.utf8.count <= 35 else {
            throw IdentifierError(.wallet, "a Bitcoin address has 26 to 35 characters; this has \(address.count)")
        }
        let payload: [UInt8]
        switch Base58.decodeCheck(address) {
        case .success(let bytes): payload = bytes
        case .failure(let failure): throw base58Error(failure, chain: "Bitcoin")
        }
        guard payload.count == 21 else {
            throw IdentifierError(
                .wallet,
                "a Bitcoin address holds a version byte and 20 bytes; this one holds \(payload.count) bytes"
            )
        }
        switch payload[0] {
        case 0x00, 0x05:
            return address
        case 0x6F, 0xC4:
            throw IdentifierError(.wallet, "this is a Bitcoin testnet address, which holds no real money")
        default:
            throw IdentifierError(
                .wallet,
                "version byte \(hexByte(payload[0])) is not a Bitcoin mainnet address "
                    + "(0x00 for addresses starting with 1, 0x05 for 3)"
            )
        }
    }

    /// A segwit address (BIP-173 version 0, BIP-350 version 1 and later), lower-cased.
    static func segwitAddress(_ address: String) throws(IdentifierError) -> String {
        let decoded: Bech32.Decoded
        switch Bech32.decode(address) {
        case .success(let value): decoded = value
        case .failure(let failure): throw bech32Error(failure)
        }
        switch decoded.humanReadablePart {
        case "bc":
            break
        case "tb":
            throw IdentifierError(.wallet, "this is a Bitcoin testnet address (tb1...), which holds no real money")
        case "bcrt":
            throw IdentifierError(.wallet, "this is a Bitcoin regtest address (bcrt1...), which holds no real money")
        default:
            throw IdentifierError(
                .wallet,
                "\"\(decoded.humanReadablePart)\" is not Bitcoin's address prefix; mainnet segwit addresses start with bc1"
            )
        }
        guard let version = decoded.data.first else {
            throw IdentifierError(.wallet, "this segwit address has no witness version or program")
        }
        guard version <= 16 else {
            throw IdentifierError(.wallet, "witness version \(version) does not exist (0 to 16)")
        }
        guard let program = Bech32.convertBits(Array(decoded.data.dropFirst()), fromBits: 5, toBits: 8, pad: false)
        else {
            throw IdentifierError(.wallet, "the witness program ends in invalid padding bits")
        }
        guard program.count >= 2 && program.count <= 40 else {
            throw IdentifierError(.wallet, "a witness program has 2 to 40 bytes; this one has \(program.count)")
        }
        if version == 0 {
            guard program.count == 20 || program.count == 32 else {
                throw IdentifierError(
                    .wallet,
                    "a version 0 witness program has 20 or 32 bytes; this one has \(program.count)"
                )
            }
            guard decoded.variant == .bech32 else {
                throw IdentifierError(.wallet, "a version 0 segwit address uses the bech32 checksum, not bech32m")
            }
        } else {
            guard decoded.variant == .bech32m else {
                throw IdentifierError(
                    .wallet,
                    "a version \(version) segwit address uses the bech32m checksum (BIP-350), not bech32"
                )
            }
        }
        return address.lowercased()
    }

    // MARK: - EVM

    /// `0x` and 40 lower-case hex digits; a mixed-case address must pass EIP-55 first.
    static func evmAddress(_ address: String, chain: String) throws(IdentifierError) -> String {
        let utf8 = Array(address.utf8)
        guard utf8.count >= 2, utf8[0] == UInt8(ascii: "0"), utf8[1] == UInt8(ascii: "x") || utf8[1] == UInt8(ascii: "X")
        else {
            throw IdentifierError(.wallet, "an address on \(chain) starts with 0x followed by 40 hex digits")
        }
        let hex = utf8[2...]
        guard hex.count == 40 else {
            throw IdentifierError(
                .wallet,
                "an address on \(chain) has 40 hex digits after 0x; this one has \(hex.count)"
            )
        }
        var hasUpper = false
        var hasLower = false
        var lower: [UInt8] = []
        lower.reserveCapacity(40)
        for byte in hex {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                lower.append(byte)
            case UInt8(ascii: "a")...UInt8(ascii: "f"):
                hasLower = true
                lower.append(byte)
            case UInt8(ascii: "A")...UInt8(ascii: "F"):
                hasUpper = true
                lower.append(byte | 0x20)
            default:
                throw IdentifierError(
                    .wallet,
                    "an address on \(chain) has only hex digits (0-9, a-f) after 0x"
                )
            }
        }
        if hasUpper && hasLower {
            // EIP-55: a letter is upper-case exactly when its nibble of Keccak-256(lower-case hex) is 8 or more.
            let digest = Keccak256.hash(lower)
            for (index, byte) in hex.enumerated() where byte >= UInt8(ascii: "A") {
                let nibble = index % 2 == 0 ? digest[index / 2] >> 4 : digest[index / 2] & 0x0F
                let isUpper = byte <= UInt8(ascii: "F")
                guard isUpper == (nibble >= 8) else {
                    throw IdentifierError(
                        .wallet,
                        "the capital letters do not match the EIP-55 checksum: a character is probably mistyped"
                    )
                }
            }
        }
        return "0x" + String(decoding: lower, as: UTF8.self)
    }

    // MARK: - Tron

    /// A Tron address in its Base58Check form (`T...`); the hex form (`41` and 40 hex digits) is converted.
    static func tronAddress(_ address: String) throws(IdentifierError) -> String {
        if let bytes = hexBytes(address), bytes.count == 21, bytes[0] == 0x41 {
            return Base58.encodeCheck(bytes)
        }
        guard address.utf8.count <= 64 else {
            throw IdentifierError(.wallet, "a Tron address has 34 characters; this has \(address.count)")
        }
        let payload: [UInt8]
        switch Base58.decodeCheck(address) {
        case .success(let bytes): payload = bytes
        case .failure(let failure): throw base58Error(failure, chain: "Tron")
        }
        guard payload.count == 21 else {
            throw IdentifierError(
                .wallet,
                "a Tron address holds a version byte and 20 bytes; this one holds \(payload.count) bytes"
            )
        }
        guard payload[0] == 0x41 else {
            throw IdentifierError(
                .wallet,
                "version byte \(hexByte(payload[0])) is not a Tron address (0x41, addresses starting with T)"
            )
        }
        return address
    }

    // MARK: - Other chains

    /// 8 to 128 printable ASCII characters, case kept; an EVM-shaped address is lower-cased.
    static func opaqueAddress(_ address: String) throws(IdentifierError) -> String {
        var count = 0
        for scalar in address.unicodeScalars {
            if scalar.properties.isWhitespace {
                throw IdentifierError(.wallet, "a wallet address has no spaces inside")
            }
            guard scalar.value >= 0x21 && scalar.value <= 0x7E else {
                throw IdentifierError(.wallet, "a wallet address has only printable ASCII letters, digits and signs")
            }
            count += 1
        }
        guard count >= 8 && count <= 128 else {
            throw IdentifierError(.wallet, "a wallet address has 8 to 128 characters; this has \(count)")
        }
        let isHexAddress =
            count == 42 && (address.hasPrefix("0x") || address.hasPrefix("0X"))
            && hexBytes(String(address.dropFirst(2))) != nil
        return isHexAddress ? address.lowercased() : address
    }

    // MARK: - Reasons

    static func base58Error(_ failure: Base58.Failure, chain: String) -> IdentifierError {
        switch failure {
        case .invalidCharacter(let scalar):
            IdentifierError(
                .wallet,
                "\"\(Character(scalar))\" cannot appear in a \(chain) address (base58 leaves out 0, O, I and l)"
            )
        case .tooShort:
            IdentifierError(.wallet, "this is too short to be a \(chain) address")
        case .checksumMismatch:
            IdentifierError(
                .wallet,
                "the \(chain) address checksum does not match: a character is probably mistyped or missing"
            )
        }
    }

    static func bech32Error(_ failure: Bech32.Failure) -> IdentifierError {
        switch failure {
        case .tooLong(let count):
            IdentifierError(.wallet, "a segwit address has at most 90 characters; this has \(count)")
        case .mixedCase:
            IdentifierError(.wallet, "a segwit address is all lower-case or all upper-case, not mixed")
        case .invalidCharacter(let scalar):
            IdentifierError(
                .wallet,
                "\"\(Character(scalar))\" cannot appear in a segwit address (bech32 leaves out 1, b, i and o after bc1)"
            )
        case .noSeparator, .emptyHumanReadablePart:
            IdentifierError(.wallet, "a segwit address starts with bc1")
        case .tooShortForChecksum:
            IdentifierError(.wallet, "this segwit address is too short to hold its checksum")
        case .checksumMismatch:
            IdentifierError(
                .wallet,
                "the segwit address checksum does not match: a character is probably mistyped or missing"
            )
        }
    }

    static func hexByte(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return "0x" + String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]], as: UTF8.self)
    }

    /// The bytes of an even-length hex string, or nil.
    static func hexBytes(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard !utf8.isEmpty, utf8.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count / 2)
        var high: UInt8 = 0
        for (index, character) in utf8.enumerated() {
            let nibble: UInt8
            switch character {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = character - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = character - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = character - UInt8(ascii: "A") + 10
            default: return nil
            }
            if index % 2 == 0 {
                high = nibble
            } else {
                bytes.append(high << 4 | nibble)
            }
        }
        return bytes
    }
}
