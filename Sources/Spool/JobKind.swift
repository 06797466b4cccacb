/// What a job asks a worker to do with its source row.
public enum JobKind: String, Sendable, CaseIterable, Codable {
    /// Prepare an interaction (`source_id` = interactions.id): quality filter, PII redaction,
    /// token counts. Re-queued when feedback arrives.
    case interaction
    /// Do nothing and complete: measures the queue's own overhead (`scripts/bench-spool.sh`).
    case noop
}

/// A job in the hands of this worker, with the lease that proves it.
public struct ClaimedJob: Sendable, Hashable {
    public var id: Int64
    public var kind: JobKind
    public var sourceID: Int64
    /// The claim count, the fencing token: a completion is accepted only with the current one.
    public var attempt: Int32
}
