import LibPQ

/// Consent per user and purpose, recorded through `coachspool.set_consent` (the function the
/// coach app calls too): one definition of what recording consent does.
public enum Consent {
    public enum Purpose: String, Sendable, CaseIterable {
        case training, retrieval
    }

    /// What recording a consent did, and what it reaches.
    public struct Outcome: Sendable, Equatable {
        /// Whether the recorded consent changed (false: it was already so).
        public var changed: Bool
        /// The user's interactions in the spool now (0: the id matches nothing yet; the consent
        /// is kept and applies to what they log later).
        public var interactions: Int
        /// The conversations those interactions belong to.
        public var conversations: Int
    }

    /// Grants or revokes, and counts what the user id matches, in one transaction.
    public static func set(
        _ conn: PGConnection, user: String, purpose: Purpose, granted: Bool, source: String = "cli"
    ) throws -> Outcome {
        try conn.transaction { conn in
            let changed = try conn.query("SELECT coachspool.set_consent(\(user), \(purpose.rawValue), \(granted), \(source))").scalar(Bool.self)
            let row = try conn.query("""
                SELECT count(*), count(DISTINCT coachspool.conversation_key(session_id, idempotency_key))
                  FROM coachspool.interactions WHERE user_id = \(user)
                """)[0]
            return Outcome(changed: changed, interactions: try row.decode(Int.self, at: 0), conversations: try row.decode(Int.self, at: 1))
        }
    }
}
