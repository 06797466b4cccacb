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
        // The exported line's usual shape by the byte scanner; anything it is not sure of by
        // `JSONSerialization`. Both give the same messages to the one set of checks below.
        let fast = line.withContiguousStorageIfAvailable { Self.scannedMessages($0) } ?? Array(line).withUnsafeBufferPointer { Self.scannedMessages($0) }
        return verdict(fast ?? Self.serializedMessages(line), knownTokens: knownTokens)
    }

    /// The checks, over a line's messages (nil: the line is not a JSON object).
    func verdict(_ messages: [Message?]?, knownTokens: Int?) -> Result {
        guard let messages else {
            return Result(reasons: [.dataType], tokens: nil)
        }
        guard !messages.isEmpty else {
            return Result(reasons: [.missingMessagesList], tokens: nil)
        }
        var reasons: Set<Reason> = []
        var counted: [ChatTokenCounter.Message] = []
        var hasAssistant = false
        for item in messages {
            guard let message = item else {
                reasons.insert(.dataType)
                continue
            }
            if !message.hasRole || !message.hasContent { reasons.insert(.messageMissingKey) }
            if message.hasUnrecognizedKey { reasons.insert(.messageUnrecognizedKey) }
            if !["system", "user", "assistant", "function"].contains(message.role ?? "") { reasons.insert(.unrecognizedRole) }
            if message.content?.isEmpty ?? true, !message.hasFunctionCall { reasons.insert(.missingContent) }
            if let weight = message.weight {
                if message.role != "assistant" || !(weight.map { $0 == 0 || $0 == 1 } ?? false) { reasons.insert(.invalidWeight) }
            }
            if message.role == "assistant" { hasAssistant = true }
            counted.append(ChatTokenCounter.Message(role: message.role ?? "", content: message.content ?? "", name: message.name))
        }
        if !hasAssistant { reasons.insert(.exampleMissingAssistantMessage) }
        let tokens = knownTokens ?? counter.count(counted)
        if tokens > maxTokens { reasons.insert(.overTokenLimit) }
        return Result(reasons: reasons, tokens: tokens)
    }

    /// One message of a line as the checks see it (nil in a list: not an object).
    struct Message: Equatable {
        var hasRole = false, hasContent = false, hasFunctionCall = false, hasUnrecognizedKey = false
        /// Nil when absent or not a string.
        var role: String?, content: String?, name: String?
        /// Nil: no weight; `.some(nil)`: a weight that is not an integer.
        var weight: Int??
    }

    /// The messages of a line (nil: not an object; nil inside: not an object either; no
    /// `messages` list: empty) by `JSONSerialization`, which reads any JSON.
    static func serializedMessages(_ line: some Collection<UInt8>) -> [Message?]? {
        guard let example = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else { return nil }
        guard let messages = example["messages"] as? [Any] else { return [] }
        return messages.map { item in
            guard let message = item as? [String: Any] else { return nil }
            return Message(
                hasRole: message["role"] != nil, hasContent: message["content"] != nil,
                hasFunctionCall: message["function_call"] != nil,
                hasUnrecognizedKey: message.keys.contains { !["role", "content", "name", "function_call", "weight"].contains($0) },
                role: message["role"] as? String, content: message["content"] as? String, name: message["name"] as? String,
                weight: message["weight"].map { $0 as? Int })
        }
    }

    private static let lineKeys: [StaticString] = ["messages"]
    private static let messageKeys: [StaticString] = ["role", "content", "name", "weight"]

    /// The same by the byte scanner, for `{"messages": [{"role": "…", "content": "…", "name":
    /// "…", "weight": 0|1}, …]}` with string and integer values only; nil when not sure.
    static func scannedMessages(_ line: UnsafeBufferPointer<UInt8>) -> [Message?]? {
        var scanner = JSONByteScanner(bytes: line)
        var messages: [Message?]?
        let ok = scanner.object(keys: lineKeys) { scanner, _ in
            var list: [Message?] = []
            let ok = scanner.array { scanner in
                var message = Message()
                let ok = scanner.object(keys: messageKeys) { scanner, key in
                    switch (key, scanner.value()) {
                    case (0, .string(let role)?): (message.hasRole, message.role) = (true, role)
                    case (1, .string(let content)?): (message.hasContent, message.content) = (true, content)
                    case (2, .string(let name)?): message.name = name
                    case (3, .integer(let weight)?): message.weight = .some(Int(weight))
                    default: return false
                    }
                    return true
                }
                list.append(message)
                return ok
            }
            messages = list
            return ok
        }
        guard ok, scanner.atEnd() else { return nil }
        return messages
    }
}
