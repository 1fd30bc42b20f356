import PropertyBased
import Testing

@testable import ConcordCore

/// Lower-case hex of `bytes`, for comparing digests with published values.
private func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef")
    var text = ""
    for byte in bytes {
        text.append(digits[Int(byte >> 4)])
        text.append(digits[Int(byte & 0x0F)])
    }
    return text
}

@Suite("Keccak-256")
struct Keccak256Tests {
    @Test("matches the published Keccak-256 digests, which differ from SHA3-256")
    func knownDigests() {
        #expect(hex(Keccak256.hash([])) == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
        #expect(
            hex(Keccak256.hash(Array("abc".utf8)))
                == "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"
        )
        // SHA3-256("") is a7ffc6f8...; a SHA3 padding byte would give that instead.
        #expect(hex(Keccak256.hash([])) != "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a")
    }

    @Test("pads correctly at the 136-byte block boundary")
    func blockBoundaries() {
        let a = UInt8(ascii: "a")
        #expect(
            hex(Keccak256.hash([UInt8](repeating: a, count: 135)))
                == "34367dc248bbd832f4e3e69dfaac2f92638bd0bbd18f2912ba4ef454919cf446"
        )
        #expect(
            hex(Keccak256.hash([UInt8](repeating: a, count: 136)))
                == "a6c4d403279fe3e0af03729caada8374b5ca54d8065329a3ebcaeb4b60aa386e"
        )
        #expect(
            hex(Keccak256.hash([UInt8](repeating: a, count: 200)))
                == "96ea54061def936c4be90b518992fdc6f12f535068a256229aca54267b4d084d"
        )
    }
}

@Suite("Wallet addresses")
struct WalletTests {
    // MARK: Bitcoin

    @Test(
        "BIP-173 and BIP-350 mainnet segwit addresses are accepted, in lower case",
        arguments: [
            ("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "bitcoin:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"),
            (
                "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3",
                "bitcoin:bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3"
            ),
            (
                "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
                "bitcoin:bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y"
            ),
            ("BC1SW50QGDZ25J", "bitcoin:bc1sw50qgdz25j"),
            ("bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", "bitcoin:bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs"),
            (
                "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
                "bitcoin:bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"
            ),
        ]
    )
    func segwitVectors(input: String, expected: String) throws {
        #expect(try WalletNormalizer.normalize(input, chain: nil) == expected)
    }

    @Test(
        "base58 P2PKH and P2SH addresses are accepted and kept as written",
        arguments: [
            "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
        ]
    )
    func base58Addresses(address: String) throws {
        #expect(try WalletNormalizer.normalize(address, chain: nil) == "bitcoin:" + address)
    }

    @Test("one Bitcoin address written several ways is one key")
    func bitcoinSpellings() throws {
        let expected = "bitcoin:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
        let spellings = [
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
            "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
            "bitcoin:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
            "BTC: BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
            "bitcoin:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4?amount=0.05&label=refund",
            "  bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4\u{200B}",
        ]
        for spelling in spellings {
            #expect(try WalletNormalizer.normalize(spelling, chain: nil) == expected, "\(spelling)")
        }
        #expect(try WalletNormalizer.normalize("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", chain: "BTC") == expected)
    }

    @Test(
        "invalid segwit addresses from BIP-173 and BIP-350 are rejected with their reason",
        arguments: [
            ("bitcoin:tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut", "not Bitcoin's address prefix"),
            ("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd", "bech32m"),
            ("BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL", "bech32m"),
            ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh", "version 0 segwit address uses the bech32 checksum"),
            ("bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4", "\"o\" cannot appear"),
            ("BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R", "witness version 17"),
            ("bc1pw5dgrnzv", "this one has 1"),
            ("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav", "this one has 41"),
            ("BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P", "20 or 32 bytes; this one has 16"),
            ("tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq", "mixed"),
            ("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf", "padding"),
            ("bc1gmk9yu", "no witness version"),
            ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", "checksum does not match"),
            ("tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7", "testnet"),
        ]
    )
    func segwitRejections(input: String, reason: String) throws {
        let error = try #require(throws: IdentifierError.self) {
            try WalletNormalizer.normalize(input, chain: nil)
        }
        #expect(error.kind == IdentifierKind.wallet)
        #expect(error.reason.contains(reason), "\(error.reason)")
    }

    @Test(
        "broken or non-mainnet base58 Bitcoin addresses are rejected with their reason",
        arguments: [
            ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", "checksum does not match"),
            ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfN0", "\"0\" cannot appear in a Bitcoin address"),
            ("bitcoin:mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn", "testnet"),
            ("bitcoin:LVg2kJoFNg45Nbpy53h7Fe1wKyeXVRhMH9", "version byte 0x30"),
        ]
    )
    func base58Rejections(input: String, reason: String) throws {
        let error = try #require(throws: IdentifierError.self) {
            try WalletNormalizer.normalize(input, chain: nil)
        }
        #expect(error.reason.contains(reason), "\(error.reason)")
    }

    // MARK: Ethereum and EVM chains

    @Test(
        "the EIP-55 examples are accepted and stored in lower case",
        arguments: [
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
            "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
            "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
            "0x52908400098527886E0F7030069857D2E4169EE7",
            "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
            "0xde709f2102306220921060314715629080e2fb77",
            "0x27b1fdb04752bbc536007a920d24acb045561c26",
        ]
    )
    func eip55Examples(address: String) throws {
        #expect(try WalletNormalizer.normalize(address, chain: nil) == "ethereum:" + address.lowercased())
    }

    @Test("one Ethereum address written several ways is one key")
    func ethereumSpellings() throws {
        let expected = "ethereum:0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"
        let spellings = [
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
            "0X5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED",
            "eth:0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "ERC20: 0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
            "ethereum:0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed@1?value=2.014e18",
            "ethereum:pay-0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        ]
        for spelling in spellings {
            #expect(try WalletNormalizer.normalize(spelling, chain: nil) == expected, "\(spelling)")
        }
        #expect(try WalletNormalizer.normalize("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", chain: "Ethereum") == expected)
        #expect(try WalletNormalizer.normalize("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", chain: "USDT") == expected)
    }

    @Test("other EVM chains keep their own name, read through their aliases")
    func evmChains() throws {
        let address = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
        let lower = "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"
        #expect(try WalletNormalizer.normalize("bep20:" + address, chain: nil) == "bsc:" + lower)
        #expect(try WalletNormalizer.normalize(address, chain: "BNB Smart Chain") == "bsc:" + lower)
        #expect(try WalletNormalizer.normalize(address, chain: "matic") == "polygon:" + lower)
        #expect(try WalletNormalizer.normalize("arbitrum:" + address, chain: nil) == "arbitrum:" + lower)
        #expect(try WalletNormalizer.normalize(address, chain: "base") == "base:" + lower)
        // EVM chains are still checked: a Tron address is not an address on BSC.
        let error = try #require(throws: IdentifierError.self) {
            try WalletNormalizer.normalize("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", chain: "bsc")
        }
        #expect(error.reason.contains("0x"))
    }

    @Test("a mistyped capital breaks the EIP-55 checksum")
    func eip55Mismatch() throws {
        let error = try #require(throws: IdentifierError.self) {
            try WalletNormalizer.normalize("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", chain: nil)
        }
        #expect(error.reason.contains("EIP-55"), "\(error.reason)")
    }

    @Test("Ethereum addresses of the wrong length or with non-hex characters are rejected")
    func ethereumShape() throws {
        let short = try #require(throws: IdentifierError.self) {
            try WalletNormalizer.normalize("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe", chain: nil)
        }
        #expect(short.reason.contains("this one has 39"), "\(short.reason)")
        let nonHex = try #require(throws: IdentifierError.self) {
            try WalletNormalizer.normalize("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg", chain: nil)
        }
        #expect(nonHex.reason.contains("hex digits"), "\(nonHex.reason)")
    }

    @Test("random EVM addresses in lower or upper case are one key")
    func evmCaseProperty() async {
        await propertyCheck(input: Gen.uint8(in: 0...255).array(of: 20)) { bytes in
            let lower = "0x" + hex(bytes)
            let upper = "0x" + hex(bytes).uppercased()
            #expect((try? WalletNormalizer.normalize(lower, chain: nil)) == "ethereum:" + lower)
            #expect((try? WalletNormalizer.normalize(upper, chain: "eth")) == "ethereum:" + lower)
        }
    }

    // MARK: Tron

    @Test("a known Tron address (the USDT contract) is one key however the chain is named")
    func tronAddress() throws {
        let address = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
        let expected = "tron:" + address
        #expect(try WalletNormalizer.normalize(address, chain: nil) == expected)
        #expect(try WalletNormalizer.normalize("trc20:" + address, chain: nil) == expected)
        #expect(try WalletNormalizer.normalize(address, chain: "TRX") == expected)
        #expect(try WalletNormalizer.normalize(address, chain: "usdt") == expected)
        #expect(try WalletNormalizer.normalize("41a614f803b6fd780986a42c78ec9c7f77e6ded13c", chain: "tron") == expected)
    }

    @Test("Tron addresses with a bad checksum or another chain's version byte are rejected")
    func tronRejections() throws {
        let checksum = try #require(throws: IdentifierError.self) {
            try WalletNormalizer.normalize("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u", chain: nil)
        }
        #expect(checksum.reason.contains("checksum does not match"), "\(checksum.reason)")
        let version = try #require(throws: IdentifierError.self) {
            try WalletNormalizer.normalize("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", chain: "tron")
        }
        #expect(version.reason.contains("not a Tron address"), "\(version.reason)")
    }

    @Test("any Tron payload written in Base58Check is read back to itself")
    func tronProperty() async {
        await propertyCheck(input: Gen.uint8(in: 0...255).array(of: 20)) { body in
            let address = Base58.encodeCheck([0x41] + body)
            #expect(address.hasPrefix("T"))
            #expect((try? WalletNormalizer.normalize(address, chain: nil)) == "tron:" + address)
            #expect((try? WalletNormalizer.normalize("41" + hex(body), chain: "tron")) == "tron:" + address)
        }
    }

    // MARK: Other chains

    @Test("addresses on other chains keep their case, with the chain name lower-cased")
    func opaqueChains() throws {
        let mint = "So11111111111111111111111111111111111111112"
        #expect(try WalletNormalizer.normalize("SOLANA: " + mint, chain: nil) == "solana:" + mint)
        #expect(try WalletNormalizer.normalize(mint, chain: "sol") == "solana:" + mint)
        #expect(
            try WalletNormalizer.normalize("LVg2kJoFNg45Nbpy53h7Fe1wKyeXVRhMH9", chain: "Litecoin")
                == "litecoin:LVg2kJoFNg45Nbpy53h7Fe1wKyeXVRhMH9"
        )
        #expect(try WalletNormalizer.normalize(mint, chain: "Sui") == "sui:" + mint)
    }

    @Test("other chains reject spaces inside and lengths outside 8 to 128")
    func opaqueRejections() throws {
        let spaced = try #require(throws: IdentifierError.self) {
            try WalletNormalizer.normalize("solana:So1111 1111111111111111111111111111111111112", chain: nil)
        }
        #expect(spaced.reason.contains("no spaces"), "\(spaced.reason)")
        let short = try #require(throws: IdentifierError.self) {
            try WalletNormalizer.normalize("abc", chain: "solana")
        }
        #expect(short.reason.contains("8 to 128"), "\(short.reason)")
    }

    @Test("an address of unknown shape without a chain asks for the chain")
    func needsChain() throws {
        let error = try #require(throws: IdentifierError.self) {
            try WalletNormalizer.normalize("So11111111111111111111111111111111111111112", chain: nil)
        }
        #expect(error.reason.contains("say which chain"), "\(error.reason)")
        let badName = try #require(throws: IdentifierError.self) {
            try WalletNormalizer.normalize("So11111111111111111111111111111111111111112", chain: "sol/ana!")
        }
        #expect(badName.reason.contains("not a chain name"), "\(badName.reason)")
    }

    @Test("wallets go through Identifier.normalize with the chain hint")
    func throughIdentifier() throws {
        let identifier = try Identifier.normalize(
            kind: .wallet,
            value: " 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed ",
            hints: NormalizationHints(chain: "polygon")
        )
        #expect(identifier == Identifier(kind: .wallet, canonical: "polygon:0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"))
    }
}
