extension ChatMessage {
    /// Messages as stored (`examples.messages` and the like, jsonb's text: `[{"role": …,
    /// "content": …, "weight": …}, …]`) by the byte scanner; nil when it is not sure (an unknown
    /// key, a weight that is not an integer…): the caller then takes `JSONDecoder`, which gives
    /// the messages or the error. Never a different result: `ChatJSONFastPathTests`.
    public static func messages(json bytes: UnsafeBufferPointer<UInt8>) -> [ChatMessage]? {
        var scanner = JSONByteScanner(bytes: bytes)
        guard let messages = scanner.chatMessages(), scanner.atEnd() else { return nil }
        return messages
    }
}

extension JSONByteScanner {
    private static let messageKeys: [StaticString] = ["role", "content", "weight"]

    /// `[{"role": …, "content": …, "weight": …}, …]` (the weight may be null or absent).
    mutating func chatMessages() -> [ChatMessage]? {
        var messages: [ChatMessage] = []
        let ok = array {
            var role: ChatMessage.Role?
            var content: String?
            var weight: Int?
            let ok = $0.object(keys: Self.messageKeys) { scanner, key in
                switch (key, scanner.value()) {
                case (0, .string(let name)?): role = ChatMessage.Role(rawValue: name)
                case (1, .string(let text)?): content = text
                case (2, .integer(let value)?): weight = Int(value)
                case (2, .null?): break
                default: return false
                }
                return true
            }
            guard ok, let role, let content else { return false }
            messages.append(ChatMessage(role: role, content: content, weight: weight))
            return true
        }
        return ok ? messages : nil
    }
}
