import PropertyBased
import Testing

@testable import ConcordCore

@Suite("Punycode (RFC 3492)")
struct PunycodeTests {
    /// One of the sample strings of RFC 3492 section 7.1.
    struct Sample: Sendable, CustomTestStringConvertible {
        let name: String
        let unicode: String
        let encoded: String

        init(_ name: String, unicode: String, encoded: String) {
            self.name = name
            self.unicode = unicode
            self.encoded = encoded
        }

        var testDescription: String { name }
    }

    static let samples: [Sample] = [
        Sample(
            "(A)",
            unicode:
                "\u{644}\u{64A}\u{647}\u{645}\u{627}\u{628}\u{62A}\u{643}\u{644}\u{645}\u{648}\u{634}\u{639}\u{631}\u{628}\u{64A}\u{61F}",
            encoded: "egbpdaj6bu4bxfgehfvwxn"
        ),
        Sample(
            "(B)",
            unicode: "\u{4ED6}\u{4EEC}\u{4E3A}\u{4EC0}\u{4E48}\u{4E0D}\u{8BF4}\u{4E2D}\u{6587}",
            encoded: "ihqwcrb4cv8a8dqg056pqjye"
        ),
        Sample(
            "(C)",
            unicode: "\u{4ED6}\u{5011}\u{7232}\u{4EC0}\u{9EBD}\u{4E0D}\u{8AAA}\u{4E2D}\u{6587}",
            encoded: "ihqwctvzc91f659drss3x8bo0yb"
        ),
        Sample(
            "(D)",
            unicode: "Pro\u{10D}prost\u{11B}nemluv\u{ED}\u{10D}esky",
            encoded: "Proprostnemluvesky-uyb24dma41a"
        ),
        Sample(
            "(E)",
            unicode:
                "\u{5DC}\u{5DE}\u{5D4}\u{5D4}\u{5DD}\u{5E4}\u{5E9}\u{5D5}\u{5D8}\u{5DC}\u{5D0}\u{5DE}\u{5D3}\u{5D1}\u{5E8}\u{5D9}\u{5DD}\u{5E2}\u{5D1}\u{5E8}\u{5D9}\u{5EA}",
            encoded: "4dbcagdahymbxekheh6e0a7fei0b"
        ),
        Sample(
            "(G)",
            unicode:
                "\u{306A}\u{305C}\u{307F}\u{3093}\u{306A}\u{65E5}\u{672C}\u{8A9E}\u{3092}\u{8A71}\u{3057}\u{3066}\u{304F}\u{308C}\u{306A}\u{3044}\u{306E}\u{304B}",
            encoded: "n8jok5ay5dzabd5bym9f0cm5685rrjetr6pdxa"
        ),
        Sample(
            "(I)",
            unicode:
                "\u{43F}\u{43E}\u{447}\u{435}\u{43C}\u{443}\u{436}\u{435}\u{43E}\u{43D}\u{438}\u{43D}\u{435}\u{433}\u{43E}\u{432}\u{43E}\u{440}\u{44F}\u{442}\u{43F}\u{43E}\u{440}\u{443}\u{441}\u{441}\u{43A}\u{438}",
            encoded: "b1abfaaepdrnnbgefbadotcwatmq2g4l"
        ),
        Sample(
            "(J)",
            unicode: "Porqu\u{E9}nopuedensimplementehablarenEspa\u{F1}ol",
            encoded: "PorqunopuedensimplementehablarenEspaol-fmd56a"
        ),
        Sample(
            "(K)",
            unicode: "T\u{1EA1}isaoh\u{1ECD}kh\u{F4}ngth\u{1EC3}ch\u{1EC9}n\u{F3}iti\u{1EBF}ngVi\u{1EC7}t",
            encoded: "TisaohkhngthchnitingVit-kjcr8268qyxafd2f1b9g"
        ),
        Sample(
            "(L)",
            unicode: "3\u{5E74}B\u{7D44}\u{91D1}\u{516B}\u{5148}\u{751F}",
            encoded: "3B-ww4c5e180e575a65lsy2b"
        ),
        Sample(
            "(M)",
            unicode: "\u{5B89}\u{5BA4}\u{5948}\u{7F8E}\u{6075}-with-SUPER-MONKEYS",
            encoded: "-with-SUPER-MONKEYS-pc58ag80a8qai00g7n9n"
        ),
        Sample(
            "(N)",
            unicode: "Hello-Another-Way-\u{305D}\u{308C}\u{305E}\u{308C}\u{306E}\u{5834}\u{6240}",
            encoded: "Hello-Another-Way--fc4qua05auwb3674vfr0b"
        ),
        Sample(
            "(O)",
            unicode: "\u{3072}\u{3068}\u{3064}\u{5C4B}\u{6839}\u{306E}\u{4E0B}2",
            encoded: "2-u9tlzr9756bt3uc0v"
        ),
        Sample(
            "(P)",
            unicode: "Maji\u{3067}Koi\u{3059}\u{308B}5\u{79D2}\u{524D}",
            encoded: "MajiKoi5-783gue6qz075azm5e"
        ),
        Sample(
            "(Q)",
            unicode: "\u{30D1}\u{30D5}\u{30A3}\u{30FC}de\u{30EB}\u{30F3}\u{30D0}",
            encoded: "de-jg4avhby1noc0d"
        ),
        Sample(
            "(R)",
            unicode: "\u{305D}\u{306E}\u{30B9}\u{30D4}\u{30FC}\u{30C9}\u{3067}",
            encoded: "d9juau41awczczp"
        ),
        Sample(
            "(S)",
            unicode: "-> $1.00 <-",
            encoded: "-> $1.00 <--"
        ),
    ]

    @Test("encodes the RFC 3492 sample strings", arguments: PunycodeTests.samples)
    func encodesSamples(_ sample: Sample) {
        #expect(Punycode.encode(sample.unicode) == sample.encoded)
    }

    @Test("decodes the RFC 3492 sample strings", arguments: PunycodeTests.samples)
    func decodesSamples(_ sample: Sample) {
        #expect(Punycode.decode(sample.encoded) == sample.unicode)
    }

    @Test("reads encoded digits in either case")
    func decodesUpperCase() {
        // Sample (A) has no ASCII characters, so upper-casing touches only the encoded digits.
        #expect(Punycode.decode("EGBPDAJ6BU4BXFGEHFVWXN") == Self.samples[0].unicode)
        // ASCII characters keep their case; only the digits after the delimiter are case-blind.
        #expect(Punycode.decode("BCHER-KVA") == "B\u{FC}CHER")
        #expect(Punycode.decode("bcher-KVA") == "b\u{FC}cher")
    }

    @Test("encodes the labels of well-known internationalised domains")
    func encodesDomainLabels() {
        #expect(Punycode.encode("b\u{FC}cher") == "bcher-kva")
        #expect(Punycode.encode("m\u{FC}nchen") == "mnchen-3ya")
        #expect(Punycode.encode("\u{E44}\u{E17}\u{E22}") == "o3cw4h")  // ไทย, Thailand's IDN TLD
        #expect(Punycode.encode("\u{516C}\u{53F8}") == "55qx5d")  // 公司
    }

    @Test(
        "refuses text that is not punycode",
        arguments: [
            "-abc",  // a leading delimiter is not consumed, and "-" is not a digit
            "zz",  // a number that never ends
            "a-99999999999999",  // overflows
            "\u{FC}-a",  // non-ASCII before the delimiter
            "ab!c",  // "!" is not a digit
        ]
    )
    func refusesInvalid(_ text: String) {
        #expect(Punycode.decode(text) == nil)
    }

    @Test("decoding undoes encoding for any non-ASCII text")
    func roundTripNonASCII() async {
        let scalars = Gen<Unicode.Scalar>.unicodeScalar(in: "\u{80}"..."\u{D7FF}").array(of: 1...30)
        await propertyCheck(input: scalars) { picked in
            var view = String.UnicodeScalarView()
            view.append(contentsOf: picked)
            let text = String(view)
            let encoded = Punycode.encode(text)
            let decoded = encoded.flatMap { Punycode.decode($0) }
            #expect(encoded != nil)
            #expect(decoded == text)
        }
    }

    @Test("decoding undoes encoding for mixed ASCII and Unicode text")
    func roundTripMixed() async {
        let alphabet: [Unicode.Scalar] = [
            "a", "z", "0", "9", "-", "B", "\u{FC}", "\u{E9}", "\u{E44}", "\u{E17}", "\u{4E2D}", "\u{6587}",
            "\u{1F600}", "\u{10FFFF}", "\u{80}",
        ]
        let picks = Gen.int(in: 0...(alphabet.count - 1)).array(of: 1...40)
        await propertyCheck(input: picks) { positions in
            var view = String.UnicodeScalarView()
            for position in positions { view.append(alphabet[position]) }
            let text = String(view)
            let decoded = Punycode.encode(text).flatMap { Punycode.decode($0) }
            #expect(decoded == text)
        }
    }
}
