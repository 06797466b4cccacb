import CoachSpoolCore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Any OpenAI-compatible `POST {base}/embeddings` endpoint (OpenAI, vLLM, TEI, Ollama, …).
///
/// Texts go out in batches of `batchSize`; 429 and 5xx answers and transport failures are
/// retried with exponential backoff and jitter, honouring `Retry-After` (seconds or an HTTP date)
/// and `retry-after-ms`; 400, 401, 403 and 404 fail at once with the endpoint's message. The key
/// is sent only as a bearer token: it never appears in errors or logs.
public struct OpenAIEmbedder: Embedder {
    public struct Configuration: Sendable {
        public var baseURL: URL
        public var model: String
        /// Sent as `dimensions` when set (text-embedding-3 models can shorten their vectors).
        public var dimensions: Int?
        public var apiKey: String?
        public var batchSize = 128
        public var timeoutSeconds = 60.0
        public var maxAttempts = 6
        public var backoffBaseSeconds = 0.5
        public var backoffMaxSeconds = 30.0

        public init(baseURL: URL, model: String, dimensions: Int? = nil, apiKey: String?) {
            self.baseURL = baseURL
            self.model = model
            self.dimensions = dimensions
            self.apiKey = apiKey
        }

        /// From the environment: `COACHSPOOL_OPENAI_BASE_URL` (or `OPENAI_BASE_URL`, default
        /// `https://api.openai.com/v1`), `COACHSPOOL_EMBEDDING_MODEL` (default
        /// `text-embedding-3-small`), `COACHSPOOL_EMBEDDING_DIMENSIONS` (default 384 for
        /// text-embedding-3 models, else the model's own), and the key from `OPENAI_API_KEY` or
        /// the file named by `OPENAI_API_KEY_FILE`.
        public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Configuration {
            let base = environment["COACHSPOOL_OPENAI_BASE_URL"] ?? environment["OPENAI_BASE_URL"] ?? "https://api.openai.com/v1"
            guard let url = URL(string: base), url.scheme == "http" || url.scheme == "https" else {
                throw CoachSpoolError.invalidConfiguration("COACHSPOOL_OPENAI_BASE_URL is not an http(s) URL")
            }
            let model = environment["COACHSPOOL_EMBEDDING_MODEL"] ?? "text-embedding-3-small"
            var dimensions: Int? = model.hasPrefix("text-embedding-3") ? 384 : nil
            if let text = environment["COACHSPOOL_EMBEDDING_DIMENSIONS"] {
                guard let value = Int(text), value > 0 else {
                    throw CoachSpoolError.invalidConfiguration("COACHSPOOL_EMBEDDING_DIMENSIONS must be a positive integer")
                }
                dimensions = value
            }
            return Configuration(baseURL: url, model: model, dimensions: dimensions, apiKey: try apiKey(environment))
        }

        static func apiKey(_ environment: [String: String]) throws -> String? {
            if let key = environment["OPENAI_API_KEY"], !key.isEmpty { return key }
            guard let path = environment["OPENAI_API_KEY_FILE"] else { return nil }
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw CoachSpoolError.invalidConfiguration("OPENAI_API_KEY_FILE \(path) cannot be read")
            }
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    public let configuration: Configuration
    public let identity: EmbedderIdentity

    /// `dimensions` of the identity: the configured one, or (when the endpoint decides) found by
    /// embedding one probe text.
    public init(configuration: Configuration) throws {
        guard configuration.batchSize > 0, configuration.maxAttempts > 0 else {
            throw CoachSpoolError.invalidConfiguration("batch size and attempts must be positive")
        }
        self.configuration = configuration
        var dimensions = configuration.dimensions ?? 0
        if dimensions == 0 {
            let client = EmbeddingsClient(configuration: configuration)
            dimensions = try client.embed(["dimension probe"])[0].count
        }
        identity = EmbedderIdentity(kind: "openai", model: configuration.model, dimensions: dimensions)
    }

    public func embed(_ texts: [String]) throws -> [Embedding] {
        let client = EmbeddingsClient(configuration: configuration)
        var results: [Embedding] = []
        results.reserveCapacity(texts.count)
        var start = 0
        while start < texts.count {
            let batch = Array(texts[start..<min(start + configuration.batchSize, texts.count)])
            for vector in try client.embed(batch) {
                guard vector.count == identity.dimensions else {
                    throw CoachSpoolError.badResponse("a vector of \(vector.count) dimensions, expected \(identity.dimensions)")
                }
                let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
                results.append(Embedding(vector: norm > 0 ? vector.map { $0 / norm } : vector, tokens: nil))
            }
            start += batch.count
        }
        return results
    }
}

/// One request at a time, with retries; blocks the calling thread.
struct EmbeddingsClient {
    let configuration: OpenAIEmbedder.Configuration

    private struct Request: Encodable {
        var model: String
        var input: [String]
        var encoding_format = "float"
        var dimensions: Int?
    }

    private struct Response: Decodable {
        struct Item: Decodable { var index: Int; var embedding: [Float] }
        var data: [Item]
    }

    func embed(_ texts: [String]) throws -> [[Float]] {
        let body = try JSONEncoder().encode(Request(model: configuration.model, input: texts, dimensions: configuration.dimensions))
        let data = try HTTP.postWithRetries(
            url: configuration.baseURL.appendingPathComponent("embeddings"), body: body, apiKey: configuration.apiKey,
            policy: HTTP.RetryPolicy(
                timeoutSeconds: configuration.timeoutSeconds, maxAttempts: configuration.maxAttempts,
                baseSeconds: configuration.backoffBaseSeconds, maxSeconds: configuration.backoffMaxSeconds))
        guard let response = try? JSONDecoder().decode(Response.self, from: data) else {
            throw CoachSpoolError.badResponse("no \"data\" list of {index, embedding}")
        }
        guard response.data.count == texts.count, Set(response.data.map(\.index)) == Set(0..<texts.count) else {
            throw CoachSpoolError.badResponse("\(response.data.count) embeddings for \(texts.count) inputs")
        }
        return response.data.sorted { $0.index < $1.index }.map(\.embedding)
    }
}
