import Dispatch
import Foundation
import Synchronization

/// `map` over a batch on several threads, for CPU-bound work on items that are independent of
/// each other (an export's page of rows: decode, render, check). The items are cut into
/// `width` contiguous runs, one per thread, each mapped in order and stored once, so the result
/// is in the items' order and the threads share nothing while they work.
public enum ParallelMap {
    /// The threads worth using on this machine for work that does not wait on I/O.
    public static var defaultWidth: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// `items.map(transform)`, with the same result and order; the first error (in item order
    /// of the runs) is thrown once every thread has stopped. Below `minimumPerThread` items per
    /// thread, or with one thread, it runs on the caller's thread (a thread hand-off costs more
    /// than a few items of work).
    public static func map<T: Sendable, U: Sendable>(
        _ items: [T], width: Int = defaultWidth, minimumPerThread: Int = 64, _ transform: @Sendable (T) throws -> U
    ) throws -> [U] {
        let threads = min(max(1, width), items.count / max(1, minimumPerThread))
        guard threads > 1 else { return try items.map(transform) }
        let runLength = (items.count + threads - 1) / threads
        let runs = Mutex([Result<[U], any Error>?](repeating: nil, count: threads))
        DispatchQueue.concurrentPerform(iterations: threads) { run in
            let range = (run * runLength)..<min(items.count, (run + 1) * runLength)
            let mapped = Result { try items[range].map(transform) }
            runs.withLock { $0[run] = mapped }
        }
        var out: [U] = []
        out.reserveCapacity(items.count)
        for run in runs.withLock({ $0 }) {
            // Every run stored its result before concurrentPerform returned.
            guard let run else { preconditionFailure("ParallelMap: a run left no result") }
            out.append(contentsOf: try run.get())
        }
        return out
    }
}
