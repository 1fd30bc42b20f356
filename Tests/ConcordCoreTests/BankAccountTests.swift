import PropertyBased
import Testing

@testable import ConcordCore

@Suite("Bank accounts")
struct BankAccountTests {
    // MARK: IBAN

    @Test(
        "IBAN examples from the registry are accepted in compact form",
        arguments: [
            "GB82WEST12345698765432",  // United Kingdom, 22
            "DE89370400440532013000",  // Germany, 22
            "FR1420041010050500013M02606",  // France, 27
            "NL91ABNA0417164300",  // Netherlands, 18
            "BE68539007547034",  // Belgium, 16
            "CH9300762011623852957",  // Switzerland, 21
            "ES9121000418450200051332",  // Spain, 24
            "IT60X0542811101000000123456",  // Italy, 27
            "NO9386011117947",  // Norway, 15 (the shortest)
            "MT84MALT011000012345MTLCAST001S",  // Malta, 31
            "LC55HEMM000100010012001200023015",  // Saint Lucia, 32
            "RU0304452522540817810538091310419",  // Russia, 33 (the longest)
            "SA0380000000608010167519",  // Saudi Arabia, 24
            "BR1800360305000010009795493C1",  // Brazil, 29
            "AE070331234567890123456",  // United Arab Emirates, 23
        ]
    )
    func registryExamples(iban: String) throws {
        #expect(try BankAccountNormalizer.normalize(iban, country: nil, bank: nil) == iban)
    }

    @Test("one IBAN written several ways is one key")
    func ibanSpellings() throws {
        let spellings = [
            "GB82 WEST 1234 5698 7654 32",
            "gb82west12345698765432",
            "GB82-WEST-1234-5698-7654-32",
            "IBAN GB82 WEST 1234 5698 7654 32",
            "IBAN: GB82WEST12345698765432",
            "iban gb82 west 1234 5698 7654 32",
            "\u{00A0}GB82\u{00A0}WEST\u{00A0}1234\u{00A0}5698\u{00A0}7654\u{00A0}32 ",
        ]
        for spelling in spellings {
            #expect(
                try BankAccountNormalizer.normalize(spelling, country: nil, bank: nil) == "GB82WEST12345698765432",
                "\(spelling)"
            )
        }
        // An IBAN says its own country: hints for national numbers do not change it.
        #expect(
            try BankAccountNormalizer.normalize("GB82WEST12345698765432", country: "TH", bank: "004") == "GB82WEST12345698765432"
        )
    }

    @Test("an IBAN of the wrong length for its country says what was expected")
    func ibanWrongLength() throws {
        let short = try #require(throws: IdentifierError.self) {
            try BankAccountNormalizer.normalize("GB82WEST1234569876543", country: nil, bank: nil)
        }
        #expect(short.kind == IdentifierKind.bankAccount)
        #expect(short.reason.contains("22 characters; this has 21"), "\(short.reason)")
        let long = try #require(throws: IdentifierError.self) {
            try BankAccountNormalizer.normalize("DE89 3704 0044 0532 0130 001", country: nil, bank: nil)
        }
        #expect(long.reason.contains("Germany"), "\(long.reason)")
        #expect(long.reason.contains("this has 23"), "\(long.reason)")
    }

    @Test("a mistyped or swapped character fails the IBAN check digits")
    func ibanCheckDigits() throws {
        for typo in ["GB82WEST12345698765431", "GB82WEST12345698765423", "GB28WEST12345698765432"] {
            let error = try #require(throws: IdentifierError.self) {
                try BankAccountNormalizer.normalize(typo, country: nil, bank: nil)
            }
            #expect(error.reason.contains("check digits do not match"), "\(typo): \(error.reason)")
        }
        let neverIssued = try #require(throws: IdentifierError.self) {
            try BankAccountNormalizer.normalize("GB99WEST12345698765432", country: nil, bank: nil)
        }
        #expect(neverIssued.reason.contains("never issued"), "\(neverIssued.reason)")
    }

    @Test("a country outside the IBAN registry is named in the reason")
    func ibanUnknownCountry() throws {
        let error = try #require(throws: IdentifierError.self) {
            try BankAccountNormalizer.normalize("US64SVBKUS6S3300958879", country: nil, bank: nil)
        }
        #expect(error.reason.contains("US does not issue IBANs"), "\(error.reason)")
    }

    @Test("every single-character typo of the same kind (digit for digit, letter for letter) is caught")
    func ibanTypoProperty() async {
        let iban = Array("GB82WEST12345698765432".utf8)
        await propertyCheck(input: Gen.int(in: 0...21), Gen.int(in: 1...25)) { position, shift in
            var typo = iban
            let original = typo[position]
            if original >= UInt8(ascii: "0") && original <= UInt8(ascii: "9") {
                typo[position] = UInt8(ascii: "0") + UInt8((Int(original - UInt8(ascii: "0")) + 1 + shift % 9) % 10)
            } else {
                typo[position] = UInt8(ascii: "A") + UInt8((Int(original - UInt8(ascii: "A")) + shift) % 26)
            }
            #expect(typo[position] != original)
            let text = String(decoding: typo, as: UTF8.self)
            #expect(throws: IdentifierError.self, "\(text)") {
                try BankAccountNormalizer.normalize(text, country: nil, bank: nil)
            }
        }
    }

    @Test("the registry table has every country's IBAN length")
    func registryTable() {
        #expect(BankAccountNormalizer.ibanCountries.count == 89)
        #expect(BankAccountNormalizer.ibanCountries["GB"]?.length == 22)
        #expect(BankAccountNormalizer.ibanCountries["DE"]?.length == 22)
        #expect(BankAccountNormalizer.ibanCountries["FR"]?.length == 27)
        #expect(BankAccountNormalizer.ibanCountries["NO"]?.length == 15)
        #expect(BankAccountNormalizer.ibanCountries["RU"]?.length == 33)
        #expect(BankAccountNormalizer.ibanCountries["TH"]?.length == nil)
    }

    // MARK: National accounts

    @Test("a Thai account written several ways is one key")
    func thaiAccountSpellings() throws {
        let expected = "TH:004:1234567890"
        #expect(try BankAccountNormalizer.normalize("123-4-56789-0", country: "TH", bank: "004") == expected)
        #expect(try BankAccountNormalizer.normalize("1234567890", country: "th", bank: " 004 ") == expected)
        #expect(try BankAccountNormalizer.normalize("123 4 56789 0", country: "TH", bank: "004") == expected)
        #expect(try BankAccountNormalizer.normalize("TH:004:123-4-56789-0", country: nil, bank: nil) == expected)
        #expect(try BankAccountNormalizer.normalize("th : 004 : 123-4-56789-0", country: nil, bank: nil) == expected)
        // Thai digits are read as the same digits.
        #expect(try BankAccountNormalizer.normalize("๑๒๓-๔-๕๖๗๘๙-๐", country: "TH", bank: "๐๐๔") == expected)
    }

    @Test("a bank named by SWIFT/BIC or by name is upper-cased without spaces or punctuation")
    func bankNames() throws {
        #expect(
            try BankAccountNormalizer.normalize("123-4-56789-0", country: "TH", bank: "Kasikorn Bank")
                == "TH:KASIKORNBANK:1234567890"
        )
        #expect(
            try BankAccountNormalizer.normalize("123-4-56789-0", country: "TH", bank: "kasikorn-bank.")
                == "TH:KASIKORNBANK:1234567890"
        )
        #expect(
            try BankAccountNormalizer.normalize("123-4-56789-0", country: "TH", bank: "KASITHBKXXX")
                == "TH:KASITHBK:1234567890"
        )
        #expect(
            try BankAccountNormalizer.normalize("123-4-56789-0", country: "TH", bank: "kasi thbk")
                == "TH:KASITHBK:1234567890"
        )
    }

    @Test("a UK sort code and account number, with UK read as GB")
    func ukSortCode() throws {
        #expect(try BankAccountNormalizer.normalize("70872490", country: "UK", bank: "40-47-84") == "GB:404784:70872490")
    }

    @Test("national accounts keep letters, upper-cased")
    func lettersInAccounts() throws {
        #expect(try BankAccountNormalizer.normalize("12-ab-345", country: "ng", bank: "058") == "NG:058:12AB345")
    }

    @Test("a national account without its country or bank says what is missing")
    func nationalNeedsContext() throws {
        let noCountry = try #require(throws: IdentifierError.self) {
            try BankAccountNormalizer.normalize("1234567890", country: nil, bank: "004")
        }
        #expect(noCountry.reason.contains("needs its country"), "\(noCountry.reason)")
        let noBank = try #require(throws: IdentifierError.self) {
            try BankAccountNormalizer.normalize("1234567890", country: "TH", bank: nil)
        }
        #expect(noBank.reason.contains("needs its bank"), "\(noBank.reason)")
        let blankBank = try #require(throws: IdentifierError.self) {
            try BankAccountNormalizer.normalize("1234567890", country: "TH", bank: "  ")
        }
        #expect(blankBank.reason.contains("needs its bank"), "\(blankBank.reason)")
        let countryName = try #require(throws: IdentifierError.self) {
            try BankAccountNormalizer.normalize("1234567890", country: "Thailand", bank: "004")
        }
        #expect(countryName.reason.contains("not a country code"), "\(countryName.reason)")
    }

    @Test("national account numbers outside 4 to 34 characters or with stray signs are rejected")
    func nationalShape() throws {
        let short = try #require(throws: IdentifierError.self) {
            try BankAccountNormalizer.normalize("123", country: "TH", bank: "004")
        }
        #expect(short.reason.contains("4 to 34"), "\(short.reason)")
        let long = try #require(throws: IdentifierError.self) {
            try BankAccountNormalizer.normalize(String(repeating: "1", count: 35), country: "TH", bank: "004")
        }
        #expect(long.reason.contains("this has 35"), "\(long.reason)")
        let stray = try #require(throws: IdentifierError.self) {
            try BankAccountNormalizer.normalize("1234*5678", country: "TH", bank: "004")
        }
        #expect(stray.reason.contains("\"*\" cannot appear"), "\(stray.reason)")
    }

    @Test("bank accounts go through Identifier.normalize with region and bank hints")
    func throughIdentifier() throws {
        let national = try Identifier.normalize(
            kind: .bankAccount,
            value: "123-4-56789-0",
            hints: NormalizationHints(region: "TH", bank: "004")
        )
        #expect(national.canonical == "TH:004:1234567890")
        let iban = try Identifier.normalize(kind: .bankAccount, value: "de89 3704 0044 0532 0130 00")
        #expect(iban.canonical == "DE89370400440532013000")
    }
}
