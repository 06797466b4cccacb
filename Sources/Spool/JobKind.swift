/// What a job asks a worker to do with its source row. Stored as text in `jobs.kind`; the kinds
/// are those of `StageGraph`.
public struct JobKind: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    /// Prepare an interaction (`source_id` = interactions.id): quality filter, PII redaction,
    /// token counts. Re-queued when feedback arrives.
    public static let interaction = JobKind(trusted: "interaction")
    /// Prepare the interactions of one `interaction_batches` row (`source_id` = its id), as
    /// `interaction` does one by one: what ingest queues, one job per `InteractionBatch.maximumSize`
    /// interactions instead of one per interaction (issue 28).
    public static let interactionBatch = JobKind(trusted: "interaction_batch")
    /// Build the fine-tuning examples of a conversation (`source_id` = conversations.id):
    /// queued when one of its interactions was prepared, or its user's training consent changed.
    public static let conversation = JobKind(trusted: "conversation")
    /// Do nothing and complete: measures the queue's own overhead (`scripts/bench-spool.sh`).
    public static let noop = JobKind(trusted: "noop")

    /// Chunk and embed a knowledge document (`source_id` = documents.id) for one embedding
    /// space. Only workers configured for that space claim it.
    public static func embed(space: Int32) -> JobKind { JobKind(trusted: "embed:\(space)") }

    /// Embed an interaction into the conversation memory of a space (`source_id` =
    /// interactions.id), when its user granted retrieval consent and it passed the quality filter.
    public static func memory(space: Int32) -> JobKind { JobKind(trusted: "memory:\(space)") }

    /// The kinds that do not depend on a worker's configuration (those of `StageGraph` that are
    /// not per space).
    public static let fixedKinds: [JobKind] = StageGraph.fixedKinds.sorted().map { JobKind(trusted: $0) }

    public init?(rawValue: String) {
        guard StageGraph.fixedKinds.contains(rawValue) || Self.space(in: rawValue) != nil else { return nil }
        self.rawValue = rawValue
    }

    private init(trusted rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }

    /// How many source items one job of this kind carries: a claim takes `limit / itemsPerJob`
    /// jobs of it (at least one), so that a claim holds about the same work whatever the kind.
    public var itemsPerJob: Int { self == .interactionBatch ? InteractionBatch.maximumSize : 1 }

    private static func space(in rawValue: String) -> Int32? {
        for prefix in StageGraph.perSpacePrefixes where rawValue.hasPrefix(prefix) {
            guard let space = Int32(rawValue.dropFirst(prefix.count)), space > 0 else { return nil }
            return space
        }
        return nil
    }
}

/// `jobs.state`, as the CHECK of schema/0001_spool.sql allows it. A job waiting for a retry is
/// `ready` with `run_at` in the future; a retired job is deleted, not kept in a state.
public enum JobState: String, Sendable, Codable, CaseIterable {
    case ready, running, dead
}

/// A row of `coachspool.interaction_batches`: the interactions one `interaction_batch` job prepares.
public enum InteractionBatch {
    /// Interactions per batch row. 100 is a worker's default claim of single jobs, so a claim of
    /// one batch holds what a claim of 100 `interaction` jobs held; the table's CHECK allows 1,000.
    public static let maximumSize = 100
}

/// A job in the hands of this worker, with the lease that proves it.
public struct ClaimedJob: Sendable, Hashable {
    public var id: Int64
    public var kind: JobKind
    public var sourceID: Int64
    /// The claim count, the fencing token: a completion is accepted only with the current one.
    public var attempt: Int32
}
