/// Turns retrieved texts into the passages of a RAG prompt. Pure.
///
/// - Chunks of one document with consecutive ordinals are one passage, in document order, the
///   text the splitter repeated at their seam (its overlap) kept once. Chunks of a document that
///   are not neighbours stay apart, as do chunks of different documents.
/// - Each exchange of the conversation memory is its own passage.
/// - Passages are ordered by the best rank among their texts (the retrieved order: knowledge
///   chunks as ranked, then the memory's exchanges, as the callers pass them).
///
/// The overlap comes from the stored offsets: a chunk's end in the document minus where the next
/// one starts. That is exact, in Unicode scalars, for every chunk redaction left alone; it is
/// checked against the texts (the end of one equal to the start of the next) before anything is
/// dropped. Redaction replaces values by placeholders of another length, so a chunk with a
/// redacted value has no exact end: there, and only where the offsets say the chunks do overlap,
/// the overlap is the longest end of the one equal to a start of the next, if it is at least
/// `minimumFallbackOverlap` scalars (a shorter match is more likely chance than overlap; keeping
/// a few words twice costs nothing). Neighbours that do not overlap are joined with a line break
/// (the splitter dropped the whitespace between them, which may have been one).
public enum RagContext {
    public static let minimumFallbackOverlap = 4

    public static func passages(_ texts: [RetrievedText]) -> [RagPassage] {
        var passages: [RagPassage] = []
        var chunks: [Int64: [Chunk]] = [:]
        var documents: [Int64] = []
        for (index, text) in texts.enumerated() {
            switch text.origin {
            case .memory(let interaction):
                passages.append(RagPassage(source: .memory(interaction: interaction), text: text.text, members: [index]))
            case .chunk(let document, let title, let source, let ordinal, let start):
                if chunks[document] == nil { documents.append(document) }
                chunks[document, default: []].append(Chunk(
                    index: index, title: title, source: source, ordinal: ordinal, start: start, text: text.text))
            }
        }
        for document in documents {
            var seen = Set<Int>()
            let ordered = chunks[document]!.sorted { $0.ordinal < $1.ordinal }.filter { seen.insert($0.ordinal).inserted }
            // Consecutive ordinals keep ordinal − position constant.
            for run in ordered.enumerated().runs(by: { $0.element.ordinal - $0.offset }).map({ $0.map(\.element) }) {
                var text = run[0].text
                for (previous, next) in zip(run, run.dropFirst()) {
                    let overlap = self.overlap(previous, next)
                    text += overlap == 0 ? "\n" + next.text : String(next.text.unicodeScalars.dropFirst(overlap))
                }
                let first = run[0]
                passages.append(RagPassage(
                    source: .document(id: document, title: first.title, source: first.source), text: text,
                    members: run.map(\.index)))
            }
        }
        return passages.sorted { $0.members.min()! < $1.members.min()! }
    }

    struct Chunk {
        var index: Int
        var title: String
        var source: String?
        var ordinal: Int
        var start: Int
        var text: String
    }

    /// How many scalars at the start of `next` repeat the end of `previous` (its neighbour).
    static func overlap(_ previous: Chunk, _ next: Chunk) -> Int {
        let a = Array(previous.text.unicodeScalars)
        let b = Array(next.text.unicodeScalars)
        let expected = previous.start + a.count - next.start
        guard expected > 0 else { return 0 }
        if expected <= min(a.count, b.count), a.suffix(expected).elementsEqual(b.prefix(expected)) { return expected }
        let longest = longestSuffixPrefix(a, b)
        return longest >= minimumFallbackOverlap ? longest : 0
    }

    /// The length of the longest end of `a` that is also a start of `b`: the prefix function
    /// (Knuth–Morris–Pratt) of b ‖ separator ‖ a, linear in their lengths.
    static func longestSuffixPrefix(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        // UInt32.max is no scalar: the separator matches nothing, so no border crosses it.
        let s = b.map(\.value) + [UInt32.max] + a.map(\.value)
        var border = [Int](repeating: 0, count: s.count)
        for i in s.indices.dropFirst() {
            var k = border[i - 1]
            while k > 0 && s[i] != s[k] { k = border[k - 1] }
            if s[i] == s[k] { k += 1 }
            border[i] = k
        }
        return border.last ?? 0
    }
}
