/// One numbered source of a RAG prompt: neighbouring chunks of one document merged into one
/// text, or one exchange of the conversation memory.
public struct RagPassage: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        case document(id: Int64, title: String, source: String?)
        case memory(interaction: Int64)
    }

    public var source: Source
    public var text: String
    /// Where the merged texts were in the retrieved list (0-based), in document order.
    public var members: [Int]

    public init(source: Source, text: String, members: [Int]) {
        self.source = source
        self.text = text
        self.members = members
    }
}
