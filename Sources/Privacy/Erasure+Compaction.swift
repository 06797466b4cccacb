import CoachSpoolCore
import Foundation
import LibPQ

extension CoachSpoolError.Code {
    /// A step after a committed erasure failed (rewriting the table files, refreshing the
    /// statistics): the rows are gone, and `coachspool erase --user ID --compact` can be rerun.
    public static let afterErasure = CoachSpoolError.Code("after_erasure")
}

extension Erasure {
    /// One table rewritten by VACUUM FULL.
    public struct Rewrite: Sendable {
        /// The qualified name (`coachspool.interactions`, `pg_catalog.pg_statistic`).
        public var table: String
        public var seconds: Double
        /// `pg_total_relation_size` (heap, TOAST and indexes) before and after.
        public var bytesBefore: Int64
        public var bytesAfter: Int64
    }

    /// What `compact` did.
    public struct Compaction: Sendable {
        public var rewrites: [Rewrite] = []
        /// Tables left empty: their statistics were cleared (or could not be).
        public var statistics = StatisticsRefresh()
        /// `pg_catalog.pg_statistic`, rewritten when this role may (superuser or pg_maintain):
        /// nil when not, and the old statistics rows stay in its file until it is vacuumed.
        public var statisticsCatalog: Rewrite?
        /// The role may rewrite `pg_statistic`, but its lock was not free within a second.
        public var statisticsCatalogBusy = false
        /// Seconds the CHECKPOINT took; nil when the role may not (superuser or pg_checkpoint).
        public var checkpointSeconds: Double?
        /// Seconds spent waiting for snapshots older than the erasure to end.
        public var waitedSeconds: Double = 0
        public var seconds: Double = 0

        public init() {}
    }

    /// Rewrites the files of `tables` (names from `Erasure.tables`; others are ignored) with
    /// `VACUUM (FULL, ANALYZE)`, one statement per table, so that the bytes of the erased rows
    /// leave the heap, its TOAST table and the indexes; then rewrites `pg_statistic` and runs a
    /// CHECKPOINT where the role may. Run it after the erasure committed (VACUUM cannot run in a
    /// transaction).
    ///
    /// Costs: each table is locked ACCESS EXCLUSIVE while it is rewritten (workers, ingest and
    /// readers of that table wait), and needs free disk for a full copy of itself and its
    /// indexes. `patience` bounds two waits: for sessions, replication slots and prepared
    /// transactions whose snapshots predate `transactionID` (VACUUM FULL copies the rows such a
    /// snapshot may still see, so rewriting then would keep the erased rows), and for each
    /// table's lock (`lock_timeout`), so that the rewrite does not queue ingest behind a long
    /// query. Throws when the role may not VACUUM a table (checked first: PostgreSQL only
    /// warns and skips) or a wait runs out; the tables rewritten so far stay rewritten.
    public static func compact(
        _ conn: PGConnection, tables: [String], after transactionID: String?, patience: Duration = .seconds(30)
    ) throws -> Compaction {
        let start = ContinuousClock.now
        var compaction = Compaction()
        let names = known(tables)
        let refused = try maintainable(conn, schema: "coachspool", tables: names).filter { !$0.allowed }.map(\.table)
        guard refused.isEmpty else {
            throw CoachSpoolError(.configuration, """
                this role may not VACUUM \(refused.map { "coachspool.\($0)" }.joined(separator: ", ")): PostgreSQL 17+ \
                needs MAINTAIN on them (schema/privileges/grants.sql grants it to coachspool_admin: run coachspool migrate); \
                before 17 run --compact as the schema's owner (the role that runs migrate) or a superuser
                """)
        }
        if let transactionID {
            compaction.waitedSeconds = try waitForOlderSnapshots(conn, than: transactionID, patience: patience)
        }
        let (wholeSeconds, attoseconds) = patience.components
        let milliseconds = max(1, wholeSeconds * 1000 + attoseconds / 1_000_000_000_000_000)
        try conn.query("SELECT set_config('lock_timeout', \(String(milliseconds)), false)")
        defer { try? conn.execute(unsafeSQL: "RESET lock_timeout") }

        for table in names {
            let rewrite = try rewriteFile(conn, schema: "coachspool", table: table, sql: "VACUUM (FULL, ANALYZE) \(try qualified(conn, table))")
            compaction.rewrites.append(rewrite)
            compaction.statistics.analyzed.append(table)
        }
        (compaction.statistics.cleared, compaction.statistics.notCleared) = try clearStatisticsOfEmptyTables(conn, names)

        // ANALYZE replaced the statistics rows; the old ones (sampled values of the erased
        // rows among them) are dead rows of pg_statistic, which only its owner (a superuser)
        // or pg_maintain may rewrite.
        // While that rewrite waits for its lock, every query of the database that must read
        // statistics queues behind it: it gets one second, and is skipped (the note says so)
        // rather than stall the database.
        if try maintainable(conn, schema: "pg_catalog", tables: ["pg_statistic"]).first?.allowed == true {
            try conn.query("SELECT set_config('lock_timeout', '1000', false)")
            do {
                compaction.statisticsCatalog = try rewriteFile(
                    conn, schema: "pg_catalog", table: "pg_statistic", sql: "VACUUM (FULL) pg_catalog.pg_statistic")
            } catch let error as PGError where error.sqlState == PGError.SQLState.lockNotAvailable {
                compaction.statisticsCatalogBusy = true
            }
        }
        if try conn.query("""
            SELECT CASE WHEN to_regrole('pg_checkpoint') IS NOT NULL THEN pg_has_role('pg_checkpoint', 'USAGE')
                        ELSE (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) END
            """).scalar(Bool.self) {
            let started = ContinuousClock.now
            try conn.execute(unsafeSQL: "CHECKPOINT")
            compaction.checkpointSeconds = seconds(since: started)
        }
        compaction.seconds = seconds(since: start)
        return compaction
    }

    /// Runs `sql` (a VACUUM FULL of `schema.table`, built by the caller from fixed names) and
    /// measures it.
    private static func rewriteFile(_ conn: PGConnection, schema: String, table: String, sql: String) throws -> Rewrite {
        let size: PGQuery = "SELECT pg_total_relation_size(to_regclass(format('%I.%I', \(schema)::text, \(table)::text)))"
        let before = try conn.query(size).scalar(Int64.self)
        let started = ContinuousClock.now
        try conn.execute(unsafeSQL: sql)
        let seconds = seconds(since: started)
        return Rewrite(table: "\(schema).\(table)", seconds: seconds, bytesBefore: before, bytesAfter: try conn.query(size).scalar(Int64.self))
    }

    /// Waits until no session of this database (nor a WAL sender), replication slot or
    /// prepared transaction holds a snapshot or transaction older than the erasure's
    /// (`transactionID`, an `xid8`); returns the seconds waited, or throws after `patience`.
    /// Autovacuum workers are not waited for: a lazy VACUUM's snapshot does not hold rows back,
    /// and an autovacuum ANALYZE's lasts one table's sample.
    static func waitForOlderSnapshots(_ conn: PGConnection, than transactionID: String, patience: Duration) throws -> Double {
        let start = ContinuousClock.now
        while true {
            let holders = try conn.query("""
                SELECT h.kind || ' ' || h.id FROM (
                    SELECT 'session pid' AS kind, a.pid::text AS id, a.backend_xmin AS horizon, a.backend_xid AS xid
                      FROM pg_catalog.pg_stat_activity a
                     WHERE a.pid <> pg_backend_pid() AND a.backend_type IS DISTINCT FROM 'autovacuum worker'
                       AND (a.datname = current_database() OR a.datid IS NULL OR a.backend_type = 'walsender')
                    UNION ALL
                    SELECT 'replication slot', s.slot_name::text, s.xmin, NULL FROM pg_catalog.pg_replication_slots s
                    UNION ALL
                    SELECT 'prepared transaction', p.gid, p.transaction, NULL FROM pg_catalog.pg_prepared_xacts p
                     WHERE p.database = current_database()
                ) h
                 WHERE (h.horizon IS NOT NULL AND age(h.horizon) >= age(\(transactionID)::xid8::xid))
                    OR (h.xid IS NOT NULL AND age(h.xid) >= age(\(transactionID)::xid8::xid))
                 ORDER BY 1
                """).map { try $0.decode(String.self, at: 0) }
            if holders.isEmpty { return seconds(since: start) }
            guard start.duration(to: .now) < patience else {
                throw CoachSpoolError(.afterErasure, """
                    \(holders.count) snapshot(s) older than the erasure are still open (\(holders.prefix(5).joined(separator: ", "))\
                    \(holders.count > 5 ? ", …" : "")): VACUUM FULL would copy the erased rows for them, so nothing was rewritten; \
                    waited \(String(format: "%.0f", seconds(since: start))) s. End those transactions (pg_stat_activity.backend_xmin, \
                    pg_replication_slots.xmin, pg_prepared_xacts) or wait for them, then rerun
                    """)
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
    }
}
