import CoachSpoolCore
import Embeddings

/// Coalesces concurrent embedding requests into batches of up to `maxBatch` texts, one batch at a
/// time on a thread of its own: the model computes a batch of 32 far faster than 32 batches of 1,
/// and requests never run it on the cooperative pool.
actor EmbeddingBatcher {
    private let embedder: any Embedder
    private let maxBatch: Int
    private var pending: [(texts: [String], continuation: CheckedContinuation<[Embedding], any Error>)] = []
    private var draining = false

    init(embedder: any Embedder, maxBatch: Int) {
        self.embedder = embedder
        self.maxBatch = max(1, maxBatch)
    }

    func embed(_ texts: [String]) async throws -> [Embedding] {
        guard !texts.isEmpty else { return [] }
        return try await withCheckedThrowingContinuation { continuation in
            pending.append((texts, continuation))
            if !draining {
                draining = true
                Task { await drain() }
            }
        }
    }

    /// Takes whole requests while they fit (a request larger than a batch goes alone), embeds
    /// them in one call, and hands each request its slice.
    private func drain() async {
        while !pending.isEmpty {
            var batch: [(texts: [String], continuation: CheckedContinuation<[Embedding], any Error>)] = []
            var count = 0
            while let next = pending.first, batch.isEmpty || count + next.texts.count <= maxBatch {
                batch.append(pending.removeFirst())
                count += next.texts.count
            }
            let texts = batch.flatMap(\.texts)
            let embedder = self.embedder
            do {
                let embeddings = try await Blocking.run(name: "coachspool-embed") { try embedder.embed(texts) }
                var start = 0
                for request in batch {
                    request.continuation.resume(returning: Array(embeddings[start..<start + request.texts.count]))
                    start += request.texts.count
                }
            } catch {
                for request in batch { request.continuation.resume(throwing: error) }
            }
        }
        draining = false
    }
}
