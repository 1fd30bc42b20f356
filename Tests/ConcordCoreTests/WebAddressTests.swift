import Foundation
import Testing

@testable import ConcordCore

/// The reason a normaliser gives for refusing a value, or nil when it accepts it.
private func webRejection(_ body: () throws(IdentifierError) -> String) -> String? {
    do throws(IdentifierError) {
        _ = try body()
        return nil
    } catch {
        return error.reason
    }
}

@Suite("URLs")
struct URLNormalizationTests {
    @Test("one URL written three ways gives one key")
    func sameURLThreeWays() throws {
        let forms = [
            "HTTPS://Login.B\u{FC}cher.Example:443/a/./b?x=1#top",
            "hxxps://login.b\u{FC}cher[.]example/a/b?x=1",
            "https://user:secret@login.xn--bcher-kva.example/a/%62?x=1",
        ]
        for form in forms {
            #expect(try WebAddressNormalizer.normalizeURL(form) == "https://login.xn--bcher-kva.example/a/b?x=1")
        }
    }

    @Test(
        "reads what people paste into the canonical URL",
        arguments: [
            ("scam.example/login", "http://scam.example/login"),
            ("Scam.Example", "http://scam.example/"),
            ("http://scam.example:80/", "http://scam.example/"),
            ("https://scam.example:443/", "https://scam.example/"),
            ("https://scam.example:8443", "https://scam.example:8443/"),
            ("http://scam.example:/x", "http://scam.example/x"),
            ("https[:]//evil.example/a", "https://evil.example/a"),
            ("hxxp://evil(.)example/login.php", "http://evil.example/login.php"),
            ("//evil.example/x", "http://evil.example/x"),
            ("http:///evil.example", "http://evil.example/"),
            ("example.com:8080/x", "http://example.com:8080/x"),
            ("http://evil.example?x=1", "http://evil.example/?x=1"),
            ("http://evil.example/#frag", "http://evil.example/"),
            ("http://evil.example/?", "http://evil.example/"),
            ("http://%65vil.example/", "http://evil.example/"),
            ("http://[2001:DB8::1]:8080/x", "http://[2001:db8::1]:8080/x"),
            ("http://[::FFFF:C000:0201]/", "http://[::ffff:192.0.2.1]/"),
            ("http://192.168.0.1/admin", "http://192.168.0.1/admin"),
            ("http://evil.example/a/../../b", "http://evil.example/b"),
            ("http://evil.example/a/%2E%2E/b", "http://evil.example/b"),
            ("http://evil.example/a/b/..", "http://evil.example/a/"),
        ]
    )
    func canonicalForms(_ input: String, _ expected: String) throws {
        #expect(try WebAddressNormalizer.normalizeURL(input) == expected)
    }

    @Test("decodes escaped unreserved characters, upper-cases other escapes, keeps the query as written")
    func percentEncoding() throws {
        #expect(
            try WebAddressNormalizer.normalizeURL("http://evil.example/%7euser/%2fetc/%e2%82%ac?q=%2f%7e&B=2#f")
                == "http://evil.example/~user/%2Fetc/%E2%82%AC?q=%2f%7e&B=2"
        )
    }

    @Test("escapes spaces and non-ASCII characters in path and query as a browser does")
    func escapesRawCharacters() throws {
        #expect(
            try WebAddressNormalizer.normalizeURL("http://evil.example/a b/caf\u{E9}?q=a b")
                == "http://evil.example/a%20b/caf%C3%A9?q=a%20b"
        )
    }

    @Test(
        "gives the same key when normalised twice",
        arguments: [
            "HTTPS://Login.B\u{FC}cher.Example:443/a/./b?x=1#top",
            "http://evil.example/%7euser/%2fetc/%e2%82%ac?q=%2f%7e",
            "http://evil.example/a b/caf\u{E9}?q=a b",
            "http://evil.example/%zz",
            "http://[2001:DB8::1]:8080/x",
            "scam.example/login",
        ]
    )
    func idempotent(_ input: String) throws {
        let once = try WebAddressNormalizer.normalizeURL(input)
        #expect(try WebAddressNormalizer.normalizeURL(once) == once)
    }

    @Test(
        "refuses what is not a web address, saying why",
        arguments: [
            ("ftp://evil.example/", "only http and https"),
            ("mailto:a@evil.example", "only http and https"),
            ("javascript:alert(1)", "only http and https"),
            ("http://localhost/", "at least two"),
            ("http://0192.168.0.1/", "leading zero"),
            ("http://2001:db8::1/", "brackets"),
            ("http://evil.example:99999/", "65535"),
            // Found by the fuzzer: twenty digits overflowed the sum before the length was checked.
            ("http://evil.example:99999999999999999999/", "65535"),
            ("http://evil example/", "a space"),
            ("example.com:abc", "must be a number"),
            ("http:///", "no host"),
            ("http://evil..example/", "empty label"),
        ]
    )
    func rejections(_ input: String, _ expected: String) {
        let why = webRejection { () throws(IdentifierError) -> String in try WebAddressNormalizer.normalizeURL(input) }
        #expect(why?.contains(expected) == true, "\(input): \(why ?? "accepted")")
    }

    @Test("finds the host of a canonical URL")
    func hostOfCanonicalURL() {
        #expect(
            WebAddressNormalizer.host(ofCanonicalURL: "https://login.xn--bcher-kva.example/a") == "login.xn--bcher-kva.example"
        )
        #expect(WebAddressNormalizer.host(ofCanonicalURL: "https://scam.example:8443/") == "scam.example")
        #expect(WebAddressNormalizer.host(ofCanonicalURL: "http://[2001:db8::1]:8080/x") == "2001:db8::1")
        #expect(WebAddressNormalizer.host(ofCanonicalURL: "scam.example/login") == nil)
    }

    @Test("is what Identifier.normalize uses for kind url")
    func throughIdentifier() throws {
        let identifier = try Identifier.normalize(kind: .url, value: "  hxxps://Scam[.]Example/Login  ")
        #expect(identifier == Identifier(kind: .url, canonical: "https://scam.example/Login"))
    }
}

@Suite("Domains")
struct DomainNormalizationTests {
    @Test("one domain written in several ways gives one key")
    func sameDomainManyWays() throws {
        let forms = [
            "B\u{DC}CHER.example",  // upper case
            "bu\u{308}cher.example",  // decomposed ü (NFD)
            "b\u{FC}cher\u{3002}example",  // ideographic full stop
            "hxxp://b\u{FC}cher[.]example/login",  // a defanged URL
            "xn--bcher-kva.example.",  // punycode with a trailing dot
        ]
        for form in forms {
            #expect(try WebAddressNormalizer.normalizeDomain(form) == "xn--bcher-kva.example", "\(form)")
        }
    }

    @Test(
        "reads bare hosts, URLs and defanged forms",
        arguments: [
            ("Example.COM.", "example.com"),
            ("https://www.Example.com/login", "www.example.com"),
            ("http://user@example.com/", "example.com"),
            ("ftp://files.example.com/x", "files.example.com"),
            ("evil[dot]example", "evil.example"),
            ("evil[.]example", "evil.example"),
            ("example.com:8080", "example.com"),
            ("www.example.co.uk", "www.example.co.uk"),
            ("foo.github.io", "foo.github.io"),
            ("\u{E44}\u{E17}\u{E22}.\u{E44}\u{E17}\u{E22}", "xn--o3cw4h.xn--o3cw4h"),
        ]
    )
    func canonicalForms(_ input: String, _ expected: String) throws {
        #expect(try WebAddressNormalizer.normalizeDomain(input) == expected)
    }

    @Test(
        "refuses what is not one registrable name, saying why",
        arguments: [
            ("co.uk", "co.uk is a public suffix, not a domain"),
            ("github.io", "public suffix"),
            ("test.ck", "public suffix"),  // *.ck
            ("1.2.3.4", "use kind ip"),
            ("[2001:db8::1]", "use kind ip"),
            ("2001:db8::1", "use kind ip"),
            ("user@example.com", "use kind email"),
            ("*.example.com", "wildcard"),
            ("localhost", "at least two"),
            ("example.123", "all digits"),
            ("a..example.com", "empty label"),
            ("-evil.example", "starts with a hyphen"),
            ("evil-.example", "ends with a hyphen"),
            ("evil_site.example", "“_”"),
            (String(repeating: "a", count: 64) + ".example", "at most 63"),
            ("evil.example:" + String(repeating: "9", count: 40), "65535"),
            ("xn--zz.example", "not valid punycode"),
            ("xn--abc-.example", "only plain ASCII"),
            ("pay\u{202E}pal.example", "U+202E"),
            ("mailto:a@b.example", "web address"),
        ]
    )
    func rejections(_ input: String, _ expected: String) {
        let why = webRejection { () throws(IdentifierError) -> String in try WebAddressNormalizer.normalizeDomain(input) }
        #expect(why?.contains(expected) == true, "\(input): \(why ?? "accepted")")
    }

    @Test("errors name the kind they were read as")
    func errorKind() {
        #expect(throws: IdentifierError(.domain, "“1.2.3.4” is an IP address, not a domain; use kind ip")) {
            try WebAddressNormalizer.normalizeDomain("1.2.3.4")
        }
    }
}

@Suite("Host names")
struct HostNameTests {
    @Test("accepts a label of 63 characters and a host of 253")
    func lengthLimits() throws {
        let label = String(repeating: "a", count: 63)
        #expect(try HostName.normalize(label + ".example") == label + ".example")
        // 63 + 1 + 63 + 1 + 63 + 1 + 61 = 253
        let host = [label, label, label, String(repeating: "b", count: 61)].joined(separator: ".")
        #expect(try HostName.normalize(host) == host)
        let tooLong = host + "b"
        let why = webRejection { () throws(IdentifierError) -> String in try HostName.normalize(tooLong) }
        #expect(why?.contains("at most 253") == true)
    }

    @Test("re-encodes an xn-- label from its canonical Unicode form")
    func canonicalPunycode() throws {
        #expect(try HostName.normalize("www.XN--BCHER-KVA.example") == "www.xn--bcher-kva.example")
    }

    @Test("shows punycode labels in Unicode to people")
    func unicodeDisplay() {
        #expect(HostName.unicodeDisplay("www.xn--bcher-kva.example") == "www.b\u{FC}cher.example")
        #expect(HostName.unicodeDisplay("xn--o3cw4h.xn--o3cw4h") == "\u{E44}\u{E17}\u{E22}.\u{E44}\u{E17}\u{E22}")
        #expect(HostName.unicodeDisplay("example.com") == "example.com")
    }

    @Test("keeps a label in punycode when its Unicode would hide what it is")
    func unicodeDisplayRefusesBidiOverride() {
        // "pay" + RIGHT-TO-LEFT OVERRIDE + "pal" would show reversed text.
        #expect(Punycode.decode("paypal-dm0c") == "pay\u{202E}pal")
        #expect(HostName.unicodeDisplay("xn--paypal-dm0c.example") == "xn--paypal-dm0c.example")
    }

    @Test("names the kind of the identifier in its errors")
    func errorKinds() {
        #expect(throws: IdentifierError(.email, "“localhost” has a single label; a domain needs at least two, like example.com"))
        {
            try HostName.normalize("localhost", kind: .email)
        }
    }
}
