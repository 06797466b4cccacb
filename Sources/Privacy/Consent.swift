import LibPQ
import Stages

/// Consent per user and purpose, recorded through `coachspool.set_consent` (the function the
/// coach app calls too): one definition of what recording consent does.
public enum Consent {
    public typealias Purpose = ConsentPurpose

    /// Grants or revokes; returns whether anything changed. Needs only EXECUTE on the function
    /// (the producer role's right), so the HTTP API can call it.
    @discardableResult
    public static func set(
        _ conn: PGConnection, user: String, purpose: Purpose, granted: Bool, source: String = "cli"
    ) throws -> Bool {
        try conn.query("SELECT coachspool.set_consent(\(user), \(purpose.rawValue), \(granted), \(source))").scalar(Bool.self)
    }

    /// What a user id matches in the spool: its interactions and their conversations (0: none
    /// yet; a consent recorded for it applies to what the user logs later). Reads
    /// `interactions`: a worker's or an admin's right, not the producer's.
    public static func reach(_ conn: PGConnection, user: String) throws -> (interactions: Int, conversations: Int) {
        let row = try conn.query("""
            SELECT count(*), count(DISTINCT coachspool.conversation_key(session_id, idempotency_key))
              FROM coachspool.interactions WHERE user_id = \(user)
            """)[0]
        return (try row.decode(Int.self, at: 0), try row.decode(Int.self, at: 1))
    }
}
