import LibPQ

/// Admin operations on dead jobs (`coachspool jobs …`).
public enum DeadJobs {
    public struct Entry: Sendable, Encodable {
        public var id: Int64
        public var kind: String
        public var sourceID: Int64
        public var attempt: Int
        public var lastError: String?
    }

    public static func list(_ conn: PGConnection, limit: Int) throws -> [Entry] {
        try conn.query("""
            SELECT id, kind, source_id, attempt, last_error FROM coachspool.dead_jobs ORDER BY id LIMIT \(limit)
            """).map {
            Entry(id: try $0.decode(Int64.self, at: 0), kind: try $0.decode(String.self, at: 1),
                  sourceID: try $0.decode(Int64.self, at: 2), attempt: try $0.decode(Int.self, at: 3),
                  lastError: try $0.decode(String?.self, at: 4))
        }
    }

    /// Makes dead jobs ready again with `attempts` more tries. `ids` nil = every dead job.
    public static func retry(_ conn: PGConnection, ids: [Int64]?, attempts: Int) throws -> Int {
        try conn.transaction { conn in
            let count = try conn.query("""
                UPDATE coachspool.jobs
                   SET state = 'ready', run_at = now(), max_attempts = attempt + \(attempts)
                 WHERE state = 'dead' AND (\(ids)::bigint[] IS NULL OR id = ANY(\(ids)::bigint[]))
                """).affectedRows
            try conn.query("SELECT coachspool.wake_workers()")
            return count
        }
    }

    /// Deletes dead jobs; their source rows stay (and can be queued again by new input).
    public static func discard(_ conn: PGConnection, ids: [Int64]?) throws -> Int {
        try conn.query("""
            DELETE FROM coachspool.jobs
             WHERE state = 'dead' AND (\(ids)::bigint[] IS NULL OR id = ANY(\(ids)::bigint[]))
            """).affectedRows
    }
}
