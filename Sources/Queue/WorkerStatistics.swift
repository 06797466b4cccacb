import Synchronization

/// What a worker process did, for its exit summary and logs.
public final class WorkerStatistics: Sendable {
    let completed = Atomic<Int>(0)
    let failed = Atomic<Int>(0)
    let lostLeases = Atomic<Int>(0)
    let batches = Atomic<Int>(0)
    let connected = Atomic<Bool>(false)
    /// Claim loops whose statement has run past the stall threshold (the side channel's watch).
    let stalled = Atomic<Int>(0)

    /// The side channel holds a connection to the database.
    public var isConnected: Bool { connected.load(ordering: .relaxed) }

    /// The readiness probe's answer: connected, and no statement stalled (a commit waiting for a
    /// synchronous standby that is gone, a lock) — such a worker completes nothing.
    public var isReady: Bool { isConnected && stalled.load(ordering: .relaxed) == 0 }

    public init() {}

    public struct Snapshot: Sendable, Equatable {
        public var completed: Int
        public var failed: Int
        public var lostLeases: Int
        public var batches: Int
    }

    public var snapshot: Snapshot {
        Snapshot(
            completed: completed.load(ordering: .relaxed), failed: failed.load(ordering: .relaxed),
            lostLeases: lostLeases.load(ordering: .relaxed), batches: batches.load(ordering: .relaxed))
    }
}
