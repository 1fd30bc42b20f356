import PropertyBased
import Testing

@testable import ConcordCore

@Suite("Key table of the check index")
struct KeyTableTests {
    @Test("holds what a dictionary holds, through growth, updates and resets")
    func matchesDictionary() async {
        let key = Gen.unicodeScalar(in: "\u{20}"..."\u{7E}").array(of: 0...40).map { String(String.UnicodeScalarView($0)) }
        await propertyCheck(input: key.array(of: 0...300), Gen.int(in: 0...1000).array(of: 0...300)) { keys, numbers in
            var table = KeyTable<Int64>(seed: 42)
            var reference: [String: Int64] = [:]
            for (k, n) in zip(keys, numbers) {
                let isNew = table.update(k, empty: 0) { $0 += Int64(n) }
                #expect(isNew == (reference[k] == nil))
                reference[k, default: 0] += Int64(n)
            }
            if let first = keys.first {
                table.reset(first, to: -1)
                reference[first] = -1
            }
            #expect(table.count == reference.count)
            for (k, v) in reference { #expect(table.value(k) == v) }
            #expect(table.value("not a key \u{1F600}") == nil)
            let probe = Array(reference.keys) + ["absent-1", "absent-2"]
            #expect(table.values(probe) == probe.map { reference[$0] })
        }
    }

    @Test("two hundred thousand keys grow the table and are all found")
    func many() {
        var table = KeyTable<UInt32>(seed: 7)
        for n in 0..<200_000 { table.update("+6681\(n)", empty: 0) { $0 = UInt32(n) } }
        #expect(table.count == 200_000)
        #expect((0..<200_000).allSatisfy { table.value("+6681\($0)") == UInt32($0) })
        #expect(table.value("+6681200000") == nil)
    }
}
