/// An immutable hash table from byte sequences to token ranks, built once from a ranks file.
///
/// Lookups take a raw byte slice and allocate nothing: BPE probes it for every candidate pair
/// of every word, so a `Dictionary<[UInt8], UInt32>` (SipHash, an array per key) would dominate
/// the cost of encoding.
struct ByteSequenceTable: Sendable {
    /// All keys, back to back.
    private let arena: [UInt8]
    /// Per rank-table entry: offset into `arena`, length, value.
    private let entries: [Entry]
    /// Open addressing, linear probing; `-1` is empty, otherwise an index into `entries`.
    private let slots: [Int32]
    private let mask: Int

    private struct Entry: Sendable {
        var offset: UInt32
        var length: UInt32
        var value: UInt32
        var hash: UInt32
    }

    /// - Precondition: keys are unique.
    init(_ pairs: [(key: [UInt8], value: UInt32)]) {
        var arena: [UInt8] = []
        arena.reserveCapacity(pairs.reduce(0) { $0 + $1.key.count })
        var entries: [Entry] = []
        entries.reserveCapacity(pairs.count)
        var capacity = 16
        while capacity < pairs.count * 2 { capacity <<= 1 }
        var slots = [Int32](repeating: -1, count: capacity)
        let mask = capacity - 1
        for (key, value) in pairs {
            let hash = key.withUnsafeBufferPointer { Self.hash($0) }
            entries.append(Entry(offset: UInt32(arena.count), length: UInt32(key.count), value: value, hash: UInt32(truncatingIfNeeded: hash)))
            arena.append(contentsOf: key)
            var slot = Int(truncatingIfNeeded: hash) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(entries.count - 1)
        }
        self.arena = arena
        self.entries = entries
        self.slots = slots
        self.mask = mask
    }

    /// The value stored for exactly these bytes, if any.
    @inline(__always)
    func value(for key: UnsafeBufferPointer<UInt8>) -> UInt32? {
        let hash = Self.hash(key)
        let tag = UInt32(truncatingIfNeeded: hash)
        return entries.withUnsafeBufferPointer { entries in
            slots.withUnsafeBufferPointer { slots in
                arena.withUnsafeBufferPointer { arena in
                    var slot = Int(truncatingIfNeeded: hash) & mask
                    while true {
                        let index = Int(slots[slot])
                        if index < 0 { return nil }
                        let entry = entries[index]
                        if entry.hash == tag, Int(entry.length) == key.count,
                           memcmp(arena.baseAddress! + Int(entry.offset), key.baseAddress!, key.count) == 0 {
                            return entry.value
                        }
                        slot = (slot + 1) & mask
                    }
                }
            }
        }
    }

    /// A fast 64-bit mix of the bytes, eight at a time (not cryptographic: the keys are fixed).
    @inline(__always)
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
        guard let base = bytes.baseAddress else { return mix(h) }
        let raw = UnsafeRawPointer(base)
        var i = 0
        let n = bytes.count
        while i + 8 <= n {
            h = mix(h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            i += 8
        }
        if i < n {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < n {
                tail |= UInt64(base[i]) << shift
                shift += 8
                i += 1
            }
            h = mix(h ^ tail)
        }
        return h
    }

    @inline(__always)
    private static func mix(_ x: UInt64) -> UInt64 {
        var z = x &* 0xBF58_476D_1CE4_E5B9
        z ^= z >> 31
        z = z &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 29)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
