/// Tokens of an OpenAI chat fine-tuning example by the OpenAI cookbook's formula:
/// 3 per message, plus the tokens of every string value of the message (the role too), plus 1
/// per `name`, plus 3 for the reply priming.
///
/// An estimate of what OpenAI bills, not the exact server-side rendering; exports use it for
/// the per-example limit and the cost estimate, as the cookbook does.
public struct ChatTokenCounter: Sendable {
    public static let tokensPerMessage = 3
    public static let tokensPerName = 1
    public static let replyPriming = 3

    public struct Message: Sendable, Equatable {
        public var role: String
        public var content: String
        public var name: String?

        public init(role: String, content: String, name: String? = nil) {
            self.role = role
            self.content = content
            self.name = name
        }
    }

    public let encoding: CL100K

    public init(encoding: CL100K) {
        self.encoding = encoding
    }

    /// Tokens of one message, without the reply priming.
    public func count(_ message: Message) -> Int {
        count(message, tokens: encoding.count)
    }

    /// Tokens of a whole example.
    public func count(_ messages: [Message]) -> Int {
        messages.reduce(Self.replyPriming) { $0 + count($1) }
    }

    /// Tokens of a whole example, each distinct string tokenized once across the calls that
    /// share `memo` (the examples of one conversation repeat its messages).
    public func count(_ messages: [Message], memo: inout [TextBytes: Int]) -> Int {
        messages.reduce(Self.replyPriming) { total, message in
            total + count(message) { text in
                let key = TextBytes(text)
                if let known = memo[key] { return known }
                let tokens = encoding.count(text)
                memo[key] = tokens
                return tokens
            }
        }
    }

    private func count(_ message: Message, tokens: (String) -> Int) -> Int {
        var total = Self.tokensPerMessage + tokens(message.role) + tokens(message.content)
        if let name = message.name { total += tokens(name) + Self.tokensPerName }
        return total
    }
}

/// A string as a key of its UTF-8 bytes. A memo of token counts must not take canonically
/// equivalent texts for one ("é" as one scalar, or "e" and a combining accent: different bytes,
/// different tokens), as `String`'s own equality and hash do; and hashing bytes skips the
/// normalisation `String` hashing does for non-ASCII text.
public struct TextBytes: Hashable, Sendable {
    public let text: String

    public init(_ text: String) {
        self.text = text
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.text.utf8.count == rhs.text.utf8.count && lhs.text.utf8.elementsEqual(rhs.text.utf8)
    }

    public func hash(into hasher: inout Hasher) {
        var text = text
        text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}
