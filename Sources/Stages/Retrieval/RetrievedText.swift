/// A text retrieved for a RAG prompt: a knowledge chunk or an exchange of the conversation memory.
public struct RetrievedText: Sendable, Equatable {
    public enum Origin: Sendable, Equatable {
        /// A chunk of a knowledge document: its ordinal in the document and where it starts in
        /// the (unredacted) document body, in Unicode scalars (`coachspool.chunks.start_offset`).
        case chunk(document: Int64, title: String, source: String?, ordinal: Int, start: Int)
        /// An earlier exchange ("User: …\nCoach: …", redacted).
        case memory(interaction: Int64)
    }

    public var origin: Origin
    /// The stored (redacted) text.
    public var text: String

    public init(origin: Origin, text: String) {
        self.origin = origin
        self.text = text
    }
}
