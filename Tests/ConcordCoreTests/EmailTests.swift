import Foundation
import Testing

@testable import ConcordCore

/// The reason the e-mail normaliser gives for refusing a value, or nil when it accepts it.
private func emailRejection(_ raw: String) -> String? {
    do throws(IdentifierError) {
        _ = try EmailNormalizer.normalize(raw)
        return nil
    } catch {
        return error.reason
    }
}

@Suite("E-mail addresses")
struct EmailTests {
    @Test("one address written three ways gives one key")
    func sameAddressThreeWays() throws {
        let forms = [
            "Refunds Team <REFUNDS@B\u{FC}cher.Example>",
            "mailto:refunds@xn--bcher-kva.example?subject=Your%20refund",
            "refunds[at]b\u{FC}cher[.]example",
        ]
        for form in forms {
            #expect(try EmailNormalizer.normalize(form) == "refunds@xn--bcher-kva.example", "\(form)")
        }
    }

    @Test(
        "reads what analysts paste",
        arguments: [
            ("First.Last+tag@Example.COM.", "first.last+tag@example.com"),
            ("scam (at) example (dot) com", "scam@example.com"),
            ("scam(at)example(dot)com", "scam@example.com"),
            ("scam[@]example[.]com", "scam@example.com"),
            ("\"Bank, Support\" <support@bank.example>", "support@bank.example"),
            ("<MAILTO:Support@Bank.Example>", "support@bank.example"),
            ("o'brien!#$%&*=?^_`{|}~-x@example.com", "o'brien!#$%&*=?^_`{|}~-x@example.com"),
            ("user@\u{E44}\u{E17}\u{E22}.\u{E44}\u{E17}\u{E22}", "user@xn--o3cw4h.xn--o3cw4h"),
        ]
    )
    func canonicalForms(_ input: String, _ expected: String) throws {
        #expect(try EmailNormalizer.normalize(input) == expected)
    }

    @Test("accepts a 64-character local part and refuses a 65-character one")
    func localPartLength() throws {
        let local = String(repeating: "a", count: 64)
        #expect(try EmailNormalizer.normalize(local + "@example.com") == local + "@example.com")
        #expect(emailRejection("a" + local + "@example.com")?.contains("at most 64") == true)
    }

    @Test(
        "refuses what is not one mailbox, saying why",
        arguments: [
            ("no-at-sign.example.com", "needs an @"),
            ("a@b@example.com", "2 @ signs"),
            ("@example.com", "nothing before the @"),
            ("user@", "nothing after the @"),
            ("john doe@example.com", "a space"),
            (".john@example.com", "start or end with a dot"),
            ("john.@example.com", "start or end with a dot"),
            ("jo..hn@example.com", "two dots in a row"),
            ("j\u{F6}hn@example.com", "non-ASCII"),
            ("\"john\"@example.com", "quoted"),
            ("user@[192.0.2.1]", "kind ip"),
            ("user@localhost", "at least two"),
            ("user@exa mple.com", "a space"),
            ("Support <support@bank.example", "“<”"),
        ]
    )
    func rejections(_ input: String, _ expected: String) {
        let why = emailRejection(input)
        #expect(why?.contains(expected) == true, "\(input): \(why ?? "accepted")")
    }

    @Test("errors are reported as kind email")
    func errorKind() {
        #expect(throws: IdentifierError(.email, "an e-mail address needs an @ between the mailbox and the domain")) {
            try EmailNormalizer.normalize("support.bank.example")
        }
    }

    @Test("is what Identifier.normalize uses for kind email")
    func throughIdentifier() throws {
        let identifier = try Identifier.normalize(kind: .email, value: " Scam.Desk@Example.COM ")
        #expect(identifier.canonical == "scam.desk@example.com")
    }
}
