import Dispatch
import Synchronization

/// A connection with a serial queue of its own, for async callers.
///
/// Every libpq call runs on that queue, so blocking never happens on Swift's cooperative pool.
/// A broken connection is replaced on the next call. `cancel()` may be called from anywhere.
public final class PGClient: @unchecked Sendable {
    // Safe to share: `connection` is read and written only on `queue`; `canceller` is behind
    // a mutex because cancel() is called from other threads.
    private let conninfo: String
    private let applicationName: String
    private let queue: DispatchQueue
    private var connection: PGConnection?
    private let canceller = Mutex<PGCanceller?>(nil)

    public init(conninfo: String, applicationName: String = "coachspool") {
        self.conninfo = conninfo
        self.applicationName = applicationName
        self.queue = DispatchQueue(label: "coachspool.pg.\(applicationName)")
    }

    /// Runs `body` with the connection on the client's queue.
    public func withConnection<T: Sendable>(
        _ body: @escaping @Sendable (PGConnection) throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try body(self.connectedOnQueue()) })
            }
        }
    }

    /// Runs one statement.
    @discardableResult
    public func query(_ query: PGQuery) async throws -> PGRows {
        try await withConnection { try $0.query(query) }
    }

    /// Cancels the statement running now, if any.
    public func cancel() {
        canceller.withLock { $0 }?.cancel()
    }

    private func connectedOnQueue() throws -> PGConnection {
        if let connection, connection.isHealthy { return connection }
        canceller.withLock { $0 = nil }
        connection = nil
        let fresh = try PGConnection(conninfo: conninfo, applicationName: applicationName)
        connection = fresh
        canceller.withLock { $0 = fresh.makeCanceller() }
        return fresh
    }
}
