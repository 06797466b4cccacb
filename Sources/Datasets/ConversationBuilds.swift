import LibPQ
import Queue
import Spool

/// The builds of the conversations' examples (`conversation_builds`), one per conversation and
/// examples version.
public enum ConversationBuilds {
    /// Queues every conversation built under another examples version and not yet under
    /// `version`: what a worker does at start, so that a new version (other system prompts, a
    /// release whose prompts or rules changed) rebuilds the examples beside the old ones, as
    /// `register_space` backfills a new embedding space. Conversations never built are queued
    /// by their interactions already. Returns how many were queued: 0 once every conversation
    /// has a build of this version, so the next start queues nothing.
    ///
    /// Reads first and writes only when there is something to queue: the usual start (nothing to
    /// rebuild) takes no lock on the jobs table.
    public static func queueRebuilds(_ conn: PGConnection, version: String) throws -> Int {
        let stale: PGQuery = """
            FROM coachspool.conversations c
             WHERE EXISTS (SELECT 1 FROM coachspool.conversation_builds b WHERE b.conversation_id = c.id AND b.version <> \(version))
               AND NOT EXISTS (SELECT 1 FROM coachspool.conversation_builds b WHERE b.conversation_id = c.id AND b.version = \(version))
            """
        guard try conn.query("SELECT EXISTS (SELECT 1 " + stale + ")").scalar(Bool.self) else { return 0 }
        let queued = try conn.query("""
            WITH queued AS (
                INSERT INTO coachspool.jobs (kind, source_id) SELECT \(JobKind.conversation.rawValue), c.id
            """ + " " + stale + """
                ON CONFLICT (kind, source_id) DO NOTHING
                RETURNING 1)
            SELECT count(*) FROM queued
            """).scalar(Int.self)
        if queued > 0 { try conn.query("SELECT coachspool.wake_workers()") }
        return queued
    }
}
