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

    /// Records a heartbeat and the jobs the worker holds, per kind (`workers.held`, summed by the
    /// view `running_by_heartbeat` for the console: running jobs have no index to count them by);
    /// registers again when the row is gone (pruned by another worker's reaper while this one was
    /// paused or cut off for longer than `goneRetentionSeconds`).
    /// A database not yet migrated to 0020 has no `held`: the heartbeat is recorded without it.
    public static func heartbeat(_ conn: PGConnection, _ worker: Registration, holding jobs: [ClaimedJob] = []) throws {
        let held = try JSONText(Dictionary(grouping: jobs, by: \.kind.rawValue).mapValues(\.count))
        if try beat(conn, id: worker.id, held: held) == 0 {
            try register(conn, worker)
            _ = try beat(conn, id: worker.id, held: held)
        }
    }

    private static func beat(_ conn: PGConnection, id: String, held: JSONText) throws(PGError) -> Int {
        do {
            return try conn.query(
                "UPDATE coachspool.workers SET last_heartbeat = now(), stopped_at = NULL, held = \(held)::jsonb WHERE id = \(id)").affectedRows
        } catch {
            guard error.sqlState == PGError.SQLState.undefinedColumn else { throw error }
        }
        return try conn.query("UPDATE coachspool.workers SET last_heartbeat = now(), stopped_at = NULL WHERE id = \(id)").affectedRows
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

    /// The gone workers (read only: `status` changes nothing, whatever its role).
    public static func gone(_ conn: PGConnection) throws -> [Gone] {
        try decode(conn.query("""
            SELECT id, extract(epoch FROM since_heartbeat)::float8, stopped_at IS NOT NULL FROM coachspool.gone_workers
            """))
    }

    /// How long a gone worker stays listed (in `status` and `gone_workers`) before a live
    /// worker's reaper deletes its row: long enough to be seen after a crash at night.
    public static let goneRetentionSeconds = 24.0 * 3600

    /// Deletes the rows of workers gone for longer than `goneRetentionSeconds` (stopped, or
    /// without a heartbeat for that long past their lease); returns how many. Every worker's side
    /// channel runs it with its reaper (a small table: a cheap statement).
    @discardableResult
    public static func pruneGone(_ conn: PGConnection) throws -> Int {
        try conn.query("""
            DELETE FROM coachspool.workers
             WHERE coalesce(stopped_at, last_heartbeat + make_interval(secs => lease_seconds))
                   < now() - make_interval(secs => \(goneRetentionSeconds))
            """).affectedRows
    }

    private static func decode(_ rows: PGRows) throws -> [Gone] {
        try rows.map {
            Gone(id: try $0.decode(String.self, at: 0), secondsSinceHeartbeat: try $0.decode(Double.self, at: 1),
                 stopped: try $0.decode(Bool.self, at: 2))
        }.sorted { $0.id < $1.id }
    }
}
