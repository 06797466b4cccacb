import CoachSpoolCore
import Embeddings
import Foundation
import Synchronization

/// Coalesces concurrent embedding requests into batches of up to `maxBatch` texts and
/// `maxBatchTokens` tokens, one batch at a time on a thread of its own: the model computes a
/// batch of 32 short texts far faster than 32 batches of 1, and requests never run it on the
/// cooperative pool.
///
/// Fair: a batch is shared among the waiting requests (oldest first, an equal part each), and a
/// batch of long texts is short, so a request of one text waits for about one batch of
/// `maxBatchTokens` tokens, not for a request of two thousand texts ahead of it.
actor EmbeddingBatcher {
    private final class Pending {
        let texts: [String]
        /// Each text's tokens (an estimate from its length when the embedder cannot count).
        let tokens: [Int]
        var results: [Embedding] = []
        /// Tokens embedded for it so far: the next batch serves the least served first.
        var served = 0
        let continuation: CheckedContinuation<[Embedding], any Error>
        init(texts: [String], tokens: [Int], continuation: CheckedContinuation<[Embedding], any Error>) {
            self.texts = texts
            self.tokens = tokens
            self.continuation = continuation
            results.reserveCapacity(texts.count)
        }
        var remaining: Int { texts.count - results.count }
    }

    private let embedder: any Embedder
    private let maxBatch: Int
    /// Tokens per batch: with 256-token texts a batch of 32 would take seconds on two cores.
    private let maxBatchTokens: Int
    private var pending: [Pending] = []
    /// Tokens of the texts not yet embedded, and the most that may wait.
    private var queuedTokens = 0
    private let maxQueuedTokens: Int
    private var draining = false
    /// Texts embedded since the heap was last trimmed.
    private var textsSinceTrim = 0

    init(embedder: any Embedder, maxBatch: Int, maxBatchTokens: Int = 2_048, maxQueuedTokens: Int = .max) {
        self.embedder = embedder
        self.maxBatch = max(1, maxBatch)
        self.maxBatchTokens = max(1, maxBatchTokens)
        self.maxQueuedTokens = max(1, maxQueuedTokens)
    }

    /// The queue is full: the request is refused at once (the client retries after a while).
    struct Busy: Error {}

    /// `tokens`: each text's count, as `Embedder.tokenCounts` gives it (nil: estimated).
    func embed(_ texts: [String], tokens: [Int]?) async throws -> [Embedding] {
        guard !texts.isEmpty else { return [] }
        let tokens = tokens.flatMap { $0.count == texts.count ? $0 : nil } ?? texts.map { $0.utf8.count / 4 + 2 }
        let cost = tokens.reduce(0, +)
        // An empty queue always takes one request, however large (its size is capped per request).
        guard queuedTokens == 0 || queuedTokens + cost <= maxQueuedTokens else { throw Busy() }
        queuedTokens += cost
        return try await withCheckedThrowingContinuation { continuation in
            pending.append(Pending(texts: texts, tokens: tokens, continuation: continuation))
            if !draining {
                draining = true
                Task { await drain() }
            }
        }
    }

    /// The next batch: each waiting request's next texts, an equal share each (at least one
    /// text), the least served requests first (a new one-text request before requests of
    /// thousands that have had many passes), then any room left; never over `maxBatchTokens`
    /// unless a single text is.
    private func nextBatch() -> [(request: Pending, range: Range<Int>)] {
        // Stable: among equally served requests the oldest goes first.
        let order = pending.enumerated().sorted { ($0.element.served, $0.offset) < ($1.element.served, $1.offset) }.map(\.element)
        var batch: [(request: Pending, range: Range<Int>)] = []
        var room = maxBatch
        var tokenRoom = maxBatchTokens
        // First pass: an equal share of texts and tokens each; second: what is left, oldest first.
        let share = max(1, maxBatch / pending.count)
        let tokenShare = max(1, maxBatchTokens / pending.count)
        var taken: [ObjectIdentifier: Int] = [:]
        for pass in 0..<2 {
            for request in order where room > 0 {
                let already = taken[ObjectIdentifier(request), default: 0]
                let start = request.results.count + already
                var count = 0
                var spent = 0
                let most = min(request.remaining - already, pass == 0 ? share : room, room)
                while count < most {
                    let cost = request.tokens[start + count]
                    let fits = cost <= tokenRoom && (pass == 1 || spent + cost <= tokenShare || count == 0)
                    guard fits || (batch.isEmpty && count == 0) else { break }
                    tokenRoom -= cost
                    spent += cost
                    count += 1
                }
                guard count > 0 else { continue }
                batch.append((request, start..<start + count))
                taken[ObjectIdentifier(request), default: 0] += count
                room -= count
            }
        }
        return batch
    }

    private func drain() async {
        while !pending.isEmpty {
            let batch = nextBatch()
            let texts = batch.flatMap { $0.request.texts[$0.range] }
            let embedder = self.embedder
            do {
                let embeddings = try await Blocking.run(name: "coachspool-embed") { try embedder.embed(texts) }
                var start = 0
                for (request, range) in batch {
                    request.results.append(contentsOf: embeddings[start..<start + range.count])
                    let served = request.tokens[range].reduce(0, +)
                    request.served += served
                    queuedTokens -= served
                    start += range.count
                }
                textsSinceTrim += texts.count
            } catch {
                for request in Set(batch.map { ObjectIdentifier($0.request) }) {
                    guard let index = pending.firstIndex(where: { ObjectIdentifier($0) == request }) else { continue }
                    let failed = pending.remove(at: index)
                    queuedTokens -= failed.tokens[failed.results.count...].reduce(0, +)
                    failed.continuation.resume(throwing: error)
                }
            }
            pending.removeAll { request in
                guard request.remaining == 0 else { return false }
                request.continuation.resume(returning: request.results)
                return true
            }
        }
        draining = false
        // The encoder's buffers for long texts are large; glibc keeps freed memory in its arenas
        // unless asked. Returning it when the queue runs dry keeps a server's size to its steady
        // state instead of its worst request.
        if textsSinceTrim >= maxBatch * 4 {
            textsSinceTrim = 0
            Heap.trim()
        }
    }
}

/// glibc keeps freed memory in its arenas; a server that just handled an 8 MB body or a batch of
/// long texts gives it back, so that its size follows its load. At most once a second: a trim
/// walks the heap, and a client must not be able to make the server do it at will.
enum Heap {
    private static let last = Mutex<ContinuousClock.Instant?>(nil)

    static func trim() {
        let now = ContinuousClock.now
        let due = last.withLock { last -> Bool in
            if let previous = last, now - previous < .seconds(1) { return false }
            last = now
            return true
        }
        guard due, let trim = mallocTrim else { return }
        _ = trim(0)
    }

    /// glibc's `int malloc_trim(size_t)` (<malloc.h>, which the Glibc module does not export),
    /// looked up at run time; nil on other C libraries.
    private static let mallocTrim: (@convention(c) (Int) -> Int32)? = {
        guard let symbol = dlsym(nil, "malloc_trim") else { return nil }  // nil: RTLD_DEFAULT, every loaded object
        return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
    }()
}
