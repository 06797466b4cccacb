import CoachSpoolCore
import Foundation

/// OpenAI's `cl100k_base` encoding, identical to tiktoken's `encode_ordinary` (special-token
/// strings such as `<|endoftext|>` are encoded as ordinary text).
///
/// Built from the `cl100k_base.tiktoken` ranks file (`scripts/fetch-tokenizer.sh`). Immutable
/// and `Sendable`: share one instance between threads. Loading takes ~0.07 s (release build).
public struct CL100K: Sendable {
    private let encoder: BytePairEncoder
    /// Token bytes by rank, for `decode`.
    private let vocabulary: [[UInt8]]

    public static let ranksFileName = "cl100k_base.tiktoken"

    /// Parses a ranks file: one `<base64 token bytes> <rank>` per line.
    public init(ranksFile: [UInt8]) throws(CoachSpoolError) {
        var pairs: [(key: [UInt8], value: UInt32)] = []
        pairs.reserveCapacity(100_256)
        var lineNumber = 0
        for line in ranksFile.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            lineNumber += 1
            guard let space = line.firstIndex(of: UInt8(ascii: " ")),
                  let token = Data(base64Encoded: Data(line[line.startIndex..<space])),
                  let rank = UInt32(String(decoding: line[(space + 1)...], as: UTF8.self))
            else {
                throw CoachSpoolError(.model, "cl100k_base ranks: " + "line \(lineNumber): expected '<base64> <rank>'")
            }
            pairs.append((Array(token), rank))
        }
        guard pairs.count > 256 else {
            throw CoachSpoolError(.model, "cl100k_base ranks: " + "only \(pairs.count) ranks; expected about 100,000")
        }
        var vocabulary = [[UInt8]](repeating: [], count: Int(pairs.map(\.value).max()!) + 1)
        for (token, rank) in pairs {
            guard vocabulary[Int(rank)].isEmpty else {
                throw CoachSpoolError(.model, "cl100k_base ranks: " + "rank \(rank) appears twice")
            }
            vocabulary[Int(rank)] = token
        }
        self.vocabulary = vocabulary
        self.encoder = BytePairEncoder(ranks: ByteSequenceTable(pairs))
    }

    /// The token ids of `text`.
    public func encode(_ text: String) -> [UInt32] {
        var output: [UInt32] = []
        output.reserveCapacity(text.utf8.count / 3)
        var text = text
        text.withUTF8 { bytes in
            forEachPiece(of: bytes) { piece, scratch in encoder.encode(piece, into: &output, scratch: &scratch) }
        }
        return output
    }

    /// The number of tokens of `text` (what `encode(text).count` returns).
    public func count(_ text: String) -> Int {
        var text = text
        return text.withUTF8 { count(utf8: $0) }
    }

    /// The number of tokens of valid UTF-8 bytes (e.g. a slice of a larger text).
    public func count(utf8 bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var output: [UInt32] = []
        var total = 0
        forEachPiece(of: bytes) { piece, scratch in
            output.removeAll(keepingCapacity: true)
            encoder.encode(piece, into: &output, scratch: &scratch)
            total += output.count
        }
        return total
    }

    /// The bytes of `tokens` concatenated (may be partial UTF-8 at the ends of a slice of ids).
    /// Unknown ids are an error.
    public func decode(_ tokens: [UInt32]) throws(CoachSpoolError) -> [UInt8] {
        var bytes: [UInt8] = []
        for token in tokens {
            guard Int(token) < vocabulary.count, !vocabulary[Int(token)].isEmpty else {
                throw CoachSpoolError(.input, "token id \(token) is not in cl100k_base")
            }
            bytes.append(contentsOf: vocabulary[Int(token)])
        }
        return bytes
    }

    /// Splits UTF-8 text with the cl100k pattern and calls `body` with the bytes of each piece.
    private func forEachPiece(
        of bytes: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>, inout BytePairEncoder.Scratch) -> Void
    ) {
        guard !bytes.isEmpty else { return }
        var classes = [UInt8](); classes.reserveCapacity(bytes.count)
        var offsets = [Int32](); offsets.reserveCapacity(bytes.count + 1)
        var i = 0
        while i < bytes.count {
            let (value, length) = UTF8Scalars.decode(bytes, at: i)
            classes.append(ScalarClass.of(value).rawValue)
            offsets.append(Int32(i))
            i += length
        }
        offsets.append(Int32(bytes.count))
        var scratch = BytePairEncoder.Scratch()
        classes.withUnsafeBufferPointer { classes in
            offsets.withUnsafeBufferPointer { offsets in
                let scanner = CL100KPretokenizer(classes: classes, offsets: offsets, bytes: bytes)
                var start = 0
                while start < classes.count {
                    let end = scanner.pieceEnd(from: start)
                    body(UnsafeBufferPointer(rebasing: bytes[Int(offsets[start])..<Int(offsets[end])]), &scratch)
                    start = end
                }
            }
        }
    }
}

extension CL100K {
    /// Loads `cl100k_base.tiktoken` from `directory` (see `scripts/fetch-tokenizer.sh`).
    public init(modelsDirectory directory: String) throws(CoachSpoolError) {
        let path = directory + "/" + Self.ranksFileName
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CoachSpoolError(.model, "not found: run scripts/fetch-tokenizer.sh (or set COACHSPOOL_MODELS)", file: path)
        }
        try self.init(ranksFile: Array(data))
    }
}
