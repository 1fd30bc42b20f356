/// Reads bank accounts into one canonical form: the compact IBAN (`GB82WEST12345698765432`) or,
/// for a national account number, `COUNTRY:BANK:ACCOUNT` (`TH:004:1234567890`).
public enum BankAccountNormalizer {
    /// What the SWIFT IBAN registry says about one country.
    struct IBANCountry: Sendable {
        /// Characters in the whole IBAN, country code and check digits included.
        let length: Int
        /// The country's name, for reasons.
        let name: String
    }

    /// Every country in the SWIFT IBAN registry (release 101), by ISO 3166 alpha-2 code.
    static let ibanCountries: [String: IBANCountry] = [
        "AD": IBANCountry(length: 24, name: "Andorra"),
        "AE": IBANCountry(length: 23, name: "the United Arab Emirates"),
        "AL": IBANCountry(length: 28, name: "Albania"),
        "AT": IBANCountry(length: 20, name: "Austria"),
        "AZ": IBANCountry(length: 28, name: "Azerbaijan"),
        "BA": IBANCountry(length: 20, name: "Bosnia and Herzegovina"),
        "BE": IBANCountry(length: 16, name: "Belgium"),
        "BG": IBANCountry(length: 22, name: "Bulgaria"),
        "BH": IBANCountry(length: 22, name: "Bahrain"),
        "BI": IBANCountry(length: 27, name: "Burundi"),
        "BR": IBANCountry(length: 29, name: "Brazil"),
        "BY": IBANCountry(length: 28, name: "Belarus"),
        "CH": IBANCountry(length: 21, name: "Switzerland"),
        "CR": IBANCountry(length: 22, name: "Costa Rica"),
        "CY": IBANCountry(length: 28, name: "Cyprus"),
        "CZ": IBANCountry(length: 24, name: "Czechia"),
        "DE": IBANCountry(length: 22, name: "Germany"),
        "DJ": IBANCountry(length: 27, name: "Djibouti"),
        "DK": IBANCountry(length: 18, name: "Denmark"),
        "DO": IBANCountry(length: 28, name: "the Dominican Republic"),
        "EE": IBANCountry(length: 20, name: "Estonia"),
        "EG": IBANCountry(length: 29, name: "Egypt"),
        "ES": IBANCountry(length: 24, name: "Spain"),
        "FI": IBANCountry(length: 18, name: "Finland"),
        "FK": IBANCountry(length: 18, name: "the Falkland Islands"),
        "FO": IBANCountry(length: 18, name: "the Faroe Islands"),
        "FR": IBANCountry(length: 27, name: "France"),
        "GB": IBANCountry(length: 22, name: "the United Kingdom"),
        "GE": IBANCountry(length: 22, name: "Georgia"),
        "GI": IBANCountry(length: 23, name: "Gibraltar"),
        "GL": IBANCountry(length: 18, name: "Greenland"),
        "GR": IBANCountry(length: 27, name: "Greece"),
        "GT": IBANCountry(length: 28, name: "Guatemala"),
        "HN": IBANCountry(length: 28, name: "Honduras"),
        "HR": IBANCountry(length: 21, name: "Croatia"),
        "HU": IBANCountry(length: 28, name: "Hungary"),
        "IE": IBANCountry(length: 22, name: "Ireland"),
        "IL": IBANCountry(length: 23, name: "Israel"),
        "IQ": IBANCountry(length: 23, name: "Iraq"),
        "IS": IBANCountry(length: 26, name: "Iceland"),
        "IT": IBANCountry(length: 27, name: "Italy"),
        "JO": IBANCountry(length: 30, name: "Jordan"),
        "KW": IBANCountry(length: 30, name: "Kuwait"),
        "KZ": IBANCountry(length: 20, name: "Kazakhstan"),
        "LB": IBANCountry(length: 28, name: "Lebanon"),
        "LC": IBANCountry(length: 32, name: "Saint Lucia"),
        "LI": IBANCountry(length: 21, name: "Liechtenstein"),
        "LT": IBANCountry(length: 20, name: "Lithuania"),
        "LU": IBANCountry(length: 20, name: "Luxembourg"),
        "LV": IBANCountry(length: 21, name: "Latvia"),
        "LY": IBANCountry(length: 25, name: "Libya"),
        "MC": IBANCountry(length: 27, name: "Monaco"),
        "MD": IBANCountry(length: 24, name: "Moldova"),
        "ME": IBANCountry(length: 22, name: "Montenegro"),
        "MK": IBANCountry(length: 19, name: "North Macedonia"),
        "MN": IBANCountry(length: 20, name: "Mongolia"),
        "MR": IBANCountry(length: 27, name: "Mauritania"),
        "MT": IBANCountry(length: 31, name: "Malta"),
        "MU": IBANCountry(length: 30, name: "Mauritius"),
        "NI": IBANCountry(length: 28, name: "Nicaragua"),
        "NL": IBANCountry(length: 18, name: "the Netherlands"),
        "NO": IBANCountry(length: 15, name: "Norway"),
        "OM": IBANCountry(length: 23, name: "Oman"),
        "PK": IBANCountry(length: 24, name: "Pakistan"),
        "PL": IBANCountry(length: 28, name: "Poland"),
        "PS": IBANCountry(length: 29, name: "Palestine"),
        "PT": IBANCountry(length: 25, name: "Portugal"),
        "QA": IBANCountry(length: 29, name: "Qatar"),
        "RO": IBANCountry(length: 24, name: "Romania"),
        "RS": IBANCountry(length: 22, name: "Serbia"),
        "RU": IBANCountry(length: 33, name: "Russia"),
        "SA": IBANCountry(length: 24, name: "Saudi Arabia"),
        "SC": IBANCountry(length: 31, name: "Seychelles"),
        "SD": IBANCountry(length: 18, name: "Sudan"),
        "SE": IBANCountry(length: 24, name: "Sweden"),
        "SI": IBANCountry(length: 19, name: "Slovenia"),
        "SK": IBANCountry(length: 24, name: "Slovakia"),
        "SM": IBANCountry(length: 27, name: "San Marino"),
        "SO": IBANCountry(length: 23, name: "Somalia"),
        "ST": IBANCountry(length: 25, name: "São Tomé and Príncipe"),
        "SV": IBANCountry(length: 28, name: "El Salvador"),
        "TL": IBANCountry(length: 23, name: "Timor-Leste"),
        "TN": IBANCountry(length: 24, name: "Tunisia"),
        "TR": IBANCountry(length: 26, name: "Türkiye"),
        "UA": IBANCountry(length: 29, name: "Ukraine"),
        "VA": IBANCountry(length: 22, name: "the Holy See"),
        "VG": IBANCountry(length: 24, name: "the British Virgin Islands"),
        "XK": IBANCountry(length: 20, name: "Kosovo"),
        "YE": IBANCountry(length: 30, name: "Yemen"),
    ]

    /// Reads an IBAN or a national account number.
    ///
    /// - Parameters:
    ///   - raw: the account as typed: an IBAN (spaces, dashes and an `IBAN` prefix allowed), a national
    ///     account number, or `COUNTRY:BANK:ACCOUNT`.
    ///   - country: ISO 3166 alpha-2 country of a national account number (`TH`); not needed for an IBAN.
    ///   - bank: bank of a national account number: a bank code (`004`), a SWIFT/BIC or the bank's name.
    /// - Returns: the compact upper-case IBAN, or `COUNTRY:BANK:ACCOUNT` with separators removed.
    /// - Throws: `IdentifierError` for an IBAN of the wrong length for its country, failing check digits
    ///   or from a country without IBANs, and for a national account without its country or bank.
    public static func normalize(_ raw: String, country: String?, bank: String?) throws(IdentifierError) -> String {
        let value = raw.trimmingWhitespace()
        guard !value.isEmpty else { throw IdentifierError(.bankAccount, "the account number is empty") }

        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 3 {
            let carriedCountry = String(parts[0]).trimmingWhitespace()
            if isCountryCodeShaped(Substring(carriedCountry)) {
                return try nationalAccount(parts[2], country: carriedCountry, bank: String(parts[1]))
            }
        }

        var body = Substring(value)
        if body.prefix(4).uppercased() == "IBAN" {
            body = body.dropFirst(4).drop(while: { $0 == ":" || $0.isWhitespace })
        }
        let characters = try compact(body)
        guard let first = characters.first else {
            throw IdentifierError(.bankAccount, "the account number has no letters or digits")
        }
        let startsWithTwoLetters = characters.count >= 2 && isLetter(first) && isLetter(characters[1])
        if startsWithTwoLetters {
            return try iban(characters)
        }
        if isDigit(first) || (country != nil && bank != nil) {
            return try nationalAccount(body, country: country, bank: bank)
        }
        throw IdentifierError(
            .bankAccount,
            "this is neither an IBAN (two letters and two check digits first) nor an account number of digits"
        )
    }

    // MARK: - IBAN

    /// Checks the country, length and ISO 7064 mod 97-10 check digits of an IBAN already compacted to
    /// upper-case ASCII letters and digits.
    static func iban(_ characters: [UInt8]) throws(IdentifierError) -> String {
        let code = String(decoding: characters.prefix(2), as: UTF8.self)
        guard characters.count >= 4, isDigit(characters[2]), isDigit(characters[3]) else {
            throw IdentifierError(
                .bankAccount,
                "an IBAN has two check digits after its country code (GB82...); this has none"
            )
        }
        guard let country = ibanCountries[code] else {
            throw IdentifierError(
                .bankAccount,
                "\(code) does not issue IBANs (it is not in the SWIFT IBAN registry); give the national account "
                    + "number with its country and bank instead"
            )
        }
        guard characters.count == country.length else {
            throw IdentifierError(
                .bankAccount,
                "an IBAN from \(country.name) (\(code)) has \(country.length) characters; this has \(characters.count)"
            )
        }
        let checkDigits = Int(characters[2] - UInt8(ascii: "0")) * 10 + Int(characters[3] - UInt8(ascii: "0"))
        guard checkDigits >= 2 && checkDigits <= 98 else {
            throw IdentifierError(
                .bankAccount,
                "the IBAN check digits \(String(decoding: characters[2..<4], as: UTF8.self)) are never issued "
                    + "(they run from 02 to 98)"
            )
        }
        // Move the first four characters to the end, read letters as 10...35, and take the number mod 97.
        var remainder = 0
        for index in 0..<characters.count {
            let character = characters[(index + 4) % characters.count]
            if isDigit(character) {
                remainder = (remainder * 10 + Int(character - UInt8(ascii: "0"))) % 97
            } else {
                remainder = (remainder * 100 + Int(character - UInt8(ascii: "A")) + 10) % 97
            }
        }
        guard remainder == 1 else {
            throw IdentifierError(
                .bankAccount,
                "the IBAN check digits do not match the rest: a character is probably mistyped or swapped"
            )
        }
        return String(decoding: characters, as: UTF8.self)
    }

    // MARK: - National accounts

    /// `COUNTRY:BANK:ACCOUNT` for an account number that is not an IBAN.
    static func nationalAccount(
        _ account: Substring,
        country: String?,
        bank: String?
    ) throws(IdentifierError)
        -> String
    {
        guard let country = country?.trimmingWhitespace(), !country.isEmpty else {
            throw IdentifierError(
                .bankAccount,
                "a national account number needs its country (a two-letter ISO code such as TH), or write it as an IBAN"
            )
        }
        let countryCode = try normalizedCountry(country)
        guard let bank = bank?.trimmingWhitespace(), !bank.isEmpty else {
            throw IdentifierError(
                .bankAccount,
                "a national account number needs its bank: a bank code (such as 004 in Thailand), "
                    + "a SWIFT/BIC code or the bank's name"
            )
        }
        let bankKey = try normalizedBank(bank)
        let characters = try compact(account)
        guard characters.count >= 4 && characters.count <= 34 else {
            throw IdentifierError(
                .bankAccount,
                "an account number has 4 to 34 digits or letters; this has \(characters.count)"
            )
        }
        guard characters.contains(where: isDigit) else {
            throw IdentifierError(.bankAccount, "an account number has digits; this has none")
        }
        return countryCode + ":" + bankKey + ":" + String(decoding: characters, as: UTF8.self)
    }

    /// The upper-case ISO 3166 alpha-2 code; `UK` is read as `GB`.
    static func normalizedCountry(_ raw: String) throws(IdentifierError) -> String {
        guard isCountryCodeShaped(Substring(raw)) else {
            throw IdentifierError(
                .bankAccount,
                "\"\(raw)\" is not a country code: use the two-letter ISO 3166 code, such as TH or GB"
            )
        }
        let code = raw.uppercased()
        return code == "UK" ? "GB" : code
    }

    /// The bank upper-cased with spaces and punctuation removed; an 11-character BIC of a head office
    /// (`...XXX`) becomes its 8-character form, so both spellings are one bank.
    static func normalizedBank(_ raw: String) throws(IdentifierError) -> String {
        var key = ""
        var count = 0
        for scalar in raw.uppercased().unicodeScalars {
            if let digit = decimalDigit(scalar) {
                key.unicodeScalars.append(Unicode.Scalar(UInt8(ascii: "0") + digit))
            } else if scalar.properties.isAlphabetic {
                key.unicodeScalars.append(scalar)
            } else {
                continue
            }
            count += 1
        }
        guard count > 0 else {
            throw IdentifierError(.bankAccount, "the bank \"\(raw)\" has no letters or digits")
        }
        guard count <= 64 else {
            throw IdentifierError(.bankAccount, "a bank code or name has at most 64 letters and digits; this has \(count)")
        }
        if isHeadOfficeBIC(key) {
            return String(key.prefix(8))
        }
        return key
    }

    /// An 11-character BIC whose branch code is `XXX`: 4 letters (bank), 2 letters (country),
    /// 2 letters or digits (location), `XXX`.
    static func isHeadOfficeBIC(_ key: String) -> Bool {
        let bytes = Array(key.utf8)
        guard bytes.count == 11, bytes[8...].allSatisfy({ $0 == UInt8(ascii: "X") }) else { return false }
        return bytes[0..<6].allSatisfy(isLetter) && bytes[6..<8].allSatisfy({ isLetter($0) || isDigit($0) })
    }

    // MARK: - Characters

    /// Upper-case ASCII letters and digits of `text`, with separators dropped and digits of any script
    /// read as ASCII digits.
    static func compact(_ text: Substring) throws(IdentifierError) -> [UInt8] {
        var characters: [UInt8] = []
        characters.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            if let digit = decimalDigit(scalar) {
                characters.append(UInt8(ascii: "0") + digit)
                continue
            }
            switch scalar {
            case "A"..."Z":
                characters.append(UInt8(scalar.value))
            case "a"..."z":
                characters.append(UInt8(scalar.value) - 0x20)
            default:
                guard isSeparator(scalar) else {
                    throw IdentifierError(
                        .bankAccount,
                        "\"\(Character(scalar))\" cannot appear in an account number (letters, digits and separators only)"
                    )
                }
            }
        }
        return characters
    }

    /// Spaces, dashes, dots and slashes that people put between groups of digits.
    static func isSeparator(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "-", ".", "/", "_", ",", "\u{2010}"..."\u{2015}", "\u{2212}", "\u{200B}", "\u{FEFF}":
            true
        default:
            scalar.properties.isWhitespace
        }
    }

    /// The value of a decimal digit of any script (ASCII, Thai, Arabic-Indic, full-width, ...).
    static func decimalDigit(_ scalar: Unicode.Scalar) -> UInt8? {
        if scalar.value >= 0x30 && scalar.value <= 0x39 { return UInt8(scalar.value - 0x30) }
        guard scalar.value > 0x7F, scalar.properties.numericType == .decimal,
            let value = scalar.properties.numericValue
        else { return nil }
        return UInt8(exactly: value)
    }

    static func isCountryCodeShaped(_ text: Substring) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.count == 2 && bytes.allSatisfy { isLetter($0 & 0xDF) }
    }

    static func isLetter(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
}
