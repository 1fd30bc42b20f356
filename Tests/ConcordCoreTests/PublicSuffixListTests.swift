import Testing

@testable import ConcordCore

@Suite("Public Suffix List")
struct PublicSuffixListTests {
    let list = PublicSuffixList.shared

    @Test("the list shipped with Concord is loaded")
    func bundledListLoads() {
        #expect(list.ruleCount > 9000)
    }

    @Test(
        "finds the registrable domain under ICANN and private suffixes",
        arguments: [
            ("www.example.co.uk", "co.uk", "example.co.uk"),
            ("example.co.uk", "co.uk", "example.co.uk"),
            ("login.bank.example.com", "com", "example.com"),
            ("foo.github.io", "github.io", "foo.github.io"),
            ("a.b.foo.github.io", "github.io", "foo.github.io"),
            ("x.s3.amazonaws.com", "s3.amazonaws.com", "x.s3.amazonaws.com"),
            ("a.b.example.unlistedtld", "unlistedtld", "example.unlistedtld"),  // default rule *
        ]
    )
    func registrableDomains(_ item: (String, String, String)) {
        let (host, suffix, registrable) = item
        #expect(list.publicSuffix(of: host) == suffix)
        #expect(list.registrableDomain(of: host) == registrable)
        #expect(!list.isPublicSuffix(host))
    }

    @Test("a public suffix has no registrable domain", arguments: ["co.uk", "uk", "com", "github.io", "s3.amazonaws.com"])
    func suffixesThemselves(_ host: String) {
        #expect(list.isPublicSuffix(host))
        #expect(list.registrableDomain(of: host) == nil)
        #expect(list.publicSuffix(of: host) == host)
    }

    @Test("wildcard *.ck with the exception !www.ck")
    func wildcardAndExceptionCK() {
        #expect(list.isPublicSuffix("test.ck"))
        #expect(list.registrableDomain(of: "test.ck") == nil)
        #expect(list.registrableDomain(of: "b.test.ck") == "b.test.ck")
        #expect(list.registrableDomain(of: "a.b.test.ck") == "b.test.ck")
        #expect(list.publicSuffix(of: "www.ck") == "ck")
        #expect(list.registrableDomain(of: "www.ck") == "www.ck")
        #expect(list.registrableDomain(of: "www.www.ck") == "www.ck")
    }

    @Test("wildcard *.kawasaki.jp with the exception !city.kawasaki.jp")
    func wildcardAndExceptionKawasaki() {
        #expect(list.isPublicSuffix("bar.kawasaki.jp"))
        #expect(list.registrableDomain(of: "foo.bar.kawasaki.jp") == "foo.bar.kawasaki.jp")
        #expect(list.registrableDomain(of: "city.kawasaki.jp") == "city.kawasaki.jp")
        #expect(list.registrableDomain(of: "www.city.kawasaki.jp") == "city.kawasaki.jp")
    }

    @Test("internationalised rules match punycode and Unicode hosts alike")
    func internationalisedRules() {
        // 公司.cn is in the list; its punycode is xn--55qx5d.cn.
        #expect(list.isPublicSuffix("xn--55qx5d.cn"))
        #expect(list.registrableDomain(of: "www.xn--55qx5d.cn") == "www.xn--55qx5d.cn")
        #expect(list.registrableDomain(of: "www.\u{516C}\u{53F8}.cn") == "www.xn--55qx5d.cn")
    }

    @Test("reads hosts that are not yet canonical")
    func nonCanonicalHosts() {
        #expect(list.registrableDomain(of: "WWW.Example.CO.UK.") == "example.co.uk")
        #expect(list.publicSuffix(of: "COM") == "com")
    }

    @Test("an IP address has no registrable domain")
    func ipAddresses() {
        #expect(list.registrableDomain(of: "192.0.2.1") == nil)
        #expect(list.registrableDomain(of: "2001:db8::1") == nil)
        #expect(!list.isPublicSuffix("192.0.2.1"))
    }

    @Test("parses a list of its own: comments, normal, wildcard and exception rules")
    func parsesCustomList() {
        let custom = PublicSuffixList(
            parsing: """
                // ===BEGIN ICANN DOMAINS===
                // a comment line, then a blank one

                example
                *.wild.example
                !keep.wild.example
                multi.level.example   trailing words are not part of the rule
                """
        )
        #expect(custom.ruleCount == 4)
        #expect(custom.publicSuffix(of: "a.b.wild.example") == "b.wild.example")
        #expect(custom.registrableDomain(of: "keep.wild.example") == "keep.wild.example")
        #expect(custom.publicSuffix(of: "keep.wild.example") == "wild.example")
        #expect(custom.registrableDomain(of: "x.y.multi.level.example") == "y.multi.level.example")
        #expect(custom.registrableDomain(of: "level.example") == "level.example")
        #expect(custom.isPublicSuffix("example"))
        #expect(custom.registrableDomain(of: "a.b.c.other") == "c.other")  // default rule *
    }

    @Test("an empty list falls back to the default rule *")
    func emptyList() {
        let empty = PublicSuffixList(parsing: "")
        #expect(empty.publicSuffix(of: "www.example.co.uk") == "uk")
        #expect(empty.registrableDomain(of: "www.example.co.uk") == "co.uk")
    }
}
