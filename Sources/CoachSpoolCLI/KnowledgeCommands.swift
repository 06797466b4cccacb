import CoachSpoolCore
import ArgumentParser
import Embeddings
import Foundation
import LibPQ
import Spool
import Stages

struct SpacesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spaces",
        abstract: "Embedding spaces: list them with their backfill progress, or switch search to another.",
        subcommands: [List.self, Activate.self])

    struct List: AsyncParsableCommand {

        @OptionGroup var common: CommonOptions
        static let configuration = CommandConfiguration(abstract: "Each space, its progress and whether search uses it.")

        func run() async throws {
            let spaces = try await Blocking.run { try KnowledgeBase.spaces(try openConnection(application: "coachspool-spaces")) }
            if spaces.isEmpty { print("no embedding spaces yet: a worker registers its own when it starts") }
            for status in spaces {
                let space = status.space
                let state = space.isActive ? "active" : status.isComplete ? "complete" : "backfilling"
                print("""
                    \(space.id)  \(state)  \(space.embedder):\(space.model):\(space.dimensions)  \
                    chunks \(space.chunker.size)/\(space.chunker.overlap) \(space.chunker.unit.rawValue)  \
                    documents \(status.documentsCurrent)/\(status.documents)  chunks \(status.chunks)
                    """)
            }
        }
    }

    struct Activate: AsyncParsableCommand {

        @OptionGroup var common: CommonOptions
        static let configuration = CommandConfiguration(
            abstract: "Make search use space ID (only once every document has current chunks in it).")

        @Argument(help: "The space id (see `spaces list`).")
        var id: Int32

        @Flag(help: "Activate even though the backfill is not complete.")
        var force = false

        func run() async throws {
            let (id, force) = (id, force)
            try await Blocking.run {
                try KnowledgeBase.activate(try openConnection(application: "coachspool-spaces"), space: id, force: force)
            }
            print("search now uses embedding space \(id)")
        }
    }
}

/// Options of `search` and `rag`.
struct RetrievalOptions: ParsableArguments {
    @Argument(help: "The question.")
    var question: String

    @Option(name: .short, help: "How many chunks.")
    var k = 3

    @Option(help: "Search this space instead of the active one.")
    var space: Int32?

    @Option(help: "vector (embeddings), text (full-text rank) or hybrid (reciprocal rank fusion of both; the default, best on the shipped evaluation set).")
    var mode: SearchMode = .best

    @Option(help: "Only documents in this language (sv, en, …).")
    var language: String?

    @Option(help: "Only documents whose source starts with this.")
    var source: String?

    func validate() throws {
        guard (1...1000).contains(k) else { throw ValidationError("-k must be in 1...1000") }
    }

    /// Embeds the question with the space's own embedder (unless text mode) and returns the top-k chunks.
    func retrieve() async throws -> (space: EmbeddingSpace, hits: [SearchHit]) {
        let query = SearchQuery(text: question, k: k, space: space, mode: mode, language: language, source: source)
        return try await Blocking.run {
            let conn = try openConnection(application: "coachspool-search")
            let retriever = try Retriever(conn, space: query.space, modes: [query.mode])
            if let embedder = retriever.embedder { KernelLog.announce(embedder, logger: LoggingSetup.logger("coachspool.search")) }
            return (retriever.space, try retriever.search(query, on: conn))
        }
    }
}

extension SearchMode: ExpressibleByArgument {}

struct SearchCommand: AsyncParsableCommand {

    @OptionGroup var common: CommonOptions
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "The knowledge chunks that best answer a question: vector, full-text or hybrid ranking.")

    @OptionGroup var retrieval: RetrievalOptions

    @Flag(help: "One JSON object: {question, space, mode, results: [{rank, score, title, source, document_id, chunk_id, text}]}.")
    var json = false

    func run() async throws {
        let (space, hits) = try await retrieval.retrieve()
        if json {
            var out = JSONWriter()
            out.object {
                $0.field("question") { $0.string(retrieval.question) }
                $0.field("space") { $0.integer(space.id) }
                $0.field("mode") { $0.string(retrieval.mode.rawValue) }
                $0.field("results") {
                    $0.array(hits.enumerated()) { out, item in
                        let (rank, hit) = item
                        out.object {
                            $0.field("rank") { $0.integer(rank + 1) }
                            $0.field("score") { $0.double(hit.score) }
                            $0.field("title") { $0.string(hit.title) }
                            $0.field("source") { out in if let source = hit.source { out.string(source) } else { out.null() } }
                            $0.field("document_id") { $0.integer(hit.documentID) }
                            $0.field("chunk_id") { $0.integer(hit.chunkID) }
                            $0.field("text") { $0.string(hit.text) }
                        }
                    }
                }
            }
            out.newline()
            try out.flush(to: STDOUT_FILENO)
            return
        }
        if hits.isEmpty { print("no chunks in embedding space \(space.id) yet") }
        for (rank, hit) in hits.enumerated() {
            print("\(rank + 1). [\(String(format: "%.3f", hit.score))] \(hit.title)\(hit.source.map { " (\($0))" } ?? "")")
            print("   " + hit.text.replacingOccurrences(of: "\n", with: "\n   "))
        }
    }
}

struct RagCommand: AsyncParsableCommand {

    @OptionGroup var common: CommonOptions
    static let configuration = CommandConfiguration(
        commandName: "rag",
        abstract: "The seed's rag_query: the coaching prompt built from the top-k chunks, with its sources.",
        discussion: """
            With COACHSPOOL_CHAT_MODEL set (and an OpenAI-compatible endpoint and key as for \
            embeddings: COACHSPOOL_OPENAI_BASE_URL, OPENAI_API_KEY or OPENAI_API_KEY_FILE), the \
            prompt is also sent to {base}/chat/completions and the answer printed.
            """)

    @OptionGroup var retrieval: RetrievalOptions

    func run() async throws {
        let chat = try ChatClient.fromEnvironment()
        let (_, hits) = try await retrieval.retrieve()
        let prompt = RagPrompt.make(question: retrieval.question, context: hits.map(\.text))
        print(prompt)
        print("\nSources:")
        for (rank, hit) in hits.enumerated() {
            print("  [\(rank + 1)] \(hit.title)\(hit.source.map { " — \($0)" } ?? "") (score \(String(format: "%.3f", hit.score)))")
        }
        guard let chat else { return }
        let answer = try await Blocking.run { try chat.complete(prompt) }
        print("\nAnswer (\(chat.model)):\n\(answer)")
    }
}
