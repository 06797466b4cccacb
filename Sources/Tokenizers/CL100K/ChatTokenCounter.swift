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
        var total = Self.tokensPerMessage + encoding.count(message.role) + encoding.count(message.content)
        if let name = message.name { total += encoding.count(name) + Self.tokensPerName }
        return total
    }

    /// Tokens of a whole example.
    public func count(_ messages: [Message]) -> Int {
        messages.reduce(Self.replyPriming) { $0 + count($1) }
    }
}
