import PropertyBased
import Testing

@testable import ConcordCore

/// The E.164 form, or nil when the value was rejected.
private func e164(_ text: String, _ region: String?) -> String? {
    try? PhoneNumberNormalizer.normalize(text, region: region)
}

/// The reason a value was rejected, or a note that it was accepted.
private func rejection(_ text: String, _ region: String?) -> String {
    do {
        let value = try PhoneNumberNormalizer.normalize(text, region: region)
        return "accepted as \(value)"
    } catch {
        return error.reason
    }
}

@Suite("Phone numbers to E.164")
struct PhoneNumberTests {
    @Test("one Thai mobile number, written the ways people write it, is one E.164 key")
    func thaiNumberWrittenManyWays() {
        let forms: [(text: String, region: String?)] = [
            ("081 234 5678", "TH"),
            ("081-234-5678", "TH"),
            ("(081) 234.5678", "th"),
            ("0812345678", "TH"),
            ("66812345678", "TH"),
            ("+66 81 234 5678", nil),
            ("+66 (0) 81 234 5678", nil),
            ("+66/81/234/5678", "SG"),
            ("001 66 81 234 5678", "TH"),
            ("007-66-81-234-5678", "TH"),
            ("011 66 81 234 5678", "US"),
            ("00 66 81 234 5678", "GB"),
            ("tel:+66-81-234-5678", nil),
            ("tel:081-234-5678;phone-context=+66", nil),
            ("\u{FF10}\u{FF18}\u{FF11}\u{FF12}\u{FF13}\u{FF14}\u{FF15}\u{FF16}\u{FF17}\u{FF18}", "TH"),
            ("\u{0E50}\u{0E58}\u{0E51}\u{0E52}\u{0E53}\u{0E54}\u{0E55}\u{0E56}\u{0E57}\u{0E58}", "TH"),
            ("\u{FF0B}66\u{3000}81\u{3000}234\u{3000}5678", nil),
        ]
        for form in forms {
            #expect(e164(form.text, form.region) == "+66812345678", "\(form.text) read in \(form.region ?? "no region")")
        }
    }

    @Test("the same number typed in five countries becomes one identifier")
    func oneKeyAcrossCountries() throws {
        let typed: [(String, String)] = [
            ("081 234 5678", "TH"), ("001 66 81 234 5678", "TH"), ("011 66 81 234 5678", "US"),
            ("00 66 81 234 5678", "GB"), ("0011 66 81 234 5678", "AU"), ("+66 81 234 5678", "SG"),
        ]
        var keys = Set<Identifier>()
        for (text, region) in typed {
            let identifier = try Identifier.normalize(kind: .phone, value: text, hints: NormalizationHints(region: region))
            keys.insert(identifier)
        }
        #expect(keys == [Identifier(kind: .phone, canonical: "+66812345678")])
    }

    @Test("national and international formats of many countries")
    func countryExamples() {
        let examples: [(region: String, text: String, expected: String)] = [
            ("GB", "07700 900123", "+447700900123"),
            ("GB", "020 7946 0958", "+442079460958"),
            ("GB", "+44 (0)7700 900123", "+447700900123"),
            ("SG", "9123 4567", "+6591234567"),
            ("KE", "0712 123456", "+254712123456"),
            ("NG", "0802 123 4567", "+2348021234567"),
            ("FJ", "701 2345", "+6797012345"),
            ("AU", "0412 345 678", "+61412345678"),
            ("AU", "(02) 9876 5432", "+61298765432"),
            ("AU", "0011 61 412 345 678", "+61412345678"),
            ("US", "(201) 555-0123", "+12015550123"),
            ("US", "1-201-555-0123", "+12015550123"),
            ("CA", "416 555 0123", "+14165550123"),
            ("IN", "098765 43210", "+919876543210"),
            ("CN", "138 0013 8000", "+8613800138000"),
            ("CN", "010 1234 5678", "+861012345678"),
            ("PH", "0917 123 4567", "+639171234567"),
            ("MY", "012-345 6789", "+60123456789"),
            ("ID", "0812-3456-789", "+628123456789"),
            ("DE", "030 123456", "+4930123456"),
            ("FR", "0049 30 123456", "+4930123456"),
            ("NL", "06 12345678", "+31612345678"),
            ("RU", "8 912 345 67 89", "+79123456789"),
            ("YT", "0692 12 34 56", "+262692123456"),
            // Regions whose trunk prefix rules rewrite the number.
            ("AR", "011 15 2345 6789", "+5491123456789"),
            ("BR", "0 15 11 98765 4321", "+5511987654321"),
            ("BR", "(0xx11) 98765-4321", "+5511987654321"),
            ("AG", "761 2345", "+12687612345"),
        ]
        for example in examples {
            let result = e164(example.text, example.region)
            #expect(result == example.expected, "\(example.text) in \(example.region)")
            // The canonical form reads back as itself, whatever region the reader is in.
            #expect(e164(example.expected, nil) == example.expected)
            #expect(e164(example.expected, "TH") == example.expected)
        }
    }

    @Test("non-geographic calling codes need no region")
    func nonGeographic() {
        #expect(e164("+800 1234 5678", nil) == "+80012345678")
        #expect(e164("+882 1234 5678", "DE") != nil)
    }

    @Test("numbers that are too short or too long are rejected with the rule")
    func lengths() {
        let short = rejection("081 234", "TH")
        #expect(short.hasPrefix("too short"), "\(short)")
        #expect(short.contains("Thailand (+66)") && short.contains("this has 5"), "\(short)")
        let long = rejection("081 234 5678 9012 3456 7890", "TH")
        #expect(long.hasPrefix("too long"), "\(long)")
        #expect(rejection("+66", nil).hasPrefix("too short"))
        #expect(rejection("+1 201 555 012", nil).hasPrefix("too short"))
        #expect(rejection(String(repeating: "9", count: 60), "TH").hasPrefix("too long"))
    }

    @Test("a local number without its area code is not a full E.164 number")
    func localOnlyLengths() {
        let reason = rejection("7946 0958", "GB")
        #expect(reason.contains("local number without its area code"), "\(reason)")
    }

    @Test("letters are rejected, with a hint when they look like digits")
    func letters() {
        #expect(rejection("081 234 567O", "TH").contains("did you mean the digit 0"))
        #expect(rejection("1-800-FLOWERS", "US").contains("letters ('FLOWERS')"))
        #expect(rejection("Phone: 081 234 5678", "TH").contains("'Phone'"))
        #expect(rejection("+1 201 555 0123 ext. 12", nil).contains("extension"))
        #expect(rejection("tel:+1-201-555-0123;ext=12", nil).contains("extension"))
    }

    @Test("unknown calling codes are named")
    func unknownCallingCode() {
        let reason = rejection("+999 123 456 789", nil)
        #expect(reason.hasPrefix("unknown country calling code"), "\(reason)")
        #expect(reason.contains("+999"), "\(reason)")
        #expect(rejection("+0 812 345 678", nil).contains("none starts with 0"))
        #expect(rejection("00 999 123 456 789", "GB").hasPrefix("unknown country calling code"))
    }

    @Test("a national number needs a region, and the region must exist")
    func regions() {
        #expect(rejection("081 234 5678", nil).contains("no country code"))
        #expect(rejection("081 234 5678", "").contains("no country code"))
        let unknown = rejection("+66 81 234 5678", "XX")
        #expect(unknown.contains("unknown region 'XX'"), "\(unknown)")
        #expect(rejection("07700 900123", "UK").contains("GB"))
    }

    @Test("characters that are not part of a number are rejected")
    func strayCharacters() {
        #expect(rejection("0812+345678", "TH").contains("'+'"))
        #expect(rejection("081*234*5678", "TH").contains("'*'"))
        #expect(rejection("0812345678#12", "TH").contains("extension"))
        #expect(rejection("   ", "TH") == "the value is empty")
        #expect(rejection("--", "TH") == "it has no digits")
    }

    @Test("the generated tables cover every region and know the main region of shared codes")
    func tables() {
        let table = PhoneNumberingPlanTable.standard
        #expect(table.unreadableLines.isEmpty, "\(table.unreadableLines)")
        #expect(table.byRegion.count >= 245)
        let required = """
            BN KH ID LA MY MM PH SG TH VN TL BW CM SZ GA GM GH KE LS MW MU MZ NA NG RW SC SL ZA TG UG TZ ZM \
            AU FJ KI NR NZ PG WS SB TO TV VU AG BS BB BZ DM GD GY JM KN LC VC TT AT BE BG HR CY CZ DK EE FI \
            FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE GB IN CN US CA
            """
        for region in required.split(separator: " ") {
            #expect(table.byRegion[String(region)] != nil, "\(region)")
        }
        let mains: [Int: String] = [1: "US", 7: "RU", 44: "GB", 61: "AU", 262: "RE", 800: "001"]
        for (code, region) in mains {
            #expect(table.byCallingCode[code]?.region == region, "+\(code)")
        }
        #expect(PhoneMetadata.version.isEmpty == false)
    }

    @Test("metadata patterns match like a backtracking regex, captures included")
    func digitPatterns() throws {
        let pattern = try #require(DigitPattern("0?(?:(11|2[2-9])15)?"))
        let digits: [UInt8] = [0, 1, 1, 1, 5, 2, 3]
        let match = try #require(pattern.matchPrefix(of: digits))
        #expect(match.end == 5)
        #expect(match.range(ofGroup: 1) == 1..<3)
        let whole = try #require(DigitPattern("(?:001800|[2-57]|[689]\\d)\\d{7}|1\\d{7,9}"))
        #expect(whole.matchesWhole([8, 1, 2, 3, 4, 5, 6, 7, 8]))
        #expect(!whole.matchesWhole([8, 1, 2, 3, 4, 5, 6, 7]))
        #expect(whole.matchesWhole([1, 8, 0, 0, 1, 2, 3, 4, 5, 6]))
        #expect(DigitPattern("[9-0]")?.program == nil)
        #expect(DigitPattern("(12")?.program == nil)
    }

    @Test("separators anywhere never change the number")
    func separatorsAnywhere() async {
        let samples: [(region: String, digits: String, expected: String)] = [
            ("TH", "0812345678", "+66812345678"),
            ("GB", "07700900123", "+447700900123"),
            ("US", "2015550123", "+12015550123"),
            ("SG", "91234567", "+6591234567"),
            ("KE", "0712123456", "+254712123456"),
            ("IN", "09876543210", "+919876543210"),
        ]
        let separators = [" ", "-", ".", "/", "(", ")", "\u{00A0}", "\u{2011}", "", "", ""]
        await propertyCheck(
            count: 300,
            input: Gen.int(in: 0...(samples.count - 1)),
            Gen.element(of: separators).array(of: 12)
        ) { which, inserted in
            let sample = samples[which]
            var text = ""
            for (offset, digit) in sample.digits.enumerated() {
                text.append(digit)
                if offset < inserted.count, let separator = inserted[offset] { text += separator }
            }
            #expect(e164(text, sample.region) == sample.expected, "\(text)")
        }
    }
}
