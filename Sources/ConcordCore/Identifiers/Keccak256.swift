/// Keccak-256 as Ethereum uses it: the Keccak submission's own padding (a 0x01 domain byte), which
/// gives different digests from the standardised SHA3-256 (domain byte 0x06).
///
/// Only used for EIP-55 address checksums, so it hashes a byte array in one call.
enum Keccak256 {
    /// Bytes absorbed per permutation: 1600 bits of state minus a 512-bit capacity.
    static let rate = 136

    /// The ι step constants, one per round of Keccak-f[1600].
    private static let roundConstants: [UInt64] = [
        0x0000_0000_0000_0001, 0x0000_0000_0000_8082, 0x8000_0000_0000_808A, 0x8000_0000_8000_8000,
        0x0000_0000_0000_808B, 0x0000_0000_8000_0001, 0x8000_0000_8000_8081, 0x8000_0000_0000_8009,
        0x0000_0000_0000_008A, 0x0000_0000_0000_0088, 0x0000_0000_8000_8009, 0x0000_0000_8000_000A,
        0x0000_0000_8000_808B, 0x8000_0000_0000_008B, 0x8000_0000_0000_8089, 0x8000_0000_0000_8003,
        0x8000_0000_0000_8002, 0x8000_0000_0000_0080, 0x0000_0000_0000_800A, 0x8000_0000_8000_000A,
        0x8000_0000_8000_8081, 0x8000_0000_0000_8080, 0x0000_0000_8000_0001, 0x8000_0000_8000_8008,
    ]

    /// The ρ step rotation of each lane, indexed by `x + 5 * y`.
    private static let rotations: [Int] = [
        0, 1, 62, 28, 27,
        36, 44, 6, 55, 20,
        3, 10, 43, 25, 39,
        41, 45, 15, 21, 8,
        18, 2, 61, 56, 14,
    ]

    /// The 32-byte Keccak-256 digest of `message`.
    static func hash(_ message: [UInt8]) -> [UInt8] {
        var state = [UInt64](repeating: 0, count: 25)
        var offset = 0
        while message.count - offset >= rate {
            absorb(message, from: offset, into: &state)
            offset += rate
        }
        // The last, padded block: message tail, then 0x01 ... 0x80 (one byte 0x81 when only one is free).
        var last = [UInt8](repeating: 0, count: rate)
        let tail = message.count - offset
        for index in 0..<tail {
            last[index] = message[offset + index]
        }
        last[tail] ^= 0x01
        last[rate - 1] ^= 0x80
        absorb(last, from: 0, into: &state)

        var digest: [UInt8] = []
        digest.reserveCapacity(32)
        for lane in 0..<4 {
            let value = state[lane]
            for byte in 0..<8 {
                digest.append(UInt8(truncatingIfNeeded: value >> (8 * byte)))
            }
        }
        return digest
    }

    /// XORs one block (little-endian lanes) into the state and permutes it.
    private static func absorb(_ bytes: [UInt8], from start: Int, into state: inout [UInt64]) {
        for lane in 0..<(rate / 8) {
            var value: UInt64 = 0
            let base = start + lane * 8
            for byte in 0..<8 {
                value |= UInt64(bytes[base + byte]) << (8 * byte)
            }
            state[lane] ^= value
        }
        permute(&state)
    }

    private static func rotateLeft(_ value: UInt64, by count: Int) -> UInt64 {
        count == 0 ? value : (value << count) | (value >> (64 - count))
    }

    /// Keccak-f[1600]: 24 rounds of θ, ρ, π, χ and ι over 25 lanes indexed `x + 5 * y`.
    private static func permute(_ a: inout [UInt64]) {
        var b = [UInt64](repeating: 0, count: 25)
        var c = [UInt64](repeating: 0, count: 5)
        for round in 0..<24 {
            // θ: mix each column's parity into its neighbours.
            for x in 0..<5 {
                var parity = a[x]
                parity ^= a[x + 5]
                parity ^= a[x + 10]
                parity ^= a[x + 15]
                parity ^= a[x + 20]
                c[x] = parity
            }
            for x in 0..<5 {
                let d = c[(x + 4) % 5] ^ rotateLeft(c[(x + 1) % 5], by: 1)
                for y in stride(from: 0, to: 25, by: 5) {
                    a[x + y] ^= d
                }
            }
            // ρ and π: rotate each lane and move lane (x, y) to (y, 2x + 3y).
            for x in 0..<5 {
                for y in 0..<5 {
                    let from = x + 5 * y
                    let to = y + 5 * ((2 * x + 3 * y) % 5)
                    b[to] = rotateLeft(a[from], by: rotations[from])
                }
            }
            // χ: the only non-linear step, along each row.
            for y in stride(from: 0, to: 25, by: 5) {
                for x in 0..<5 {
                    a[x + y] = b[x + y] ^ (~b[(x + 1) % 5 + y] & b[(x + 2) % 5 + y])
                }
            }
            // ι
            a[0] ^= roundConstants[round]
        }
    }
}
