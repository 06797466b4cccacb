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
    public func count(_ messages: [Message], memo: inout [String: Int]) -> Int {
        messages.reduce(Self.replyPriming) { total, message in
            total + count(message) { text in
                if let known = memo[text] { return known }
                let tokens = encoding.count(text)
                memo[text] = tokens
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
