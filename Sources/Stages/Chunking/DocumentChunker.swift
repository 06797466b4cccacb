/// What a worker does with a knowledge document before embedding it, as a pure function: cut it
/// into chunks and redact each (nothing is embedded unredacted), keeping where each chunk starts
/// in the original body (Unicode scalars), so that a search hit can point into the document.
public struct DocumentChunker: Sendable {
    public let splitter: RecursiveCharacterSplitter
    public let redactor: Redactor

    public init(splitter: RecursiveCharacterSplitter, redactor: Redactor = Redactor()) {
        self.splitter = splitter
        self.redactor = redactor
    }

    public struct Chunk: Sendable, Equatable {
        /// The redacted text.
        public var text: String
        /// The start of the (unredacted) chunk in the body, in Unicode scalars.
        public var start: Int32
    }

    /// The chunks of `body`, in order; empty when the body has no text to chunk.
    public func chunks(of body: String) -> [Chunk] {
        var pieces: [Chunk] = []
        var offset = 0
        var position = body.unicodeScalars.startIndex
        for chunk in splitter.chunks(of: body) {
            offset += body.unicodeScalars.distance(from: position, to: chunk.startIndex)
            position = chunk.startIndex
            pieces.append(Chunk(text: redactor.redact(String(chunk)).text, start: Int32(offset)))
        }
        return pieces
    }
}
