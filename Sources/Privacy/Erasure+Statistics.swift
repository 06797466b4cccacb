import CoachSpoolCore
import Foundation
import LibPQ

extension Erasure {
    /// What refreshing the column statistics of the erased tables did.
    public struct StatisticsRefresh: Sendable {
        /// Tables analysed again: their statistics now sample only the rows that remain.
        public var analyzed: [String] = []
        /// Tables left empty whose statistics were removed (ANALYZE of an empty table keeps the old ones).
        public var cleared: [String] = []
        /// Tables this role may not ANALYZE (PostgreSQL 17+: MAINTAIN; before 17: the owner).
        public var notPermitted: [String] = []
        /// Empty tables whose old statistics stay: removing them needs PostgreSQL 18
        /// (`pg_clear_attribute_stats`) or a superuser.
        public var notCleared: [String] = []
        public var seconds: Double = 0

        public init() {}
    }

    /// ANALYZE of `tables` (names from `Erasure.tables`; others are ignored), then the
    /// statistics of the tables left empty are removed. Run it after the erasure committed.
    ///
    /// Why: `pg_statistic` keeps sampled column values (most common values and histogram
    /// bounds: user ids, question texts with whatever they held), which every role that may
    /// SELECT the table reads through `pg_stats`; an erasure changes too few rows for autovacuum
    /// to analyse the table again soon. Cost: ANALYZE reads a sample (300 × the statistics
    /// target rows, 30 000 by default) per table under a SHARE UPDATE EXCLUSIVE lock, which
    /// blocks neither reads nor writes. The old statistics rows stay in `pg_statistic`'s file
    /// until it is vacuumed (`compact` rewrites it when the role may).
    public static func refreshStatistics(_ conn: PGConnection, tables: [String]) throws -> StatisticsRefresh {
        let start = ContinuousClock.now
        var refresh = StatisticsRefresh()
        let permitted = try maintainable(conn, schema: "coachspool", tables: known(tables))
        for (table, allowed) in permitted {
            guard allowed else {
                refresh.notPermitted.append(table)
                continue
            }
            try conn.execute(unsafeSQL: "ANALYZE \(try qualified(conn, table))")
            refresh.analyzed.append(table)
        }
        (refresh.cleared, refresh.notCleared) = try clearStatisticsOfEmptyTables(conn, refresh.analyzed)
        refresh.seconds = seconds(since: start)
        return refresh
    }

    /// `tables` that still have statistics but no rows (after an ANALYZE or VACUUM FULL, which
    /// leave the statistics of an empty table as they were): their statistics are removed where
    /// the server and role allow it. Returns (cleared, not cleared).
    static func clearStatisticsOfEmptyTables(_ conn: PGConnection, _ tables: [String]) throws -> (cleared: [String], notCleared: [String]) {
        let empty = try conn.query("""
            SELECT t FROM unnest(\(known(tables))::text[]) WITH ORDINALITY AS u(t, n)
              JOIN pg_catalog.pg_class c ON c.oid = to_regclass(format('coachspool.%I', u.t))
             WHERE c.reltuples = 0
               AND EXISTS (SELECT 1 FROM pg_catalog.pg_stats s WHERE s.schemaname = 'coachspool' AND s.tablename = u.t)
             ORDER BY u.n
            """).map { try $0.decode(String.self, at: 0) }
        guard !empty.isEmpty else { return ([], []) }
        let version = try conn.query("SELECT current_setting('server_version_num')::int").scalar(Int.self)
        let superuser = try conn.query("SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user").scalar(Bool.self)
        guard version >= 180000 || superuser else { return ([], empty) }
        for table in empty {
            if version >= 180000 {
                // MAINTAIN is enough, and the caller analysed the table, so the role has it.
                // pg_stats, not pg_statistic: only a superuser may read the catalog itself.
                let columns = try conn.query("""
                    SELECT s.attname::text, s.inherited FROM pg_catalog.pg_stats s
                     WHERE s.schemaname = 'coachspool' AND s.tablename = \(table)::text
                    """).map { (try $0.decode(String.self, at: 0), try $0.decode(Bool.self, at: 1)) }
                for (column, inherited) in columns {
                    try conn.query("SELECT pg_catalog.pg_clear_attribute_stats('coachspool', \(table)::text, \(column)::text, \(inherited))")
                }
            } else {
                try conn.query("DELETE FROM pg_catalog.pg_statistic WHERE starelid = to_regclass(format('coachspool.%I', \(table)::text))")
            }
        }
        return (empty, [])
    }

    /// Whether this role may VACUUM and ANALYZE each of `tables` of `schema`, in their order.
    /// PostgreSQL 17+: MAINTAIN (granted, or through pg_maintain or superuser); before 17: the
    /// table's owner, the database's owner or a superuser. A VACUUM or ANALYZE without the right
    /// only warns and skips the table, so the right is checked first.
    static func maintainable(_ conn: PGConnection, schema: String, tables: [String]) throws -> [(table: String, allowed: Bool)] {
        try conn.query("""
            SELECT u.t, CASE WHEN current_setting('server_version_num')::int >= 170000
                             THEN has_table_privilege(c.oid, 'MAINTAIN')
                             ELSE pg_has_role(c.relowner, 'USAGE')
                                  OR (SELECT pg_has_role(d.datdba, 'USAGE') FROM pg_catalog.pg_database d
                                       WHERE d.datname = current_database()) END
              FROM unnest(\(tables)::text[]) WITH ORDINALITY AS u(t, n)
              JOIN pg_catalog.pg_class c ON c.oid = to_regclass(format('%I.%I', \(schema)::text, u.t))
             ORDER BY u.n
            """).map { (table: try $0.decode(String.self, at: 0), allowed: try $0.decode(Bool.self, at: 1)) }
    }

    /// The names of `tables` that are erasure's own, in erasure's order: SQL is built only from these.
    static func known(_ tables: [String]) -> [String] {
        Erasure.tables.filter(tables.contains)
    }

    /// Seconds from `start` to now (for output and logs).
    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let (seconds, attoseconds) = start.duration(to: .now).components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// `coachspool."table"` for a table of `Erasure.tables`.
    static func qualified(_ conn: PGConnection, _ table: String) throws -> String {
        precondition(Erasure.tables.contains(table), "only erasure's own tables")
        return "coachspool.\(try conn.quoteIdentifier(table))"
    }
}

