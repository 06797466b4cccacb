
/// Every stage of the pipeline in one place: the job kind, the row a job points at, what queues
/// it, and what it writes. `JobKind` accepts exactly these kinds, and the `jobs_kind_declared`
/// CHECK on `coachspool.jobs.kind` (schema/0009_stage_graph.sql) mirrors them; a test keeps the
/// two in step. docs/architecture.md draws it.
///
/// Adding a stage (docs/architecture.md): a folder in `Sources/Pipeline/` (pure function, rows, handler), a line
/// here, and a migration that widens the CHECK (and creates the tables the stage writes).
public enum StageGraph {
    public struct Stage: Sendable, Equatable {
        /// The kind's name in `jobs.kind`; `embed:N` stands for one kind per embedding space.
        public var kind: String
        /// The table `jobs.source_id` points into.
        public var source: String
        /// What queues a job of this kind.
        public var queuedBy: [String]
        /// The tables its completion writes.
        public var writes: [String]
        /// The job kinds its completion may queue (`memory:N`: one per space). `StageGraphTests`
        /// runs the pipeline and holds every completion to this list.
        public var enqueues: [String] = []

        public init(kind: String, source: String, queuedBy: [String], writes: [String], enqueues: [String] = []) {
            self.kind = kind
            self.source = source
            self.queuedBy = queuedBy
            self.writes = writes
            self.enqueues = enqueues
        }
    }

    public static let stages: [Stage] = [
        Stage(
            kind: "interaction", source: "interactions",
            queuedBy: ["log_interaction()", "log_feedback()", "interaction_batch completion (a member that failed)"],
            writes: ["quality_verdicts", "interaction_texts", "conversations", conversationRows, "jobs (memory:N, retrieval consent)"],
            enqueues: ["memory:N"]),
        Stage(
            kind: "interaction_batch", source: "interaction_batches",
            queuedBy: ["ingest"],
            writes: ["quality_verdicts", "interaction_texts", "conversations", conversationRows, "jobs (memory:N, retrieval consent)",
                     "jobs (interaction, a member that failed)", "interaction_batches (deleted)"],
            enqueues: ["interaction", "memory:N"]),
        Stage(
            kind: "conversation", source: "conversations",
            queuedBy: ["set_consent() (consent trigger)", "erase_user()", "worker start (built under another examples version)"],
            writes: [conversationRows]),
        Stage(
            kind: "embed:N", source: "documents",
            queuedBy: ["upsert_document() / ingest --format documents", "register_space()", "0016 (documents without a language, once)"],
            writes: ["chunks (space N)", "documents.detected_language"]),
        Stage(
            kind: "memory:N", source: "interactions",
            queuedBy: ["interaction stages' completion (user with retrieval consent)", "set_consent() (retrieval granted)", "register_space()"],
            writes: ["memories (space N)"]),
        Stage(kind: "noop", source: "-", queuedBy: ["scripts/bench-spool.sh"], writes: []),
    ]

    /// What a conversation's rebuild writes, in the transaction of the job that asked for it:
    /// the interaction stages rebuild the conversations they touch without a job of their own.
    static let conversationRows = "conversation_builds, examples, preference_pairs, feedback_examples (rebuild)"

    /// The kinds that do not depend on a worker's configuration (all but the per-space ones).
    static let fixedKinds: Set<String> = Set(stages.map(\.kind).filter { !$0.hasSuffix(":N") })
    /// `embed:`, `memory:`: one kind per embedding space.
    static let perSpacePrefixes: [String] = stages.map(\.kind).filter { $0.hasSuffix(":N") }.map { String($0.dropLast()) }

    /// Whether `name` is a declared kind: a fixed one, or a per-space one for a space id > 0.
    public static func declares(_ name: String) -> Bool {
        if fixedKinds.contains(name) { return true }
        for prefix in perSpacePrefixes where name.hasPrefix(prefix) {
            guard let space = Int32(name.dropFirst(prefix.count)), space > 0 else { return false }
            return String(space) == name.dropFirst(prefix.count)
        }
        return false
    }
}
