/// An open-addressing hash table from canonical identifier text to a small fixed-size value, built for the
/// check index.
///
/// Each key is stored once in a byte arena as `[length: UInt16][key bytes][value]`, and a slot holds a hash
/// tag and the record's arena offset. A look-up touches the slot and then one contiguous arena record (key and
/// value together): two memory accesses, no allocation, no reference counting. An entry costs its key's bytes,
/// the value, two length bytes and about 11 bytes of slots.
///
/// Keys are never removed (a withdrawn identifier keeps its record, emptied), which keeps probing simple.
struct KeyTable<Value: BitwiseCopyable> {
    /// Records `[length][key][value]`, back to back.
    private var arena: [UInt8] = []
    /// 0 for empty, else the hash's top 24 bits above the record's arena offset + 1 (40 bits).
    private var slots: [UInt64] = Array(repeating: 0, count: 16)
    private(set) var count = 0
    private let seed: Int

    private static var valueSize: Int { MemoryLayout<Value>.size }
    private static var offsetBits: UInt64 { 40 }
    private static var offsetMask: UInt64 { (1 << offsetBits) - 1 }

    init(seed: Int) {
        self.seed = seed
    }

    /// A seeded multiply-fold hash over 8-byte words (in the manner of wyhash). The seed is random per index,
    /// so which keys collide cannot be known from outside the process.
    private func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        @inline(__always) func fold(_ a: UInt64, _ b: UInt64) -> UInt64 {
            let product = a.multipliedFullWidth(by: b)
            return product.high ^ product.low
        }
        let raw = UnsafeRawBufferPointer(bytes)
        var h = UInt64(bitPattern: Int64(seed)) ^ 0xA076_1D64_78BD_642F
        var i = 0
        while i + 8 <= raw.count {
            h = fold(h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self), 0xE703_7ED1_A0B4_28DB)
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < raw.count {
            tail |= UInt64(raw[i]) << shift
            shift += 8
            i += 1
        }
        h = fold(h ^ tail, 0x8EBC_6AF0_9C88_C6E3)
        return fold(h ^ UInt64(raw.count), 0x5899_65CC_7537_4CC3)
    }

    /// The value of `key`, or nil.
    func value(_ key: String) -> Value? {
        var key = key
        return key.withUTF8 { bytes in
            guard let record = find(bytes, hash: hash(bytes)) else { return nil }
            return arena.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: record + 2 + bytes.count, as: Value.self) }
        }
    }

    /// The values of many keys, in order. Works in groups whose memory reads do not depend on each other, so
    /// the processor overlaps their cache misses instead of waiting for each in turn.
    func values(_ keys: [String]) -> [Value?] {
        var out = [Value?](repeating: nil, count: keys.count)
        let group = 16
        var hashes = [UInt64](repeating: 0, count: group)
        var touched: UInt64 = 0
        var start = 0
        while start < keys.count {
            let end = min(start + group, keys.count)
            // 1: hash every key of the group and read its first slot.
            for j in start..<end {
                var key = keys[j]
                let h = key.withUTF8 { hash($0) }
                hashes[j - start] = h
                touched &+= slots[Int(truncatingIfNeeded: h) & (slots.count - 1)]
            }
            // 2: read the start of each candidate record.
            for j in start..<end {
                let slot = slots[Int(truncatingIfNeeded: hashes[j - start]) & (slots.count - 1)]
                if slot != 0 && slot >> Self.offsetBits == hashes[j - start] >> Self.offsetBits {
                    touched &+= UInt64(arena[Int(slot & Self.offsetMask) - 1])
                }
            }
            // 3: the full look-ups, now mostly from cache.
            for j in start..<end {
                var key = keys[j]
                let h = hashes[j - start]
                out[j] = key.withUTF8 { bytes in
                    guard let record = find(bytes, hash: h) else { return nil }
                    return arena.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: record + 2 + bytes.count, as: Value.self) }
                }
            }
            start = end
        }
        // Keeps the touching reads from being optimised away.
        if touched == 0x5EED_5EED_5EED_5EED { out.append(nil) }
        return out
    }

    /// The arena offset of the record of `bytes`, or nil.
    private func find(_ bytes: UnsafeBufferPointer<UInt8>, hash h: UInt64) -> Int? {
        let mask = slots.count - 1
        let tag = h >> Self.offsetBits
        var i = Int(truncatingIfNeeded: h) & mask
        return slots.withUnsafeBufferPointer { slots in
            arena.withUnsafeBytes { arena in
                while true {
                    let slot = slots[i]
                    if slot == 0 { return nil }
                    if slot >> Self.offsetBits == tag {
                        let record = Int(slot & Self.offsetMask) - 1
                        let length = Int(arena.loadUnaligned(fromByteOffset: record, as: UInt16.self))
                        if length == bytes.count && Self.equal(arena, at: record + 2, bytes) { return record }
                    }
                    i = (i + 1) & mask
                }
            }
        }
    }

    @inline(__always)
    private static func equal(_ arena: UnsafeRawBufferPointer, at start: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        let count = bytes.count
        let key = UnsafeRawBufferPointer(bytes)
        while i + 8 <= count {
            if arena.loadUnaligned(fromByteOffset: start + i, as: UInt64.self)
                != key.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            {
                return false
            }
            i += 8
        }
        while i < count {
            if arena[start + i] != bytes[i] { return false }
            i += 1
        }
        return true
    }

    /// The longest key the table holds: the length prefix is two bytes.
    static var maximumKeyBytes: Int { Int(UInt16.max) }

    /// Calls `update` on the value of `key`, starting from `empty` when the key is new.
    /// - Returns: true when the key was new; false, leaving the table as it was, for a key longer than
    ///   `maximumKeyBytes` (canonical identifiers are capped far below that before they get here, but a store
    ///   written by an older version may still hold one, and reading it must not stop the node).
    @discardableResult
    mutating func update(_ key: String, empty: Value, _ update: (inout Value) -> Void) -> Bool {
        var key = key
        return key.withUTF8 { bytes in
            guard bytes.count <= Self.maximumKeyBytes else { return false }
            let h = hash(bytes)
            if let record = find(bytes, hash: h) {
                let at = record + 2 + bytes.count
                var value = arena.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: Value.self) }
                update(&value)
                arena.withUnsafeMutableBytes { $0.storeBytes(of: value, toByteOffset: at, as: Value.self) }
                return false
            }
            if (count + 1) * 10 > slots.count * 7 { grow() }
            var value = empty
            update(&value)
            let record = arena.count
            withUnsafeBytes(of: UInt16(bytes.count)) { arena.append(contentsOf: $0) }
            arena.append(contentsOf: bytes)
            withUnsafeBytes(of: value) { arena.append(contentsOf: $0.prefix(Self.valueSize)) }
            count += 1
            place(record, hash: h)
            return true
        }
    }

    /// Replaces the value of `key` when it is present.
    mutating func reset(_ key: String, to value: Value) {
        _ = update(key, empty: value) { $0 = value }
    }

    private mutating func place(_ record: Int, hash h: UInt64) {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while slots[i] != 0 { i = (i + 1) & mask }
        slots[i] = (h >> Self.offsetBits) << Self.offsetBits | UInt64(record + 1)
    }

    private mutating func grow() {
        slots = Array(repeating: 0, count: slots.count * 2)
        var record = 0
        var placements: [(Int, UInt64)] = []
        placements.reserveCapacity(count)
        arena.withUnsafeBytes { arena in
            while record < arena.count {
                let length = Int(arena.loadUnaligned(fromByteOffset: record, as: UInt16.self))
                let keyBytes = UnsafeBufferPointer(
                    rebasing: arena.bindMemory(to: UInt8.self)[(record + 2)..<(record + 2 + length)]
                )
                placements.append((record, hash(keyBytes)))
                record += 2 + length + Self.valueSize
            }
        }
        for (record, h) in placements { place(record, hash: h) }
    }

    /// Bytes held by the table's arrays.
    var footprint: Int { arena.capacity + slots.capacity * 8 }
}
