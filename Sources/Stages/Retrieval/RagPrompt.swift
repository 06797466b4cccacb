/// The seed's `rag_query` prompt in the question's language: the retrieved passages, each under a
/// numbered header naming its source, then the question. Swedish is the seed's text; English its
/// translation. Which language: `Language.resolve(tag:text:)` with the caller's language tag (the
/// search's `--language` or `language` field, an evaluated conversation's) and the question.
public enum RagPrompt {
    public static func make(question: String, language: Language, passages: [RagPassage]) -> String {
        let context = passages.enumerated().map { number, passage in
            "[\(number + 1)] \(header(passage.source, language))\n\(passage.text)"
        }.joined(separator: "\n\n")
        switch language {
        case .sv:
            return """
                Baserat på följande information:
                \(context)

                Användarfråga: \(question)

                Ge ett hjälpsamt coaching-svar:
                """
        case .en:
            return """
                Based on the following information:
                \(context)

                User question: \(question)

                Give a helpful coaching answer:
                """
        }
    }

    /// The prompt from retrieved texts in their order (knowledge chunks, then memory exchanges).
    public static func make(question: String, language: Language, retrieved: [RetrievedText]) -> String {
        make(question: question, language: language, passages: RagContext.passages(retrieved))
    }

    /// A document's title (and source, when it has one), or what a memory passage is.
    static func header(_ source: RagPassage.Source, _ language: Language) -> String {
        switch source {
        case .document(_, let title, let source): source.map { "\(title) (\($0))" } ?? title
        case .memory:
            switch language {
            case .sv: "Tidigare samtal"
            case .en: "Earlier conversation"
            }
        }
    }
}
