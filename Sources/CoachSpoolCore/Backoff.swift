/// The one rule for waiting on the database after a connection problem, used by every loop that
/// reconnects (ingest's `ReconnectingConnection`, `work`'s start-up, the claim loops, the side
/// channel): 0.2 s after the first failure, doubled after each further one, never more than 5 s,
/// and from the start again after a success. Short enough that a restart or failover costs
/// seconds, long enough that a database that stays away is not hammered.
///
/// Not for failed jobs: those wait by `RetryPolicy` (a delay per attempt, stored with the job).
public struct Backoff: Sendable, Equatable {
    public static let first = 0.2
    public static let longest = 5.0

    private var current = Backoff.first

    public init() {}

    /// Seconds to wait before the next try; each call doubles the following one, up to `longest`.
    public mutating func next() -> Double {
        defer { current = min(current * 2, Self.longest) }
        return current
    }

    /// After a success: the next failure waits `first` again.
    public mutating func reset() {
        current = Self.first
    }
}
