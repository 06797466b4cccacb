import LibPQ

/// The `workers` table: who is working, seen by `coachspool status` and `live_workers`.
public enum WorkerRegistry {
    public static func register(_ conn: PGConnection, id: String, host: String, pid: Int32, concurrency: Int) throws {
        try conn.query("""
            INSERT INTO coachspool.workers (id, host, pid, concurrency) VALUES (\(id), \(host), \(pid), \(concurrency))
            ON CONFLICT (id) DO UPDATE SET last_heartbeat = now(), stopped_at = NULL
            """)
    }

    public static func markStopped(_ conn: PGConnection, id: String) throws {
        try conn.query("UPDATE coachspool.workers SET stopped_at = now() WHERE id = \(id)")
    }
}
