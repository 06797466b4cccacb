/// What produced a vector: part of an embedding space's identity (vectors of different
/// embedders, models or dimensions are never compared).
public struct EmbedderIdentity: Sendable, Hashable, CustomStringConvertible {
    /// `minilm`, `hash` or `openai`.
    public var kind: String
    public var model: String
    public var dimensions: Int

    public init(kind: String, model: String, dimensions: Int) {
        self.kind = kind
        self.model = model
        self.dimensions = dimensions
    }

    public var description: String { "\(kind):\(model):\(dimensions)" }
}

/// One text's vector (unit length) and the tokens the model saw.
public struct Embedding: Sendable, Equatable {
    public var vector: [Float]
    /// Model tokens of the (possibly truncated) input; `nil` when the embedder does not say.
    public var tokens: Int?

    public init(vector: [Float], tokens: Int?) {
        self.vector = vector
        self.tokens = tokens
    }
}

/// Turns texts into vectors, one per text, in order. Calls block (the model computes, or the
/// endpoint answers): run them on a thread of their own, not on Swift's cooperative pool.
public protocol Embedder: Sendable {
    var identity: EmbedderIdentity { get }
    func embed(_ texts: [String]) throws -> [Embedding]
    /// The tokens each text costs the model (after its truncation), without embedding; nil when
    /// the embedder cannot say cheaply (an endpoint). Lets a server refuse work it cannot bound.
    func tokenCounts(_ texts: [String]) -> [Int]?
}

extension Embedder {
    public func tokenCounts(_ texts: [String]) -> [Int]? { nil }
}
