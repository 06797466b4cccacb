import CoachSpoolCore
import Tokenizers

/// LangChain's `RecursiveCharacterTextSplitter`, chunk for chunk: default separators
/// `["\n\n", "\n", " ", ""]` (literal, not regex), `keep_separator=True` (the separator starts the
/// following piece), `strip_whitespace=True`, and lengths in Python `len` units (Unicode
/// scalars) or in cl100k tokens (`from_tiktoken_encoder`).
///
/// The port works on UTF-8 byte ranges of the input: with the separator kept, a chunk is always
/// one contiguous range of the text, so nothing is copied until the chunks are returned.
public struct RecursiveCharacterSplitter: Sendable {
    public enum Unit: Sendable {
        /// Python's `len`: Unicode scalars.
        case characters
        /// cl100k_base tokens of each piece, as `from_tiktoken_encoder` counts them (special-token
        /// strings count as ordinary text here, where LangChain's default would raise).
        case tokens(CL100K)
    }

    public static let defaultSeparators = ["\n\n", "\n", " ", ""]

    public let chunkSize: Int
    public let chunkOverlap: Int
    public let unit: Unit
    private let separators: [[UInt8]]
    /// Use `FastMerge` where it applies (character lengths, one-byte separators). Tests turn it
    /// off to compare it with the piece-by-piece port.
    var fastMerge = true

    public init(chunkSize: Int, chunkOverlap: Int, unit: Unit = .characters) throws(CoachSpoolError) {
        guard chunkSize > 0 else { throw CoachSpoolError(.configuration, "chunk size must be positive, got \(chunkSize)") }
        guard chunkOverlap >= 0 else { throw CoachSpoolError(.configuration, "chunk overlap must not be negative, got \(chunkOverlap)") }
        guard chunkOverlap <= chunkSize else {
            throw CoachSpoolError(.configuration, "chunk overlap \(chunkOverlap) is larger than the chunk size \(chunkSize)")
        }
        self.chunkSize = chunkSize
        self.chunkOverlap = chunkOverlap
        self.unit = unit
        self.separators = Self.defaultSeparators.map { Array($0.utf8) }
    }

    /// Identifies the configuration, for pipeline versions.
    public var configuration: String {
        switch unit {
        case .characters: "recursive:\(chunkSize)/\(chunkOverlap):chars"
        case .tokens: "recursive:\(chunkSize)/\(chunkOverlap):cl100k"
        }
    }

    /// `split_text(text)`.
    public func split(_ text: String) -> [String] {
        chunks(of: text).map(String.init)
    }

    /// The chunks as slices of `text`, without copying (what the workers store and embed).
    public func chunks(of text: String) -> [Substring] {
        var text = text
        text.makeContiguousUTF8()  // O(1) for native strings
        let ranges = text.utf8.withContiguousStorageIfAvailable { chunkRanges($0) }!
        let utf8 = text.utf8
        return ranges.map {
            // Chunk bounds are scalar boundaries, so these are valid String indices.
            text[utf8.index(utf8.startIndex, offsetBy: $0.lowerBound)..<utf8.index(utf8.startIndex, offsetBy: $0.upperBound)]
        }
    }

    /// The chunks as byte ranges of `bytes` (valid UTF-8), in order.
    public func chunkRanges(_ bytes: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        var chunks: [Range<Int>] = []
        splitText(0..<bytes.count, separators: separators[...], bytes: bytes, into: &chunks)
        return chunks
    }

    private func length(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int {
        switch unit {
        case .characters: UTF8Text.scalarCount(bytes, range)
        case .tokens(let encoding): encoding.count(utf8: UnsafeBufferPointer(rebasing: bytes[range]))
        }
    }

    /// `_split_text`: split on the first separator present, merge the short pieces, recurse into
    /// the long ones with the remaining separators. Pieces are streamed, not collected: only the
    /// current merge window is kept.
    private func splitText(
        _ range: Range<Int>, separators: ArraySlice<[UInt8]>, bytes: UnsafeBufferPointer<UInt8>,
        into chunks: inout [Range<Int>]
    ) {
        var separator = separators.last!
        var remaining = separators[separators.endIndex...]
        for index in separators.indices {
            let candidate = separators[index]
            if candidate.isEmpty {
                separator = candidate
                break
            }
            if UTF8Text.firstIndex(of: candidate, in: bytes, range) != nil {
                separator = candidate
                remaining = separators[(index + 1)...]
                break
            }
        }

        if fastMerge, case .characters = unit, separator.count == 1 {
            var fast = FastMerge(
                bytes: bytes, range: range, separator: separator[0], chunkSize: chunkSize, chunkOverlap: chunkOverlap)
            fast.run(into: &chunks) { piece, chunks in
                if remaining.isEmpty {
                    chunks.append(piece)
                } else {
                    splitText(piece, separators: remaining, bytes: bytes, into: &chunks)
                }
            }
            return
        }
        var merger = Merger(chunkSize: chunkSize, chunkOverlap: chunkOverlap)
        Self.forEachPiece(of: range, separator: separator, bytes: bytes) { piece, scalars in
            let pieceLength: Int
            switch unit {
            case .characters: pieceLength = scalars
            case .tokens(let encoding): pieceLength = encoding.count(utf8: UnsafeBufferPointer(rebasing: bytes[piece]))
            }
            if pieceLength < chunkSize {
                merger.add(piece, length: pieceLength, bytes: bytes, into: &chunks)
                return
            }
            merger.finish(bytes: bytes, into: &chunks)
            if remaining.isEmpty {
                chunks.append(piece)  // LangChain appends it as is, unstripped
            } else {
                splitText(piece, separators: remaining, bytes: bytes, into: &chunks)
            }
        }
        merger.finish(bytes: bytes, into: &chunks)
    }

    /// `_split_text_with_regex` with `keep_separator="start"`: cut before every (non-overlapping,
    /// leftmost) occurrence of the separator and drop empty pieces; `""` cuts between scalars.
    /// Calls `body` with each piece and its length in Unicode scalars.
    static func forEachPiece(
        of range: Range<Int>, separator: [UInt8], bytes: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>, Int) -> Void
    ) {
        switch separator.count {
        case 0:
            var i = range.lowerBound
            while i < range.upperBound {
                let next = i + UTF8Scalars.sequenceLength(bytes[i])
                body(i..<next, 1)
                i = next
            }
        case 1:
            // One pass that finds the separator and counts scalars: most pieces are words.
            let separator = separator[0]
            var start = range.lowerBound
            var scalars = 0
            for i in range {
                let b = bytes[i]
                if b == separator, i > start {
                    body(start..<i, scalars)
                    start = i
                    scalars = 0
                }
                scalars &+= b & 0xC0 != 0x80 ? 1 : 0
            }
            if range.upperBound > start { body(start..<range.upperBound, scalars) }
        default:
            var start = range.lowerBound
            var searchFrom = range.lowerBound
            while let hit = UTF8Text.firstIndex(of: separator, in: bytes, searchFrom..<range.upperBound) {
                if hit > start { body(start..<hit, UTF8Text.scalarCount(bytes, start..<hit)) }
                start = hit
                searchFrom = hit + separator.count
            }
            if range.upperBound > start { body(start..<range.upperBound, UTF8Text.scalarCount(bytes, start..<range.upperBound)) }
        }
    }

    /// `_merge_splits` with the empty join separator that `keep_separator` implies, fed one piece
    /// at a time: greedy windows of consecutive pieces up to `chunkSize`, each next window
    /// starting with the last pieces of the previous one that fit in `chunkOverlap`.
    private struct Merger {
        let chunkSize: Int
        let chunkOverlap: Int
        /// The current window is `window[first...]`; earlier entries are dropped lazily.
        private var window: [(range: Range<Int>, length: Int)] = []
        private var first = 0
        private var total = 0

        init(chunkSize: Int, chunkOverlap: Int) {
            self.chunkSize = chunkSize
            self.chunkOverlap = chunkOverlap
        }

        mutating func add(_ piece: Range<Int>, length: Int, bytes: UnsafeBufferPointer<UInt8>, into chunks: inout [Range<Int>]) {
            if total + length > chunkSize, first < window.count {
                emit(bytes: bytes, into: &chunks)
                while total > chunkOverlap || (total + length > chunkSize && total > 0) {
                    total -= window[first].length
                    first += 1
                }
            }
            if first >= 256 {
                window.removeFirst(first)
                first = 0
            }
            window.append((piece, length))
            total += length
        }

        /// Emits the last window and starts over (LangChain merges each run of short pieces anew).
        mutating func finish(bytes: UnsafeBufferPointer<UInt8>, into chunks: inout [Range<Int>]) {
            if first < window.count { emit(bytes: bytes, into: &chunks) }
            window.removeAll(keepingCapacity: true)
            first = 0
            total = 0
        }

        /// `_join_docs`: the window's text, stripped; nothing if that is empty.
        private func emit(bytes: UnsafeBufferPointer<UInt8>, into chunks: inout [Range<Int>]) {
            let stripped = UTF8Text.stripped(bytes, window[first].range.lowerBound..<window[window.count - 1].range.upperBound)
            if !stripped.isEmpty { chunks.append(stripped) }
        }
    }
}

