import Queue

/// The product's job kinds: exactly those of `StageGraph` (the `jobs_kind_declared` CHECK
/// mirrors them).
extension JobKind {
    /// Prepare an interaction (`source_id` = interactions.id): quality filter, PII redaction,
    /// token counts. Re-queued when feedback arrives.
    public static let interaction = JobKind("interaction")
    /// Prepare the interactions of one `interaction_batches` row (`source_id` = its id), as
    /// `interaction` does one by one: what ingest queues, one job per `InteractionBatch.maximumSize`
    /// interactions instead of one per interaction (issue 28).
    public static let interactionBatch = JobKind("interaction_batch")
    /// Build the fine-tuning examples of a conversation (`source_id` = conversations.id):
    /// queued when one of its interactions was prepared, or its user's training consent changed.
    public static let conversation = JobKind("conversation")
    /// Do nothing and complete: measures the queue's own overhead (`scripts/bench-spool.sh`).
    public static let noop = JobKind("noop")

    /// Chunk and embed a knowledge document (`source_id` = documents.id) for one embedding
    /// space. Only workers configured for that space claim it.
    public static func embed(space: Int32) -> JobKind { JobKind("embed:\(space)") }

    /// Embed an interaction into the conversation memory of a space (`source_id` =
    /// interactions.id), when its user granted retrieval consent and it passed the quality filter.
    public static func memory(space: Int32) -> JobKind { JobKind(memoryPrefix + "\(space)") }
    /// `memory:` and a space id: the kinds a completion builds in SQL (`prefix || space.id`).
    public static let memoryPrefix = "memory:"

    /// The kinds that do not depend on a worker's configuration (those of `StageGraph` that are
    /// not per space).
    public static let fixedKinds: [JobKind] = StageGraph.fixedKinds.sorted().map { JobKind($0) }

    /// Items per job of the kinds that carry many (the rest carry one): what the claim of a
    /// worker with the standard handlers uses.
    public static let declaredItemsPerJob: [JobKind: Int] = [.interactionBatch: InteractionBatch.maximumSize]

    /// The kind named `name` when `StageGraph` declares it (`embed:N`, `memory:N` for N > 0).
    public init?(declared name: String) {
        guard StageGraph.declares(name) else { return nil }
        self.init(name)
    }
}

/// A row of `coachspool.interaction_batches`: the interactions one `interaction_batch` job prepares.
public enum InteractionBatch {
    /// Interactions per batch row, at most: one claim and one transaction of the worker each. 500
    /// rather than 100 (a worker's claim of single jobs): a 200,000-line backfill's workers took
    /// 33.5 s with 100, 27.0 s with 500 and 25.6 s with 1,000 (docs/benchmarks.md, "Issue 28,
    /// third pass"): the commits' flushes and the claims, per batch. A batch's texts are in
    /// memory at once (messages are up to 256 KiB); the table's CHECK allows 1,000.
    public static let maximumSize = 500
}
