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
        let seeds = UntrustedInput.seeds(target)
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
