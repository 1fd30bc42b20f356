import Foundation
import Testing

@testable import ConcordCore

/// Seeded random inputs, mutated from realistic seeds, through every reader of untrusted bytes: none may crash,
/// and none may take a second. `CONCORD_FUZZ_INPUTS` sets how many inputs each target gets (default 3000); the
/// libFuzzer runs of `scripts/fuzz.sh` go much further.
@Suite("Untrusted input, seeded random")
struct UntrustedInputTests {
    static var inputsPerTarget: Int {
        ProcessInfo.processInfo.environment["CONCORD_FUZZ_INPUTS"].flatMap(Int.init) ?? 3000
    }

    /// Realistic inputs of each target, for the mutations to start from.
    static func seeds(_ target: UntrustedInput.Target) -> [[UInt8]] {
        let key = NodeKey()
        let report = Record.make(
            kind: .report,
            body: .object([
                "typology": .string("investment"), "jurisdiction": .string("TH"), "victims": .integer(1),
                "loss": .object(["amount": .string("125000.00"), "currency": .string("THB")]),
                "identifiers": .array([
                    .object(["kind": .string("phone"), "value": .string("+66812345678"), "role": .string("contact")]),
                    .object([
                        "kind": .string("url"), "value": .string("https://xn--bcher-kva.example/login"),
                        "role": .string("website"),
                    ]),
                ]),
            ]),
            label: SharingLabel(tlp: .green),
            key: key
        )
        let line = RecordFeedLine.record(sequence: 12, hops: 1, record: report)
        var feed: [UInt8] = []
        line.appendCanonical(to: &feed)
        switch target {
        case .json, .record:
            return [
                Array(report.canonical), Array(#"{"a":[1,2.5e3,"x\u00e9",null,true,{"b":{}}]}"#.utf8),
                Array(#"[[[[[[[[[[]]]]]]]]]]"#.utf8),
            ]
        case .identifier:
            let values = [
                "081 234 5678", "+44 20 7946 0958", "GB82 WEST 1234 5698 7654 32", "HTTPS://Bücher.Example/ä?x=1#y",
                "xn--bcher-kva.example", "Scam.Desk@Example.COM", "2001:db8::1", "0x52908400098527886E0F7030069857D2E4169EE7",
                "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "@crypto_guru", "123-4-56789-0",
            ]
            return values.enumerated().map { [UInt8($0.offset * 3)] + Array($0.element.utf8) }
        case .structuredField:
            let (input, signature) = HTTPMessageSignature.sign(
                method: "GET",
                path: "/federation/v1/records",
                query: "after=0",
                contentDigest: nil,
                keyID: key.nodeID,
                created: .now(),
                nonce: HTTPMessageSignature.makeNonce(),
                key: key,
                tag: "x"
            )
            return [Array((input + "\n" + signature).utf8), Array("sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:".utf8)]
        case .ndjson:
            return [
                feed + Array("\n".utf8) + Array(#"{"cursor":12,"more":false,"head":40}"#.utf8),
                Array(#"{"kind":"phone","value":"0812345678","region":"TH"}"#.utf8),
            ]
        }
    }

    /// One mutation of `input`: flipped, inserted, deleted or repeated bytes, a splice of another seed, or a
    /// run of one byte, as fuzzers do.
    static func mutate(_ input: [UInt8], with other: [UInt8], random: inout SeededRandom) -> [UInt8] {
        var bytes = input
        let interesting: [UInt8] = Array("\"\\{}[],:.-+@/%\0\n\u{7f}0e".utf8) + [0xC3, 0xA9, 0xE2, 0x80, 0xFF]
        for _ in 0..<(1 + Int(random.next() % 4)) {
            let at = bytes.isEmpty ? 0 : Int(random.next() % UInt64(bytes.count))
            switch random.next() % 7 {
            case 0 where !bytes.isEmpty: bytes[at] ^= UInt8(1 << (random.next() % 8))
            case 1: bytes.insert(interesting[Int(random.next() % UInt64(interesting.count))], at: at)
            case 2 where !bytes.isEmpty: bytes.remove(at: at)
            case 3:
                let run = [UInt8](repeating: bytes.isEmpty ? 0x61 : bytes[at], count: Int(random.next() % 5000))
                bytes.insert(contentsOf: run, at: at)
            case 4 where !other.isEmpty:
                let cut = Int(random.next() % UInt64(other.count))
                bytes = Array(bytes.prefix(at)) + Array(other.suffix(from: cut))
            case 5 where !bytes.isEmpty:
                let end = min(bytes.count, at + 1 + Int(random.next() % 64))
                bytes.insert(contentsOf: Array(bytes[at..<end]), at: end)
            default: bytes = Array(bytes.prefix(at))
            }
        }
        return bytes
    }

    @Test("no reader of untrusted bytes crashes or takes a second on mutated input", arguments: UntrustedInput.Target.allCases)
    func mutated(_ target: UntrustedInput.Target) {
        let seeds = Self.seeds(target)
        var random = SeededRandom(seed: 2026 + UInt64(target.rawValue.utf8.count))
        var corpus = seeds
        var slowest = Duration.zero
        for n in 0..<Self.inputsPerTarget {
            let base = corpus[Int(random.next() % UInt64(corpus.count))]
            let other = seeds[n % seeds.count]
            let input = Self.mutate(base, with: other, random: &random)
            let started = ContinuousClock.now
            UntrustedInput.exercise(target, input)
            slowest = max(slowest, ContinuousClock.now - started)
            // Keep some mutants to mutate further, as a fuzzer keeps inputs that reach new code.
            if n % 16 == 0 && input.count < 100_000 { corpus.append(input) }
            if corpus.count > 256 { corpus.removeFirst(corpus.count - 256) }
        }
        #expect(slowest < .seconds(1), "\(target.rawValue): slowest input took \(slowest)")
    }
}
