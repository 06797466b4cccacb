import LibPQ
import Queue
import Spool

/// Interactions whose stored texts were made by other rules (a new redaction version such as
/// `redact-v3`, which added people's names and addresses): queued as `interaction` jobs at a
/// worker's start, so that the workers redo the texts and, in the same completion, the
/// conversations' examples. The old rows stay beside the new ones until erased.
public enum StaleTexts {
    /// Queues the interactions that have texts of another version and none of `textVersion`;
    /// returns how many. One probe answers the common case (nothing stale) cheaply.
    public static func queue(_ conn: PGConnection, textVersion: String) throws -> Int {
        let stale: PGQuery = """
            FROM (SELECT DISTINCT t.interaction_id FROM coachspool.interaction_texts t
                   WHERE t.text_version <> \(textVersion)
                     AND NOT EXISTS (SELECT 1 FROM coachspool.interaction_texts c
                                      WHERE c.interaction_id = t.interaction_id AND c.text_version = \(textVersion))) s
            """
        guard try conn.query("SELECT EXISTS (SELECT 1 " + stale + ")").scalar(Bool.self) else { return 0 }
        let queued = try conn.query("""
            WITH queued AS (
                INSERT INTO coachspool.jobs (kind, source_id) SELECT \(JobKind.interaction.rawValue), s.interaction_id
            """ + " " + stale + """
                 ORDER BY s.interaction_id
                ON CONFLICT (kind, source_id) DO NOTHING
                RETURNING 1)
            SELECT count(*) FROM queued
            """).scalar(Int.self)
        if queued > 0 { try conn.query("SELECT coachspool.wake_workers()") }
        return queued
    }
}
