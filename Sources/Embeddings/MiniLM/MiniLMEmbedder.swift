import Foundation

/// sentence-transformers/all-MiniLM-L6-v2 in process: WordPiece, the 6-layer encoder on OpenBLAS,
/// mean pooling, L2 normalisation. Equal to `SentenceTransformer.encode(normalize_embeddings=True)`.
public final class MiniLMEmbedder: Embedder {
    /// The folder name `scripts/fetch-model.sh` writes under the models directory.
    public static let folderName = "all-MiniLM-L6-v2"

    public let identity: EmbedderIdentity
    public let tokenizer: BertTokenizer
    /// Texts per forward pass. Texts are sorted by length first, so a batch holds similar lengths.
    public let batchSize: Int
    private let encoder: BertEncoder

    /// - Parameters:
    ///   - directory: the model folder (`model.safetensors`, `vocab.txt`, `config.json`).
    ///   - threads: OpenBLAS threads (process-wide); `nil` keeps OpenBLAS's default (the cores).
    public init(directory: String, batchSize: Int = 32, threads: Int? = nil, maxLength: Int = 256) throws {
        guard batchSize > 0 else { throw EmbeddingError.invalidConfiguration("batch size must be positive, not \(batchSize)") }
        let configuration = try BertConfiguration(contentsOf: directory + "/config.json")
        guard maxLength >= 2, maxLength <= configuration.maxPositions else {
            throw EmbeddingError.invalidConfiguration("max length \(maxLength) must be in 2...\(configuration.maxPositions)")
        }
        let vocabulary = try WordPieceVocabulary(contentsOf: directory + "/vocab.txt")
        guard vocabulary.count == configuration.vocabularySize else {
            throw EmbeddingError.badModelFile(
                path: directory + "/vocab.txt", reason: "\(vocabulary.count) pieces, config.json says \(configuration.vocabularySize)")
        }
        let weights = try BertWeights(file: try SafeTensorsFile(path: directory + "/model.safetensors"), configuration: configuration)
        if let threads {
            guard threads > 0 else { throw EmbeddingError.invalidConfiguration("threads must be positive, not \(threads)") }
            BLAS.setThreads(threads)
        }
        self.tokenizer = BertTokenizer(vocabulary: vocabulary, maxLength: maxLength)
        self.encoder = BertEncoder(weights: weights)
        self.batchSize = batchSize
        self.identity = EmbedderIdentity(kind: "minilm", model: "sentence-transformers/all-MiniLM-L6-v2", dimensions: configuration.hiddenSize)
    }

    public convenience init(modelsDirectory: String, batchSize: Int = 32, threads: Int? = nil) throws {
        try self.init(directory: modelsDirectory + "/" + Self.folderName, batchSize: batchSize, threads: threads)
    }

    public func embed(_ texts: [String]) -> [Embedding] {
        embed(encodings: texts.map(tokenizer.encode))
    }

    /// Embeds already tokenized texts (as `tokenizer.encode` gives them).
    public func embed(encodings: [BertTokenizer.Encoding]) -> [Embedding] {
        let order = encodings.indices.sorted { encodings[$0].ids.count > encodings[$1].ids.count }
        var results = [Embedding?](repeating: nil, count: encodings.count)
        var start = 0
        while start < order.count {
            let batch = order[start..<min(start + batchSize, order.count)]
            let vectors = encoder.embed(batch.map { encodings[$0].ids })
            for (index, vector) in zip(batch, vectors) {
                results[index] = Embedding(vector: vector, tokens: encodings[index].ids.count)
            }
            start += batchSize
        }
        return results.map { $0! }
    }
}
