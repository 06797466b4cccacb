import LibPQ

/// Consent per user and purpose, recorded through `coachspool.set_consent` (the function the
/// coach app calls too): one definition of what recording consent does.
public enum Consent {
    public enum Purpose: String, Sendable, CaseIterable {
        case training, retrieval
    }

    /// Grants or revokes; returns whether anything changed.
    @discardableResult
    public static func set(
        _ conn: PGConnection, user: String, purpose: Purpose, granted: Bool, source: String = "cli"
    ) throws -> Bool {
        try conn.query("SELECT coachspool.set_consent(\(user), \(purpose.rawValue), \(granted), \(source))").scalar(Bool.self)
    }
}
