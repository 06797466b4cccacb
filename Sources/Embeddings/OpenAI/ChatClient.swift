import CoachSpoolCore
import Foundation

/// An OpenAI-compatible `POST {base}/chat/completions`, for `coachspool rag` when a chat model
/// is configured. Same retry rules and key handling as the embeddings client.
public struct ChatClient: Sendable {
    public var baseURL: URL
    public var model: String
    public var apiKey: String?
    public var timeoutSeconds = 120.0

    public init(baseURL: URL, model: String, apiKey: String?) {
        self.baseURL = baseURL
        self.model = model
        self.apiKey = apiKey
    }

    /// Configured when `COACHSPOOL_CHAT_MODEL` is set; endpoint and key as for embeddings.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ChatClient? {
        guard let model = environment["COACHSPOOL_CHAT_MODEL"], !model.isEmpty else { return nil }
        return try forModel(model, environment)
    }

    private struct Request: Encodable {
        struct Message: Encodable { var role: String; var content: String }
        var model: String
        var messages: [Message]
    }

    private struct Response: Decodable {
        struct Choice: Decodable {
            struct Message: Decodable { var content: String? }
            var message: Message
        }
        var choices: [Choice]
    }

    /// A client for `model` at the endpoint and with the key configured for embeddings (the
    /// judge of `eval answers`).
    public static func forModel(_ model: String, _ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ChatClient {
        let embeddings = try OpenAIEmbedder.Configuration.fromEnvironment(environment)
        return ChatClient(baseURL: embeddings.baseURL, model: model, apiKey: embeddings.apiKey)
    }

    /// The assistant's answer to one user message. Blocks.
    public func complete(_ prompt: String) throws -> String {
        let body = try JSONEncoder().encode(Request(model: model, messages: [.init(role: "user", content: prompt)]))
        let data = try HTTP.postWithRetries(
            url: baseURL.appendingPathComponent("chat/completions"), body: body, apiKey: apiKey,
            policy: HTTP.RetryPolicy(timeoutSeconds: timeoutSeconds, maxAttempts: 4, baseSeconds: 1, maxSeconds: 30))
        guard let response = try? JSONDecoder().decode(Response.self, from: data), let content = response.choices.first?.message.content else {
            throw CoachSpoolError.badResponse("no choices[0].message.content")
        }
        return content
    }
}
