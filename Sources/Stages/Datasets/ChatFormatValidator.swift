import Foundation
import Tokenizers

/// OpenAI's format checks for chat fine-tuning files (the cookbook "Data preparation and
/// analysis for chat model fine-tuning"), applied to one serialised JSON Lines example — the
/// bytes that will be uploaded, not our typed value — plus the per-example token limit.
public struct ChatFormatValidator: Sendable {
    /// Why an example is excluded; the names are the cookbook's.
    public enum Reason: String, Sendable, CaseIterable {
        case dataType = "data_type"
        case missingMessagesList = "missing_messages_list"
        case messageMissingKey = "message_missing_key"
        case messageUnrecognizedKey = "message_unrecognized_key"
        case unrecognizedRole = "unrecognized_role"
        case missingContent = "missing_content"
        case exampleMissingAssistantMessage = "example_missing_assistant_message"
        case invalidWeight = "invalid_weight"
        case overTokenLimit = "over_token_limit"
    }

    /// The cookbook's limit per example (gpt-3.5-turbo's 16,385-token context).
    public static let defaultMaxTokens = 16_385

    public let counter: ChatTokenCounter
    public let maxTokens: Int

    public init(counter: ChatTokenCounter, maxTokens: Int = ChatFormatValidator.defaultMaxTokens) {
        self.counter = counter
        self.maxTokens = maxTokens
    }

    public struct Result: Sendable, Equatable {
        public var reasons: Set<Reason>
        /// Cookbook token count of the example (when its messages could be read).
        public var tokens: Int?
        public var isValid: Bool { reasons.isEmpty }
    }

    /// `knownTokens`: the example's token count when the caller has it from the same counter over
    /// the same messages (a stored example written as it is); every other check still reads `line`.
    public func validate(line: some Collection<UInt8>, knownTokens: Int? = nil) -> Result {
        guard let example = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
            return Result(reasons: [.dataType], tokens: nil)
        }
        guard let messages = example["messages"] as? [Any], !messages.isEmpty else {
            return Result(reasons: [.missingMessagesList], tokens: nil)
        }
        var reasons: Set<Reason> = []
        var counted: [ChatTokenCounter.Message] = []
        var hasAssistant = false
        for item in messages {
            guard let message = item as? [String: Any] else {
                reasons.insert(.dataType)
                continue
            }
            if message["role"] == nil || message["content"] == nil { reasons.insert(.messageMissingKey) }
            if message.keys.contains(where: { !["role", "content", "name", "function_call", "weight"].contains($0) }) {
                reasons.insert(.messageUnrecognizedKey)
            }
            let role = message["role"] as? String
            if !["system", "user", "assistant", "function"].contains(role ?? "") { reasons.insert(.unrecognizedRole) }
            let content = message["content"] as? String
            if content?.isEmpty ?? true, message["function_call"] == nil { reasons.insert(.missingContent) }
            if let weight = message["weight"] {
                if role != "assistant" || !((weight as? Int).map { $0 == 0 || $0 == 1 } ?? false) { reasons.insert(.invalidWeight) }
            }
            if role == "assistant" { hasAssistant = true }
            counted.append(ChatTokenCounter.Message(role: role ?? "", content: content ?? "", name: message["name"] as? String))
        }
        if !hasAssistant { reasons.insert(.exampleMissingAssistantMessage) }
        let tokens = knownTokens ?? counter.count(counted)
        if tokens > maxTokens { reasons.insert(.overTokenLimit) }
        return Result(reasons: reasons, tokens: tokens)
    }
}
