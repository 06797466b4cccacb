#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The split-and-merge of one level of `RecursiveCharacterSplitter` for a one-byte separator
/// and lengths in scalars, without visiting the pieces one by one.
///
/// The piece-by-piece port adds every word to the merge window. Here, whole runs of pieces
/// that the window is known to absorb without emitting are skipped at once: count `budget`
/// scalars ahead (eight bytes at a time), and the last separator before that point is where
/// the absorbed pieces end. When the window is emitted, the overlap it keeps is found by
/// counting back `chunkOverlap` scalars from its end. Same output as `_merge_splits`, checked
/// against the piece-by-piece port on random texts (`RecursiveCharacterSplitterTests`).
struct FastMerge {
    let bytes: UnsafeBufferPointer<UInt8>
    let range: Range<Int>
    let separator: UInt8
    let chunkSize: Int
    let chunkOverlap: Int

    /// The window is `windowStart..<position`, `total` scalars long; the next piece starts at
    /// `position`.
    private var windowStart: Int
    private var position: Int
    private var total = 0

    init(bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>, separator: UInt8, chunkSize: Int, chunkOverlap: Int) {
        self.bytes = bytes
        self.range = range
        self.separator = separator
        self.chunkSize = chunkSize
        self.chunkOverlap = chunkOverlap
        self.windowStart = range.lowerBound
        self.position = range.lowerBound
    }

    /// Runs the level; `longPiece` handles a piece of `chunkSize` scalars or more (recursion).
    mutating func run(into chunks: inout [Range<Int>], longPiece: (Range<Int>, inout [Range<Int>]) -> Void) {
        while position < range.upperBound {
            // Absorb every whole piece that fits in the budget; each is then shorter than chunkSize.
            let budget = total == 0 ? chunkSize - 1 : chunkSize - total
            let limit = positionAfter(scalars: budget, from: position)
            let end = limit == range.upperBound ? limit : lastSeparator(after: position, upTo: limit)
            if let end, end > position {
                total += scalarCount(position..<end)
                position = end
                continue
            }
            // The next piece does not fit: the piece-by-piece step.
            let pieceEnd = nextSeparator(after: position) ?? range.upperBound
            let length = scalarCount(position..<pieceEnd)
            if length < chunkSize {
                if total + length > chunkSize, windowStart < position {
                    emit(into: &chunks)
                    dropFront(beforeAdding: length)
                }
                total += length
            } else {
                if windowStart < position { emit(into: &chunks) }
                longPiece(position..<pieceEnd, &chunks)
                windowStart = pieceEnd
                total = 0
            }
            position = pieceEnd
        }
        if windowStart < position { emit(into: &chunks) }
    }

    /// `while total > overlap or (total + length > size and total > 0)`: drop pieces from the
    /// front of the window. The first condition keeps the longest suffix of whole pieces of at
    /// most `chunkOverlap` scalars, found from the back; the second then drops one by one.
    private mutating func dropFront(beforeAdding length: Int) {
        if total > chunkOverlap {
            let earliest = positionBefore(scalars: chunkOverlap, end: position, floor: windowStart)
            windowStart = firstSeparator(from: earliest, before: position) ?? position
            total = scalarCount(windowStart..<position)
        }
        while total + length > chunkSize, total > 0 {
            let next = nextSeparator(after: windowStart).map { min($0, position) } ?? position
            total -= scalarCount(windowStart..<next)
            windowStart = next
        }
    }

    private func emit(into chunks: inout [Range<Int>]) {
        let stripped = UTF8Text.stripped(bytes, windowStart..<position)
        if !stripped.isEmpty { chunks.append(stripped) }
    }

    // MARK: Scans

    @inline(__always)
    private func load(_ i: Int) -> UInt64 {
        UnsafeRawPointer(bytes.baseAddress! + i).loadUnaligned(as: UInt64.self)
    }

    private func scalarCount(_ r: Range<Int>) -> Int {
        UTF8Text.scalarCount(bytes, r)
    }

    /// The byte position after `scalars` scalars from `start` (a scalar boundary), or the end
    /// of the range if there are fewer.
    private func positionAfter(scalars: Int, from start: Int) -> Int {
        var remaining = scalars
        var i = start
        // Whole words while they cannot contain the (remaining + 1)-th lead byte.
        while i + 8 <= range.upperBound {
            let leads = UTF8Text.leadMask(load(i)).nonzeroBitCount
            if leads > remaining { break }
            remaining -= leads
            i += 8
        }
        while i < range.upperBound {
            if bytes[i] & 0xC0 != 0x80 {
                if remaining == 0 { return i }
                remaining -= 1
            }
            i += 1
        }
        return range.upperBound
    }

    /// The lowest position `p >= floor` with at most `scalars` scalars in `p..<end`.
    private func positionBefore(scalars: Int, end: Int, floor: Int) -> Int {
        var remaining = scalars
        var i = end
        var lastLead = end
        while i > floor {
            i -= 1
            if bytes[i] & 0xC0 != 0x80 {
                if remaining == 0 { return lastLead }
                remaining -= 1
                lastLead = i
            }
        }
        return floor
    }

    /// The last separator in `(after, upTo]`, as a piece boundary.
    private func lastSeparator(after: Int, upTo: Int) -> Int? {
        var i = upTo
        while i > after {
            if bytes[i] == separator { return i }
            i -= 1
        }
        return nil
    }

    /// The first separator in `[from, before)`.
    private func firstSeparator(from: Int, before: Int) -> Int? {
        guard before > from, let hit = memchr(bytes.baseAddress! + from, Int32(separator), before - from) else { return nil }
        return bytes.baseAddress!.distance(to: hit.assumingMemoryBound(to: UInt8.self))
    }

    /// The first separator after `after` in the range: where the piece starting at `after` ends.
    private func nextSeparator(after: Int) -> Int? {
        firstSeparator(from: after + 1, before: range.upperBound)
    }
}
