import Stages

extension SearchHit {
    /// The hit as a RAG prompt's input (`RagContext` merges neighbouring chunks by these).
    public var retrieved: RetrievedText {
        RetrievedText(
            origin: .chunk(document: documentID, title: title, source: source, ordinal: ordinal, start: start), text: text)
    }
}
