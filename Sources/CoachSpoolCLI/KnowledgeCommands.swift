import ArgumentParser
import CoachSpoolCore
import Embeddings
import Foundation
import Knowledge
import LibPQ
import Privacy
import Spool
import Stages
import Synchronization

struct SpacesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spaces",
        abstract: "Embedding spaces: list them with their backfill progress, or switch search to another.",
        subcommands: [List.self, Activate.self])

    struct List: AsyncParsableCommand {

        @OptionGroup var common: CommonOptions
        @OptionGroup var read: ReadOptions
        static let configuration = CommandConfiguration(abstract: "Each space, its progress and whether search uses it.")

        func run() async throws {
            let spaces = try await Blocking.run { try KnowledgeBase.spaces(try read.connect(application: "coachspool-spaces")) }
            if spaces.isEmpty { print("no embedding spaces yet: a worker registers its own when it starts") }
            for status in spaces {
                let space = status.space
                let state = space.isActive ? "active" : status.isComplete ? "complete" : "backfilling"
                print("""
                    \(space.id)  \(state)  \(space.embedder):\(space.model):\(space.dimensions)  \
                    chunks \(space.chunker.size)/\(space.chunker.overlap) \(space.chunker.unit.rawValue)  \
                    documents \(status.documentsCurrent)/\(status.documents)  chunks \(status.chunks)\(SpacesCommand.languages(status))
                    """)
            }
        }
    }

    /// ` (sv 40, en 35, none 2)`: the chunks per language, most first.
    static func languages(_ status: EmbeddingSpaceStatus) -> String {
        guard !status.chunksByLanguage.isEmpty else { return "" }
        let counts = status.chunksByLanguage.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
        return " (" + counts.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"
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

    @Option(help: "Only documents in this language (sv, en, …); for rag also the prompt's language (else the question's, detected; else Swedish).")
    var language: String?

    @Option(help: "Only documents whose source starts with this.")
    var documentSource: String?

    @OptionGroup var read: ReadOptions

    func validate() throws {
        guard (1...1000).contains(k) else { throw ValidationError("-k must be in 1...1000") }
        try checkLimit(question, InputLimits.query, "the question")
        try checkLimit(language, InputLimits.language, "--language")
        try checkLimit(documentSource, InputLimits.documentID, "--document-source")
    }

    /// The language of prompts about the question: `--language` when it names Swedish or
    /// English, else the question's own (`Language.resolve`).
    var questionLanguage: Language {
        Language.resolve(tag: language) { question }
    }

    var query: SearchQuery {
        SearchQuery(text: question, k: k, space: space, mode: mode, language: language, source: documentSource)
    }

    /// Why a knowledge search found nothing: the space is still empty, or nothing matched under
    /// the settings and filters given (listed, so that the one at fault can be dropped).
    func nothingFound(in space: Int32, chunks: Int) -> String {
        guard chunks > 0 else { return "no chunks in embedding space \(space) yet" }
        var applied = ["mode \(mode.rawValue)", "k \(k)"]
        if let language { applied.append("language \(language)") }
        if let documentSource { applied.append("document source starting with \(documentSource)") }
        var message = "nothing matched in embedding space \(space) (\(chunks) chunks) with \(applied.joined(separator: ", "))"
        if language != nil || documentSource != nil { message += "; drop --language or --document-source to search every document" }
        else if mode == .text { message += "; text mode needs one of the question's words in a chunk (--mode hybrid also ranks by meaning)" }
        return message
    }

    func retrieve(from source: RetrievalSource = .knowledge) async throws -> Retrieved {
        try await RetrievalService(CommandLineRetrieval(read: read)).retrieve(query, from: source)
    }
}

/// Retrieval from the command line: one connection for the command (`--read-url` or the
/// database), opened at its first step; the space's own embedder.
final class CommandLineRetrieval: RetrievalBackend {
    let read: ReadOptions
    private let connection = Mutex<PGConnection?>(nil)

    init(read: ReadOptions) {
        self.read = read
    }

    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PGConnection) throws -> T) async throws -> T {
        try await Blocking.run { [self] in
            try connection.withLock { held in
                let conn = try held ?? read.connect(application: "coachspool-search")
                held = conn
                return try body(conn)
            }
        }
    }

    func vector(_ text: String, in space: EmbeddingSpace) async throws -> [Float] {
        try await Blocking.run {
            let embedder = try EmbedderFactory.make(space: space)
            KernelLog.announce(embedder, logger: LoggingSetup.logger("coachspool.search"))
            return try embedder.embed([text])[0].vector
        }
    }
}

extension SearchMode: ExpressibleByArgument {}
extension RetrievalSource: ExpressibleByArgument {}

struct SearchCommand: AsyncParsableCommand {

    @OptionGroup var common: CommonOptions
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "What best answers a question: knowledge chunks (vector, full-text or hybrid ranking) and/or well-rated answers from the conversation memory.")

    @OptionGroup var retrieval: RetrievalOptions

    @Option(help: "knowledge (documents), conversations (well-rated exchanges of users with retrieval consent, by vector similarity) or all (both lists).")
    var source: RetrievalSource = .knowledge

    @Flag(help: "One JSON object: {question, space, mode, results: [{rank, score, title, source, document_id, chunk_id, text}], conversations: [{rank, score, interaction_id, occurred_at, rating, text}]}; with no knowledge results also space_chunks, the space's chunk count (0: nothing to search yet; more: nothing matched).")
    var json = false

    func run() async throws {
        let found = try await retrieval.retrieve(from: source)
        let (space, hits, conversations, spaceChunks) = (found.space, found.chunks, found.memories, found.spaceChunks)
        if json {
            var out = JSONWriter()
            out.object {
                $0.field("question") { $0.string(retrieval.question) }
                $0.field("space") { $0.integer(space.id) }
                $0.field("mode") { $0.string(retrieval.mode.rawValue) }
                $0.field("results") { RetrievalJSON.write(hits, into: &$0) }
                $0.field("conversations") { RetrievalJSON.write(conversations, into: &$0) }
                if let spaceChunks { $0.field("space_chunks") { $0.integer(spaceChunks) } }
            }
            out.newline()
            try out.flush(to: STDOUT_FILENO)
            return
        }
        if source != .conversations {
            if let spaceChunks { print(retrieval.nothingFound(in: space.id, chunks: spaceChunks)) }
            for (rank, hit) in hits.enumerated() {
                print("\(rank + 1). [\(String(format: "%.3f", hit.score))] \(hit.title)\(hit.source.map { " (\($0))" } ?? "")")
                print("   " + hit.text.replacingOccurrences(of: "\n", with: "\n   "))
            }
        }
        if source != .knowledge {
            print(source == .all ? "\nFrom the conversation memory (rated 4 or 5):" : "From the conversation memory (rated 4 or 5):")
            MemoryOutput.print(conversations)
        }
    }
}

/// A recall: what one user said before, nearest to a question.
struct RecallCommand: AsyncParsableCommand {
    @OptionGroup var common: CommonOptions
    @OptionGroup var read: ReadOptions
    static let configuration = CommandConfiguration(
        commandName: "recall",
        abstract: "A user's earlier exchanges nearest to a question (the conversation memory: users with retrieval consent only; texts redacted).",
        discussion: "SQL: SELECT * FROM coachspool.recall(user_id, query_vector, k).")

    @Argument(help: "The question.")
    var question: String

    @Option(help: "The user id, as the app logs it.")
    var user: String

    @Option(name: .short, help: "How many exchanges.")
    var k = 3

    @Option(help: "Use this embedding space instead of the active one.")
    var space: Int32?

    @Flag(help: "JSON: {user_sha256, space, results: [{rank, score, interaction_id, occurred_at, rating, text}]}.")
    var json = false

    func validate() throws {
        guard (1...100).contains(k) else { throw ValidationError("-k must be in 1...100") }
        guard !user.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("--user: expected a non-empty user id") }
        try checkLimit(question, InputLimits.query, "the question")
        try checkLimit(user, InputLimits.identifier, "--user")
    }

    func run() async throws {
        let (space, hits) = try await RetrievalService(CommandLineRetrieval(read: read))
            .recall(user: user, text: question, k: k, space: self.space)
        if json {
            var out = JSONWriter()
            out.object {
                $0.field("user_sha256") { $0.string(Erasure.digest(of: user)) }
                $0.field("space") { $0.integer(space.id) }
                $0.field("results") { RetrievalJSON.write(hits, into: &$0) }
            }
            out.newline()
            try out.flush(to: STDOUT_FILENO)
            return
        }
        if hits.isEmpty { print("nothing remembered for this user (no retrieval consent, or no accepted exchange yet)") }
        MemoryOutput.print(hits)
    }
}

/// How memory hits are printed (their JSON: `RetrievalJSON`).
enum MemoryOutput {
    static func print(_ hits: [Memory.Hit]) {
        for (rank, hit) in hits.enumerated() {
            Swift.print("\(rank + 1). [\(String(format: "%.3f", hit.score))] interaction \(hit.interactionID), \(hit.occurredAt)\(hit.rating.map { ", rated \($0)" } ?? "")")
            Swift.print("   " + hit.text.replacingOccurrences(of: "\n", with: "\n   "))
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
        let found = try await retrieval.retrieve()
        let hits = found.chunks
        let passages = RagContext.passages(hits.map(\.retrieved))
        let prompt = RagPrompt.make(question: retrieval.question, language: retrieval.questionLanguage, passages: passages)
        print(prompt)
        print("\nSources:")
        if let spaceChunks = found.spaceChunks { print("  none: " + retrieval.nothingFound(in: found.space.id, chunks: spaceChunks)) }
        for (number, passage) in passages.enumerated() {
            guard case .document(_, let title, let source) = passage.source else { continue }
            let score = passage.members.map { hits[$0].score }.max() ?? 0
            let chunks = passage.members.count == 1 ? "" : ", \(passage.members.count) chunks"
            print("  [\(number + 1)] \(title)\(source.map { " — \($0)" } ?? "") (score \(String(format: "%.3f", score))\(chunks))")
        }
        guard let chat else { return }
        let answer = try await Blocking.run { try chat.complete(prompt) }
        print("\nAnswer (\(chat.model)):\n\(answer)")
    }
}

/// The HTTP API's limits, for the same values on the command line (a usage error, exit 64).
func checkLimit(_ value: String?, _ limit: TextLimit, _ name: String) throws {
    if let value, let problem = limit.problem(value) { throw ValidationError("\(name): \(problem)") }
}
