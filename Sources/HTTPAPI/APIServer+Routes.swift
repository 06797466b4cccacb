import CoachSpoolCore
import Embeddings
import Foundation
import Hummingbird
import Knowledge
import LibPQ
import Privacy
import Spool
import Stages

extension APIServer {
    /// OpenAI's `POST /v1/embeddings`: `input` (a string or an array of strings), `model` (the
    /// served model, by its full or short name), `encoding_format` (`float` or `base64`: little-
    /// endian float32), `dimensions` (only the model's own), `user` (ignored). Concurrent requests
    /// share forward passes.
    func embeddings(_ request: Request) async throws -> Response {
        let body = try await JSONBody(request)
        let texts = try embeddingInputs(body["input"])
        guard texts.count <= InputLimits.embeddingTexts else {
            throw APIError.badRequest("input", "expected at most \(InputLimits.embeddingTexts) texts")
        }
        for (index, text) in texts.enumerated() {
            if let problem = InputLimits.embeddingText.problem(text) { throw APIError.badRequest("input", "item \(index): \(problem)") }
        }
        let identity = embedder.identity
        let model = try body.string("model", limit: InputLimits.identifier)
        guard model == identity.model || model == identity.model.split(separator: "/").last.map(String.init) else {
            throw APIError(
                status: .notFound, message: "model \(APIError.quoted(model)) is not served here; use \(identity.model)", param: "model",
                code: "model_not_found")
        }
        let base64 = try body.optionalChoice("encoding_format", ["float", "base64"]) == "base64"
        if let dimensions = try body.optionalInt("dimensions", in: 1...100_000), dimensions != identity.dimensions {
            throw APIError.badRequest("dimensions", "this model has \(identity.dimensions) dimensions and cannot shorten them")
        }
        // The work one request may ask for, counted as the model will see it (each text cut to
        // the model's window), so that one client cannot hold the model for minutes.
        let embedder = self.embedder
        let counts = try await Blocking.run(name: "coachspool-tokenize") { embedder.tokenCounts(texts) }
        if let counts {
            let total = counts.reduce(0, +)
            guard total <= InputLimits.embeddingTokensPerRequest else {
                throw APIError.badRequest(
                    "input", "\(total) tokens in one request; at most \(InputLimits.embeddingTokensPerRequest): send fewer texts per request")
            }
        }
        let embeddings = try await batcher.embed(texts, tokens: counts)
        let tokens = embeddings.reduce(0) { $0 + ($1.tokens ?? 0) }
        let data: [[String: Any]] = embeddings.enumerated().map { index, embedding in
            let vector: Any = base64
                ? embedding.vector.withUnsafeBufferPointer { Data(buffer: $0) }.base64EncodedString()
                : embedding.vector.map { Double($0) }
            return ["object": "embedding", "index": index, "embedding": vector]
        }
        return jsonResponse([
            "object": "list", "data": data, "model": identity.model,
            "usage": ["prompt_tokens": tokens, "total_tokens": tokens],
        ])
    }

    /// OpenAI's `input`: a string, an array of strings, an array of token ids, or an array of such
    /// arrays. Token ids are cl100k_base's (what tiktoken gives OpenAI's embedding models, and
    /// what LangChain's `OpenAIEmbeddings` sends by default); they are decoded back to text.
    private func embeddingInputs(_ input: JSONValue?) throws -> [String] {
        func tokens(_ items: [JSONValue]) -> [UInt32]? {
            var ids: [UInt32] = []
            for item in items {
                guard case .number(let value) = item, value >= 0, value <= Double(UInt32.max), value == value.rounded() else { return nil }
                ids.append(UInt32(value))
            }
            return ids
        }
        func decoded(_ ids: [UInt32], _ index: Int) throws -> String {
            guard let encoding = cl100k else {
                throw APIError.badRequest("input", "token arrays need cl100k_base.tiktoken in COACHSPOOL_MODELS (scripts/fetch-tokenizer.sh); send text instead")
            }
            do {
                return String(decoding: try encoding.decode(ids), as: UTF8.self)
            } catch {
                throw APIError.badRequest("input", "item \(index): a token id is not in cl100k_base")
            }
        }
        switch input {
        case .string(let text)?: return [text]
        case .array(let items)? where !items.isEmpty:
            if let ids = tokens(items) { return [try decoded(ids, 0)] }
            return try items.enumerated().map { index, item in
                switch item {
                case .string(let text): return text
                case .array(let inner) where tokens(inner) != nil: return try decoded(tokens(inner)!, index)
                default:
                    throw APIError.badRequest("input", "expected a string, an array of strings, or token id arrays (item \(index) is neither)")
                }
            }
        default: throw APIError.badRequest("input", "expected a string, a non-empty array of strings, or token id arrays")
        }
    }

    /// `POST /v1/search`: `query`, `k` (1–100, default 3), `mode`, `language`, `document_source`
    /// (a prefix of the documents' source), `space`, and `source`: `knowledge` (the default; results
    /// in `data`), `conversations` (well-rated exchanges of consenting users, by vector similarity,
    /// in `data`) or `all` (knowledge in `data`, exchanges in `conversations`).
    func search(_ request: Request) async throws -> Response {
        let body = try await JSONBody(request)
        let found = try await retrieve(body, text: try body.string("query", limit: InputLimits.query))
        return jsonResponse { json in
            json.field("object") { $0.string("list") }
            json.field("space") { $0.integer(found.space.id) }
            switch found.source {
            case .knowledge, .all:
                json.field("mode") { $0.string(found.mode.rawValue) }
                json.field("data") { RetrievalJSON.write(found.chunks, into: &$0) }
            case .conversations:
                json.field("data") { RetrievalJSON.write(found.memories, into: &$0) }
            }
            if found.source != .knowledge { json.field("conversations") { RetrievalJSON.write(found.memories, into: &$0) } }
            if let spaceChunks = found.spaceChunks { json.field("space_chunks") { $0.integer(spaceChunks) } }
        }
    }

    /// `POST /v1/rag`: `question` and the search fields; the seed's prompt with its sources, and
    /// the answer when a chat model is configured (COACHSPOOL_CHAT_MODEL).
    /// `source` as in `/v1/search`: the prompt's context is the knowledge chunks, the memory's
    /// exchanges, or both (chunks first); `sources` and `conversations` list what was used, and
    /// `passages` the prompt's numbered passages (neighbouring chunks of a document merged).
    /// The prompt's `language`: the `language` field when it names Swedish or English, else the
    /// question's (detected), else Swedish.
    func rag(_ request: Request) async throws -> Response {
        let body = try await JSONBody(request)
        let question = try body.string("question", limit: InputLimits.query)
        let found = try await retrieve(body, text: question)
        let language = Language.resolve(tag: try body.optionalString("language", limit: InputLimits.language)) { question }
        let passages = RagContext.passages(found.chunks.map(\.retrieved) + found.memories.map(\.retrieved))
        let prompt = RagPrompt.make(question: question, language: language, passages: passages)
        var answer: String?
        if let chat { answer = try await Blocking.run { try chat.complete(prompt) } }
        return jsonResponse { json in
            json.field("mode") { $0.string(found.mode.rawValue) }
            json.field("language") { $0.string(language.rawValue) }
            json.field("prompt") { $0.string(prompt) }
            json.field("sources") { RetrievalJSON.write(found.chunks, into: &$0) }
            json.field("passages") { Self.writePassages(passages, chunks: found.chunks, into: &$0) }
            json.field("answer") { out in if let answer { out.string(answer) } else { out.null() } }
            if found.source != .knowledge { json.field("conversations") { RetrievalJSON.write(found.memories, into: &$0) } }
        }
    }

    /// `POST /v1/interactions`: the fields of `coachspool.log_interaction` without their `p_`
    /// prefix; 201 with the id (the same id again for the same exchange).
    func logInteraction(_ request: Request) async throws -> Response {
        let body = try await JSONBody(request)
        let userInput = try body.string("user_input", limit: InputLimits.message)
        let aiResponse = try body.string("ai_response", limit: InputLimits.message)
        let mode = (try body.optionalChoice("mode", Mode.self) ?? .personal).rawValue
        let session = try body.optionalString("session_id", limit: InputLimits.identifier)
        let turn = try body.optionalInt("turn_index", in: InputLimits.turnIndex)
        let user = try body.optionalString("user_id", limit: InputLimits.identifier)
        let language = try body.optionalString("language", limit: InputLimits.language)
        let rating = try body.optionalInt("rating", in: 1...5)
        let helpful = try body.optionalBool("helpful")
        let id = try body.optionalString("id", limit: InputLimits.identifier)
        let occurredAt: String? = try body.optionalString("occurred_at", limit: InputLimits.timestamp).map { text in
            guard let micros = ISOTimestamp.parseMicros(text) else {
                throw APIError.badRequest("occurred_at", "expected an ISO 8601 time with a zone (2025-10-01T08:00:00Z)")
            }
            return PGTimestamp.isoText(microsSinceUnixEpoch: micros)
        }
        let stored = try await pool.withConnection { conn in
            try conn.query("""
                SELECT coachspool.log_interaction(
                    p_user_input => \(userInput), p_ai_response => \(aiResponse), p_mode => \(mode), p_session_id => \(session),
                    p_turn_index => \(turn), p_user_id => \(user), p_language => \(language),
                    p_occurred_at => coalesce(\(occurredAt)::timestamptz, now()), p_rating => \(rating), p_helpful => \(helpful), p_id => \(id))
                """).scalar(Int64.self)
        }
        return jsonResponse(["id": stored], status: .created)
    }

    /// `POST /v1/feedback`: `interaction_id`, `rating` (1–5) and/or `helpful`; 404 for an unknown interaction.
    func logFeedback(_ request: Request) async throws -> Response {
        let body = try await JSONBody(request)
        guard let interaction = try body.optionalInt("interaction_id", in: 1...Int.max >> 11) else {
            throw APIError.badRequest("interaction_id", "expected an interaction id")
        }
        let rating = try body.optionalInt("rating", in: 1...5)
        let helpful = try body.optionalBool("helpful")
        guard rating != nil || helpful != nil else { throw APIError.badRequest("rating", "expected rating and/or helpful") }
        _ = try await pool.withConnection { conn in
            try conn.query("SELECT coachspool.log_feedback(\(Int64(interaction)), \(rating), \(helpful))")
        }
        return jsonResponse(["interaction_id": interaction, "recorded": true], status: .created)
    }

    /// `POST /v1/consent`: `user_id`, `purpose` (`training` or `retrieval`), `granted`: what
    /// `coachspool.set_consent` does (recorded with source `http`); 201 with whether anything
    /// changed. The answer repeats the purpose and the state, not the user id.
    func setConsent(_ request: Request) async throws -> Response {
        let body = try await JSONBody(request)
        let user = try body.string("user_id", limit: InputLimits.identifier)
        let purpose = try body.choice("purpose", Consent.Purpose.self)
        let granted = try body.bool("granted")
        let changed = try await pool.withConnection { try Consent.set($0, user: user, purpose: purpose, granted: granted, source: "http") }
        return jsonResponse(["purpose": purpose.rawValue, "granted": granted, "changed": changed], status: .created)
    }

    /// `POST /v1/recall`: `user_id`, `query`, `k`, `space`: the user's earlier exchanges
    /// (redacted; users with retrieval consent only) nearest to the query.
    func recall(_ request: Request) async throws -> Response {
        let body = try await JSONBody(request)
        let user = try body.string("user_id", limit: InputLimits.identifier)
        let text = try body.string("query", limit: InputLimits.query)
        let k = try body.optionalInt("k", in: 1...100) ?? 3
        let (space, hits) = try await retrieval.recall(user: user, text: text, k: k, space: try Self.space(body))
        return jsonResponse { json in
            json.field("object") { $0.string("list") }
            json.field("space") { $0.integer(space.id) }
            json.field("data") { RetrievalJSON.write(hits, into: &$0) }
        }
    }

    // MARK: - retrieval

    /// The one retrieval service (`Knowledge`), on this server's pool and batching embedder.
    var retrieval: RetrievalService<ServerRetrieval> {
        RetrievalService(ServerRetrieval(pool: pool, batcher: batcher, embedder: embedder))
    }

    /// What `/v1/search` and `/v1/rag` retrieve for a request's search fields and `source`.
    private func retrieve(_ body: JSONBody, text: String) async throws -> Retrieved {
        try await retrieval.retrieve(try searchQuery(body, text: text), from: try Self.source(body))
    }

    private static func source(_ body: JSONBody) throws -> RetrievalSource {
        try body.optionalChoice("source", RetrievalSource.self) ?? .knowledge
    }

    private static func space(_ body: JSONBody) throws -> Int32? {
        try body.optionalInt("space", in: 1...Int(Int32.max)).map(Int32.init)
    }

    /// The search fields of a request: `k`, `mode`, `space`, `language`, `document_source`.
    private func searchQuery(_ body: JSONBody, text: String) throws -> SearchQuery {
        let mode = try body.optionalChoice("mode", SearchMode.self) ?? .best
        return SearchQuery(
            text: text, k: try body.optionalInt("k", in: 1...100) ?? 3, space: try Self.space(body), mode: mode,
            language: try body.optionalString("language", limit: InputLimits.language),
            source: try body.optionalString("document_source", limit: InputLimits.documentID))
    }

    /// The prompt's passages by number: a document's (with the chunks merged into it) or a memory's.
    private static func writePassages(_ passages: [RagPassage], chunks: [SearchHit], into json: inout JSONWriter) {
        json.array(passages.enumerated()) { out, item in
            let (number, passage) = item
            out.object {
                $0.field("number") { $0.integer(number + 1) }
                switch passage.source {
                case .document(let id, let title, let source):
                    $0.field("document_id") { $0.integer(id) }
                    $0.field("title") { $0.string(title) }
                    $0.field("source") { out in if let source { out.string(source) } else { out.null() } }
                    $0.field("chunk_ids") { $0.array(passage.members) { $0.integer(chunks[$1].chunkID) } }
                case .memory(let interaction):
                    $0.field("interaction_id") { $0.integer(interaction) }
                }
            }
        }
    }
}

/// Retrieval on `serve`'s pool, embedding with the served embedder through the batcher: a space
/// of another embedder is refused (409) rather than searched with the wrong vectors.
struct ServerRetrieval: RetrievalBackend {
    let pool: ConnectionPool
    let batcher: EmbeddingBatcher
    let embedder: any Embedder

    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PGConnection) throws -> T) async throws -> T {
        try await pool.withConnection(body)
    }

    func vector(_ text: String, in space: EmbeddingSpace) async throws -> [Float] {
        let identity = embedder.identity
        guard space.embedder == identity.kind, space.model == identity.model, space.dimensions == identity.dimensions else {
            throw APIError(status: .conflict, message: "embedding space \(space.id) is \(space.embedder):\(space.model); this server embeds with \(identity): serve with that space's embedder, or use mode text", param: "space", code: nil)
        }
        return try await batcher.embed([text], tokens: embedder.tokenCounts([text]))[0].vector
    }
}
