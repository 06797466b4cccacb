import CoachSpoolCore
import Foundation

/// `vocab.txt`: one word piece per line, the id is the line number (from 0). Continuation pieces
/// start with `##`. Pieces are compared as UTF-8 bytes, never as Swift `String`s (which would
/// equate canonically equivalent spellings that the vocabulary keeps apart).
public struct WordPieceVocabulary: Sendable {
    private let words: [[UInt8]: Int32]
    private let continuations: [[UInt8]: Int32]
    public let count: Int
    public let unknown: Int32
    public let cls: Int32
    public let sep: Int32

    public init(contentsOf path: String) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CoachSpoolError.missingModelFile(path: path)
        }
        try self.init(vocabText: data, source: path)
    }

    init(vocabText: Data, source: String) throws {
        var words: [[UInt8]: Int32] = [:]
        var continuations: [[UInt8]: Int32] = [:]
        var id: Int32 = 0
        var lines = vocabText.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }  // the final newline
        for rawLine in lines {
            var line = Array(rawLine)
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            if line.count > 2, line.starts(with: [UInt8(ascii: "#"), UInt8(ascii: "#")]) {
                let piece = Array(line.dropFirst(2))
                if continuations[piece] == nil { continuations[piece] = id }
            }
            if words[line] == nil { words[line] = id }
            id += 1
        }
        self.words = words
        self.continuations = continuations
        self.count = Int(id)
        func special(_ name: String) throws -> Int32 {
            guard let id = words[Array(name.utf8)] else {
                throw CoachSpoolError.badModelFile(path: source, reason: "the vocabulary has no \(name)")
            }
            return id
        }
        unknown = try special("[UNK]")
        cls = try special("[CLS]")
        sep = try special("[SEP]")
    }

    /// The id of `piece` as a word start, or (with `continuation`) as a `##` continuation.
    func id(of piece: ArraySlice<UInt8>, continuation: Bool) -> Int32? {
        let key = Array(piece)
        return continuation ? continuations[key] : words[key]
    }
}
