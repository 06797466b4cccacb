/// tiktoken's byte-pair merge over one pre-tokenized piece: repeatedly merge the adjacent pair
/// whose concatenation has the lowest rank (leftmost on ties) until no pair is a token.
///
/// Same algorithm and tie-breaking as tiktoken's `_byte_pair_merge`, so the output is the same
/// ids, not only the same count. O(n²) in the piece length, like tiktoken; pieces are words.
struct BytePairEncoder: Sendable {
    let ranks: ByteSequenceTable

    /// Reusable buffers for one encoding call (not shared between threads).
    struct Scratch {
        var starts: [Int] = []
        var pairRanks: [UInt32] = []
    }

    private static let none = UInt32.max

    @inline(__always)
    private func rank(_ piece: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> UInt32 {
        ranks.value(for: UnsafeBufferPointer(rebasing: piece[start..<end])) ?? Self.none
    }

    /// Appends the tokens of `piece` to `output`.
    func encode(_ piece: UnsafeBufferPointer<UInt8>, into output: inout [UInt32], scratch: inout Scratch) {
        if let whole = ranks.value(for: piece) {
            output.append(whole)
            return
        }
        let n = piece.count
        scratch.starts.removeAll(keepingCapacity: true)
        scratch.pairRanks.removeAll(keepingCapacity: true)
        // parts[i] = (start of part i, rank of merging part i with part i + 1)
        for i in 0..<(n - 1) {
            scratch.starts.append(i)
            scratch.pairRanks.append(rank(piece, i, i + 2))
        }
        scratch.starts.append(n - 1)
        scratch.pairRanks.append(Self.none)
        scratch.starts.append(n)
        scratch.pairRanks.append(Self.none)

        while true {
            var best = Self.none
            var at = -1
            for i in 0..<(scratch.pairRanks.count - 1) where scratch.pairRanks[i] < best {
                best = scratch.pairRanks[i]
                at = i
            }
            if at < 0 { break }
            let count = scratch.starts.count
            // Ranks of the merged part with its neighbours, before part at+1 goes away.
            if at > 0 {
                scratch.pairRanks[at - 1] = at + 2 < count
                    ? rank(piece, scratch.starts[at - 1], scratch.starts[at + 2]) : Self.none
            }
            scratch.pairRanks[at] = at + 3 < count
                ? rank(piece, scratch.starts[at], scratch.starts[at + 3]) : Self.none
            scratch.starts.remove(at: at + 1)
            scratch.pairRanks.remove(at: at + 1)
        }
        for i in 0..<(scratch.starts.count - 1) {
            let token = rank(piece, scratch.starts[i], scratch.starts[i + 1])
            // Every single byte is a token in a byte-level BPE, so a final part always is one.
            precondition(token != Self.none, "byte-level BPE without a token for a merged part")
            output.append(token)
        }
    }
}
