import LibPQ

/// The `workers` table: who is working, seen by `coachspool status`, `live_workers` and
/// `gone_workers`. A worker is live while its heartbeat is younger than its lease.
public enum WorkerRegistry {
    public struct Registration: Sendable {
        public var id: String
        public var host: String
        public var pid: Int32
        public var concurrency: Int
        public var leaseSeconds: Double

        public init(id: String, host: String, pid: Int32, concurrency: Int, leaseSeconds: Double) {
            self.id = id
            self.host = host
            self.pid = pid
            self.concurrency = concurrency
            self.leaseSeconds = leaseSeconds
        }
    }

    public static func register(_ conn: PGConnection, _ worker: Registration) throws {
        try conn.query("""
            INSERT INTO coachspool.workers (id, host, pid, concurrency, lease_seconds)
            VALUES (\(worker.id), \(worker.host), \(worker.pid), \(worker.concurrency), \(worker.leaseSeconds))
            ON CONFLICT (id) DO UPDATE SET last_heartbeat = now(), stopped_at = NULL, lease_seconds = excluded.lease_seconds
            """)
    }

    /// Records a heartbeat; registers again when the row is gone (pruned by `status` while
    /// this worker was paused or cut off longer than its lease).
    public static func heartbeat(_ conn: PGConnection, _ worker: Registration) throws {
        let updated = try conn.query(
            "UPDATE coachspool.workers SET last_heartbeat = now(), stopped_at = NULL WHERE id = \(worker.id)").affectedRows
        if updated == 0 { try register(conn, worker) }
    }

    public static func markStopped(_ conn: PGConnection, id: String) throws {
        try conn.query("UPDATE coachspool.workers SET stopped_at = now() WHERE id = \(id)")
    }

    /// A worker that stopped or whose heartbeat is older than its lease.
    public struct Gone: Sendable, Encodable, Equatable {
        public var id: String
        public var secondsSinceHeartbeat: Double
        public var stopped: Bool
    }

    /// The gone workers; with `pruning`, their rows are deleted as they are read (a role that may
    /// not delete, such as a read-only monitor, just reads them).
    public static func gone(_ conn: PGConnection, pruning: Bool) throws -> [Gone] {
        if pruning {
            do {
                return try decode(conn.query("""
                    DELETE FROM coachspool.workers w USING coachspool.gone_workers g WHERE w.id = g.id
                    RETURNING g.id, extract(epoch FROM g.since_heartbeat)::float8, g.stopped_at IS NOT NULL
                    """))
            } catch let error as PGError where error.sqlState == PGError.SQLState.insufficientPrivilege {
                // a role that may not delete (a read-only monitor): it reads them below
            }
        }
        return try decode(conn.query("""
            SELECT id, extract(epoch FROM since_heartbeat)::float8, stopped_at IS NOT NULL FROM coachspool.gone_workers
            """))
    }

    private static func decode(_ rows: PGRows) throws -> [Gone] {
        try rows.map {
            Gone(id: try $0.decode(String.self, at: 0), secondsSinceHeartbeat: try $0.decode(Double.self, at: 1),
                 stopped: try $0.decode(Bool.self, at: 2))
        }.sorted { $0.id < $1.id }
    }
}
