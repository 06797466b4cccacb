import CoachSpoolCore
internal import CEncoderKernels
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
    /// Forward passes run at the same time, each on one thread with single-threaded OpenBLAS.
    public let threads: Int
    private let encoder: BertEncoder
    private let workspaces = WorkspacePool()

    /// - Parameters:
    ///   - directory: the model folder (`model.safetensors`, `vocab.txt`, `config.json`).
    ///   - threads: batches computed in parallel (default: the active cores). OpenBLAS is set to
    ///     one thread, process-wide: whole batches on separate cores scale better than one
    ///     product split across cores, and the element-wise work runs in parallel too.
    public init(directory: String, batchSize: Int = 32, threads: Int? = nil, maxLength: Int = 256) throws {
        guard batchSize > 0 else { throw CoachSpoolError.invalidConfiguration("batch size must be positive, not \(batchSize)") }
        let configuration = try BertConfiguration(contentsOf: directory + "/config.json")
        guard maxLength >= 2, maxLength <= configuration.maxPositions else {
            throw CoachSpoolError.invalidConfiguration("max length \(maxLength) must be in 2...\(configuration.maxPositions)")
        }
        let vocabulary = try WordPieceVocabulary(contentsOf: directory + "/vocab.txt")
        guard vocabulary.count == configuration.vocabularySize else {
            throw CoachSpoolError.badModelFile(
                path: directory + "/vocab.txt", reason: "\(vocabulary.count) pieces, config.json says \(configuration.vocabularySize)")
        }
        let weights = try BertWeights(file: try SafeTensorsFile(path: directory + "/model.safetensors"), configuration: configuration)
        let threads = threads ?? ProcessInfo.processInfo.activeProcessorCount
        guard threads > 0 else { throw CoachSpoolError.invalidConfiguration("threads must be positive, not \(threads)") }
        let blas = try OpenBLAS.shared()
        blas.setThreads(1)
        self.threads = threads
        self.tokenizer = BertTokenizer(vocabulary: vocabulary, maxLength: maxLength)
        self.encoder = BertEncoder(weights: weights, blas: blas)
        self.batchSize = batchSize
        self.identity = EmbedderIdentity(kind: "minilm", model: "sentence-transformers/all-MiniLM-L6-v2", dimensions: configuration.hiddenSize)
    }

    /// The encoder kernels chosen for this CPU: `avx512`, `avx2+fma` or `baseline`.
    public static var instructionSet: String { String(cString: cs_instruction_set()) }

    public convenience init(modelsDirectory: String, batchSize: Int = 32, threads: Int? = nil) throws {
        try self.init(directory: modelsDirectory + "/" + Self.folderName, batchSize: batchSize, threads: threads)
    }

    public func embed(_ texts: [String]) -> [Embedding] {
        embed(encodings: texts.map(tokenizer.encode))
    }

    public func tokenCounts(_ texts: [String]) -> [Int]? {
        texts.map { tokenizer.encode($0).ids.count }
    }

    /// Embeds already tokenized texts (as `tokenizer.encode` gives them).
    ///
    /// Texts are sorted by length (longest first) and cut into parts of at most `batchSize`
    /// (smaller when there are fewer texts than `threads` × `batchSize`, so that every thread
    /// has work); `threads` workers take parts in turn.
    public func embed(encodings: [BertTokenizer.Encoding]) -> [Embedding] {
        guard !encodings.isEmpty else { return [] }
        let order = encodings.indices.sorted { encodings[$0].ids.count > encodings[$1].ids.count }
        let partSize = max(1, min(batchSize, (order.count + threads - 1) / threads))
        let parts = stride(from: 0, to: order.count, by: partSize).map { order[$0..<min($0 + partSize, order.count)] }
        let results = ResultSlots(count: encodings.count)
        let next = PartCounter()
        let work: @Sendable () -> Void = {
            let workspace = self.workspaces.take()
            defer { self.workspaces.give(workspace) }
            while let index = next.take(below: parts.count) {
                let part = parts[index]
                let vectors = self.encoder.embed(part.map { encodings[$0].ids }, workspace: workspace)
                for (position, vector) in zip(part, vectors) {
                    results.set(position, Embedding(vector: vector, tokens: encodings[position].ids.count))
                }
            }
        }
        if threads == 1 || parts.count == 1 {
            work()
        } else {
            DispatchQueue.concurrentPerform(iterations: min(threads, parts.count)) { _ in work() }
        }
        return results.values
    }
}

/// Workspaces kept between calls (one per concurrent forward pass).
private final class WorkspacePool: @unchecked Sendable {  // state guarded by `lock`
    private let lock = NSLock()
    private var idle: [EncoderWorkspace] = []

    func take() -> EncoderWorkspace {
        lock.withLock { idle.popLast() } ?? EncoderWorkspace()
    }

    func give(_ workspace: EncoderWorkspace) {
        lock.withLock { idle.append(workspace) }
    }
}

/// Hands out part indices to worker threads.
private final class PartCounter: @unchecked Sendable {  // state guarded by `lock`
    private let lock = NSLock()
    private var next = 0

    func take(below limit: Int) -> Int? {
        lock.withLock {
            guard next < limit else { return nil }
            defer { next += 1 }
            return next
        }
    }
}

/// One result per input position, filled by worker threads at disjoint positions.
private final class ResultSlots: @unchecked Sendable {  // state guarded by `lock`
    private let lock = NSLock()
    private var slots: [Embedding?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ embedding: Embedding) {
        lock.withLock { slots[index] = embedding }
    }

    var values: [Embedding] { lock.withLock { slots.map { $0! } } }
}
