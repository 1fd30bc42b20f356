/// Reads phone numbers as people write them and gives them in E.164 (`+66812345678`).
///
/// The reading follows libphonenumber's parser step by step (international dialling prefixes
/// of the region, `+`, a country code written without `+`, trunk prefixes, the national
/// prefix rules of each region) over tables generated from its metadata (`PhoneMetadata`), and
/// accepts a number when its length is possible for its country calling code. It differs on
/// purpose in two ways: letters are never read as digits (no vanity numbers, no silently
/// dropped letters, no extensions), and a number that only fits a local-only length (one dialled
/// without its area code) is rejected, because it is not a complete E.164 number.
/// `scripts/phone_differential.py` checks the agreement against the Python `phonenumbers` package.
enum PhoneNumberNormalizer {
    /// The longest national significant number E.164 and libphonenumber allow.
    static let maximumNationalLength = 17
    /// Digits beyond this many cannot be a phone number in any written form.
    static let maximumWrittenDigits = 40

    /// Reads a phone number written in any common way and returns it in E.164.
    /// - Parameters:
    ///   - raw: the number as typed: spaces, dots, dashes, brackets and slashes are ignored;
    ///     it may start with `+`, an international dialling prefix of `region` (`00`, `011`,
    ///     `001`, ...) or a trunk prefix (`0`), be a `tel:` URI, or use fullwidth or other
    ///     decimal digits.
    ///   - region: ISO 3166-1 alpha-2 code (any case) of the region the number was dialled in;
    ///     needed for national formats, ignored for a number written with `+`. `nil` or empty
    ///     means unknown.
    /// - Returns: `+`, the country calling code and the national significant number.
    /// - Throws: `IdentifierError` naming the reason: unknown region, letters, too short,
    ///   too long, unknown calling code, national number without a region, ...
    static func normalize(_ raw: String, region: String?) throws(IdentifierError) -> String {
        let table = PhoneNumberingPlanTable.standard
        let plan = try regionPlan(region, in: table)
        let text = raw.trimmingWhitespace()
        guard !text.isEmpty else { throw failure("the value is empty") }
        let written = try WrittenPhoneNumber.read(text)
        guard !written.digits.isEmpty else { throw failure("it has no digits") }
        guard written.hasPlus || plan != nil else {
            throw failure(
                "this number has no country code: write it with + and the country code "
                    + "(like +66 81 234 5678), or give the region it was dialled in"
            )
        }

        var extraction = extractCallingCode(hasPlus: written.hasPlus, digits: written.digits, plan: plan, table: table)
        if written.hasPlus, case .unknownCallingCode = extraction {
            // Like libphonenumber: "+00 44 ..." or "+011 44 ..." may still be an international
            // prefix of the region typed after a stray plus.
            let retry = extractCallingCode(hasPlus: false, digits: written.digits, plan: plan, table: table)
            if case .nationalNumber = retry {} else { extraction = retry }
        }

        let callingCode: Int
        var national: [UInt8]
        let numberPlan: PhoneNumberingPlan
        switch extraction {
        case .found(let code, let rest):
            guard let main = table.byCallingCode[code] else { throw unknownCallingCodeFailure(written.digits, after: plusSign) }
            callingCode = code
            national = rest
            if let plan, plan.region == main.region { numberPlan = plan } else { numberPlan = main }
        case .nationalNumber:
            guard let plan else { throw failure("this number has no country code and no region was given") }
            callingCode = plan.callingCode
            national = written.digits
            numberPlan = plan
        case .unknownCallingCode(let digits, let prefix):
            throw unknownCallingCodeFailure(digits, after: prefix)
        case .tooShortAfterPrefix(let count, let prefix):
            throw failure("too short: only \(count) digit\(count == 1 ? "" : "s") after \(prefix)")
        }

        guard national.count >= 2 else {
            throw failure("too short: only \(national.count) digit\(national.count == 1 ? "" : "s") after +\(callingCode)")
        }
        // Strip the trunk prefix only when what remains has a possible length for the region.
        let stripped = numberPlan.strippingTrunkPrefix(from: national)
        switch numberPlan.checkLength(stripped.count) {
        case .tooShort, .localOnly, .invalidLength: break
        case .possible, .tooLong: national = stripped
        }
        guard let main = table.byCallingCode[callingCode] else {
            throw unknownCallingCodeFailure(written.digits, after: plusSign)
        }
        guard national.count <= maximumNationalLength else {
            throw lengthFailure(.tooLong, count: national.count, main: main, table: table)
        }
        let check = main.checkLength(national.count)
        guard check == .possible else {
            // Count the digits the way the message explains them: without a trunk prefix.
            let strippedCheck = main.checkLength(stripped.count)
            if stripped.count < national.count, strippedCheck != .possible {
                throw lengthFailure(strippedCheck, count: stripped.count, main: main, table: table)
            }
            throw lengthFailure(check, count: national.count, main: main, table: table)
        }
        return "+" + String(callingCode) + String(decoding: national.map { $0 + UInt8(ascii: "0") }, as: UTF8.self)
    }

    // MARK: - Steps

    /// The plan of the region the number was dialled in, or nil when none was given.
    private static func regionPlan(
        _ region: String?,
        in table: PhoneNumberingPlanTable
    ) throws(IdentifierError)
        -> PhoneNumberingPlan?
    {
        guard let region else { return nil }
        let code = region.trimmingWhitespace()
        guard !code.isEmpty else { return nil }
        let upper = code.uppercased()
        if upper.utf8.count == 2, upper.utf8.allSatisfy({ $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }),
            let plan = table.byRegion[upper]
        {
            return plan
        }
        let hint = upper == "UK" ? " (the United Kingdom is GB)" : ""
        throw failure("unknown region '\(code)'\(hint): give an ISO 3166-1 alpha-2 code such as TH, GB or US")
    }

    /// The outcome of looking for a country calling code at the start of the digits.
    private enum CallingCodeExtraction {
        /// A calling code and the national number after it (trunk prefix not yet removed).
        case found(callingCode: Int, national: [UInt8])
        /// No calling code: the digits are a national number of the region.
        case nationalNumber
        /// A `+` or an international prefix followed by digits that start no calling code.
        case unknownCallingCode(digits: [UInt8], after: String)
        /// A `+` or an international prefix followed by too few digits.
        case tooShortAfterPrefix(count: Int, after: String)
    }

    private static func extractCallingCode(
        hasPlus: Bool,
        digits: [UInt8],
        plan: PhoneNumberingPlan?,
        table: PhoneNumberingPlanTable
    ) -> CallingCodeExtraction {
        var international: [UInt8]?
        var prefix = plusSign
        if hasPlus {
            international = digits
        } else if let plan, let idd = plan.internationalPrefix, let match = idd.matchPrefix(of: digits),
            !(match.end < digits.count && digits[match.end] == 0)
        {
            // A calling code never starts with 0, so "0" after the prefix means it was not one.
            international = Array(digits[match.end...])
            prefix = "the international prefix " + digitText(digits[0..<match.end])
        }
        if let international {
            guard international.count > 2 else { return .tooShortAfterPrefix(count: international.count, after: prefix) }
            if let split = table.splitCallingCode(international) {
                return .found(callingCode: split.code, national: split.rest)
            }
            return .unknownCallingCode(digits: international, after: prefix)
        }
        // The region's own calling code written without "+" ("66 81 234 5678" in Thailand):
        // taken as such when the rest reads better as a national number than the whole does.
        if let plan, digits.starts(with: plan.callingCodeDigits) {
            let rest = plan.strippingTrunkPrefix(from: Array(digits[plan.callingCodeDigits.count...]))
            if (!plan.pattern.matchesWhole(digits) && plan.pattern.matchesWhole(rest))
                || plan.checkLength(digits.count) == .tooLong
            {
                return .found(callingCode: plan.callingCode, national: rest)
            }
        }
        return .nationalNumber
    }

    // MARK: - Reasons

    /// How messages name a leading plus.
    private static let plusSign = "the +"

    static func failure(_ reason: String) -> IdentifierError {
        IdentifierError(.phone, reason)
    }

    private static func digitText(_ digits: some Sequence<UInt8>) -> String {
        String(decoding: digits.map { $0 + UInt8(ascii: "0") }, as: UTF8.self)
    }

    private static func unknownCallingCodeFailure(_ digits: [UInt8], after prefix: String) -> IdentifierError {
        guard let first = digits.first, first != 0 else {
            return failure("after \(prefix) comes a country calling code, and none starts with 0")
        }
        let tried = (1...min(3, digits.count)).map { "+" + digitText(digits.prefix($0)) }
        let list = tried.count > 1 ? tried.dropLast().joined(separator: ", ") + " or " + (tried.last ?? "") : tried.joined()
        let place = prefix == plusSign ? "" : " (after \(prefix))"
        return failure("unknown country calling code\(place): no country uses \(list)")
    }

    private static func lengthFailure(
        _ check: PhoneNumberingPlan.LengthCheck,
        count: Int,
        main: PhoneNumberingPlan,
        table: PhoneNumberingPlanTable
    ) -> IdentifierError {
        let place: String
        if main.region == "001" {
            place = "a number of the \(main.name) (+\(main.callingCode))"
        } else if table.regionCount(callingCode: main.callingCode) > 1 {
            place = "a number under +\(main.callingCode)"
        } else {
            place = "a number in \(countryName(main.name)) (+\(main.callingCode))"
        }
        let trunk = main.trunkPrefix.isEmpty ? "" : " and any trunk prefix \(main.trunkPrefix)"
        let rule = "\(place) has \(lengthList(main.possibleLengths)) digits after the country code\(trunk); this has \(count)"
        switch check {
        case .tooShort: return failure("too short: " + rule)
        case .tooLong: return failure("too long: " + rule)
        case .localOnly: return failure("this looks like a local number without its area code: " + rule)
        case .invalidLength, .possible: return failure("wrong length: " + rule)
        }
    }

    /// The name as it reads after "in": "the Philippines", "Thailand".
    private static func countryName(_ name: String) -> String {
        let plural = ["Bahamas", "Comoros", "Gambia", "Maldives", "Netherlands", "Philippines", "Seychelles"]
        if name.hasPrefix("The ") { return name }
        if name.hasPrefix("United ") || name.hasSuffix(" Islands") || name.hasSuffix(" Republic") || plural.contains(name) {
            return "the " + name
        }
        return name
    }

    /// "9", "8 or 9", "8, 9, 10 or 13", "4 to 13".
    private static func lengthList(_ lengths: [Int]) -> String {
        guard let first = lengths.first, let last = lengths.last else { return "no" }
        if lengths.count >= 3, last - first == lengths.count - 1 { return "\(first) to \(last)" }
        let words = lengths.map(String.init)
        guard words.count > 1 else { return words.joined() }
        return words.dropLast().joined(separator: ", ") + " or " + (words.last ?? "")
    }
}

// MARK: - Reading the text

/// What a person wrote, reduced to what matters for the number: a leading plus and the digits.
struct WrittenPhoneNumber: Equatable {
    var hasPlus = false
    /// Digit values 0...9.
    var digits: [UInt8] = []

    /// Reads plain text or a `tel:` URI (RFC 3966).
    static func read(_ text: String) throws(IdentifierError) -> WrittenPhoneNumber {
        guard text.prefix(4).lowercased() == "tel:" else { return try scan(Substring(text)) }
        let parts = text.dropFirst(4).split(separator: ";", omittingEmptySubsequences: false)
        var context: Substring?
        for parameter in parts.dropFirst() {
            let pieces = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = (pieces.first ?? "").lowercased()
            let value = pieces.count > 1 ? pieces[1] : ""
            switch name {
            case "phone-context": context = value
            case "ext":
                throw PhoneNumberNormalizer.failure(
                    "it has an extension (ext=\(value)); an extension is not part of the phone number, "
                        + "so give the number without it"
                )
            default: break  // isdn-subaddress and other parameters do not change the number
            }
        }
        var written = try scan(parts.first ?? "")
        guard let context else { return written }
        if context.first == "+" {
            let digits = context.utf8.dropFirst()
            let allowed: Set<UInt8> = [UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "("), UInt8(ascii: ")")]
            guard digits.contains(where: { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                digits.allSatisfy({ ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || allowed.contains($0) })
            else { throw PhoneNumberNormalizer.failure("the phone-context '\(context)' of this tel: URI is not valid") }
            guard !written.hasPlus else {
                throw PhoneNumberNormalizer.failure("this tel: URI has a + number and also a phone-context")
            }
            let prefix = digits.filter { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }.map { $0 - UInt8(ascii: "0") }
            written.hasPlus = true
            written.digits = prefix + written.digits
            return written
        }
        guard !context.isEmpty, context.utf8.allSatisfy(isDomainByte) else {
            throw PhoneNumberNormalizer.failure("the phone-context '\(context)' of this tel: URI is not valid")
        }
        return written  // a domain context says nothing about the country: the region decides
    }

    /// Letters, digits, '-' and '.': what a domain name in a phone-context is made of.
    private static func isDomainByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "-"), UInt8(ascii: "."):
            return true
        default:
            return false
        }
    }

    /// Collects the plus and the digits; separators are skipped, anything else is an error.
    private static func scan(_ text: Substring) throws(IdentifierError) -> WrittenPhoneNumber {
        var written = WrittenPhoneNumber()
        let scalars = Array(text.unicodeScalars)
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            index += 1
            if let digit = decimalValue(scalar) {
                guard written.digits.count < PhoneNumberNormalizer.maximumWrittenDigits else {
                    throw PhoneNumberNormalizer.failure(
                        "too long: more than \(PhoneNumberNormalizer.maximumWrittenDigits) digits, and no phone number has "
                            + "more than \(PhoneNumberNormalizer.maximumNationalLength) after its country code"
                    )
                }
                written.digits.append(digit)
            } else if scalar == "+" || scalar == "\u{FF0B}" {
                guard written.digits.isEmpty else {
                    throw PhoneNumberNormalizer.failure("a '+' can only stand at the start of the number")
                }
                written.hasPlus = true
            } else if isCarrierPlaceholder(scalars, at: index - 1) {
                index += 1  // "0xx11": Brazil's placeholder for the carrier code, like punctuation
            } else if !isSeparator(scalar) {
                throw unreadable(scalars, at: index - 1, digitsBefore: written.digits.count)
            }
        }
        return written
    }

    /// "xx" standing alone between digits or separators, as in Brazil's "(0xx11) 98765-4321".
    private static func isCarrierPlaceholder(_ scalars: [Unicode.Scalar], at index: Int) -> Bool {
        func isX(_ position: Int) -> Bool {
            position >= 0 && position < scalars.count && (scalars[position] == "x" || scalars[position] == "X")
        }
        func isLetter(_ position: Int) -> Bool {
            position >= 0 && position < scalars.count && scalars[position].properties.isAlphabetic
        }
        return isX(index) && isX(index + 1) && !isLetter(index - 1) && !isLetter(index + 2)
    }

    /// 0...9 for any Unicode decimal digit (ASCII, fullwidth, Arabic-Indic, Thai, ...).
    private static func decimalValue(_ scalar: Unicode.Scalar) -> UInt8? {
        if scalar.value >= 0x30 && scalar.value <= 0x39 { return UInt8(scalar.value - 0x30) }
        guard scalar.value >= 0x80, scalar.properties.numericType == .decimal,
            let value = scalar.properties.numericValue, value >= 0, value <= 9
        else { return nil }
        return UInt8(exactly: value)
    }

    /// Spaces, dashes, dots, slashes, brackets and tildes (with their fullwidth forms).
    private static func isSeparator(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x28, 0x29, 0x2D, 0x2E, 0x2F, 0x5B, 0x5D, 0x7E: return true  // ( ) - . / [ ] ~
        case 0x2010...0x2015, 0x2212, 0x30FC, 0x2053, 0x223C: return true  // dashes, swung dashes
        case 0xFF08, 0xFF09, 0xFF0D, 0xFF0E, 0xFF0F, 0xFF3B, 0xFF3D, 0xFF5E: return true  // fullwidth forms
        case 0x00AD, 0x200B, 0x200E, 0x200F, 0x2060, 0xFEFF: return true  // invisible characters
        default: return scalar.properties.isWhitespace
        }
    }

    /// Why the character at `index` cannot be read, in words that point at the fix.
    private static func unreadable(_ scalars: [Unicode.Scalar], at index: Int, digitsBefore: Int) -> IdentifierError {
        var rest = String.UnicodeScalarView()
        rest.append(contentsOf: scalars[index...])
        let restText = String(rest)
        let lowered = restText.lowercased()
        let marker = lowered.drop(while: { " ;,#.:=".contains($0) })
        let afterX = marker.dropFirst().drop(while: { " .".contains($0) })
        let extensionWord = marker.hasPrefix("ext")
        let xThenDigit = marker.hasPrefix("x") && afterX.first?.isNumber == true
        let hashThenDigit = scalars[index] == "#" && marker.first?.isNumber == true
        if digitsBefore > 0 && (extensionWord || xThenDigit || hashThenDigit) {
            return PhoneNumberNormalizer.failure(
                "it has an extension ('\(restText)'); an extension is not part of the phone number, "
                    + "so give the number without it"
            )
        }
        let scalar = scalars[index]
        guard scalar.properties.isAlphabetic else {
            return PhoneNumberNormalizer.failure("'\(Character(scalar))' cannot be part of a phone number")
        }
        var word = String.UnicodeScalarView()
        var end = index
        while end < scalars.count, scalars[end].properties.isAlphabetic {
            word.append(scalars[end])
            end += 1
        }
        let letters = String(word)
        if letters == "O" || letters == "o" {
            return PhoneNumberNormalizer.failure("it has the letter '\(letters)' among the digits: did you mean the digit 0?")
        }
        if letters == "l" || letters == "I" {
            return PhoneNumberNormalizer.failure("it has the letter '\(letters)' among the digits: did you mean the digit 1?")
        }
        if digitsBefore == 0 {
            return PhoneNumberNormalizer.failure(
                "it starts with the word '\(letters)': give only the number, without labels or other text"
            )
        }
        return PhoneNumberNormalizer.failure(
            "it has letters ('\(letters)'): a phone number is written in digits only (vanity numbers like 1-800-FLOWERS too)"
        )
    }
}

// MARK: - Numbering plans

/// One region's numbering plan, read from a line of `PhoneMetadata.regions`.
/// A class: plans are looked up for every number read, and a reference costs less to pass than a copy.
final class PhoneNumberingPlan: Sendable {
    /// ISO 3166-1 alpha-2 code, or "001" for a non-geographic calling code such as +800.
    let region: String
    /// English name of the region or service.
    let name: String
    let callingCode: Int
    let callingCodeDigits: [UInt8]
    /// Whether this region is the one whose lengths decide for its calling code.
    let isMain: Bool
    /// International (IDD) prefix dialled from this region, e.g. `00[1-9]` in Thailand.
    let internationalPrefix: DigitPattern?
    /// The trunk prefix as dialled, e.g. "0"; empty when the region has none.
    let trunkPrefix: String
    /// What to strip (or rewrite) at the start of a national number.
    let trunkPrefixForParsing: DigitPattern?
    /// Rewrite rule for `trunkPrefixForParsing`: these digits, then capture group `transformGroup`.
    let transformDigits: [UInt8]
    /// 0 when the region has no rewrite rule.
    let transformGroup: Int
    /// Shape of the region's national numbers.
    let pattern: DigitPattern
    /// Possible national number lengths, ascending.
    let possibleLengths: [Int]
    /// Lengths only diallable locally (without the area code), ascending.
    let localOnlyLengths: [Int]

    enum LengthCheck: Equatable {
        case possible, tooShort, tooLong, invalidLength, localOnly
    }

    /// Reads `region;callingCode;main;idd;trunk;trunkParse;transform;pattern;lengths;localLengths;name`.
    init?(line: Substring) {
        let fields = line.split(separator: ";", omittingEmptySubsequences: false)
        guard fields.count == 11, !fields[0].isEmpty, let callingCode = Int(fields[1]), callingCode > 0,
            let pattern = DigitPattern(fields[7])
        else { return nil }
        func lengths(_ field: Substring) -> [Int]? {
            if field.isEmpty { return [] }
            var values: [Int] = []
            for item in field.split(separator: ",") {
                guard let value = Int(item), value > 0 else { return nil }
                values.append(value)
            }
            return values
        }
        guard let possibleLengths = lengths(fields[8]), !possibleLengths.isEmpty,
            let localOnlyLengths = lengths(fields[9])
        else { return nil }
        var internationalPrefix: DigitPattern?
        if !fields[3].isEmpty {
            guard let compiled = DigitPattern(fields[3]) else { return nil }
            internationalPrefix = compiled
        }
        var trunkPrefixForParsing: DigitPattern?
        if !fields[5].isEmpty {
            guard let compiled = DigitPattern(fields[5]) else { return nil }
            trunkPrefixForParsing = compiled
        }
        var transformDigits: [UInt8] = []
        var transformGroup = 0
        if !fields[6].isEmpty {
            let rule = fields[6].split(separator: "\\", omittingEmptySubsequences: false)
            guard rule.count == 2, let group = Int(rule[1]), group >= 1,
                let parser = trunkPrefixForParsing, group <= parser.groupCount,
                rule[0].utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
            else { return nil }
            transformDigits = rule[0].utf8.map { $0 - UInt8(ascii: "0") }
            transformGroup = group
        }
        self.region = String(fields[0])
        self.name = String(fields[10])
        self.callingCode = callingCode
        self.callingCodeDigits = fields[1].utf8.map { $0 - UInt8(ascii: "0") }
        self.isMain = fields[2] == "*"
        self.internationalPrefix = internationalPrefix
        self.trunkPrefix = String(fields[4])
        self.trunkPrefixForParsing = trunkPrefixForParsing
        self.transformDigits = transformDigits
        self.transformGroup = transformGroup
        self.pattern = pattern
        self.possibleLengths = possibleLengths
        self.localOnlyLengths = localOnlyLengths
    }

    /// How a national number of `count` digits fits this plan's lengths.
    func checkLength(_ count: Int) -> LengthCheck {
        if localOnlyLengths.contains(count) { return .localOnly }
        guard let shortest = possibleLengths.first, let longest = possibleLengths.last else { return .invalidLength }
        if count == shortest { return .possible }
        if count < shortest { return .tooShort }
        if count > longest { return .tooLong }
        return possibleLengths.contains(count) ? .possible : .invalidLength
    }

    /// The national number without its trunk prefix (or rewritten by the region's rule), unless
    /// that would turn a number of the region's shape into one that is not.
    func strippingTrunkPrefix(from number: [UInt8]) -> [UInt8] {
        guard !number.isEmpty, let parser = trunkPrefixForParsing, let match = parser.matchPrefix(of: number) else {
            return number
        }
        let wasViable = pattern.matchesWhole(number)
        var candidate: [UInt8]
        if transformGroup == 0 || match.range(ofGroup: parser.groupCount) == nil {
            candidate = Array(number[match.end...])
        } else {
            candidate = transformDigits
            if let range = match.range(ofGroup: transformGroup) { candidate.append(contentsOf: number[range]) }
            candidate.append(contentsOf: number[match.end...])
        }
        if wasViable && !pattern.matchesWhole(candidate) { return number }
        return candidate
    }
}

/// All numbering plans, by region and by calling code (its main region).
struct PhoneNumberingPlanTable: Sendable {
    let byRegion: [String: PhoneNumberingPlan]
    let byCallingCode: [Int: PhoneNumberingPlan]
    /// How many regions share each calling code.
    let regionCounts: [Int: Int]
    /// Lines of the metadata that could not be read (empty unless the generator and the reader disagree).
    let unreadableLines: [String]

    /// The table read from the generated metadata, once.
    static let standard = PhoneNumberingPlanTable(text: PhoneMetadata.regions)

    init(text: String) {
        var byRegion: [String: PhoneNumberingPlan] = [:]
        var byCallingCode: [Int: PhoneNumberingPlan] = [:]
        var regionCounts: [Int: Int] = [:]
        var unreadable: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            guard let plan = PhoneNumberingPlan(line: line) else {
                unreadable.append(String(line))
                continue
            }
            if plan.region != "001" {
                byRegion[plan.region] = plan
                regionCounts[plan.callingCode, default: 0] += 1
            }
            if plan.isMain { byCallingCode[plan.callingCode] = plan }
        }
        self.byRegion = byRegion
        self.byCallingCode = byCallingCode
        self.regionCounts = regionCounts
        self.unreadableLines = unreadable
    }

    func regionCount(callingCode: Int) -> Int { regionCounts[callingCode] ?? 0 }

    /// The calling code (1 to 3 digits) at the start of `digits`, and the digits after it.
    func splitCallingCode(_ digits: [UInt8]) -> (code: Int, rest: [UInt8])? {
        guard let first = digits.first, first != 0 else { return nil }
        var code = 0
        for index in 0..<min(3, digits.count) {
            code = code * 10 + Int(digits[index])
            if byCallingCode[code] != nil { return (code, Array(digits[(index + 1)...])) }
        }
        return nil
    }
}

// MARK: - Digit patterns

/// A pattern from the numbering metadata, compiled for matching digit strings.
///
/// The metadata uses a small regular-expression subset over digits: literal digits, `\d`,
/// `[...]` with ranges, `(...)` and `(?:...)` groups, `|`, `?`, `{n}`, `{n,m}` and `$`
/// (`scripts/generate_phone_metadata.py` checks that nothing else appears). Matching is
/// anchored at the start and explores alternatives in the same order as a backtracking regex
/// engine (first alternative first, greedy repetition), so captures agree with libphonenumber.
struct DigitPattern: Sendable {
    enum Instruction: Sendable, Equatable {
        /// Consume one digit whose bit is set (bit d for digit d).
        case digit(UInt16)
        /// Try the first target, and the second if that fails.
        case split(Int, Int)
        case jump(Int)
        /// Record the position in a capture slot (2 per group: start, end).
        case save(Int)
        /// Succeed only at the end of the digits.
        case atEnd
        case match
    }

    /// A successful match: where it ended and the capture slots (-1 when unset).
    struct Match {
        let end: Int
        let captures: [Int]

        /// The digits captured by group `group` (1-based), or nil when it did not take part.
        func range(ofGroup group: Int) -> Range<Int>? {
            guard group >= 1, 2 * group <= captures.count else { return nil }
            let start = captures[2 * group - 2]
            let end = captures[2 * group - 1]
            guard start >= 0, end >= start else { return nil }
            return start..<end
        }
    }

    static let anyDigit: UInt16 = 0x3FF

    let program: [Instruction]
    let groupCount: Int

    /// Compiles `source`; nil when it is not in the supported subset.
    init?(_ source: String) {
        self.init(Substring(source))
    }

    /// Compiles `source`; nil when it is not in the supported subset.
    init?(_ source: Substring) {
        var parser = Parser(bytes: Array(source.utf8))
        guard let alternatives = parser.parseAlternatives(), parser.index == parser.bytes.count else { return nil }
        var program: [Instruction] = []
        Self.emit(alternatives: alternatives, into: &program)
        program.append(.match)
        self.program = program
        self.groupCount = parser.groupCount
    }

    /// The first match at the start of `digits`, in regex priority order.
    func matchPrefix(of digits: [UInt8]) -> Match? {
        run(digits, wholeInput: false)
    }

    /// Whether the pattern matches all of `digits`.
    func matchesWhole(_ digits: [UInt8]) -> Bool {
        run(digits, wholeInput: true) != nil
    }

    enum Job {
        case run(pc: Int, position: Int)
        case restore(slot: Int, value: Int)
    }

    /// Backtracking over the program. Every jump goes forward, so it always ends.
    private func run(_ digits: [UInt8], wholeInput: Bool) -> Match? {
        var captures = [Int](repeating: -1, count: 2 * groupCount)
        var jobs: [Job] = [.run(pc: 0, position: 0)]
        while let job = jobs.popLast() {
            switch job {
            case .restore(let slot, let value):
                captures[slot] = value
            case .run(var pc, var position):
                thread: while pc < program.count {
                    switch program[pc] {
                    case .digit(let set):
                        guard position < digits.count, digits[position] < 10,
                            set & (UInt16(1) << UInt16(digits[position])) != 0
                        else { break thread }
                        pc += 1
                        position += 1
                    case .split(let first, let second):
                        jobs.append(.run(pc: second, position: position))
                        pc = first
                    case .jump(let target):
                        pc = target
                    case .save(let slot):
                        jobs.append(.restore(slot: slot, value: captures[slot]))
                        captures[slot] = position
                        pc += 1
                    case .atEnd:
                        guard position == digits.count else { break thread }
                        pc += 1
                    case .match:
                        guard !wholeInput || position == digits.count else { break thread }
                        return Match(end: position, captures: captures)
                    }
                }
            }
        }
        return nil
    }

    // MARK: Compiling

    indirect enum Node {
        case digits(UInt16)
        case end
        case group(capture: Int?, alternatives: [[Node]])
        case repeated(Node, lower: Int, upper: Int)
    }

    private static func emit(alternatives: [[Node]], into program: inout [Instruction]) {
        var exits: [Int] = []
        for (position, sequence) in alternatives.enumerated() {
            let isLast = position == alternatives.count - 1
            let split = program.count
            if !isLast { program.append(.match) }  // placeholder, patched below
            for node in sequence { emit(node, into: &program) }
            if !isLast {
                exits.append(program.count)
                program.append(.match)  // placeholder for the jump past the last alternative
                program[split] = .split(split + 1, program.count)
            }
        }
        for exit in exits { program[exit] = .jump(program.count) }
    }

    private static func emit(_ node: Node, into program: inout [Instruction]) {
        switch node {
        case .digits(let set):
            program.append(.digit(set))
        case .end:
            program.append(.atEnd)
        case .group(let capture, let alternatives):
            if let capture { program.append(.save(2 * capture - 2)) }
            emit(alternatives: alternatives, into: &program)
            if let capture { program.append(.save(2 * capture - 1)) }
        case .repeated(let atom, let lower, let upper):
            for _ in 0..<lower { emit(atom, into: &program) }
            var holes: [Int] = []
            for _ in lower..<upper {
                holes.append(program.count)
                program.append(.match)  // placeholder: split to try one more, or stop
                emit(atom, into: &program)
            }
            for hole in holes { program[hole] = .split(hole + 1, program.count) }
        }
    }

    struct Parser {
        let bytes: [UInt8]
        var index = 0
        var groupCount = 0

        init(bytes: [UInt8]) {
            self.bytes = bytes
        }

        mutating func parseAlternatives() -> [[Node]]? {
            var alternatives: [[Node]] = [[]]
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "|") {
                    alternatives.append([])
                    index += 1
                } else if byte == UInt8(ascii: ")") {
                    break
                } else {
                    guard let atom = parseAtom(), let node = parseQuantifier(after: atom) else { return nil }
                    alternatives[alternatives.count - 1].append(node)
                }
            }
            return alternatives
        }

        private func digitValue(at position: Int) -> UInt8? {
            guard position < bytes.count, bytes[position] >= UInt8(ascii: "0"), bytes[position] <= UInt8(ascii: "9") else {
                return nil
            }
            return bytes[position] - UInt8(ascii: "0")
        }

        private func isAnyDigitEscape(at position: Int) -> Bool {
            position + 1 < bytes.count && bytes[position] == UInt8(ascii: "\\") && bytes[position + 1] == UInt8(ascii: "d")
        }

        private mutating func parseAtom() -> Node? {
            if let digit = digitValue(at: index) {
                index += 1
                return .digits(UInt16(1) << UInt16(digit))
            }
            if isAnyDigitEscape(at: index) {
                index += 2
                return .digits(DigitPattern.anyDigit)
            }
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: "$") { return .end }
            if byte == UInt8(ascii: "[") { return parseClass() }
            if byte == UInt8(ascii: "(") { return parseGroup() }
            return nil
        }

        private mutating func parseClass() -> Node? {
            var set: UInt16 = 0
            while index < bytes.count {
                if bytes[index] == UInt8(ascii: "]") {
                    index += 1
                    return set == 0 ? nil : .digits(set)
                }
                if isAnyDigitEscape(at: index) {
                    set |= DigitPattern.anyDigit
                    index += 2
                    continue
                }
                guard let low = digitValue(at: index) else { return nil }
                var high = low
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "-"), let end = digitValue(at: index + 1) {
                    high = end
                    index += 2
                }
                guard low <= high else { return nil }
                for digit in low...high { set |= UInt16(1) << UInt16(digit) }
            }
            return nil
        }

        private mutating func parseGroup() -> Node? {
            var capture: Int?
            if index + 1 < bytes.count, bytes[index] == UInt8(ascii: "?"), bytes[index + 1] == UInt8(ascii: ":") {
                index += 2
            } else {
                groupCount += 1
                capture = groupCount
            }
            guard let alternatives = parseAlternatives(), index < bytes.count, bytes[index] == UInt8(ascii: ")") else {
                return nil
            }
            index += 1
            return .group(capture: capture, alternatives: alternatives)
        }

        private mutating func parseQuantifier(after atom: Node) -> Node? {
            guard index < bytes.count else { return atom }
            if bytes[index] == UInt8(ascii: "?") {
                index += 1
                return .repeated(atom, lower: 0, upper: 1)
            }
            guard bytes[index] == UInt8(ascii: "{") else { return atom }
            index += 1
            guard let lower = parseCount() else { return nil }
            var upper = lower
            if index < bytes.count, bytes[index] == UInt8(ascii: ",") {
                index += 1
                guard let value = parseCount() else { return nil }
                upper = value
            }
            guard index < bytes.count, bytes[index] == UInt8(ascii: "}"), lower <= upper else { return nil }
            index += 1
            return .repeated(atom, lower: lower, upper: upper)
        }

        private mutating func parseCount() -> Int? {
            var value = 0
            var seen = false
            while let digit = digitValue(at: index), value < 100 {
                value = value * 10 + Int(digit)
                index += 1
                seen = true
            }
            return seen ? value : nil
        }
    }
}
