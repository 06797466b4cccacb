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

    public init(chunkSize: Int, chunkOverlap: Int, unit: Unit = .characters) throws(ChunkingError) {
        guard chunkSize > 0 else { throw ChunkingError("chunk size must be positive, got \(chunkSize)") }
        guard chunkOverlap >= 0 else { throw ChunkingError("chunk overlap must not be negative, got \(chunkOverlap)") }
        guard chunkOverlap <= chunkSize else {
            throw ChunkingError("chunk overlap \(chunkOverlap) is larger than the chunk size \(chunkSize)")
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
        var text = text
        return text.withUTF8 { bytes in
            chunkRanges(bytes).map { String(decoding: UnsafeBufferPointer(rebasing: bytes[$0]), as: UTF8.self) }
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
    /// the long ones with the remaining separators.
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

        var good: [(range: Range<Int>, length: Int)] = []
        for piece in Self.pieces(of: range, separator: separator, bytes: bytes) {
            let pieceLength = length(bytes, piece)
            if pieceLength < chunkSize {
                good.append((piece, pieceLength))
                continue
            }
            if !good.isEmpty {
                merge(good, bytes: bytes, into: &chunks)
                good.removeAll(keepingCapacity: true)
            }
            if remaining.isEmpty {
                chunks.append(piece)  // LangChain appends it as is, unstripped
            } else {
                splitText(piece, separators: remaining, bytes: bytes, into: &chunks)
            }
        }
        if !good.isEmpty { merge(good, bytes: bytes, into: &chunks) }
    }

    /// `_split_text_with_regex` with `keep_separator="start"`: cut before every (non-overlapping,
    /// leftmost) occurrence of the separator and drop empty pieces; `""` cuts between scalars.
    static func pieces(of range: Range<Int>, separator: [UInt8], bytes: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        var pieces: [Range<Int>] = []
        if separator.isEmpty {
            var i = range.lowerBound
            while i < range.upperBound {
                let next = i + UTF8Text.sequenceLength(bytes[i])
                pieces.append(i..<next)
                i = next
            }
            return pieces
        }
        var start = range.lowerBound
        var searchFrom = range.lowerBound
        while let hit = UTF8Text.firstIndex(of: separator, in: bytes, searchFrom..<range.upperBound) {
            if hit > start { pieces.append(start..<hit) }
            start = hit
            searchFrom = hit + separator.count
        }
        if range.upperBound > start { pieces.append(start..<range.upperBound) }
        return pieces
    }

    /// `_merge_splits` with the empty join separator that `keep_separator` implies: greedy
    /// windows of consecutive pieces up to `chunkSize`, each next window starting with the last
    /// pieces of the previous one that fit in `chunkOverlap`.
    private func merge(
        _ pieces: [(range: Range<Int>, length: Int)], bytes: UnsafeBufferPointer<UInt8>,
        into chunks: inout [Range<Int>]
    ) {
        var first = 0  // the current window is pieces[first..<next]
        var total = 0
        for (next, piece) in pieces.enumerated() {
            if total + piece.length > chunkSize {
                if first < next {
                    emit(pieces[first].range.lowerBound..<pieces[next - 1].range.upperBound, bytes: bytes, into: &chunks)
                    while total > chunkOverlap || (total + piece.length > chunkSize && total > 0) {
                        total -= pieces[first].length
                        first += 1
                    }
                }
            }
            total += piece.length
        }
        if first < pieces.count {
            emit(pieces[first].range.lowerBound..<pieces[pieces.count - 1].range.upperBound, bytes: bytes, into: &chunks)
        }
    }

    /// `_join_docs`: strip, and drop what is empty after stripping.
    private func emit(_ range: Range<Int>, bytes: UnsafeBufferPointer<UInt8>, into chunks: inout [Range<Int>]) {
        let stripped = UTF8Text.stripped(bytes, range)
        if !stripped.isEmpty { chunks.append(stripped) }
    }
}

public struct ChunkingError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}
