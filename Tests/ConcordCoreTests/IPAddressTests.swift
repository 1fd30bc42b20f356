import Foundation
import PropertyBased
import Testing

@testable import ConcordCore

/// The reason the IP normaliser gives for refusing a value, or nil when it accepts it.
private func ipRejection(_ raw: String) -> String? {
    do throws(IdentifierError) {
        _ = try IPAddressNormalizer.normalize(raw)
        return nil
    } catch {
        return error.reason
    }
}

@Suite("IP addresses")
struct IPAddressTests {
    @Test(
        "writes every spelling of an RFC 5952 section 2 address the one recommended way",
        arguments: [
            "2001:db8:0:0:1:0:0:1",
            "2001:0db8:0:0:1:0:0:1",
            "2001:db8::1:0:0:1",
            "2001:db8::0:1:0:0:1",
            "2001:0db8::1:0:0:1",
            "2001:db8:0:0:1::1",
            "2001:db8:0000:0:1::1",
            "2001:DB8:0:0:1::1",
        ]
    )
    func rfc5952Section2(_ input: String) throws {
        #expect(try IPAddressNormalizer.normalize(input) == "2001:db8::1:0:0:1")
    }

    @Test(
        "follows the RFC 5952 section 4 and 5 rules",
        arguments: [
            ("2001:0db8::0001", "2001:db8::1"),  // 4.1 leading zeros dropped
            ("2001:db8:0:0:0:0:2:1", "2001:db8::2:1"),  // 4.2.1 shortest form
            ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),  // 4.2.2 one zero group stays
            ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),  // 4.2.3 the longest run
            ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),  // 4.2.3 the first of equal runs
            ("2001:DB8::1", "2001:db8::1"),  // 4.3 lower case
            ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),  // 5 IPv4-mapped stays dotted
            ("::FFFF:C000:0201", "::ffff:192.0.2.1"),  // 5 and is written dotted
            ("::", "::"),
            ("::1", "::1"),
            ("1::", "1::"),
            ("0:0:1:0:0:0:0:0", "0:0:1::"),
            ("::1.2.3.4", "::102:304"),  // not mapped: plain hex
        ]
    )
    func rfc5952Rules(_ input: String, _ expected: String) throws {
        #expect(try IPAddressNormalizer.normalize(input) == expected)
    }

    @Test(
        "reads brackets, ports and defanged dots",
        arguments: [
            ("[2001:db8::1]", "2001:db8::1"),
            ("[2001:db8::1]:443", "2001:db8::1"),
            ("192.0.2.1", "192.0.2.1"),
            (" 192.0.2.1 ", "192.0.2.1"),
            ("192[.]0[.]2[.]1", "192.0.2.1"),
            ("192.0.2.1:8080", "192.0.2.1"),
            ("0.0.0.0", "0.0.0.0"),
            ("255.255.255.255", "255.255.255.255"),
        ]
    )
    func canonicalForms(_ input: String, _ expected: String) throws {
        #expect(try IPAddressNormalizer.normalize(input) == expected)
    }

    @Test(
        "refuses what is not one address, saying why",
        arguments: [
            ("192.168.01.1", "leading zero"),
            ("0192.168.0.1", "leading zero"),
            ("256.1.1.1", "above 255"),
            ("1.2.3", "this has 3"),
            ("1.2.3.4.5", "four numbers"),
            ("1..2.3", "a number is missing"),
            ("1.2.3.x", "only digits and dots"),
            ("fe80::1%eth0", "zone id"),
            ("[fe80::1%25eth0]", "zone id"),
            ("10.0.0.0/8", "network range"),
            ("1::2::3", "only once"),
            ("1:2:3:4:5:6:7:8:9", "eight groups"),
            ("1:2:3:4:5:6:7", "eight groups"),
            ("1:2:3:4:5:6:7:8::", "at most seven"),
            ("12345::", "1 to 4 hex digits"),
            ("g::1", "not a hex digit"),
            (":1::2", "single “:”"),
            ("1:2:3:4:5:6:7:", "single “:”"),
            ("1.2.3.4::", "may only end"),
            ("[2001:db8::1", "never closes"),
            ("192.0.2.1:99999", "above 65535"),
            ("192.0.2.1:http", "not a port number"),
        ]
    )
    func rejections(_ input: String, _ expected: String) {
        let why = ipRejection(input)
        #expect(why?.contains(expected) == true, "\(input): \(why ?? "accepted")")
    }

    @Test("parses IPv6 into eight groups")
    func parsesGroups() throws {
        #expect(try IPAddressNormalizer.parseIPv6("2001:db8::1") == [0x2001, 0x0DB8, 0, 0, 0, 0, 0, 1])
        #expect(try IPAddressNormalizer.parseIPv6("::ffff:192.0.2.1") == [0, 0, 0, 0, 0, 0xFFFF, 0xC000, 0x0201])
        #expect(try IPAddressNormalizer.parseIPv6("::") == [0, 0, 0, 0, 0, 0, 0, 0])
        #expect(try IPAddressNormalizer.parseIPv4("192.0.2.1") == [192, 0, 2, 1])
    }

    @Test("formatting and parsing IPv6 give back the same groups")
    func formatParseRoundTrip() async {
        // Mostly zeros and a few other values, so that runs of zeros of every length turn up.
        let values: [UInt16] = [0, 0, 0, 0, 1, 0xDB8, 0xFFFF, 0x2001]
        let picks = Gen.int(in: 0...(values.count - 1)).array(of: 8)
        await propertyCheck(count: 500, input: picks) { positions in
            let groups = positions.map { values[$0] }
            let text = IPAddressNormalizer.formatIPv6(groups)
            #expect((try? IPAddressNormalizer.parseIPv6(text)) == groups, "\(text)")
            #expect((try? IPAddressNormalizer.normalize(text)) == text, "\(text)")
            #expect(!text.contains(":::"))
            #expect(text == text.lowercased())
        }
    }

    @Test("is what Identifier.normalize uses for kind ip")
    func throughIdentifier() throws {
        let identifier = try Identifier.normalize(kind: .ip, value: "2001:0DB8:0000:0000:0000:0000:0000:0001")
        #expect(identifier.canonical == "2001:db8::1")
        #expect(throws: IdentifierError(.ip, "the zone id “%eth0” only means something on one machine; remove it")) {
            try Identifier.normalize(kind: .ip, value: "fe80::1%eth0")
        }
    }
}
