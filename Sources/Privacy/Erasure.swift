import Crypto
import Datasets
import LibPQ
import Spool
import Stages

/// A right-to-erasure request: `coachspool.erase_user` removes a person from every table in one
/// transaction; the training runs that learnt from them are named first (erasure removes the
/// lineage, and its trigger flags those runs).
///
/// What the transaction does not reach: the bytes of the deleted rows stay in the table files
/// until PostgreSQL reuses the space (`compact` rewrites them), and the column statistics may
/// still hold sampled values (`refreshStatistics`). docs/operations.md, "What erasure removes
/// from disk", has the rest (WAL, backups, replicas, dumps, adapters).
public enum Erasure {
    /// The tables `coachspool.erase_user` deletes from, in its order (schema/functions/erase_user.sql
    /// returns one row for each). The follow-up steps build SQL only from these names, never from
    /// the function's output or from input; schema/privileges/grants.sql grants MAINTAIN on them.
    public static let tables = [
        "jobs", "memories", "examples", "preference_pairs", "feedback_examples", "conversation_builds",
        "quality_verdicts", "interaction_texts", "feedback", "review_leases", "reviews", "interactions", "consents",
        "export_conversations", "conversations",
    ]

    public struct Result: Sendable {
        /// Rows removed per table.
        public var removed: [(table: String, rows: Int)]
        /// Training runs whose train split held the person's conversations.
        public var trainingRuns: [Int64]
        /// Recorded exports whose files hold the person's conversations: erasure cannot reach
        /// files on disk, so these folders still hold their text.
        public var exports: [ExportRecords.Location]
        /// The first 8 bytes of the id's SHA-256 (hex): what logs and output may show instead of the id.
        public var userDigest: String
        /// The erasure's transaction id (`xid8`, as text): a snapshot older than it may still see
        /// the deleted rows, and VACUUM FULL keeps them while one exists.
        public var transactionID: String

        /// The tables of `Erasure.tables` the erasure removed rows from.
        public var tablesWithRemovedRows: [String] {
            Erasure.tables.filter { table in removed.contains { $0.table == table && $0.rows > 0 } }
        }
    }

    public static func erase(_ conn: PGConnection, user: String) throws -> Result {
        let (removed, runs, exports, xid) = try conn.transaction { conn in
            let runs = try TrainingRuns.runs(ofUser: user, conn)
            let exports = try ExportRecords.exports(ofUser: user, conn)
            let removed = try conn.query("SELECT table_name, removed FROM coachspool.erase_user(\(user))")
                .map { (table: try $0.decode(String.self, at: 0), rows: try $0.decode(Int.self, at: 1)) }
            let xid = try conn.query("SELECT pg_current_xact_id()::text").scalar(String.self)
            return (removed, runs, exports, xid)
        }
        return Result(removed: removed, trainingRuns: runs, exports: exports, userDigest: digest(of: user), transactionID: xid)
    }

    public static func digest(of user: String) -> String {
        SHA256.hash(data: Array(user.utf8)).prefix(8).hexString
    }
}
