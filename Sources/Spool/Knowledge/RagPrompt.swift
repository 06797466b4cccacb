/// The seed's `rag_query` prompt (Swedish, as in the seed): the retrieved chunks, then the question.
public enum RagPrompt {
    public static func make(question: String, context: [String]) -> String {
        """
        Baserat på följande information:
        \(context.joined(separator: "\n"))

        Användarfråga: \(question)

        Ge ett hjälpsamt coaching-svar:
        """
    }
}
